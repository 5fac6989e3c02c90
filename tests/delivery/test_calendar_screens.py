"""The coordinators' calendar: rules with preview, exceptions, and the coming days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import format_date
from sqlalchemy import func, select

from marketplace.delivery import days
from marketplace.delivery.models import DistributionDay, DistributionSchedule, ScheduleException
from marketplace.delivery.recurrence import occurrences_between
from marketplace.extensions import db
from marketplace.timezones import paris_today, to_paris
from tests import factories
from tests.helpers import count_queries

BASE = "/groupes/amap-des-canuts/gestion/calendrier"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def rule_form(point, **changes) -> dict:
    return {
        "pickup_point_id": str(point.id),
        "label": "Mardi soir",
        "starts_on": paris_today().isoformat(),
        "pattern": "weekly",
        "weekdays": ["TU"],
        "interval": "1",
        "position": "1",
        "weekday": "MO",
        "until": "",
        "rrule": "",
        "start_time": "18:00",
        "end_time": "19:30",
        "order_opens_days_before": "7",
        "order_opens_time": "08:00",
        "order_closes_days_before": "2",
        "order_closes_time": "20:00",
        "save": "Enregistrer",
    } | changes


def previewing(form: dict) -> dict:
    return {name: value for name, value in form.items() if name != "save"} | {
        "preview": "Prévisualiser"
    }


@pytest.fixture
def group(user_with_role):
    group = factories.GroupFactory(slug="amap-des-canuts")
    user_with_role("coordinator", group)
    return group


@pytest.fixture
def point(group):
    point = factories.PickupPointFactory(group=group, name="Salle du Rize")
    db.session.commit()
    return point


def test_the_form_starts_with_sensible_defaults(client, point):
    page = client.get(f"{BASE}/nouveau")
    assert page.status_code == 200
    assert 'value="18:00"' in page.text and 'value="19:30"' in page.text
    assert "Salle du Rize" in page.text
    assert "Prévisualiser" in page.text and "Enregistrer" in page.text


def test_preview_shows_the_next_eight_dates_and_saves_nothing(client, point):
    response = client.post(f"{BASE}/nouveau", data=previewing(rule_form(point)))

    assert response.status_code == 200
    assert "Aperçu des prochaines distributions" in response.text
    today = paris_today()
    dates = occurrences_between("FREQ=WEEKLY;BYDAY=TU", today, today, today + timedelta(weeks=9))
    assert response.text.count("<td>mardi") == 8
    for day in dates[:8]:
        assert format_date(day, "full") in response.text
    assert format_date(dates[8], "full") not in response.text
    assert "Commandes ouvertes" in response.text
    assert count(DistributionSchedule) == 0 and count(DistributionDay) == 0
    # The form keeps what was typed, ready to be saved.
    assert '<input checked id="weekdays-1" name="weekdays" type="checkbox" value="TU">' in (
        response.text
    )


def test_save_creates_the_rule_and_materialises_its_days(client, point, app):
    response = client.post(f"{BASE}/nouveau", data=rule_form(point))

    assert response.status_code == 302 and response.location.endswith(BASE)
    schedule = db.session.scalar(select(DistributionSchedule))
    assert (schedule.rrule, schedule.label) == ("FREQ=WEEKLY;BYDAY=TU", "Mardi soir")
    weeks = app.config["DISTRIBUTION_HORIZON_WEEKS"]
    today = paris_today()
    expected = occurrences_between(schedule.rrule, today, today, today + timedelta(weeks=weeks))
    assert [d.day for d in db.session.scalars(select(DistributionDay).order_by("day"))] == expected
    page = client.get(BASE).text
    assert "Calendrier enregistré." in page
    assert "Chaque mardi" in page and "Prochaines distributions" in page


def test_monthly_and_advanced_rules(client, point):
    monthly = rule_form(point, pattern="monthly", position="2", weekday="MO", label="Lundi")
    assert client.post(f"{BASE}/nouveau", data=monthly).status_code == 302
    advanced = rule_form(point, pattern="advanced", rrule="freq=weekly;interval=2;byday=th")
    assert client.post(f"{BASE}/nouveau", data=advanced).status_code == 302
    rules = set(db.session.scalars(select(DistributionSchedule.rrule)))
    assert rules == {"FREQ=MONTHLY;BYDAY=2MO", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"}
    page = client.get(BASE).text
    assert "Le 2e lundi du mois" in page
    assert "Toutes les 2 semaines, le jeudi" in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"end_time": "17:00"}, "L&#39;heure de fin doit être après l&#39;heure de début."),
        (
            {"pattern": "advanced", "rrule": "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31"},
            "Cette règle ne donne aucune date",
        ),
        ({"pattern": "advanced", "rrule": "FREQ=HOURLY"}, "au plus une fois par jour"),
        ({"pattern": "advanced", "rrule": ""}, "Indiquez une règle de récurrence."),
        (
            {"order_closes_days_before": "0", "order_closes_time": "18:30"},
            "Les commandes doivent fermer au plus tard au début de la distribution.",
        ),
        (
            {"order_opens_days_before": "1", "order_closes_days_before": "2"},
            "Les commandes doivent ouvrir avant de fermer.",
        ),
        ({"label": "x" * 121}, "120 caractères au maximum."),
        ({"weekdays": []}, "Choisissez au moins un jour de la semaine."),
        ({"until": "2020-01-01"}, "La dernière distribution doit être après la première."),
        ({"starts_on": "31/02/2026"}, "date"),
        ({"order_opens_days_before": "-3"}, "Entre 0 et 60 jours."),
        ({"weekdays": ["XX"]}, "Choisissez dans la liste."),
    ],
)
def test_bad_input_shows_a_french_error_and_saves_nothing(client, point, changes, message):
    for data in (rule_form(point, **changes), previewing(rule_form(point, **changes))):
        response = client.post(f"{BASE}/nouveau", data=data)
        assert response.status_code == 200
        assert message in response.text
        assert "Aperçu des prochaines distributions" not in response.text
    assert count(DistributionSchedule) == 0 and count(DistributionDay) == 0


def test_a_tampered_pickup_point_of_another_group_is_refused(client, point):
    foreign = factories.PickupPointFactory(name="Lieu d'ailleurs")
    closed = factories.PickupPointFactory(group=point.group, active=False)
    db.session.commit()
    for tampered in (str(foreign.id), str(closed.id), "abc", ""):
        response = client.post(f"{BASE}/nouveau", data=rule_form(point, pickup_point_id=tampered))
        assert response.status_code == 200
        assert "Choisissez un des lieux de distribution ouverts du groupe." in response.text
    assert count(DistributionSchedule) == 0


def test_edit_a_rule_moves_coming_days_and_cancels_orphans(client, point):
    client.post(f"{BASE}/nouveau", data=rule_form(point))
    schedule = db.session.scalar(select(DistributionSchedule))
    page = client.get(f"{BASE}/{schedule.id}/modifier").text
    assert 'value="Mardi soir"' in page

    response = client.post(
        f"{BASE}/{schedule.id}/modifier", data=rule_form(point, weekdays=["TH"], label="Jeudi")
    )

    assert response.status_code == 302
    db.session.expire_all()
    days = db.session.scalars(select(DistributionDay)).all()
    assert {d.status for d in days if d.day.weekday() == 1} == {"cancelled"}
    assert {d.status for d in days if d.day.weekday() == 3} == {"scheduled"}
    assert "Cette date ne fait plus partie du calendrier." in client.get(BASE).text


def test_edit_a_rule_of_another_group_is_not_found(client, group):
    foreign = factories.DistributionScheduleFactory()
    db.session.commit()
    assert client.get(f"{BASE}/{foreign.id}/modifier").status_code == 404
    assert client.get(f"{BASE}/{foreign.id}/exceptions").status_code == 404


def test_suspend_and_resume_a_rule(client, point):
    client.post(f"{BASE}/nouveau", data=rule_form(point))
    schedule = db.session.scalar(select(DistributionSchedule))

    client.post(f"{BASE}/{schedule.id}/suspendre")
    db.session.expire_all()
    assert not schedule.active
    assert set(db.session.scalars(select(DistributionDay.status))) == {"cancelled"}
    assert "Suspendu" in client.get(BASE).text

    client.post(f"{BASE}/{schedule.id}/reprendre")
    db.session.expire_all()
    assert set(db.session.scalars(select(DistributionDay.status))) == {"scheduled"}


def _saved_schedule(client, point) -> DistributionSchedule:
    client.post(f"{BASE}/nouveau", data=rule_form(point))
    return db.session.scalar(select(DistributionSchedule))


def test_cancel_a_date_then_remove_the_exception(client, point):
    schedule = _saved_schedule(client, point)
    second = sorted(db.session.scalars(select(DistributionDay.occurrence_date)))[1]
    url = f"{BASE}/{schedule.id}/exceptions"

    response = client.post(
        url,
        data={"occurrence_date": second.isoformat(), "kind": "cancelled", "reason": "Jour férié"},
    )

    assert response.status_code == 302
    page = client.get(url).text
    assert "Exception enregistrée." in page and "Jour férié" in page
    day = db.session.scalar(
        select(DistributionDay).where(DistributionDay.occurrence_date == second)
    )
    assert (day.status, day.note) == ("cancelled", "Jour férié")

    exception = db.session.scalar(select(ScheduleException))
    client.post(f"{url}/{exception.id}/retirer")
    db.session.expire_all()
    assert count(ScheduleException) == 0
    assert db.session.get(DistributionDay, day.id).status == "scheduled"


def test_move_a_date_with_other_hours(client, point):
    schedule = _saved_schedule(client, point)
    first = min(db.session.scalars(select(DistributionDay.occurrence_date)))
    response = client.post(
        f"{BASE}/{schedule.id}/exceptions",
        data={
            "occurrence_date": first.isoformat(),
            "kind": "moved",
            "moved_to": (first + timedelta(days=1)).isoformat(),
            "start_time": "17:00",
            "end_time": "18:30",
            "reason": "Salle prise",
        },
    )
    assert response.status_code == 302
    day = db.session.scalar(select(DistributionDay).where(DistributionDay.occurrence_date == first))
    assert day.day == first + timedelta(days=1)
    assert to_paris(day.starts_at).strftime("%H:%M") == "17:00"
    assert to_paris(day.ends_at).strftime("%H:%M") == "18:30"
    assert "Déplacée, prévue le" in client.get(BASE).text


@pytest.mark.parametrize(
    "data, message",
    [
        ({"occurrence_date": "WEDNESDAY", "kind": "cancelled"}, "date"),
        ({"kind": "moved", "moved_to": ""}, "Indiquez la nouvelle date."),
        ({"kind": "moved", "next_week": True}, "Ce calendrier a déjà une distribution le"),
        ({"kind": "cancelled", "reason": "x" * 201}, "200 caractères au maximum."),
        ({"kind": "cancelled", "not_a_tuesday": True}, "n&#39;est pas une date de ce calendrier."),
    ],
)
def test_bad_exceptions_show_a_french_error_and_save_nothing(client, point, data, message):
    schedule = _saved_schedule(client, point)
    first = min(db.session.scalars(select(DistributionDay.occurrence_date)))
    form = {"occurrence_date": first.isoformat(), "reason": ""}
    if data.pop("next_week", False):
        form["moved_to"] = (first + timedelta(weeks=1)).isoformat()
    if data.pop("not_a_tuesday", False):
        form["occurrence_date"] = (first + timedelta(days=1)).isoformat()
    response = client.post(f"{BASE}/{schedule.id}/exceptions", data=form | data)
    assert response.status_code == 200
    assert message in response.text
    assert count(ScheduleException) == 0


def test_calendar_page_queries_do_not_grow_with_rules_and_days(client, group, point):
    today = paris_today()

    def add_rules(n):
        for index in range(n):
            schedule = factories.DistributionScheduleFactory(
                pickup_point=factories.PickupPointFactory(group=group),
                label=f"Calendrier {index}",
                starts_on=today,
                rrule="FREQ=DAILY",
            )
            factories.ScheduleExceptionFactory(
                schedule=schedule, occurrence_date=today + timedelta(days=3)
            )
        days.materialise_all(today, 4)
        db.session.commit()

    add_rules(2)
    client.get(BASE)  # loads the person once, as any later request in this test
    db.session.expire_all()
    with count_queries() as small:
        assert client.get(BASE).status_code == 200

    add_rules(18)
    assert count(DistributionDay) >= 20 * 28
    db.session.expire_all()
    with count_queries() as large:
        page = client.get(BASE)
    assert page.status_code == 200
    assert page.text.count('class="card"') == 20
    assert large.count == small.count
