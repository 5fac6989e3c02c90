"""What a producer offers each coming distribution date of a group it supplies.

A cell of the grid is one product on one date. Empty means not offered: a row that was
published is then withdrawn (`published = False`, kept because orders may point at it).
Availability freezes when the date's first order window closes; after that, nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.catalogue.models import Availability, Product
from marketplace.catalogue.products import MAX_PRICE_CENTS
from marketplace.catalogue.quantities import check_quantity, format_quantity
from marketplace.catalogue.queries import (
    ComingDate,
    availabilities_for,
    coming_dates,
    latest_published_day_before,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.producers.models import Producer, ProducerSuppliesGroup


def cell_key(product_id: int, day: date) -> str:
    """The name of a grid cell, also the `field` of the errors about it."""
    return f"{product_id}_{day.isoformat()}"


@dataclass(frozen=True)
class CellChange:
    """What the producer wants in one cell. `price_cents` None means the catalogue price,
    `quantity_milli` None means no limit."""

    product_id: int
    day: date
    offered: bool
    quantity_milli: int | None = None
    price_cents: int | None = None
    max_per_household_milli: int | None = None


@dataclass
class PublishResult:
    published: int = 0
    withdrawn: int = 0

    @property
    def changed(self) -> int:
        return self.published + self.withdrawn


def _require_supply(producer: Producer, group: Group) -> None:
    supplies = db.session.scalar(
        select(
            exists().where(
                ProducerSuppliesGroup.producer_id == producer.id,
                ProducerSuppliesGroup.group_id == group.id,
            )
        )
    )
    if not supplies:
        raise DomainError(_("Vous ne livrez pas ce groupe : vous ne pouvez rien y proposer."))


def _unchanged(row: Availability | None, change: CellChange, price_cents: int) -> bool:
    if not change.offered:
        return row is None or not row.published
    return (
        row is not None
        and row.published
        and row.quantity_milli == change.quantity_milli
        and row.price_cents == price_cents
        and row.max_per_household_milli == change.max_per_household_milli
    )


def _long_date(day: date) -> str:
    return format_date(day, "long")


def _check_offer(product: Product, change: CellChange, key: str, price_cents: int) -> None:
    if product.archived:
        raise DomainError(
            _("%(product)s est archivé : restaurez-le avant de le proposer.", product=product.name),
            field=key,
        )
    if change.quantity_milli is not None:
        check_quantity(change.quantity_milli, product.unit, field=key)
    if change.max_per_household_milli is not None:
        check_quantity(change.max_per_household_milli, product.unit, field=key)
    if price_cents <= 0 or price_cents > MAX_PRICE_CENTS:
        raise DomainError(_("Indiquez un prix supérieur à zéro et réaliste."), field=key)


def _apply(
    producer: Producer,
    group: Group,
    product: Product,
    row: Availability | None,
    change: CellChange,
    price_cents: int,
    key: str,
) -> None:
    if change.offered:
        if (
            row is not None
            and change.quantity_milli is not None
            and change.quantity_milli < row.reserved_milli
        ):
            raise DomainError(
                _(
                    "Déjà commandé : %(reserved)s ; la quantité ne peut pas descendre en dessous.",
                    reserved=format_quantity(row.reserved_milli, product.unit),
                ),
                field=key,
            )
        if row is None:
            row = Availability(
                product_id=product.id,
                producer_id=producer.id,
                group_id=group.id,
                day=change.day,
                reserved_milli=0,
            )
            db.session.add(row)
        row.quantity_milli = change.quantity_milli
        row.price_cents = price_cents
        row.max_per_household_milli = change.max_per_household_milli
        row.published = True
        return
    # Withdrawn only while nobody has ordered it: one conditional UPDATE, so an order arriving
    # at the same moment either lands before (and the withdrawal is refused) or not at all.
    withdrawn = db.session.execute(
        update(Availability)
        .where(Availability.id == row.id, Availability.reserved_milli == 0)
        .values(published=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(row)
    if not withdrawn:
        raise DomainError(
            _(
                "Des foyers ont déjà commandé %(product)s pour le %(date)s : il ne peut plus "
                "être retiré. Pour arrêter les ventes, ramenez la quantité à ce qui est déjà "
                "commandé.",
                product=product.name,
                date=_long_date(change.day),
            ),
            field=key,
        )


def publish_cells(
    producer: Producer, group: Group, changes: Sequence[CellChange], now: datetime
) -> PublishResult:
    """Publish, change or withdraw many cells at once; all or nothing (the caller rolls back
    on a DomainError, whose `field` is the cell's key)."""
    _require_supply(producer, group)
    result = PublishResult()
    if not changes:
        return result
    dates: dict[date, ComingDate] = {
        coming.day: coming for coming in coming_dates(producer.id, group.id, now)
    }
    products = {
        product.id: product
        for product in db.session.scalars(
            select(Product).where(
                Product.producer_id == producer.id,
                Product.id.in_({change.product_id for change in changes}),
            )
        )
    }
    rows = availabilities_for(producer.id, group.id, {change.day for change in changes})
    for change in changes:
        key = cell_key(change.product_id, change.day)
        product = products.get(change.product_id)
        if product is None:
            raise DomainError(_("Ce produit ne fait pas partie de votre catalogue."), field=key)
        coming = dates.get(change.day)
        if coming is None:
            raise DomainError(
                _("Cette date ne fait pas partie des prochaines distributions du groupe."),
                field=key,
            )
        row = rows.get((change.product_id, change.day))
        price_cents = product.price_cents if change.price_cents is None else change.price_cents
        if _unchanged(row, change, price_cents):
            continue
        if coming.frozen:
            raise DomainError(
                _(
                    "Les commandes pour le %(date)s sont closes : cette disponibilité ne peut "
                    "plus changer.",
                    date=_long_date(change.day),
                ),
                field=key,
            )
        if change.offered:
            _check_offer(product, change, key, price_cents)
        _apply(producer, group, product, row, change, price_cents, key)
        if change.offered:
            result.published += 1
        else:
            result.withdrawn += 1
    try:
        db.session.flush()
    except IntegrityError as error:  # an order reserved stock at this very moment
        raise DomainError(
            _(
                "Des commandes viennent d'arriver pendant votre saisie : rechargez la page "
                "et vérifiez les quantités."
            )
        ) from error
    return result


@dataclass
class CopyResult:
    source_day: date
    copied: int
    kept: int


def copy_previous_date(producer: Producer, group: Group, day: date, now: datetime) -> CopyResult:
    """Offer on `day` what was offered on the previous date (quantities, prices, limits).
    Cells already published on `day` are kept as they are."""
    _require_supply(producer, group)
    coming = next(
        (item for item in coming_dates(producer.id, group.id, now) if item.day == day), None
    )
    if coming is None:
        raise DomainError(
            _("Cette date ne fait pas partie des prochaines distributions du groupe."),
            field="day",
        )
    if coming.frozen:
        raise DomainError(
            _(
                "Les commandes pour le %(date)s sont closes : cette disponibilité ne peut plus "
                "changer.",
                date=_long_date(day),
            ),
            field="day",
        )
    source_day = latest_published_day_before(producer.id, group.id, day)
    if source_day is None:
        raise DomainError(
            _("Rien n'a été proposé à ce groupe avant cette date : il n'y a rien à copier."),
            field="day",
        )
    sources = db.session.scalars(
        select(Availability)
        .join(Product, Product.id == Availability.product_id)
        .where(
            Availability.producer_id == producer.id,
            Availability.group_id == group.id,
            Availability.day == source_day,
            Availability.published.is_(True),
            Product.archived.is_(False),
        )
    ).all()
    targets = availabilities_for(producer.id, group.id, [day])
    changes = []
    kept = 0
    for source in sources:
        target = targets.get((source.product_id, day))
        if target is not None and target.published:
            kept += 1
            continue
        changes.append(
            CellChange(
                product_id=source.product_id,
                day=day,
                offered=True,
                quantity_milli=source.quantity_milli,
                price_cents=source.price_cents,
                max_per_household_milli=source.max_per_household_milli,
            )
        )
    result = publish_cells(producer, group, changes, now)
    return CopyResult(source_day=source_day, copied=result.published, kept=kept)
