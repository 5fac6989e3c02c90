"""Private calendar feeds: a household's baskets, a volunteer's shifts, a group's days."""

from datetime import date, time, timedelta

import pytest
from icalendar import Calendar

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.feeds import tokens
from marketplace.timezones import PARIS, local_instant, paris_today
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request, page_text


def events(response) -> list:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return list(Calendar.from_ical(response.data).walk("VEVENT"))


def summer_day() -> date:
    today = paris_today()
    return date(today.year + (1 if today.month >= 6 else 0), 7, 6)


def winter_day() -> date:
    today = paris_today()
    return date(today.year + (1 if today.month >= 1 else 0), 1, 12)


def feed_path(user, name: str) -> str:
    token = tokens.token_of(user)
    db.session.commit()
    return f"/calendriers/{token}/{name}"


@pytest.fixture
def subscription():
    subscription = factories.SubscriptionFactory(
        user=factories.UserFactory(name="Foyer Lemoine"), size__name="Grand panier"
    )
    factories.MembershipFactory(user=subscription.user, organisation=subscription.offer.group)
    db.session.commit()
    return subscription


def add_delivery(subscription, day: date, **values):
    schedule = factories.DistributionScheduleFactory(pickup_point=subscription.pickup_point)
    delivery = factories.DeliveryFactory(
        subscription=subscription,
        distribution_day=factories.DistributionDayFactory(schedule=schedule, occurrence_date=day),
        **values,
    )
    db.session.commit()
    return delivery


def test_the_household_sees_what_to_collect_where_and_when(client, subscription):
    winter = add_delivery(subscription, winter_day())
    summer = add_delivery(subscription, summer_day())
    add_delivery(subscription, winter_day() + timedelta(days=7), state="absent")
    response = client.get(feed_path(subscription.user, "paniers.ics"))
    assert response.headers["Cache-Control"] == "private, max-age=3600"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    found = {str(event["UID"]): event for event in events(response)}
    assert set(found) == {f"delivery-{winter.id}@localhost", f"delivery-{summer.id}@localhost"}
    for delivery in (winter, summer):
        event = found[f"delivery-{delivery.id}@localhost"]
        # 18:00 in Paris, in winter and in summer alike: the time carries its zone.
        start = event.decoded("DTSTART")
        assert start.astimezone(PARIS).time() == time(18, 0)
        assert start == local_instant(delivery.distribution_day.day, time(18, 0))
        assert event.decoded("DTEND").astimezone(PARIS).time() == time(19, 30)
        assert "Grand panier" in str(event["SUMMARY"])
        assert subscription.offer.name in str(event["SUMMARY"])
        point = subscription.pickup_point
        assert str(event["LOCATION"]) == (
            f"{point.name}, {point.address}, {point.postcode} {point.city}"
        )
        assert subscription.offer.producer.name in str(event["DESCRIPTION"])
    assert b"TZID=Europe/Paris" in response.data and b"BEGIN:VTIMEZONE" in response.data


def test_a_volunteer_sees_their_shifts(client):
    signup = factories.ShiftSignupFactory(is_lead=True)
    factories.ShiftSignupFactory(
        distribution_day=signup.distribution_day,
        user=signup.user,
        state="cancelled",
        cancelled_at=utcnow(),
    )
    db.session.commit()
    (event,) = events(client.get(feed_path(signup.user, "permanences.ics")))
    assert str(event["UID"]) == f"shift-{signup.id}@localhost"
    assert signup.role.name in str(event["SUMMARY"])
    assert "responsable" in str(event["DESCRIPTION"])


def test_a_member_sees_their_groups_distribution_days_not_others(client, subscription):
    group = subscription.offer.group
    day = add_delivery(subscription, winter_day()).distribution_day
    factories.DistributionDayFactory(
        schedule=day.schedule, occurrence_date=winter_day() + timedelta(days=7), status="cancelled"
    )
    other_group = factories.GroupFactory()
    db.session.commit()
    (event,) = events(client.get(feed_path(subscription.user, f"groupes/{group.slug}.ics")))
    assert str(event["UID"]) == f"distribution-day-{day.id}@localhost"
    assert group.name in str(event["SUMMARY"])
    assert (
        client.get(feed_path(subscription.user, f"groupes/{other_group.slug}.ics")).status_code
        == 404
    )


def test_a_wrong_or_renewed_token_is_a_404(client, subscription):
    path = feed_path(subscription.user, "paniers.ics")
    token = path.split("/")[2]
    assert client.get(f"/calendriers/{token[:-1]}x/paniers.ics").status_code == 404
    assert client.get("/calendriers/abc/paniers.ics").status_code == 404
    assert client.get(f"/calendriers/{'a' * 500}/paniers.ics").status_code == 404
    tokens.renew_token(subscription.user)
    db.session.commit()
    assert client.get(path).status_code == 404
    assert client.get(feed_path(subscription.user, "paniers.ics")).status_code == 200


def test_someone_elses_token_shows_only_their_own_feed(client, subscription):
    add_delivery(subscription, winter_day())
    stranger = factories.UserFactory()
    db.session.commit()
    assert events(client.get(feed_path(stranger, "paniers.ics"))) == []


def test_the_page_lists_the_feeds_and_renews_them(client, login, subscription):
    login(subscription.user)
    page = client.get("/calendriers/")
    text = page_text(page)
    token = tokens.token_of(subscription.user)
    assert f"http://localhost/calendriers/{token}/paniers.ics" in text
    assert f"webcal://localhost/calendriers/{token}/permanences.ics" in text
    assert f"/groupes/{subscription.offer.group.slug}.ics" in text
    renewed = client.post("/calendriers/renouveler", follow_redirects=True)
    assert "les anciennes ne marchent plus" in page_text(renewed)
    assert token not in page_text(renewed)
    assert client.get(f"/calendriers/{token}/paniers.ics").status_code == 404


def test_the_page_needs_a_login(client):
    assert client.get("/calendriers/").status_code == 302


def test_a_feed_runs_the_same_queries_for_one_delivery_or_ten(client, subscription):
    other = factories.SubscriptionFactory()
    db.session.commit()
    add_delivery(subscription, winter_day())
    for week in range(10):
        add_delivery(other, winter_day() + timedelta(weeks=week))
    small, large = feed_path(subscription.user, "paniers.ics"), feed_path(other.user, "paniers.ics")
    as_new_request()
    with count_queries() as few:
        assert len(events(client.get(small))) == 1
    as_new_request()
    with count_queries() as many:
        assert len(events(client.get(large))) == 10
    assert few.count == many.count <= 3
