"""The weekly availability grid: publishing many cells at once, withdrawing, freezing, copying."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.catalogue.availability import CellChange, cell_key, publish_cells
from marketplace.catalogue.models import Availability
from marketplace.catalogue.queries import coming_dates
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from tests import factories
from tests.helpers import count_queries


def _rows():
    return db.session.scalars(select(Availability).order_by(Availability.id)).all()


def _cell(product, day, quantity="", price="", maximum="", offered=True) -> dict:
    key = cell_key(product.id, day.day)
    data = {"cell": key, f"qty-{key}": quantity, f"price-{key}": price, f"max-{key}": maximum}
    if offered:
        data[f"offer-{key}"] = "1"
    return data


def _form(*cells: dict) -> dict:
    data: dict = {"cell": []}
    for cell in cells:
        for name, value in cell.items():
            if name == "cell":
                data["cell"].append(value)
            else:
                data[name] = value
    return data


def _offer(farm, product, day, **values) -> Availability:
    return factories.AvailabilityFactory(
        product=product, group_id=farm.group.id, supply=None, day=day.day, **values
    )


def test_coming_dates_freeze_at_the_first_window_closing(farm):
    other_point = factories.DistributionScheduleFactory(
        pickup_point=factories.PickupPointFactory(group=farm.group), label="Jeudi"
    )
    early = farm.open_day.order_closes_at - timedelta(hours=5)
    factories.DistributionDayFactory(
        schedule=other_point, occurrence_date=farm.open_day.day, order_closes_at=early
    )
    db.session.commit()
    dates = coming_dates(farm.producer.id, farm.group.id, utcnow())
    assert [item.day for item in dates] == sorted(
        [farm.frozen_day.day, farm.open_day.day, farm.next_day.day]
    )
    by_day = {item.day: item for item in dates}
    assert by_day[farm.open_day.day].closes_at == early
    assert by_day[farm.frozen_day.day].frozen and not by_day[farm.open_day.day].frozen
    # A farm that does not supply the group sees no date.
    assert coming_dates(factories.ProducerFactory().id, farm.group.id, utcnow()) == []


def test_the_grid_shows_products_dates_and_frozen_cells(client, farm, staff):
    carrots = factories.ProductFactory(producer=farm.producer, name="Carottes", unit="kg")
    factories.ProductFactory(producer=farm.producer, name="Ancien", archived=True)
    _offer(farm, carrots, farm.frozen_day, quantity_milli=12_000, reserved_milli=2_500)
    db.session.commit()
    response = client.get(farm.grid_url)
    assert response.status_code == 200
    assert "Carottes" in response.text and "Ancien" not in response.text
    assert "Commandes closes : figé" in response.text
    assert "12 kg" in response.text and "Déjà commandé : 2,5 kg" in response.text
    frozen_key = cell_key(carrots.id, farm.frozen_day.day)
    assert f'name="qty-{frozen_key}"' not in response.text  # read-only
    assert f'name="qty-{cell_key(carrots.id, farm.open_day.day)}"' in response.text


def test_a_producer_publishes_many_cells_at_once(client, farm, staff):
    carrots = factories.ProductFactory(producer=farm.producer, unit="kg", price_cents=320)
    eggs = factories.ProductFactory(producer=farm.producer, unit="douzaine", price_cents=450)
    db.session.commit()
    response = client.post(
        farm.grid_url,
        data=_form(
            _cell(carrots, farm.open_day, quantity="1,5", maximum="0,5"),
            _cell(carrots, farm.next_day, quantity="", price="3,00"),
            _cell(eggs, farm.open_day, quantity="20"),
            _cell(eggs, farm.next_day, offered=False, quantity="99"),
        ),
        follow_redirects=True,
    )
    assert "3 disponibilités publiées." in response.text
    rows = {(row.product_id, row.day): row for row in _rows()}
    assert len(rows) == 3
    first = rows[(carrots.id, farm.open_day.day)]
    assert (first.quantity_milli, first.max_per_household_milli, first.price_cents) == (
        1500,
        500,
        320,
    )
    unlimited = rows[(carrots.id, farm.next_day.day)]
    assert (unlimited.quantity_milli, unlimited.price_cents) == (None, 300)
    assert rows[(eggs.id, farm.open_day.day)].quantity_milli == 20_000
    assert all(row.published and row.group_id == farm.group.id for row in rows.values())


def test_unchecking_a_cell_withdraws_the_offer(client, farm, staff):
    carrots = factories.ProductFactory(producer=farm.producer)
    offer = _offer(farm, carrots, farm.open_day)
    db.session.commit()
    response = client.post(
        farm.grid_url,
        data=_form(_cell(carrots, farm.open_day, offered=False)),
        follow_redirects=True,
    )
    assert "1 produit retiré." in response.text
    db.session.refresh(offer)
    assert not offer.published


def test_a_cell_with_orders_cannot_be_withdrawn(client, farm, staff):
    carrots = factories.ProductFactory(producer=farm.producer, name="Carottes")
    offer = _offer(farm, carrots, farm.open_day, reserved_milli=1000)
    db.session.commit()
    response = client.post(farm.grid_url, data=_form(_cell(carrots, farm.open_day, offered=False)))
    assert response.status_code == 422
    assert "Des foyers ont déjà commandé Carottes" in response.text
    assert "ramenez la quantité à ce qui est déjà commandé" in response.text
    db.session.refresh(offer)
    assert offer.published


def test_a_quantity_below_what_is_ordered_is_refused(client, farm, staff):
    carrots = factories.ProductFactory(producer=farm.producer, unit="kg")
    offer = _offer(farm, carrots, farm.open_day, quantity_milli=10_000, reserved_milli=4_000)
    db.session.commit()
    response = client.post(farm.grid_url, data=_form(_cell(carrots, farm.open_day, quantity="3")))
    assert response.status_code == 422
    assert "Déjà commandé : 4 kg ; la quantité ne peut pas descendre en dessous." in response.text
    db.session.refresh(offer)
    assert offer.quantity_milli == 10_000
    # Down to exactly what is ordered: sales stop, orders stay.
    client.post(farm.grid_url, data=_form(_cell(carrots, farm.open_day, quantity="4")))
    db.session.refresh(offer)
    assert offer.quantity_milli == 4_000


@pytest.mark.parametrize(
    ("unit", "quantity", "message"),
    [
        ("piece", "1,5", "Ce produit se vend à l&#39;unité : indiquez un nombre entier."),
        ("kg", "-2", "La quantité doit être supérieure à zéro."),
        ("kg", "0", "La quantité doit être supérieure à zéro."),
        ("kg", "beaucoup", "Indiquez une quantité en chiffres"),
    ],
)
def test_bad_quantities_save_nothing_at_all(client, farm, staff, unit, quantity, message):
    good = factories.ProductFactory(producer=farm.producer, unit="kg")
    bad = factories.ProductFactory(producer=farm.producer, unit=unit)
    db.session.commit()
    response = client.post(
        farm.grid_url,
        data=_form(_cell(good, farm.open_day, quantity="5"), _cell(bad, farm.open_day, quantity)),
    )
    assert response.status_code == 422
    assert message in response.text
    assert "Rien n'a été enregistré" in response.text
    assert f'value="{quantity}"' in response.text  # what was typed stays in the cell
    assert _rows() == []


def test_bad_prices_are_refused(client, farm, staff):
    carrots = factories.ProductFactory(producer=farm.producer)
    db.session.commit()
    response = client.post(
        farm.grid_url, data=_form(_cell(carrots, farm.open_day, price="3 €uros"))
    )
    assert "Indiquez un prix en euros" in response.text
    response = client.post(farm.grid_url, data=_form(_cell(carrots, farm.open_day, price="0")))
    assert "Le prix doit être supérieur à zéro." in response.text
    assert _rows() == []


def test_a_frozen_cell_cannot_change(client, farm, staff):
    carrots = factories.ProductFactory(producer=farm.producer)
    offer = _offer(farm, carrots, farm.frozen_day, quantity_milli=5000)
    db.session.commit()
    # A tampered form listing the frozen cell.
    response = client.post(farm.grid_url, data=_form(_cell(carrots, farm.frozen_day, quantity="9")))
    assert response.status_code == 422
    assert "sont closes : cette disponibilité ne peut plus changer" in response.text
    db.session.refresh(offer)
    assert offer.quantity_milli == 5000
    # Sending it back unchanged is harmless.
    unchanged = _cell(carrots, farm.frozen_day, quantity="5", price="3,20")
    response = client.post(farm.grid_url, data=_form(unchanged), follow_redirects=True)
    assert "Rien n&#39;a changé." in response.text


def test_another_farms_product_is_refused(client, farm, staff):
    stranger = factories.ProductFactory()
    db.session.commit()
    response = client.post(farm.grid_url, data=_form(_cell(stranger, farm.open_day, quantity="5")))
    assert response.status_code == 422
    assert "Ce produit ne fait pas partie de votre catalogue." in response.text
    assert _rows() == []


def test_the_service_refuses_another_farms_product_and_unknown_dates(farm):
    stranger = factories.ProductFactory()
    own = factories.ProductFactory(producer=farm.producer)
    db.session.commit()
    with pytest.raises(DomainError, match="ne fait pas partie de votre catalogue"):
        publish_cells(
            farm.producer, farm.group, [CellChange(stranger.id, farm.open_day.day, True)], utcnow()
        )
    past = farm.open_day.day - timedelta(days=30)
    with pytest.raises(DomainError, match="prochaines distributions"):
        publish_cells(farm.producer, farm.group, [CellChange(own.id, past, True)], utcnow())


def test_a_group_the_farm_does_not_supply_is_refused(client, farm, staff):
    other_group = factories.GroupFactory()
    db.session.commit()
    url = f"/producteurs/{farm.producer.slug}/disponibilites/{other_group.slug}"
    assert client.get(url).status_code == 403
    assert client.post(url, data={}).status_code == 403
    assert (
        client.get(f"/producteurs/{farm.producer.slug}/disponibilites/nowhere").status_code == 404
    )
    product = factories.ProductFactory(producer=farm.producer)
    db.session.commit()
    with pytest.raises(DomainError, match="Vous ne livrez pas ce groupe"):
        publish_cells(
            farm.producer, other_group, [CellChange(product.id, farm.open_day.day, True)], utcnow()
        )


def test_only_the_farm_team_edits_availability(client, farm, user_with_role):
    carrots = factories.ProductFactory(producer=farm.producer)
    db.session.commit()
    user_with_role("coordinator", farm.group)
    assert client.get(farm.grid_url).status_code == 403
    response = client.post(farm.grid_url, data=_form(_cell(carrots, farm.open_day, quantity="5")))
    assert response.status_code == 403
    user_with_role("producer_staff", factories.ProducerFactory())
    assert client.get(farm.grid_url).status_code == 403
    assert _rows() == []


def test_the_overview_lists_the_supplied_groups(client, farm, staff):
    response = client.get(f"/producteurs/{farm.producer.slug}/disponibilites")
    assert farm.group.name in response.text
    assert farm.grid_url in response.text


def test_copy_last_week(client, farm, staff):
    carrots = factories.ProductFactory(producer=farm.producer, unit="kg")
    eggs = factories.ProductFactory(producer=farm.producer, unit="douzaine")
    retired = factories.ProductFactory(producer=farm.producer, archived=True)
    _offer(farm, carrots, farm.open_day, quantity_milli=8000, price_cents=300)
    _offer(farm, eggs, farm.open_day, quantity_milli=None, max_per_household_milli=2000)
    _offer(farm, retired, farm.open_day)
    already = _offer(farm, eggs, farm.next_day, quantity_milli=5000)
    db.session.commit()
    response = client.post(
        f"{farm.grid_url}/copier",
        data={"day": farm.next_day.day.isoformat()},
        follow_redirects=True,
    )
    assert "1 produit copié" in response.text
    assert "1 déjà proposé ce jour-là, laissé tel quel." in response.text
    copied = db.session.scalar(
        select(Availability).where(
            Availability.product_id == carrots.id, Availability.day == farm.next_day.day
        )
    )
    assert (copied.quantity_milli, copied.price_cents, copied.published) == (8000, 300, True)
    db.session.refresh(already)
    assert already.quantity_milli == 5000
    assert (
        db.session.scalar(
            select(Availability).where(
                Availability.product_id == retired.id, Availability.day == farm.next_day.day
            )
        )
        is None
    )


def test_copy_refuses_frozen_and_empty_weeks(client, farm, staff):
    factories.ProductFactory(producer=farm.producer)
    db.session.commit()
    response = client.post(
        f"{farm.grid_url}/copier",
        data={"day": farm.open_day.day.isoformat()},
        follow_redirects=True,
    )
    assert "il n&#39;y a rien à copier" in response.text
    response = client.post(
        f"{farm.grid_url}/copier",
        data={"day": farm.frozen_day.day.isoformat()},
        follow_redirects=True,
    )
    assert "cette disponibilité ne peut plus changer" in response.text
    response = client.post(f"{farm.grid_url}/copier", data={"day": "demain"}, follow_redirects=True)
    assert "Choisissez une date dans la liste." in response.text
    assert _rows() == []


def _grid_queries(client, farm, count: int) -> int:
    for index in range(count):
        product = factories.ProductFactory(producer=farm.producer, name=f"P{count}-{index}")
        if index % 2:
            _offer(farm, product, farm.open_day, reserved_milli=1000)
    db.session.commit()
    with count_queries() as counter:
        response = client.get(farm.grid_url)
    assert response.status_code == 200
    return counter.count


def test_the_grid_runs_the_same_queries_at_10_and_200_products(client, farm, staff):
    few = _grid_queries(client, farm, 10)
    many = _grid_queries(client, farm, 200)
    assert few == many
