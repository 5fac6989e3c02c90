"""A household's own deliveries: declaring an absence, giving a basket to someone, and undoing it.

Every change happens before the distribution day's order window closes, on a planned basket of
an active subscription. The subscription row is locked first (PostgreSQL; SQLite ignores it), so
two clicks at once are applied one after the other and the second sees the first's result:
no double credit, no absence over the contract's limit.

Credits for an absence carry a reference "absence:<delivery id>:<n>", so cancelling undoes
exactly what was credited, even if the offer's policy changed in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace.baskets.models import (
    AbsencePolicy,
    Delivery,
    DeliveryState,
    Subscription,
    SubscriptionStatus,
)
from marketplace.delivery.models import DistributionDay
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.entry_words import words
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind, LedgerEntry
from marketplace.timezones import paris_today

GIFT_NAME_MAX = 120
GIFT_EMAIL_MAX = 254


@dataclass(frozen=True)
class AbsenceOutcome:
    """What an absence did, for the confirmation message."""

    policy: AbsencePolicy
    credited_cents: int = 0
    postponed_to: Delivery | None = None


def can_change(delivery: Delivery, now: datetime) -> bool:
    """Whether the household may still change this basket (for showing the buttons)."""
    day = delivery.distribution_day
    return (
        delivery.subscription.status == SubscriptionStatus.ACTIVE
        and not day.is_cancelled
        and now < day.order_closes_at
    )


def absences_left(subscription: Subscription, absent_count: int) -> int:
    return max(subscription.offer.max_absences - absent_count, 0)


def mark_absent(delivery: Delivery, now: datetime) -> AbsenceOutcome:
    """Declare the household absent on this delivery and apply the offer's absence policy."""
    delivery = _locked(delivery)
    if delivery.state == DeliveryState.ABSENT:
        raise DomainError(_("Ce panier est déjà déclaré absent."))
    _require_planned(delivery)
    _require_changeable(delivery, now)
    subscription = delivery.subscription
    offer = subscription.offer
    absent_count = _absent_count(subscription)
    if absent_count >= offer.max_absences:
        if offer.max_absences == 0:
            raise DomainError(_("Ce contrat ne prévoit pas d'absence."))
        raise DomainError(
            ngettext(
                "Vous avez déjà déclaré %(count)d absence, le maximum prévu par ce contrat.",
                "Vous avez déjà déclaré %(count)d absences, le maximum prévu par ce contrat.",
                absent_count,
                count=absent_count,
            )
        )

    policy = AbsencePolicy(offer.absence_policy)
    outcome = AbsenceOutcome(policy=policy)
    if policy == AbsencePolicy.POSTPONE:
        later = _next_planned_delivery(delivery)
        if later is None:
            raise DomainError(_("Aucune livraison suivante pour reporter ce panier."))
        later.quantity += delivery.quantity
        delivery.postponed_to = later
        outcome = AbsenceOutcome(policy=policy, postponed_to=later)
    elif policy == AbsencePolicy.CREDIT:
        amount = delivery.price_cents * delivery.quantity
        if amount > 0:
            _book_absence_entry(delivery, EntryKind.CREDIT, amount, now)
        outcome = AbsenceOutcome(policy=policy, credited_cents=amount)
    # DONATE: nothing more now; the volunteers give the basket to the solidarity grocery.
    delivery.state = DeliveryState.ABSENT.value
    db.session.flush()
    return outcome


def cancel_absence(delivery: Delivery, now: datetime) -> None:
    """Undo an absence exactly: the credit is reversed, the postponed basket comes back."""
    delivery = _locked(delivery)
    if delivery.state != DeliveryState.ABSENT:
        raise DomainError(_("Ce panier n'est pas déclaré absent."))
    _require_changeable(delivery, now)
    later = delivery.postponed_to
    if later is not None:
        if later.state not in (DeliveryState.PLANNED, DeliveryState.GIVEN):
            raise DomainError(
                _(
                    "Le panier reporté au %(date)s n'est plus prévu : "
                    "annulez d'abord ce qui a changé ce jour-là.",
                    date=_day_text(later),
                )
            )
        later.quantity -= delivery.quantity
        delivery.postponed_to = None
    credited = _credited_for_absence(delivery)
    if credited:
        _book_absence_entry(delivery, EntryKind.ADJUSTMENT, -credited, now)
    delivery.state = DeliveryState.PLANNED.value
    db.session.flush()


def give_to(delivery: Delivery, name: str, email: str | None, now: datetime) -> None:
    """Let someone else collect this basket: their name appears on the pickup checklist."""
    delivery = _locked(delivery)
    check_can_give(delivery, now)
    name = (name or "").strip()
    email = (email or "").strip() or None
    if not name:
        raise DomainError(
            _("Indiquez le nom de la personne qui viendra chercher le panier."), "name"
        )
    if len(name) > GIFT_NAME_MAX:
        raise DomainError(_("%(max)d caractères au maximum.", max=GIFT_NAME_MAX), "name")
    if email is not None:
        email = _checked_email(email)
    delivery.state = DeliveryState.GIVEN.value
    delivery.given_to_name = name
    delivery.given_to_email = email
    db.session.flush()


def check_can_give(delivery: Delivery, now: datetime) -> None:
    """Refuse, with the reason, a gift of a basket that is not planned or no longer changeable."""
    if delivery.state == DeliveryState.GIVEN:
        raise DomainError(_("Ce panier est déjà donné à %(name)s.", name=delivery.given_to_name))
    _require_planned(delivery)
    _require_changeable(delivery, now, gift=True)


