"""Imports every domain's models so the metadata (and Alembic) sees the whole schema."""

from marketplace.accounts.models import LoginLink, User, UserSession
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    PriceTier,
    Subscription,
    WaitingListEntry,
)
from marketplace.books.models import (
    BankAccount,
    Payout,
    PayoutRun,
    Remittance,
    RemittanceItem,
)
from marketplace.cards.models import CardPayment, SavedPaymentMethod, StripeCustomer, StripeEvent
from marketplace.catalogue.models import Availability, Product, ProductPhoto
from marketplace.catalogue.week_models import WeekBasket, WeekBasketItem
from marketplace.delivery.models import (
    DistributionDay,
    DistributionSchedule,
    PickupPoint,
    ScheduleException,
)
from marketplace.direct_debit.models import (
    DebitBatch,
    DebitBatchItem,
    DebitChoice,
    DebitMandate,
    DebitNotice,
    DebitSettings,
    StatementLine,
)
from marketplace.documents.models import GroupDocument
from marketplace.feeds.models import CalendarFeedToken
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop.models import (
    Beneficiary,
    PreOrder,
    PreOrderLine,
    RunClosing,
    StockItem,
    WalkInSale,
)
from marketplace.groups.models import Group
from marketplace.invoicing.models import (
    Document,
    DocumentCounter,
    DocumentLine,
    LegalIdentity,
)
from marketplace.membership.models import MembershipLevel, MembershipSettings, YearlyMembership
from marketplace.messages.models import GroupMessage, MessageRecipient
from marketplace.organisations.models import Membership, Organisation
from marketplace.outbox.models import OutboxMessage
from marketplace.payments.credit_models import CreditSettlement, HouseholdCredit
from marketplace.payments.models import (
    FundMovement,
    Installment,
    LedgerEntry,
    OfflinePayment,
)
from marketplace.pickup.models import (
    ChecklistTap,
    DayClosing,
    DonatedItem,
    PickupReminder,
    UntickedDay,
)
from marketplace.privacy.models import AccountDeletion
from marketplace.producers.models import Producer, ProducerSuppliesGroup
from marketplace.routes.models import (
    Depot,
    Route,
    RouteException,
    RoutePlan,
    RouteRun,
    RouteStop,
    RunStop,
    Van,
)
from marketplace.scheduler.models import JobRun
from marketplace.shifts.models import ShiftSignup, StaffingAlert, VolunteerRole
from marketplace.shop.models import Order, OrderLine

__all__ = [
    "AccountDeletion",
    "CalendarFeedToken",
    "LoginLink",
    "UserSession",
    "BankAccount",
    "Payout",
    "PayoutRun",
    "Remittance",
    "RemittanceItem",
    "DebitBatch",
    "DebitBatchItem",
    "DebitChoice",
    "DebitMandate",
    "DebitNotice",
    "DebitSettings",
    "StatementLine",
    "OutboxMessage",
    "GroupMessage",
    "MessageRecipient",
    "Beneficiary",
    "Depot",
    "PreOrder",
    "PreOrderLine",
    "Route",
    "RouteException",
    "RoutePlan",
    "RouteRun",
    "RouteStop",
    "RunClosing",
    "RunStop",
    "StockItem",
    "Van",
    "WalkInSale",
    "Availability",
    "CardPayment",
    "ChecklistTap",
    "CreditSettlement",
    "HouseholdCredit",
    "UntickedDay",
    "DayClosing",
    "DonatedItem",
    "Order",
    "OrderLine",
    "Product",
    "ProductPhoto",
    "SavedPaymentMethod",
    "ShiftSignup",
    "StaffingAlert",
    "StripeCustomer",
    "StripeEvent",
    "VolunteerRole",
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
    "Document",
    "DocumentCounter",
    "DocumentLine",
    "LegalIdentity",
    "Group",
    "JobRun",
    "Membership",
    "MembershipLevel",
    "MembershipSettings",
    "YearlyMembership",
    "Organisation",
    "PickupPoint",
    "Producer",
    "ProducerSuppliesGroup",
    "ScheduleException",
    "GroupDocument",
    "User",
    "PickupReminder",
    "WeekBasket",
    "WeekBasketItem",
]
