"""The pre-order pages: staff by phone, a household for itself, and who may see what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.grocery_shop.models import PreOrder, StockItem
from marketplace.grocery_shop.preorders import place_preorder
from marketplace.organisations.models import Role
from marketplace.timezones import paris_today
from tests import factories
from tests.grocery_shop.preorders_support import household, item, make_run
from tests.helpers import count_queries


@pytest.fixture
def van():
    return make_run()


def staff_order_url(van, beneficiary, run_stop) -> str:
    return (
        f"/epiceries/{van.grocery.slug}/precommandes/saisie"
        f"?beneficiaire={beneficiary.id}&arret={run_stop.id}"
    )


def live_count() -> int:
    return db.session.scalar(select(func.count(PreOrder.id)).where(PreOrder.status == "placed"))


# --- the staff --------------------------------------------------------------------------------


def test_staff_take_a_pre_order_by_phone(client, user_with_role, van):
    staff = user_with_role(Role.GROCERY_STAFF, van.grocery)
    family = household(van.grocery, household_name="Foyer Martin", tier_percent=30)
    potatoes = item(van.grocery, name="Pommes de terre", unit="kg", shelf_price_cents=180)
    db.session.commit()

    index = client.get(f"/epiceries/{van.grocery.slug}/precommandes")
    assert index.status_code == 200
    assert "Village A" in index.get_data(as_text=True)
    found = client.get(
        f"/epiceries/{van.grocery.slug}/precommandes/saisie?recherche=martin&etape=chercher"
    )
    assert found.status_code == 200 and "Foyer Martin" in found.get_data(as_text=True)

    url = staff_order_url(van, family, van.stops[0])
    form = client.get(url)
    assert form.status_code == 200
    assert "0,54" in form.get_data(as_text=True)  # 30 % of 1,80 €

    response = client.post(url, data={f"q-{potatoes.id}": "1,5"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "La précommande est enregistrée." in page
    pre_order = db.session.scalar(select(PreOrder))
    assert pre_order.total_cents == 81
    assert pre_order.created_by_id == staff.id
    assert db.session.get(StockItem, potatoes.id).reserved_milli == 1500

    listed = client.get(f"/epiceries/{van.grocery.slug}/precommandes").get_data(as_text=True)
    assert "0,81" in listed

    response = client.post(f"/epiceries/{van.grocery.slug}/precommandes/{pre_order.id}/annuler")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PreOrder, pre_order.id).status == "cancelled"
    assert db.session.get(StockItem, potatoes.id).reserved_milli == 0


def test_a_bad_choice_or_quantity_is_a_clear_error_and_nothing_is_saved(
    client, user_with_role, van
):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    family = household(van.grocery)
    eggs = item(van.grocery, name="Œufs", unit="piece", quantity_milli=12_000)
    elsewhere = make_run()
    db.session.commit()

    response = client.get(f"/epiceries/{van.grocery.slug}/precommandes/saisie?beneficiaire=abc")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choisissez un foyer dans la liste." in page
    assert "Choisissez un arrêt dans la liste." in page

    # Another grocery's stop is not one of ours.
    response = client.get(staff_order_url(van, family, elsewhere.stops[0]))
    assert response.status_code == 422

    url = staff_order_url(van, family, van.stops[0])
    for typed, message in [
        ("1,5", "Ce produit se vend à l&#39;unité"),
        ("abc", "Indiquez une quantité en chiffres"),
        ("13", "n&#39;est plus disponible dans cette quantité : il en reste 12"),
        ("", "Indiquez au moins un produit."),
    ]:
        response = client.post(url, data={f"q-{eggs.id}": typed})
        assert response.status_code == 422, typed
        assert message in response.get_data(as_text=True), typed
    assert live_count() == 0
    db.session.expire_all()
    assert db.session.get(StockItem, eggs.id).reserved_milli == 0


def test_after_the_cut_off_the_form_is_closed(client, user_with_role):
    van = make_run(days_ahead=0)  # leaves this morning: closed since yesterday
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    family = household(van.grocery)
    potatoes = item(van.grocery)
    db.session.commit()
    url = staff_order_url(van, family, van.stops[0])
    assert "sont closes" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={f"q-{potatoes.id}": "1"})
    assert response.status_code == 422
    assert "sont closes" in response.get_data(as_text=True)
    assert live_count() == 0


@pytest.mark.parametrize("role", [Role.VOLUNTEER, "member", "other_staff", "beneficiary"])
def test_staff_pages_are_refused_to_others(client, user_with_role, login, van, role):
    family = household(van.grocery)
    pre_order = factories.PreOrderFactory(beneficiary=family, run_stop=van.stops[0])
    if role == "member":
        user_with_role(Role.MEMBER, factories.GroupFactory())
    elif role == "other_staff":
        user_with_role(Role.GROCERY_STAFF, factories.GroceryFactory())
    elif role == "beneficiary":
        person = factories.UserFactory()
        family.user_id = person.id
        db.session.commit()
        login(person)
    else:
        user_with_role(role, van.grocery)
    db.session.commit()
    slug = van.grocery.slug
    assert client.get(f"/epiceries/{slug}/precommandes").status_code == 403
    assert client.get(staff_order_url(van, family, van.stops[0])).status_code == 403
    assert client.post(f"/epiceries/{slug}/precommandes/{pre_order.id}/annuler").status_code == 403
    assert db.session.get(PreOrder, pre_order.id).status == "placed"


def test_the_staff_list_takes_the_same_queries_for_5_or_100_pre_orders(
    client, user_with_role, login
):
    counts = []
    for size in (5, 100):
        van = make_run(stops=3, capacity_crates=120, capacity_kg=None)
        staff = user_with_role(Role.GROCERY_STAFF, van.grocery, log_in=False)
        potatoes = item(van.grocery, quantity_milli=1_000_000)
        for index in range(size):
            place_preorder(
                household(van.grocery),
                van.stops[index % 3],
                {potatoes.id: 1000},
                by=staff,
                now=utcnow(),
            )
        db.session.commit()
        login(staff)
        with count_queries() as counter:
            response = client.get(f"/epiceries/{van.grocery.slug}/precommandes")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("Modifier") == min(size, 50)  # a page
        counts.append(counter.count)
    assert counts[0] == counts[1]


# --- the household ----------------------------------------------------------------------------


def test_a_household_pre_orders_for_itself_at_its_own_price(client, login, van):
    person = login(factories.UserFactory())
    family = household(van.grocery, person, household_name="Foyer Durand", tier_percent=10)
    neighbour = household(van.grocery, household_name="Foyer Voisin", tier_percent=50)
    potatoes = item(van.grocery, name="Pommes de terre", unit="kg", shelf_price_cents=250)
    place_preorder(
        neighbour, van.stops[0], {potatoes.id: 1000}, by=factories.UserFactory(), now=utcnow()
    )
    db.session.commit()

    home = client.get(f"/epicerie-mobile/{van.grocery.slug}")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "Village A" in page
    assert "Foyer Voisin" not in page
    assert "50 %" not in page

    url = f"/epicerie-mobile/{van.grocery.slug}/arrets/{van.stops[1].id}"
    page = client.get(url).get_data(as_text=True)
    assert "Votre tarif : 10 % du prix en rayon" in page
    assert "0,25" in page  # 10 % of 2,50 €
    assert "Foyer Voisin" not in page

    response = client.post(url, data={f"q-{potatoes.id}": "2"})
    assert response.status_code == 302
    mine = db.session.scalar(select(PreOrder).where(PreOrder.beneficiary_id == family.id))
    assert mine.total_cents == 50
    assert mine.created_by_id == person.id

    home = client.get(f"/epicerie-mobile/{van.grocery.slug}").get_data(as_text=True)
    assert "Mes précommandes en cours" in home
    assert "0,50" in home
    assert "À vos arrêts habituels" in home  # Village B, where it has pre-ordered

    response = client.post(f"/epicerie-mobile/{van.grocery.slug}/precommandes/{mine.id}/annuler")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PreOrder, mine.id).status == "cancelled"


def test_a_household_sees_and_cancels_only_its_own(client, login, van):
    person = login(factories.UserFactory())
    household(van.grocery, person)
    neighbour = household(van.grocery)
    theirs = factories.PreOrderFactory(beneficiary=neighbour, run_stop=van.stops[0])
    elsewhere = make_run()
    db.session.commit()
    slug = van.grocery.slug
    assert (
        client.post(f"/epicerie-mobile/{slug}/precommandes/{theirs.id}/annuler").status_code == 404
    )
    assert client.get(f"/epicerie-mobile/{slug}/arrets/{elsewhere.stops[0].id}").status_code == 404
    assert db.session.get(PreOrder, theirs.id).status == "placed"
    # Someone with no household at this grocery has no page here.
    assert client.get(f"/epicerie-mobile/{elsewhere.grocery.slug}").status_code == 403


def test_an_expired_household_is_told_and_cannot_order(client, login, van):
    person = login(factories.UserFactory())
    household(
        van.grocery,
        person,
        valid_from=paris_today() - timedelta(days=400),
        valid_until=paris_today() - timedelta(days=1),
    )
    potatoes = item(van.grocery)
    db.session.commit()
    page = client.get(f"/epicerie-mobile/{van.grocery.slug}").get_data(as_text=True)
    assert "Vos droits à l'épicerie ne sont pas ouverts" in page
    assert "Village A" not in page
    url = f"/epicerie-mobile/{van.grocery.slug}/arrets/{van.stops[0].id}"
    response = client.post(url, data={f"q-{potatoes.id}": "1"})
    assert response.status_code == 422
    assert "ont expiré" in response.get_data(as_text=True)
    assert live_count() == 0


def test_the_staff_dashboard_links_to_the_pre_orders(client, user_with_role, van):
    user_with_role(Role.GROCERY_STAFF, van.grocery)
    page = client.get("/tableau-de-bord").get_data(as_text=True)
    assert f"/epiceries/{van.grocery.slug}/precommandes" in page


def test_the_staff_find_a_households_pre_order_by_name(client, user_with_role, van):
    jars = item(van.grocery, name="Miel", unit="bocal", quantity_milli=5000)
    staff = user_with_role(Role.GROCERY_STAFF, van.grocery)
    for name in ("Famille Morel", "Awa Diallo"):
        place_preorder(
            household(van.grocery, household_name=name),
            van.stops[0],
            {jars.id: 1000},
            by=staff,
            now=utcnow(),
        )
    db.session.commit()

    page = client.get(f"/epiceries/{van.grocery.slug}/precommandes?foyer=morel").text
    listed = page[page.index('id="en-cours"') :]
    assert "Famille Morel" in listed and "Awa Diallo" not in listed
    assert 'value="morel"' in listed
