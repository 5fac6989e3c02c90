"""Ledger label words

Each ledger entry keeps its French label and gains what it says: a kind of label and its
parameters, written in the reader's language at display. Existing entries whose French label
is recognised get their kind; the others keep their label only (shown as stored). Distribution
days likewise: the calendar's own notes (a public holiday, a suspended calendar) get their kind,
a coordinator's reason stays as typed; and the mobile grocery's runs.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 20:30:00

"""

import re
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
DATE = r"(\d{1,2})(?:er)? (" + "|".join(MONTHS) + r") (\d{4})"
METHODS = {"carte bancaire": "card", "prélèvement SEPA": "sepa_debit"}
OFFLINE_METHODS = {"Espèces": "cash", "Virement bancaire": "transfer"}

FIXED = {
    "Don au fonds de solidarité": ("donation_gift", {}),
    "Don non dû — livraisons résiliées": ("donation_withdrawn", {}),
    "Prélèvement SEPA par le groupe": ("group_debit", {}),
    "Prélèvement SEPA rejeté par la banque": ("debit_returned", {}),
    "Paiement par carte contesté auprès de la banque": ("card_disputed", {}),
    "Contestation gagnée : paiement rétabli": ("dispute_won", {}),
    "Remboursement de l'avoir par chèque": ("credit_refund_cheque", {}),
    "Remboursement de l'avoir par virement": ("credit_refund_transfer", {}),
    **{
        f"Paiement d'une échéance par {name}": ("card_installment_payment", {"method": method})
        for name, method in METHODS.items()
    },
    **{
        f"Paiement d'une adhésion par {name}": ("card_fee_payment", {"method": method})
        for name, method in METHODS.items()
    },
    **{
        f"Remboursement sur {name}": ("card_refund", {"method": method})
        for name, method in METHODS.items()
    },
    **{name: ("offline_payment", {"method": method}) for name, method in OFFLINE_METHODS.items()},
}


def _day(day: str, month: str, year: str) -> str:
    return date(int(year), MONTHS.index(month) + 1, int(day)).isoformat()


def _offline(text: str):
    if text in OFFLINE_METHODS:
        return {"method": OFFLINE_METHODS[text]}
    match = re.fullmatch(r"Chèque n° (\S+) \((.+)\)", text)
    if match:
        return {"method": "cheque", "number": match[1], "bank": match[2]}
    return None


def _num(params: dict) -> dict:
    return {**params, "num": int(params["num"])}


# (pattern, kind, how the groups become parameters); tried in order, the first match wins.
PATTERNS = [
    (rf"Absence du {DATE}", "absence", lambda m: {"date": _day(*m.groups())}),
    (rf"Absence du {DATE} annulée", "absence_cancelled", lambda m: {"date": _day(*m.groups())}),
    (
        rf"Distribution du {DATE} annulée — panier crédité",
        "day_cancelled",
        lambda m: {"date": _day(*m.groups())},
    ),
    (
        rf"Commande d'extras pour la distribution du {DATE}",
        "extras_order",
        lambda m: {"date": _day(*m.groups())},
    ),
    (
        rf"Panier non retiré le {DATE} — (.+)",
        "uncollected_basket",
        lambda m: {"date": _day(m[1], m[2], m[3]), "offer": m[4]},
    ),
    (r"Tarif solidaire accordé — (.+)", "tier_support", lambda m: {"offer": m[1]}),
    (
        r"Adhésion (\d{4}(?:-\d{4})?) à (.+)",
        "membership_fee",
        lambda m: {"period": m[1], "group": m[2]},
    ),
    (
        r"Résiliation — (\d+) livraisons? non dues?",
        "cancellation",
        lambda m: {"num": int(m[1])},
    ),
    (
        r"(.+) — saison complétée, (\d+) livraisons? ajoutées?",
        "season_completed",
        lambda m: {"offer": m[1], "num": int(m[2])},
    ),
    (
        r"(.+) — saison (\d{4}(?:-\d{4})?), (\d+) livraisons?",
        "commitment",
        lambda m: {"offer": m[1], "season": m[2], "num": int(m[3])},
    ),
    (
        r"Panier suspendu — (.+), (\d{1,6}),(\d{2}) € × (\d+) livraisons?",
        "donation_pledge",
        lambda m: {"offer": m[1], "amount_cents": int(m[2]) * 100 + int(m[3]), "num": int(m[4])},
    ),
    (
        r"Paiement de la commande n° (\d+) par (carte bancaire|prélèvement SEPA)",
        "card_order_payment",
        lambda m: {"id": int(m[1]), "method": METHODS[m[2]]},
    ),
    (r"Avoir reporté sur le contrat « (.+) »", "credit_carried_out", lambda m: {"offer": m[1]}),
    (
        rf"Avoir du contrat « (.+) » — échéance du {DATE}",
        "credit_carried_in",
        lambda m: {"offer": m[1], "date": _day(m[2], m[3], m[4])},
    ),
    (r"Chèque n° .+", "offline_payment", lambda m: _offline(m[0])),
    (r"Paiement annulé \(impayé\) : (.+)", "offline_cancelled", lambda m: _offline(m[1])),
]


