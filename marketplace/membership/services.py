"""Setting up a group's membership, joining for the current period and paying the fee.

Services flush and never commit. The fee goes through the ledger exactly once: a commitment
when the household joins (one membership per household, group and period: a unique
constraint, reached through insert_once so a double click gets the first answer), a payment
when a coordinator records the cheque, cash or transfer (the membership's row is locked and
its state checked first; the ledger's unique external reference is the last guard).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace import unique
from marketplace.accounts.models import User
from marketplace.cards.models import CardPayment
from marketplace.cards.settlement import LIVE_STATES
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group
from marketplace.membership.models import (
    BANK_MAX,
    CHEQUE_NUMBER_MAX,
    LEVEL_NAME_MAX,
    RECORDED_METHODS,
    FeeMethod,
    MembershipLevel,
    MembershipSettings,
    Pricing,
    YearlyMembership,
)
from marketplace.membership.periods import Period, period_containing
from marketplace.organisations.access import has_role
from marketplace.organisations.models import Role
from marketplace.payments.entry_words import Words, words
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind
from marketplace.payments.money import format_money

MAX_LEVELS = 6
MAX_FEE_CENTS = 100_000  # 1 000 € : more is surely a typing slip


@dataclass(frozen=True)
class Level:
    name: str
    amount_cents: int


# --- Settings -----------------------------------------------------------------------------------


def settings_of(group: Group) -> MembershipSettings | None:
    return db.session.get(MembershipSettings, group.id)


def current_period(settings: MembershipSettings, today: date) -> Period:
    return period_containing(today, settings.start_month)


def save_settings(
    group: Group,
    *,
    start_month: int | None,
    pricing: str,
    amount_cents: int | None,
    levels: list[Level],
    required: bool,
    remind_days_before: int,
    today: date,
) -> MembershipSettings:
    if start_month is None or not 1 <= start_month <= 12:
        raise DomainError(_("Choisissez un mois de l'année."), field="start_month")
    if pricing not in {value.value for value in Pricing}:
        raise DomainError(_("Choisissez une façon de fixer la cotisation."), field="pricing")
    if not 1 <= remind_days_before <= 90:
        raise DomainError(_("Entre 1 et 90 jours."), field="remind_days_before")
    if pricing == Pricing.SLIDING:
        _check_levels(levels)
        amount_cents = min(level.amount_cents for level in levels)
    else:
        _check_fee(amount_cents, field="amount")
        levels = []
    settings = settings_of(group)
    if settings is not None and settings.start_month != start_month and _running(group, today):
        raise DomainError(
            _(
                "Des foyers sont adhérents pour la période en cours : le mois de début "
                "changera une fois cette période finie."
            ),
            field="start_month",
        )
    if settings is None:
        settings = MembershipSettings(group_id=group.id)
        db.session.add(settings)
    settings.start_month = start_month
    settings.pricing = pricing
    settings.amount_cents = amount_cents
    settings.required = required
    settings.remind_days_before = remind_days_before
    settings.levels.clear()
    db.session.flush()
    settings.levels.extend(
        MembershipLevel(position=position, name=level.name, amount_cents=level.amount_cents)
        for position, level in enumerate(levels, start=1)
    )
    db.session.flush()
    return settings


def _running(group: Group, today: date) -> bool:
    """Whether some membership of the group covers today or later."""
    return (
        db.session.scalar(
            select(YearlyMembership.id)
            .where(YearlyMembership.group_id == group.id, YearlyMembership.period_ends_on >= today)
            .limit(1)
        )
        is not None
    )


def _check_fee(amount_cents: int | None, *, field: str) -> None:
    if amount_cents is None:
        raise DomainError(_("Indiquez un montant."), field=field)
    if amount_cents <= 0:
        raise DomainError(_("Le montant doit être supérieur à zéro."), field=field)
    if amount_cents > MAX_FEE_CENTS:
        raise DomainError(
            _("Le montant ne peut dépasser %(max)s.", max=format_money(MAX_FEE_CENTS)), field=field
        )


def _check_levels(levels: list[Level]) -> None:
    if not levels:
        raise DomainError(
            _("Indiquez au moins un niveau, avec son nom et son montant."), field="levels"
        )
    if len(levels) > MAX_LEVELS:
        raise DomainError(_("%(max)d niveaux au plus.", max=MAX_LEVELS), field="levels")
    names = set()
    for level in levels:
        name = level.name.strip()
        if not name or len(name) > LEVEL_NAME_MAX:
            raise DomainError(
                _("Chaque niveau a un nom de %(max)d caractères au plus.", max=LEVEL_NAME_MAX),
                field="levels",
            )
        if name.casefold() in names:
            raise DomainError(
                _("Deux niveaux portent le nom « %(name)s ».", name=name), field="levels"
            )
        names.add(name.casefold())
        _check_fee(level.amount_cents, field="levels")


# --- Joining ------------------------------------------------------------------------------------


def membership_for(user_id: int, group_id: int, period: Period) -> YearlyMembership | None:
    return db.session.scalar(
        select(YearlyMembership).where(
            YearlyMembership.user_id == user_id,
            YearlyMembership.group_id == group_id,
            YearlyMembership.period_starts_on == period.starts_on,
        )
    )


def fee_for(
    settings: MembershipSettings, *, amount_cents: int | None, level_id: int | None
) -> Level:
    """The fee a household chose, checked against the group's pricing."""
    if settings.pricing == Pricing.FIXED:
        return Level("", settings.amount_cents)
    if settings.pricing == Pricing.FREE:
        _check_fee(amount_cents, field="amount")
        assert amount_cents is not None
        if amount_cents < settings.amount_cents:
            raise DomainError(
                _("Le montant minimum est de %(min)s.", min=format_money(settings.amount_cents)),
                field="amount",
            )
        return Level("", amount_cents)
    for level in settings.levels:
        if level.id == level_id:
            return Level(level.name, level.amount_cents)
    raise DomainError(_("Choisissez un des niveaux proposés."), field="level_id")


