"""The coordinators' list of installments to settle and of offline payments, and who sees it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.organisations.models import Role
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request
from tests.payments.support import readable
from tests.payments.test_offline_record import household_with_installments


@pytest.fixture
def group():
    group = factories.GroupFactory(slug="amap-des-canuts", name="AMAP des Canuts")
    db.session.commit()
    return group


def index_url(group, query: str = "") -> str:
    return f"/groupes/{group.slug}/gestion/paiements{query}"


def section(text: str, title: str) -> str:
    start = text.index(title)
    end = text.find("</section>", start)
    return text[start:end]


def test_unpaid_installments_offline_methods_first(client, group, user_with_role):
    offer = factories.BasketOfferFactory(supply__group=group, name="Contrat légumes")
    household_with_installments(group, "Foyer Carte", [2000], method="card", offer=offer)
    household_with_installments(group, "Foyer Chèque", [4550], method="cheque", offer=offer)
    _, (paid,) = household_with_installments(group, "Foyer Payé", [1000], offer=offer)
    paid.state = "pending"
    db.session.commit()
    user_with_role("coordinator", group)

    text = readable(client.get(index_url(group)))

    unpaid = section(text, "Échéances à régler")
    assert unpaid.index("Foyer Chèque") < unpaid.index("Foyer Carte")
    assert "45,50 €" in unpaid and "Contrat légumes" in unpaid
    assert "Foyer Payé" not in unpaid
    assert "Enregistrer un paiement" in unpaid


def test_filters_by_contract_household_and_state(client, group, user_with_role):
    legumes = factories.BasketOfferFactory(supply__group=group, name="Contrat légumes")
    oeufs = factories.BasketOfferFactory(supply__group=group, name="Contrat œufs")
    household_with_installments(group, "Foyer Martin", [3000], offer=legumes)
    household_with_installments(group, "Foyer Leroy", [3000], offer=oeufs)
    _, (to_encash,) = household_with_installments(group, "Foyer Petit", [1500], offer=legumes)
    _, (encashed,) = household_with_installments(group, "Foyer Durand", [1500], offer=oeufs)
    factories.OfflinePaymentFactory(installment=to_encash, cheque_number="1000001")
    factories.OfflinePaymentFactory(
        installment=encashed,
        cheque_number="1000002",
        state="received",
        received_at=utcnow(),
    )
    db.session.commit()
    user_with_role("coordinator", group)

    by_offer = readable(client.get(index_url(group, f"?offer={oeufs.id}")))
    assert "Foyer Leroy" in by_offer and "Foyer Durand" in by_offer
    assert "Foyer Martin" not in by_offer and "Foyer Petit" not in by_offer

    by_name = section(
        readable(client.get(index_url(group, "?household=mart"))), "Échéances à régler"
    )
    assert "Foyer Martin" in by_name and "Foyer Leroy" not in by_name

    payments = section(
        readable(client.get(index_url(group, "?state=received"))), "Paiements enregistrés"
    )
    assert "Foyer Durand" in payments and "Foyer Petit" not in payments
    assert "Encaissé" in payments

    # The name searches the recorded payments too: a territory's list grows.
    recorded = section(
        readable(client.get(index_url(group, "?household=durand"))), "Paiements enregistrés"
    )
    assert "Foyer Durand" in recorded and "Foyer Petit" not in recorded

    # Nonsense in the address means no filter, never an error.
    assert client.get(index_url(group, "?offer=abc&state=nope&household=%25")).status_code == 200


def _fill(group, households: int, installments_each: int) -> None:
    offer = factories.BasketOfferFactory(supply__group=group)
    for number in range(households):
        user, installments = household_with_installments(
            group, f"Foyer {number}", [3000] * installments_each, offer=offer
        )
        factories.OfflinePaymentFactory(installment=installments[0])
    db.session.commit()


def test_the_list_takes_the_same_number_of_queries_whatever_the_data(client, group, user_with_role):
    user_with_role("coordinator", group)
    _fill(group, households=1, installments_each=5)
    as_new_request()
    with count_queries() as small:
        assert client.get(index_url(group)).status_code == 200

    _fill(group, households=6, installments_each=10)
    as_new_request()
    with count_queries() as large:
        response = client.get(index_url(group))
    assert response.status_code == 200
    assert readable(response).count("Enregistrer un paiement<") == 50  # a page of the list
    assert large.count == small.count


def test_the_record_page_takes_the_same_number_of_queries(client, group, user_with_role):
    user_with_role("coordinator", group)
    few, _ = household_with_installments(group, "Foyer Peu", [3000] * 2)
    many, _ = household_with_installments(group, "Foyer Beaucoup", [3000] * 12)
    as_new_request()
    with count_queries() as small:
        client.get(f"/groupes/{group.slug}/gestion/paiements/saisir?user={few.id}")
    as_new_request()
    with count_queries() as large:
        client.get(f"/groupes/{group.slug}/gestion/paiements/saisir?user={many.id}")
    assert large.count == small.count


def test_links_from_the_group_page_and_the_dashboard(client, group, user_with_role):
    user_with_role("coordinator", group)
    label = "Paiements reçus (chèques, espèces, virements)"
    assert label in readable(client.get(f"/groupes/{group.slug}"))
    assert label in readable(client.get("/tableau-de-bord"))


def _all_pages(client, group, payment_id, household_id):
    return [
        client.get(index_url(group)),
        client.get(index_url(group, f"/saisir?user={household_id}")),
        client.post(
            index_url(group, f"/saisir?user={household_id}"),
            data={"rows-0-installment_id": "1", "rows-0-selected": "y"},
        ),
        client.post(
            index_url(group, "/plusieurs"), data={"action": "receive", "payment_ids": [payment_id]}
        ),
    ]


@pytest.mark.parametrize("who", ["member", "volunteer", "producer", "other_coordinator"])
def test_only_the_groups_coordinators_may_come_in(client, group, user_with_role, who):
    user, (installment,) = household_with_installments(group, "Foyer Martin", [4550])
    payment = factories.OfflinePaymentFactory(installment=installment)
    installment.state = "pending"
    db.session.commit()
    if who == "member":
        user_with_role(Role.MEMBER, group)
    elif who == "volunteer":
        user_with_role(Role.VOLUNTEER, group)
    elif who == "producer":
        producer = factories.ProducerSuppliesGroupFactory(group=group).producer
        user_with_role(Role.PRODUCER_STAFF, producer)
    else:
        user_with_role(Role.COORDINATOR, factories.GroupFactory())

    responses = _all_pages(client, group, payment.id, user.id)

    assert [response.status_code for response in responses] == [403] * 4
    as_new_request()
    assert db.session.get(type(payment), payment.id).state == "recorded"


def test_visitors_are_sent_to_log_in(client, group):
    user, (installment,) = household_with_installments(group, "Foyer Martin", [4550])
    payment = factories.OfflinePaymentFactory(installment=installment)
    db.session.commit()

    for response in _all_pages(client, group, payment.id, user.id):
        assert response.status_code == 302
        assert "/connexion" in response.headers["Location"]


def test_site_admins_may_come_in(client, group, admin):
    user, _ = household_with_installments(group, "Foyer Martin", [4550])
    assert client.get(index_url(group)).status_code == 200
    assert client.get(index_url(group, f"/saisir?user={user.id}")).status_code == 200


def test_an_unknown_group_is_not_found(client, admin):
    assert client.get("/groupes/nulle-part/gestion/paiements").status_code == 404


def test_cheque_cashing_dates_are_listed_in_order(client, group, user_with_role):
    _, installments = household_with_installments(group, "Foyer Martin", [3000, 3000, 3000])
    for number, (installment, months) in enumerate(zip(installments, [3, 1, 2], strict=True)):
        factories.OfflinePaymentFactory(
            installment=installment,
            cheque_number=f"55500{number}",
            cash_on=date(2026, 9, 1) + timedelta(days=30 * months),
        )
    db.session.commit()
    user_with_role("coordinator", group)

    payments = section(readable(client.get(index_url(group))), "Paiements enregistrés")
    assert payments.index("555001") < payments.index("555002") < payments.index("555000")
