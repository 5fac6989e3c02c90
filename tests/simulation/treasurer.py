"""The treasurer's week in the season: each group's coordinator deposits the cheques that may
be cashed at the bank, the second group hands the egg producer its cheques directly once a
month, and every four weeks a payout run pays the producers what the association owes them.
"""

from __future__ import annotations

from datetime import date

from marketplace.books import accounts, owed, payouts, remittances
from marketplace.extensions import db
from marketplace.groups.models import Group

# Valid IBANs (check digits right), on bank codes no real account uses.
GROUP_IBANS = ["FR7630006000011234567890189", "FR1420041010050500013M02606"]
PRODUCER_IBAN = "DE89370400440532013000"


def open_bank_accounts(sim) -> None:
    for group in sim.territory.groups:
        accounts.save_account(
            organisation_id=group.group_id,
            holder=f"AMAP {group.index + 1}",
            iban=GROUP_IBANS[group.index % len(GROUP_IBANS)],
            bic="",
        )
    for producer_id in sim.producer_ids:
        accounts.save_account(
            organisation_id=producer_id,
            holder=f"Ferme {producer_id}",
            iban=PRODUCER_IBAN,
            bic="COBADEFFXXX",
        )
    db.session.commit()


def treasurer(sim, day_number: int, today: date) -> None:
    if day_number == 0:
        open_bank_accounts(sim)
    if day_number % 7 != 4:  # Fridays of the season, more or less
        return
    for group in sim.territory.groups:
        lines = remittances.pending_cheques(group.group_id)
        if group.index == 1 and day_number % 28 == 4:
            for slip in remittances.producer_slips(lines):
                if slip.producer_id != group.eggs_producer_id:
                    continue
                sim.act(
                    "chèques remis au producteur",
                    remittances.remit,
                    group_id=group.group_id,
                    kind="producer",
                    payment_ids=[line.payment_id for line in slip.lines],
                    producer_id=slip.producer_id,
                    created_by_id=group.coordinator_id,
                    today=today,
                    now=sim.now(),
                )
            lines = remittances.pending_cheques(group.group_id)
        bank = remittances.bank_slip(lines, today=today)
        if bank.lines:
            sim.act(
                "chèques remis en banque",
                remittances.remit,
                group_id=group.group_id,
                kind="bank",
                payment_ids=[line.payment_id for line in bank.lines],
                producer_id=None,
                created_by_id=group.coordinator_id,
                today=today,
                now=sim.now(),
            )
        if day_number % 28 == 18:
            due = [b.producer_id for b in owed.balances(group.group_id) if b.owed_cents > 0]
            if due:
                sim.act(
                    "virements aux producteurs",
                    payouts.make_run,
                    group=db.session.get(Group, group.group_id),
                    producer_ids=due,
                    created_by_id=group.coordinator_id,
                    today=today,
                )
