"""The member's sign-up page and subscription page: what they show, refuse and who may see them."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from marketplace.baskets.subscribing import subscribe
from marketplace.db import utcnow
from marketplace.extensions import db
from tests import factories
from tests.baskets.test_subscribing import build_scenario, counts, new_member
from tests.helpers import count_queries, login_id

NOTHING = {"subscriptions": 0, "deliveries": 0, "installments": 0, "ledger": 0}


def url(scenario) -> str:
    return f"/offres/{scenario.offer.id}/souscrire"


def form_data(scenario, **overrides) -> dict:
    data = {
        "size_id": scenario.small.id,
        "pickup_point_id": scenario.point.id,
        "tier_id": scenario.standard.id,
        "plan": "monthly",
        "method": "cheque",
    }
    return {**data, **overrides}


@pytest.fixture
def scenario(app, login):
    built = build_scenario(utcnow())
    login(built.member)
    return built


def page(response) -> str:
    """The page's text as a person reads it (entities such as ' decoded)."""
    return html.unescape(response.get_data(as_text=True))


def test_the_form_offers_sizes_with_prices_and_only_the_allowed_choices(client, scenario):
    response = client.get(url(scenario))
    assert response.status_code == 200
    text = page(response)
    assert f"S'inscrire au contrat {scenario.offer.name}" in text
    assert "Petit — 15,00\xa0€ par livraison" in text
    assert "Grand — 25,50\xa0€ par livraison" in text
    assert "Préau de l'école Jean-Macé" in text
    assert "Solidaire (50 %)" in text and "Soutien (120 %)" in text
    assert "Une échéance par mois" in text and "En une fois, pour toute la saison" in text
    assert "Une échéance par livraison" not in text  # not allowed by this offer
    assert "Chèque" in text and "Virement bancaire" in text
    assert "Espèces" not in text and "Prélèvement SEPA" not in text
    assert "Voir le récapitulatif" in text
    assert "Confirmer mon inscription" not in text  # only once the summary is shown


def test_the_summary_shows_dates_total_and_installments_and_saves_nothing(client, scenario):
    response = client.post(url(scenario), data={**form_data(scenario), "preview": "1"})
    assert response.status_code == 200
    text = page(response)
    assert "Récapitulatif" in text
    assert "150,00\xa0€" in text  # 10 deliveries at 15,00 €
    assert "Vos 10 dates de livraison" in text
    for day in scenario.days[2:]:
        assert str(day.day.year) in text
    assert "Confirmer mon inscription" in text
    assert counts() == NOTHING


def test_confirming_saves_and_shows_the_subscription(client, scenario):
    response = client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    assert response.status_code == 302
    saved = counts()
    assert (saved["subscriptions"], saved["deliveries"], saved["ledger"]) == (1, 10, 1)
    assert saved["installments"] >= 1
    detail = client.get(response.headers["Location"])
    text = page(detail)
    assert "Votre inscription est enregistrée. Merci !" in text
    assert f"Mon inscription au contrat {scenario.offer.name}" in text
    assert "Petit" in text and "Préau de l'école Jean-Macé" in text
    assert "Standard (100 %)" in text
    assert "Une échéance par mois" in text and "Chèque" in text
    assert "150,00\xa0€" in text
    assert text.count("Prévue") == 10
    assert "À payer" in text
    assert "en attente de validation" not in text


def test_a_reduced_tier_is_shown_as_pending_with_the_standard_price(client, scenario):
    data = form_data(scenario, tier_id=scenario.solidaire.id)
    summary = page(client.post(url(scenario), data={**data, "preview": "1"}))
    assert "sera examinée en toute discrétion par la coordination" in summary
    assert "le tarif standard s'applique" in summary
    assert "7,50\xa0€" in summary  # the price once granted

    response = client.post(url(scenario), data={**data, "confirm": "1"})
    text = page(client.get(response.headers["Location"]))
    assert "Solidaire (50 %)" in text
    assert "en attente de validation" in text
    assert "150,00\xa0€" in text


@pytest.mark.parametrize("button", ["preview", "confirm"])
def test_tampered_ids_give_form_errors_and_save_nothing(client, scenario, button):
    other = build_scenario(utcnow())
    cases = [
        (
            form_data(scenario, size_id=other.small.id),
            "Choisissez une taille de panier de ce contrat.",
        ),
        (form_data(scenario, size_id="abc"), "Choisissez une taille de panier de ce contrat."),
        (form_data(scenario, tier_id=other.standard.id), "Choisissez un tarif de ce contrat."),
        (
            form_data(scenario, pickup_point_id=other.point.id),
            "Choisissez un lieu de distribution de ce groupe.",
        ),
        (form_data(scenario, plan="per_delivery"), "Cet échéancier n'est pas proposé"),
        (form_data(scenario, method="cash"), "Ce moyen de paiement n'est pas proposé"),
    ]
    for data, message in cases:
        response = client.post(url(scenario), data={**data, button: "1"})
        assert response.status_code == 200
        assert message in page(response)
        assert "Récapitulatif" not in page(response)
    assert counts() == NOTHING


def test_missing_choices_are_asked_for_in_french(client, scenario):
    response = client.post(url(scenario), data={"confirm": "1"})
    text = page(response)
    for message in (
        "Choisissez une taille de panier.",
        "Choisissez un lieu de distribution.",
        "Choisissez un tarif.",
        "Choisissez un moyen de paiement.",
    ):
        assert message in text
    assert counts() == NOTHING


def test_a_full_size_is_said_so_next_to_the_sizes(client, scenario):
    scenario.small.capacity = 1
    subscribe(
        scenario.offer,
        new_member(scenario),
        scenario.small,
        scenario.point,
        scenario.standard,
        "season",
        "cheque",
        utcnow(),
    )
    db.session.commit()
    before = counts()
    response = client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    assert "Ce panier est complet." in page(response)
    assert counts() == before


def test_a_closed_sign_up_shows_no_form(client, scenario):
    scenario.offer.signup_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    text = page(client.get(url(scenario)))
    assert "Les inscriptions à ce contrat sont fermées." in text
    assert "Voir le récapitulatif" not in text
    response = client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    assert "Les inscriptions à ce contrat sont fermées." in page(response)
    assert counts() == NOTHING


def test_an_already_subscribed_member_is_sent_to_their_subscription(client, scenario):
    first = client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    again = client.get(url(scenario))
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    posted = client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    assert posted.status_code == 302
    assert "Vous êtes déjà inscrit·e à ce contrat." in page(client.get(posted.headers["Location"]))
    assert counts()["subscriptions"] == 1


# --- Permissions ---------------------------------------------------------------------------------


def test_visitors_are_sent_to_log_in(app):
    scenario = build_scenario(utcnow())
    response = app.test_client().get(url(scenario))
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("role", ["coordinator", "volunteer"])
def test_people_who_are_not_members_of_the_group_are_refused(
    client, scenario, user_with_role, role
):
    user_with_role(role, scenario.offer.group)
    assert client.get(url(scenario)).status_code == 403
    response = client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    assert response.status_code == 403
    assert counts() == NOTHING


def test_members_of_another_group_and_producer_staff_are_refused(client, scenario, user_with_role):
    user_with_role("member", factories.GroupFactory())
    assert client.get(url(scenario)).status_code == 403
    user_with_role("producer_staff", scenario.offer.producer)
    assert client.get(url(scenario)).status_code == 403


def test_a_draft_or_unknown_offer_is_not_found(client, scenario):
    scenario.offer.status = "draft"
    db.session.commit()
    assert client.get(url(scenario)).status_code == 404
    assert client.get("/offres/999999/souscrire").status_code == 404


def test_someone_else_s_subscription_is_not_found(client, scenario, login):
    response = client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    detail_url = response.headers["Location"]
    assert client.get(detail_url).status_code == 200
    login(new_member(scenario))
    assert client.get(detail_url).status_code == 404
    assert client.get("/contrats/999999").status_code == 404


# --- Query count ---------------------------------------------------------------------------------


def subscription_page_queries(app, weeks: int) -> tuple[int, int]:
    scenario = build_scenario(utcnow(), weeks=weeks)
    scenario.offer.plan_per_delivery = True
    db.session.commit()
    subscription = subscribe(
        scenario.offer,
        scenario.member,
        scenario.small,
        scenario.point,
        scenario.standard,
        "per_delivery",
        "cheque",
        utcnow(),
    )
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(scenario.member)
    with count_queries() as counter:
        response = client.get(f"/contrats/{subscription.id}")
    assert response.status_code == 200
    return len(subscription.deliveries), counter.count


def test_the_subscription_page_runs_the_same_queries_for_4_or_30_deliveries(app):
    few, few_queries = subscription_page_queries(app, weeks=6)
    many, many_queries = subscription_page_queries(app, weeks=32)
    assert (few, many) == (4, 30)
    assert few_queries == many_queries
