"""The basket of the week: a contract's producer (or a coordinator of its group) announces what
each basket size holds on a distribution day; households read it on their dashboard and in the
day-before email, volunteers on the checklist and the printed sign-off sheet.

Writing: save() replaces a day's lines, copy_previous() copies the last announced day's lines.
The announcement's row is created once per contract and day (a unique constraint, insert_once)
and locked before its lines are replaced, so a double click gives the same basket, never two
copies. Reading: announced() gives a day's baskets in two queries, whatever the contracts.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.baskets.models import BasketOffer, BasketSize
from marketplace.catalogue import photos
from marketplace.catalogue.week_models import (
    MAX_ITEM_NAME,
    MAX_ITEM_QUANTITY,
    MAX_NOTE,
    WeekBasket,
    WeekBasketItem,
)
from marketplace.db import utcnow
from marketplace.delivery.models import DayStatus, DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations.access import has_role
from marketplace.organisations.models import Organisation, Role
from marketplace.unique import AlreadyCreatedError, insert_once

MAX_LINES = 30  # per size
_TICK = timedelta(microseconds=1)
COMING_DAYS = 8
# « Carottes — 1 kg », « Carottes : 1 kg », « Carottes - 1 kg » (a hyphen between spaces, so
# that « Chou-fleur » stays one word).
_SEPARATOR = re.compile(r"\s*[—–:]\s*|\s+-\s+")

Line = tuple[str, str]  # (name, quantity)


# --- Who may announce --------------------------------------------------------------------------


def may_announce(user: User, offer: BasketOffer) -> bool:
    """The producer's staff, and the coordinators of the contract's group."""
    return has_role(user, offer.producer, Role.PRODUCER_STAFF) or has_role(
        user, offer.group, Role.COORDINATOR
    )


# --- Reading -----------------------------------------------------------------------------------


@dataclass
class SizeContents:
    size_id: int
    size_name: str
    items: list[Line] = field(default_factory=list)


@dataclass
class Announced:
    id: int
    offer_id: int
    offer_name: str
    producer_name: str
    distribution_day_id: int
    note: str
    photo_version: int | None
    sizes: list[SizeContents] = field(default_factory=list)

    def size(self, size_id: int) -> SizeContents | None:
        return next((size for size in self.sizes if size.size_id == size_id), None)


def announced(day_ids: list[int], offer_ids: list[int] | None = None) -> list[Announced]:
    """The baskets announced for these days (of these contracts only, when given), by
    producer and contract: two queries."""
    if not day_ids or offer_ids == []:
        return []
    parameters = {"day_ids": list(day_ids)}
    if offer_ids is not None:
        parameters["offer_ids"] = list(offer_ids)
    rows = db.session.execute(_announced_statement(offer_ids is not None), parameters).all()
    result = {
        basket.id: Announced(
            id=basket.id,
            offer_id=basket.offer_id,
            offer_name=offer_name,
            producer_name=producer_name,
            distribution_day_id=basket.distribution_day_id,
            note=basket.note,
            photo_version=photo_version(basket),
        )
        for basket, offer_name, producer_name in rows
    }
    if not result:
        return []
    sizes: dict[tuple[int, int], SizeContents] = {}
    for item, size_name in db.session.execute(
        select(WeekBasketItem, BasketSize.name)
        .join(BasketSize, BasketSize.id == WeekBasketItem.size_id)
        .where(WeekBasketItem.week_basket_id.in_(list(result)))
        .order_by(BasketSize.position, BasketSize.id, WeekBasketItem.position)
    ):
        key = (item.week_basket_id, item.size_id)
        if key not in sizes:
            sizes[key] = SizeContents(item.size_id, size_name)
            result[item.week_basket_id].sizes.append(sizes[key])
        sizes[key].items.append((item.name, item.quantity))
    return list(result.values())


@functools.cache
def _announced_statement(of_offers: bool):
    """Built once (the checklist page asks on every request): days, and maybe contracts, bound."""
    query = (
        select(WeekBasket, BasketOffer.name, Organisation.name)
        .join(BasketOffer, BasketOffer.id == WeekBasket.offer_id)
        .join(Organisation, Organisation.id == BasketOffer.producer_id)
        .where(WeekBasket.distribution_day_id.in_(bindparam("day_ids", expanding=True)))
        .order_by(Organisation.name, BasketOffer.name, WeekBasket.id)
    )
    if of_offers:
        query = query.where(WeekBasket.offer_id.in_(bindparam("offer_ids", expanding=True)))
    return query


def photo_version(basket: WeekBasket) -> int | None:
    if not basket.has_photo:
        return None
    return int(basket.updated_at.timestamp())


def coming_days(offer: BasketOffer, today: date) -> list[DistributionDay]:
    """The contract's next distribution days (its group's, within its season)."""
    return list(
        db.session.scalars(
            select(DistributionDay)
            .where(
                DistributionDay.group_id == offer.group_id,
                DistributionDay.status == DayStatus.SCHEDULED.value,
                DistributionDay.day >= max(today, offer.season_starts_on),
                DistributionDay.day <= offer.season_ends_on,
            )
            .order_by(DistributionDay.starts_at, DistributionDay.id)
            .limit(COMING_DAYS)
        )
    )


def days_of_offer(offer: BasketOffer, day_id: int) -> DistributionDay | None:
    day = db.session.get(DistributionDay, day_id)
    if day is None or day.group_id != offer.group_id:
        return None
    return day


def basket_of(offer_id: int, day_id: int) -> WeekBasket | None:
    return db.session.scalar(
        select(WeekBasket)
        .where(WeekBasket.offer_id == offer_id, WeekBasket.distribution_day_id == day_id)
        .options(selectinload(WeekBasket.items))
    )


def previous_basket(offer: BasketOffer, day: DistributionDay) -> WeekBasket | None:
    """The last basket announced for this contract before `day`."""
    return db.session.scalar(
        select(WeekBasket)
        .join(DistributionDay, DistributionDay.id == WeekBasket.distribution_day_id)
        .where(
            WeekBasket.offer_id == offer.id,
            DistributionDay.starts_at < day.starts_at,
            WeekBasket.items.any(),
        )
        .order_by(DistributionDay.starts_at.desc(), DistributionDay.id.desc())
        .limit(1)
        .options(selectinload(WeekBasket.items))
    )


# --- Writing -----------------------------------------------------------------------------------


def parse_lines(text: str, size: BasketSize) -> list[Line]:
    """« Carottes — 1 kg » per line; empty lines are skipped. A DomainError names the line."""
    lines: list[Line] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = _SEPARATOR.split(line, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise DomainError(
                _(
                    "Ligne %(number)d : écrivez le produit puis sa quantité, par exemple "
                    "« Carottes — 1 kg ».",
                    number=number,
                ),
                field=f"size_{size.id}",
            )
        name, quantity = parts[0].strip(), parts[1].strip()
        if len(name) > MAX_ITEM_NAME or len(quantity) > MAX_ITEM_QUANTITY:
            raise DomainError(
                _(
                    "Ligne %(number)d : le produit tient en %(name)d caractères et la quantité "
                    "en %(quantity)d.",
                    number=number,
                    name=MAX_ITEM_NAME,
                    quantity=MAX_ITEM_QUANTITY,
                ),
                field=f"size_{size.id}",
            )
        lines.append((name, quantity))
    if len(lines) > MAX_LINES:
        raise DomainError(
            _("%(max)d lignes au plus par taille de panier.", max=MAX_LINES),
            field=f"size_{size.id}",
        )
    return lines


def _basket_for_writing(offer: BasketOffer, day: DistributionDay, user: User) -> WeekBasket:
    """The day's announcement, created once (a double click finds the first one's row), then
    locked so that two requests replace its lines one after the other."""
    basket = db.session.scalar(
        select(WeekBasket.id).where(
            WeekBasket.offer_id == offer.id, WeekBasket.distribution_day_id == day.id
        )
    )
    if basket is None:
        with suppress(AlreadyCreatedError):  # the other request's row is there now
            insert_once(
                WeekBasket(offer_id=offer.id, distribution_day_id=day.id, updated_by_id=user.id),
                _("Ce panier vient d'être créé par ailleurs."),
            )
    db.session.execute(
        select(WeekBasket.id)
        .where(WeekBasket.offer_id == offer.id, WeekBasket.distribution_day_id == day.id)
        .with_for_update()
    )
    found = basket_of(offer.id, day.id)
    assert found is not None
    db.session.refresh(found, ["items"])
    return found


def _replace_lines(basket: WeekBasket, contents: dict[int, list[Line]]) -> None:
    basket.items.clear()
    db.session.flush()
    for size_id, lines in contents.items():
        for position, (name, quantity) in enumerate(lines):
            basket.items.append(
                WeekBasketItem(size_id=size_id, position=position, name=name, quantity=quantity)
            )


def save(
    offer: BasketOffer,
    day: DistributionDay,
    user: User,
    contents: dict[int, list[Line]],
    note: str,
    photo: BinaryIO | None = None,
    remove_photo: bool = False,
) -> WeekBasket:
    """Replace the day's basket of this contract. `contents`: lines per size id of the offer."""
    size_ids = {size.id for size in offer.sizes}
    if set(contents) - size_ids:
        raise DomainError(_("Cette taille de panier n'est pas celle de ce contrat."))
    if len(note or "") > MAX_NOTE:
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_NOTE), field="note")
    image = None
    if photo is not None:
        image = photos.reencode(photos.read_limited(photo))  # checked before anything changes
    basket = _basket_for_writing(offer, day, user)
    previous = basket.updated_at  # before a flush of the changes below stamps it with now
    _replace_lines(basket, contents)
    basket.note = (note or "").strip()
    basket.updated_by_id = user.id
    if image is not None:
        basket.photo, basket.photo_width, basket.photo_height = image
    elif remove_photo:
        basket.photo = basket.photo_width = basket.photo_height = None
    stamp(basket, day, previous)
    db.session.flush()
    return basket


