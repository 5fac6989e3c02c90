"""Card payment rows and what Stripe says about them: attempts, final states, ledger entries.

Stripe's answers (the API's and the webhooks') can arrive late, twice, or in any order, so a
row only ever moves forward (`_RANK`): a late "failed" never undoes "succeeded", a second
"succeeded" books nothing, and each ledger entry carries the Stripe id it comes from (the
ledger's unique external reference is the last guard).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.cards import fees, gateway
from marketplace.cards.entry_labels import offer_of, payment_label, refund_label
from marketplace.cards.gateway import as_dict
from marketplace.cards.models import (
    LIVE_CARD_PAYMENT_STATES,
    STRIPE_METHODS,
    CardPayment,
    CardPaymentState,
    SavedPaymentMethod,
)
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.ledger import book_entry
from marketplace.payments.models import EntryKind, Installment, InstallmentState, LedgerEntry
from marketplace.timezones import paris_today

_RANK = {
    CardPaymentState.CREATING: 0,
    CardPaymentState.REQUIRES_ACTION: 1,
    CardPaymentState.PROCESSING: 2,
    CardPaymentState.FAILED: 3,
    CardPaymentState.CANCELED: 3,
    CardPaymentState.SUCCEEDED: 4,
}
PAID_INSTALLMENT_STATES = (InstallmentState.PAID.value, InstallmentState.HANDED_OVER.value)
SETTLED_STATES = (*PAID_INSTALLMENT_STATES, InstallmentState.CANCELLED.value)
# Planned or failed: nothing else (an offline payment recorded, a debit) is settling it.
PAYABLE_INSTALLMENT_STATES = (InstallmentState.PLANNED.value, InstallmentState.FAILED.value)
LIVE_STATES = tuple(state.value for state in LIVE_CARD_PAYMENT_STATES)


# --- Attempts ----------------------------------------------------------------------------------


def new_payment(
    *,
    user: User,
    group_id: int,
    amount_cents: int,
    installment: Installment | None = None,
    order: Any = None,
    membership_id: int | None = None,
    off_session: bool = False,
    method: str = "card",
) -> CardPayment:
    """Write the row of a new attempt, before Stripe is called (its idempotency key is fixed).

    `order` is a shop Order (any object with an `id`); `membership_id` a yearly membership
    whose fee is paid (cards/fees.py). Refuses a second attempt while one is under way for
    the same installment, order or fee.
    """
    if method not in STRIPE_METHODS:
        raise DomainError(_("Ce moyen de paiement n'est pas accepté en ligne."), field="method")
    if [installment, order, membership_id].count(None) != 2:
        raise ValueError("A card payment pays exactly one installment, order or fee.")
    if membership_id is not None:
        # Locked and read again: a coordinator may have recorded a cheque since the page.
        amount_cents = fees.hooks().lock_unpaid(membership_id)
    if installment is not None:
        # Read again under a lock: the scheduler, a coordinator or another tab may have
        # paid, recorded or re-priced it since the page was shown. Its amount is the one paid.
        installment = _locked_installment(installment.id)
        amount_cents = installment.amount_cents
        if installment.state in PAID_INSTALLMENT_STATES:
            raise DomainError(_("Cette échéance est déjà payée."))
        if installment.state not in PAYABLE_INSTALLMENT_STATES:
            raise DomainError(
                _("Un règlement est déjà enregistré pour cette échéance : elle n'est plus à payer.")
            )
    if amount_cents <= 0:
        raise DomainError(_("Le montant à payer doit être positif."))
    if installment is not None:
        target, prefix = CardPayment.installment_id == installment.id, f"inst-{installment.id}"
    elif order is not None:
        target, prefix = CardPayment.order_id == order.id, f"order-{order.id}"
    else:
        target, prefix = CardPayment.membership_id == membership_id, f"fee-{membership_id}"
    if db.session.scalar(select(CardPayment.id).where(target, CardPayment.state.in_(LIVE_STATES))):
        raise DomainError(_("Un paiement est déjà en cours : attendez son résultat."))
    attempt = (db.session.scalar(select(func.max(CardPayment.attempt)).where(target)) or 0) + 1
    payment = CardPayment(
        user_id=user.id,
        user=user,
        group_id=group_id,
        installment_id=installment.id if installment is not None else None,
        order_id=order.id if order is not None else None,
        membership_id=membership_id,
        amount_cents=amount_cents,
        method=method,
        off_session=off_session,
        attempt=attempt,
        idempotency_key=f"{prefix}-{attempt}",
        state=CardPaymentState.CREATING.value,
    )
    try:
        with db.session.begin_nested():
            db.session.add(payment)
    except IntegrityError as error:
        # Two requests at the same instant: the partial unique index kept only one.
        raise DomainError(_("Un paiement est déjà en cours : attendez son résultat.")) from error
    return payment


def _locked_installment(installment_id: int) -> Installment:
    return db.session.scalars(
        select(Installment)
        .where(Installment.id == installment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def live_attempts(installment_ids) -> list[CardPayment]:
    """The attempts under way on these installments (at most one each: a database rule)."""
    ids = list(installment_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(CardPayment).where(
                CardPayment.installment_id.in_(ids), CardPayment.state.in_(LIVE_STATES)
            )
        )
    )


def payment_for_intent(intent_id: str) -> CardPayment | None:
    return db.session.scalar(
        select(CardPayment).where(CardPayment.stripe_payment_intent_id == intent_id)
    )


# --- What Stripe says --------------------------------------------------------------------------


def state_of_intent(intent: Any) -> CardPaymentState:
    """Our state for a PaymentIntent's status."""
    intent = as_dict(intent)
    status = intent["status"]
    if status == "succeeded":
        return CardPaymentState.SUCCEEDED
    if status in ("processing", "requires_capture"):
        return CardPaymentState.PROCESSING
    if status == "canceled":
        return CardPaymentState.CANCELED
    if status == "requires_payment_method" and _last_error(intent):
        return CardPaymentState.FAILED  # declined: a new attempt is needed
    return CardPaymentState.REQUIRES_ACTION  # waiting for the household (card, 3-D Secure)


