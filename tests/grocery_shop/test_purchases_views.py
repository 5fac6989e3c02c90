"""The grocery's purchase pages: the open distributions, ordering for a day, cancelling,
entering into the stock; who may see them; their query counts."""

from __future__ import annotations

import html
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Availability
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.grocery_shop.models import StockItem
from marketplace.payments.models import LedgerEntry
from marketplace.shop.models import Order
from tests import factories
from tests.grocery_shop.purchases_support import (
    close_window,
    make_market,
    move_day_to_the_past,
    staff_of,
)
from tests.helpers import count_queries, message_text
from tests.organisations.pages import as_new_request
from tests.shop.helpers import add_products, open_day


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def market(app):
    built = make_market()
    db.session.commit()
    return built


@pytest.fixture
def staffed(market, login):
    login(market.staff)
    return market


def order_of(market) -> Order | None:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.grocery_id == market.grocery.id))


def test_index_lists_the_open_distributions_and_the_purchases(client, staffed):
    carrots = staffed.shop.offer(name="Carottes")
    db.session.commit()
    page = text_of(client.get(staffed.url()))
    assert staffed.shop.group.name in page
    assert staffed.day.pickup_point.name in page
    assert "Commander" in page and "Aucun achat en cours." in page

    client.post(staffed.day_url(), data={f"q-{carrots.id}": "2"})
    page = text_of(client.get(staffed.url()))
    assert "Modifier l'achat" in page
    assert "Modifiable jusqu'au" in page


def test_ordering_changing_and_cancelling_from_the_day_page(client, staffed, outbox):
    carrots = staffed.shop.offer(name="Carottes", price_cents=300, quantity_milli=10_000)
    eggs = staffed.shop.offer(
        name="Œufs", unit="douzaine", price_cents=400, max_per_household_milli=3_000
    )
    db.session.commit()

    page = text_of(client.get(staffed.day_url()))
    assert staffed.shop.producer.name in page
    assert "reste 10 kg" in page and "3 douzaines au plus par foyer" in page

    response = client.post(staffed.day_url(), data={f"q-{carrots.id}": "1,5"})
    assert response.status_code == 302
    order = order_of(staffed)
    assert order.user_id == staffed.staff.id
    assert [(line.availability_id, line.quantity_milli) for line in order.lines] == [
        (carrots.id, 1_500)
    ]
    assert order.total_cents == 450
    [placed] = outbox
    assert placed["To"] == staffed.staff.email
    assert subject(placed).startswith("Épicerie du Pilat : achat pour la distribution du")
    assert "Épicerie du Pilat" in message_text(placed) and "Carottes" in message_text(placed)

    page = text_of(client.get(staffed.day_url()))
    assert 'value="1,5"' in page and "Achat enregistré" in page

    client.post(staffed.day_url(), data={f"q-{carrots.id}": "", f"q-{eggs.id}": "2"})
    order = order_of(staffed)
    assert [(line.availability_id, line.quantity_milli) for line in order.lines] == [
        (eggs.id, 2_000)
    ]
    assert "modifié" in subject(outbox[-1])

    response = client.post(staffed.url(f"/{order.id}/annuler"))
    assert response.status_code == 302
    assert order_of(staffed).status == "cancelled"
    assert "annulé" in subject(outbox[-1])
    assert count(LedgerEntry) == 0
    assert db.session.scalar(select(func.sum(Availability.reserved_milli))) == 0


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12", "il en reste 10 kg"),
        ("abc", "Indiquez une quantité en chiffres"),
        ("-1", "supérieure à zéro"),
    ],
)
def test_bad_quantities_are_shown_next_to_the_product(client, staffed, typed, message):
    carrots = staffed.shop.offer(name="Carottes", quantity_milli=10_000)
    db.session.commit()
    response = client.post(staffed.day_url(), data={f"q-{carrots.id}": typed})
    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    assert f'id="q-{carrots.id}-error"' in page
    assert f'value="{typed}"' in page  # what was typed is given back
    assert order_of(staffed) is None


def test_a_fractional_piece_is_refused(client, staffed):
    bread = staffed.shop.offer(name="Pain", unit="piece")
    db.session.commit()
    response = client.post(staffed.day_url(), data={f"q-{bread.id}": "1,5"})
    assert response.status_code == 422
    assert "nombre entier" in text_of(response)
    assert order_of(staffed) is None


