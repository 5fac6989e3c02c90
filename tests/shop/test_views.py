"""The shop pages as a member uses them: browse, fill the cart, order, change, cancel."""

from __future__ import annotations

import re
from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Availability
from marketplace.extensions import db
from marketplace.payments.models import LedgerEntry
from marketplace.shop.models import Order
from tests import factories
from tests.helpers import count_queries, message_text
from tests.shop.helpers import add_products, make_shop


@pytest.fixture
def shop(app):
    return make_shop()


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def shop_url(shop) -> str:
    return f"/boutique/distributions/{shop.day.id}"


def order_quantity(client, shop, availability, typed: str):
    data = {"shown": availability.id, f"q-{availability.id}": typed, "action": "order"}
    return client.post(shop_url(shop), data=data)


def test_a_member_fills_a_cart_and_orders(shop, client, login, outbox):
    carrots = shop.offer(name="Carottes", unit="kg", price_cents=320, quantity_milli=8_000)
    bread = shop.offer(name="Pain de campagne", unit="piece", price_cents=450, category="pain")
    member = login(shop.member())
    db.session.commit()

    page = client.get(shop_url(shop))
    assert page.status_code == 200
    assert "Carottes" in page_text(page)
    assert "reste 8 kg" in page_text(page)

    response = client.post(
        shop_url(shop),
        data={"shown": [carrots.id, bread.id], f"q-{carrots.id}": "1,5", f"q-{bread.id}": ""},
    )
    assert response.status_code == 302
    page = page_text(client.get(shop_url(shop)))
    assert "Carottes — 1,5 kg" in page
    assert "Total : 4,80 €" in page

    # Searching keeps the cart; ordering from the filtered page adds the bread.
    response = client.post(
        shop_url(shop),
        data={"recherche": "pain", "shown": [bread.id], f"q-{bread.id}": "2", "action": "order"},
    )
    assert response.status_code == 302
    order = db.session.scalar(select(Order).where(Order.user_id == member.id))
    assert response.location.endswith(f"/boutique/commandes/{order.id}")
    assert order.total_cents == 480 + 900
    page = page_text(client.get(response.location))
    assert "13,80 €" in page
    assert "Mon relevé de compte" in page

    assert len(outbox) == 1
    body = re.sub(r"\s+", " ", message_text(outbox[0]))
    assert "Pain de campagne" in body and "13,80 €" in body
    assert outbox[0]["To"] == member.email


