"""Imports every domain's models so the metadata (and Alembic) sees the whole schema."""

from marketplace.accounts.models import User
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    PriceTier,
    Subscription,
    WaitingListEntry,
)
from marketplace.delivery.models import (
    DistributionDay,
    DistributionSchedule,
    PickupPoint,
    ScheduleException,
)
from marketplace.groceries.models import Grocery
from marketplace.groups.models import Group
from marketplace.organisations.models import Membership, Organisation
from marketplace.payments.models import (
    FundMovement,
    Installment,
    LedgerEntry,
    OfflinePayment,
)
from marketplace.producers.models import Producer, ProducerSuppliesGroup
from marketplace.scheduler.models import JobRun

__all__ = [
    "BasketOffer",
    "BasketSize",
    "Delivery",
    "FundMovement",
    "OfflinePayment",
    "WaitingListEntry",
    "Installment",
    "LedgerEntry",
    "PriceTier",
    "Subscription",
    "DistributionDay",
    "DistributionSchedule",
    "Grocery",
    "Group",
    "JobRun",
    "Membership",
    "Organisation",
    "PickupPoint",
    "Producer",
    "ProducerSuppliesGroup",
    "ScheduleException",
    "User",
]
