"""A group's documents (charter, contract terms, general assembly minutes), each shown to one
audience; the file itself is kept in the database, like product photos."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.organisations.models import OrganisationKind

MAX_TITLE = 120
MAX_FILENAME = 100


class Audience(enum.StrEnum):
    PUBLIC = "public"  # anyone, visitors included
    MEMBERS = "members"  # anyone holding a role in the group
    SUBSCRIBERS = "subscribers"  # households with a live subscription to one contract
    COORDINATORS = "coordinators"


class DocumentType(enum.StrEnum):
    """What the file was found to be by reading it (files.sniff), never what it claimed."""

    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"
    ODT = "application/vnd.oasis.opendocument.text"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


EXTENSIONS = {
    DocumentType.PDF: "pdf",
    DocumentType.PNG: "png",
    DocumentType.JPEG: "jpg",
    DocumentType.ODT: "odt",
    DocumentType.DOCX: "docx",
}


class GroupDocument(Base):
    __tablename__ = "group_documents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["group_id", "group_kind"],
            ["organisations.id", "organisations.kind"],
            ondelete="CASCADE",
        ),
        CheckConstraint(f"group_kind = '{OrganisationKind.GROUP}'", name="is_group"),
        # The contract of a "subscribers" document is one of the group's.
        ForeignKeyConstraint(
            ["offer_id", "group_id"],
            ["basket_offers.id", "basket_offers.group_id"],
            ondelete="CASCADE",
        ),
        choice_check("audience", [audience.value for audience in Audience]),
        choice_check("content_type", [kind.value for kind in DocumentType]),
        CheckConstraint(
            "(audience = 'subscribers') = (offer_id IS NOT NULL)", name="contract_audience"
        ),
        CheckConstraint("size_bytes > 0", name="not_empty"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(index=True)
    group_kind: Mapped[str] = mapped_column(String(20), default=OrganisationKind.GROUP.value)
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    audience: Mapped[str] = mapped_column(String(20))
    offer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    filename: Mapped[str] = mapped_column(String(MAX_FILENAME))  # safe, with its true extension
    content_type: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
