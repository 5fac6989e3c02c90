"""Producers: their farm profile and the AMAP groups they supply."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from marketplace import unique
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.organisations.services import OrganisationProfile, update_organisation_profile
from marketplace.producers.models import LABELS, TRADES, Producer, ProducerSuppliesGroup


def producer_by_slug(slug: str, *, with_groups: bool = False) -> Producer | None:
    statement = select(Producer).where(Producer.slug == slug)
    if with_groups:
        statement = statement.options(selectinload(Producer.supplied_groups))
    return db.session.scalar(statement)


def producer_by_id(producer_id: int | str | None) -> Producer:
    """The producer chosen in a form (the id comes from the browser, so it is checked)."""
    producer = None
    if producer_id is not None and str(producer_id).isdigit():
        producer = db.session.scalar(select(Producer).where(Producer.id == int(producer_id)))
    if producer is None:
        raise DomainError(_("Ce·tte producteur·rice est introuvable."), field="producer_id")
    return producer


def producers_supplying(group: Group) -> list[Producer]:
    """The producers who supply `group`, by name, in one query."""
    return list(
        db.session.scalars(
            select(Producer)
            .join(ProducerSuppliesGroup, ProducerSuppliesGroup.producer_id == Producer.id)
            .where(ProducerSuppliesGroup.group_id == group.id)
            .order_by(Producer.name)
        )
    )


def producers_not_supplying(group: Group) -> list[Producer]:
    """The territory's producers who do not supply `group` yet, by name, in one query."""
    linked = select(ProducerSuppliesGroup.producer_id).where(
        ProducerSuppliesGroup.group_id == group.id
    )
    return list(
        db.session.scalars(
            select(Producer).where(Producer.id.not_in(linked)).order_by(Producer.name)
        )
    )


def _link_exists(group: Group, producer: Producer) -> bool:
    found = db.session.scalar(
        select(ProducerSuppliesGroup.id).where(
            ProducerSuppliesGroup.group_id == group.id,
            ProducerSuppliesGroup.producer_id == producer.id,
        )
    )
    return found is not None


def link_producer(group: Group, producer: Producer) -> ProducerSuppliesGroup:
    """Record that `producer` supplies `group` (and so takes part in its distributions)."""
    already = _("%(name)s livre déjà ce groupe.", name=producer.name)
    if _link_exists(group, producer):
        raise DomainError(already, field="producer_id")
    link = ProducerSuppliesGroup(producer=producer, group=group)
    # Two coordinators added the same producer at once.
    return unique.insert_once(link, already, field="producer_id")


def unlink_producer(group: Group, producer: Producer) -> None:
    if not _link_exists(group, producer):
        raise DomainError(
            _("%(name)s ne livre pas ce groupe.", name=producer.name), field="producer_id"
        )
    db.session.execute(
        delete(ProducerSuppliesGroup).where(
            ProducerSuppliesGroup.group_id == group.id,
            ProducerSuppliesGroup.producer_id == producer.id,
        )
    )
    db.session.flush()


def update_producer_profile(
    producer: Producer,
    profile: OrganisationProfile,
    *,
    trade: str | None,
    label_codes: Iterable[str],
) -> None:
    """The farm's profile, its trade (a code of TRADES or None) and quality labels."""
    trade = trade or None
    if trade is not None and trade not in TRADES:
        raise DomainError(_("Choisissez un métier proposé dans la liste."), field="trade")
    chosen = set(label_codes)
    if not chosen <= set(LABELS):
        raise DomainError(_("Choisissez des labels proposés dans la liste."), field="label_codes")
    update_organisation_profile(producer, profile)
    producer.trade = trade
    # Stored space-separated, in the catalogue's order, so the same choice reads the same.
    producer.labels = " ".join(code for code in LABELS if code in chosen) or None
    db.session.flush()