def _last_error(intent: Any) -> dict[str, str] | None:
    error = intent.get("last_payment_error")
    return dict(error) if error else None


def record_intent(payment: CardPayment, intent: Any) -> None:
    """Move the row to the intent's state; book the payment once when it succeeded."""
    intent = as_dict(intent)
    if payment.stripe_payment_intent_id is None:
        payment.stripe_payment_intent_id = intent["id"]
    state = state_of_intent(intent)
    if state == CardPaymentState.FAILED:
        error = _last_error(intent) or {}
        record_failure(
            payment,
            code=error.get("decline_code") or error.get("code") or "card_declined",
            message=error.get("message") or "",
        )
        return
    if not _moves_forward(payment, state):
        return
    payment.state = state.value
    if state == CardPaymentState.SUCCEEDED:
        if payment.fee_cents is None:
            payment.fee_cents = gateway.fee_cents(intent)
        _book_success(payment)
        if not payment.off_session:
            _vouched_for(payment.user_id, intent.get("payment_method"))
    elif state == CardPaymentState.PROCESSING and _installment_unpaid(payment):
        payment.installment.state = InstallmentState.PENDING.value
    db.session.flush()


def record_failure(payment: CardPayment, *, code: str, message: str) -> None:
    """The charge was declined (from the intent, a webhook, or a `CardDeclined` error)."""
    if not _moves_forward(payment, CardPaymentState.FAILED):
        return
    payment.state = CardPaymentState.FAILED.value
    payment.failure_code = code[:80]
    payment.failure_message = message[:300]
    installment = payment.installment
    household_absent = payment.off_session or payment.method == "sepa_debit"
    # A card refused while the household types it is not a failed installment: it simply
    # tries another card. A charge made without it (saved card, SEPA debit) is.
    if installment is not None and household_absent:
        if installment.state not in PAID_INSTALLMENT_STATES:
            installment.state = InstallmentState.FAILED.value
        db.session.flush()
        from marketplace.cards.dunning import on_charge_failed

        on_charge_failed(payment)
    db.session.flush()


def record_canceled(payment: CardPayment) -> None:
    if _moves_forward(payment, CardPaymentState.CANCELED):
        payment.state = CardPaymentState.CANCELED.value
        _release_pending_installment(payment)
        db.session.flush()


def _moves_forward(payment: CardPayment, state: CardPaymentState) -> bool:
    current = CardPaymentState(payment.state)
    if current == state:
        return False
    return _RANK[state] > _RANK[current]


def _installment_unpaid(payment: CardPayment) -> bool:
    installment = payment.installment
    return installment is not None and installment.state not in PAID_INSTALLMENT_STATES


def _release_pending_installment(payment: CardPayment) -> None:
    installment = payment.installment
    if installment is not None and installment.state == InstallmentState.PENDING.value:
        installment.state = InstallmentState.PLANNED.value