def words_of(label: str):
    """(kind, parameters) of a French label written by the site, or None (kept as stored)."""
    text = " ".join(
        label.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ").split()
    )
    if text in FIXED:
        key, params = FIXED[text]
        return key, (params or None)
    for pattern, key, parameters in PATTERNS:
        match = re.fullmatch(pattern, text)
        if match:
            try:
                params = parameters(match)
            except (ValueError, KeyError):  # a date that does not exist: keep the label
                return None
            return (key, params) if params is not None else None
    return None


ENTRIES = sa.table(
    "ledger_entries",
    sa.column("id", sa.Integer),
    sa.column("label", sa.String),
    sa.column("label_key", sa.String),
    sa.column("label_params", sa.JSON(none_as_null=True)),
)
BATCH = 2000


def _backfill(connection) -> None:
    update = (
        sa.update(ENTRIES)
        .where(ENTRIES.c.id == sa.bindparam("b_id"))
        .values(
            label_key=sa.bindparam("b_key"),
            label_params=sa.bindparam("b_params", type_=sa.JSON(none_as_null=True)),
        )
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(ENTRIES.c.id, ENTRIES.c.label)
            .where(ENTRIES.c.id > last)
            .order_by(ENTRIES.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        found = []
        for entry_id, label in rows:
            words = words_of(label or "")
            if words is not None:
                found.append({"b_id": entry_id, "b_key": words[0], "b_params": words[1]})
        if found:
            connection.execute(update, found)


HOLIDAYS = {
    "Jour de l'an": "new_year",
    "Lundi de Pâques": "easter_monday",
    "Fête du Travail": "labour_day",
    "Victoire 1945": "victory_1945",
    "Ascension": "ascension",
    "Lundi de Pentecôte": "whit_monday",
    "Fête nationale": "national_day",
    "Assomption": "assumption",
    "Toussaint": "all_saints",
    "Armistice 1918": "armistice_1918",
    "Noël": "christmas",
}
DAY_NOTES = {
    "Distribution annulée.": "cancelled",
    "Cette date ne fait plus partie du calendrier.": "not_in_calendar",
    "Calendrier suspendu.": "schedule_suspended",
    "Lieu de distribution fermé.": "point_closed",
}
DAYS = sa.table(
    "distribution_days",
    sa.column("note", sa.String),
    sa.column("note_key", sa.String),
    sa.column("note_params", sa.JSON(none_as_null=True)),
)


def _backfill_days(connection) -> None:
    """A few fixed notes: one UPDATE each, whatever the number of days."""
    for note, key in DAY_NOTES.items():
        connection.execute(sa.update(DAYS).where(DAYS.c.note == note).values(note_key=key))
    for name, key in HOLIDAYS.items():
        connection.execute(
            sa.update(DAYS)
            .where(DAYS.c.note == f"Jour férié : {name}")
            .values(note_key="public_holiday", note_params={"holiday": key})
        )


RUN_NOTES = {
    "Tournée annulée.": "cancelled",
    "Cette date ne fait plus partie de la tournée.": "not_in_timetable",
    "Tournée suspendue.": "route_suspended",
}
RUNS = sa.table("route_runs", sa.column("note", sa.String), sa.column("note_key", sa.String))


def _backfill_runs(connection) -> None:
    for note, key in RUN_NOTES.items():
        connection.execute(sa.update(RUNS).where(RUNS.c.note == note).values(note_key=key))


def upgrade():
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label_key", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("label_params", sa.JSON(), nullable=True))
    with op.batch_alter_table("distribution_days", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_key", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("note_params", sa.JSON(), nullable=True))
    with op.batch_alter_table("route_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_key", sa.String(length=40), nullable=True))
    _backfill(op.get_bind())
    _backfill_days(op.get_bind())
    _backfill_runs(op.get_bind())


def downgrade():
    with op.batch_alter_table("route_runs", schema=None) as batch_op:
        batch_op.drop_column("note_key")
    with op.batch_alter_table("distribution_days", schema=None) as batch_op:
        batch_op.drop_column("note_params")
        batch_op.drop_column("note_key")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_column("label_params")
        batch_op.drop_column("label_key")
