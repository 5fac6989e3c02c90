"""The coordinators' tier requests screen: what it shows, who may use it, and the emails."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select

from marketplace.baskets.models import Subscription
from marketplace.baskets.subscribing import subscribe
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.payments.fund import fund_balance_cents
from marketplace.payments.models import LedgerEntry
from tests import factories
from tests.baskets.test_subscribing import build_scenario, choices, new_member
from tests.helpers import count_queries, message_text
from tests.organisations.pages import as_new_request
from tests.payments.support import readable


@pytest.fixture
def scenario(app):
    built = build_scenario(utcnow())
    built.offer.group.slug = "amap-des-canuts"
    db.session.commit()
    return built


def ask_reduced(scenario, user=None) -> Subscription:
    subscription = subscribe(
        scenario.offer,
        user or scenario.member,
        **choices(scenario, tier=scenario.solidaire, now=utcnow()),
    )
    db.session.commit()
    return subscription


def fill_fund(scenario, cents: int) -> None:
    factories.FundMovementFactory(group_id=scenario.offer.group_id, amount_cents=cents)
    db.session.commit()


BASE = "/groupes/amap-des-canuts/gestion/tarifs"


def test_coordinators_see_pending_requests_with_their_cost(client, scenario, user_with_role):
    ask_reduced(scenario)
    fill_fund(scenario, 12345)
    user_with_role(Role.COORDINATOR, scenario.offer.group)

    response = client.get(BASE)
    assert response.status_code == 200
    text = readable(response)
    assert "1 demande en attente" in text
    assert scenario.member.name in text and scenario.offer.name in text
    assert "Solidaire (50 %) : 7,50 € par livraison" in text
    assert "Solde du fonds de solidarité : 123,45 €" in text
    assert "75,00 €" in text  # 10 baskets × 7,50 € taken from the fund
    assert "Accorder" in text and "Refuser" in text


def test_approving_from_the_page_emails_the_household(client, scenario, user_with_role, outbox):
    subscription = ask_reduced(scenario)
    fill_fund(scenario, 10000)
    user_with_role(Role.COORDINATOR, scenario.offer.group)

    response = client.post(
        f"{BASE}/{subscription.id}/approuver",
        data={f"r{subscription.id}-note": "Bonne saison à vous !"},
    )
    assert response.status_code == 302
    as_new_request()
    assert db.session.get(Subscription, subscription.id).tier_status == "approved"
    assert fund_balance_cents(scenario.offer.group_id) == 2500
    page = readable(client.get(BASE))
    assert f"Tarif solidaire accordé à {scenario.member.name}." in page
    assert "Aucune demande en attente." in page and "Accordé" in page

    [message] = outbox
    assert message["To"] == scenario.member.email
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == f"Votre inscription au contrat {scenario.offer.name}"
    body = message_text(message)
    assert "a été acceptée" in body and "7,50" in body
    assert "Bonne saison à vous !" in body
    assert f"/contrats/{subscription.id}" in body


def test_refusing_emails_the_household_in_its_language(client, scenario, user_with_role, outbox):
    scenario.member.language = "en"
    db.session.commit()
    subscription = ask_reduced(scenario)
    user_with_role(Role.COORDINATOR, scenario.offer.group)

    response = client.post(f"{BASE}/{subscription.id}/refuser", data={})
    assert response.status_code == 302
    as_new_request()
    assert db.session.get(Subscription, subscription.id).tier_status == "refused"
    [message] = outbox
    body = message_text(message)
    assert body.startswith(f"Hello {scenario.member.name},")
    assert "The Circuits courts solidaires team" in body


def test_a_fund_too_small_is_explained_and_nothing_changes(client, scenario, user_with_role):
    subscription = ask_reduced(scenario)
    fill_fund(scenario, 1000)
    user_with_role(Role.COORDINATOR, scenario.offer.group)

    page = readable(client.get(BASE))
    assert "il a 10,00 €, il manque 65,00 €" in page
    assert "Accorder, le groupe prend en charge ce qui manque" in page

    response = client.post(f"{BASE}/{subscription.id}/approuver", follow_redirects=True)
    text = readable(response)
    assert "il faut 75,00 €, le fonds a 10,00 €, il manque 65,00 €" in text
    as_new_request()
    assert db.session.get(Subscription, subscription.id).tier_status == "pending"
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 1

    response = client.post(
        f"{BASE}/{subscription.id}/approuver",
        data={f"r{subscription.id}-approve_with_group": "y"},
        follow_redirects=True,
    )
    assert f"Tarif solidaire accordé à {scenario.member.name}." in readable(response)
    as_new_request()
    assert db.session.get(Subscription, subscription.id).tier_status == "approved"
    assert fund_balance_cents(scenario.offer.group_id) == 0


def test_a_replayed_post_changes_nothing_twice(client, scenario, user_with_role, outbox):
    subscription = ask_reduced(scenario)
    fill_fund(scenario, 10000)
    user_with_role(Role.COORDINATOR, scenario.offer.group)
    client.post(f"{BASE}/{subscription.id}/approuver")
    replay = client.post(f"{BASE}/{subscription.id}/approuver", follow_redirects=True)

    assert "Cette demande a déjà été traitée." in readable(replay)
    assert fund_balance_cents(scenario.offer.group_id) == 2500
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 2  # commitment + credit
    assert len(outbox) == 1


def test_a_too_long_note_is_refused_with_a_clear_error(client, scenario, user_with_role, outbox):
    subscription = ask_reduced(scenario)
    fill_fund(scenario, 10000)
    user_with_role(Role.COORDINATOR, scenario.offer.group)
    response = client.post(
        f"{BASE}/{subscription.id}/approuver", data={f"r{subscription.id}-note": "x" * 501}
    )
    assert response.status_code == 400
    assert "500 caractères au maximum." in readable(response)
    as_new_request()
    assert db.session.get(Subscription, subscription.id).tier_status == "pending"
    assert outbox == []


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VOLUNTEER])
def test_members_and_volunteers_cannot_see_or_decide(client, scenario, user_with_role, role):
    subscription = ask_reduced(scenario)
    fill_fund(scenario, 10000)
    user_with_role(role, scenario.offer.group)
    assert client.get(BASE).status_code == 403
    assert client.post(f"{BASE}/{subscription.id}/approuver").status_code == 403
    assert client.post(f"{BASE}/{subscription.id}/refuser").status_code == 403
    as_new_request()
    assert db.session.get(Subscription, subscription.id).tier_status == "pending"


def test_another_groups_coordinator_is_refused(client, scenario, user_with_role):
    subscription = ask_reduced(scenario)
    fill_fund(scenario, 10000)
    other = factories.GroupFactory()
    db.session.commit()
    user_with_role(Role.COORDINATOR, other)
    assert client.get(BASE).status_code == 403
    assert client.post(f"{BASE}/{subscription.id}/approuver").status_code == 403
    # Through their own group's screen, the request is not theirs to decide.
    client.post(f"/groupes/{other.slug}/gestion/tarifs/{subscription.id}/approuver")
    as_new_request()
    assert db.session.get(Subscription, subscription.id).tier_status == "pending"


def test_admins_may_decide(client, scenario, admin):
    subscription = ask_reduced(scenario)
    assert client.post(f"{BASE}/{subscription.id}/refuser").status_code == 302
    as_new_request()
    assert db.session.get(Subscription, subscription.id).tier_status == "refused"


def test_the_requests_page_runs_the_same_queries_whatever_the_number(
    client, scenario, user_with_role
):
    coordinator = user_with_role(Role.COORDINATOR, scenario.offer.group)

    def measure() -> int:
        as_new_request()
        with count_queries() as counter:
            assert client.get(BASE).status_code == 200
        return counter.count

    ask_reduced(scenario)
    decided = ask_reduced(scenario, new_member(scenario))
    decided.tier_status = "refused"
    db.session.commit()
    few = measure()
    for _ in range(4):
        ask_reduced(scenario, new_member(scenario))
        refused = ask_reduced(scenario, new_member(scenario))
        refused.tier_status = "refused"
    db.session.commit()
    assert coordinator is not None
    assert measure() == few
