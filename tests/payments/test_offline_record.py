"""Recording the cheques, cash and transfers a household hands to its group's coordinator."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import Installment, OfflinePayment
from tests import factories
from tests.organisations.pages import as_new_request
from tests.payments.support import readable


@pytest.fixture
def group():
    group = factories.GroupFactory(slug="amap-des-canuts", name="AMAP des Canuts")
    db.session.commit()
    return group


def household_with_installments(group, name, amounts, *, method="cheque", offer=None):
    """A member subscribed to a contract of `group`, owing one installment per amount."""
    offer = offer or factories.BasketOfferFactory(supply__group=group, name="Contrat légumes")
    user = factories.UserFactory(name=name)
    factories.MembershipFactory(user=user, organisation=group)
    subscription = factories.SubscriptionFactory(offer=offer, user=user, payment_method=method)
    factories.LedgerEntryFactory(
        user=user, group_id=group.id, amount_cents=-sum(amounts), label=offer.name
    )
    installments = [
        factories.InstallmentFactory(
            subscription=subscription,
            sequence=sequence,
            amount_cents=amount,
            due_on=date.today() + timedelta(days=30 * sequence),
        )
        for sequence, amount in enumerate(amounts, start=1)
    ]
    db.session.commit()
    return user, installments


def record_url(group, user) -> str:
    return f"/groupes/{group.slug}/gestion/paiements/saisir?user={user.id}"


def row(position, installment, **values) -> dict:
    """The form fields of one installment's row, ticked, paid by cheque unless told."""
    fields = {
        "installment_id": str(installment.id),
        "selected": "y",
        "method": "cheque",
        "amount": f"{installment.amount_cents // 100},{installment.amount_cents % 100:02d}",
        "bank": "Crédit Agricole",
        "cheque_number": f"{1234560 + position}",
        "cash_on": "",
        **values,
    }
    return {f"rows-{position}-{name}": value for name, value in fields.items() if value is not None}


def form_of(*rows) -> dict:
    data = {}
    for fields in rows:
        data.update(fields)
    return data


def payments_count() -> int:
    return db.session.scalar(select(func.count(OfflinePayment.id)))


def states(installments) -> list[str]:
    as_new_request()
    return [db.session.get(Installment, item.id).state for item in installments]