def cancel_gift(delivery: Delivery, now: datetime) -> None:
    """The household collects the basket itself after all."""
    delivery = _locked(delivery)
    if delivery.state != DeliveryState.GIVEN:
        raise DomainError(_("Ce panier n'est donné à personne."))
    _require_changeable(delivery, now, gift=True)
    delivery.state = DeliveryState.PLANNED.value
    delivery.given_to_name = None
    delivery.given_to_email = None
    db.session.flush()


# --- Checks ------------------------------------------------------------------------------------


def _locked(delivery: Delivery) -> Delivery:
    """Lock the subscription, then the delivery, and read the delivery's current state."""
    db.session.execute(
        select(Subscription.id).where(Subscription.id == delivery.subscription_id).with_for_update()
    )
    return db.session.scalars(
        select(Delivery)
        .where(Delivery.id == delivery.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _require_planned(delivery: Delivery) -> None:
    if delivery.state == DeliveryState.ABSENT:
        raise DomainError(_("Ce panier est déclaré absent : annulez d'abord l'absence."))
    if delivery.state == DeliveryState.GIVEN:
        raise DomainError(
            _(
                "Ce panier est donné à %(name)s : annulez d'abord le don.",
                name=delivery.given_to_name,
            )
        )
    if delivery.state != DeliveryState.PLANNED:
        raise DomainError(_("Ce panier n'est plus modifiable : la distribution a eu lieu."))


def _require_changeable(delivery: Delivery, now: datetime, gift: bool = False) -> None:
    day = delivery.distribution_day
    if delivery.subscription.status != SubscriptionStatus.ACTIVE:
        raise DomainError(_("Cet abonnement est résilié : ses paniers ne sont plus modifiables."))
    if day.is_cancelled:
        raise DomainError(
            _(
                "La distribution du %(date)s est annulée : il n'y a rien à changer.",
                date=_day_text(delivery),
            )
        )
    if now >= day.order_closes_at and gift:
        raise DomainError(
            _(
                "Trop tard : un panier se donne avant la clôture des commandes du %(date)s.",
                date=_day_text(delivery),
            )
        )
    if now >= day.order_closes_at:
        raise DomainError(
            _(
                "Trop tard : les absences se déclarent avant la clôture des commandes du %(date)s.",
                date=_day_text(delivery),
            )
        )


def _checked_email(email: str) -> str:
    if len(email) > GIFT_EMAIL_MAX:
        raise DomainError(_("Cette adresse e-mail n'est pas valide."), "email")
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise DomainError(_("Cette adresse e-mail n'est pas valide."), "email") from error


def _day_text(delivery: Delivery) -> str:
    return format_date(delivery.distribution_day.day, "long")


# --- Queries -----------------------------------------------------------------------------------


def _absent_count(subscription: Subscription) -> int:
    return db.session.scalar(
        select(func.count(Delivery.id)).where(
            Delivery.subscription_id == subscription.id,
            Delivery.state == DeliveryState.ABSENT.value,
        )
    )


def absent_counts(subscription_ids: list[int]) -> dict[int, int]:
    """Absences declared per subscription, in one query (for listing pages)."""
    if not subscription_ids:
        return {}
    rows = db.session.execute(
        select(Delivery.subscription_id, func.count(Delivery.id))
        .where(
            Delivery.subscription_id.in_(subscription_ids),
            Delivery.state == DeliveryState.ABSENT.value,
        )
        .group_by(Delivery.subscription_id)
    )
    return {subscription_id: count for subscription_id, count in rows}


def _next_planned_delivery(delivery: Delivery) -> Delivery | None:
    """The subscription's next planned basket on a later, not cancelled distribution day."""
    return db.session.scalars(
        select(Delivery)
        .join(Delivery.distribution_day)
        .where(
            Delivery.subscription_id == delivery.subscription_id,
            Delivery.id != delivery.id,
            Delivery.state == DeliveryState.PLANNED.value,
            DistributionDay.status != "cancelled",
            DistributionDay.starts_at > delivery.distribution_day.starts_at,
        )
        .order_by(DistributionDay.starts_at, Delivery.id)
        .limit(1)
        .with_for_update(of=Delivery)
    ).first()


def _absence_reference_prefix(delivery: Delivery) -> str:
    return f"absence:{delivery.id}:"


def _credited_for_absence(delivery: Delivery) -> int:
    """What the household is currently credited for this basket's absences (credits − undos)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.group_id == delivery.subscription.group_id,
            LedgerEntry.external_reference.startswith(
                _absence_reference_prefix(delivery), autoescape=True
            ),
        )
    )
    return int(total)


def _book_absence_entry(delivery: Delivery, kind: EntryKind, amount: int, now: datetime) -> None:
    subscription = delivery.subscription
    prefix = _absence_reference_prefix(delivery)
    previous = db.session.scalar(
        select(func.count(LedgerEntry.id)).where(
            LedgerEntry.group_id == subscription.group_id,
            LedgerEntry.external_reference.startswith(prefix, autoescape=True),
        )
    )
    label = words(
        "absence" if kind == EntryKind.CREDIT else "absence_cancelled",
        date=delivery.distribution_day.day,
    )
    book_entry(
        user_id=subscription.user_id,
        group_id=subscription.group_id,
        kind=kind,
        amount_cents=amount,
        occurred_on=paris_today(now),
        **label.fields(),
        offer_id=subscription.offer_id,
        subscription_id=subscription.id,
        external_reference=f"{prefix}{previous + 1}",
    )
