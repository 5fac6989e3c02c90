"""The coordinators' follow-up of refused and pending card payments."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.cards.models import CardPayment
from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.payments.models import InstallmentState
from marketplace.timezones import paris_today
from tests import factories
from tests.cards.dunning_helpers import card_installment, days, group_of, household_of, save_card
from tests.helpers import count_queries


def installment_in(group, **options):
    """A card installment of a subscription to an offer of `group`."""
    offer = factories.BasketOfferFactory(supply__group=group)
    subscription = factories.SubscriptionFactory(offer=offer, payment_method="card")
    return factories.InstallmentFactory(subscription=subscription, **options)


def refused_installment(group=None, *, code="insufficient_funds", retry_in=2):
    due_on = paris_today() - days(1)
    if group is None:
        installment = card_installment(due_on=due_on)
    else:
        installment = installment_in(group, due_on=due_on)
    installment.state = InstallmentState.FAILED.value
    installment.charge_retry_on = paris_today() + days(retry_in) if retry_in else None
    db.session.flush()
    factories.CardPaymentFactory(
        installment=installment, state="failed", off_session=True, failure_code=code
    )
    db.session.flush()
    return installment


def url(group, *parts):
    return "/".join([f"/groupes/{group.slug}/gestion/paiements-carte", *map(str, parts)])


def test_coordinator_sees_refused_and_pending_payments(client, user_with_role):
    refused = refused_installment()
    group = group_of(refused)
    db.session.commit()
    user_with_role(Role.COORDINATOR, group)

    page = client.get(url(group))

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert household_of(refused).name in html
    assert "La provision du compte était insuffisante." in html
    assert "Réessayer maintenant" in html
    assert "Arrêter les essais automatiques" in html
    assert "Aucun paiement en cours." in html


def test_payments_under_way_are_listed(client, user_with_role):
    installment = card_installment()
    factories.CardPaymentFactory(
        installment=installment, state="processing", method="sepa_debit", off_session=True
    )
    group = group_of(installment)
    db.session.commit()
    user_with_role(Role.COORDINATOR, group)

    html = client.get(url(group)).get_data(as_text=True)

    assert "Prélèvement en cours de traitement" in html
    assert household_of(installment).name in html
    assert "Aucun paiement refusé." in html


def test_the_page_runs_the_same_queries_whatever_the_number_of_households(client, admin):
    group = group_of(refused_installment())
    db.session.commit()
    with count_queries() as few:
        client.get(url(group))
    for _ in range(5):
        refused_installment(group)
        factories.CardPaymentFactory(
            installment=installment_in(group), state="requires_action", off_session=False
        )
    db.session.commit()

    with count_queries() as many:
        page = client.get(url(group))

    html = page.get_data(as_text=True)
    assert html.count("Réessayer maintenant") == 6
    assert html.count("Attend la confirmation du foyer") == 5
    assert many.count == few.count


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VOLUNTEER])
def test_members_and_volunteers_are_refused(client, user_with_role, role):
    installment = refused_installment()
    group = group_of(installment)
    db.session.commit()
    user_with_role(role, group)

    assert client.get(url(group)).status_code == 403
    assert client.post(url(group, installment.id, "arreter")).status_code == 403
    assert installment.charge_retry_on is not None


def test_coordinator_of_another_group_is_refused(client, user_with_role):
    installment = refused_installment()
    db.session.commit()
    user_with_role(Role.COORDINATOR, factories.GroupFactory())

    assert client.get(url(group_of(installment))).status_code == 403


def test_an_installment_of_another_group_is_not_found(client, user_with_role):
    elsewhere = refused_installment()
    group = factories.GroupFactory()
    db.session.commit()
    user_with_role(Role.COORDINATOR, group)

    assert client.post(url(group, elsewhere.id, "relancer")).status_code == 404
    assert client.post(url(group, elsewhere.id, "arreter")).status_code == 404


def test_stop_automatic_retries(client, user_with_role):
    installment = refused_installment()
    group = group_of(installment)
    db.session.commit()
    user_with_role(Role.COORDINATOR, group)

    response = client.post(url(group, installment.id, "arreter"), follow_redirects=True)

    assert "Les essais automatiques sont arrêtés" in response.get_data(as_text=True)
    assert "Aucun essai automatique" in response.get_data(as_text=True)
    db.session.expire_all()
    assert installment.charge_retry_on is None
    assert installment.state == InstallmentState.FAILED


def test_stop_twice_says_there_was_nothing_to_stop(client, user_with_role):
    installment = refused_installment(retry_in=None)
    group = group_of(installment)
    db.session.commit()
    user_with_role(Role.COORDINATOR, group)

    response = client.post(url(group, installment.id, "arreter"), follow_redirects=True)

    assert "était prévu pour cette échéance" in response.get_data(as_text=True)


@pytest.mark.usefixtures("stripe_server")
def test_retry_now_charges_the_new_card_at_once(client, user_with_role, outbox):
    installment = refused_installment(retry_in=5)
    save_card(household_of(installment))
    group = group_of(installment)
    db.session.commit()
    user_with_role(Role.COORDINATOR, group)

    response = client.post(url(group, installment.id, "relancer"), follow_redirects=True)

    assert "Le paiement a été accepté" in response.get_data(as_text=True)
    db.session.expire_all()
    assert installment.state == InstallmentState.PAID
    assert installment.charge_retry_on is None
    latest = db.session.scalars(select(CardPayment).order_by(CardPayment.id.desc())).first()
    assert (latest.state, latest.off_session, latest.attempt) == ("succeeded", True, 2)
    assert outbox == []


def test_retry_now_without_a_saved_card_sends_the_pay_link(client, user_with_role, outbox):
    installment = refused_installment()
    group = group_of(installment)
    db.session.commit()
    user_with_role(Role.COORDINATOR, group)

    response = client.post(url(group, installment.id, "relancer"), follow_redirects=True)

    assert "il a reçu un lien pour payer en ligne" in response.get_data(as_text=True)
    assert len(outbox) == 1
    db.session.expire_all()
    assert installment.state == InstallmentState.FAILED


def test_dashboard_links_coordinators_to_the_follow_up(client, user_with_role):
    group = factories.GroupFactory()
    db.session.commit()
    user_with_role(Role.COORDINATOR, group)

    html = client.get("/tableau-de-bord").get_data(as_text=True)

    assert url(group) in html


def test_anonymous_visitor_must_log_in(client):
    group = factories.GroupFactory()
    db.session.commit()
    response = client.get(url(group))
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]
