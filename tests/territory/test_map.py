"""The map of the territory: the places listed with their addresses (the page without the map),
the tile server allowed on this page only, a constant number of queries."""

from __future__ import annotations

import re

from marketplace.extensions import db
from marketplace.security import tile_origin
from tests import factories
from tests.helpers import count_queries


def _places(count: int = 1) -> None:
    for _ in range(count):
        factories.PickupPointFactory()
        factories.ProducerFactory()
        factories.RouteStopFactory()
    db.session.commit()


def test_the_page_lists_the_places_with_their_addresses(client):
    point = factories.PickupPointFactory(
        name="Salle des fêtes", address="2 place du Marché", postcode="69440", city="Mornant"
    )
    producer = factories.ProducerFactory(name="Ferme des Saules")
    unplaced = factories.ProducerFactory(name="Ferme sans adresse", latitude=None, longitude=None)
    stop = factories.RouteStopFactory(village="Saint-Sorlin", place="Place de l'église")
    retired = factories.RouteStopFactory(village="Village quitté")
    from marketplace.db import utcnow

    retired.retired_at = utcnow()
    closed = factories.PickupPointFactory(name="Ancien local", active=False)
    db.session.commit()

    response = client.get("/carte")

    assert response.status_code == 200
    page = re.sub(r"\s+", " ", response.text)
    assert "Salle des fêtes" in page and "2 place du Marché, 69440 Mornant" in page
    assert point.group.name in page
    assert producer.name in page and f"/producteurs/{producer.slug}" in page
    assert "Saint-Sorlin" in page and f"/tournees/arrets/{stop.slug}" in page
    assert unplaced.name not in page and retired.village not in page and closed.name not in page
    assert 'data-lat="45.7701"' in page
    assert "vendor/leaflet/leaflet.js" in page  # served by the app itself


def test_only_the_map_page_allows_the_tile_server(client, make_app):
    _places()
    policy = client.get("/carte").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in policy
    assert "script-src 'self';" in policy
    assert "tile.openstreetmap.org" not in client.get("/").headers["Content-Security-Policy"]

    other = make_app(MAP_TILE_URL="https://{s}.tiles.exemple.fr/osm/{z}/{x}/{y}.png")
    with other.test_client() as other_client:
        response = other_client.get("/carte")
    assert (
        "img-src 'self' data: https://*.tiles.exemple.fr;"
        in response.headers["Content-Security-Policy"]
    )
    assert 'data-tile-url="https://{s}.tiles.exemple.fr/osm/{z}/{x}/{y}.png"' in response.text


def test_tile_origin():
    assert tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == (
        "https://tile.openstreetmap.org"
    )
    assert tile_origin("http://localhost:8080/{z}/{x}/{y}.png") == "http://localhost:8080"


def test_the_same_queries_for_3_and_30_places(client):
    _places(1)
    with count_queries() as few:
        assert client.get("/carte").status_code == 200
    _places(10)
    with count_queries() as many:
        assert client.get("/carte").status_code == 200
    assert many.count == few.count


def test_an_empty_territory_says_so(client):
    assert "Aucun lieu" in client.get("/carte").text
