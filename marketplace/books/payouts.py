"""Payout runs: coordinators pay the producers what the association owes them, by one SEPA
credit transfer file for the association's bank, and the payouts are recorded so the next
statement subtracts them.

A run pays no more than what is owed when it is made; each producer's payouts are numbered
(unique per group and producer), so two runs computed from the same balance cannot both be
recorded: the second gets a clear message and nothing is paid twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace import unique
from marketplace.books import accounts
from marketplace.books.models import BankAccount, Payout, PayoutRun
from marketplace.books.owed import balances
from marketplace.books.sepa import Transfer, credit_transfer_file
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.groups.models import Group


def _next_sequences(group_id: int, producer_ids: set[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Payout.producer_id, func.max(Payout.sequence))
        .where(Payout.group_id == group_id, Payout.producer_id.in_(producer_ids))
        .group_by(Payout.producer_id)
    )
    last = {producer_id: sequence for producer_id, sequence in rows}
    return {producer_id: last.get(producer_id, 0) + 1 for producer_id in producer_ids}


def make_run(
    *,
    group: Group,
    producer_ids: Iterable[int],
    created_by_id: int,
    today: date,
) -> PayoutRun:
    """Pay each chosen producer everything it is owed today; all or nothing."""
    chosen = set(producer_ids)
    if not chosen:
        raise DomainError(_("Cochez au moins un producteur à payer."))
    debtor = accounts.account_of(group.id)
    if debtor is None:
        raise DomainError(
            _("Enregistrez d'abord le compte bancaire de l'association (IBAN et BIC).")
        )
    owed = {balance.producer_id: balance for balance in balances(group.id, until=today)}
    payees = {
        account.organisation_id: account
        for account in db.session.scalars(
            select(BankAccount).where(BankAccount.organisation_id.in_(chosen))
        )
    }
    for producer_id in sorted(chosen):
        balance = owed.get(producer_id)
        if balance is None or balance.owed_cents <= 0:
            raise DomainError(
                _("Un des producteurs cochés n'a rien à recevoir : rechargez la page.")
            )
        if producer_id not in payees:
            raise DomainError(
                _(
                    "%(name)s n'a pas de compte bancaire enregistré : ajoutez son IBAN "
                    "avant de le payer.",
                    name=balance.producer_name,
                )
            )
    sequences = _next_sequences(group.id, chosen)
    transfers, payouts = [], []
    for producer_id in sorted(chosen):
        balance, payee = owed[producer_id], payees[producer_id]
        end_to_end = f"AMAP{group.id}-P{producer_id}-{sequences[producer_id]}"
        transfers.append(
            Transfer(
                name=payee.holder,
                iban=payee.iban,
                bic=payee.bic,
                amount_cents=balance.owed_cents,
                description=_("Reversement %(group)s", group=group.name),
                end_to_end_id=end_to_end,
            )
        )
        payouts.append(
            Payout(
                group_id=group.id,
                producer_id=producer_id,
                sequence=sequences[producer_id],
                amount_cents=balance.owed_cents,
                paid_on=today,
                iban=payee.iban,
                end_to_end_id=end_to_end,
            )
        )
    message_id, xml = credit_transfer_file(
        debtor_name=debtor.holder,
        debtor_iban=debtor.iban,
        debtor_bic=debtor.bic,
        execution_on=today,
        transfers=transfers,
    )
    run = PayoutRun(
        group_id=group.id,
        message_id=message_id,
        execution_on=today,
        total_cents=sum(payout.amount_cents for payout in payouts),
        created_by_id=created_by_id,
        xml=xml.decode("utf-8"),
    )
    with unique.first_one_wins(
        _("Ces sommes viennent d'être payées par un autre virement : rechargez la page.")
    ):
        db.session.add(run)
        for payout in payouts:
            payout.run = run
            db.session.add(payout)
    return run


def runs(group_id: int) -> list[PayoutRun]:
    return list(
        db.session.scalars(
            select(PayoutRun).where(PayoutRun.group_id == group_id).order_by(PayoutRun.id.desc())
        )
    )
