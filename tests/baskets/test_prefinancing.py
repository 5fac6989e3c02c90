"""The prefinancing statement: figures exact to the cent, per offer, for the farm and the group."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.groups.models import Group
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request
from tests.payments.support import readable


@pytest.fixture
def farm():
    """A farm supplying two groups, with a hand-built season in the first one:

    Contrat légumes (Les Canuts), baskets at 15,00 €:
      Foyer Martin: committed 300,00, paid 100,00
      Foyer Leroy (solidarity tier): committed 150,00, paid 200,00, refunded 50,00
      a cancelled subscription: committed 60,00 then credited (not counted as received)
      → committed 510,00, received 250,00, still due 260,00
      delivered: Martin collected (15,00) + a postponed double basket (30,00)
                 + Leroy given (15,00) + not collected (15,00) = 75,00, 5 baskets
      not delivered: absent, donated, a cancelled day, two baskets to come
    Contrat œufs (La Croix-Rousse): committed 40,00, paid 55,00 → still due 0,00
    """
    producer = factories.ProducerFactory(name="Ferme du Coteau", slug="ferme-du-coteau")
    canuts = factories.GroupFactory(name="AMAP des Canuts", slug="amap-des-canuts")
    croix = factories.GroupFactory(name="AMAP de la Croix-Rousse", slug="amap-croix-rousse")
    vegetables = factories.BasketOfferFactory(
        supply__producer=producer, supply__group=canuts, name="Contrat légumes"
    )
    eggs = factories.BasketOfferFactory(
        supply__producer=producer, supply__group=croix, name="Contrat œufs"
    )
    size = factories.BasketSizeFactory(offer=vegetables, price_cents=1500)
    standard = factories.PriceTierFactory(offer=vegetables, name="Standard", percent=100)
    solidaire = factories.PriceTierFactory(offer=vegetables, name="Solidaire", percent=50)
    martin = factories.UserFactory(name="Foyer Martin", email="martin@example.org")
    leroy = factories.UserFactory(name="Foyer Leroy", email="leroy@example.org")
    gone = factories.UserFactory(name="Foyer Parti")

    def subscribe(user, tier, **extra):
        return factories.SubscriptionFactory(
            offer=vegetables, user=user, size=size, tier=tier, **extra
        )

    martin_sub = subscribe(martin, standard)
    leroy_sub = subscribe(leroy, solidaire)
    subscribe(gone, standard, status="cancelled", cancelled_at=datetime.now(UTC))

    def book(user, offer, kind, amount):
        factories.LedgerEntryFactory(
            user=user, group_id=offer.group_id, offer_id=offer.id, kind=kind, amount_cents=amount
        )

    book(martin, vegetables, "commitment", -30000)
    book(martin, vegetables, "payment", 10000)
    book(leroy, vegetables, "commitment", -15000)
    book(leroy, vegetables, "payment", 20000)
    book(leroy, vegetables, "refund", -5000)
    book(gone, vegetables, "commitment", -6000)
    book(gone, vegetables, "credit", 6000)
    book(martin, eggs, "commitment", -4000)
    book(martin, eggs, "payment", 5500)
    # A donation to the group's fund belongs to no offer.
    factories.LedgerEntryFactory(
        user=martin, group_id=canuts.id, kind="donation", amount_cents=-700
    )

    today = date.today()

    def deliver(subscription, days, state, quantity=1, day_status="scheduled"):
        factories.DeliveryFactory(
            subscription=subscription,
            distribution_day__occurrence_date=today + timedelta(days=days),
            distribution_day__status=day_status,
            state=state,
            quantity=quantity,
            given_to_name="Camille" if state == "given" else None,
        )

    deliver(martin_sub, -21, "collected")
    deliver(martin_sub, -14, "absent")
    deliver(martin_sub, -7, "planned", quantity=2)  # carries the absent basket, not ticked off
    deliver(martin_sub, -28, "planned", day_status="cancelled")
    deliver(martin_sub, 7, "planned")
    deliver(leroy_sub, -21, "given")
    deliver(leroy_sub, -14, "not_collected")
    deliver(leroy_sub, -7, "donated")
    deliver(leroy_sub, 7, "given")
    deliver(leroy_sub, 14, "absent")
    db.session.commit()
    return producer


def producer_url(producer) -> str:
    return f"/producteurs/{producer.slug}/prefinancement"


def group_url(slug: str) -> str:
    return f"/groupes/{slug}/gestion/prefinancement"


def row_with(text: str, name: str) -> str:
    start = text.index(name)
    return text[start : text.index("</tr>", start)]


def test_the_farm_reads_exact_figures_per_offer(client, farm, user_with_role):
    user_with_role("producer_staff", farm)
    response = client.get(producer_url(farm))
    assert response.status_code == 200
    text = readable(response)

    vegetables = row_with(text, "Contrat légumes")
    assert "AMAP des Canuts" in vegetables
    for figure in ("510,00 €", "250,00 €", "260,00 €", "75,00 €", "5 / 2"):
        assert figure in vegetables, figure
    assert ">2<" in vegetables  # two active subscriptions
    eggs = row_with(text, "Contrat œufs")
    for figure in ("40,00 €", "55,00 €", "0,00 €"):
        assert figure in eggs, figure

    totals = text[text.index("<tfoot>") :]
    for figure in ("550,00 €", "305,00 €", "260,00 €", "75,00 €"):
        assert figure in totals, figure


def test_no_household_name_or_tier_reaches_the_farm(client, farm, user_with_role):
    user_with_role("producer_staff", farm)
    pages = readable(client.get(producer_url(farm))) + client.get(
        producer_url(farm) + "?format=csv"
    ).get_data(as_text=True)
    for secret in ("Martin", "Leroy", "Parti", "example.org", "Solidaire", "Standard", "Camille"):
        assert secret not in pages


def test_the_csv_has_one_row_per_offer_in_euros_with_a_comma(client, farm, user_with_role):
    user_with_role("producer_staff", farm)
    response = client.get(producer_url(farm) + "?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "prefinancement-ferme-du-coteau.csv" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the accents right

    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, *offers = rows
    assert header == [
        "Groupe",
        "Producteur·rice",
        "Contrat",
        "Début de saison",
        "Fin de saison",
        "Abonnements",
        "Engagé (€)",
        "Reçu (€)",
        "Reste dû (€)",
        "Livré à ce jour (€)",
        "Paniers livrés",
        "Paniers à venir",
    ]
    by_offer = {row[2]: dict(zip(header, row, strict=True)) for row in offers}
    assert len(offers) == 2
    vegetables = by_offer["Contrat légumes"]
    assert vegetables["Groupe"] == "AMAP des Canuts"
    assert vegetables["Producteur·rice"] == "Ferme du Coteau"
    assert vegetables["Abonnements"] == "2"
    assert vegetables["Engagé (€)"] == "510,00"
    assert vegetables["Reçu (€)"] == "250,00"
    assert vegetables["Reste dû (€)"] == "260,00"
    assert vegetables["Livré à ce jour (€)"] == "75,00"
    assert (vegetables["Paniers livrés"], vegetables["Paniers à venir"]) == ("5", "2")
    eggs = by_offer["Contrat œufs"]
    assert (eggs["Engagé (€)"], eggs["Reçu (€)"], eggs["Reste dû (€)"]) == (
        "40,00",
        "55,00",
        "0,00",
    )
    assert eggs["Livré à ce jour (€)"] == "0,00"


def test_a_coordinator_sees_the_same_figures_for_their_groups_offers(client, farm, user_with_role):
    group = db.session.scalar(select(Group).where(Group.slug == "amap-des-canuts"))
    user_with_role("coordinator", group)
    text = readable(client.get(group_url("amap-des-canuts")))
    vegetables = row_with(text, "Contrat légumes")
    assert "Ferme du Coteau" in vegetables
    for figure in ("510,00 €", "250,00 €", "260,00 €", "75,00 €", "5 / 2"):
        assert figure in vegetables, figure
    assert "Contrat œufs" not in text

    rows = list(
        csv.reader(
            io.StringIO(
                client.get(group_url("amap-des-canuts") + "?format=csv").get_data(as_text=True)
            ),
            delimiter=";",
        )
    )
    assert len(rows) == 2 and rows[1][2] == "Contrat légumes" and rows[1][6] == "510,00"


def test_a_farm_without_offers_is_told_so(client, user_with_role):
    producer = factories.ProducerFactory()
    user_with_role("producer_staff", producer)
    assert "Aucun contrat de paniers pour l'instant." in readable(
        client.get(producer_url(producer))
    )


def test_a_name_that_looks_like_a_formula_is_defused_in_the_csv(client, user_with_role):
    offer = factories.BasketOfferFactory(name='=HYPERLINK("http://x")')
    user_with_role("producer_staff", offer.producer)
    text = client.get(producer_url(offer.producer) + "?format=csv").get_data(as_text=True)
    row = list(csv.reader(io.StringIO(text), delimiter=";"))[1]
    assert row[2] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize("wanted", ["xls", "pdf", ""])
def test_an_unknown_format_is_refused_clearly(client, farm, user_with_role, wanted):
    user_with_role("producer_staff", farm)
    response = client.get(producer_url(farm) + f"?format={wanted}")
    assert response.status_code == 400
    text = readable(response)
    assert f"Le format « {wanted} » n'est pas proposé" in text
    assert "(csv)" in text


def test_an_unknown_format_is_refused_on_the_group_page_too(client, farm, admin):
    response = client.get(group_url("amap-des-canuts") + "?format=xls")
    assert response.status_code == 400


def test_unknown_farm_or_group_is_not_found(client, admin):
    assert client.get("/producteurs/ferme-inconnue/prefinancement").status_code == 404
    assert client.get(group_url("groupe-inconnu")).status_code == 404


def test_a_site_administrator_gets_in_both(client, farm, admin):
    assert client.get(producer_url(farm)).status_code == 200
    assert client.get(group_url("amap-des-canuts")).status_code == 200


@pytest.mark.parametrize("role", ["member", "volunteer", "coordinator"])
def test_people_of_the_group_cannot_read_the_farms_statement(client, farm, user_with_role, role):
    group = factories.GroupFactory()
    factories.ProducerSuppliesGroupFactory(producer=farm, group=group)
    user_with_role(role, group)
    assert client.get(producer_url(farm)).status_code == 403
    assert client.get(producer_url(farm) + "?format=csv").status_code == 403


def test_another_farms_staff_is_refused(client, farm, user_with_role):
    user_with_role("producer_staff", factories.ProducerFactory())
    assert client.get(producer_url(farm)).status_code == 403
    assert client.get(producer_url(farm) + "?format=csv").status_code == 403


@pytest.mark.parametrize("role", ["member", "volunteer"])
def test_members_and_volunteers_cannot_read_the_groups_statement(
    client, farm, user_with_role, role
):
    group = db.session.scalar(select(Group).where(Group.slug == "amap-des-canuts"))
    user_with_role(role, group)
    assert client.get(group_url(group.slug)).status_code == 403
    assert client.get(group_url(group.slug) + "?format=csv").status_code == 403


def test_another_groups_coordinator_and_the_farm_cannot_read_the_groups_statement(
    client, farm, user_with_role
):
    user_with_role("coordinator", factories.GroupFactory())
    assert client.get(group_url("amap-des-canuts")).status_code == 403
    user_with_role("producer_staff", farm)
    assert client.get(group_url("amap-des-canuts")).status_code == 403


def test_visitors_are_sent_to_log_in(client, farm):
    for url in (producer_url(farm), group_url("amap-des-canuts")):
        for suffix in ("", "?format=csv"):
            response = client.get(url + suffix)
            assert response.status_code == 302
            assert "/compte/connexion" in response.location


def add_offers(supply, first: int, count: int) -> None:
    """Offers with a subscription, ledger entries and past and coming deliveries each."""
    today = date.today()
    for index in range(first, first + count):
        offer = factories.BasketOfferFactory(supply=supply, name=f"Contrat n{index}")
        subscription = factories.SubscriptionFactory(offer=offer)
        for kind, amount in (("commitment", -3000), ("payment", 1000)):
            factories.LedgerEntryFactory(
                user=subscription.user,
                group_id=offer.group_id,
                offer_id=offer.id,
                kind=kind,
                amount_cents=amount,
            )
        for days in (-7, 7):
            factories.DeliveryFactory(
                subscription=subscription,
                distribution_day__occurrence_date=today + timedelta(days=days),
            )
    db.session.commit()
    as_new_request()


@pytest.mark.parametrize("audience", ["producer", "group"])
def test_the_number_of_queries_does_not_grow_with_the_offers(client, admin, audience):
    supply = factories.ProducerSuppliesGroupFactory()
    db.session.commit()
    url = producer_url(supply.producer) if audience == "producer" else group_url(supply.group.slug)
    add_offers(supply, 0, 2)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    add_offers(supply, 2, 13)
    with count_queries() as many:
        response = client.get(url)
    text = readable(response)
    assert text.count("Contrat n") == 15
    assert "450,00 €" in text  # 15 × 30,00 committed
    assert many.count == few.count
