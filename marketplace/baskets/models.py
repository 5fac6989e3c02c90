"""Basket contracts (contrats) of an AMAP group with a producer, and the households' subscriptions.

A subscription's deliveries are one row per covered distribution day, with the price of that
day snapshotted, so every basket and every euro can be traced.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, choice_check, utcnow
from marketplace.delivery.models import DistributionDay, PickupPoint
from marketplace.groups.models import Group
from marketplace.payments.models import PaymentMethod
from marketplace.producers.models import Producer


class Frequency(enum.StrEnum):
    WEEKLY = "weekly"  # every distribution day of the season
    FORTNIGHTLY = "fortnightly"  # every other week, counted from the season's first week


class AbsencePolicy(enum.StrEnum):
    CREDIT = "credit"  # the absent basket's price is credited to the household
    POSTPONE = "postpone"  # the basket is delivered on a later date
    DONATE = "donate"  # the basket goes to the solidarity grocery


class CancelledDayPolicy(enum.StrEnum):
    """What becomes of a basket whose distribution day is cancelled (a holiday, a closed place)."""

    CREDIT = "credit"  # the basket's price is credited to the household
    POSTPONE = "postpone"  # the next delivery of the season carries one more basket


class PaymentPlan(enum.StrEnum):
    SEASON = "season"  # everything at once
    MONTHLY = "monthly"  # one installment per month of deliveries
    PER_DELIVERY = "per_delivery"  # one installment per delivery


class CancellationPolicy(enum.StrEnum):
    SEASON_COMMITMENT = "season_commitment"  # an AMAP commitment: no cancellation by the household
    WITH_NOTICE = "with_notice"  # deliveries after the notice period are cancelled and credited


class OfferStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class BasketOffer(Base):
    """A season contract between a group and a producer who supplies it."""

    __tablename__ = "basket_offers"
    __table_args__ = (
        # The producer must supply the group (a partnership row exists).
        ForeignKeyConstraint(
            ["producer_id", "group_id"],
            ["producer_supplies_group.producer_id", "producer_supplies_group.group_id"],
        ),
        UniqueConstraint("id", "group_id"),
        choice_check("frequency", [value.value for value in Frequency]),
        choice_check("absence_policy", [value.value for value in AbsencePolicy]),
        choice_check("status", [value.value for value in OfferStatus]),
        choice_check("cancellation_policy", [value.value for value in CancellationPolicy]),
        choice_check("cancelled_day_policy", [value.value for value in CancelledDayPolicy]),
        CheckConstraint("notice_days >= 0", name="notice_days_not_negative"),
        CheckConstraint(
            "previous_offer_id IS NULL OR previous_offer_id <> id", name="not_own_renewal"
        ),
        CheckConstraint("season_ends_on >= season_starts_on", name="season_ends_after_start"),
        CheckConstraint("signup_closes_at > signup_opens_at", name="signup_window_order"),
        CheckConstraint("max_absences >= 0", name="max_absences_not_negative"),
        CheckConstraint(
            "plan_season OR plan_monthly OR plan_per_delivery", name="at_least_one_plan"
        ),
        CheckConstraint(
            "method_card OR method_sepa OR method_cheque OR method_cash OR method_transfer",
            name="at_least_one_method",
        ),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    season_starts_on: Mapped[date] = mapped_column(Date)
    season_ends_on: Mapped[date] = mapped_column(Date)
    frequency: Mapped[str] = mapped_column(String(20), default=Frequency.WEEKLY.value)
    signup_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signup_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    max_absences: Mapped[int] = mapped_column(Integer, default=2)
    absence_policy: Mapped[str] = mapped_column(String(20), default=AbsencePolicy.CREDIT.value)
    plan_season: Mapped[bool] = mapped_column(Boolean, default=True)
    plan_monthly: Mapped[bool] = mapped_column(Boolean, default=True)
    plan_per_delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    method_card: Mapped[bool] = mapped_column(Boolean, default=True)
    method_sepa: Mapped[bool] = mapped_column(Boolean, default=False)
    method_cheque: Mapped[bool] = mapped_column(Boolean, default=True)
    method_cash: Mapped[bool] = mapped_column(Boolean, default=False)
    method_transfer: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default=OfferStatus.DRAFT.value)
    cancellation_policy: Mapped[str] = mapped_column(
        String(20),
        default=CancellationPolicy.SEASON_COMMITMENT.value,
        server_default=CancellationPolicy.SEASON_COMMITMENT.value,
    )
    notice_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    cancelled_day_policy: Mapped[str] = mapped_column(
        String(20),
        default=CancelledDayPolicy.CREDIT.value,
        server_default=CancelledDayPolicy.CREDIT.value,
    )
    # The previous season's offer this one renews: its subscribers are invited with their choices.
    previous_offer_id: Mapped[int | None] = mapped_column(ForeignKey("basket_offers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship(foreign_keys=[group_id])
    producer: Mapped[Producer] = relationship(foreign_keys=[producer_id])
    sizes: Mapped[list[BasketSize]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="BasketSize.position"
    )
    tiers: Mapped[list[PriceTier]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="PriceTier.position"
    )

    @property
    def allowed_plans(self) -> list[str]:
        flags = {
            PaymentPlan.SEASON: self.plan_season,
            PaymentPlan.MONTHLY: self.plan_monthly,
            PaymentPlan.PER_DELIVERY: self.plan_per_delivery,
        }
        return [plan.value for plan, allowed in flags.items() if allowed]

    @property
    def allowed_methods(self) -> list[str]:
        flags = {
            PaymentMethod.CARD: self.method_card,
            PaymentMethod.SEPA: self.method_sepa,
            PaymentMethod.CHEQUE: self.method_cheque,
            PaymentMethod.CASH: self.method_cash,
            PaymentMethod.TRANSFER: self.method_transfer,
        }
        return [method.value for method, allowed in flags.items() if allowed]


class BasketSize(Base):
    """A size of basket in an offer (petit, grand...), its price per delivery and capacity."""

    __tablename__ = "basket_sizes"
    __table_args__ = (
        UniqueConstraint("offer_id", "name"),
        UniqueConstraint("id", "offer_id"),
        CheckConstraint("price_cents > 0", name="price_positive"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        # VAT in basis points: 0 %, 5,5 %, 10 % or 20 % (printed on invoices).
        CheckConstraint("vat_rate_bp IN (0, 550, 1000, 2000)", name="vat_rate_bp_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        ForeignKey("basket_offers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    position: Mapped[int] = mapped_column(Integer, default=0)
    vat_rate_bp: Mapped[int] = mapped_column(Integer, default=550, server_default="550")

    offer: Mapped[BasketOffer] = relationship(back_populates="sizes")


class PriceTier(Base):
    """A solidarity price level of an offer (solidaire 50 %, standard 100 %, soutien 120 %)."""

    __tablename__ = "price_tiers"
    __table_args__ = (
        UniqueConstraint("offer_id", "name"),
        UniqueConstraint("id", "offer_id"),
        CheckConstraint("percent BETWEEN 1 AND 300", name="percent_range"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        ForeignKey("basket_offers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60))
    percent: Mapped[int] = mapped_column(Integer, default=100)
    position: Mapped[int] = mapped_column(Integer, default=0)

    offer: Mapped[BasketOffer] = relationship(back_populates="tiers")

    @property
    def needs_approval(self) -> bool:
        """A reduced price is granted by a coordinator, privately."""
        return self.percent < 100


class SubscriptionStatus(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class TierStatus(enum.StrEnum):
    APPROVED = "approved"
    PENDING = "pending"  # a reduced tier waits for a coordinator
    REFUSED = "refused"  # the household pays the standard price


class Subscription(Base):
    """A household's commitment to an offer: size, pickup point, tier and payment plan."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["offer_id", "group_id"], ["basket_offers.id", "basket_offers.group_id"]
        ),
        ForeignKeyConstraint(["size_id", "offer_id"], ["basket_sizes.id", "basket_sizes.offer_id"]),
        ForeignKeyConstraint(["tier_id", "offer_id"], ["price_tiers.id", "price_tiers.offer_id"]),
        ForeignKeyConstraint(
            ["pickup_point_id", "group_id"], ["pickup_points.id", "pickup_points.group_id"]
        ),
        # One live subscription per household and offer; a cancelled one may be followed by another.
        Index(
            "uq_subscriptions_active_per_user",
            "offer_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        choice_check("status", [value.value for value in SubscriptionStatus]),
        choice_check("tier_status", [value.value for value in TierStatus]),
        choice_check("payment_plan", [value.value for value in PaymentPlan]),
        choice_check("payment_method", [value.value for value in PaymentMethod]),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_has_date"
        ),
        CheckConstraint("donation_per_delivery_cents >= 0", name="donation_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(index=True)
    group_id: Mapped[int] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    size_id: Mapped[int] = mapped_column()
    tier_id: Mapped[int] = mapped_column()
    tier_status: Mapped[str] = mapped_column(String(20), default=TierStatus.APPROVED.value)
    pickup_point_id: Mapped[int] = mapped_column()
    payment_plan: Mapped[str] = mapped_column(String(20))
    payment_method: Mapped[str] = mapped_column(String(20))
    # A "panier suspendu": what the household adds to each delivery for the solidarity fund.
    donation_per_delivery_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(20), default=SubscriptionStatus.ACTIVE.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    offer: Mapped[BasketOffer] = relationship(foreign_keys=[offer_id])
    user: Mapped[User] = relationship()
    size: Mapped[BasketSize] = relationship(foreign_keys=[size_id], overlaps="offer")
    tier: Mapped[PriceTier] = relationship(foreign_keys=[tier_id], overlaps="offer,size")
    pickup_point: Mapped[PickupPoint] = relationship(foreign_keys=[pickup_point_id])
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="subscription", order_by="Delivery.id"
    )


