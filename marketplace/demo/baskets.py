"""Demo basket contracts and subscriptions, made through the real services so that deliveries,
installments and ledger entries are exactly what a household signing up would get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.baskets import offers
from marketplace.baskets.models import BasketOffer, OfferStatus
from marketplace.baskets.subscribing import active_subscription, subscribe
from marketplace.delivery.models import PickupPoint
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.organisations.models import Membership, Role
from marketplace.producers.models import Producer
from marketplace.timezones import local_instant


@dataclass(frozen=True)
class DemoOffer:
    group_slug: str
    producer_slug: str
    name: str
    description: str
    frequency: str
    sizes: tuple[tuple[str, str, int, int], ...]  # name, description, cents, capacity


OFFERS = (
    DemoOffer(
        "amap-croix-rousse",
        "ferme-du-coteau",
        "Légumes de la Ferme du Coteau",
        "Un panier de légumes de saison chaque semaine, récoltés la veille.",
        "weekly",
        (
            ("Petit panier", "Pour une ou deux personnes.", 1200, 40),
            ("Grand panier", "Pour une famille.", 1900, 30),
        ),
    ),
    DemoOffer(
        "amap-croix-rousse",
        "fournil-des-monts",
        "Pain au levain du Fournil des Monts",
        "Deux pains au levain (1 kg) une semaine sur deux.",
        "fortnightly",
        (("Deux pains", "Un pain de campagne et un pain aux graines.", 900, 50),),
    ),
    DemoOffer(
        "amap-villeurbanne-gratte-ciel",
        "ferme-du-coteau",
        "Légumes du jeudi",
        "Le panier de légumes de la Ferme du Coteau, livré le jeudi.",
        "weekly",
        (
            ("Petit panier", "Pour une ou deux personnes.", 1200, 30),
            ("Grand panier", "Pour une famille.", 1900, 20),
        ),
    ),
    DemoOffer(
        "amap-monts-du-lyonnais",
        "ferme-du-coteau",
        "Légumes de la halle",
        "Le panier de légumes du vendredi, sous la halle.",
        "weekly",
        (
            ("Petit panier", "Pour une ou deux personnes.", 1100, 25),
            ("Grand panier", "Pour une famille.", 1750, 20),
        ),
    ),
)

PLANS = ("season", "monthly", "monthly", "per_delivery")
METHODS = ("cheque", "transfer", "card")


# Households signed up a week before the season began (the season started 4 weeks ago), so
# the demo has past distributions with baskets handed over and installments paid.
SIGNED_WEEKS_AGO = 5


def seed_demo_baskets(today: date) -> int:
    """Create the missing demo offers, then subscribe about two households in three."""
    now = local_instant(today, time(12, 0))
    signed_at = local_instant(today - timedelta(weeks=SIGNED_WEEKS_AGO), time(12, 0))
    created = 0
    # Offers and ledger labels are the groups' own data, written in French.
    with force_locale("fr"):
        for data in OFFERS:
            offer, is_new = _offer(data, today, now)
            created += is_new
            created += _subscribe_households(offer, signed_at)
    return created


def _offer(data: DemoOffer, today: date, now: datetime) -> tuple[BasketOffer, bool]:
    group = db.session.scalar(select(Group).where(Group.slug == data.group_slug))
    existing = db.session.scalar(
        select(BasketOffer).where(BasketOffer.group_id == group.id, BasketOffer.name == data.name)
    )
    if existing is not None:
        return existing, False
    producer = db.session.scalar(select(Producer).where(Producer.slug == data.producer_slug))
    offer = offers.create_offer(
        group,
        offers.OfferData(
            producer_id=producer.id,
            name=data.name,
            description=data.description,
            season_starts_on=today - timedelta(weeks=4),
            season_ends_on=today + timedelta(weeks=26),
            frequency=data.frequency,
            signup_opens_at=now - timedelta(days=45),
            signup_closes_at=now + timedelta(days=60),
            max_absences=3,
            absence_policy="credit",
            plans=frozenset({"season", "monthly", "per_delivery"}),
            methods=frozenset({"card", "cheque", "transfer", "cash"}),
        ),
    )
    for name, description, cents, capacity in data.sizes:
        offers.add_size(offer, offers.SizeData(name, description, cents, capacity))
    offers.publish_offer(offer)
    return offer, True


def _subscribe_households(offer: BasketOffer, now: datetime) -> int:
    """Sign up the households at `now` (their sign-up's date, as if made then)."""
    if offer.status != OfferStatus.PUBLISHED:
        return 0
    members = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == offer.group_id, Membership.role == Role.MEMBER)
        .order_by(User.id)
    ).all()
    points = db.session.scalars(
        select(PickupPoint)
        .where(PickupPoint.group_id == offer.group_id, PickupPoint.active.is_(True))
        .order_by(PickupPoint.id)
    ).all()
    standard = next(tier for tier in offer.tiers if tier.percent == 100)
    created = 0
    for index, user in enumerate(members):
        if index % 3 == 2 or active_subscription(offer, user) is not None:
            continue
        # A few households pay a support price; reduced prices are asked for at sign-up.
        tier = (
            next((t for t in offer.tiers if t.percent > 100), standard)
            if index % 7 == 1
            else standard
        )
        # Rotate the pickup points; a point whose calendar misses this contract's weeks (a
        # fortnightly contract at a monthly point) is skipped for the next one.
        for shift in range(len(points)):
            try:
                subscription = subscribe(
                    offer,
                    user,
                    offer.sizes[index % len(offer.sizes)],
                    points[(index + shift) % len(points)],
                    tier,
                    PLANS[index % len(PLANS)],
                    METHODS[index % len(METHODS)],
                    now,
                )
            except DomainError:
                continue
            subscription.created_at = now  # the season follows what was open when signing
            break
        else:
            continue
        created += 1
    return created
