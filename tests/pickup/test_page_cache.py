"""The day's checklist page is kept per version of the list: a kept page is exactly the page
rendered afresh, with this request's CSRF token and instant, and any change shows."""

from __future__ import annotations

import re

from sqlalchemy import update

from marketplace.accounts.models import User
from marketplace.catalogue.week_baskets import Announced
from marketplace.extensions import db
from marketplace.pickup import page_cache
from marketplace.pickup.day_source import DaySource
from tests import factories
from tests.pickup import scenario
from tests.pickup.test_checklist_cache import _warm_day, page_url


def _per_request_parts_masked(html: str) -> str:
    html = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value="T"', html)
    html = re.sub(r'data-csrf="[^"]+"', 'data-csrf="T"', html)
    return re.sub(r'data-as-of="\d+"', 'data-as-of="0"', html)


def test_a_kept_page_is_the_page_rendered_afresh(client, app, monkeypatch):
    setup = _warm_day(client, households=4)
    url = page_url(setup.day.id)
    client.get(url)
    kept = client.get(url).get_data(as_text=True)
    with monkeypatch.context() as patch:
        patch.setattr(DaySource, "page_context_key", lambda self, context: None)
        fresh = client.get(url).get_data(as_text=True)
    assert _per_request_parts_masked(kept) == _per_request_parts_masked(fresh)
    assert page_cache._CSRF not in kept and page_cache._AS_OF not in kept
    token = re.search(r'data-csrf="([^"]+)"', kept)[1]
    assert f'name="csrf_token" value="{token}"' in kept
    assert int(re.search(r'data-as-of="(\d+)"', kept)[1]) > 0


def test_the_page_of_another_language_is_kept_apart(client, app):
    setup = _warm_day(client)
    url = page_url(setup.day.id)
    assert "Compteurs" in client.get(url).get_data(as_text=True)
    db.session.execute(update(User).values(language="en"))
    db.session.commit()
    english = client.get(url).get_data(as_text=True)
    assert "Compteurs" not in english and "Counts" in english


def test_a_flashed_message_shows_on_a_kept_page(client, app):
    setup = _warm_day(client)
    url = page_url(setup.day.id)
    client.get(url)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Pointage bien reçu")]
    assert "Pointage bien reçu" in client.get(url).get_data(as_text=True)
    assert "Pointage bien reçu" not in client.get(url).get_data(as_text=True)


def test_a_new_order_or_a_week_basket_shows_on_a_kept_page(client, app, monkeypatch):
    setup = _warm_day(client)
    url = page_url(setup.day.id)
    client.get(url)
    scenario.add_order(setup, user=factories.UserFactory(name="Aaron Nouveau"))
    db.session.commit()
    assert "Aaron Nouveau" in client.get(url).get_data(as_text=True)

    basket = Announced(
        id=1,
        offer_id=setup.offer.id,
        offer_name="Légumes de saison",
        producer_name="Ferme du Coteau",
        distribution_day_id=setup.day.id,
        note="Poireaux en plus cette semaine",
        photo_version=None,
    )
    monkeypatch.setattr("marketplace.pickup.day_source.announced", lambda day_ids: [basket])
    assert "Poireaux en plus cette semaine" in client.get(url).get_data(as_text=True)
