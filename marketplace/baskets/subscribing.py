"""A household subscribes to a basket offer: checks, preview and the rows it commits to.

Services flush and never commit: the view (the boundary) commits, or rolls back on a
DomainError. A confirmed subscription writes one delivery per remaining covered day, its
installments and ONE ledger commitment whose amount is minus the deliveries' total. A
per-delivery gift to the solidarity fund (panier suspendu) adds ONE ledger donation and ONE
fund movement for the season's total, and is paid with the installments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from marketplace import unique
from marketplace.accounts.models import User
from marketplace.baskets import waiting_list
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    OfferStatus,
    PriceTier,
    Subscription,
    SubscriptionStatus,
    TierStatus,
)
from marketplace.baskets.offers import plan_calendar_for
from marketplace.baskets.schedule import (
    CandidateDay,
    PlannedInstallment,
    Season,
    covered_days,
    installment_plan,
    remaining_days,
    tier_price_cents,
)
from marketplace.delivery.models import DistributionDay, PickupPoint
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.membership.requirement import check_may_subscribe
from marketplace.organisations.access import has_role
from marketplace.organisations.models import Role
from marketplace.payments.entry_words import Words, words
from marketplace.payments.fund import record_donation
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind, Installment
from marketplace.payments.money import format_money
from marketplace.timezones import paris_today

# A panier suspendu added to each basket: more than this is surely a typing slip.
MAX_DONATION_PER_DELIVERY_CENTS = 10_000


@dataclass(frozen=True)
class Preview:
    """Everything a household commits to, computed without saving anything."""

    offer: BasketOffer
    size: BasketSize
    pickup_point: PickupPoint
    tier: PriceTier
    plan: str
    method: str
    signed_on: date
    days: list[DistributionDay]
    price_per_delivery_cents: int  # what is charged now
    requested_price_cents: int  # the chosen tier's price, granted once approved
    installments: list[PlannedInstallment]
    donation_per_delivery_cents: int = 0  # panier suspendu, for the solidarity fund

    @property
    def tier_pending(self) -> bool:
        return self.tier.needs_approval

    @property
    def delivery_count(self) -> int:
        return len(self.days)

    @property
    def total_cents(self) -> int:
        """The baskets' total, what the producer is owed."""
        return self.price_per_delivery_cents * len(self.days)

    @property
    def donation_total_cents(self) -> int:
        return self.donation_per_delivery_cents * len(self.days)

    @property
    def amount_to_pay_cents(self) -> int:
        """Baskets and gift together: what the installments add up to."""
        return self.total_cents + self.donation_total_cents


def signup_is_open(offer: BasketOffer, now: datetime) -> bool:
    return (
        offer.status == OfferStatus.PUBLISHED
        and offer.signup_opens_at <= now < offer.signup_closes_at
    )


def active_subscription(offer: BasketOffer, user: User) -> Subscription | None:
    return db.session.scalar(
        select(Subscription).where(
            Subscription.offer_id == offer.id,
            Subscription.user_id == user.id,
            Subscription.status == SubscriptionStatus.ACTIVE,
        )
    )


def subscription_preview(
    offer: BasketOffer,
    user: User,
    size: BasketSize | None,
    pickup_point: PickupPoint | None,
    tier: PriceTier | None,
    plan: str,
    method: str,
    now: datetime,
    donation_per_delivery_cents: int = 0,
) -> Preview:
    """The dates, prices and installments of a subscription, or the DomainError it would hit."""
    preview = _checked_preview(
        offer, user, size, pickup_point, tier, plan, method, now, donation_per_delivery_cents
    )
    _check_place_left(preview, user, now)
    return preview


