"""A household's statement in a group: its own ledger, running balance and open installments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from marketplace.extensions import db
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request
from tests.payments.support import readable


@pytest.fixture
def group():
    group = factories.GroupFactory(slug="amap-des-canuts", name="AMAP des Canuts")
    db.session.commit()
    return group


def url(group) -> str:
    return f"/groupes/{group.slug}/mon-releve"


def entry(user, group, kind, amount, day, label):
    return factories.LedgerEntryFactory(
        user=user, group_id=group.id, kind=kind, amount_cents=amount, occurred_on=day, label=label
    )


def test_the_member_reads_their_ledger_with_a_running_balance(client, group, user_with_role):
    member = user_with_role("member", group)
    # Booked out of order: the statement sorts by date.
    entry(member, group, "payment", 10000, date(2026, 3, 5), "Chèque n° 1234")
    entry(member, group, "commitment", -30000, date(2026, 3, 1), "Contrat légumes été")
    entry(member, group, "credit", 1500, date(2026, 4, 2), "Panier absent du 2 avril")
    entry(member, group, "refund", -500, date(2026, 4, 3), "Trop-perçu rendu")
    entry(member, group, "donation", -1000, date(2026, 4, 4), "Panier suspendu")
    entry(member, group, "adjustment", 1000, date(2026, 4, 5), "Erreur de saisie")
    db.session.commit()

    text = readable(client.get(url(group)))

    rows = [
        ("Contrat légumes été", "Engagement", "-300,00 €", "-300,00 €"),
        ("Chèque n° 1234", "Paiement", "+100,00 €", "-200,00 €"),
        ("Panier absent du 2 avril", "Avoir", "+15,00 €", "-185,00 €"),
        ("Trop-perçu rendu", "Remboursement", "-5,00 €", "-190,00 €"),
        ("Panier suspendu", "Don", "-10,00 €", "-200,00 €"),
        ("Erreur de saisie", "Correction", "+10,00 €", "-190,00 €"),
    ]
    positions = []
    for label, kind, amount, balance in rows:
        start = text.index(label)
        line = text[start : text.index("</tr>", start)]
        assert kind in line and amount in line and balance in line, line
        positions.append(start)
    assert positions == sorted(positions)  # oldest first
    assert "Reste à payer : 190,00 €" in text


def test_debits_and_credits_are_styled_apart(client, group, user_with_role):
    member = user_with_role("member", group)
    entry(member, group, "commitment", -4500, date(2026, 3, 1), "Contrat œufs")
    entry(member, group, "payment", 4500, date(2026, 3, 2), "Virement")
    db.session.commit()
    html = client.get(url(group)).get_data(as_text=True)
    assert html.count('class="amount amount-debit"') == 1
    assert html.count('class="amount amount-credit"') == 1
    assert "Vous êtes à jour." in readable(client.get(url(group)))


def test_a_credit_in_the_households_favour_is_said_so(client, group, user_with_role):
    member = user_with_role("member", group)
    entry(member, group, "commitment", -3000, date(2026, 3, 1), "Contrat pain")
    entry(member, group, "payment", 4200, date(2026, 3, 2), "Espèces")
    db.session.commit()
    assert "Avoir en votre faveur : 12,00 €" in readable(client.get(url(group)))


def test_an_empty_ledger_is_up_to_date(client, group, user_with_role):
    user_with_role("member", group)
    text = readable(client.get(url(group)))
    assert "Vous êtes à jour." in text
    assert "Aucune opération pour l'instant dans ce groupe." in text
    assert "Aucune échéance à venir." in text


def test_open_installments_of_the_households_subscriptions_in_this_group(
    client, group, user_with_role
):
    member = user_with_role("member", group)
    today = date.today()
    offer = factories.BasketOfferFactory(supply__group=group, name="Contrat légumes")
    subscription = factories.SubscriptionFactory(offer=offer, user=member)
    factories.InstallmentFactory(
        subscription=subscription,
        sequence=1,
        due_on=today - timedelta(days=40),
        amount_cents=5000,
        state="paid",
        paid_at=datetime.now(UTC),
    )
    factories.InstallmentFactory(
        subscription=subscription,
        sequence=2,
        due_on=today - timedelta(days=10),
        amount_cents=4550,
        state="failed",
    )
    factories.InstallmentFactory(
        subscription=subscription,
        sequence=3,
        due_on=today + timedelta(days=20),
        amount_cents=4550,
        state="planned",
    )
    factories.InstallmentFactory(
        subscription=subscription,
        sequence=4,
        due_on=today + timedelta(days=50),
        amount_cents=4550,
        state="cancelled",
    )
    # Someone else's subscription, and this household's subscription in another group.
    factories.InstallmentFactory(
        subscription=factories.SubscriptionFactory(offer=offer), amount_cents=7777
    )
    elsewhere = factories.SubscriptionFactory(user=member, offer__name="Contrat ailleurs")
    factories.InstallmentFactory(subscription=elsewhere, amount_cents=8888)
    db.session.commit()

    text = readable(client.get(url(group)))
    section = text[text.index("Mes prochaines échéances") :]
    assert section.count("Contrat légumes") == 2
    assert "50,00 €" not in section  # paid
    assert "Paiement refusé" in section and "En retard" in section
    assert "À payer" in section
    assert section.count("45,50 €") == 2  # the cancelled one is not shown
    assert "77,77 €" not in text and "88,88 €" not in text
    assert section.index("Paiement refusé") < section.index("À payer")


def test_a_coordinator_sees_only_their_own_statement(client, group, user_with_role):
    neighbour = factories.UserFactory(name="Foyer Martin")
    entry(neighbour, group, "commitment", -99900, date(2026, 3, 1), "Contrat du voisin")
    coordinator = user_with_role("coordinator", group)
    entry(coordinator, group, "commitment", -2000, date(2026, 3, 1), "Mon contrat fromage")
    db.session.commit()
    text = readable(client.get(url(group)))
    assert "Mon contrat fromage" in text
    assert "Contrat du voisin" not in text and "999,00 €" not in text
    assert "Reste à payer : 20,00 €" in text


def test_entries_of_another_group_are_not_shown(client, group, user_with_role):
    member = user_with_role("member", group)
    entry(member, factories.GroupFactory(), "commitment", -6100, date(2026, 3, 1), "Autre AMAP")
    db.session.commit()
    text = readable(client.get(url(group)))
    assert "Autre AMAP" not in text
    assert "Vous êtes à jour." in text


def test_a_volunteer_only_is_refused(client, group, user_with_role):
    user_with_role("volunteer", group)
    assert client.get(url(group)).status_code == 403


def test_people_outside_the_group_are_refused(client, group, user_with_role):
    user_with_role("member", factories.GroupFactory())
    assert client.get(url(group)).status_code == 403


def test_producer_staff_are_refused(client, group, user_with_role):
    user_with_role("producer_staff", factories.ProducerFactory())
    assert client.get(url(group)).status_code == 403


def test_visitors_are_sent_to_log_in(client, group):
    response = client.get(url(group))
    assert response.status_code == 302
    assert "/compte/connexion" in response.location


def test_an_unknown_group_is_not_found(client, admin):
    assert client.get("/groupes/groupe-inconnu/mon-releve").status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_entries(client, group, user_with_role):
    member = user_with_role("member", group)
    subscription = factories.SubscriptionFactory(offer__supply__group=group, user=member)

    def add(entries: int) -> None:
        for index in range(entries):
            entry(member, group, "commitment", -100 - index, date(2026, 3, 1), f"Ligne {index}")
            factories.InstallmentFactory(subscription=subscription, amount_cents=100 + index)
        db.session.commit()
        as_new_request()

    add(3)
    with count_queries() as few:
        assert client.get(url(group)).status_code == 200
    add(57)
    with count_queries() as many:
        response = client.get(url(group))
    assert readable(response).count("<td>Ligne ") == 60
    assert many.count == few.count
