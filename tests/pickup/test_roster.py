"""The day's checklist lines: who collects what, sorted by name, in constant queries."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.pickup.roster import day_counts, household_lines
from tests import factories
from tests.helpers import count_queries
from tests.pickup import scenario


def test_lines_group_baskets_and_extras_by_household_sorted_by_name(app):
    setup = scenario.make_day()
    zoe = factories.UserFactory(name="Zoé Martin")
    elodie = factories.UserFactory(name="Élodie Bernard")
    eloi = factories.UserFactory(name="Eloi Durand")
    scenario.add_basket(setup, user=zoe, size_index=1)
    scenario.add_order(setup, user=zoe)
    scenario.add_basket(setup, user=elodie)
    scenario.add_order(setup, user=eloi, quantities=(500, 0))
    db.session.commit()

    lines = household_lines(setup.day.id)

    assert [line.name for line in lines] == ["Élodie Bernard", "Eloi Durand", "Zoé Martin"]
    zoe_line = lines[2]
    assert zoe_line.key == f"u{zoe.id}"
    assert [(b.size_name, b.producer_name, b.quantity) for b in zoe_line.baskets] == [
        ("Grand", "Ferme du Coteau", 1)
    ]
    assert [(e.product_name, e.quantity_milli, e.unit) for e in zoe_line.extras] == [
        ("Tomme", 1500, "kg"),
        ("Yaourts", 2000, "piece"),
    ]
    assert zoe_line.order_id is not None
    assert zoe_line.state == "to_hand_over"
    assert lines[1].baskets == [] and len(lines[1].extras) == 1


def test_given_delivery_is_listed_under_the_friends_name(app):
    setup = scenario.make_day()
    household = factories.UserFactory(name="Famille Dupont")
    scenario.add_basket(setup, user=household, state="given", given_to_name="Awa Diallo")
    delivery = scenario.add_basket(setup, user=household, size=scenario.other_offer_size(setup))
    db.session.commit()

    lines = household_lines(setup.day.id)

    assert [line.name for line in lines] == ["Awa Diallo, pour Famille Dupont", "Famille Dupont"]
    given = lines[0]
    assert given.key.startswith("g") and given.given_to == "Awa Diallo"
    assert given.user_id == household.id
    assert [b.delivery_id for b in lines[1].baskets] == [delivery.id]


def test_absent_donated_cancelled_and_other_days_are_not_listed(app):
    setup = scenario.make_day()
    scenario.add_basket(setup, state="absent")
    scenario.add_basket(setup, state="donated")
    cancelled = scenario.add_basket(setup)
    cancelled.subscription.status = "cancelled"
    cancelled.subscription.cancelled_at = cancelled.updated_at
    cancelled_order = scenario.add_order(setup)
    cancelled_order.status = "cancelled"
    cancelled_order.cancelled_at = cancelled_order.created_at
    other_day = scenario.make_day()
    scenario.add_basket(other_day)
    kept = scenario.add_basket(setup, state="collected")
    db.session.commit()

    lines = household_lines(setup.day.id)

    assert [[b.delivery_id for b in line.baskets] for line in lines] == [[kept.id]]
    assert lines[0].state == "collected"


def test_no_tier_price_or_payment_in_a_line(app):
    setup = scenario.make_day()
    scenario.add_basket(setup)
    scenario.add_order(setup)
    db.session.commit()

    line = household_lines(setup.day.id)[0]

    text = repr(line)
    assert "Solidaire" not in text and "price" not in text and "cents" not in text


def test_counts_per_size_and_product(app):
    setup = scenario.make_day()
    scenario.add_basket(setup, size_index=0, state="collected")
    scenario.add_basket(setup, size_index=0)
    scenario.add_basket(setup, size_index=1, quantity=2)
    order = scenario.add_order(setup)
    order.pickup_state = "collected"
    scenario.add_order(setup, quantities=(500, 0))
    db.session.commit()

    counts = day_counts(household_lines(setup.day.id))

    baskets = {row.label: (row.collected, row.expected) for row in counts.baskets}
    assert baskets == {"Petit — Légumes de saison": (1, 2), "Grand — Légumes de saison": (0, 2)}
    products = {row.label: (row.collected, row.expected) for row in counts.products}
    assert products["Tomme — Fromagerie des Monts"] == (1500, 2000)
    assert products["Yaourts — Fromagerie des Monts"] == (2000, 2000)
    assert (counts.households, counts.households_done) == (5, 2)


def test_line_state_is_partly_when_some_items_are_collected(app):
    setup = scenario.make_day()
    user = factories.UserFactory()
    scenario.add_basket(setup, user=user, state="collected")
    scenario.add_order(setup, user=user)
    db.session.commit()

    assert household_lines(setup.day.id)[0].state == "partly"


def _queries_for(households: int) -> int:
    setup = scenario.make_day()
    scenario.add_households(setup, households)
    db.session.commit()
    day_id = setup.day.id
    db.session.expire_all()
    with count_queries() as counter:
        lines = household_lines(day_id)
        day_counts(lines)
    assert len(lines) == households
    return counter.count


def test_constant_number_of_queries(app):
    assert _queries_for(3) == _queries_for(40) == 3