def subscribe(
    offer: BasketOffer,
    user: User,
    size: BasketSize | None,
    pickup_point: PickupPoint | None,
    tier: PriceTier | None,
    plan: str,
    method: str,
    now: datetime,
    donation_per_delivery_cents: int = 0,
) -> Subscription:
    """Commit the household to the offer. On DomainError the caller must roll back."""
    preview = _checked_preview(
        offer, user, size, pickup_point, tier, plan, method, now, donation_per_delivery_cents
    )
    # Counting places is only safe once no other sign-up to this size can run alongside.
    _lock_size(preview.size)
    _check_not_subscribed(offer, user)
    _check_place_left(preview, user, now)

    subscription = Subscription(
        offer_id=offer.id,
        group_id=offer.group_id,
        user_id=user.id,
        size_id=preview.size.id,
        tier_id=preview.tier.id,
        tier_status=(TierStatus.PENDING if preview.tier_pending else TierStatus.APPROVED).value,
        pickup_point_id=preview.pickup_point.id,
        payment_plan=plan,
        payment_method=method,
        donation_per_delivery_cents=preview.donation_per_delivery_cents,
        status=SubscriptionStatus.ACTIVE.value,
    )
    # Only a double sign-up of the same household (a double click, another size) stops here.
    unique.insert_once(subscription, _("Vous êtes déjà inscrit·e à ce contrat."))
    # A place offered from the waiting list is now taken; a household still waiting is done.
    waiting_list.accept(offer, user)

    db.session.add_all(
        Delivery(
            subscription_id=subscription.id,
            distribution_day_id=day.id,
            size_id=preview.size.id,
            quantity=1,
            price_cents=preview.price_per_delivery_cents,
        )
        for day in preview.days
    )
    db.session.add_all(
        Installment(
            subscription_id=subscription.id,
            sequence=planned.sequence,
            due_on=planned.due_on,
            amount_cents=planned.amount_cents,
        )
        for planned in preview.installments
    )
    db.session.flush()
    book_entry(
        user_id=user.id,
        group_id=offer.group_id,
        kind=EntryKind.COMMITMENT,
        amount_cents=-preview.total_cents,
        occurred_on=preview.signed_on,
        **commitment_label(offer, preview.delivery_count).fields(),
        offer_id=offer.id,
        subscription_id=subscription.id,
    )
    if preview.donation_total_cents:
        record_donation(
            offer.group,
            user,
            preview.donation_total_cents,
            preview.signed_on,
            donation_label(offer, preview),
            subscription_id=subscription.id,
        )
    return subscription


def commitment_label(offer: BasketOffer, delivery_count: int) -> Words:
    start, end = offer.season_starts_on.year, offer.season_ends_on.year
    season = str(start) if start == end else f"{start}-{end}"
    return words("commitment", offer=offer.name, season=season, num=delivery_count)


def donation_label(offer: BasketOffer, preview: Preview) -> Words:
    return words(
        "donation_pledge",
        offer=offer.name,
        amount_cents=preview.donation_per_delivery_cents,
        num=preview.delivery_count,
    )


def own_subscription(subscription_id: int, user: User) -> Subscription | None:
    """The household's own subscription with what its page shows, or None for anyone else."""
    return db.session.scalar(
        select(Subscription)
        .where(Subscription.id == subscription_id, Subscription.user_id == user.id)
        .options(
            joinedload(Subscription.offer).joinedload(BasketOffer.producer),
            joinedload(Subscription.size),
            joinedload(Subscription.tier),
            joinedload(Subscription.pickup_point),
        )
    )


def subscription_deliveries(subscription: Subscription) -> list[Delivery]:
    return list(
        db.session.scalars(
            select(Delivery)
            .join(Delivery.distribution_day)
            .where(Delivery.subscription_id == subscription.id)
            .options(joinedload(Delivery.distribution_day))
            .order_by(DistributionDay.day, Delivery.id)
        )
    )


def subscription_installments(subscription: Subscription) -> list[Installment]:
    return list(
        db.session.scalars(
            select(Installment)
            .where(Installment.subscription_id == subscription.id)
            .order_by(Installment.sequence)
        )
    )


# --- Checks ------------------------------------------------------------------------------------


