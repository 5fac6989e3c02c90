"""Bulk actions on offline payments: encash, hand over to the producer, cancel."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.payments.entry_words import entry_label
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import Installment, LedgerEntry, OfflinePayment
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import login_id
from tests.organisations.pages import as_new_request
from tests.payments.support import readable
from tests.payments.test_offline_record import household_with_installments


@pytest.fixture
def group():
    group = factories.GroupFactory(slug="amap-des-canuts", name="AMAP des Canuts")
    db.session.commit()
    return group


def bulk_url(group) -> str:
    return f"/groupes/{group.slug}/gestion/paiements/plusieurs"


def recorded(installments, *, state="recorded", numbers=None):
    """One cheque per installment, recorded (pending installment) or further along."""
    payments = []
    for position, installment in enumerate(installments):
        installment.state = "pending"
        payments.append(
            factories.OfflinePaymentFactory(
                installment=installment,
                cheque_number=(numbers or {}).get(position, f"{1234567 + position}"),
                state=state,
            )
        )
    db.session.commit()
    return payments


def act(client, group, action, payments, **extra):
    data = {"action": action, "payment_ids": [str(p.id) for p in payments], **extra}
    return client.post(bulk_url(group), data=data, follow_redirects=True)


def reload(model, rows):
    as_new_request()
    return [db.session.get(model, row.id) for row in rows]


def ledger(user, group):
    return db.session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount_cents, LedgerEntry.label)
        .where(LedgerEntry.user_id == user.id, LedgerEntry.group_id == group.id)
        .order_by(LedgerEntry.id)
    ).all()


def test_encash_in_bulk_books_each_payment_once(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Martin", [4550, 4550, 3000])
    payments = recorded(installments)
    user_with_role("coordinator", group)

    response = act(client, group, "receive", payments)

    assert "3 paiements marqués encaissés." in readable(response)
    payments = reload(OfflinePayment, payments)
    assert {p.state for p in payments} == {"received"}
    assert all(p.received_at and p.ledger_entry_id for p in payments)
    installments = reload(Installment, installments)
    assert {i.state for i in installments} == {"paid"}
    assert all(i.paid_at for i in installments)
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == "payment").order_by(LedgerEntry.id)
    ).all()
    assert [(e.amount_cents, e.external_reference) for e in entries] == [
        (4550, f"offline:{payments[0].id}"),
        (4550, f"offline:{payments[1].id}"),
        (3000, f"offline:{payments[2].id}"),
    ]
    assert entries[0].label == "Chèque n° 1234567 (Crédit Agricole)"
    assert entries[0].installment_id == installments[0].id
    assert entries[0].subscription_id == installments[0].subscription_id
    assert entries[0].offer_id is not None
    # The household owed 121,00 € and paid it all.
    assert balance_cents(user.id, group.id) == 0


def test_the_same_post_twice_books_nothing_twice(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Martin", [4550, 4550])
    payments = recorded(installments)
    user_with_role("coordinator", group)

    act(client, group, "receive", payments)
    again = act(client, group, "receive", payments)

    assert "Aucun paiement modifié" in readable(again)
    assert len(ledger(user, group)) == 3  # the commitment and two payments
    assert balance_cents(user.id, group.id) == 0


def test_the_statement_shows_the_cheque(client, group, user_with_role, login):
    user, installments = household_with_installments(group, "Foyer Martin", [4550])
    payments = recorded(installments)
    user_with_role("coordinator", group)
    act(client, group, "receive", payments)

    login(user)
    statement = readable(client.get(f"/groupes/{group.slug}/mon-releve"))
    assert "Chèque n° 1234567 (Crédit Agricole)" in statement
    assert "Vous êtes à jour." in statement


def test_the_ledger_label_is_read_in_the_readers_language(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Smith", [4550])
    user.language = "en"
    payments = recorded(installments)
    payments[0].method, payments[0].bank, payments[0].cheque_number = "cash", None, None
    db.session.commit()
    user_with_role("coordinator", group)

    act(client, group, "receive", payments)

    entry = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.user_id == user.id).order_by(LedgerEntry.id.desc())
    ).first()
    assert entry.label == "Espèces"  # stored in French, for the accounting files
    assert entry.label_key == "offline_payment"
    with force_locale("en"):
        assert entry_label(entry) == "Cash"


def test_hand_over_received_payments_only(client, group, user_with_role):
    _, installments = household_with_installments(group, "Foyer Martin", [4550, 4550])
    payments = recorded(installments)
    user_with_role("coordinator", group)
    act(client, group, "receive", payments[:1])

    response = act(client, group, "hand_over", payments)

    assert (
        "1 paiement marqué reversé au producteur. 1 ignoré : il n'était pas dans le bon état."
    ) in readable(response)
    first, second = reload(OfflinePayment, payments)
    assert (first.state, second.state) == ("handed_over", "recorded")
    assert first.handed_over_at is not None
    first_installment, second_installment = reload(Installment, installments)
    assert (first_installment.state, second_installment.state) == ("handed_over", "pending")
    assert first_installment.handed_over_at is not None


def test_cancel_a_recorded_payment_puts_the_installment_back(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Martin", [4550])
    payments = recorded(installments)
    user_with_role("coordinator", group)

    response = act(client, group, "cancel", payments)

    assert "1 paiement annulé." in readable(response)
    assert reload(OfflinePayment, payments)[0].state == "cancelled"
    assert reload(Installment, installments)[0].state == "planned"
    assert len(ledger(user, group)) == 1  # nothing was booked, nothing to correct


def test_a_bounced_cheque_is_taken_back_out_of_the_ledger(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Martin", [4550, 3000])
    payments = recorded(installments)
    user_with_role("coordinator", group)
    act(client, group, "receive", payments)
    assert balance_cents(user.id, group.id) == 0

    act(client, group, "cancel", payments[:1])
    again = act(client, group, "cancel", payments[:1])

    assert "Aucun paiement modifié" in readable(again)
    assert balance_cents(user.id, group.id) == -4550
    kind, amount, label = ledger(user, group)[-1]
    assert (kind, amount) == ("adjustment", -4550)
    assert label == "Paiement annulé (impayé) : Chèque n° 1234567 (Crédit Agricole)"
    installment = reload(Installment, installments)[0]
    assert (installment.state, installment.paid_at) == ("failed", None)
    # The failed installment is to pay again: it is back in the list of those to settle.
    index = readable(client.get(f"/groupes/{group.slug}/gestion/paiements"))
    assert "Paiement refusé" in index


def test_money_handed_to_the_producer_is_not_cancelled(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Martin", [4550])
    payments = recorded(installments)
    user_with_role("coordinator", group)
    act(client, group, "receive", payments)
    act(client, group, "hand_over", payments)

    response = act(client, group, "cancel", payments)

    assert "Aucun paiement modifié" in readable(response)
    assert reload(OfflinePayment, payments)[0].state == "handed_over"
    assert balance_cents(user.id, group.id) == 0


def test_payments_of_another_group_are_skipped(client, group, user_with_role):
    elsewhere = factories.GroupFactory()
    _, foreign_installments = household_with_installments(elsewhere, "Foyer Ailleurs", [4550])
    foreign = recorded(foreign_installments)
    _, own_installments = household_with_installments(group, "Foyer Martin", [4550])
    own = recorded(own_installments, numbers={0: "7777777"})
    user_with_role("coordinator", group)

    response = act(client, group, "receive", [*own, *foreign])

    assert "1 paiement marqué encaissé. 1 ignoré" in readable(response)
    assert reload(OfflinePayment, foreign)[0].state == "recorded"
    assert db.session.scalars(
        select(LedgerEntry.group_id).where(LedgerEntry.kind == "payment")
    ).all() == [group.id]


def test_nothing_ticked_or_an_unknown_action_changes_nothing(client, group, user_with_role):
    _, installments = household_with_installments(group, "Foyer Martin", [4550])
    payments = recorded(installments)
    user_with_role("coordinator", group)

    assert "Cochez au moins un paiement" in readable(act(client, group, "receive", []))
    assert "La demande n'a pas pu être lue" in readable(act(client, group, "delete", payments))
    assert reload(OfflinePayment, payments)[0].state == "recorded"


def test_the_list_keeps_its_filters_after_an_action(client, group, user_with_role):
    _, installments = household_with_installments(group, "Foyer Martin", [4550])
    payments = recorded(installments)
    user_with_role("coordinator", group)
    back = f"/groupes/{group.slug}/gestion/paiements?state=recorded"

    response = client.post(
        bulk_url(group),
        data={"action": "receive", "payment_ids": [str(payments[0].id)], "next": back},
    )
    assert response.headers["Location"].endswith("/gestion/paiements?state=recorded")
    evil = client.post(
        bulk_url(group), data={"action": "receive", "payment_ids": [], "next": "//evil.example"}
    )
    assert evil.headers["Location"].endswith(f"/groupes/{group.slug}/gestion/paiements")


def test_the_payment_is_booked_on_the_day_it_is_marked_received(client, group, user_with_role):
    user, installments = household_with_installments(group, "Foyer Martin", [4550])
    payments = recorded(installments)
    user_with_role("coordinator", group)
    act(client, group, "receive", payments)

    occurred_on = db.session.scalar(
        select(LedgerEntry.occurred_on).where(LedgerEntry.kind == "payment")
    )
    assert occurred_on == paris_today()


def test_the_bulk_form_carries_its_csrf_token(make_app, group, user_with_role):
    import re

    _, installments = household_with_installments(group, "Foyer Martin", [4550])
    payments = recorded(installments)
    coordinator = user_with_role("coordinator", group, log_in=False)
    guarded = make_app(WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(coordinator)
        session["_fresh"] = True

    forged = act(client, group, "receive", payments)
    assert forged.status_code == 400
    assert reload(OfflinePayment, payments)[0].state == "recorded"

    page = client.get(f"/groupes/{group.slug}/gestion/paiements").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = act(client, group, "receive", payments, csrf_token=token)
    assert "1 paiement marqué encaissé." in readable(response)
