"""Producers (farms, bakeries, cheese-makers...) and the groups they supply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.groups.models import Group
from marketplace.organisations.models import Organisation, OrganisationKind

# Codes stored in the database; their display names are translated in producers/labels.py.
TRADES = (
    "maraicher",
    "arboriculteur",
    "boulanger",
    "fromager",
    "eleveur",
    "aviculteur",
    "apiculteur",
    "vigneron",
    "brasseur",
    "meunier",
)
LABELS = ("ab", "nature_progres", "demeter", "hve", "bienvenue_ferme", "simples")


class Producer(Organisation):
    __mapper_args__ = {"polymorphic_identity": OrganisationKind.PRODUCER.value}

    trade: Mapped[str | None] = mapped_column(String(30), use_existing_column=True)
    # Space-separated label codes from LABELS (e.g. "ab hve").
    labels: Mapped[str | None] = mapped_column(String(200), use_existing_column=True)

    supplied_groups: Mapped[list[Group]] = relationship(
        secondary="producer_supplies_group",
        primaryjoin="Producer.id == ProducerSuppliesGroup.producer_id",
        secondaryjoin="Group.id == ProducerSuppliesGroup.group_id",
        order_by="Group.name",
        viewonly=True,
    )

    @property
    def label_codes(self) -> list[str]:
        return (self.labels or "").split()


class ProducerSuppliesGroup(Base):
    """A producer delivers to an AMAP group (and so takes part in its distribution days)."""

    __tablename__ = "producer_supplies_group"
    __table_args__ = (
        UniqueConstraint("producer_id", "group_id"),
        ForeignKeyConstraint(
            ["producer_id", "producer_kind"],
            ["organisations.id", "organisations.kind"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["group_id", "group_kind"],
            ["organisations.id", "organisations.kind"],
            ondelete="CASCADE",
        ),
        CheckConstraint(f"producer_kind = '{OrganisationKind.PRODUCER}'", name="is_producer"),
        CheckConstraint(f"group_kind = '{OrganisationKind.GROUP}'", name="is_group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(index=True)
    producer_kind: Mapped[str] = mapped_column(String(20), default=OrganisationKind.PRODUCER.value)
    group_id: Mapped[int] = mapped_column(index=True)
    group_kind: Mapped[str] = mapped_column(String(20), default=OrganisationKind.GROUP.value)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    producer: Mapped[Producer] = relationship(
        foreign_keys=[producer_id], overlaps="supplied_groups"
    )
    group: Mapped[Group] = relationship(foreign_keys=[group_id], overlaps="supplied_groups")


# Single-table inheritance: the producer's own rules are constraints of the shared table.
Organisation.__table__.append_constraint(
    CheckConstraint(
        f"kind = '{OrganisationKind.PRODUCER}' OR (trade IS NULL AND labels IS NULL)",
        name="producer_columns_only_on_producers",
    )
)
Organisation.__table__.append_constraint(choice_check("trade", TRADES, name="trade_valid"))