def join(
    group: Group,
    user: User,
    *,
    amount_cents: int | None = None,
    level_id: int | None = None,
    today: date,
) -> YearlyMembership:
    """The household joins for the current period and owes its fee (one ledger commitment)."""
    settings = settings_of(group)
    if settings is None:
        raise DomainError(_("Ce groupe ne propose pas d'adhésion."))
    if not has_role(user, group, Role.MEMBER):
        raise DomainError(
            _("Rejoignez d'abord le groupe %(group)s, puis adhérez.", group=group.name)
        )
    period = current_period(settings, today)
    fee = fee_for(settings, amount_cents=amount_cents, level_id=level_id)
    already = _(
        "Vous avez déjà adhéré à %(group)s pour %(period)s.", group=group.name, period=period.label
    )
    if membership_for(user.id, group.id, period) is not None:
        raise unique.AlreadyCreatedError(
            already, existing=membership_for(user.id, group.id, period)
        )
    membership = YearlyMembership(
        group_id=group.id,
        user_id=user.id,
        period_starts_on=period.starts_on,
        period_ends_on=period.ends_on,
        amount_cents=fee.amount_cents,
        level_name=fee.name,
    )
    unique.insert_once(
        membership, already, existing=lambda: membership_for(user.id, group.id, period)
    )
    book_entry(
        user_id=user.id,
        group_id=group.id,
        kind=EntryKind.COMMITMENT,
        amount_cents=-fee.amount_cents,
        occurred_on=today,
        **fee_words(group, period).fields(),
        external_reference=membership.commitment_reference,
    )
    return membership


def fee_words(group: Group, period: Period) -> Words:
    """The fee's ledger words: « Adhésion 2026 à AMAP du Coteau », in the reader's language."""
    return words("membership_fee", period=period.label, group=group.name)


def fee_label(group: Group, period: Period) -> str:
    return fee_words(group, period).text()


def record_payment(
    membership: YearlyMembership,
    *,
    method: str,
    bank: str = "",
    cheque_number: str = "",
    recorded_by: User,
    today: date,
    now: datetime,
) -> YearlyMembership:
    """A coordinator records the fee received: the membership is paid, the ledger credited."""
    if method not in {value.value for value in RECORDED_METHODS}:
        raise DomainError(_("Choisissez chèque, espèces ou virement."), field="method")
    bank, cheque_number = " ".join(bank.split()), "".join(cheque_number.split())
    if method == FeeMethod.CHEQUE:
        if not bank:
            raise DomainError(_("Indiquez la banque du chèque."), field="bank")
        if not cheque_number:
            raise DomainError(_("Indiquez le numéro du chèque."), field="cheque_number")
    else:
        bank = cheque_number = ""
    if len(bank) > BANK_MAX or len(cheque_number) > CHEQUE_NUMBER_MAX:
        raise DomainError(_("La banque ou le numéro du chèque est trop long."), field="bank")
    locked = db.session.scalar(
        select(YearlyMembership)
        .where(YearlyMembership.id == membership.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    if locked.is_paid:
        raise DomainError(_("Cette adhésion est déjà réglée."))
    refuse_if_paying_by_card(locked.id)
    recorded_by_id = recorded_by.id
    with db.session.no_autoflush:
        locked.method, locked.bank, locked.cheque_number = method, bank, cheque_number
        locked.paid_at, locked.recorded_by_id = now, recorded_by_id
    db.session.flush()
    group = db.session.get(Group, locked.group_id)
    assert group is not None
    with unique.first_one_wins(_("Cette adhésion est déjà réglée.")):
        book_entry(
            user_id=locked.user_id,
            group_id=locked.group_id,
            kind=EntryKind.PAYMENT,
            amount_cents=locked.amount_cents,
            occurred_on=today,
            **fee_words(group, Period(locked.period_starts_on, locked.period_ends_on)).fields(),
            external_reference=locked.payment_reference,
        )
    return locked


def refuse_if_paying_by_card(membership_id: int) -> None:
    """One settlement at a time: never a cheque on top of a card payment under way."""
    if db.session.scalar(
        select(CardPayment.id).where(
            CardPayment.membership_id == membership_id, CardPayment.state.in_(LIVE_STATES)
        )
    ):
        raise DomainError(
            _(
                "Un paiement par carte est en cours pour cette adhésion : attendez son "
                "résultat avant d'enregistrer un autre règlement. Un paiement laissé sans "
                "confirmation est annulé de lui-même au bout d'un jour."
            )
        )