def test_a_closed_window_refuses_orders(client, staffed):
    carrots = staffed.shop.offer()
    db.session.commit()
    close_window(staffed.day)
    page = text_of(client.get(staffed.day_url()))
    assert "Les commandes ne sont pas ouvertes" in page
    assert "disabled" in page
    response = client.post(staffed.day_url(), data={f"q-{carrots.id}": "1"})
    assert response.status_code == 422
    assert order_of(staffed) is None


def test_a_second_purchase_for_the_day_by_a_colleague_changes_the_first(client, staffed, login):
    carrots = staffed.shop.offer()
    db.session.commit()
    client.post(staffed.day_url(), data={f"q-{carrots.id}": "1"})
    colleague = staff_of(staffed.grocery)
    db.session.commit()
    login(colleague)
    page = text_of(client.get(staffed.day_url()))
    assert "Achat enregistré" in page  # the grocery's purchase, whoever placed it
    client.post(staffed.day_url(), data={f"q-{carrots.id}": "3"})
    assert count(Order) == 1
    assert order_of(staffed).lines[0].quantity_milli == 3_000


def test_the_households_pages_do_not_show_the_grocerys_purchase(client, staffed):
    carrots = staffed.shop.offer(name="Carottes de l'épicerie")
    factories.MembershipFactory(user=staffed.staff, organisation=staffed.shop.group)
    db.session.commit()
    client.post(staffed.day_url(), data={f"q-{carrots.id}": "1"})
    order = order_of(staffed)
    assert "Carottes de l'épicerie" not in text_of(client.get("/boutique/commandes"))
    assert client.get(f"/boutique/commandes/{order.id}").status_code == 404


# --- entering into the stock --------------------------------------------------------------------


def placed(client, market, quantities: dict) -> Order:
    client.post(market.day_url(), data={f"q-{offer.id}": text for offer, text in quantities})
    return order_of(market)


