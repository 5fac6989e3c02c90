"""Dignity: a household's requested tier shows only to itself and to the coordinators' screen."""

from __future__ import annotations

import pytest

from marketplace.baskets.subscribing import subscribe
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.organisations.models import Role
from tests.baskets.test_subscribing import build_scenario, choices, new_member
from tests.organisations.pages import as_new_request
from tests.payments.support import readable

TIER_NAME = "Coup de pouce"


@pytest.fixture
def requested(app):
    scenario = build_scenario(utcnow())
    scenario.solidaire.name = TIER_NAME
    scenario.solidaire.percent = 37
    scenario.member.name = "Foyer Lambert"
    db.session.commit()
    subscription = subscribe(
        scenario.offer, scenario.member, **choices(scenario, tier=scenario.solidaire, now=utcnow())
    )
    db.session.commit()
    return scenario, subscription


def assert_tier_hidden(text: str) -> None:
    assert TIER_NAME not in text
    assert "37 %" not in text


def test_the_coordinators_screens_for_everyone_else_never_show_it(
    client, requested, user_with_role
):
    scenario, _subscription = requested
    group = scenario.offer.group
    user_with_role(Role.COORDINATOR, group)
    members = readable(client.get(f"/groupes/{group.slug}/gestion/membres"))
    assert "Foyer Lambert" in members
    assert_tier_hidden(members)
    arrears = readable(client.get(f"/groupes/{group.slug}/gestion/impayes"))
    assert "Foyer Lambert" in arrears
    assert_tier_hidden(arrears)
    prefinancing = client.get(f"/groupes/{group.slug}/gestion/prefinancement?format=csv")
    assert_tier_hidden(prefinancing.get_data(as_text=True))
    # Only the tier screen shows it.
    assert TIER_NAME in readable(client.get(f"/groupes/{group.slug}/gestion/tarifs"))


def test_the_producer_never_sees_it(client, requested, user_with_role):
    scenario, _subscription = requested
    user_with_role(Role.PRODUCER_STAFF, scenario.offer.producer)
    slug = scenario.offer.producer.slug
    for page in (
        f"/producteurs/{slug}/prefinancement",
        f"/producteurs/{slug}/prefinancement?format=csv",
    ):
        response = client.get(page)
        assert response.status_code == 200
        assert_tier_hidden(readable(response))
        assert "Foyer Lambert" not in readable(response)


def test_other_members_and_volunteers_never_see_it(client, requested, user_with_role, login):
    scenario, subscription = requested
    group = scenario.offer.group
    other = new_member(scenario)
    login(other)
    assert client.get(f"/contrats/{subscription.id}").status_code == 404
    for page in (
        f"/groupes/{group.slug}/fonds",
        "/mes-paniers",
        f"/groupes/{group.slug}/mon-releve",
    ):
        as_new_request()
        assert_tier_hidden(readable(client.get(page)))
    user_with_role(Role.VOLUNTEER, group)
    assert client.get(f"/groupes/{group.slug}/gestion/tarifs").status_code == 403


def test_the_household_itself_sees_its_request(client, requested, login):
    scenario, subscription = requested
    login(scenario.member)
    text = readable(client.get(f"/contrats/{subscription.id}"))
    assert f"{TIER_NAME} (37 %)" in text and "en attente de validation" in text
