"""The printable sign-off sheet: one row per household, a column per size and product, a
signature box, no tier or price; a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.extensions import db
from tests import factories
from tests.helpers import count_queries
from tests.pickup.test_closing import make_scene, page_text


def sheet_url(day) -> str:
    return f"/distributions/{day.id}/emargement"


def test_the_sheet_lists_each_household_with_its_baskets_and_extras(client, login):
    scene = make_scene(ends_in=timedelta(hours=2))
    vegetables = scene.offer("credit", "grand", 2345)
    small = scene.offer("credit", "petit", 1234)
    alice = factories.UserFactory(name="Alice Zola")
    bruno = factories.UserFactory(name="Bruno Abel")
    scene.basket(vegetables, user=alice, quantity=2)
    scene.basket(small, user=bruno)
    scene.basket(
        small,
        user=factories.UserFactory(name="Chloé Marin"),
        state="given",
        given_to_name="Lucie Amie",
    )
    scene.basket(small, user=factories.UserFactory(name="Denis Absent"), state="absent")
    scene.order(bruno, scene.availability("Miel de lavande", "bocal"), quantity_milli=3000)
    volunteer = scene.volunteer()
    db.session.commit()
    login(volunteer)

    response = client.get(sheet_url(scene.day))
    assert response.status_code == 200
    text = page_text(response)
    assert "Feuille d'émargement" in text
    for heading in ("Panier grand", "Panier petit", "Miel de lavande", "Signature"):
        assert heading in text
    # Households by name; the friend signs on the given basket's own row; the absent is not listed.
    assert (
        text.index("Alice Zola")
        < text.index("Bruno Abel")
        < text.index("Lucie Amie, pour Chloé Marin")
    )
    assert "Denis Absent" not in text
    assert "3 bocaux" in text
    # Never a price nor a tier on the sheet.
    for private in ("23,45", "12,34", "7,50", "Solidaire secret"):
        assert private not in text


@pytest.mark.parametrize("role", ["volunteer", "coordinator", "admin"])
def test_the_days_team_may_print_the_sheet(client, login, role):
    scene = make_scene()
    user = {
        "volunteer": scene.volunteer,
        "coordinator": scene.coordinator,
        "admin": lambda: factories.UserFactory(is_admin=True),
    }[role]()
    db.session.commit()
    login(user)
    assert client.get(sheet_url(scene.day)).status_code == 200


def test_producers_cannot_print_the_sheet(client, login):
    scene = make_scene()
    staff = factories.UserFactory()
    factories.MembershipFactory(
        user=staff, organisation=scene.supply.producer, role="producer_staff"
    )
    db.session.commit()
    login(staff)
    assert client.get(sheet_url(scene.day)).status_code == 403


def _fill(scene, households: int, offers, honey) -> None:
    for n in range(households):
        user = factories.UserFactory()
        scene.basket(offers[n % 2], user=user)
        if n % 3 == 0:
            scene.order(user, honey)


def _queries_for(client, scene) -> int:
    with count_queries() as counter:
        response = client.get(sheet_url(scene.day))
    assert response.status_code == 200
    return counter.count


def test_the_sheet_runs_the_same_queries_at_20_and_500_households(client, login):
    small, large = make_scene(), make_scene()
    coordinator = factories.UserFactory()
    for scene in (small, large):
        factories.MembershipFactory(user=coordinator, organisation=scene.group, role="coordinator")
    for scene, households in ((small, 20), (large, 500)):
        offers = [scene.offer("credit", "grand"), scene.offer("donate", "petit")]
        _fill(scene, households, offers, scene.availability())
    db.session.commit()
    login(coordinator)

    assert _queries_for(client, small) == _queries_for(client, large)
    # 50 households a sheet (a page stays small at any size); every household on one sheet.
    pages = [
        page_text(client.get(f"{sheet_url(large.day)}?page={number}")) for number in range(1, 11)
    ]
    assert [text.count('class="signoff-signature"></td>') for text in pages] == [50] * 10
    assert "Feuille 1 sur 10" in pages[0]
    assert client.get(f"{sheet_url(large.day)}?page=11").status_code == 404


@pytest.mark.parametrize("number", ["abc", "0", "-1", "99999999999"])
def test_a_sheet_number_that_is_not_one_gives_the_first_sheet(client, login, number):
    scene = make_scene()
    offer = scene.offer("credit", "grand")
    for _ in range(3):
        scene.basket(offer, user=factories.UserFactory())
    volunteer = scene.volunteer()
    db.session.commit()
    login(volunteer)
    response = client.get(f"{sheet_url(scene.day)}?page={number}")
    assert response.status_code == 200
    assert page_text(response).count('class="signoff-signature"></td>') == 3
    assert client.get(f"{sheet_url(scene.day)}?page=2").status_code == 404