def test_after_the_day_the_purchase_enters_the_stock_with_shelf_prices(client, staffed):
    carrots = staffed.shop.offer(name="Carottes", price_cents=300)
    bread = staffed.shop.offer(name="Pain", unit="piece", category="pain", price_cents=250)
    db.session.commit()
    order = placed(client, staffed, [(carrots, "5"), (bread, "4")])
    receive_url = staffed.url(f"/{order.id}/reception")
    assert "pourra entrer en stock après" in text_of(client.get(receive_url))

    move_day_to_the_past(staffed.day)
    assert "Entrer en stock" in text_of(client.get(staffed.url()))
    page = text_of(client.get(receive_url))
    lines = {line.availability_id: line.id for line in order_of(staffed).lines}
    carrots_line, bread_line = lines[carrots.id], lines[bread.id]
    assert f'name="l{carrots_line}-quantity" type="text" value="5"' in page
    assert f'name="l{carrots_line}-shelf_price" type="text" value="3,00"' in page

    response = client.post(
        receive_url,
        data={
            f"l{carrots_line}-quantity": "4,5",
            f"l{carrots_line}-shelf_price": "3,50",
            f"l{bread_line}-quantity": "4",
            f"l{bread_line}-shelf_price": "2,80",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/epiceries/{staffed.grocery.slug}/stock")
    items = {item.name: item for item in db.session.scalars(select(StockItem))}
    assert (items["Carottes"].quantity_milli, items["Carottes"].shelf_price_cents) == (4_500, 350)
    assert (items["Pain"].quantity_milli, items["Pain"].shelf_price_cents) == (4_000, 280)
    stock_page = text_of(client.get(f"/epiceries/{staffed.grocery.slug}/stock"))
    assert "Carottes" in stock_page and "Acheter aux producteurs" in stock_page
    assert "Aucun achat en cours." in text_of(client.get(staffed.url()))

    # The same form sent again (a double click, the back button): nothing twice.
    again = client.post(
        receive_url,
        data={f"l{carrots_line}-quantity": "4,5", f"l{carrots_line}-shelf_price": "3,50"},
    )
    assert again.status_code == 302
    assert count(StockItem) == 2
    assert "déjà entré en stock" in text_of(client.get(staffed.url()))


def test_more_received_than_bought_or_a_bad_price_is_refused(client, staffed):
    carrots = staffed.shop.offer(name="Carottes")
    db.session.commit()
    order = placed(client, staffed, [(carrots, "2")])
    move_day_to_the_past(staffed.day)
    line_id = order.lines[0].id
    receive_url = staffed.url(f"/{order.id}/reception")

    response = client.post(
        receive_url, data={f"l{line_id}-quantity": "3", f"l{line_id}-shelf_price": "3"}
    )
    assert response.status_code == 422
    assert "Plus que la quantité achetée (2 kg)" in text_of(response)

    response = client.post(
        receive_url, data={f"l{line_id}-quantity": "2", f"l{line_id}-shelf_price": "trois"}
    )
    assert response.status_code == 422
    assert "Indiquez un prix en euros" in text_of(response)
    assert count(StockItem) == 0


def test_a_purchase_ticked_collected_enters_the_stock_on_the_day(client, staffed):
    carrots = staffed.shop.offer(name="Carottes")
    db.session.commit()
    order = placed(client, staffed, [(carrots, "2")])
    order.pickup_state = "collected"
    db.session.commit()
    line_id = order.lines[0].id
    response = client.post(
        staffed.url(f"/{order.id}/reception"),
        data={f"l{line_id}-quantity": "2", f"l{line_id}-shelf_price": "3"},
    )
    assert response.status_code == 302
    assert count(StockItem) == 1


# --- who may see the pages ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "volunteer", "producer_staff", "other_grocery"])
def test_only_the_grocerys_staff_reach_the_pages(client, market, login, who):
    carrots = market.shop.offer()
    order = factories.OrderFactory(
        distribution_day=market.day, user=market.staff, grocery_id=market.grocery.id
    )
    organisation = {
        "member": market.shop.group,
        "volunteer": market.shop.group,
        "producer_staff": market.shop.producer,
        "other_grocery": factories.GroceryFactory(),
    }[who]
    person = factories.UserFactory()
    role = "grocery_staff" if who == "other_grocery" else who
    factories.MembershipFactory(user=person, organisation=organisation, role=role)
    db.session.commit()
    login(person)
    for url in (market.url(), market.day_url(), market.url(f"/{order.id}/reception")):
        assert client.get(url).status_code == 403, url
    assert client.post(market.day_url(), data={f"q-{carrots.id}": "1"}).status_code == 403
    assert client.post(market.url(f"/{order.id}/annuler")).status_code == 403
    assert count(Order) == 1


def test_unknown_grocery_day_or_anothers_purchase_is_404(client, staffed, admin):
    other = factories.GroceryFactory()
    theirs = factories.OrderFactory(
        distribution_day=staffed.day, user=staff_of(other), grocery_id=other.id
    )
    db.session.commit()
    assert client.get("/epiceries/inconnue/achats").status_code == 404
    assert client.get(staffed.url("/distributions/99999")).status_code == 404
    assert client.get(staffed.url(f"/{theirs.id}/reception")).status_code == 404
    assert client.post(staffed.url(f"/{theirs.id}/annuler")).status_code == 404
    assert client.get(staffed.url()).status_code == 200  # a site administrator


# --- query counts -------------------------------------------------------------------------------


def queries_for(client, url: str) -> int:
    as_new_request()
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def test_the_index_runs_the_same_queries_whatever_the_number_of_days(client, staffed):
    staffed.shop.offer()
    db.session.commit()
    few = queries_for(client, staffed.url())
    for _number in range(6):
        day = open_day(
            starts_at=utcnow() + timedelta(days=5), ends_at=utcnow() + timedelta(days=5, hours=2)
        )
        supply = factories.ProducerSuppliesGroupFactory(group=day.group)
        availability = factories.AvailabilityFactory(supply=supply, day=day.day)
        order = factories.OrderFactory(
            distribution_day=day, user=staffed.staff, grocery_id=staffed.grocery.id
        )
        factories.OrderLineFactory(order=order, availability=availability)
    db.session.commit()
    page = text_of(client.get(staffed.url()))
    assert page.count("Modifier l'achat") == 6
    assert queries_for(client, staffed.url()) == few


def test_the_day_page_runs_the_same_queries_whatever_the_number_of_products(client, staffed):
    carrots = staffed.shop.offer()
    db.session.commit()
    client.post(staffed.day_url(), data={f"q-{carrots.id}": "1"})
    few = queries_for(client, staffed.day_url())
    add_products(staffed.shop, 200)
    db.session.commit()
    assert queries_for(client, staffed.day_url()) == few
    assert few <= 10
