"""The coordinators' arrears: households of the group whose balance is negative."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request
from tests.payments.support import readable


@pytest.fixture
def group():
    group = factories.GroupFactory(slug="amap-des-canuts", name="AMAP des Canuts")
    db.session.commit()
    return group


def url(group) -> str:
    return f"/groupes/{group.slug}/gestion/impayes"


def household(group, name, *amounts):
    user = factories.UserFactory(name=name, email=f"{name.split()[-1].lower()}@example.org")
    factories.MembershipFactory(user=user, organisation=group)
    for amount in amounts:
        kind = "commitment" if amount < 0 else "payment"
        factories.LedgerEntryFactory(
            user=user, group_id=group.id, kind=kind, amount_cents=amount, label="Contrat"
        )
    return user


def rows_of(text: str) -> list[str]:
    body = text[text.index("<tbody>") : text.index("</tbody>")]
    return body.split("</tr>")[:-1]


def test_households_in_arrears_most_owed_first_with_totals(client, group, user_with_role):
    today = paris_today()
    offer = factories.BasketOfferFactory(supply__group=group)
    solidaire = factories.PriceTierFactory(offer=offer, name="Solidaire 50 %", percent=50)
    martin = household(group, "Foyer Martin", -30000, 10000)  # owes 200,00
    leroy = household(group, "Foyer Leroy", -4550)  # owes 45,50
    household(group, "Foyer Petit", -10000, 10000)  # up to date
    household(group, "Foyer Durand", -10000, 12000)  # in credit
    # Martin: two late installments (one failed, one planned in the past), one not yet due,
    # one paid late (not late any more), one pending (a payment is under way).
    subscription = factories.SubscriptionFactory(offer=offer, user=martin, tier=solidaire)
    for sequence, (days, state) in enumerate(
        [(-30, "failed"), (-3, "planned"), (5, "planned"), (-60, "paid"), (-40, "pending")],
        start=1,
    ):
        factories.InstallmentFactory(
            subscription=subscription,
            sequence=sequence,
            due_on=today + timedelta(days=days),
            state=state,
            paid_at=datetime.now(UTC) if state == "paid" else None,
        )
    # Leroy's late installment in another group does not count here.
    factories.InstallmentFactory(
        subscription=factories.SubscriptionFactory(user=leroy), due_on=today - timedelta(days=9)
    )
    user_with_role("coordinator", group)

    response = client.get(url(group))
    assert response.status_code == 200
    text = readable(response)
    rows = rows_of(text)
    assert len(rows) == 2
    assert "Foyer Martin" in rows[0] and "martin@example.org" in rows[0]
    assert "200,00 €" in rows[0] and ">2<" in rows[0]
    assert "Foyer Leroy" in rows[1] and "45,50 €" in rows[1] and ">0<" in rows[1]
    assert "Petit" not in text and "Durand" not in text
    footer = text[text.index("<tfoot>") :]
    assert "Total : 2 foyers" in footer and "245,50 €" in footer and ">2<" in footer
    # Dignity: arrears are amounts only, never price tiers.
    assert "Solidaire" not in text and "50 %" not in text


def test_the_oldest_late_due_date_is_shown(client, group, user_with_role):
    martin = household(group, "Foyer Martin", -9000)
    subscription = factories.SubscriptionFactory(offer__supply__group=group, user=martin)
    factories.InstallmentFactory(
        subscription=subscription, sequence=1, due_on=date(2025, 11, 5), state="failed"
    )
    factories.InstallmentFactory(
        subscription=subscription, sequence=2, due_on=date(2025, 12, 5), state="planned"
    )
    user_with_role("coordinator", group)
    row = rows_of(readable(client.get(url(group))))[0]
    assert "5 nov. 2025" in row and "déc." not in row


def test_no_arrears_says_so(client, group, user_with_role):
    household(group, "Foyer Petit", -1000, 1000)
    user_with_role("coordinator", group)
    assert "tous les foyers du groupe sont à jour" in readable(client.get(url(group)))


def test_another_groups_ledger_is_not_counted(client, group, user_with_role):
    household(factories.GroupFactory(), "Foyer Ailleurs", -5000)
    user_with_role("coordinator", group)
    assert "Foyer Ailleurs" not in readable(client.get(url(group)))


def test_a_site_administrator_gets_in(client, group, admin):
    household(group, "Foyer Martin", -5000)
    assert "Foyer Martin" in readable(client.get(url(group)))


@pytest.mark.parametrize("role", ["member", "volunteer"])
def test_members_and_volunteers_are_refused(client, group, user_with_role, role):
    household(group, "Foyer Martin", -5000)
    user_with_role(role, group)
    response = client.get(url(group))
    assert response.status_code == 403
    assert "Foyer Martin" not in readable(response)


def test_a_coordinator_of_another_group_is_refused(client, group, user_with_role):
    user_with_role("coordinator", factories.GroupFactory())
    assert client.get(url(group)).status_code == 403


def test_producer_staff_are_refused(client, group, user_with_role):
    user_with_role("producer_staff", factories.ProducerFactory())
    assert client.get(url(group)).status_code == 403


def test_visitors_are_sent_to_log_in(client, group):
    response = client.get(url(group))
    assert response.status_code == 302
    assert "/compte/connexion" in response.location


def test_an_unknown_group_is_not_found(client, admin):
    assert client.get("/groupes/groupe-inconnu/gestion/impayes").status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_households(client, group, user_with_role):
    user_with_role("coordinator", group)
    offer = factories.BasketOfferFactory(supply__group=group)
    late = paris_today() - timedelta(days=5)

    def add(first: int, count: int) -> None:
        for index in range(first, first + count):
            user = household(group, f"Foyer n{index}", -1000 - index)
            factories.InstallmentFactory(
                subscription=factories.SubscriptionFactory(offer=offer, user=user), due_on=late
            )
        db.session.commit()
        as_new_request()

    add(0, 5)
    with count_queries() as few:
        assert client.get(url(group)).status_code == 200
    add(5, 75)
    with count_queries() as many:
        response = client.get(url(group))
    text = readable(response)
    assert len(rows_of(text)) == 50  # a page of the list; the total counts every household
    assert "Total : 80 foyers" in text
    assert many.count == few.count
