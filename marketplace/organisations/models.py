"""Organisations of the territory and the roles people hold in them.

AMAP groups, producers and solidarity groceries share one table (single-table
inheritance); each kind's own columns are declared in its package.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, choice_check, utcnow


class OrganisationKind(enum.StrEnum):
    GROUP = "group"
    PRODUCER = "producer"
    GROCERY = "grocery"


class Role(enum.StrEnum):
    MEMBER = "member"
    COORDINATOR = "coordinator"
    VOLUNTEER = "volunteer"
    PRODUCER_STAFF = "producer_staff"
    GROCERY_STAFF = "grocery_staff"


ROLES_BY_KIND: dict[OrganisationKind, tuple[Role, ...]] = {
    OrganisationKind.GROUP: (Role.MEMBER, Role.COORDINATOR, Role.VOLUNTEER),
    OrganisationKind.PRODUCER: (Role.PRODUCER_STAFF,),
    OrganisationKind.GROCERY: (Role.GROCERY_STAFF, Role.VOLUNTEER),
}


def _roles_match_kind_sql() -> str:
    clauses = []
    for kind, roles in ROLES_BY_KIND.items():
        allowed = ", ".join(f"'{role}'" for role in roles)
        clauses.append(f"(organisation_kind = '{kind}' AND role IN ({allowed}))")
    return " OR ".join(clauses)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        UniqueConstraint("slug"),
        # Target of composite foreign keys that pin the kind of the organisation referred to.
        UniqueConstraint("id", "kind"),
        choice_check("kind", [kind.value for kind in OrganisationKind]),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"
        ),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    latitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    longitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"polymorphic_on": "kind"}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.slug}>"


class Membership(Base):
    """One role a person holds in one organisation (a person may hold several)."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id", "role"),
        ForeignKeyConstraint(
            ["organisation_id", "organisation_kind"],
            ["organisations.id", "organisations.kind"],
            ondelete="CASCADE",
        ),
        CheckConstraint(_roles_match_kind_sql(), name="role_fits_organisation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(index=True)
    organisation_kind: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    def __init__(self, *, user: User, organisation: Organisation, role: str | Role) -> None:
        super().__init__(
            user=user,
            organisation=organisation,
            organisation_kind=organisation.kind,
            role=str(role),
        )
