"""After the day, the lead volunteer or a coordinator notes who came; counts per member."""

from marketplace.extensions import db
from marketplace.organisations.models import Role
from tests import factories
from tests.helpers import count_queries
from tests.shifts.support import day_in, group_with_day, member_of


def _past_day_with_roster():
    day = day_in(-1)
    role = factories.VolunteerRoleFactory(group=day.group, name="Rangement")
    came = factories.ShiftSignupFactory(
        distribution_day=day, role=role, user=member_of(day.group, name="Alice Venue")
    )
    absent = factories.ShiftSignupFactory(
        distribution_day=day, role=role, user=member_of(day.group, name="Bruno Absent")
    )
    db.session.commit()
    return day, came, absent


def _url(day):
    return f"/groupes/{day.group_id}/permanences/distributions/{day.id}/presences"


def test_lead_records_who_came(client, login):
    day, came, absent = _past_day_with_roster()
    lead = factories.ShiftSignupFactory(
        distribution_day=day, role=came.role, user=member_of(day.group), is_lead=True
    )
    db.session.commit()
    login(lead.user)

    page = client.get(_url(day))
    assert "Alice Venue" in page.text and "Bruno Absent" in page.text
    response = client.post(
        _url(day),
        data={f"attended-{came.id}": "yes", f"attended-{absent.id}": "no"},
        follow_redirects=True,
    )
    assert "Présences enregistrées. Merci !" in response.text
    db.session.refresh(came)
    db.session.refresh(absent)
    db.session.refresh(lead)
    assert (came.attended, absent.attended, lead.attended) == (True, False, None)


def test_bad_answer_changes_nothing(client, user_with_role):
    day, came, absent = _past_day_with_roster()
    user_with_role(Role.COORDINATOR, day.group)
    response = client.post(_url(day), data={f"attended-{came.id}": "peut-être"})
    assert response.status_code == 422
    assert "Choisissez une réponse pour Alice Venue." in response.text
    db.session.refresh(came)
    assert came.attended is None


def test_attendance_waits_for_the_day(client, user_with_role):
    day, role = group_with_day(days=3)
    signup = factories.ShiftSignupFactory(
        distribution_day=day, role=role, user=member_of(day.group)
    )
    db.session.commit()
    user_with_role(Role.COORDINATOR, day.group)
    response = client.post(_url(day), data={f"attended-{signup.id}": "yes"})
    assert response.status_code == 422
    assert "une fois la distribution commencée" in response.text
    db.session.refresh(signup)
    assert signup.attended is None


def test_plain_volunteer_or_member_cannot_record(client, login):
    day, came, _ = _past_day_with_roster()
    login(came.user)  # on the roster, but not the lead
    assert client.get(_url(day)).status_code == 403
    assert client.post(_url(day), data={f"attended-{came.id}": "yes"}).status_code == 403


def test_coordinator_sees_counts_per_member(client, user_with_role):
    day, came, absent = _past_day_with_roster()
    came.attended, absent.attended = True, False
    factories.ShiftSignupFactory(
        distribution_day=day_in(-8, schedule=day.schedule),
        role=came.role,
        user=came.user,
        attended=True,
    )
    idle = member_of(day.group, name="Zoé Sans-Permanence")
    db.session.commit()
    user_with_role(Role.COORDINATOR, day.group)

    response = client.get(f"/groupes/{day.group_id}/permanences/compteurs")
    assert response.status_code == 200
    text = response.text
    assert "Alice Venue" in text and "Bruno Absent" in text and idle.name in text
    rows = {line.split("</th>")[0].split(">")[-1]: line for line in text.split("<tr>")[1:]}
    assert '<td class="amount">2</td>' in rows["Alice Venue"]
    assert '<td class="amount">1</td>' in rows["Bruno Absent"]


def test_member_cannot_see_counts(client, user_with_role):
    group = factories.GroupFactory()
    user_with_role(Role.MEMBER, group)
    assert client.get(f"/groupes/{group.id}/permanences/compteurs").status_code == 403


def test_counts_run_a_constant_number_of_queries(client, user_with_role):
    day, came, _ = _past_day_with_roster()
    user_with_role(Role.COORDINATOR, day.group)

    def measure():
        db.session.expire_all()
        with count_queries() as queries:
            assert client.get(f"/groupes/{day.group_id}/permanences/compteurs").status_code == 200
        return queries.count

    few = measure()
    for offset in range(2, 12):
        other = day_in(-offset * 7, schedule=day.schedule)
        for _ in range(3):
            factories.ShiftSignupFactory(
                distribution_day=other, role=came.role, user=member_of(day.group), attended=True
            )
    db.session.commit()
    assert measure() == few
