"""Who issues documents, and the documents issued: numbered, immutable once written.

An organisation's legal identity (legal name, address, SIRET, VAT number, whether it charges
VAT) says what its documents print. A producer's documents are issued either by the producer
itself or by the group on its behalf (« pour le compte de »); each issuer numbers its
documents in one unbroken sequence per year (`DocumentCounter`, locked while a number is
taken). A document and its lines are never updated nor deleted: a database trigger refuses
it (`immutable_tables`), and a mistake is corrected by a credit note that names the document
it corrects.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.payments.money import VAT_RATES_BP


def vat_rate_check(column: str = "vat_rate_bp") -> CheckConstraint:
    rates = ", ".join(str(rate) for rate in VAT_RATES_BP)
    return CheckConstraint(f"{column} IN ({rates})", name=f"{column}_valid")


class DocumentsIssuedBy(enum.StrEnum):
    SELF = "self"  # the producer issues its own documents
    GROUP = "group"  # the group issues them on the producer's behalf


class LegalIdentity(Base):
    """What an organisation's invoices say about it (one row per organisation, optional)."""

    __tablename__ = "legal_identities"
    __table_args__ = (
        choice_check("documents_issued_by", [value.value for value in DocumentsIssuedBy]),
        CheckConstraint("siret = '' OR length(siret) = 14", name="siret_length"),
        CheckConstraint("NOT vat_liable OR vat_number <> ''", name="vat_liable_has_number"),
    )

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    legal_name: Mapped[str] = mapped_column(String(160), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    siret: Mapped[str] = mapped_column(String(14), default="")
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    vat_liable: Mapped[bool] = mapped_column(Boolean, default=False)
    documents_issued_by: Mapped[str] = mapped_column(
        String(10), default=DocumentsIssuedBy.SELF.value
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DocumentCounter(Base):
    """The last number an issuer gave in a year; its row is locked while a number is taken."""

    __tablename__ = "document_counters"
    __table_args__ = (CheckConstraint("last_number >= 0", name="last_number_not_negative"),)

    issuer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class DocumentKind(enum.StrEnum):
    INVOICE = "invoice"  # facture (or reçu when the seller charges no VAT)
    CREDIT_NOTE = "credit_note"  # avoir


class Document(Base):
    """An issued invoice or credit note, with everything it printed (snapshots, not links)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("issuer_id", "year", "number"),
        UniqueConstraint("source_key"),
        choice_check("kind", [kind.value for kind in DocumentKind]),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("total_cents = net_cents + vat_cents", name="totals_add_up"),
        CheckConstraint("total_cents > 0", name="total_positive"),
        CheckConstraint("vat_cents >= 0", name="vat_not_negative"),
        CheckConstraint(
            "(kind = 'credit_note') = (corrects_id IS NOT NULL)", name="credit_note_corrects"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(20))  # « 2026-000042 »
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The seller: a producer (its baskets, its products) or a group (a membership fee).
    seller_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_orders.id"), index=True)
    # What it was issued for, once (e.g. "entry:12", "order:7:seller:3"): never twice.
    source_key: Mapped[str | None] = mapped_column(String(80))
    issuer_name: Mapped[str] = mapped_column(String(160))
    seller_name: Mapped[str] = mapped_column(String(160))
    seller_address: Mapped[str] = mapped_column(String(300))
    seller_siret: Mapped[str] = mapped_column(String(14))
    seller_vat_number: Mapped[str] = mapped_column(String(20))
    seller_vat_liable: Mapped[bool] = mapped_column(Boolean)
    buyer_name: Mapped[str] = mapped_column(String(160))
    buyer_email: Mapped[str] = mapped_column(String(254))
    net_cents: Mapped[int] = mapped_column(Integer)  # HT
    vat_cents: Mapped[int] = mapped_column(Integer)  # TVA
    total_cents: Mapped[int] = mapped_column(Integer)  # TTC
    payment_terms: Mapped[str] = mapped_column(String(1000), default="")

    lines: Mapped[list[DocumentLine]] = relationship(
        back_populates="document", order_by="DocumentLine.position"
    )
    corrects: Mapped[Document | None] = relationship(remote_side=[id])

    @property
    def on_behalf(self) -> bool:
        return self.issuer_id != self.seller_id


class DocumentLine(Base):
    """One line of a document: prices include VAT; net and VAT are split exactly per line."""

    __tablename__ = "document_lines"
    __table_args__ = (
        UniqueConstraint("document_id", "position"),
        vat_rate_check(),
        CheckConstraint("total_cents = net_cents + vat_cents", name="totals_add_up"),
        CheckConstraint("total_cents > 0", name="total_positive"),
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    quantity_milli: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)  # TTC, as shown to households
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    net_cents: Mapped[int] = mapped_column(Integer)
    vat_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)

    document: Mapped[Document] = relationship(back_populates="lines")


IMMUTABLE_TABLES = ("documents", "document_lines")

# SQL run after the tables are created (tests, `create_all`) and by the migration: any UPDATE
# or DELETE of an issued document or line is refused by the database itself.
PG_FUNCTION = DDL(
    "CREATE OR REPLACE FUNCTION refuse_document_change() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'an issued document is never changed nor deleted'; END; "
    "$$ LANGUAGE plpgsql"
)


def pg_trigger(table: str) -> DDL:
    return DDL(
        f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION refuse_document_change()"
    )


def sqlite_triggers(table: str) -> list[DDL]:
    # Updates only: the tests empty every table with DELETE between tests on SQLite (on
    # PostgreSQL with TRUNCATE, which row triggers do not see); deletes are refused by the
    # ORM there (`_refuse_change` below).
    return [
        DDL(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'an issued document is never changed nor deleted'); END"
        )
    ]


def _install_triggers(table_name: str):
    def install(target, connection, **kw) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(PG_FUNCTION)
            connection.execute(pg_trigger(table_name))
        elif connection.dialect.name == "sqlite":
            for statement in sqlite_triggers(table_name):
                connection.execute(statement)

    return install


class ImmutableDocumentError(RuntimeError):
    """An issued document or line was about to be changed or deleted."""


def _refuse_change(mapper, connection, target) -> None:
    raise ImmutableDocumentError("An issued document is never changed nor deleted.")


for _model in (Document, DocumentLine):
    event.listen(_model.__table__, "after_create", _install_triggers(_model.__tablename__))
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
