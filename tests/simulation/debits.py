"""Households paying by direct debit through their group's own bank, in the season.

The first group collects its own debits (an ICS, its account, 14 days' notice). A few of its
cheque households sign a mandate online and put each contract on it the day they sign up
(renewals too). The scheduler's job sends each pre-notification; every Monday the coordinator
builds the week's pain.008 batch; once a batch's collection date has passed, the bank's
camt.053 statement is imported (twice: the second import changes nothing). The second batch
of the season has one debit returned (AM04, insufficient funds): the household is told, the
coordinator sees it in the follow-up, and the household then pays it by transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.baskets.models import Subscription
from marketplace.direct_debit import batches, mandates, reconcile, statements
from marketplace.direct_debit.models import BatchState, DebitBatch, ItemState
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.payments import offline
from marketplace.payments.models import Installment
from tests.direct_debit.scene import HOUSEHOLD_IBANS, ICS, camt053

if TYPE_CHECKING:
    from tests.simulation.engine import Simulation

HOUSEHOLDS = 3  # of the first group, among those paying by cheque


@dataclass
class DebitPlan:
    group_id: int | None = None
    user_ids: list[int] = field(default_factory=list)
    returned_installments: set[int] = field(default_factory=set)
    batches_built: int = 0
    statements: int = 0


def set_up(sim: Simulation) -> None:
    group = sim.territory.groups[0]
    sim.debits.group_id = group.group_id
    organisation = db.session.get(Organisation, group.group_id)
    sim.act(
        "réglages du prélèvement",
        mandates.save_settings,
        organisation,
        mandates.SettingsData(ICS, "AMAP simulée", "FR7630006000011234567890189", "", 14),
    )
    cheques = [h for h in sim.households_of(group) if h.method == "cheque"]
    sim.debits.user_ids = [h.user_id for h in cheques[:HOUSEHOLDS]]


def _sign(sim: Simulation, user: User, organisation: Organisation, position: int) -> None:
    settings = mandates.settings_of(organisation.id)
    reference = mandates.new_reference(organisation)
    iban = HOUSEHOLD_IBANS[position % len(HOUSEHOLD_IBANS)]
    bic = mandates.bic_of(iban) or "COBADEFFXXX"
    text = mandates.mandate_text(
        settings, reference=reference, signer=user.name, iban=iban, bic=bic, language="fr"
    )
    sim.act(
        "mandat signé",
        mandates.sign,
        group=organisation,
        user=user,
        signer_name=user.name,
        iban=iban,
        bic=bic,
        shown_text=text,
        reference=reference,
        ip_address="198.51.100.1",
        now=sim.now(),
        today=sim.today(),
    )


def daily(sim: Simulation, today: date) -> None:
    plan = sim.debits
    if plan.group_id is None:
        return
    organisation = db.session.get(Organisation, plan.group_id)
    for position, user_id in enumerate(plan.user_ids):
        subscriptions = mandates.subscriptions_of(plan.group_id, user_id)
        # A contract the household just signed up for (by cheque) goes on its mandate.
        to_move = [s for s in subscriptions if s.payment_method == "cheque"]
        if not to_move:
            continue
        if mandates.live_mandate(plan.group_id, user_id) is None:
            _sign(sim, db.session.get(User, user_id), organisation, position)
        mandate = mandates.live_mandate(plan.group_id, user_id)
        for subscription in to_move:
            sim.act("contrat payé par prélèvement", mandates.choose_for, subscription, mandate)
    coordinator = sim.coordinator_of_group[plan.group_id]
    if today.weekday() == 0 and batches.due_debits(plan.group_id, today):
        batch = sim.act(
            "lot de prélèvements",
            batches.build_batch,
            group_id=plan.group_id,
            settings=mandates.settings_of(plan.group_id),
            request_key=f"sim-{plan.group_id}-{today.isoformat()}",
            created_by_id=coordinator,
            today=today,
        )
        if batch is not None:
            plan.batches_built += 1
    _bank_statement(sim, organisation, coordinator, today)
    _returned_paid_by_transfer(sim, coordinator, today)


def _bank_statement(sim: Simulation, organisation, coordinator: int, today: date) -> None:
    """The bank credits each batch after its last collection date (less one return)."""
    plan = sim.debits
    due = [
        batch
        for batch in db.session.scalars(
            select(DebitBatch).where(
                DebitBatch.group_id == organisation.id,
                DebitBatch.state == BatchState.SUBMITTED.value,
            )
        )
        if max(item.collection_date for item in batch.items) < today
    ]
    for batch in due:
        entries = []
        items = [item for item in batch.items if item.state == ItemState.SUBMITTED.value]
        returned = items[0] if plan.batches_built >= 2 and not plan.returned_installments else None
        credited = sum(item.amount_cents for item in items)
        entries.append(
            dict(
                entry_ref=f"CR-{batch.reference}",
                amount_cents=credited,
                booked_on=today,
                reference=batch.reference,
                label="REMISE PRLV SEPA",
            )
        )
        if returned is not None:
            plan.returned_installments.add(returned.installment_id)
            entries.append(
                dict(
                    entry_ref=f"RT-{returned.end_to_end_id}",
                    amount_cents=-returned.amount_cents,
                    booked_on=today,
                    reference=returned.end_to_end_id,
                    label="RETOUR PRLV",
                    return_code="AM04",
                )
            )
        data = camt053(entries, statement_id=f"S-{batch.id}")
        for _ in range(2):  # the same statement imported twice: the second changes nothing
            sim.act(
                "relevé bancaire importé",
                reconcile.import_lines,
                organisation,
                statements.parse(data, "releve.xml"),
                by_id=coordinator,
                today=today,
                now=sim.now(),
            )
        plan.statements += 1


def _returned_paid_by_transfer(sim: Simulation, coordinator: int, today: date) -> None:
    """After the return's emails, the household pays the installment by transfer."""
    for installment_id in sim.debits.returned_installments:
        installment = db.session.get(Installment, installment_id)
        if installment.state != "failed":
            continue
        subscription = db.session.get(Subscription, installment.subscription_id)
        payments = sim.act(
            "prélèvement rejeté payé par virement",
            offline.record_payments,
            group_id=subscription.group_id,
            user_id=subscription.user_id,
            lines=[offline.PaymentLine(0, installment.id, "transfer", installment.amount_cents)],
            recorded_by_id=coordinator,
        )
        if payments:
            sim.act(
                "virement reçu",
                offline.mark_received,
                group_id=subscription.group_id,
                payment_ids=[payment.id for payment in payments],
                now=sim.now(),
                today=today,
            )


def summary_note(sim: Simulation) -> str:
    plan = sim.debits
    return (
        f"prélèvements par le groupe : {len(plan.user_ids)} foyers, {plan.batches_built} lots, "
        f"{plan.statements} relevés, {len(plan.returned_installments)} rejet(s)"
    )