def test_record_three_cheques_cashed_month_by_month(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Martin", [4550, 4550, 4550])
    coordinator = user_with_role("coordinator", group)

    page = client.get(record_url(group, user))
    assert page.status_code == 200
    text = readable(page)
    assert "Paiements de Foyer Martin" in text
    assert text.count('value="45,50"') == 3  # each amount defaults to its installment's

    cash_dates = [date(2026, 10, 5), date(2026, 11, 5), date(2026, 12, 5)]
    data = form_of(
        *(
            row(position, item, cash_on=cash_on.isoformat())
            for position, (item, cash_on) in enumerate(zip(installments, cash_dates, strict=True))
        )
    )
    response = client.post(record_url(group, user), data=data, follow_redirects=True)

    assert response.status_code == 200
    text = readable(response)
    assert "3 paiements enregistrés pour Foyer Martin." in text
    assert "n° 1234560, Crédit Agricole" in text and "5 oct. 2026" in text
    as_new_request()
    payments = db.session.scalars(select(OfflinePayment).order_by(OfflinePayment.id)).all()
    assert [(p.state, p.cash_on, p.amount_cents) for p in payments] == [
        ("recorded", cash_on, 4550) for cash_on in cash_dates
    ]
    assert {p.recorded_by_id for p in payments} == {coordinator.id}
    assert states(installments) == ["pending"] * 3
    # Nothing is booked before the money is actually there.
    assert balance_cents(user.id, group.id) == -13650


def test_cash_and_transfer_need_no_cheque_details(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Leroy", [3000, 2000])
    user_with_role("coordinator", group)

    data = form_of(
        row(0, installments[0], method="cash", bank="", cheque_number=""),
        row(1, installments[1], method="transfer", bank="", cheque_number=""),
    )
    response = client.post(record_url(group, user), data=data)

    assert response.status_code == 302
    as_new_request()
    methods = db.session.scalars(select(OfflinePayment.method).order_by(OfflinePayment.id)).all()
    assert methods == ["cash", "transfer"]


def test_only_ticked_installments_are_recorded(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Petit", [3000, 3000])
    user_with_role("coordinator", group)

    data = form_of(row(0, installments[0]), row(1, installments[1], selected=None))
    assert client.post(record_url(group, user), data=data).status_code == 302

    assert states(installments) == ["pending", "planned"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "Le montant doit être supérieur à zéro."),
        ("-45,50", "Le montant doit être supérieur à zéro."),
        ("abc", "Indiquez un montant en euros, par exemple 45,50"),
        ("", "Indiquez le montant reçu."),
        (
            "20,00",
            "Le montant doit être celui de l'échéance (45,50 €) : "
            "les paiements partiels ne sont pas acceptés.",
        ),
    ],
)
def test_bad_amounts_are_refused_and_nothing_saved(client, group, user_with_role, typed, message):
    user, installments = household_with_installments(group, "Foyer Martin", [4550, 4550])
    user_with_role("coordinator", group)

    data = form_of(row(0, installments[0]), row(1, installments[1], amount=typed))
    response = client.post(record_url(group, user), data=data)

    assert response.status_code == 200
    text = readable(response)
    assert message in text
    assert 'id="rows-1-amount-errors"' in text  # next to the amount that is wrong
    assert payments_count() == 0
    assert states(installments) == ["planned", "planned"]


def test_a_cheque_recorded_twice_is_refused(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Martin", [4550, 4550])
    other, (other_installment,) = household_with_installments(group, "Foyer Leroy", [4550])
    factories.OfflinePaymentFactory(
        installment=other_installment, bank="Crédit Agricole", cheque_number="1234567"
    )
    db.session.commit()
    user_with_role("coordinator", group)

    data = form_of(
        row(0, installments[0], cheque_number="7654321"),
        row(1, installments[1], bank=" crédit  agricole ", cheque_number="123 4567"),
    )
    response = client.post(record_url(group, user), data=data)

    assert response.status_code == 200
    assert "Ce chèque (crédit agricole, n° 1234567) est déjà enregistré." in readable(response)
    assert payments_count() == 1
    assert states(installments) == ["planned", "planned"]


def test_a_cancelled_cheque_may_be_recorded_again(client, group, user_with_role):
    user, (installment,) = household_with_installments(group, "Foyer Martin", [4550])
    other, (other_installment,) = household_with_installments(group, "Foyer Leroy", [4550])
    factories.OfflinePaymentFactory(
        installment=other_installment,
        bank="Crédit Agricole",
        cheque_number="1234567",
        state="cancelled",
    )
    db.session.commit()
    user_with_role("coordinator", group)

    data = form_of(row(0, installment, bank="Crédit Agricole", cheque_number="1234567"))
    response = client.post(record_url(group, user), data=data)

    assert response.status_code == 302
    assert payments_count() == 2
    assert states([installment]) == ["pending"]


def test_the_same_cheque_twice_in_one_form_is_refused(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Martin", [4550, 4550])
    user_with_role("coordinator", group)

    data = form_of(
        row(0, installments[0], cheque_number="1111111"),
        row(1, installments[1], cheque_number="1111111"),
    )
    response = client.post(record_url(group, user), data=data)

    assert "Ce chèque (Crédit Agricole, n° 1111111) est déjà enregistré." in readable(response)
    assert payments_count() == 0


def test_the_same_number_at_another_bank_is_another_cheque(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Martin", [4550, 4550])
    user_with_role("coordinator", group)

    data = form_of(
        row(0, installments[0], cheque_number="1111111"),
        row(1, installments[1], bank="La Banque Postale", cheque_number="1111111"),
    )
    assert client.post(record_url(group, user), data=data).status_code == 302
    assert payments_count() == 2


def test_a_cheque_needs_its_bank_and_number(client, group, user_with_role):
    user, (installment,) = household_with_installments(group, "Foyer Martin", [4550])
    user_with_role("coordinator", group)

    response = client.post(record_url(group, user), data=row(0, installment, bank=""))
    assert "Indiquez la banque du chèque." in readable(response)
    response = client.post(record_url(group, user), data=row(0, installment, cheque_number=" "))
    assert "Indiquez le numéro du chèque." in readable(response)
    assert payments_count() == 0


def test_nothing_ticked_is_refused(client, group, user_with_role):
    user, (installment,) = household_with_installments(group, "Foyer Martin", [4550])
    user_with_role("coordinator", group)

    response = client.post(record_url(group, user), data=row(0, installment, selected=None))
    assert "Cochez au moins une échéance réglée." in readable(response)
    assert payments_count() == 0


def test_an_installment_of_another_group_posted_by_hand_is_refused(client, group, user_with_role):
    user, (own,) = household_with_installments(group, "Foyer Martin", [4550])
    elsewhere = factories.GroupFactory()
    _, (foreign,) = household_with_installments(elsewhere, "Foyer Ailleurs", [4550])
    user_with_role("coordinator", group)

    data = form_of(row(0, own), row(1, foreign))
    response = client.post(record_url(group, user), data=data)

    assert response.status_code == 200
    assert "Une des échéances n'est plus à régler pour ce foyer" in readable(response)
    assert payments_count() == 0
    assert states([own, foreign]) == ["planned", "planned"]


def test_an_installment_already_pending_is_not_recorded_again(client, group, user_with_role):
    user, (installment,) = household_with_installments(group, "Foyer Martin", [4550])
    user_with_role("coordinator", group)

    assert client.post(record_url(group, user), data=row(0, installment)).status_code == 302
    again = client.post(record_url(group, user), data=row(0, installment, cheque_number="9999999"))
    assert "Une des échéances n'est plus à régler pour ce foyer" in readable(again)
    assert payments_count() == 1


def test_a_household_without_unpaid_installments_gets_a_plain_message(
    client, group, user_with_role
):
    user = factories.UserFactory(name="Foyer Vide")
    factories.MembershipFactory(user=user, organisation=group)
    db.session.commit()
    user_with_role("coordinator", group)

    response = client.get(record_url(group, user))
    assert "Ce foyer n'a aucune échéance à régler dans le groupe." in readable(response)
    assert (
        client.get(f"/groupes/{group.slug}/gestion/paiements/saisir?user=999999").status_code == 404
    )
    assert client.get(f"/groupes/{group.slug}/gestion/paiements/saisir?user=abc").status_code == 404


def test_a_cheque_recorded_at_the_same_moment_elsewhere_is_caught(
    client, group, user_with_role, monkeypatch
):
    """The check passed, but another coordinator saved the same cheque just before: the
    database's unique constraint refuses it and the page says so, nothing saved."""
    from marketplace.payments import offline

    user, (installment,) = household_with_installments(group, "Foyer Martin", [4550])
    _, (other,) = household_with_installments(group, "Foyer Leroy", [4550])
    factories.OfflinePaymentFactory(
        installment=other, bank="Crédit Agricole", cheque_number="1234560"
    )
    db.session.commit()
    user_with_role("coordinator", group)
    monkeypatch.setattr(offline, "_check_cheques_are_new", lambda group_id, lines: None)

    response = client.post(record_url(group, user), data=row(0, installment))

    assert response.status_code == 200
    assert "Un de ces chèques vient d'être enregistré" in readable(response)
    assert payments_count() == 1
    assert states([installment]) == ["planned"]


def test_the_form_opens_with_nothing_ticked_and_one_cheque_is_one_line(
    client, group, user_with_role
):
    user, installments = household_with_installments(group, "Foyer Martin", [4550, 4550, 4550])
    user_with_role("coordinator", group)

    page = client.get(record_url(group, user))
    assert page.status_code == 200
    assert "checked" not in page.get_data(as_text=True)  # next month's included: none ticked

    response = client.post(
        record_url(group, user),
        data=form_of(
            row(0, installments[0]),
            row(1, installments[1], selected=None),
            row(2, installments[2], selected=None),
        ),
    )
    assert response.status_code == 302
    assert payments_count() == 1
    assert states(installments) == ["pending", "planned", "planned"]
