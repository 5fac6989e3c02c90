"""Everything the site holds about a person, as one ZIP of JSON and CSV files.

`PARTS` names, for each table, which of its rows are about the person: every table with a
foreign key to `users` must be there (tests/privacy/test_export.py fails on a new one until it
is added), plus the rows reached through them (deliveries, installments, order lines, taps on
their baskets and orders). One query per part, whatever the number of rows. Secrets (password
and token digests) are left out: they are of no use to the person and would help an attacker.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import ColumnElement, LargeBinary, Table, or_, select

from marketplace.accounts.models import User
from marketplace.db import Base, utcnow
from marketplace.extensions import db

SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "nonce"})


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def user_columns(table: Table) -> list:
    """The columns of `table` that name a person (a foreign key to users.id)."""
    return [fk.parent for fk in table.foreign_keys if fk.column.table.name == "users"]


def _any_user_column(table: Table) -> Callable[[int], ColumnElement[bool]]:
    def where(user_id: int) -> ColumnElement[bool]:
        return or_(*(column == user_id for column in user_columns(table)))

    return where


def _through(
    name: str, column: str, parent: str, parent_where=None
) -> Callable[[int], ColumnElement[bool]]:
    """Rows whose `column` points at a row of `parent` about the person."""

    def where(user_id: int) -> ColumnElement[bool]:
        parent_table = _table(parent)
        condition = (parent_where or _any_user_column(parent_table))(user_id)
        ids = select(parent_table.c.id).where(condition)
        return _table(name).c[column].in_(ids)

    return where


def _taps_about(user_id: int) -> ColumnElement[bool]:
    taps = _table("checklist_taps")
    deliveries = _table("deliveries")
    orders = _table("shop_orders")
    delivery_ids = select(deliveries.c.id).where(
        _through("deliveries", "subscription_id", "subscriptions")(user_id)
    )
    return or_(
        taps.c.user_id == user_id,
        (taps.c.target_kind == "delivery") & taps.c.target_id.in_(delivery_ids),
        (taps.c.target_kind == "order")
        & taps.c.target_id.in_(select(orders.c.id).where(orders.c.user_id == user_id)),
    )


def _or_as_beneficiary(name: str) -> Callable[[int], ColumnElement[bool]]:
    """Rows the person made, or made for them as a solidarity grocery's beneficiary."""

    def where(user_id: int) -> ColumnElement[bool]:
        table = _table(name)
        beneficiaries = _table("beneficiaries")
        theirs = select(beneficiaries.c.id).where(beneficiaries.c.user_id == user_id)
        return or_(_any_user_column(table)(user_id), table.c.beneficiary_id.in_(theirs))

    return where


@dataclass(frozen=True)
class Part:
    file: str  # the file's name in the ZIP, without extension
    table: str
    where: Callable[[int], ColumnElement[bool]] | None = None  # default: any user column

    def condition(self, user_id: int) -> ColumnElement[bool]:
        if self.where is not None:
            return self.where(user_id)
        return _any_user_column(_table(self.table))(user_id)


PARTS: tuple[Part, ...] = (
    Part("profil", "users", lambda user_id: _table("users").c.id == user_id),
    Part("roles", "memberships"),
    Part("sessions", "user_sessions"),
    Part("liens_de_connexion", "login_links"),
    Part("calendriers", "calendar_feed_tokens"),
    Part("suppression_du_compte", "account_deletions"),
    Part("abonnements", "subscriptions"),
    Part("livraisons", "deliveries", _through("deliveries", "subscription_id", "subscriptions")),
    Part("echeances", "installments", _through("installments", "subscription_id", "subscriptions")),
    Part("liste_d_attente", "waiting_list_entries"),
    Part("ecritures", "ledger_entries"),
    Part("factures_et_avoirs", "documents"),
    Part(
        "lignes_de_factures",
        "document_lines",
        _through("document_lines", "document_id", "documents"),
    ),
    Part("adhesions", "yearly_memberships"),
    Part("rappels_de_distribution", "pickup_reminders"),
    Part("paniers_de_la_semaine_annonces", "week_baskets"),
    Part("documents_deposes", "group_documents"),
    Part("remises_preparees", "remittances"),
    Part("virements_prepares", "payout_runs"),
    Part("messages_recus", "message_recipients"),
    Part("messages_ecrits", "group_messages"),
    Part("mandats_de_prelevement", "debit_mandates"),
    Part("prelevements", "debit_batch_items"),
    Part("lots_de_prelevements_prepares", "debit_batches"),
    Part("paiements_enregistres", "offline_payments"),
    Part("paiements_carte", "card_payments"),
    Part("moyens_de_paiement", "saved_payment_methods"),
    Part("client_stripe", "stripe_customers"),
    Part("avoirs", "household_credits"),
    Part("avoirs_regles", "household_credit_settlements"),
    Part("fonds_solidaire", "solidarity_fund_movements"),
    Part("commandes", "shop_orders"),
    Part(
        "lignes_de_commande",
        "shop_order_lines",
        _through("shop_order_lines", "order_id", "shop_orders"),
    ),
    Part("beneficiaire", "beneficiaries"),
    Part("precommandes", "pre_orders", _or_as_beneficiary("pre_orders")),
    Part(
        "lignes_de_precommande",
        "pre_order_lines",
        _through("pre_order_lines", "pre_order_id", "pre_orders", _or_as_beneficiary("pre_orders")),
    ),
    Part("permanences", "shift_signups"),
    Part("emargements", "checklist_taps", _taps_about),
    Part("clotures_de_distribution", "pickup_day_closings"),
    Part("paniers_non_coches", "pickup_unticked_days"),
    Part("plans_de_tournee", "route_plans"),
    Part("clotures_de_tournee", "run_closings"),
    Part("ventes_au_camion", "walk_in_sales", _or_as_beneficiary("walk_in_sales")),
)


def exported_columns(table: Table) -> list:
    """A table's columns but secrets and files (a document's or a photo's bytes: the files
    are the group's, the rows say what the person sent)."""
    return [
        column
        for column in table.columns
        if column.name not in SECRET_COLUMNS and not isinstance(column.type, LargeBinary)
    ]


def _value(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def rows_of(user: User) -> dict[str, list[dict]]:
    """Each part's rows about the person, as plain dicts (one query per part)."""
    found: dict[str, list[dict]] = {}
    for part in PARTS:
        table = _table(part.table)
        columns = exported_columns(table)
        result = db.session.execute(
            select(*columns).where(part.condition(user.id)).order_by(table.c.id)
        )
        found[part.file] = [
            {key: _value(value) for key, value in row._mapping.items()} for row in result
        ]
    return found


def _csv(rows: list[dict], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def export_zip(user: User) -> bytes:
    """The ZIP: for each part a .json and a .csv (UTF-8 with BOM, `;`, for spreadsheets)."""
    data = rows_of(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "export.json",
            json.dumps(
                {"user_id": user.id, "exported_at": utcnow().isoformat(), "files": list(data)},
                indent=2,
            ),
        )
        for part in PARTS:
            rows = data[part.file]
            columns = [column.name for column in exported_columns(_table(part.table))]
            archive.writestr(
                f"json/{part.file}.json", json.dumps(rows, ensure_ascii=False, indent=2)
            )
            archive.writestr(f"csv/{part.file}.csv", "\ufeff" + _csv(rows, columns))
    return buffer.getvalue()
