"""Joining a group's membership for the current period and paying the fee: the ledger books
it once, a double submission gives one membership, bad input changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.membership import services
from marketplace.membership.models import YearlyMembership
from marketplace.membership.periods import period_containing
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import LedgerEntry
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import login_id
from tests.membership.helpers import counts, group_with_membership, member_of
from tests.organisations.pages import as_new_request, page_text


def test_periods_calendar_year_and_season():
    assert period_containing(date(2026, 12, 7), 1).label == "2026"
    season = period_containing(date(2026, 12, 7), 9)
    assert (season.starts_on, season.ends_on) == (date(2026, 9, 1), date(2027, 8, 31))
    assert season.label == "2026-2027"
    assert period_containing(date(2027, 8, 31), 9) == season
    assert season.next().starts_on == date(2027, 9, 1)
    assert season.previous().ends_on == date(2026, 8, 31)


def test_joining_books_the_fee_and_a_payment_settles_it(app):
    group = group_with_membership()
    household = member_of(group)
    coordinator = factories.UserFactory()
    membership = services.join(group, household, today=date(2026, 12, 7))
    assert membership.amount_cents == 1500
    assert membership.period_starts_on == date(2026, 9, 1)
    assert balance_cents(household.id, group.id) == -1500
    services.record_payment(
        membership,
        method="cheque",
        bank=" Crédit  Mutuel ",
        cheque_number="12 34",
        recorded_by=coordinator,
        today=date(2026, 12, 8),
        now=utcnow(),
    )
    assert membership.is_paid and membership.bank == "Crédit Mutuel"
    assert membership.cheque_number == "1234"
    assert balance_cents(household.id, group.id) == 0
    entries = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()
    assert [(e.kind, e.amount_cents, e.offer_id) for e in entries] == [
        ("commitment", -1500, None),
        ("payment", 1500, None),
    ]
    assert all(e.group_id == group.id for e in entries)
    with pytest.raises(DomainError, match="déjà réglée"):
        services.record_payment(
            membership,
            method="cash",
            recorded_by=coordinator,
            today=date(2026, 12, 8),
            now=utcnow(),
        )


def test_free_price_and_sliding_scale(app):
    free = group_with_membership(pricing="free", amount_cents=500)
    household = member_of(free)
    with pytest.raises(DomainError, match="minimum"):
        services.join(free, household, amount_cents=400, today=date(2026, 12, 7))
    assert (
        services.join(free, household, amount_cents=2000, today=date(2026, 12, 7)).amount_cents
        == 2000
    )

    sliding = factories.GroupFactory()
    services.save_settings(
        sliding,
        start_month=1,
        pricing="sliding",
        amount_cents=None,
        levels=[services.Level("Solidaire", 500), services.Level("Standard", 1500)],
        required=True,
        remind_days_before=20,
        today=date(2026, 12, 7),
    )
    other = member_of(sliding)
    with pytest.raises(DomainError, match="niveaux proposés"):
        services.join(sliding, other, level_id=None, today=date(2026, 12, 7))
    level = services.settings_of(sliding).levels[0]
    joined = services.join(sliding, other, level_id=level.id, today=date(2026, 12, 7))
    assert (joined.amount_cents, joined.level_name) == (500, "Solidaire")
    assert joined.period_starts_on == date(2026, 1, 1)


def test_a_household_joins_once_per_period(app):
    group = group_with_membership()
    household = member_of(group)
    services.join(group, household, today=date(2026, 12, 7))
    before = counts()
    with pytest.raises(DomainError, match="déjà adhéré"):
        services.join(group, household, today=date(2027, 2, 1))
    assert counts() == before
    services.join(group, household, today=date(2027, 9, 1))  # the next season
    assert counts()["memberships"] == 2


def test_someone_outside_the_group_cannot_join(app):
    group = group_with_membership()
    with pytest.raises(DomainError, match="Rejoignez d'abord"):
        services.join(group, factories.UserFactory(), today=date(2026, 12, 7))
    assert counts() == {"memberships": 0, "ledger": 0}


def test_the_join_page_and_a_double_submission(app, client, login):
    group = group_with_membership(pricing="free", amount_cents=1000)
    household = login(member_of(group))
    db.session.commit()
    url = f"/groupes/{group.slug}/adhesion"
    text = page_text(client.get(url))
    period = services.current_period(services.settings_of(group), paris_today())
    assert f"Adhésion {period.label}" in text and "Prix libre" in text

    refused = client.post(url, data={"amount": "5"})
    assert refused.status_code == 200
    assert "Le montant minimum est de 10,00" in page_text(refused)
    assert counts() == {"memberships": 0, "ledger": 0}

    first, second = app.test_client(), app.test_client()
    for other in (first, second):
        with other.session_transaction() as session:
            session["_user_id"] = login_id(household)
    assert first.post(url, data={"amount": "12,50"}).status_code == 302
    as_new_request()
    assert second.post(url, data={"amount": "12,50"}).status_code == 302
    assert counts() == {"memberships": 1, "ledger": 1}
    as_new_request()
    assert "12,50" in page_text(client.get(url))


def test_the_receipt_is_for_the_household_and_the_coordinators(app, client, login):
    group = group_with_membership()
    household = member_of(group)
    membership = services.join(group, household, today=date(2026, 12, 7))
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    url = f"/groupes/{group.slug}/adhesion/{membership.id}/recu"
    db.session.commit()
    login(household)
    assert client.get(url).status_code == 404  # not paid yet
    services.record_payment(
        membership, method="cash", recorded_by=coordinator, today=date(2026, 12, 7), now=utcnow()
    )
    db.session.commit()
    as_new_request()
    text = page_text(client.get(url))
    assert "Reçu d'adhésion" in text and "15,00" in text and "Espèces" in text
    login(coordinator)
    as_new_request()
    assert client.get(url).status_code == 200
    login(member_of(group))
    db.session.commit()
    as_new_request()
    assert client.get(url).status_code == 404


def test_invalid_settings_are_refused_and_change_nothing(app, client, user_with_role):
    group = factories.GroupFactory()
    user_with_role("coordinator", group)
    url = f"/groupes/{group.slug}/gestion/adhesion"
    response = client.post(
        url,
        data={
            "start_month": "9",
            "pricing": "sliding",
            "levels": "Solidaire cinq euros",
            "remind_days_before": "30",
        },
    )
    assert response.status_code == 200
    assert "Ligne 1 : écrivez « Nom : montant »" in page_text(response)
    assert services.settings_of(group) is None
    response = client.post(
        url,
        data={
            "start_month": "9",
            "pricing": "sliding",
            "levels": "Solidaire : 5\nStandard : 15,50",
            "required_to_subscribe": "y",
            "remind_days_before": "30",
        },
    )
    assert response.status_code == 302
    saved = services.settings_of(group)
    assert saved.required and [(lv.name, lv.amount_cents) for lv in saved.levels] == [
        ("Solidaire", 500),
        ("Standard", 1550),
    ]
    assert "Standard : 15,50" in page_text(client.get(url))


def test_a_coordinator_records_a_cheque_on_the_members_page(app, client, user_with_role):
    group = group_with_membership()
    household = member_of(group)
    membership = services.join(group, household, today=date(2026, 12, 7))
    user_with_role("coordinator", group)
    url = f"/groupes/{group.slug}/gestion/foyers/paiement"
    response = client.post(url, data={"membership_id": membership.id, "method": "cheque"})
    assert response.status_code == 302
    as_new_request()
    assert not db.session.get(YearlyMembership, membership.id).is_paid
    data = {
        "membership_id": membership.id,
        "method": "cheque",
        "bank": "CCF",
        "cheque_number": "77",
    }
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302  # sent twice: booked once
    as_new_request()
    assert db.session.get(YearlyMembership, membership.id).is_paid
    assert balance_cents(household.id, group.id) == 0
    assert counts()["ledger"] == 2


def test_other_roles_cannot_record_or_set(app, client, user_with_role):
    group = group_with_membership()
    household = member_of(group)
    membership = services.join(group, household, today=date(2026, 12, 7))
    other_group = factories.GroupFactory()
    producer = factories.ProducerFactory()
    for role, organisation in (
        ("member", group),
        ("coordinator", other_group),
        ("producer_staff", producer),
    ):
        user_with_role(role, organisation)
        as_new_request()
        response = client.post(
            f"/groupes/{group.slug}/gestion/foyers/paiement",
            data={"membership_id": membership.id, "method": "cash"},
        )
        assert response.status_code == 403, role
        assert client.get(f"/groupes/{group.slug}/gestion/foyers").status_code == 403
        assert client.post(f"/groupes/{group.slug}/gestion/adhesion", data={}).status_code == 403
    assert not db.session.get(YearlyMembership, membership.id).is_paid


def test_the_fee_shows_in_the_household_statement(app, client, login):
    group = group_with_membership()
    household = login(member_of(group))
    services.join(group, household, today=date(2026, 12, 7))
    db.session.commit()
    response = client.get(f"/groupes/{group.slug}/mon-releve")
    assert response.status_code == 200
    assert f"Adhésion 2026-2027 à {group.name}" in page_text(response)


def test_the_group_page_leads_members_and_coordinators_there(app, client, login):
    group = group_with_membership()
    household = login(member_of(group))
    db.session.commit()
    assert f"/groupes/{group.slug}/adhesion" in page_text(client.get(f"/groupes/{group.slug}"))
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")
    db.session.commit()
    login(coordinator)
    as_new_request()
    text = page_text(client.get(f"/groupes/{group.slug}"))
    assert f"/groupes/{group.slug}/gestion/foyers" in text
    assert household.id


def test_tampered_choices_get_a_french_message_and_the_month_stays_while_members_run(
    app, client, user_with_role
):
    group = group_with_membership(start_month=9)
    services.join(group, member_of(group), today=paris_today())  # the period the pages see
    user_with_role("coordinator", group)
    url = f"/groupes/{group.slug}/gestion/adhesion"
    base = {"start_month": "9", "pricing": "fixed", "amount": "15", "remind_days_before": "30"}
    for field, value, message in (
        ("start_month", "abc", "Choisissez un mois de l'année."),
        ("pricing", "gratuit", "Choisissez une façon de fixer la cotisation."),
        ("start_month", "1", "Des foyers sont adhérents pour la période en cours"),
    ):
        response = client.post(url, data={**base, field: value})
        assert response.status_code == 200
        assert message in page_text(response), field
        as_new_request()
        assert services.settings_of(group).start_month == 9
