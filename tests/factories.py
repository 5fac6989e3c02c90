"""factory_boy factories for every model, flushing into the app's session."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from marketplace.accounts.models import User
from marketplace.accounts.passwords import hash_password
from marketplace.baskets.models import (
    BasketOffer,
    BasketSize,
    Delivery,
    PriceTier,
    Subscription,
    WaitingListEntry,
)
from marketplace.cards.models import CardPayment, SavedPaymentMethod, StripeCustomer
from marketplace.catalogue.models import Availability, Product
from marketplace.delivery.models import (
    DistributionDay,
    DistributionSchedule,
    PickupPoint,
    ScheduleException,
)
from marketplace.extensions import db
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
from marketplace.organisations.models import Membership
from marketplace.payments.models import FundMovement, Installment, LedgerEntry, OfflinePayment
from marketplace.pickup.models import ChecklistTap, DayClosing
from marketplace.producers.models import Producer, ProducerSuppliesGroup
from marketplace.routes.models import Depot, Route, RouteRun, RouteStop, RunStop, Van
from marketplace.scheduler.models import JobRun
from marketplace.shifts.models import ShiftSignup, VolunteerRole
from marketplace.shop.models import Order, OrderLine
from marketplace.timezones import local_instant

DEFAULT_PASSWORD = "Radis-et-poireaux-42"


@cache
def default_password_hash() -> str:
    # scrypt is deliberately slow: hash the shared test password once.
    return hash_password(DEFAULT_PASSWORD)


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    name = factory.Sequence(lambda n: f"Foyer Dupont {n}")
    email = factory.Sequence(lambda n: f"foyer{n}@example.org")
    password_hash = factory.LazyFunction(default_password_hash)
    language = "fr"
    is_admin = False


class GroupFactory(BaseFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"AMAP des Tilleuls {n}")
    slug = factory.Sequence(lambda n: f"amap-des-tilleuls-{n}")
    description = "Une AMAP de quartier."
    city = "Villeurbanne"
    postcode = "69100"
    latitude = 45.7667
    longitude = 4.8833


class ProducerFactory(BaseFactory):
    class Meta:
        model = Producer

    name = factory.Sequence(lambda n: f"Ferme du Coteau {n}")
    slug = factory.Sequence(lambda n: f"ferme-du-coteau-{n}")
    description = "Légumes de saison."
    trade = "maraicher"
    labels = "ab"
    address = "Lieu-dit Le Coteau"
    postcode = "69440"
    city = "Mornant"
    latitude = 45.6186
    longitude = 4.6722


class GroceryFactory(BaseFactory):
    class Meta:
        model = Grocery

    name = factory.Sequence(lambda n: f"Épicerie solidaire La Passerelle {n}")
    slug = factory.Sequence(lambda n: f"epicerie-la-passerelle-{n}")
    city = "Givors"
    postcode = "69700"
    latitude = 45.5906
    longitude = 4.7689


class MembershipFactory(BaseFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(GroupFactory)
    role = "member"


class ProducerSuppliesGroupFactory(BaseFactory):
    class Meta:
        model = ProducerSuppliesGroup

    producer = factory.SubFactory(ProducerFactory)
    group = factory.SubFactory(GroupFactory)


class PickupPointFactory(BaseFactory):
    class Meta:
        model = PickupPoint

    group = factory.SubFactory(GroupFactory)
    name = factory.Sequence(lambda n: f"Préau de l'école {n}")
    address = "12 rue des Écoles"
    postcode = "69100"
    city = "Villeurbanne"
    latitude = 45.7701
    longitude = 4.8802
    access_notes = "Entrée par le portail vert."
    capacity = 60


class DistributionScheduleFactory(BaseFactory):
    class Meta:
        model = DistributionSchedule

    pickup_point = factory.SubFactory(PickupPointFactory)
    group = factory.SelfAttribute("pickup_point.group")
    label = "Mardi soir"
    rrule = "FREQ=WEEKLY;BYDAY=TU"
    starts_on = factory.LazyFunction(lambda: date.today() - timedelta(days=30))
    start_time = time(18, 0)
    end_time = time(19, 30)
    order_opens_days_before = 7
    order_opens_time = time(8, 0)
    order_closes_days_before = 2
    order_closes_time = time(20, 0)


class ScheduleExceptionFactory(BaseFactory):
    class Meta:
        model = ScheduleException

    schedule = factory.SubFactory(DistributionScheduleFactory)
    occurrence_date = factory.LazyFunction(lambda: date.today() + timedelta(days=7))
    kind = "cancelled"
    reason = "Jour férié"


class DistributionDayFactory(BaseFactory):
    class Meta:
        model = DistributionDay

    schedule = factory.SubFactory(DistributionScheduleFactory)
    group = factory.SelfAttribute("schedule.group")
    pickup_point = factory.SelfAttribute("schedule.pickup_point")
    occurrence_date = factory.LazyFunction(lambda: date.today() + timedelta(days=7))
    day = factory.SelfAttribute("occurrence_date")
    starts_at = factory.LazyAttribute(lambda o: local_instant(o.day, time(18, 0)))
    ends_at = factory.LazyAttribute(lambda o: local_instant(o.day, time(19, 30)))
    order_opens_at = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=7))
    order_closes_at = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=2))
    status = "scheduled"


class JobRunFactory(BaseFactory):
    class Meta:
        model = JobRun

    job_name = "materialise_distribution_days"
    period_key = factory.Sequence(lambda n: f"2026-01-{n % 28 + 1:02d}")
    started_at = factory.LazyFunction(lambda: datetime.now(UTC))
    finished_at = factory.LazyFunction(lambda: datetime.now(UTC))
    outcome = "succeeded"


class BasketOfferFactory(BaseFactory):
    """A published weekly vegetable contract, open for sign-up, with no sizes or tiers yet."""

    class Meta:
        model = BasketOffer
        exclude = ("supply",)

    supply = factory.SubFactory(ProducerSuppliesGroupFactory)
    group = factory.SelfAttribute("supply.group")
    producer = factory.SelfAttribute("supply.producer")
    name = factory.Sequence(lambda n: f"Contrat légumes {n}")
    description = "Un panier de légumes de saison chaque semaine."
    season_starts_on = factory.LazyFunction(lambda: date.today() - timedelta(days=7))
    season_ends_on = factory.LazyFunction(lambda: date.today() + timedelta(weeks=20))
    frequency = "weekly"
    signup_opens_at = factory.LazyFunction(lambda: datetime.now(UTC) - timedelta(days=30))
    signup_closes_at = factory.LazyFunction(lambda: datetime.now(UTC) + timedelta(days=60))
    max_absences = 2
    absence_policy = "credit"
    status = "published"


class BasketSizeFactory(BaseFactory):
    class Meta:
        model = BasketSize

    offer = factory.SubFactory(BasketOfferFactory)
    name = factory.Sequence(lambda n: f"Panier {n}")
    description = "Pour deux personnes."
    price_cents = 1500
    capacity = 40


class PriceTierFactory(BaseFactory):
    class Meta:
        model = PriceTier

    offer = factory.SubFactory(BasketOfferFactory)
    name = factory.Sequence(lambda n: f"Tarif {n}")
    percent = 100


class SubscriptionFactory(BaseFactory):
    class Meta:
        model = Subscription

    offer = factory.SubFactory(BasketOfferFactory)
    group_id = factory.SelfAttribute("offer.group_id")
    user = factory.SubFactory(UserFactory)
    size = factory.SubFactory(BasketSizeFactory, offer=factory.SelfAttribute("..offer"))
    tier = factory.SubFactory(PriceTierFactory, offer=factory.SelfAttribute("..offer"))
    pickup_point = factory.SubFactory(
        PickupPointFactory, group=factory.SelfAttribute("..offer.group")
    )
    tier_status = "approved"
    payment_plan = "season"
    payment_method = "cheque"
    status = "active"


class DeliveryFactory(BaseFactory):
    class Meta:
        model = Delivery

    subscription = factory.SubFactory(SubscriptionFactory)
    distribution_day = factory.SubFactory(
        DistributionDayFactory,
        schedule=factory.SubFactory(
            DistributionScheduleFactory,
            pickup_point=factory.SelfAttribute("...subscription.pickup_point"),
        ),
    )
    size = factory.SelfAttribute("subscription.size")
    quantity = 1
    price_cents = factory.SelfAttribute("size.price_cents")
    state = "planned"


class InstallmentFactory(BaseFactory):
    class Meta:
        model = Installment

    class Params:
        subscription = factory.SubFactory(SubscriptionFactory)

    subscription_id = factory.SelfAttribute("subscription.id")
    sequence = factory.Sequence(lambda n: n + 1)
    due_on = factory.LazyFunction(lambda: date.today() + timedelta(days=10))
    amount_cents = 3000
    state = "planned"


class LedgerEntryFactory(BaseFactory):
    class Meta:
        model = LedgerEntry

    user = factory.SubFactory(UserFactory)
    group_id = factory.LazyFunction(lambda: GroupFactory().id)
    kind = "commitment"
    amount_cents = -3000
    occurred_on = factory.LazyFunction(date.today)
    label = "Contrat légumes"


class OfflinePaymentFactory(BaseFactory):
    """A cheque recorded against an installment (pass `installment=`)."""

    class Meta:
        model = OfflinePayment

    class Params:
        installment = factory.SubFactory(InstallmentFactory)

    installment_id = factory.SelfAttribute("installment.id")
    group_id = factory.LazyAttribute(
        lambda o: db.session.get(Subscription, o.installment.subscription_id).group_id
    )
    user_id = factory.LazyAttribute(
        lambda o: db.session.get(Subscription, o.installment.subscription_id).user_id
    )
    recorded_by_id = factory.SelfAttribute("user_id")
    method = "cheque"
    amount_cents = factory.SelfAttribute("installment.amount_cents")
    bank = "Crédit Agricole"
    cheque_number = factory.Sequence(lambda n: f"{1000000 + n}")
    state = "recorded"


class FundMovementFactory(BaseFactory):
    class Meta:
        model = FundMovement

    group_id = factory.LazyFunction(lambda: GroupFactory().id)
    kind = "donation"
    amount_cents = 500
    occurred_on = factory.LazyFunction(date.today)
    label = "Panier suspendu"


class WaitingListEntryFactory(BaseFactory):
    class Meta:
        model = WaitingListEntry

    offer = factory.SubFactory(BasketOfferFactory)
    size = factory.SubFactory(BasketSizeFactory, offer=factory.SelfAttribute("..offer"))
    user = factory.SubFactory(UserFactory)
    state = "waiting"


class StripeCustomerFactory(BaseFactory):
    class Meta:
        model = StripeCustomer
        exclude = ("user",)

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    stripe_customer_id = factory.Sequence(lambda n: f"cus_test{n:06d}")


class SavedPaymentMethodFactory(BaseFactory):
    class Meta:
        model = SavedPaymentMethod
        exclude = ("user",)

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    stripe_payment_method_id = factory.Sequence(lambda n: f"pm_test{n:06d}")
    method = "card"
    brand = "visa"
    last4 = "4242"
    exp_month = 12
    exp_year = factory.LazyFunction(lambda: date.today().year + 2)
    is_default = True


class CardPaymentFactory(BaseFactory):
    """A card payment of an installment (pass `installment=`), succeeded by default."""

    class Meta:
        model = CardPayment
        exclude = ("installment",)

    installment = factory.SubFactory(InstallmentFactory)
    installment_id = factory.SelfAttribute("installment.id")
    user_id = factory.LazyAttribute(
        lambda o: db.session.get(Subscription, o.installment.subscription_id).user_id
    )
    group_id = factory.LazyAttribute(
        lambda o: db.session.get(Subscription, o.installment.subscription_id).group_id
    )
    amount_cents = factory.SelfAttribute("installment.amount_cents")
    method = "card"
    idempotency_key = factory.Sequence(lambda n: f"test-payment-{n}")
    stripe_payment_intent_id = factory.Sequence(lambda n: f"pi_test{n:06d}")
    state = "succeeded"


class ProductFactory(BaseFactory):
    class Meta:
        model = Product

    producer = factory.SubFactory(ProducerFactory)
    name = factory.Sequence(lambda n: f"Carottes {n}")
    category = "legumes"
    description = "Carottes de saison, lavées."
    unit = "kg"
    price_cents = 320
    labels = "ab"
    archived = False


class AvailabilityFactory(BaseFactory):
    """A product offered to a group for a date; pass `supply=` (a ProducerSuppliesGroup) or
    `product=` and `group=` whose producer already supplies the group."""

    class Meta:
        model = Availability
        exclude = ("supply",)

    supply = factory.SubFactory(ProducerSuppliesGroupFactory)
    product = factory.SubFactory(
        ProductFactory, producer=factory.SelfAttribute("..supply.producer")
    )
    producer_id = factory.SelfAttribute("product.producer_id")
    group_id = factory.SelfAttribute("supply.group_id")
    day = factory.LazyFunction(lambda: date.today() + timedelta(days=7))
    quantity_milli = 10_000
    reserved_milli = 0
    price_cents = factory.SelfAttribute("product.price_cents")
    max_per_household_milli = None
    published = True


class OrderFactory(BaseFactory):
    """A placed order with no lines (pass `distribution_day=` and `user=`)."""

    class Meta:
        model = Order

    distribution_day = factory.SubFactory(DistributionDayFactory)
    group_id = factory.SelfAttribute("distribution_day.group_id")
    user = factory.SubFactory(UserFactory)
    status = "placed"
    total_cents = 0


class OrderLineFactory(BaseFactory):
    """A line of an order; the caller keeps the order's total and the stock in step."""

    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    availability = factory.SubFactory(AvailabilityFactory)
    quantity_milli = 1000
    unit_price_cents = factory.SelfAttribute("availability.price_cents")
    total_cents = factory.LazyAttribute(lambda o: o.unit_price_cents * o.quantity_milli // 1000)


class VolunteerRoleFactory(BaseFactory):
    class Meta:
        model = VolunteerRole
        exclude = ("group",)

    group = factory.SubFactory(GroupFactory)
    group_id = factory.SelfAttribute("group.id")
    name = factory.Sequence(lambda n: f"Émargement {n}")
    description = "Accueillir les adhérent·es et cocher la liste."
    needed_per_day = 2
    cancel_cutoff_hours = 48


class ShiftSignupFactory(BaseFactory):
    class Meta:
        model = ShiftSignup

    distribution_day = factory.SubFactory(DistributionDayFactory)
    role = factory.SubFactory(
        VolunteerRoleFactory, group=factory.SelfAttribute("..distribution_day.group")
    )
    user = factory.SubFactory(UserFactory)
    state = "signed_up"
    is_lead = False


class ChecklistTapFactory(BaseFactory):
    """A tap on a line of a day's checklist (pass `distribution_day=` and `target_id=`)."""

    class Meta:
        model = ChecklistTap
        exclude = ("distribution_day", "user")

    distribution_day = factory.SubFactory(DistributionDayFactory)
    distribution_day_id = factory.SelfAttribute("distribution_day.id")
    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    tap_id = factory.Sequence(lambda n: f"tap-{n:08d}")
    target_kind = "delivery"
    target_id = 1
    action = "collected"
    device_id = "phone-a"
    tapped_at = factory.LazyFunction(lambda: datetime.now(UTC))


class DayClosingFactory(BaseFactory):
    class Meta:
        model = DayClosing

    distribution_day = factory.SubFactory(DistributionDayFactory)


class VanFactory(BaseFactory):
    class Meta:
        model = Van

    grocery = factory.SubFactory(GroceryFactory)
    name = factory.Sequence(lambda n: f"Camion {n}")
    capacity_crates = 40
    capacity_kg = 800


class DepotFactory(BaseFactory):
    class Meta:
        model = Depot
        exclude = ("grocery",)

    grocery = factory.SubFactory(GroceryFactory)
    grocery_id = factory.SelfAttribute("grocery.id")
    name = factory.Sequence(lambda n: f"Entrepôt {n}")
    address = "12 rue de la Gare, 69590 Saint-Symphorien-sur-Coise"
    latitude = 45.6317
    longitude = 4.4556


class RouteFactory(BaseFactory):
    """A weekly Tuesday round, valid from last month, with no stops (add RouteStopFactory)."""

    class Meta:
        model = Route

    van = factory.SubFactory(VanFactory)
    grocery = factory.SelfAttribute("van.grocery")
    depot = factory.SubFactory(DepotFactory, grocery=factory.SelfAttribute("..van.grocery"))
    name = factory.Sequence(lambda n: f"Tournée {n}")
    slug = factory.Sequence(lambda n: f"tournee-{n}")
    rrule = "FREQ=WEEKLY;BYDAY=TU"
    valid_from = factory.LazyFunction(lambda: date.today() - timedelta(weeks=4))
    valid_until = None
    departs_at = time(8, 30)


class RouteStopFactory(BaseFactory):
    class Meta:
        model = RouteStop

    route = factory.SubFactory(RouteFactory)
    position = factory.Sequence(lambda n: n + 1)
    village = factory.Sequence(lambda n: f"Village {n}")
    place = "Place de l'église"
    slug = factory.Sequence(lambda n: f"village-{n}")
    latitude = 45.60
    longitude = 4.40
    service_minutes = 30
    arrives_at = time(9, 0)
    departs_at = time(9, 30)


class RouteRunFactory(BaseFactory):
    class Meta:
        model = RouteRun

    route = factory.SubFactory(RouteFactory)
    occurrence_date = factory.LazyFunction(lambda: date.today() + timedelta(days=7))
    day = factory.SelfAttribute("occurrence_date")
    departs_at = factory.LazyAttribute(lambda o: local_instant(o.day, o.route.departs_at))
    status = "scheduled"


class RunStopFactory(BaseFactory):
    """A stop of a run (pass `run=` and `stop=` of the same route)."""

    class Meta:
        model = RunStop

    run = factory.SubFactory(RouteRunFactory)
    stop = factory.SubFactory(RouteStopFactory, route=factory.SelfAttribute("..run.route"))
    position = factory.SelfAttribute("stop.position")
    arrives_at = factory.LazyAttribute(lambda o: local_instant(o.run.day, o.stop.arrives_at))
    departs_at = factory.LazyAttribute(lambda o: local_instant(o.run.day, o.stop.departs_at))


class BeneficiaryFactory(BaseFactory):
    class Meta:
        model = Beneficiary
        exclude = ("grocery",)

    grocery = factory.SubFactory(GroceryFactory)
    grocery_id = factory.SelfAttribute("grocery.id")
    household_name = factory.Sequence(lambda n: f"Foyer Bénéficiaire {n}")
    tier_percent = 30
    valid_from = factory.LazyFunction(lambda: date.today() - timedelta(days=30))
    valid_until = factory.LazyFunction(lambda: date.today() + timedelta(days=335))
    referrer = "Maison du Rhône de Saint-Symphorien"


class StockItemFactory(BaseFactory):
    class Meta:
        model = StockItem
        exclude = ("grocery",)

    grocery = factory.SubFactory(GroceryFactory)
    grocery_id = factory.SelfAttribute("grocery.id")
    name = factory.Sequence(lambda n: f"Pommes de terre {n}")
    category = "legumes"
    unit = "kg"
    quantity_milli = 20_000
    reserved_milli = 0
    shelf_price_cents = 180
    source = "purchase"
    received_on = factory.LazyFunction(date.today)


class PreOrderFactory(BaseFactory):
    """A placed pre-order with no lines (pass `beneficiary=` and `run_stop=`)."""

    class Meta:
        model = PreOrder

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    grocery_id = factory.SelfAttribute("beneficiary.grocery_id")
    run_stop = factory.SubFactory(RunStopFactory)
    tier_percent = factory.SelfAttribute("beneficiary.tier_percent")
    total_cents = 0
    created_by_id = factory.LazyFunction(lambda: UserFactory().id)


class PreOrderLineFactory(BaseFactory):
    class Meta:
        model = PreOrderLine

    pre_order = factory.SubFactory(PreOrderFactory)
    stock_item = factory.SubFactory(StockItemFactory)
    quantity_milli = 1000
    shelf_price_cents = factory.SelfAttribute("stock_item.shelf_price_cents")
    unit_price_cents = factory.LazyAttribute(
        lambda o: (o.shelf_price_cents * o.pre_order.tier_percent + 50) // 100
    )
    total_cents = factory.LazyAttribute(lambda o: o.unit_price_cents * o.quantity_milli // 1000)


class WalkInSaleFactory(BaseFactory):
    """A sale at a stop at the shelf price (pass `run_stop=` and `stock_item=`); the stock is
    not moved: tests of the service use the service."""

    class Meta:
        model = WalkInSale
        exclude = ("run_stop", "stock_item", "sold_by")

    sale_id = factory.LazyFunction(lambda: uuid.uuid4().hex)
    stock_item = factory.SubFactory(StockItemFactory)
    stock_item_id = factory.SelfAttribute("stock_item.id")
    grocery_id = factory.SelfAttribute("stock_item.grocery_id")
    run_stop = factory.SubFactory(RunStopFactory)
    run_stop_id = factory.SelfAttribute("run_stop.id")
    sold_by = factory.SubFactory(UserFactory)
    sold_by_id = factory.SelfAttribute("sold_by.id")
    quantity_milli = 1000
    shelf_price_cents = factory.SelfAttribute("stock_item.shelf_price_cents")
    tier_percent = 100
    unit_price_cents = factory.SelfAttribute("shelf_price_cents")
    total_cents = factory.LazyAttribute(lambda o: o.unit_price_cents * o.quantity_milli // 1000)
    sold_at = factory.LazyFunction(lambda: datetime.now(UTC))


class RunClosingFactory(BaseFactory):
    class Meta:
        model = RunClosing
        exclude = ("run",)

    run = factory.SubFactory(RouteRunFactory)
    run_id = factory.SelfAttribute("run.id")
    grocery_id = factory.SelfAttribute("run.route.grocery_id")
