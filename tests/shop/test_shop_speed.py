"""The shop's product list is rendered once per version of the day's catalogue and reused:
what one member sees must never leak to another, and any change shows on the next load."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.catalogue.models import Availability, Product
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.shop import fragments, ordering, stock
from tests import factories
from tests.helpers import count_queries, login_id
from tests.shop.helpers import add_products, make_shop


@pytest.fixture
def shop(app):
    return make_shop()


def shop_url(shop) -> str:
    return f"/boutique/distributions/{shop.day.id}"


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def input_value(response, availability_id: int) -> str:
    html = response.get_data(as_text=True)
    tag = re.search(rf'<input[^>]*name="q-{availability_id}"[^>]*>', html)
    assert tag is not None
    return re.search(r'value="([^"]*)"', tag.group(0)).group(1)


def test_another_households_order_shows_on_the_next_page_load(shop, client, login):
    carrots = shop.offer(name="Carottes", unit="kg", quantity_milli=8_000)
    eggs = shop.offer(name="Œufs", unit="douzaine", quantity_milli=1_000)
    login(shop.member())
    other = shop.member()
    db.session.commit()
    page = page_text(client.get(shop_url(shop)))
    assert "reste 8 kg" in page and "reste 1 douzaine" in page

    ordering.place_order(other, shop.day, {carrots.id: 3_000, eggs.id: 1_000}, now=utcnow())
    db.session.commit()
    page = page_text(client.get(shop_url(shop)))
    assert "reste 5 kg" in page
    assert "reste 1 douzaine" not in page and "épuisé" in page


def test_a_cancelled_order_gives_the_units_back_on_the_next_load(shop, client, login):
    carrots = shop.offer(name="Carottes", unit="kg", quantity_milli=8_000)
    login(shop.member())
    other = shop.member()
    db.session.commit()
    order = ordering.place_order(other, shop.day, {carrots.id: 3_000}, now=utcnow())
    db.session.commit()
    assert "reste 5 kg" in page_text(client.get(shop_url(shop)))
    ordering.cancel_order(order, now=utcnow())
    db.session.commit()
    assert "reste 8 kg" in page_text(client.get(shop_url(shop)))


def test_a_price_rename_or_unpublished_product_shows_on_the_next_load(shop, client, login):
    carrots = shop.offer(name="Carottes", price_cents=320)
    leeks = shop.offer(name="Poireaux")
    login(shop.member())
    db.session.commit()
    page = page_text(client.get(shop_url(shop)))
    assert "3,20 €" in page and "Poireaux" in page

    carrots.price_cents = 350
    db.session.get(Product, carrots.product_id).name = "Carottes nouvelles"
    leeks.published = False
    db.session.commit()
    page = page_text(client.get(shop_url(shop)))
    assert "3,50 €" in page and "Carottes nouvelles" in page
    assert "Poireaux" not in page


def test_each_member_sees_only_their_own_quantities(shop, app, client, login):
    carrots = shop.offer(name="Carottes", unit="kg")
    bread = shop.offer(name="Pain", unit="piece", category="pain")
    first = shop.member()
    second = shop.member()
    db.session.commit()
    login(first)
    client.post(shop_url(shop), data={"shown": [carrots.id, bread.id], f"q-{carrots.id}": "1,5"})
    response = client.get(shop_url(shop))
    assert input_value(response, carrots.id) == "1,5"
    assert input_value(response, bread.id) == ""

    # The second household, on its own device, gets the list cached for the first.
    other_client = app.test_client()
    with other_client.session_transaction() as session:
        session["_user_id"] = login_id(second)
        session["_fresh"] = True
    response = other_client.get(shop_url(shop))
    assert input_value(response, carrots.id) == ""
    assert "Votre panier est vide." in page_text(response)


def test_a_refused_form_gives_back_what_was_typed_escaped(shop, client, login):
    bread = shop.offer(name="Pain", unit="piece")
    login(shop.member())
    db.session.commit()
    client.get(shop_url(shop))  # the list is cached without errors
    response = client.post(
        shop_url(shop), data={"shown": bread.id, f"q-{bread.id}": '"><b>2', "action": "cart"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Indiquez une quantité en chiffres" in html
    assert 'aria-invalid="true"' in html
    assert "<b>2" not in html and "&#34;&gt;&lt;b&gt;2" in html
    # The refused form is not kept: the next page shows the list without the error.
    html = client.get(shop_url(shop)).get_data(as_text=True)
    assert 'aria-invalid="true"' not in html


def test_a_cache_hit_runs_fewer_queries_and_the_same_at_10_and_1000_products(shop, client, login):
    member = login(shop.member())
    add_products(shop, 10)
    first = db.session.scalar(select(Availability).order_by(Availability.id).limit(1))
    order = factories.OrderFactory(distribution_day=shop.day, user=member)
    factories.OrderLineFactory(order=order, availability=first)
    db.session.commit()

    url = shop_url(shop)

    def queries_of_one_page() -> int:
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        return counter.count

    rendered_small = queries_of_one_page()
    hit_small = queries_of_one_page()
    add_products(shop, 990)
    db.session.commit()
    rendered_large = queries_of_one_page()
    hit_large = queries_of_one_page()
    assert rendered_small == rendered_large
    assert hit_small == hit_large
    assert hit_small == rendered_small - 2  # neither the product list nor the filters read


def test_stock_moves_leave_the_catalogue_version_alone(shop, app):
    carrots = shop.offer(quantity_milli=5_000)
    db.session.commit()
    before = fragments.catalogue_version(shop.day)
    updated_at = carrots.updated_at
    assert stock.reserve(carrots.id, 1_000)
    stock.release(carrots.id, 500)
    assert fragments.catalogue_version(shop.day) == before
    db.session.expire_all()
    assert db.session.get(Availability, carrots.id).updated_at == updated_at
    assert fragments.remaining_stock(shop.day) == [(carrots.id, 4_500)]


@pytest.fixture
def builds(monkeypatch) -> list:
    """Each rendering of a product list, counted."""
    calls = []
    build = fragments._build

    def counted(*args, **kwargs):
        calls.append(args)
        return build(*args, **kwargs)

    monkeypatch.setattr(fragments, "_build", counted)
    return calls


def test_another_households_order_reuses_the_cached_list_with_fresh_stock(
    shop, client, login, builds
):
    carrots = shop.offer(name="Carottes", unit="kg", quantity_milli=8_000)
    eggs = shop.offer(name="Œufs", unit="douzaine", quantity_milli=1_000)
    login(shop.member())
    others = [shop.member() for _ in range(3)]
    db.session.commit()
    client.get(shop_url(shop))
    for number, other in enumerate(others):
        ordering.place_order(other, shop.day, {carrots.id: 1_000}, now=utcnow())
        db.session.commit()
        page = page_text(client.get(shop_url(shop)))
        assert f"reste {7 - number} kg" in page
    ordering.place_order(shop.member(), shop.day, {eggs.id: 1_000}, now=utcnow())
    db.session.commit()
    page = page_text(client.get(shop_url(shop)))
    assert "reste 1 douzaine" not in page and "épuisé" in page
    assert len(builds) == 1  # rendered once, whatever the orders


def test_a_refused_order_in_a_rush_reuses_the_cached_list_and_shows_its_error(
    shop, client, login, builds
):
    eggs = shop.offer(name="Œufs", unit="douzaine", quantity_milli=1_000)
    bread = shop.offer(name="Pain", unit="piece")
    login(shop.member())
    other = shop.member()
    db.session.commit()
    client.get(shop_url(shop))
    ordering.place_order(other, shop.day, {eggs.id: 1_000}, now=utcnow())
    db.session.commit()

    response = client.post(
        shop_url(shop),
        data={"shown": [eggs.id, bread.id], f"q-{eggs.id}": "1", "action": "order"},
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "« Œufs » n&#39;est plus disponible." in html
    item = re.search(rf'<li class="shop-product has-error">(?:(?!</li>).)*q-{eggs.id}', html, re.S)
    assert item is not None and f'aria-describedby="q-{eggs.id}-error"' in item.group(0)
    assert html.count("has-error") == 1
    assert len(builds) == 1


def test_a_refused_order_in_a_rush_writes_nothing_and_reads_little(shop, client, login):
    """In a last-units rush most orders are refused: by one read of what is left, with no
    order inserted, no row locked, nothing rolled back and reloaded."""
    eggs = shop.offer(name="Œufs", unit="douzaine", quantity_milli=1_000)
    login(shop.member())
    other = shop.member()
    db.session.commit()
    client.get(shop_url(shop))
    ordering.place_order(other, shop.day, {eggs.id: 1_000}, now=utcnow())
    db.session.commit()
    url, form = shop_url(shop), {"shown": eggs.id, f"q-{eggs.id}": "1", "action": "order"}

    with count_queries() as counter:
        response = client.post(url, data=form)

    assert response.status_code == 422
    assert "« Œufs » n&#39;est plus disponible." in response.get_data(as_text=True)
    verbs = [statement.split()[0].upper() for statement in counter.statements]
    assert not {"INSERT", "UPDATE", "SAVEPOINT", "ROLLBACK"} & set(verbs)
    assert not any("FOR UPDATE" in statement for statement in counter.statements)
    assert counter.count <= 9, "\n".join(s[:90] for s in counter.statements)


def test_the_list_follows_the_members_language(shop, client, login):
    shop.offer(name="Carottes", category="legumes")
    french = shop.member()
    english = shop.member()
    english.language = "en"
    db.session.commit()
    login(french)
    assert "Légumes" in page_text(client.get(shop_url(shop)))
    login(english)
    page = page_text(client.get(shop_url(shop)))
    assert "Vegetables" in page and "Légumes" not in page


def product_list_of(size: int, built_at: float) -> fragments.ProductList:
    return fragments.ProductList(b"x" * size, (), {}, [], [], built_at=built_at)


def test_the_cache_keeps_fresh_lists_within_its_bytes():
    lists = fragments.ProductListCache(max_bytes=10_000, max_age=60)
    old = product_list_of(3_000, built_at=0.0)
    now = fragments.time.monotonic()
    lists.put("old", old)
    assert lists.get("old") is None  # built long ago: older than max_age
    lists.put("a", product_list_of(3_000, now))
    lists.put("b", product_list_of(3_000, now))
    lists.get("a")
    lists.put("c", product_list_of(3_000, now))
    assert lists.get("b") is None  # the least recently used went first
    assert lists.get("a") is not None and lists.get("c") is not None
    assert lists.bytes <= 10_000 and len(lists) == 2
    lists.put("huge", product_list_of(20_000, now))
    assert lists.get("huge") is None and len(lists) == 2  # never kept


def test_a_list_is_kept_once_and_filled_in_its_slots(shop, app):
    carrots = shop.offer(name="Carottes", unit="kg", quantity_milli=8_000)
    db.session.commit()
    with app.test_request_context():
        built = fragments._build(shop.day, fragments.queries.ShopFilters(), True)
        assert fragments.MARK.encode() not in built.blank
        fills = fragments.fills_for(
            built, values={carrots.id: "2,5"}, stock=[(carrots.id, 3_000)], errors={}
        )
        html = built.html(fills).decode()
    assert 'value="2,5"' in html and "reste 3 kg" in html
    assert built.html({}) is built.blank


@pytest.mark.parametrize("language", ["fr", "en"])
def test_prices_are_written_as_babel_writes_them(app, language):
    from flask_babel import force_locale

    from marketplace.payments.money import format_money
    from marketplace.shop.display import Formatter

    with app.test_request_context(), force_locale(language):
        fmt = Formatter()
        for cents in [*range(0, 1_000), *range(1_000, 200_000, 997), 99_999, 100_000, -250]:
            assert fmt.money(cents) == format_money(cents)
