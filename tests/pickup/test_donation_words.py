"""A basket donated when a day is closed reads in the reader's language on the grocery's
stock page, whatever the language of the person who closed the day; an extra's name (a
product's own words) and a donation written before kinds existed read as stored."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flask_babel import force_locale
from sqlalchemy import select, update

from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.pickup.donation_words import DONATION_WORDS, donated_label
from marketplace.pickup.models import DonatedItem
from tests import factories
from tests.grocery_shop.test_stock_views import donated_basket, donated_item, text_of
from tests.helpers import count_queries, login_id
from tests.pickup.test_closing import close_url, make_scene


def close_in_english(client, login):
    """A day closed by an English-speaking coordinator: one basket and one extra donated."""
    scene = make_scene()
    scene.supply.producer.name = "Ferme du Coteau"
    delivery = scene.basket(scene.offer("donate", "grand"))
    scene.order(delivery.subscription.user, scene.availability())
    grocery = factories.GroceryFactory()
    coordinator = scene.coordinator()
    coordinator.language = "en"
    db.session.commit()
    login(coordinator)
    response = client.post(
        close_url(scene.day), data={"grocery_id": str(grocery.id), "donate_extras": "y"}
    )
    assert response.status_code == 302
    return grocery


def stock_page(client, grocery, language: str) -> str:
    staff = factories.UserFactory(language=language)
    factories.MembershipFactory(user=staff, organisation=grocery, role=Role.GROCERY_STAFF.value)
    db.session.commit()
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = login_id(staff)
        session["_fresh"] = True
    response = client.get(f"/epiceries/{grocery.slug}/stock")
    assert response.status_code == 200
    return text_of(response)


def test_a_basket_donated_in_english_reads_in_each_readers_language(client, login):
    grocery = close_in_english(client, login)
    basket, extra = db.session.scalars(
        select(DonatedItem).order_by(DonatedItem.delivery_id.is_(None))
    ).all()
    # Stored: what happened, and the French words for any export.
    assert basket.label == "Panier grand — Ferme du Coteau"
    assert basket.label_key == "basket"
    assert basket.label_params == {"size": "grand", "producer": "Ferme du Coteau"}
    assert extra.label == "Miel de châtaignier — Ferme du Coteau" and extra.label_key is None

    french = stock_page(client, grocery, "fr")
    assert "Panier grand — Ferme du Coteau" in french
    assert "Miel de châtaignier — Ferme du Coteau" in french

    english = stock_page(client, grocery, "en")
    assert "grand basket — Ferme du Coteau" in english
    assert "Panier grand" not in english
    assert "Miel de châtaignier — Ferme du Coteau" in english  # the product's own name


def test_a_donation_written_before_kinds_reads_as_stored(app):
    grocery = factories.GroceryFactory()
    old = donated_basket(grocery)  # label only, no kind
    assert old.label_key is None
    with force_locale("en"):
        assert donated_label(old) == "Panier grand — Ferme du Coteau"
    old.label_key, old.label_params = "basket", {"size": "grand"}  # parameters of another shape
    with force_locale("en"):
        assert donated_label(old) == "Panier grand — Ferme du Coteau"


def test_every_donation_word_has_an_english_text(app):
    params = {"size": "grand", "producer": "Ferme du Coteau"}
    for key, write in DONATION_WORDS.items():
        with force_locale("fr"):
            french = write(params)
        with force_locale("en"):
            assert write(params) != french, key


def _stock_queries(client, grocery, baskets: int) -> int:
    for _ in range(baskets):
        item = donated_basket(grocery)
        item.label_key, item.label_params = "basket", {"size": "grand", "producer": "Ferme"}
    donated_item(grocery)
    db.session.commit()
    with count_queries() as counter:
        response = client.get(f"/epiceries/{grocery.slug}/stock")
    assert response.status_code == 200
    return counter.count


def test_the_stock_page_runs_the_same_queries_with_1_and_10_donated_baskets(client, user_with_role):
    small, large = factories.GroceryFactory(), factories.GroceryFactory()
    db.session.commit()
    staff = user_with_role(Role.GROCERY_STAFF, small)
    factories.MembershipFactory(user=staff, organisation=large, role="grocery_staff")
    assert _stock_queries(client, small, 1) == _stock_queries(client, large, 10)


def test_the_migration_gives_old_donated_baskets_their_kind(app):
    grocery = factories.GroceryFactory()
    basket = donated_basket(grocery)
    odd = donated_basket(grocery)
    odd.label = "Un panier de légumes"
    english = donated_basket(grocery)
    english.label = "small basket — Les Jardins d'Ann"
    extra = donated_item(grocery)
    extra.label = "Panier garni — Ferme du Coteau"  # a product named so: not a basket
    db.session.flush()
    db.session.execute(update(DonatedItem).values(label_key=None, label_params=None))
    path = Path(__file__).parents[2] / "migrations/versions/0024_donated_basket_words.py"
    spec = importlib.util.spec_from_file_location("donated_basket_words", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module._backfill(db.session.connection())
    db.session.expire_all()
    words = {
        item.id: (item.label_key, item.label_params)
        for item in db.session.scalars(select(DonatedItem))
    }
    assert words[basket.id] == ("basket", {"size": "grand", "producer": "Ferme du Coteau"})
    assert words[english.id] == ("basket", {"size": "small", "producer": "Les Jardins d'Ann"})
    assert words[odd.id] == (None, None)
    assert words[extra.id] == (None, None)
    db.session.refresh(basket)
    with force_locale("en"):
        assert donated_label(basket) == "grand basket — Ferme du Coteau"