def _vouched_for(user_id: int, stripe_method_id: Any) -> None:
    """The household paid online with a method refused before: it may be charged again."""
    if isinstance(stripe_method_id, dict):
        stripe_method_id = stripe_method_id.get("id")
    if not isinstance(stripe_method_id, str):
        return
    for saved in db.session.scalars(
        select(SavedPaymentMethod).where(
            SavedPaymentMethod.user_id == user_id,
            SavedPaymentMethod.stripe_payment_method_id == stripe_method_id,
            SavedPaymentMethod.declined_at.is_not(None),
        )
    ):
        saved.declined_at = None


def _book_success(payment: CardPayment) -> None:
    if payment.membership_id is not None:
        _book_fee(payment)
        return
    installment = payment.installment
    settled_before = installment is not None and installment.state in SETTLED_STATES
    if payment.ledger_entry_id is None:
        payment.ledger_entry_id = _book_once(
            payment,
            kind=EntryKind.PAYMENT,
            amount_cents=payment.amount_cents,
            reference=payment.stripe_payment_intent_id,
            label=payment_label,
        ).id
    if settled_before:
        # Paid another way (or given up) meanwhile: the money goes back to the household.
        db.session.flush()
        from marketplace.cards.duplicates import give_back

        give_back(payment)
        return
    if installment is not None and installment.state not in PAID_INSTALLMENT_STATES:
        installment.state = InstallmentState.PAID.value
        installment.paid_at = utcnow()
        installment.charge_retry_on = None


def _book_fee(payment: CardPayment) -> None:
    """A fee paid by card: booked once under the fee's own reference, the one a coordinator's
    cheque would use, so the two can never both count; if it was paid another way meanwhile,
    the card money is booked under the intent's id and given back."""
    if payment.ledger_entry_id is not None:
        return
    assert payment.membership_id is not None
    settled = fees.hooks().settle(payment.membership_id)
    if settled is not None:
        reference, label = settled
        payment.ledger_entry_id = _book_once(
            payment,
            kind=EntryKind.PAYMENT,
            amount_cents=payment.amount_cents,
            reference=reference,
            label=lambda _payment: label,
        ).id
        return
    payment.ledger_entry_id = _book_once(
        payment,
        kind=EntryKind.PAYMENT,
        amount_cents=payment.amount_cents,
        reference=payment.stripe_payment_intent_id,
        label=payment_label,
    ).id
    db.session.flush()
    from marketplace.cards.duplicates import give_back

    give_back(payment)


def _book_once(payment: CardPayment, *, kind: EntryKind, amount_cents: int, reference, label):
    existing = db.session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.group_id == payment.group_id, LedgerEntry.external_reference == reference
        )
    )
    if existing is not None:
        return existing
    installment = payment.installment
    subscription_id = installment.subscription_id if installment is not None else None
    entry = book_entry(
        user_id=payment.user_id,
        group_id=payment.group_id,
        kind=kind,
        amount_cents=amount_cents,
        occurred_on=paris_today(),
        **label(payment).fields(),
        # The contract the euros go to: the producer's prefinancing statement counts them.
        offer_id=offer_of(subscription_id),
        subscription_id=subscription_id,
        installment_id=payment.installment_id,
        order_id=payment.order_id,
        external_reference=reference,
    )
    return entry


# --- Refunds -----------------------------------------------------------------------------------


def record_refund(payment: CardPayment, *, refund_id: str, amount_cents: int) -> bool:
    """Book a Stripe refund once (by its id); True if it was new."""
    if db.session.scalar(
        select(LedgerEntry.id).where(
            LedgerEntry.group_id == payment.group_id, LedgerEntry.external_reference == refund_id
        )
    ):
        return False
    if payment.refunded_cents + amount_cents > payment.amount_cents:
        raise ValueError(f"Refund {refund_id} exceeds what is left of payment {payment.id}.")
    _book_once(
        payment,
        kind=EntryKind.REFUND,
        amount_cents=-amount_cents,
        reference=refund_id,
        label=refund_label,
    )
    payment.refunded_cents += amount_cents
    db.session.flush()
    return True


def refundable_cents(payment: CardPayment) -> int:
    if payment.state != CardPaymentState.SUCCEEDED.value:
        return 0
    return payment.amount_cents - payment.refunded_cents


def book_adjustment(payment: CardPayment, *, amount_cents: int, reference: str, label) -> bool:
    """Book a correction of `payment` (a dispute, a SEPA return) once, by its reference."""
    if db.session.scalar(
        select(LedgerEntry.id).where(
            LedgerEntry.group_id == payment.group_id, LedgerEntry.external_reference == reference
        )
    ):
        return False
    _book_once(
        payment,
        kind=EntryKind.ADJUSTMENT,
        amount_cents=amount_cents,
        reference=reference,
        label=label,
    )
    db.session.flush()
    return True