class DeliveryState(enum.StrEnum):
    PLANNED = "planned"
    ABSENT = "absent"
    GIVEN = "given"  # collected by someone else, named on the pickup checklist
    COLLECTED = "collected"
    NOT_COLLECTED = "not_collected"
    DONATED = "donated"
    CANCELLED = "cancelled"  # its distribution day was cancelled: credited or carried later


class Delivery(Base):
    """One basket of one subscription on one distribution day, with its price at signing."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "distribution_day_id"),
        choice_check("state", [value.value for value in DeliveryState]),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("(state = 'given') = (given_to_name IS NOT NULL)", name="given_has_a_name"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint(
            "postponed_to_id IS NULL OR state IN ('absent', 'cancelled')",
            name="only_absences_are_postponed",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    distribution_day_id: Mapped[int] = mapped_column(
        ForeignKey("distribution_days.id", ondelete="RESTRICT"), index=True
    )
    size_id: Mapped[int] = mapped_column(ForeignKey("basket_sizes.id"))
    # More than one when an absent basket was postponed to this day.
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    price_cents: Mapped[int] = mapped_column(Integer)  # per basket, snapshotted at signing
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PLANNED.value)
    given_to_name: Mapped[str | None] = mapped_column(String(120))
    given_to_email: Mapped[str | None] = mapped_column(String(254))
    # An absence under the "postpone" policy: the later delivery that carries this basket.
    postponed_to_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    subscription: Mapped[Subscription] = relationship(back_populates="deliveries")
    distribution_day: Mapped[DistributionDay] = relationship()
    size: Mapped[BasketSize] = relationship()
    postponed_to: Mapped[Delivery | None] = relationship(remote_side=[id])


class WaitingState(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # a place freed up: the household has until offer_expires_at to take it
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class WaitingListEntry(Base):
    """A household waiting for a place in a full basket size, served in order of arrival."""

    __tablename__ = "waiting_list_entries"
    __table_args__ = (
        ForeignKeyConstraint(["size_id", "offer_id"], ["basket_sizes.id", "basket_sizes.offer_id"]),
        # Waiting once per offer and household at a time.
        Index(
            "uq_waiting_list_live_per_user",
            "offer_id",
            "user_id",
            unique=True,
            sqlite_where=text("state IN ('waiting', 'offered')"),
            postgresql_where=text("state IN ('waiting', 'offered')"),
        ),
        choice_check("state", [value.value for value in WaitingState]),
        CheckConstraint(
            "state <> 'offered' OR (offered_at IS NOT NULL AND offer_expires_at IS NOT NULL)",
            name="offered_has_dates",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("basket_offers.id"), index=True)
    size_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=WaitingState.WAITING.value)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offer: Mapped[BasketOffer] = relationship(foreign_keys=[offer_id])
    size: Mapped[BasketSize] = relationship(foreign_keys=[size_id], overlaps="offer")
    user: Mapped[User] = relationship()
