"""A household's credit after leaving an overpaid contract: refunded by cheque or transfer,
carried to another contract, refused when wrong, settled once, shown on the statement."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from marketplace.cards.credit_refunds import refund_credit
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.credit_models import CreditSettlement, HouseholdCredit
from marketplace.payments.credits import (
    carry_credit,
    household_credit_cents,
    subscription_balance_cents,
)
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import Installment, LedgerEntry
from tests import factories
from tests.helpers import count_queries
from tests.payments.credit_scene import make_credit_scene


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def url(scene, action: str = "") -> str:
    base = f"/groupes/{scene.group.slug}/gestion/avoirs"
    return f"{base}/{scene.credit.id}/{action}" if action else base


def ledger_count() -> int:
    return db.session.scalar(select(func.count(LedgerEntry.id)))


def test_the_coordinator_sees_the_credit_and_records_a_cheque_refund(client, login):
    scene = make_credit_scene()
    assert scene.credit.amount_cents == 4000
    balance_before = balance_cents(scene.member.id, scene.group.id)
    login(scene.coordinator)

    page = text(client.get(url(scene)))
    assert "Foyer Martin" in page and "Reste à régler : 40,00" in page
    assert "Fruits du verger — 75,00" in page  # the contract it could be carried to

    response = client.post(
        url(scene, "rembourser"),
        data={"amount": "40,00", "method": "cheque", "reference": "1234567", "request_key": "k1"},
    )

    assert response.status_code == 302
    assert household_credit_cents(scene.member.id, scene.group.id) == 0
    refund = db.session.scalar(select(LedgerEntry).where(LedgerEntry.kind == "refund"))
    assert refund.amount_cents == -4000 and refund.subscription_id == scene.left.id
    assert subscription_balance_cents(scene.left.id) == 0
    assert balance_cents(scene.member.id, scene.group.id) == balance_before - 4000
    settlement = db.session.scalar(select(CreditSettlement))
    assert (settlement.method, settlement.reference) == ("cheque", "1234567")
    assert "Aucun avoir à régler." in text(client.get(url(scene)))

    login(scene.member)
    statement = text(client.get(f"/groupes/{scene.group.slug}/mon-releve"))
    assert "Avoir en votre faveur" in statement
    assert "vous aviez payé 40,00" in statement
    assert "40,00 € remboursés par chèque" in statement.replace("\u202f", " ").replace("\xa0", " ")
    assert "Cet avoir est entièrement réglé." in statement


def test_carrying_pays_the_next_installments_exactly_then_the_rest_is_refunded(client, login):
    scene = make_credit_scene()
    balance_before = balance_cents(scene.member.id, scene.group.id)
    login(scene.coordinator)

    response = client.post(
        url(scene, "reporter"),
        data={"amount": "37,50", "target_subscription_id": scene.other.id, "request_key": "c1"},
    )

    assert response.status_code == 302
    db.session.expire_all()
    states = [
        (item.amount_cents, item.state)
        for item in db.session.scalars(
            select(Installment)
            .where(Installment.subscription_id == scene.other.id)
            .order_by(Installment.sequence)
        )
    ]
    assert states == [(2500, "paid"), (1250, "planned"), (2500, "planned")]
    # Each contract's balance is right; the household's does not move.
    assert subscription_balance_cents(scene.left.id) == 250
    assert subscription_balance_cents(scene.other.id) == -(1250 + 2500)
    assert balance_cents(scene.member.id, scene.group.id) == balance_before
    assert household_credit_cents(scene.member.id, scene.group.id) == 250

    client.post(
        url(scene, "rembourser"),
        data={"amount": "2,50", "method": "transfer", "reference": "VIR-9", "request_key": "r1"},
    )
    assert household_credit_cents(scene.member.id, scene.group.id) == 0
    login(scene.member)
    statement = text(client.get(f"/groupes/{scene.group.slug}/mon-releve"))
    assert "reportés sur le contrat « Fruits du verger »" in statement
    assert "remboursés par virement" in statement


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("rembourser", {"amount": "40,01", "method": "cheque"}, "ce qui reste de l'avoir"),
        ("rembourser", {"amount": "abc", "method": "cheque"}, "par exemple 12,50"),
        ("rembourser", {"amount": "0", "method": "transfer"}, "au moins 0,01"),
        ("rembourser", {"amount": "10", "method": "card"}, "ne peuvent rembourser que 0,00"),
        ("reporter", {"amount": "40,00", "target": "other"}, "reportez au plus"),
        ("reporter", {"amount": "10", "target": "neighbour"}, "autre contrat de ce foyer"),
        ("reporter", {"amount": "10", "target": "itself"}, "autre contrat de ce foyer"),
    ],
)
def test_bad_input_is_refused_clearly_and_changes_nothing(client, login, action, data, message):
    scene = make_credit_scene()
    # 40 € of credit, but only 35 € left to pay on the other contract.
    scene.other_installments[0].state = "paid"
    scene.other_installments[0].paid_at = utcnow()
    scene.other_installments[1].amount_cents = 1000
    neighbour = factories.SubscriptionFactory(offer=scene.other.offer)
    factories.InstallmentFactory(subscription=neighbour, amount_cents=5000)
    db.session.commit()
    target = data.pop("target", None)
    if target:
        data["target_subscription_id"] = {
            "other": scene.other.id,
            "neighbour": neighbour.id,
            "itself": scene.left.id,
        }[target]
    entries = ledger_count()
    login(scene.coordinator)

    response = client.post(url(scene, action), data={**data, "request_key": "bad"})

    assert response.status_code == 400
    assert message in text(response).replace("\u202f", " ").replace("\xa0", " ")
    db.session.expire_all()
    assert db.session.get(HouseholdCredit, scene.credit.id).settled_cents == 0
    assert ledger_count() == entries
    assert db.session.scalar(select(func.count(CreditSettlement.id))) == 0


def test_a_settled_credit_cannot_be_refunded_again(client, login):
    scene = make_credit_scene()
    login(scene.coordinator)
    form = {"amount": "40", "method": "cheque", "request_key": "first"}
    assert client.post(url(scene, "rembourser"), data=form).status_code == 302
    again = client.post(url(scene, "rembourser"), data={**form, "request_key": "second"})
    assert again.status_code == 400
    assert "Aucun avoir à régler." in text(again)  # the page no longer lists it
    assert db.session.scalar(select(func.count(CreditSettlement.id))) == 1
    with pytest.raises(DomainError, match="déjà entièrement réglé"):
        refund_credit(scene.credit, 100, "transfer", by_user_id=None, now=utcnow())
    db.session.rollback()


def test_the_same_form_sent_twice_gives_one_settlement(client, login):
    scene = make_credit_scene()
    login(scene.coordinator)
    form = {"amount": "10,00", "target_subscription_id": scene.other.id, "request_key": "same"}
    for _attempt in range(2):  # a double click
        assert client.post(url(scene, "reporter"), data=form).status_code == 302
    assert db.session.scalar(select(func.count(CreditSettlement.id))) == 1
    assert household_credit_cents(scene.member.id, scene.group.id) == 3000
    assert ledger_count() == 3 + 2  # commitments, payment; one refund out, one payment in

    # The functions the season simulation calls behave the same way.
    first = carry_credit(
        scene.credit, scene.other.id, 500, by_user_id=None, now=utcnow(), request_key="sim"
    )
    second = carry_credit(
        scene.credit, scene.other.id, 500, by_user_id=None, now=utcnow(), request_key="sim"
    )
    db.session.commit()
    assert first.id == second.id
    assert household_credit_cents(scene.member.id, scene.group.id) == 2500


def test_the_household_cannot_settle_its_own_credit(client, login):
    scene = make_credit_scene()
    login(scene.member)
    assert client.get(url(scene)).status_code == 403
    form = {"amount": "40", "method": "cheque", "request_key": "x"}
    assert client.post(url(scene, "rembourser"), data=form).status_code == 403
    assert household_credit_cents(scene.member.id, scene.group.id) == 4000


def test_another_groups_coordinator_is_refused(client, login):
    scene = make_credit_scene()
    other_group = factories.GroupFactory()
    stranger = factories.UserFactory()
    factories.MembershipFactory(user=stranger, organisation=other_group, role="coordinator")
    db.session.commit()
    login(stranger)
    form = {"amount": "40", "method": "cheque", "request_key": "x"}
    assert client.post(url(scene, "rembourser"), data=form).status_code == 403
    # Through their own group's address, the credit is not found.
    foreign = f"/groupes/{other_group.slug}/gestion/avoirs/{scene.credit.id}/rembourser"
    assert client.post(foreign, data=form).status_code == 404
    assert household_credit_cents(scene.member.id, scene.group.id) == 4000


def test_the_credits_page_queries_do_not_grow(client, login):
    scene = make_credit_scene()
    login(scene.coordinator)
    with count_queries() as few:
        client.get(url(scene))
    for _index in range(4):
        make_credit_scene(group=scene.group)
    with count_queries() as many:
        page = text(client.get(url(scene)))
    assert page.count("Reste à régler") == 5
    assert many.count == few.count
