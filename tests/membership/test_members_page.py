"""The coordinators' members page: statuses, contracts and shifts, pages of 50 with a search,
the spreadsheet, and the same number of queries whatever the number of households."""

from __future__ import annotations

from datetime import date, timedelta

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.membership import services
from marketplace.membership.models import YearlyMembership
from marketplace.membership.queries import lapsed_members
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import count_queries
from tests.membership.helpers import group_with_membership, member_of
from tests.organisations.pages import as_new_request, page_text


def _lapsed(group, user) -> YearlyMembership:
    row = YearlyMembership(
        group_id=group.id,
        user_id=user.id,
        period_starts_on=date(2025, 9, 1),
        period_ends_on=date(2026, 8, 31),
        amount_cents=1500,
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_statuses_contracts_and_shifts(app, client, user_with_role):
    group = group_with_membership()
    today = paris_today()
    paid = member_of(group, name="Alice Martin", phone="06 11 22 33 44")
    membership = services.join(group, paid, today=today)
    services.record_payment(membership, method="cash", recorded_by=paid, today=today, now=utcnow())
    unpaid = member_of(group, name="Bruno Petit")
    services.join(group, unpaid, today=today)
    lapsed = member_of(group, name="Chloé Roux")
    _lapsed(group, lapsed)
    member_of(group, name="Denis Blanc")
    factories.SubscriptionFactory(user=paid, offer__supply__group=group)
    day = factories.DistributionDayFactory(
        schedule__pickup_point__group=group, occurrence_date=today - timedelta(days=7)
    )
    role = factories.VolunteerRoleFactory(group=group)
    factories.ShiftSignupFactory(user=unpaid, distribution_day=day, role=role)
    user_with_role("coordinator", group)
    text = page_text(client.get(f"/groupes/{group.slug}/gestion/foyers"))
    assert "4 foyers" in text
    for name, status in (
        ("Alice Martin", "À jour"),
        ("Bruno Petit", "Cotisation à régler"),
        ("Chloé Roux", "Adhésion expirée"),
        ("Denis Blanc", "Non adhérent·e"),
    ):
        assert name in text and status in text
    assert "06 11 22 33 44" in text
    assert [user.name for user in lapsed_members(group.id, today)] == ["Chloé Roux"]
    as_new_request()
    lapsed_only = page_text(client.get(f"/groupes/{group.slug}/gestion/foyers?status=lapsed"))
    assert "1 foyer" in lapsed_only and "Chloé Roux" in lapsed_only
    assert "Alice Martin" not in lapsed_only
    as_new_request()
    unpaid_only = page_text(client.get(f"/groupes/{group.slug}/gestion/foyers?status=unpaid"))
    assert "Bruno Petit" in unpaid_only and "Denis Blanc" not in unpaid_only
    as_new_request()
    assert client.get(f"/groupes/{group.slug}/gestion/foyers?status=x").status_code == 200

    as_new_request()
    response = client.get(f"/groupes/{group.slug}/gestion/foyers?format=csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].split(";") == [
        "Foyer",
        "E-mail",
        "Téléphone",
        "Adhésion",
        "Cotisation (€)",
        "Réglée le",
        "Contrats",
        "Permanences faites",
    ]
    alice = next(line for line in lines if line.startswith("Alice Martin"))
    assert alice.split(";")[3:5] == ["À jour", "15,00"] and alice.endswith(";1;0")
    bruno = next(line for line in lines if line.startswith("Bruno Petit"))
    assert bruno.endswith(";0;1")


def test_pages_of_fifty_and_a_search(app, client, user_with_role):
    group = group_with_membership()
    for number in range(60):
        member_of(group, name=f"Foyer {number:03d}", email=f"foyer{number:03d}@example.org")
    user_with_role("coordinator", group)
    url = f"/groupes/{group.slug}/gestion/foyers"
    first = page_text(client.get(url))
    assert "Foyer 049" in first and "Foyer 050" not in first and "page 1 sur 2" in first
    second = page_text(client.get(url + "?page=2"))
    assert "Foyer 050" in second and "Foyer 049" not in second
    found = page_text(client.get(url + "?q=foyer05"))
    assert "10 foyers" in found and "Foyer 059" in found and "Foyer 049" not in found
    assert client.get(url + "?page=abc").status_code == 200
    assert client.get(url + "?page=999").status_code == 200


def test_the_members_page_runs_the_same_queries_for_1_and_20_households(
    app, client, user_with_role
):
    small, large = group_with_membership(), group_with_membership()
    today = paris_today()
    member = member_of(small)
    services.join(small, member, today=today)
    for number in range(20):
        household = member_of(large)
        if number % 2:
            services.join(large, household, today=today)
        else:
            _lapsed(large, household)
        factories.SubscriptionFactory(user=household, offer__supply__group=large)
    coordinator = user_with_role("coordinator", small)
    factories.MembershipFactory(user=coordinator, organisation=large, role="coordinator")
    db.session.commit()
    as_new_request()
    with count_queries() as few:
        assert client.get(f"/groupes/{small.slug}/gestion/foyers").status_code == 200
    as_new_request()
    with count_queries() as many:
        assert client.get(f"/groupes/{large.slug}/gestion/foyers").status_code == 200
    assert few.count == many.count


def test_a_page_of_fifty_stays_small(app, client, user_with_role):
    group = group_with_membership()
    today = paris_today()
    for number in range(50):
        household = member_of(group, name=f"Foyer au nom assez long numéro {number}")
        services.join(group, household, today=today)
    user_with_role("coordinator", group)
    response = client.get(f"/groupes/{group.slug}/gestion/foyers")
    # 50 rows whatever the group's size: 10 000 households give the same page.
    assert len(response.get_data()) < 200_000
