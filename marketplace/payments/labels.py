"""Translated names of payment methods and installment states, shared by every screen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.payments.models import InstallmentState, PaymentMethod

METHOD_LABELS = {
    PaymentMethod.CARD.value: _l("Carte bancaire"),
    PaymentMethod.SEPA.value: _l("Prélèvement SEPA"),
    PaymentMethod.CHEQUE.value: _l("Chèque"),
    PaymentMethod.CASH.value: _l("Espèces"),
    PaymentMethod.TRANSFER.value: _l("Virement bancaire"),
    PaymentMethod.DIRECT_DEBIT.value: _l("Prélèvement par l'AMAP"),
}

INSTALLMENT_STATE_LABELS = {
    InstallmentState.PLANNED.value: _l("À payer"),
    InstallmentState.PENDING.value: _l("Paiement en cours"),
    InstallmentState.PAID.value: _l("Payée"),
    InstallmentState.FAILED.value: _l("Paiement refusé"),
    InstallmentState.HANDED_OVER.value: _l("Payée et reversée au producteur"),
    InstallmentState.CANCELLED.value: _l("Annulée"),
}
