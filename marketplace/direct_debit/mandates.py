"""The group's creditor settings, households' mandates, and which subscriptions they pay.

A mandate is signed online: its reference (RUM), date, signer, IP address and the exact text
shown are kept as they were (the model refuses any change but the revocation). Choosing it for
a subscription makes the subscription's installments debited by the group; revoking it gives
each subscription back the method it had before.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask import render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace import unique
from marketplace.accounts.models import User
from marketplace.baskets.models import Subscription, SubscriptionStatus
from marketplace.baskets.payment_offers import PaymentOffer, SignupChoice
from marketplace.direct_debit.identifiers import bic_of, clean_bic, clean_iban, clean_ics
from marketplace.direct_debit.models import (
    MAX_NOTICE_DAYS,
    MIN_NOTICE_DAYS,
    DebitChoice,
    DebitMandate,
    DebitSettings,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.payments.models import PaymentMethod

NAME_MAX = 70


@dataclass(frozen=True)
class SettingsData:
    creditor_id: str
    creditor_name: str
    iban: str
    bic: str
    notice_days: int


def settings_of(group_id: int) -> DebitSettings | None:
    return db.session.scalars(
        select(DebitSettings).where(DebitSettings.group_id == group_id)
    ).first()


def save_settings(group: Organisation, data: SettingsData) -> DebitSettings:
    """Check every identifier first: a wrong one changes nothing."""
    creditor_id = clean_ics(data.creditor_id)
    iban = clean_iban(data.iban)
    bic = clean_bic(data.bic) if data.bic.strip() else bic_of(iban)
    if not bic:
        raise DomainError(_("Indiquez le BIC de la banque du compte."), field="bic")
    name = data.creditor_name.strip()
    if not name or len(name) > NAME_MAX:
        raise DomainError(
            _("Indiquez le nom du créancier (70 caractères au plus)."), field="creditor_name"
        )
    if not MIN_NOTICE_DAYS <= data.notice_days <= MAX_NOTICE_DAYS:
        raise DomainError(
            _(
                "Le délai de prévenance va de %(low)d à %(high)d jours.",
                low=MIN_NOTICE_DAYS,
                high=MAX_NOTICE_DAYS,
            ),
            field="notice_days",
        )
    settings = settings_of(group.id)
    values = dict(
        creditor_id=creditor_id,
        creditor_name=name,
        iban=iban,
        bic=bic,
        notice_days=data.notice_days,
    )
    if settings is None:
        return unique.insert_once(
            DebitSettings(group_id=group.id, **values),
            _("Les réglages viennent d'être enregistrés : rechargez la page."),
            existing=lambda: settings_of(group.id),
        )
    for name_, value in values.items():
        setattr(settings, name_, value)
    db.session.flush()
    return settings


def live_mandate(group_id: int, user_id: int) -> DebitMandate | None:
    return db.session.scalars(
        select(DebitMandate).where(
            DebitMandate.group_id == group_id,
            DebitMandate.user_id == user_id,
            DebitMandate.revoked_at.is_(None),
        )
    ).first()


def _reference_prefix(group: Organisation) -> str:
    return re.sub(r"[^A-Z0-9-]", "", group.slug.upper())[:14]


def new_reference(group: Organisation) -> str:
    """A mandate reference (RUM): unique, at most 35 characters of the SEPA alphabet."""
    return f"{_reference_prefix(group)}-{secrets.token_hex(8).upper()}"


def is_reference_of(group: Organisation, reference: str) -> bool:
    """Made by new_reference for this group (the page carries it between two steps)."""
    return (
        re.fullmatch(rf"{re.escape(_reference_prefix(group))}-[0-9A-F]{{16}}", reference)
        is not None
    )


def mandate_text(
    settings: DebitSettings, *, reference: str, signer: str, iban: str, bic: str, language: str
) -> str:
    """The mandate's exact wording shown to the household (kept with its signature)."""
    with force_locale(language):
        return render_template(
            "direct_debit/mandate_text.txt",
            settings=settings,
            reference=reference,
            signer=signer,
            iban=iban,
            bic=bic,
        ).strip()


