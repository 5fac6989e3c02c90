"""Services of the household's deliveries: absences under each policy, gifts, and their undoing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.baskets import absences
from marketplace.baskets.models import Delivery
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import LedgerEntry
from tests import factories


def in_weeks(weeks: int) -> date:
    return date.today() + timedelta(weeks=weeks)


def make_subscription(policy: str = "credit", max_absences: int = 2, price_cents: int = 1550):
    offer = factories.BasketOfferFactory(absence_policy=policy, max_absences=max_absences)
    size = factories.BasketSizeFactory(offer=offer, price_cents=price_cents)
    return factories.SubscriptionFactory(offer=offer, size=size)


def make_delivery(subscription, weeks: int = 1, **changes) -> Delivery:
    return factories.DeliveryFactory(
        subscription=subscription, distribution_day__occurrence_date=in_weeks(weeks), **changes
    )


def ledger_rows(subscription) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.subscription_id == subscription.id)
            .order_by(LedgerEntry.id)
        )
    )


def balance(subscription) -> int:
    return balance_cents(subscription.user_id, subscription.group_id)


# --- Credit ------------------------------------------------------------------------------------


def test_an_absence_credits_the_basket_price_and_cancelling_books_an_adjustment():
    subscription = make_subscription("credit", price_cents=1550)
    factories.LedgerEntryFactory(
        user=subscription.user, group_id=subscription.group_id, amount_cents=-31000
    )
    delivery = make_delivery(subscription)
    before = balance(subscription)

    outcome = absences.mark_absent(delivery, utcnow())

    assert delivery.state == "absent"
    assert outcome.credited_cents == 1550
    [credit] = ledger_rows(subscription)
    assert (credit.kind, credit.amount_cents) == ("credit", 1550)
    assert credit.offer_id == subscription.offer_id
    assert credit.label.startswith("Absence du ")
    assert balance(subscription) == before + 1550

    absences.cancel_absence(delivery, utcnow())

    assert delivery.state == "planned"
    credit_row, adjustment = ledger_rows(subscription)
    assert credit_row.id == credit.id  # ledger rows are never deleted
    assert (adjustment.kind, adjustment.amount_cents) == ("adjustment", -1550)
    assert balance(subscription) == before


def test_declaring_again_after_a_cancel_credits_once_more_and_cancels_exactly():
    subscription = make_subscription("credit", price_cents=1200)
    delivery = make_delivery(subscription)
    absences.mark_absent(delivery, utcnow())
    absences.cancel_absence(delivery, utcnow())
    absences.mark_absent(delivery, utcnow())
    assert balance(subscription) == 1200
    absences.cancel_absence(delivery, utcnow())
    assert balance(subscription) == 0
    assert [row.amount_cents for row in ledger_rows(subscription)] == [1200, -1200, 1200, -1200]


def test_a_replayed_absence_is_refused_clearly_and_credits_only_once():
    subscription = make_subscription("credit")
    delivery = make_delivery(subscription)
    absences.mark_absent(delivery, utcnow())

    with pytest.raises(DomainError, match="déjà déclaré absent"):
        absences.mark_absent(delivery, utcnow())
    assert len(ledger_rows(subscription)) == 1

    absences.cancel_absence(delivery, utcnow())
    with pytest.raises(DomainError, match="n'est pas déclaré absent"):
        absences.cancel_absence(delivery, utcnow())
    assert len(ledger_rows(subscription)) == 2
    assert balance(subscription) == 0


# --- Postpone and donate -----------------------------------------------------------------------


def test_postponing_moves_one_basket_to_the_next_planned_delivery_and_back():
    subscription = make_subscription("postpone")
    absent = make_delivery(subscription, weeks=1)
    given_away = make_delivery(subscription, weeks=2, state="given", given_to_name="Awa")
    cancelled_day = make_delivery(subscription, weeks=3)
    cancelled_day.distribution_day.status = "cancelled"
    target = make_delivery(subscription, weeks=4)
    last = make_delivery(subscription, weeks=5)

    outcome = absences.mark_absent(absent, utcnow())

    assert outcome.postponed_to is target
    assert absent.state == "absent" and absent.postponed_to_id == target.id
    assert (target.quantity, given_away.quantity, cancelled_day.quantity, last.quantity) == (
        2,
        1,
        1,
        1,
    )
    assert ledger_rows(subscription) == []

    absences.cancel_absence(absent, utcnow())

    assert absent.state == "planned" and absent.postponed_to_id is None
    assert target.quantity == 1


def test_postponing_without_a_later_delivery_is_refused_and_nothing_changes():
    subscription = make_subscription("postpone")
    delivery = make_delivery(subscription, weeks=1)
    earlier = make_delivery(subscription, weeks=0)  # earlier day: not a later delivery

    with pytest.raises(DomainError, match="Aucune livraison suivante"):
        absences.mark_absent(delivery, utcnow())
    db.session.rollback()
    assert delivery.state == "planned" and earlier.quantity == 1


def test_cancelling_a_postponed_absence_is_refused_once_the_later_basket_is_absent_too():
    subscription = make_subscription("postpone", max_absences=3)
    first = make_delivery(subscription, weeks=1)
    second = make_delivery(subscription, weeks=2)
    make_delivery(subscription, weeks=3)
    absences.mark_absent(first, utcnow())
    absences.mark_absent(second, utcnow())

    with pytest.raises(DomainError, match="n'est plus prévu"):
        absences.cancel_absence(first, utcnow())


def test_donating_changes_only_the_state():
    subscription = make_subscription("donate")
    delivery = make_delivery(subscription)
    later = make_delivery(subscription, weeks=2)

    outcome = absences.mark_absent(delivery, utcnow())

    assert outcome.policy == "donate"
    assert delivery.state == "absent" and delivery.postponed_to_id is None
    assert later.quantity == 1 and ledger_rows(subscription) == []
    absences.cancel_absence(delivery, utcnow())
    assert delivery.state == "planned"


# --- Limits and deadlines ----------------------------------------------------------------------


def test_absences_stop_at_the_contract_maximum():
    subscription = make_subscription("credit", max_absences=2, price_cents=1000)
    first, second, third = (make_delivery(subscription, weeks=n) for n in (1, 2, 3))
    absences.mark_absent(first, utcnow())
    absences.mark_absent(second, utcnow())
    db.session.commit()

    with pytest.raises(DomainError) as refused:
        absences.mark_absent(third, utcnow())
    assert refused.value.message == (
        "Vous avez déjà déclaré 2 absences, le maximum prévu par ce contrat."
    )
    db.session.rollback()
    assert third.state == "planned" and balance(subscription) == 2000


def test_a_contract_without_absences_says_so():
    delivery = make_delivery(make_subscription(max_absences=0))
    with pytest.raises(DomainError, match="ne prévoit pas d'absence"):
        absences.mark_absent(delivery, utcnow())


def test_after_the_order_window_closes_nothing_can_change():
    subscription = make_subscription("credit")
    delivery = make_delivery(subscription)
    late = delivery.distribution_day.order_closes_at + timedelta(minutes=1)

    with pytest.raises(DomainError, match="Trop tard : les absences se déclarent avant"):
        absences.mark_absent(delivery, late)
    with pytest.raises(DomainError, match="Trop tard : un panier se donne avant"):
        absences.give_to(delivery, "Awa", None, late)
    assert delivery.state == "planned" and ledger_rows(subscription) == []

    absences.mark_absent(delivery, utcnow())
    with pytest.raises(DomainError, match="Trop tard"):
        absences.cancel_absence(delivery, late)
    assert delivery.state == "absent" and balance(subscription) == 1550


def test_a_cancelled_distribution_day_cannot_be_changed():
    delivery = make_delivery(make_subscription())
    delivery.distribution_day.status = "cancelled"
    with pytest.raises(DomainError, match="est annulée"):
        absences.mark_absent(delivery, utcnow())
    with pytest.raises(DomainError, match="est annulée"):
        absences.give_to(delivery, "Awa", None, utcnow())


def test_a_cancelled_subscription_cannot_be_changed():
    subscription = make_subscription()
    delivery = make_delivery(subscription)
    subscription.status = "cancelled"
    subscription.cancelled_at = utcnow()
    with pytest.raises(DomainError, match="résilié"):
        absences.mark_absent(delivery, utcnow())


def test_a_collected_basket_cannot_be_declared_absent():
    delivery = make_delivery(make_subscription(), state="collected")
    with pytest.raises(DomainError, match="n'est plus modifiable"):
        absences.mark_absent(delivery, utcnow())


# --- Gifts -------------------------------------------------------------------------------------


def test_giving_a_basket_names_who_collects_it_and_can_be_cancelled():
    delivery = make_delivery(make_subscription())

    absences.give_to(delivery, "  Awa Diallo ", " Awa@Example.org ", utcnow())

    assert delivery.state == "given"
    assert delivery.given_to_name == "Awa Diallo"
    assert delivery.given_to_email == "Awa@example.org"

    with pytest.raises(DomainError, match="déjà donné à Awa Diallo"):
        absences.give_to(delivery, "Marc", None, utcnow())
    with pytest.raises(DomainError, match="donné à Awa Diallo : annulez d'abord le don"):
        absences.mark_absent(delivery, utcnow())

    absences.cancel_gift(delivery, utcnow())
    assert delivery.state == "planned"
    assert delivery.given_to_name is None and delivery.given_to_email is None
    with pytest.raises(DomainError, match="donné à personne"):
        absences.cancel_gift(delivery, utcnow())


@pytest.mark.parametrize(
    ("name", "email", "field", "message"),
    [
        ("   ", None, "name", "Indiquez le nom"),
        ("A" * 121, None, "name", "120 caractères au maximum"),
        ("Awa", "pas-une-adresse", "email", "n'est pas valide"),
    ],
)
def test_a_gift_needs_a_name_and_a_valid_email(name, email, field, message):
    delivery = make_delivery(make_subscription())
    with pytest.raises(DomainError, match=message) as refused:
        absences.give_to(delivery, name, email, utcnow())
    assert refused.value.field == field
    assert delivery.state == "planned" and delivery.given_to_name is None


def test_an_absent_basket_cannot_be_given():
    delivery = make_delivery(make_subscription("donate"))
    absences.mark_absent(delivery, utcnow())
    with pytest.raises(DomainError, match="annulez d'abord l'absence"):
        absences.give_to(delivery, "Awa", None, utcnow())


def test_absent_counts_are_read_per_subscription_in_one_go():
    subscription = make_subscription("donate")
    other = make_subscription("donate")
    for weeks in (1, 2):
        absences.mark_absent(make_delivery(subscription, weeks=weeks), utcnow())
    make_delivery(other)
    assert absences.absent_counts([subscription.id, other.id]) == {subscription.id: 2}
    assert db.session.scalar(select(func.count(Delivery.id))) == 3


def test_two_clicks_at_once_credit_only_once_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself; row locks are a PostgreSQL matter.")
    import threading

    subscription = make_subscription("credit", price_cents=1000)
    delivery_id = make_delivery(subscription).id
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click() -> None:
        with app.app_context():
            delivery = db.session.get(Delivery, delivery_id)
            barrier.wait()
            try:
                absences.mark_absent(delivery, utcnow())
                db.session.commit()
                outcomes.append("done")
            except DomainError as error:
                db.session.rollback()
                outcomes.append(error.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(outcomes) == ["Ce panier est déjà déclaré absent.", "done"]
    db.session.expire_all()
    assert balance(subscription) == 1000
