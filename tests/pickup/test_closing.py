"""Closing a distribution day: every offer's rule, closing twice, early closing, permissions."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.baskets.models import Delivery
from marketplace.db import utcnow
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.payments.models import LedgerEntry
from marketplace.pickup.models import DayClosing, DonatedItem
from marketplace.shop.models import Order
from marketplace.timezones import paris_today
from tests import factories

# --- A distribution day to close (shared by the QR and sign-off tests) --------------------------


@dataclass
class Scene:
    day: DistributionDay
    supply: object
    point: object

    @property
    def group(self):
        return self.day.group

    def offer(self, policy: str, size_name: str = "grand", price_cents: int = 1800):
        offer = factories.BasketOfferFactory(supply=self.supply, absence_policy=policy)
        size = factories.BasketSizeFactory(offer=offer, name=size_name, price_cents=price_cents)
        tier = factories.PriceTierFactory(offer=offer, name="Solidaire secret", percent=100)
        return offer, size, tier

    def basket(self, offer_size_tier, user=None, **values) -> Delivery:
        offer, size, tier = offer_size_tier
        subscription = factories.SubscriptionFactory(
            offer=offer,
            size=size,
            tier=tier,
            pickup_point=self.point,
            user=user or factories.UserFactory(),
        )
        return factories.DeliveryFactory(
            subscription=subscription, distribution_day=self.day, size=size, **values
        )

    def availability(self, name: str = "Miel de châtaignier", unit: str = "bocal"):
        product = factories.ProductFactory(producer=self.supply.producer, name=name, unit=unit)
        return factories.AvailabilityFactory(
            supply=self.supply, product=product, day=self.day.day, price_cents=750
        )

    def order(self, user, availability, quantity_milli: int = 2000) -> Order:
        order = factories.OrderFactory(distribution_day=self.day, user=user, total_cents=1500)
        factories.OrderLineFactory(
            order=order, availability=availability, quantity_milli=quantity_milli
        )
        return order

    def volunteer(self, *, lead: bool = False):
        signup = factories.ShiftSignupFactory(distribution_day=self.day, is_lead=lead)
        return signup.user

    def coordinator(self):
        user = factories.UserFactory()
        factories.MembershipFactory(user=user, organisation=self.group, role="coordinator")
        return user


def make_scene(*, ends_in: timedelta = timedelta(hours=-1)) -> Scene:
    """A day of today at one pickup point, ending `ends_in` from now (negative: already over)."""
    group = factories.GroupFactory()
    point = factories.PickupPointFactory(group=group)
    schedule = factories.DistributionScheduleFactory(pickup_point=point)
    ends_at = utcnow() + ends_in
    starts_at = ends_at - timedelta(minutes=90)
    today = paris_today()
    day = factories.DistributionDayFactory(
        schedule=schedule,
        occurrence_date=today,
        day=today,
        starts_at=starts_at,
        ends_at=ends_at,
        order_opens_at=starts_at - timedelta(days=7),
        order_closes_at=starts_at - timedelta(days=2),
    )
    supply = factories.ProducerSuppliesGroupFactory(group=group)
    return Scene(day=day, supply=supply, point=point)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def close_url(day) -> str:
    return f"/distributions/{day.id}/cloturer"


# --- Tests --------------------------------------------------------------------------------------


def test_closing_applies_each_offers_rule(client, login):
    scene = make_scene()
    credit, donate, postpone = (
        scene.offer("credit", "petit", 1200),
        scene.offer("donate", "grand", 2400),
        scene.offer("postpone", "moyen", 1800),
    )
    credited = scene.basket(credit)
    donated = scene.basket(donate, quantity=2)
    kept = scene.basket(postpone)
    collected = scene.basket(credit, state="collected")
    absent_donated = scene.basket(donate, state="absent")
    absent_credited = scene.basket(credit, state="absent")
    honey = scene.availability()
    order = scene.order(credited.subscription.user, honey, quantity_milli=2000)
    grocery = factories.GroceryFactory(name="La Passerelle")
    coordinator = scene.coordinator()
    db.session.commit()
    login(coordinator)

    page = client.get(close_url(scene.day))
    assert page.status_code == 200
    text = page_text(page)
    assert "Don à l'épicerie solidaire" in text and "Avoir" in text and "Report" in text

    response = client.post(
        close_url(scene.day), data={"grocery_id": str(grocery.id), "donate_extras": "y"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/distributions/{scene.day.id}/bilan")

    states = {
        d.id: d.state
        for d in db.session.scalars(select(Delivery).execution_options(populate_existing=True))
    }
    assert states[credited.id] == "not_collected"
    assert states[donated.id] == "donated"
    assert states[kept.id] == "not_collected"  # kept for the producer
    assert states[collected.id] == "collected"
    assert states[absent_donated.id] == "absent"  # still counts as an absence
    assert states[absent_credited.id] == "absent"

    items = db.session.scalars(select(DonatedItem).order_by(DonatedItem.id)).all()
    by_source = {(i.delivery_id, i.order_line_id): i for i in items}
    assert {i.delivery_id for i in items if i.delivery_id} == {donated.id, absent_donated.id}
    assert by_source[(donated.id, None)].quantity_milli == 2000
    assert by_source[(donated.id, None)].unit == "panier"
    assert all(i.grocery_id == grocery.id for i in items)
    extra = [i for i in items if i.order_line_id]
    assert len(extra) == 1 and extra[0].quantity_milli == 2000 and extra[0].unit == "bocal"
    assert db.session.get(Order, order.id).pickup_state == "donated"

    credits = db.session.scalars(select(LedgerEntry)).all()
    assert [(c.user_id, c.kind, c.amount_cents) for c in credits] == [
        (credited.subscription.user_id, "credit", 1200)
    ]
    closing = db.session.scalar(select(DayClosing))
    assert closing.closed_by_id == coordinator.id and closing.grocery_id == grocery.id

    report = page_text(client.get(f"/distributions/{scene.day.id}/bilan"))
    assert "Avoirs enregistrés" in report and "12,00" in report
    assert "Clôturée le" in report


def test_closing_twice_is_refused_and_credits_once(client, login):
    scene = make_scene()
    delivery = scene.basket(scene.offer("credit"))
    coordinator = scene.coordinator()
    db.session.commit()
    login(coordinator)

    assert client.post(close_url(scene.day), data={}).status_code == 302
    second = client.post(close_url(scene.day), data={}, follow_redirects=True)
    assert "Cette distribution est déjà clôturée." in page_text(second)
    assert db.session.scalar(select(func.count(DayClosing.id))) == 1
    entries = db.session.scalars(select(LedgerEntry)).all()
    assert len(entries) == 1 and entries[0].amount_cents == delivery.price_cents


def test_a_grocery_is_required_when_something_is_to_be_donated(client, login):
    scene = make_scene()
    delivery = scene.basket(scene.offer("donate"))
    factories.GroceryFactory()
    volunteer = scene.volunteer()
    db.session.commit()
    login(volunteer)

    response = client.post(close_url(scene.day), data={"grocery_id": "None"})
    assert response.status_code == 200
    assert "Choisissez l'épicerie solidaire qui reçoit les dons." in page_text(response)
    assert db.session.scalar(select(func.count(DayClosing.id))) == 0
    assert db.session.get(Delivery, delivery.id).state == "planned"

    tampered = client.post(close_url(scene.day), data={"grocery_id": "999999"})
    assert "Choisissez une épicerie solidaire de la liste." in page_text(tampered)
    assert db.session.scalar(select(func.count(DayClosing.id))) == 0


def test_a_basket_given_to_a_friend_and_ticked_collected_stays_collected(client, login):
    scene = make_scene()
    given = scene.basket(scene.offer("credit"), state="given", given_to_name="Lucie")
    coordinator = scene.coordinator()
    factories.ChecklistTapFactory(
        distribution_day=scene.day, target_kind="delivery", target_id=given.id, action="collected"
    )
    db.session.commit()
    login(coordinator)

    assert client.post(close_url(scene.day), data={}).status_code == 302
    delivery = db.session.get(Delivery, given.id)
    assert delivery.state == "given" and delivery.given_to_name == "Lucie"
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 0


def test_a_volunteer_closes_after_the_end_time(client, login):
    scene = make_scene(ends_in=timedelta(minutes=-5))
    scene.basket(scene.offer("postpone"))
    volunteer = scene.volunteer()
    db.session.commit()
    login(volunteer)

    assert client.post(close_url(scene.day), data={}).status_code == 302
    assert db.session.scalar(select(DayClosing.closed_by_id)) == volunteer.id
    # The report's money is for coordinators only.
    report = page_text(client.get(f"/distributions/{scene.day.id}/bilan"))
    assert "Avoirs enregistrés" not in report


@pytest.mark.parametrize("who", ["lead", "coordinator"])
def test_the_lead_or_a_coordinator_may_close_before_the_end(client, login, who):
    scene = make_scene(ends_in=timedelta(hours=1))
    scene.basket(scene.offer("postpone"))
    user = scene.volunteer(lead=True) if who == "lead" else scene.coordinator()
    db.session.commit()
    login(user)

    assert client.post(close_url(scene.day), data={}).status_code == 302
    assert db.session.scalar(select(func.count(DayClosing.id))) == 1


def test_a_volunteer_who_is_not_the_lead_cannot_close_before_the_end(client, login):
    scene = make_scene(ends_in=timedelta(hours=1))
    delivery = scene.basket(scene.offer("credit"))
    volunteer = scene.volunteer()
    db.session.commit()
    login(volunteer)

    page = page_text(client.get(close_url(scene.day)))
    assert "seul·e le·la responsable de la permanence ou la coordination" in page
    assert "Clôturer la distribution</button>" not in page
    response = client.post(close_url(scene.day), data={})
    assert "La distribution n'est pas terminée" in page_text(response)
    assert db.session.scalar(select(func.count(DayClosing.id))) == 0
    assert db.session.get(Delivery, delivery.id).state == "planned"


@pytest.mark.parametrize("page", ["cloturer", "bilan", "emargement"])
def test_only_the_days_team_may_open_the_closing_pages(client, login, page):
    scene = make_scene()
    member = factories.UserFactory()
    factories.MembershipFactory(user=member, organisation=scene.group, role="member")
    other_day_volunteer = factories.ShiftSignupFactory().user
    db.session.commit()
    url = f"/distributions/{scene.day.id}/{page}"

    for outsider in (member, other_day_volunteer):
        login(outsider)
        assert client.get(url).status_code == 403
        assert client.post(close_url(scene.day), data={}).status_code == 403
    assert db.session.scalar(select(func.count(DayClosing.id))) == 0
    assert client.get("/distributions/999999/cloturer").status_code == 404


def test_the_report_runs_the_same_queries_at_20_and_200_households(client, login):
    from tests.helpers import count_queries

    coordinator = factories.UserFactory()
    scenes = []
    for households in (20, 200):
        scene = make_scene()
        factories.MembershipFactory(user=coordinator, organisation=scene.group, role="coordinator")
        offers = [scene.offer("credit", "grand"), scene.offer("donate", "petit")]
        honey = scene.availability()
        for n in range(households):
            user = factories.UserFactory()
            scene.basket(offers[n % 2], user=user)
            if n % 4 == 0:
                scene.order(user, honey)
        scenes.append(scene)
    grocery = factories.GroceryFactory()
    db.session.commit()
    login(coordinator)
    counts = []
    for scene in scenes:
        client.post(
            close_url(scene.day), data={"grocery_id": str(grocery.id), "donate_extras": "y"}
        )
        with count_queries() as counter:
            assert client.get(f"/distributions/{scene.day.id}/bilan").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_a_grocerys_uncollected_purchase_is_never_given_away(client, login):
    scene = make_scene()
    honey = scene.availability()
    buyer = factories.GroceryFactory(name="Épicerie du Pilat")
    purchase = scene.order(factories.UserFactory(), honey, quantity_milli=3000)
    purchase.grocery_id = buyer.id
    household = scene.order(factories.UserFactory(), honey, quantity_milli=1000)
    receiver = factories.GroceryFactory(name="La Passerelle")
    db.session.commit()
    login(scene.coordinator())

    response = client.post(
        close_url(scene.day), data={"grocery_id": str(receiver.id), "donate_extras": "y"}
    )

    assert response.status_code == 302
    donated = db.session.scalars(select(DonatedItem)).all()
    assert [item.quantity_milli for item in donated] == [1000]  # the household's extras only
    assert db.session.get(Order, purchase.id).pickup_state == "not_collected"
    assert db.session.get(Order, household.id).pickup_state == "donated"
