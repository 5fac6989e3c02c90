from marketplace.extensions import db
from marketplace.shifts import roster
from tests import factories
from tests.shifts.support import group_with_day, member_of


def test_on_duty_and_leads_follow_live_signups():
    day, role = group_with_day()
    volunteer, lead, cancelled, stranger = (member_of(day.group) for _ in range(4))
    factories.ShiftSignupFactory(distribution_day=day, role=role, user=volunteer)
    lead_signup = factories.ShiftSignupFactory(
        distribution_day=day, role=role, user=lead, is_lead=True
    )
    factories.ShiftSignupFactory(
        distribution_day=day,
        role=role,
        user=cancelled,
        state="cancelled",
        cancelled_at=day.starts_at,
    )
    db.session.commit()

    assert roster.on_duty(volunteer.id, day.id)
    assert roster.on_duty(lead.id, day.id)
    assert not roster.on_duty(cancelled.id, day.id)
    assert not roster.on_duty(stranger.id, day.id)
    assert roster.is_lead(lead.id, day.id)
    assert not roster.is_lead(volunteer.id, day.id)
    assert [signup.id for signup in roster.leads(day.id)] == [lead_signup.id]
    assert roster.leads(day.id)[0].user.name == lead.name


def test_other_day_is_not_on_duty():
    day, role = group_with_day()
    other, _ = group_with_day(days=14)
    volunteer = member_of(day.group)
    factories.ShiftSignupFactory(distribution_day=day, role=role, user=volunteer, is_lead=True)
    db.session.commit()
    assert not roster.on_duty(volunteer.id, other.id)
    assert not roster.is_lead(volunteer.id, other.id)
    assert roster.leads(other.id) == []
