"""The solidarity fund: gifts, its balance and totals, the gift page and the group's page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.payments.fund import fund_balance_cents, fund_totals, record_donation
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import FundMovement, LedgerEntry
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request
from tests.payments.support import readable

REFERENCE = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def group(app):
    group = factories.GroupFactory(slug="amap-des-canuts", name="AMAP des Canuts")
    db.session.commit()
    return group


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(LedgerEntry.id))),
        db.session.scalar(select(func.count(FundMovement.id))),
    )


def test_a_donation_is_owed_by_the_household_and_fills_the_fund(group):
    user = factories.UserFactory()
    movement = record_donation(group, user, 1250, date(2026, 4, 2), "Don au fonds de solidarité")
    db.session.commit()
    [entry] = db.session.scalars(select(LedgerEntry)).all()
    assert (entry.kind, entry.amount_cents, entry.user_id) == ("donation", -1250, user.id)
    assert (movement.kind, movement.amount_cents, movement.ledger_entry_id) == (
        "donation",
        1250,
        entry.id,
    )
    assert balance_cents(user.id, group.id) == -1250
    assert fund_balance_cents(group.id) == 1250


def test_totals_and_months_count_gifts_in_and_solidarity_out(group):
    today = date(2026, 4, 20)
    for kind, cents, day in [
        ("donation", 3000, date(2026, 4, 2)),
        ("donation", 500, date(2026, 4, 18)),
        ("tier_support", -2000, date(2026, 4, 19)),
        ("donation", 10000, date(2026, 1, 5)),
        ("donation", 700, date(2025, 3, 31)),  # older than 12 months: in the totals only
    ]:
        factories.FundMovementFactory(
            group_id=group.id, kind=kind, amount_cents=cents, occurred_on=day
        )
    factories.FundMovementFactory(amount_cents=99_999)  # another group's fund
    db.session.commit()

    totals = fund_totals(group.id, today=today)
    assert (totals.balance_cents, totals.given_cents, totals.used_cents) == (12200, 14200, 2000)
    assert len(totals.months) == 12
    assert totals.months[0].month == date(2026, 4, 1)
    assert totals.months[-1].month == date(2025, 5, 1)
    assert (totals.months[0].in_cents, totals.months[0].out_cents) == (3500, 2000)
    assert (totals.months[3].in_cents, totals.months[3].out_cents) == (10000, 0)
    assert sum(month.in_cents for month in totals.months) == 13500


def test_a_member_gives_once_from_the_page(client, group, user_with_role):
    member = user_with_role(Role.MEMBER, group)
    form = readable(client.get("/groupes/amap-des-canuts/fonds/donner"))
    assert "Montant du don (en €)" in form

    response = client.post(
        "/groupes/amap-des-canuts/fonds/donner", data={"amount": "12,50", "reference": REFERENCE}
    )
    assert response.status_code == 302
    as_new_request()
    page = readable(client.get(response.headers["Location"]))
    assert "Merci ! Votre don de 12,50 € au fonds de solidarité est enregistré" in page
    assert "Solde du fonds : 12,50 €" in page
    assert balance_cents(member.id, group.id) == -1250
    statement = readable(client.get("/groupes/amap-des-canuts/mon-releve"))
    assert "Don au fonds de solidarité" in statement


def test_the_same_gift_form_sent_twice_gives_once(client, group, user_with_role):
    user_with_role(Role.MEMBER, group)
    data = {"amount": "5", "reference": REFERENCE}
    client.post("/groupes/amap-des-canuts/fonds/donner", data=data)
    again = client.post("/groupes/amap-des-canuts/fonds/donner", data=data, follow_redirects=True)
    assert "Ce don est déjà enregistré. Merci !" in readable(again)
    assert counts() == (1, 1)
    assert fund_balance_cents(group.id) == 500


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Indiquez le montant de votre don."),
        ("0", "Indiquez un montant supérieur à zéro."),
        ("0,00", "Indiquez un montant supérieur à zéro."),
        ("-5", "Indiquez un montant en euros, par exemple 5,00."),
        ("cinq", "Indiquez un montant en euros, par exemple 5,00."),
        ("5,123", "Indiquez un montant en euros, par exemple 5,00."),
        ("1000,01", "Un don ne peut dépasser 1 000,00 €."),
    ],
)
def test_bad_amounts_are_refused_clearly(client, group, user_with_role, amount, message):
    user_with_role(Role.MEMBER, group)
    response = client.post(
        "/groupes/amap-des-canuts/fonds/donner", data={"amount": amount, "reference": REFERENCE}
    )
    assert response.status_code == 200
    assert message in readable(response)
    assert counts() == (0, 0)


def test_the_largest_gift_is_accepted(client, group, user_with_role):
    user_with_role(Role.MEMBER, group)
    client.post(
        "/groupes/amap-des-canuts/fonds/donner", data={"amount": "1000", "reference": REFERENCE}
    )
    assert fund_balance_cents(group.id) == 100_000


@pytest.mark.parametrize("role", [Role.VOLUNTEER, None])
def test_outsiders_cannot_see_the_fund_or_give(client, group, user_with_role, login, role):
    if role is None:
        other = factories.GroupFactory()
        db.session.commit()
        user_with_role(Role.MEMBER, other)
    else:
        user_with_role(role, group)
    assert client.get("/groupes/amap-des-canuts/fonds").status_code == 403
    assert client.get("/groupes/amap-des-canuts/fonds/donner").status_code == 403
    response = client.post(
        "/groupes/amap-des-canuts/fonds/donner", data={"amount": "5", "reference": REFERENCE}
    )
    assert response.status_code == 403
    assert counts() == (0, 0)


def test_the_fund_page_shows_totals_and_never_names(client, group, user_with_role):
    giver = factories.UserFactory(name="Foyer Généreux")
    helped = factories.UserFactory(name="Foyer Aidé")
    factories.FundMovementFactory(
        group_id=group.id, amount_cents=4000, user_id=giver.id, label="Don de Foyer Généreux"
    )
    factories.FundMovementFactory(
        group_id=group.id, kind="tier_support", amount_cents=-1500, user_id=helped.id
    )
    db.session.commit()
    user_with_role(Role.MEMBER, group)

    text = readable(client.get("/groupes/amap-des-canuts/fonds"))
    assert "Solde du fonds : 25,00 €" in text
    assert "<dt>Total des dons</dt><dd>40,00 €</dd>" in text
    assert "<dt>Total utilisé pour des tarifs solidaires</dt><dd>15,00 €</dd>" in text
    assert "Généreux" not in text and "Aidé" not in text


def test_the_fund_page_runs_the_same_queries_whatever_the_data(client, group, user_with_role):
    user_with_role(Role.MEMBER, group)

    def measure() -> int:
        as_new_request()
        with count_queries() as counter:
            assert client.get("/groupes/amap-des-canuts/fonds").status_code == 200
        return counter.count

    factories.FundMovementFactory(group_id=group.id)
    db.session.commit()
    few = measure()
    for months_ago in range(14):
        factories.FundMovementFactory(
            group_id=group.id, occurred_on=date.today() - timedelta(days=30 * months_ago)
        )
        factories.FundMovementFactory(
            group_id=group.id, kind="tier_support", amount_cents=-100, occurred_on=date.today()
        )
    db.session.commit()
    assert measure() == few
