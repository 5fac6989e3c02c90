"""Choosing the group's own direct debit on a contract's sign-up form: offered only when the
group collects debits; the household subscribes, signs (or reuses) its mandate, and the new
contract ends on it; bad input changes nothing."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from marketplace.baskets.models import Subscription
from marketplace.db import utcnow
from marketplace.direct_debit import mandates
from marketplace.direct_debit.models import DebitChoice, DebitMandate
from marketplace.extensions import db
from tests import factories
from tests.baskets.test_subscribing import build_scenario, counts
from tests.direct_debit.scene import GROUP_BIC, GROUP_IBAN, ICS, signed_mandate

LABEL = "Prélèvement sur mon compte (mandat SEPA)"


@pytest.fixture
def scenario(app, login):
    built = build_scenario(utcnow())
    login(built.member)
    return built


def collects_debits(group):
    mandates.save_settings(
        group,
        mandates.SettingsData(
            creditor_id=ICS, creditor_name="AMAP", iban=GROUP_IBAN, bic=GROUP_BIC, notice_days=14
        ),
    )
    db.session.commit()


def sign_up(client, scenario, method="direct_debit"):
    data = {
        "size_id": scenario.small.id,
        "pickup_point_id": scenario.point.id,
        "tier_id": scenario.standard.id,
        "plan": "monthly",
        "method": method,
        "confirm": "1",
    }
    return client.post(f"/offres/{scenario.offer.id}/souscrire", data=data)


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def the_subscription() -> Subscription:
    return db.session.scalars(select(Subscription)).one()


def test_the_choice_is_offered_only_when_the_group_collects_debits(client, scenario):
    url = f"/offres/{scenario.offer.id}/souscrire"
    assert LABEL not in text_of(client.get(url))
    collects_debits(scenario.offer.group)
    assert LABEL in text_of(client.get(url))
    preview = {
        "size_id": scenario.small.id, "pickup_point_id": scenario.point.id,
        "tier_id": scenario.standard.id, "plan": "monthly", "method": "direct_debit",
        "preview": "1",
    }  # fmt: skip
    assert LABEL in text_of(client.post(url, data=preview))  # in the summary too


def test_without_debits_the_choice_is_refused_and_nothing_is_saved(client, scenario):
    before = counts()
    response = sign_up(client, scenario)
    assert response.status_code == 200
    assert "n'est pas proposé" in text_of(response)
    assert counts() == before


def test_a_bad_method_changes_nothing(client, scenario):
    collects_debits(scenario.offer.group)
    before = counts()
    response = sign_up(client, scenario, method="direct_debit_of_someone")
    assert response.status_code == 200 and counts() == before
    assert db.session.scalar(select(func.count()).select_from(DebitChoice)) == 0


def test_subscribing_then_signing_puts_the_new_contract_on_the_mandate(client, scenario):
    group = scenario.offer.group
    collects_debits(group)
    response = sign_up(client, scenario)
    assert response.status_code == 302
    mandate_url = f"/groupes/{group.slug}/prelevement/mandat"
    assert response.headers["Location"].startswith(mandate_url)
    subscription = the_subscription()
    assert subscription.payment_method == "transfer"  # until the mandate is signed
    assert f"contract={subscription.id}" in response.headers["Location"]

    page = client.get(response.headers["Location"])
    assert "votre nouveau contrat sera prélevé" in text_of(page)
    step_two = client.post(
        response.headers["Location"],
        data={"signer_name": "Camille Dupont", "iban": "DE89370400440532013000", "bic": ""},
    )
    text = step_two.get_data(as_text=True)
    fields = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', text))
    assert fields["contract"] == str(subscription.id)
    data = {
        name: html.unescape(fields[name])
        for name in ("signer_name", "iban", "bic", "reference", "contract")
    }
    data["shown_text"] = html.unescape(fields["shown_text"])
    assert client.post(f"{mandate_url}/signer", data=data).status_code == 302
    db.session.expire_all()
    mandate = db.session.scalars(select(DebitMandate)).one()
    choice = db.session.scalars(select(DebitChoice)).one()
    assert (choice.subscription_id, choice.mandate_id) == (subscription.id, mandate.id)
    assert choice.previous_method == "transfer"
    assert the_subscription().payment_method == "direct_debit"


def test_a_signed_mandate_is_reused_at_once(client, scenario):
    group = scenario.offer.group
    collects_debits(group)
    mandate = signed_mandate(group, scenario.member)
    db.session.commit()
    response = sign_up(client, scenario)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/groupes/{group.slug}/prelevement/mandat")
    db.session.expire_all()
    assert the_subscription().payment_method == "direct_debit"
    assert db.session.scalars(select(DebitChoice)).one().mandate_id == mandate.id


def test_someone_elses_contract_is_not_put_on_a_new_mandate(client, scenario, login):
    group = scenario.offer.group
    collects_debits(group)
    sign_up(client, scenario)
    subscription = the_subscription()
    other = factories.UserFactory()
    factories.MembershipFactory(user=other, organisation=group, role="member")
    db.session.commit()
    login(other)
    mandate_url = f"/groupes/{group.slug}/prelevement/mandat"
    step_two = client.post(
        f"{mandate_url}?contract={subscription.id}",
        data={"signer_name": "Autre", "iban": "DE89370400440532013000", "bic": ""},
    )
    fields = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', step_two.get_data(as_text=True)))
    data = {n: html.unescape(fields[n]) for n in ("signer_name", "iban", "bic", "reference")}
    data["shown_text"] = html.unescape(fields["shown_text"])
    data["contract"] = str(subscription.id)
    assert client.post(f"{mandate_url}/signer", data=data).status_code == 302
    db.session.expire_all()
    assert the_subscription().payment_method == "transfer"
    assert db.session.scalar(select(func.count()).select_from(DebitChoice)) == 0