def sign(
    *,
    group: Organisation,
    user: User,
    signer_name: str,
    iban: str,
    bic: str,
    shown_text: str,
    reference: str,
    ip_address: str,
    now: datetime,
    today: date,
) -> DebitMandate:
    """Keep the mandate the household accepted, with the text it was shown."""
    settings = settings_of(group.id)
    if settings is None:
        raise DomainError(_("Ce groupe ne prélève pas lui-même pour l'instant."))
    signer = signer_name.strip()
    if not signer or len(signer) > NAME_MAX:
        raise DomainError(_("Indiquez le nom du titulaire du compte."), field="signer_name")
    if not is_reference_of(group, reference):
        raise DomainError(_("Le texte du mandat a changé : relisez-le et signez à nouveau."))
    clean = clean_iban(iban)
    bank = clean_bic(bic) if bic.strip() else bic_of(clean)
    if not bank:
        raise DomainError(_("Indiquez le BIC de votre banque."), field="bic")
    expected = mandate_text(
        settings, reference=reference, signer=signer, iban=clean, bic=bank, language=user.language
    )
    if " ".join(shown_text.split()) != " ".join(expected.split()):
        # The household must sign the very text it read: not one edited in the page.
        raise DomainError(_("Le texte du mandat a changé : relisez-le et signez à nouveau."))
    return unique.insert_once(
        DebitMandate(
            group_id=group.id,
            user_id=user.id,
            reference=reference,
            signed_on=today,
            signed_at=now,
            signer_name=signer,
            iban=clean,
            bic=bank,
            ip_address=(ip_address or "")[:45],
            mandate_text=expected,
            creditor_id=settings.creditor_id,
            creditor_name=settings.creditor_name,
        ),
        _("Vous avez déjà un mandat en cours dans ce groupe."),
        existing=lambda: live_mandate(group.id, user.id),
    )


def revoke(mandate: DebitMandate, now: datetime) -> None:
    """No more debits under it: each subscription paid by it gets its former method back."""
    if mandate.revoked_at is not None:
        return
    choices = list(
        db.session.scalars(select(DebitChoice).where(DebitChoice.mandate_id == mandate.id))
    )
    for choice in choices:
        subscription = db.session.get(Subscription, choice.subscription_id)
        if subscription is not None:
            subscription.payment_method = choice.previous_method
        db.session.delete(choice)
    mandate.revoked_at = now
    db.session.flush()


def subscriptions_of(group_id: int, user_id: int) -> list[Subscription]:
    return list(
        db.session.scalars(
            select(Subscription)
            .where(
                Subscription.group_id == group_id,
                Subscription.user_id == user_id,
                Subscription.status == SubscriptionStatus.ACTIVE.value,
            )
            .order_by(Subscription.id)
        )
    )


def choose_for(subscription: Subscription, mandate: DebitMandate) -> None:
    """The subscription's installments will be debited under the mandate."""
    if (
        mandate.revoked_at is not None
        or subscription.user_id != mandate.user_id
        or subscription.group_id != mandate.group_id
        or subscription.status != SubscriptionStatus.ACTIVE.value
    ):
        raise DomainError(_("Ce contrat ne peut pas être payé par ce mandat."))
    if subscription.payment_method == PaymentMethod.DIRECT_DEBIT.value:
        return
    unique.insert_once(
        DebitChoice(
            subscription_id=subscription.id,
            mandate_id=mandate.id,
            previous_method=subscription.payment_method,
        ),
        _("Ce contrat est déjà payé par prélèvement."),
    )
    subscription.payment_method = PaymentMethod.DIRECT_DEBIT.value
    db.session.flush()


def mandate_for_subscription(subscription_ids: list[int]) -> dict[int, DebitMandate]:
    """The live mandate debiting each subscription (one query)."""
    if not subscription_ids:
        return {}
    rows = db.session.execute(
        select(DebitChoice.subscription_id, DebitMandate)
        .join(DebitMandate, DebitMandate.id == DebitChoice.mandate_id)
        .where(DebitChoice.subscription_id.in_(subscription_ids), DebitMandate.revoked_at.is_(None))
    ).all()
    return {subscription_id: mandate for subscription_id, mandate in rows}


def payment_offer(subscription: Subscription) -> PaymentOffer | None:
    """On a contract's page (baskets.payment_offers): paying it by the group's own debit,
    when the group collects debits and the contract is paid another way."""
    if subscription.payment_method == PaymentMethod.DIRECT_DEBIT.value:
        return None
    if settings_of(subscription.group_id) is None:
        return None
    group = db.session.get(Organisation, subscription.group_id)
    return PaymentOffer(
        text=_("Votre groupe peut prélever lui-même les échéances de ce contrat."),
        link_label=_("Payer ce contrat par prélèvement"),
        url=url_for("direct_debit.mandate", slug=group.slug),
    )


def _after_signup(subscription: Subscription) -> str:
    """Chosen on the sign-up form: a live mandate pays the new contract at once; otherwise the
    household signs one next, and the contract goes on it (the mandate page carries its id)."""
    group = db.session.get(Organisation, subscription.group_id)
    live = live_mandate(subscription.group_id, subscription.user_id)
    if live is not None:
        choose_for(subscription, live)
        return url_for("direct_debit.mandate", slug=group.slug)
    return url_for("direct_debit.mandate", slug=group.slug, contract=subscription.id)


def signup_choice() -> SignupChoice:
    """The group's own direct debit, offered on its contracts' sign-up forms
    (baskets.payment_offers) when the group collects debits."""
    return SignupChoice(
        code=PaymentMethod.DIRECT_DEBIT.value,
        label=lambda: _("Prélèvement sur mon compte (mandat SEPA)"),
        offered=lambda group_id: settings_of(group_id) is not None,
        after=_after_signup,
    )