def _checked_preview(
    offer: BasketOffer,
    user: User,
    size: BasketSize | None,
    pickup_point: PickupPoint | None,
    tier: PriceTier | None,
    plan: str,
    method: str,
    now: datetime,
    donation_per_delivery_cents: int = 0,
) -> Preview:
    if not signup_is_open(offer, now):
        raise DomainError(_("Les inscriptions à ce contrat sont fermées."))
    if not has_role(user, offer.group, Role.MEMBER):
        raise DomainError(
            _("Seul·es les adhérent·es de %(group)s peuvent s'inscrire.", group=offer.group.name)
        )
    check_may_subscribe(offer.group, user, paris_today(now))
    # Ids come back from the browser: each must belong to this offer or its group.
    if size is None or size.offer_id != offer.id:
        raise DomainError(_("Choisissez une taille de panier de ce contrat."), field="size_id")
    if pickup_point is None or pickup_point.group_id != offer.group_id or not pickup_point.active:
        raise DomainError(
            _("Choisissez un lieu de distribution de ce groupe."), field="pickup_point_id"
        )
    if tier is None or tier.offer_id != offer.id:
        raise DomainError(_("Choisissez un tarif de ce contrat."), field="tier_id")
    if plan not in offer.allowed_plans:
        raise DomainError(_("Cet échéancier n'est pas proposé pour ce contrat."), field="plan")
    if method not in offer.allowed_methods:
        raise DomainError(
            _("Ce moyen de paiement n'est pas proposé pour ce contrat."), field="method"
        )
    _check_donation(donation_per_delivery_cents)
    _check_not_subscribed(offer, user)

    if _calendar_falls_short(offer):
        # Published before its season was planned whole, or the nightly run is still to come.
        plan_calendar_for(offer)
    days = _remaining_distribution_days(offer, pickup_point, now)
    if not days:
        raise DomainError(
            _("Il ne reste aucune distribution à venir pour ce contrat à ce lieu."),
            field="pickup_point_id",
        )
    requested = tier_price_cents(size.price_cents, tier.percent)
    # A reduced price waits for a coordinator's approval: the standard price applies meanwhile.
    charged = size.price_cents if tier.needs_approval else requested
    signed_on = paris_today(now)
    return Preview(
        offer=offer,
        size=size,
        pickup_point=pickup_point,
        tier=tier,
        plan=plan,
        method=method,
        signed_on=signed_on,
        days=days,
        price_per_delivery_cents=charged,
        requested_price_cents=requested,
        # The gift is paid with each basket, so it rides in the same installments.
        installments=installment_plan(
            [(day.day, charged + donation_per_delivery_cents) for day in days], plan, signed_on
        ),
        donation_per_delivery_cents=donation_per_delivery_cents,
    )


def _calendar_falls_short(offer: BasketOffer) -> bool:
    """Whether the group's calendar stops more than a week before the season's end."""
    last = db.session.scalar(
        select(func.max(DistributionDay.day)).where(DistributionDay.group_id == offer.group_id)
    )
    return last is None or last < offer.season_ends_on - timedelta(days=7)


def _remaining_distribution_days(
    offer: BasketOffer, pickup_point: PickupPoint, now: datetime
) -> list[DistributionDay]:
    rows = db.session.scalars(
        select(DistributionDay).where(
            DistributionDay.group_id == offer.group_id,
            DistributionDay.pickup_point_id == pickup_point.id,
            DistributionDay.day >= offer.season_starts_on,
            DistributionDay.day <= offer.season_ends_on,
        )
    ).all()
    by_id = {row.id: row for row in rows}
    candidates = [
        CandidateDay(
            day=row.day, order_closes_at=row.order_closes_at, cancelled=row.is_cancelled, ref=row.id
        )
        for row in rows
    ]
    season = Season(offer.season_starts_on, offer.season_ends_on, offer.frequency)
    return [by_id[day.ref] for day in remaining_days(covered_days(candidates, season), now)]


def _check_donation(cents: int) -> None:
    if not isinstance(cents, int) or cents < 0:
        raise DomainError(
            _("Le montant du panier suspendu ne peut pas être négatif."),
            field="donation_per_delivery",
        )
    if cents > MAX_DONATION_PER_DELIVERY_CENTS:
        raise DomainError(
            _(
                "Le panier suspendu ne peut dépasser %(max)s par livraison.",
                max=format_money(MAX_DONATION_PER_DELIVERY_CENTS),
            ),
            field="donation_per_delivery",
        )


def _lock_size(size: BasketSize) -> None:
    """Hold the size until commit, so concurrent sign-ups count its places one at a time."""
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks, but a write takes its single write lock until commit.
        db.session.execute(
            update(BasketSize)
            .where(BasketSize.id == size.id)
            .values(capacity=BasketSize.capacity)
            .execution_options(synchronize_session=False)
        )
    else:
        db.session.execute(select(BasketSize.id).where(BasketSize.id == size.id).with_for_update())


def _check_not_subscribed(offer: BasketOffer, user: User) -> None:
    if active_subscription(offer, user) is not None:
        raise DomainError(_("Vous êtes déjà inscrit·e à ce contrat."))


def _check_place_left(preview: Preview, user: User, now: datetime) -> None:
    capacity = preview.size.capacity
    if capacity is None:
        return
    # Places offered to waiting households are theirs until the offer expires.
    taken = waiting_list.taken_places(preview.size.id, now, except_user_id=user.id)
    if taken >= capacity:
        raise DomainError(_("Ce panier est complet."), field="size_id")
