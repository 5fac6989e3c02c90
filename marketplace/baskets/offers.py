"""Basket contracts (offers): a group's season contract with a producer, its sizes and tiers.

Coordinators write them; members and visitors read the published ones. Once a household has
subscribed, what its deliveries and price were computed from (producer, season, frequency, a
size's price, a tier's percent) is frozen, so nothing already signed changes under its feet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.baskets.models import (
    AbsencePolicy,
    BasketOffer,
    BasketSize,
    CancellationPolicy,
    CancelledDayPolicy,
    Frequency,
    OfferStatus,
    PaymentMethod,
    PaymentPlan,
    PriceTier,
    Subscription,
    SubscriptionStatus,
)
from marketplace.baskets.offer_queries import has_subscriptions, used_size_ids, used_tier_ids
from marketplace.baskets.renewal import check_previous_offer
from marketplace.delivery.days import materialise_all
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.payments.money import DEFAULT_VAT_RATE_BP, VAT_RATES_BP
from marketplace.producers.models import ProducerSuppliesGroup
from marketplace.timezones import paris_today

STANDARD_PERCENT = 100
MIN_PERCENT = 1
MAX_PERCENT = 300

PLAN_COLUMNS = {
    PaymentPlan.SEASON: "plan_season",
    PaymentPlan.MONTHLY: "plan_monthly",
    PaymentPlan.PER_DELIVERY: "plan_per_delivery",
}
METHOD_COLUMNS = {
    PaymentMethod.CARD: "method_card",
    PaymentMethod.SEPA: "method_sepa",
    PaymentMethod.CHEQUE: "method_cheque",
    PaymentMethod.CASH: "method_cash",
    PaymentMethod.TRANSFER: "method_transfer",
}


@dataclass(frozen=True)
class OfferData:
    producer_id: int | None
    name: str
    description: str
    season_starts_on: date
    season_ends_on: date
    frequency: str
    signup_opens_at: datetime  # UTC
    signup_closes_at: datetime  # UTC
    max_absences: int
    absence_policy: str
    cancelled_day_policy: str = CancelledDayPolicy.CREDIT.value
    plans: frozenset[str] = field(default_factory=frozenset)
    methods: frozenset[str] = field(default_factory=frozenset)
    cancellation_policy: str = CancellationPolicy.SEASON_COMMITMENT.value
    notice_days: int = 14
    previous_offer_id: int | None = None  # the offer this one renews


@dataclass(frozen=True)
class SizeData:
    name: str
    description: str
    price_cents: int
    capacity: int | None
    vat_rate_bp: int = DEFAULT_VAT_RATE_BP  # printed on invoices


@dataclass(frozen=True)
class TierData:
    name: str
    percent: int


def _default_tiers() -> list[TierData]:
    # The group's own data, editable: written in the coordinator's language at creation.
    return [
        TierData(_("Solidaire"), 50),
        TierData(_("Standard"), STANDARD_PERCENT),
        TierData(_("Soutien"), 120),
    ]


# --- The offer ---------------------------------------------------------------------------------


def _lock(offer: BasketOffer) -> None:
    """Serialise changes to one offer's sizes and tiers (two coordinators at once could
    otherwise leave two standard tiers), then re-read them as they now are. SQLite, for
    development only, ignores FOR UPDATE."""
    db.session.execute(select(BasketOffer.id).where(BasketOffer.id == offer.id).with_for_update())
    db.session.refresh(offer, ["status", "sizes", "tiers"])


def _flush_offer() -> None:
    try:
        db.session.flush()
    except IntegrityError as error:
        # The partnership was removed meanwhile (the database refuses the offer); the caller
        # rolls back.
        raise DomainError(
            _("Choisissez un·e producteur·rice qui livre le groupe."), field="producer_id"
        ) from error


def _refuse_if_archived(offer: BasketOffer) -> None:
    if offer.status == OfferStatus.ARCHIVED.value:
        raise DomainError(_("Ce contrat est archivé : il ne peut plus être modifié."))


def _check_offer(group: Group, data: OfferData, offer_id: int | None = None) -> None:
    name = data.name.strip()
    if not name:
        raise DomainError(_("Donnez un nom au contrat."), field="name")
    if (
        data.producer_id is None
        or db.session.scalar(
            select(ProducerSuppliesGroup.id).where(
                ProducerSuppliesGroup.group_id == group.id,
                ProducerSuppliesGroup.producer_id == data.producer_id,
            )
        )
        is None
    ):
        raise DomainError(
            _("Choisissez un·e producteur·rice qui livre le groupe."), field="producer_id"
        )
    if data.season_ends_on < data.season_starts_on:
        raise DomainError(
            _("La fin de la saison doit être le jour du début ou après."), field="season_ends_on"
        )
    if data.signup_closes_at <= data.signup_opens_at:
        raise DomainError(
            _("La clôture des inscriptions doit venir après leur ouverture."),
            field="signup_closes_on",
        )
    if data.frequency not in {value.value for value in Frequency}:
        raise DomainError(_("Choisissez un rythme de livraison."), field="frequency")
    if data.absence_policy not in {value.value for value in AbsencePolicy}:
        raise DomainError(_("Choisissez ce que devient un panier absent."), field="absence_policy")
    if data.cancelled_day_policy not in {value.value for value in CancelledDayPolicy}:
        raise DomainError(
            _("Choisissez ce que devient le panier d'une distribution annulée."),
            field="cancelled_day_policy",
        )
    if data.max_absences < 0:
        raise DomainError(_("Le nombre d'absences ne peut pas être négatif."), field="max_absences")
    if not data.plans or not data.plans <= {value.value for value in PaymentPlan}:
        raise DomainError(_("Autorisez au moins une façon d'échelonner."), field="plans")
    # Direct debits by the group itself are chosen with a mandate (direct_debit), not here.
    if not data.methods or not data.methods <= {method.value for method in METHOD_COLUMNS}:
        raise DomainError(_("Autorisez au moins un moyen de paiement."), field="methods")
    if data.cancellation_policy not in {value.value for value in CancellationPolicy}:
        raise DomainError(
            _("Choisissez comment le contrat peut être résilié."), field="cancellation_policy"
        )
    if data.notice_days < 0:
        raise DomainError(_("Le préavis ne peut pas être négatif."), field="notice_days")
    check_previous_offer(group, data.producer_id, data.previous_offer_id, offer_id)


def _apply(offer: BasketOffer, data: OfferData) -> None:
    offer.producer_id = data.producer_id
    offer.name = data.name.strip()
    offer.description = data.description.strip()
    offer.season_starts_on = data.season_starts_on
    offer.season_ends_on = data.season_ends_on
    offer.frequency = data.frequency
    offer.signup_opens_at = data.signup_opens_at
    offer.signup_closes_at = data.signup_closes_at
    offer.max_absences = data.max_absences
    offer.absence_policy = data.absence_policy
    offer.cancelled_day_policy = data.cancelled_day_policy
    for plan, column in PLAN_COLUMNS.items():
        setattr(offer, column, plan.value in data.plans)
    for method, column in METHOD_COLUMNS.items():
        setattr(offer, column, method.value in data.methods)
    offer.cancellation_policy = data.cancellation_policy
    offer.notice_days = data.notice_days
    offer.previous_offer_id = data.previous_offer_id


def create_offer(group: Group, data: OfferData) -> BasketOffer:
    """A draft offer of the group, with the three usual solidarity tiers."""
    _check_offer(group, data)
    offer = BasketOffer(group_id=group.id, status=OfferStatus.DRAFT.value)
    _apply(offer, data)
    for position, tier in enumerate(_default_tiers()):
        offer.tiers.append(PriceTier(name=tier.name, percent=tier.percent, position=position))
    db.session.add(offer)
    _flush_offer()
    return offer


def update_offer(offer: BasketOffer, data: OfferData) -> None:
    _refuse_if_archived(offer)
    _check_offer(offer.group, data, offer.id)
    if has_subscriptions(offer) and (
        data.producer_id != offer.producer_id
        or data.season_starts_on != offer.season_starts_on
        or data.season_ends_on != offer.season_ends_on
        or data.frequency != offer.frequency
    ):
        # Their delivery dates and season totals were computed from these.
        raise DomainError(
            _(
                "Des foyers ont déjà souscrit : le ou la producteur·rice, les dates de saison "
                "et le rythme ne peuvent plus changer."
            ),
            field="season_starts_on",
        )
    _apply(offer, data)
    _flush_offer()
    plan_calendar_for(offer)


def publish_offer(offer: BasketOffer) -> None:
    """Draft → published: members can see it and sign up in its window."""
    _lock(offer)
    if offer.status != OfferStatus.DRAFT.value:
        raise DomainError(_("Seul un contrat en brouillon peut être publié."))
    if not offer.sizes:
        raise DomainError(_("Ajoutez au moins une taille de panier avant de publier."))
    if not any(tier.percent == STANDARD_PERCENT for tier in offer.tiers):
        raise DomainError(_("Le contrat doit avoir un tarif à 100 % avant d'être publié."))
    offer.status = OfferStatus.PUBLISHED.value
    db.session.flush()
    plan_calendar_for(offer)


def plan_calendar_for(offer: BasketOffer) -> None:
    """Every distribution day of a published season exists from now on, however far its end:
    households sign up for the whole season (the calendar asks seasons.py how far to go)."""
    if offer.status == OfferStatus.PUBLISHED.value:
        materialise_all(paris_today(), 0, group_ids=[offer.group_id])


def archive_offer(offer: BasketOffer) -> None:
    """The offer leaves the public list; its subscriptions and statements stay."""
    _refuse_if_archived(offer)
    offer.status = OfferStatus.ARCHIVED.value
    db.session.flush()


# --- Sizes -------------------------------------------------------------------------------------


def _check_size(offer: BasketOffer, data: SizeData, size: BasketSize | None) -> None:
    name = data.name.strip()
    if not name:
        raise DomainError(_("Donnez un nom à cette taille de panier."), field="name")
    if any(other.name.casefold() == name.casefold() and other is not size for other in offer.sizes):
        raise DomainError(_("Ce contrat a déjà une taille « %(name)s ».", name=name), field="name")
    if data.price_cents <= 0:
        raise DomainError(_("Le prix doit être supérieur à zéro."), field="price")
    if data.capacity is not None and data.capacity <= 0:
        raise DomainError(_("La capacité doit être d'au moins 1."), field="capacity")
    if data.vat_rate_bp not in VAT_RATES_BP:
        raise DomainError(_("Choisissez un taux de TVA proposé."), field="vat_rate")


def add_size(offer: BasketOffer, data: SizeData) -> BasketSize:
    _lock(offer)
    _refuse_if_archived(offer)
    _check_size(offer, data, None)
    size = BasketSize(
        name=data.name.strip(),
        description=data.description.strip(),
        price_cents=data.price_cents,
        capacity=data.capacity,
        vat_rate_bp=data.vat_rate_bp,
        position=max((other.position for other in offer.sizes), default=-1) + 1,
    )
    offer.sizes.append(size)
    db.session.flush()
    return size


def update_size(size: BasketSize, data: SizeData) -> None:
    offer = size.offer
    _lock(offer)
    _refuse_if_archived(offer)
    _check_size(offer, data, size)
    if data.price_cents != size.price_cents and size.id in used_size_ids(offer):
        raise DomainError(
            _("Des foyers ont souscrit à cette taille : son prix ne peut plus changer."),
            field="price",
        )
    if data.capacity is not None:
        taken = db.session.scalar(
            select(func.count(Subscription.id)).where(
                Subscription.size_id == size.id,
                Subscription.status == SubscriptionStatus.ACTIVE.value,
            )
        )
        if data.capacity < taken:
            raise DomainError(
                _(
                    "%(count)d foyers ont déjà ce panier : la capacité ne peut pas être "
                    "inférieure.",
                    count=taken,
                ),
                field="capacity",
            )
    size.name = data.name.strip()
    size.description = data.description.strip()
    size.price_cents = data.price_cents
    size.capacity = data.capacity
    size.vat_rate_bp = data.vat_rate_bp
    db.session.flush()


def remove_size(size: BasketSize) -> None:
    offer = size.offer
    _lock(offer)
    _refuse_if_archived(offer)
    if size.id in used_size_ids(offer):
        raise DomainError(
            _(
                "Des foyers ont souscrit à la taille « %(name)s » : elle ne peut pas être retirée.",
                name=size.name,
            )
        )
    if offer.status == OfferStatus.PUBLISHED.value and len(offer.sizes) == 1:
        raise DomainError(_("Un contrat publié garde au moins une taille de panier."))
    offer.sizes.remove(size)
    db.session.flush()


# --- Tiers -------------------------------------------------------------------------------------


def _check_tier(offer: BasketOffer, data: TierData, tier: PriceTier | None) -> None:
    name = data.name.strip()
    if not name:
        raise DomainError(_("Donnez un nom à ce tarif."), field="name")
    if any(other.name.casefold() == name.casefold() and other is not tier for other in offer.tiers):
        raise DomainError(_("Ce contrat a déjà un tarif « %(name)s ».", name=name), field="name")
    if not MIN_PERCENT <= data.percent <= MAX_PERCENT:
        raise DomainError(
            _(
                "Le pourcentage doit être compris entre %(min)d et %(max)d.",
                min=MIN_PERCENT,
                max=MAX_PERCENT,
            ),
            field="percent",
        )
    others = [other for other in offer.tiers if other is not tier]
    standard_elsewhere = any(other.percent == STANDARD_PERCENT for other in others)
    if data.percent == STANDARD_PERCENT and standard_elsewhere:
        raise DomainError(
            _("Le contrat a déjà un tarif à 100 % : il n'en faut qu'un."), field="percent"
        )
    if tier is not None and tier.percent == STANDARD_PERCENT and data.percent != STANDARD_PERCENT:
        raise DomainError(
            _("Le contrat doit garder un tarif à 100 % : c'est le prix de référence."),
            field="percent",
        )


def add_tier(offer: BasketOffer, data: TierData) -> PriceTier:
    _lock(offer)
    _refuse_if_archived(offer)
    _check_tier(offer, data, None)
    tier = PriceTier(
        name=data.name.strip(),
        percent=data.percent,
        position=max((other.position for other in offer.tiers), default=-1) + 1,
    )
    offer.tiers.append(tier)
    db.session.flush()
    return tier


def update_tier(tier: PriceTier, data: TierData) -> None:
    offer = tier.offer
    _lock(offer)
    _refuse_if_archived(offer)
    _check_tier(offer, data, tier)
    if data.percent != tier.percent and tier.id in used_tier_ids(offer):
        raise DomainError(
            _("Des foyers ont souscrit à ce tarif : son pourcentage ne peut plus changer."),
            field="percent",
        )
    tier.name = data.name.strip()
    tier.percent = data.percent
    db.session.flush()


def remove_tier(tier: PriceTier) -> None:
    offer = tier.offer
    _lock(offer)
    _refuse_if_archived(offer)
    if tier.percent == STANDARD_PERCENT:
        raise DomainError(
            _("Le tarif standard (100 %) sert de référence : il ne peut pas être retiré.")
        )
    if tier.id in used_tier_ids(offer):
        raise DomainError(
            _(
                "Des foyers ont souscrit au tarif « %(name)s » : il ne peut pas être retiré.",
                name=tier.name,
            )
        )
    offer.tiers.remove(tier)
    db.session.flush()
