"""The day's checklist page is kept per version of the list: a kept page is exactly the page
rendered afresh, with this request's CSRF token and instant, and any change shows."""

from __future__ import annotations

import io
import re

import time_machine
from PIL import Image
from sqlalchemy import update

from marketplace.accounts.models import User
from marketplace.catalogue import week_baskets
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.pickup import page_cache
from marketplace.pickup.day_source import DaySource
from tests import factories
from tests.helpers import count_queries
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


def test_a_new_order_or_a_week_basket_shows_on_a_kept_page(client, app):
    setup = _warm_day(client)
    url = page_url(setup.day.id)
    client.get(url)
    scenario.add_order(setup, user=factories.UserFactory(name="Aaron Nouveau"))
    db.session.commit()
    assert "Aaron Nouveau" in client.get(url).get_data(as_text=True)

    coordinator = factories.UserFactory()
    db.session.commit()
    size = setup.sizes[0].id
    week_baskets.save(setup.offer, setup.day, coordinator, {size: [("Poireaux", "1 kg")]}, "")
    db.session.commit()
    assert "Poireaux" in client.get(url).get_data(as_text=True)


def _versions(client, day_id: int) -> str:
    return client.get(f"/api/pickup/days/{day_id}/checklist").get_json()["version"]


def test_every_write_of_a_week_basket_changes_the_list_version(client, app):
    """Kept with the list, the week's baskets need no query on a kept page: every write of
    one (its lines only, its note, its photo, a copy) moves the version, even within the same
    instant of a stopped clock."""
    setup = _warm_day(client)
    url = page_url(setup.day.id)
    day, offer, size = setup.day, setup.offer, setup.sizes[0].id
    coordinator = factories.UserFactory()
    db.session.commit()
    seen = [_versions(client, day.id)]

    def write(lines, note="", **photo):
        week_baskets.save(offer, day, coordinator, {size: lines}, note, **photo)
        db.session.commit()
        version = _versions(client, day.id)
        assert version != seen[-1]
        seen.append(version)

    with time_machine.travel(utcnow(), tick=False):
        write([("Poireaux", "1 kg")])
        write([("Carottes", "1 kg")])  # the same length, only the line
        write([("Carottes", "1 kg")], "Pensez au sac")
        write([("Carottes", "1 kg")], "Pensez au sac", photo=io.BytesIO(_jpeg()))
        write([("Carottes", "1 kg")], "Pensez au sac", remove_photo=True)
    assert len(set(seen)) == 5  # without its photo again, the basket is as it was before
    page = client.get(url).get_data(as_text=True)
    assert "Carottes" in page and "Pensez au sac" in page and "Poireaux" not in page
    with count_queries() as kept:
        assert client.get(url).status_code == 200
    # The session, then the day with the permission and the version: nothing of the baskets.
    assert kept.count == 2, kept.statements


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 90, 30)).save(buffer, "JPEG")
    return buffer.getvalue()
