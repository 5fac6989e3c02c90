"""The coordinators' staffing overview and the members' page, and their query counts."""

from marketplace.extensions import db
from marketplace.organisations.models import Role
from tests import factories
from tests.helpers import count_queries
from tests.shifts.support import day_in, member_of


def _days(group_day, count: int, role):
    """`count` more days on the first day's calendar, each with one volunteer."""
    for offset in range(count):
        day = day_in(offset + 2, schedule=group_day.schedule)
        factories.ShiftSignupFactory(distribution_day=day, role=role, user=member_of(day.group))


def test_overview_lists_understaffed_days_first(client, user_with_role):
    staffed = day_in(2)
    understaffed = day_in(9, schedule=staffed.schedule)
    role = factories.VolunteerRoleFactory(group=staffed.group, name="Accueil", needed_per_day=1)
    factories.ShiftSignupFactory(distribution_day=staffed, role=role, user=member_of(staffed.group))
    db.session.commit()
    user_with_role(Role.COORDINATOR, staffed.group)

    response = client.get(f"/groupes/{staffed.group_id}/permanences/suivi")
    assert response.status_code == 200
    text = response.text
    assert "Il manque 1 personne" in text
    understaffed_link = f'/distributions/{understaffed.id}"'
    staffed_link = f'/distributions/{staffed.id}"'
    assert text.index(understaffed_link) < text.index(staffed_link)


def test_member_cannot_see_the_overview(client, user_with_role):
    group = factories.GroupFactory()
    user_with_role(Role.MEMBER, group)
    assert client.get(f"/groupes/{group.id}/permanences/suivi").status_code == 403


def _measure(client, url: str) -> int:
    db.session.expire_all()
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    return queries.count


def test_overview_queries_do_not_grow_with_days(client, user_with_role):
    first = day_in(1)
    role = factories.VolunteerRoleFactory(group=first.group, needed_per_day=3)
    factories.VolunteerRoleFactory(group=first.group, needed_per_day=1)
    _days(first, 4, role)  # 5 days
    db.session.commit()
    user_with_role(Role.COORDINATOR, first.group)
    url = f"/groupes/{first.group_id}/permanences/suivi"
    with_five = _measure(client, url)

    for offset in range(45):  # 50 days, within the 8 weeks shown
        day = day_in(offset + 6, schedule=first.schedule)
        factories.ShiftSignupFactory(distribution_day=day, role=role, user=member_of(day.group))
    db.session.commit()
    assert _measure(client, url) == with_five


def test_members_page_queries_do_not_grow_with_days(client, user_with_role):
    first = day_in(1)
    role = factories.VolunteerRoleFactory(group=first.group, needed_per_day=3)
    _days(first, 4, role)
    db.session.commit()
    user = user_with_role(Role.MEMBER, first.group)
    factories.ShiftSignupFactory(distribution_day=first, role=role, user=user)
    db.session.commit()
    url = f"/groupes/{first.group_id}/permanences"
    with_five = _measure(client, url)

    for offset in range(45):
        day = day_in(offset + 6, schedule=first.schedule)
        factories.ShiftSignupFactory(distribution_day=day, role=role, user=user)
    db.session.commit()
    assert _measure(client, url) == with_five