def test_changing_then_cancelling_an_order(shop, client, login, outbox):
    carrots = shop.offer(name="Carottes", price_cents=300, quantity_milli=5_000)
    member = login(shop.member())
    db.session.commit()
    client.post(
        shop_url(shop), data={"shown": carrots.id, f"q-{carrots.id}": "2", "action": "order"}
    )
    order = db.session.scalar(select(Order).where(Order.user_id == member.id))

    page = page_text(client.get(shop_url(shop)))
    assert "Vous avez déjà commandé pour cette distribution" in page
    client.post(
        shop_url(shop), data={"shown": carrots.id, f"q-{carrots.id}": "3", "action": "order"}
    )
    db.session.expire_all()
    assert db.session.get(Order, order.id).total_cents == 900
    assert "modifiée" in subject(outbox[-1])

    response = client.post(f"/boutique/commandes/{order.id}/annuler")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "cancelled"
    assert db.session.get(Availability, carrots.id).reserved_milli == 0
    assert "annulée" in subject(outbox[-1])
    assert "Cette commande est annulée" in page_text(client.get(f"/boutique/commandes/{order.id}"))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "La quantité doit être supérieure à zéro."),
        ("-2", "La quantité doit être supérieure à zéro."),
        ("1,5", "Ce produit se vend à l&#39;unité : indiquez un nombre entier."),
        ("deux", "Indiquez une quantité en chiffres"),
        ("7", "« Pain » : 5 pièces au plus par foyer pour cette date."),
    ],
)
def test_bad_quantities_show_a_clear_error_and_save_nothing(shop, client, login, typed, message):
    bread = shop.offer(name="Pain", unit="piece", max_per_household_milli=5_000)
    login(shop.member())
    db.session.commit()
    response = client.post(
        shop_url(shop), data={"shown": bread.id, f"q-{bread.id}": typed, "action": "order"}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 0
    db.session.expire_all()
    assert db.session.get(Availability, bread.id).reserved_milli == 0


def test_a_tampered_price_is_ignored(shop, client, login):
    cheese = shop.offer(name="Tomme", unit="piece", price_cents=900)
    member = login(shop.member())
    db.session.commit()
    client.post(
        shop_url(shop),
        data={
            "shown": cheese.id,
            f"q-{cheese.id}": "1",
            f"price-{cheese.id}": "1",
            "price_cents": "1",
            "action": "order",
        },
    )
    order = db.session.scalar(select(Order).where(Order.user_id == member.id))
    assert order.total_cents == 900
    assert order.lines[0].unit_price_cents == 900


def test_a_product_of_another_groups_day_or_unknown_is_refused(shop, client, login):
    elsewhere = make_shop()
    apples = elsewhere.offer(name="Pommes")
    login(shop.member())
    db.session.commit()
    for availability_id in (apples.id, 424242):
        response = client.post(
            shop_url(shop),
            data={"shown": availability_id, f"q-{availability_id}": "1", "action": "order"},
        )
        assert response.status_code == 422
        assert "n&#39;est pas proposé pour cette distribution" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_a_sold_out_product_is_refused_with_what_is_left(shop, client, login):
    eggs = shop.offer(name="Œufs", unit="douzaine", quantity_milli=1_000)
    login(shop.member())
    other = shop.member()
    db.session.commit()
    # Someone else takes the last dozen between the page and the click.
    from marketplace.db import utcnow
    from marketplace.shop import ordering

    ordering.place_order(other, shop.day, {eggs.id: 1_000}, now=utcnow())
    db.session.commit()
    response = client.post(
        shop_url(shop), data={"shown": eggs.id, f"q-{eggs.id}": "1", "action": "order"}
    )
    assert response.status_code == 422
    assert "« Œufs » n&#39;est plus disponible." in response.get_data(as_text=True)


def test_an_order_refused_by_the_stock_update_leaves_no_email(
    shop, client, login, outbox, monkeypatch
):
    """The email is queued before the stock moves (the row stays locked briefly): when the
    last unit goes in between, the refusal takes the email away with the order."""
    from marketplace.outbox.models import OutboxMessage
    from marketplace.shop import ordering

    eggs = shop.offer(name="Œufs", unit="douzaine", quantity_milli=1_000, reserved_milli=1_000)
    login(shop.member())
    db.session.commit()
    monkeypatch.setattr(ordering, "stock_refusal", lambda *args, **kwargs: None)
    response = client.post(
        shop_url(shop), data={"shown": eggs.id, f"q-{eggs.id}": "1", "action": "order"}
    )
    assert response.status_code == 422
    assert "« Œufs » n&#39;est plus disponible." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert outbox == []


def test_a_closed_window_refuses_orders(shop, client, login):
    from datetime import timedelta

    from marketplace.db import utcnow

    carrots = shop.offer()
    login(shop.member())
    shop.day.order_opens_at = utcnow() - timedelta(days=3)
    shop.day.order_closes_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    page = page_text(client.get(shop_url(shop)))
    assert "Les commandes ne sont pas ouvertes pour cette distribution." in page
    response = client.post(
        shop_url(shop),
        data={"shown": carrots.id, f"q-{carrots.id}": "1", "action": "order"},
        follow_redirects=True,
    )
    assert "Les commandes ne sont pas ouvertes" in page_text(response)
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_only_the_groups_members_may_shop(shop, client, login, user_with_role):
    shop.offer()
    db.session.commit()
    user_with_role("member", factories.GroupFactory())
    assert client.get(shop_url(shop)).status_code == 403
    assert client.post(shop_url(shop), data={"action": "order"}).status_code == 403
    assert client.get("/boutique/distributions/999999").status_code == 404


def test_another_households_order_is_not_found(shop, client, login):
    carrots = shop.offer()
    owner = shop.member()
    order = factories.OrderFactory(distribution_day=shop.day, user=owner)
    factories.OrderLineFactory(order=order, availability=carrots)
    login(shop.member())
    db.session.commit()
    assert client.get(f"/boutique/commandes/{order.id}").status_code == 404
    assert client.post(f"/boutique/commandes/{order.id}/annuler").status_code == 404
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "placed"


def test_the_index_lists_open_days_and_my_orders_lists_orders(shop, client, login):
    carrots = shop.offer(name="Carottes")
    member = login(shop.member())
    order = factories.OrderFactory(distribution_day=shop.day, user=member, total_cents=320)
    factories.OrderLineFactory(order=order, availability=carrots)
    db.session.commit()
    assert shop.group.name in page_text(client.get("/boutique/"))
    page = page_text(client.get("/boutique/commandes"))
    assert "Carottes (1 kg)" in page and "3,20 €" in page


def test_search_and_filters(shop, client, login):
    shop.offer(name="Carottes", category="legumes")
    shop.offer(name="Pain complet", category="pain", unit="piece")
    login(shop.member())
    db.session.commit()
    page = page_text(client.get(shop_url(shop) + "?recherche=carot"))
    assert "Carottes" in page and "Pain complet" not in page
    page = page_text(client.get(shop_url(shop) + "?categorie=pain"))
    assert "Pain complet" in page and "Carottes" not in page
    page = page_text(client.get(shop_url(shop) + "?recherche=%25"))
    assert "Aucun produit ne correspond à votre recherche." in page


def shop_page_queries(client, shop) -> int:
    with count_queries() as counter:
        response = client.get(shop_url(shop))
    assert response.status_code == 200
    return counter.count


def test_the_shop_page_runs_the_same_queries_at_10_and_1000_products(shop, client, login):
    member = login(shop.member())
    add_products(shop, 10)
    first = db.session.scalars(select(Availability.id).order_by(Availability.id).limit(3)).all()
    order = factories.OrderFactory(distribution_day=shop.day, user=member)
    for availability_id in first:
        factories.OrderLineFactory(
            order=order, availability=db.session.get(Availability, availability_id)
        )
    db.session.commit()
    small = shop_page_queries(client, shop)

    add_products(shop, 990)
    db.session.commit()
    large = shop_page_queries(client, shop)
    assert large == small
    assert small <= 10


def test_my_orders_runs_the_same_queries_whatever_the_number_of_orders(shop, client, login):
    member = login(shop.member())
    carrots = shop.offer()
    order = factories.OrderFactory(distribution_day=shop.day, user=member)
    factories.OrderLineFactory(order=order, availability=carrots)
    db.session.commit()
    with count_queries() as one:
        client.get("/boutique/commandes")
    for weeks in range(1, 6):
        other_day = factories.DistributionDayFactory(
            schedule=shop.day.schedule,
            occurrence_date=shop.day.day - factories.timedelta(weeks=weeks),
        )
        more = factories.OrderFactory(distribution_day=other_day, user=member)
        factories.OrderLineFactory(order=more, availability=shop.offer())
    db.session.commit()
    with count_queries() as six:
        client.get("/boutique/commandes")
    assert six.count == one.count
