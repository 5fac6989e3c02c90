"""Deleting one's account: anonymised, books kept, refused while commitments are open."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User, UserSession
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.organisations.models import Membership
from marketplace.payments.models import LedgerEntry
from marketplace.privacy.models import AccountDeletion
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request, page_text


@pytest.fixture
def settled():
    """A member whose season is paid: a commitment and the payment that settles it."""
    subscription = factories.SubscriptionFactory(
        user=factories.UserFactory(
            name="Foyer Renaud", email="renaud@example.org", phone="0611223344"
        )
    )
    user = subscription.user
    group_id = subscription.group_id
    factories.MembershipFactory(user=user, organisation=subscription.offer.group)
    factories.InstallmentFactory(subscription=subscription, state="paid", paid_at=utcnow())
    factories.LedgerEntryFactory(user=user, group_id=group_id, amount_cents=-3000)
    factories.LedgerEntryFactory(user=user, group_id=group_id, kind="payment", amount_cents=3000)
    factories.DeliveryFactory(
        subscription=subscription,
        state="given",
        given_to_name="Mme Voisine",
        given_to_email="voisine@example.org",
    )
    factories.ShiftSignupFactory(user=user)
    db.session.commit()
    return subscription


def delete(client):
    return client.post("/mes-donnees/supprimer", data={"understood": "y"}, follow_redirects=True)


def test_a_person_deletes_their_account(client, login, settled):
    user = settled.user
    login(user)
    response = delete(client)
    assert "Votre compte est supprimé." in page_text(response)
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.name == f"Compte supprimé {user.id}"
    assert user.email == f"supprime-{user.id}@anonyme.invalid"
    assert user.phone is None and not user.is_active_account
    # The books stay, under the pseudonym.
    assert (
        db.session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.user_id == user.id)
        )
        == 2
    )
    (delivery,) = settled.deliveries
    assert delivery.given_to_name == "—" and delivery.given_to_email is None
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
    assert db.session.scalars(select(Membership).where(Membership.user_id == user.id)).all() == []
    (signup,) = db.session.scalars(select(factories.ShiftSignup)).all()
    assert signup.state == "cancelled"
    # Logged out, and the old password opens nothing.
    assert client.get("/mes-donnees/").status_code == 302
    assert (
        client.post(
            "/compte/connexion",
            data={"email": "renaud@example.org", "password": factories.DEFAULT_PASSWORD},
        ).status_code
        == 200
    )


def test_the_coordinators_see_who_left(client, login, settled):
    group = settled.offer.group
    coordinator = factories.MembershipFactory(organisation=group, role="coordinator").user
    login(settled.user)
    delete(client)
    login(coordinator)
    page = page_text(client.get(f"/mes-donnees/groupes/{group.slug}/departs"))
    assert "Foyer Renaud" in page and "à sa demande" in page
    (row,) = db.session.scalars(select(AccountDeletion)).all()
    assert row.group_id == group.id and row.reason == "request"


def test_someone_else_cannot_see_a_groups_departures(client, login, settled):
    login(settled.user)
    assert client.get(f"/mes-donnees/groupes/{settled.offer.group.slug}/departs").status_code == 403


def test_installments_still_due_refuse_the_deletion(client, login, settled):
    factories.InstallmentFactory(subscription=settled, state="planned")
    db.session.commit()
    login(settled.user)
    assert "encore des échéances à régler" in page_text(client.get("/mes-donnees/"))
    response = client.post("/mes-donnees/supprimer", data={"understood": "y"})
    assert response.status_code == 409
    assert "encore des échéances à régler" in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, settled.user_id).name == "Foyer Renaud"


def test_money_owed_refuses_the_deletion(client, login, settled):
    factories.LedgerEntryFactory(user=settled.user, group_id=settled.group_id, amount_cents=-1250)
    db.session.commit()
    login(settled.user)
    response = client.post("/mes-donnees/supprimer", data={"understood": "y"})
    assert response.status_code == 409
    assert "Vous devez encore 12,50" in page_text(response)


def test_an_order_not_collected_yet_refuses_the_deletion(client, login, settled):
    day = factories.DistributionDayFactory()
    factories.OrderFactory(user=settled.user, distribution_day=day)
    db.session.commit()
    login(settled.user)
    response = client.post("/mes-donnees/supprimer", data={"understood": "y"})
    assert response.status_code == 409 and "Vous avez une commande" in page_text(response)


def test_the_box_must_be_ticked(client, login, settled):
    login(settled.user)
    response = client.post("/mes-donnees/supprimer", data={})
    assert response.status_code == 400 and "Cochez la case pour confirmer." in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, settled.user_id).is_active_account


def test_a_past_day_does_not_hold_the_account(client, login, settled):
    past = factories.DistributionDayFactory(occurrence_date=(utcnow() - timedelta(days=14)).date())
    factories.OrderFactory(user=settled.user, distribution_day=past)
    db.session.commit()
    login(settled.user)
    assert "Votre compte est supprimé." in page_text(delete(client))


def test_the_departures_list_runs_the_same_queries_for_one_or_ten(client, login):
    small, large = factories.GroupFactory(), factories.GroupFactory()
    coordinator = factories.UserFactory()
    for group, count in ((small, 1), (large, 10)):
        factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
        for _ in range(count):
            db.session.add(
                AccountDeletion(
                    user_id=factories.UserFactory().id,
                    group_id=group.id,
                    former_name="Foyer Parti",
                    reason="request",
                    requested_at=utcnow(),
                )
            )
    db.session.commit()
    login(coordinator)
    as_new_request()
    with count_queries() as few:
        assert client.get(f"/mes-donnees/groupes/{small.slug}/departs").status_code == 200
    as_new_request()
    with count_queries() as many:
        page = client.get(f"/mes-donnees/groupes/{large.slug}/departs")
    assert page_text(page).count("Foyer Parti") == 10
    assert few.count == many.count