def copy_previous(offer: BasketOffer, day: DistributionDay, user: User) -> WeekBasket:
    """Copy the last announced day's lines and note onto `day` (its photo stays its own).
    Twice in a row gives the same basket."""
    previous = previous_basket(offer, day)
    if previous is None:
        raise DomainError(_("Aucun panier n'a été annoncé avant cette distribution."))
    contents: dict[int, list[Line]] = defaultdict(list)
    for item in previous.items:
        contents[item.size_id].append((item.name, item.quantity))
    note = previous.note
    basket = _basket_for_writing(offer, day, user)
    stamped = basket.updated_at  # before a flush of the changes below stamps it with now
    _replace_lines(basket, contents)
    basket.note = note
    basket.updated_by_id = user.id
    stamp(basket, day, stamped)
    db.session.flush()
    return basket


def stamp(basket: WeekBasket, day: DistributionDay, previous: datetime) -> None:
    """Mark a write of the basket: its `updated_at` goes past every basket's of the day, even
    when nothing else of its row changes (only its lines) or the clock has not moved, so the
    day's checklist (which keeps the baskets with its list) sees a new version. The day's row
    is locked first: two writes of the day's baskets take their stamps one after the other.
    `previous`: the basket's stamp read before this write changed anything."""
    with db.session.no_autoflush:
        db.session.execute(
            select(DistributionDay.id).where(DistributionDay.id == day.id).with_for_update()
        )
        latest = db.session.scalar(
            select(func.max(WeekBasket.updated_at)).where(
                WeekBasket.distribution_day_id == day.id, WeekBasket.id != basket.id
            )
        )
    candidates = [utcnow(), previous + _TICK]
    if latest is not None:
        candidates.append(latest + _TICK)
    basket.updated_at = max(candidates)
