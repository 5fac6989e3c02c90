"""A group that requires membership refuses a sign-up to its contracts until the household
has joined for the current period, and says so on the sign-up page before anything is
filled in; a lapsed household is asked to renew."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.baskets.subscribing import subscribe
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.membership import services
from marketplace.membership.models import MembershipSettings, YearlyMembership
from marketplace.timezones import paris_today
from tests.baskets.test_subscribing import build_scenario, choices, counts
from tests.baskets.test_subscribing_pages import form_data
from tests.organisations.pages import as_new_request, page_text


def _settings(group, *, required: bool) -> None:
    db.session.add(
        MembershipSettings(
            group_id=group.id, start_month=1, pricing="fixed", amount_cents=1000, required=required
        )
    )
    db.session.commit()


def test_a_required_membership_refuses_the_sign_up_until_joined(app):
    scenario = build_scenario(utcnow())
    _settings(scenario.offer.group, required=True)
    before = counts()
    with pytest.raises(DomainError, match="nécessaire pour s'inscrire") as refused:
        subscribe(scenario.offer, scenario.member, **choices(scenario, now=utcnow()))
    assert refused.value.field == "membership"
    db.session.rollback()
    assert counts() == before
    services.join(scenario.offer.group, scenario.member, today=paris_today())
    assert subscribe(scenario.offer, scenario.member, **choices(scenario, now=utcnow())).id


def test_the_sign_up_page_says_so_before_anything_is_filled(app, client, login):
    scenario = build_scenario(utcnow())
    _settings(scenario.offer.group, required=True)
    login(scenario.member)
    url = f"/offres/{scenario.offer.id}/souscrire"
    text = page_text(client.get(url))
    assert "est nécessaire pour s'inscrire à ses contrats" in text
    assert f"/groupes/{scenario.offer.group.slug}/adhesion" in text
    assert "Voir le récapitulatif" not in text  # no form to fill in vain
    response = client.post(url, data={**form_data(scenario), "confirm": "1"})
    assert "est nécessaire pour s'inscrire" in page_text(response)
    assert counts()["subscriptions"] == 0


def test_a_lapsed_household_is_asked_to_renew(app, client, login):
    scenario = build_scenario(utcnow())
    group = scenario.offer.group
    _settings(group, required=False)
    today = paris_today()
    db.session.add(
        YearlyMembership(
            group_id=group.id,
            user_id=scenario.member.id,
            period_starts_on=date(today.year - 1, 1, 1),
            period_ends_on=date(today.year - 1, 12, 31),
            amount_cents=1000,
        )
    )
    db.session.commit()
    login(scenario.member)
    text = page_text(client.get(f"/offres/{scenario.offer.id}/souscrire"))
    assert "est arrivée à échéance : pensez à la renouveler" in text
    assert "Voir le récapitulatif" in text  # not required: the form is there
    as_new_request()
    text = page_text(client.get(f"/groupes/{group.slug}/adhesion"))
    assert "Votre adhésion précédente est arrivée à échéance" in text
