"""A day that ended with no tick at all: flagged to the coordinators, never credited by the
scheduler, settled once ("everything was collected", or ticked by hand then closed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.baskets.models import Delivery
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import LedgerEntry
from marketplace.pickup import unticked
from marketplace.pickup.models import DayClosing, UntickedDay
from marketplace.pickup.taps import TapIn, apply_taps
from marketplace.shop.models import Order
from tests import factories
from tests.helpers import count_queries, message_text
from tests.pickup.test_closing import make_scene, page_text
from tests.pickup.test_closing_job import run_job


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def flagged_scene():
    """A day over for four hours: two credited baskets, one basket given to a friend, extras,
    nothing ticked; one coordinator."""
    scene = make_scene(ends_in=timedelta(hours=-4))
    offer = scene.offer("credit", price_cents=1500)
    scene.baskets = [
        scene.basket(offer),
        scene.basket(offer, quantity=2),
        scene.basket(offer, state="given", given_to_name="Léa"),
    ]
    scene.extras = scene.order(scene.baskets[0].subscription.user, scene.availability())
    scene.coordinator_user = scene.coordinator()
    db.session.commit()
    return scene


def settle_url(scene) -> str:
    return f"/distributions/{scene.day.id}/tout-remis"


def test_the_job_flags_a_day_with_no_tick_credits_nothing_and_tells_the_coordinators(outbox):
    scene = flagged_scene()

    summary = run_job()

    assert summary == (
        "0 distribution(s) clôturée(s), 1 sans aucune case cochée, à confirmer par la coordination"
    )
    assert count(DayClosing) == 0 and count(LedgerEntry) == 0
    assert {db.session.get(Delivery, d.id).state for d in scene.baskets} == {"planned", "given"}
    flag = db.session.scalar(select(UntickedDay))
    assert flag.distribution_day_id == scene.day.id and flag.is_open
    assert [message["To"] for message in outbox] == [scene.coordinator_user.email]
    body = message_text(outbox[0])
    assert "personne n'a rien coché" in body and "aucun avoir" in body
    assert f"/distributions/{scene.day.id}/cloturer" in body

    # Idempotent: a second run (or a run after downtime) neither closes, credits nor re-sends.
    assert run_job() == "0 distribution(s) clôturée(s)"
    assert count(UntickedDay) == 1 and count(DayClosing) == 0 and count(LedgerEntry) == 0
    assert len(outbox) == 1
    # Long after the job's look-back, the flag is still open for the coordinators.
    assert [f.id for f in unticked.open_flags(scene.group.id)] == [flag.id]


def test_a_day_with_one_tick_still_closes_and_credits_as_before():
    scene = make_scene(ends_in=timedelta(hours=-4))
    offer = scene.offer("credit", price_cents=1500)
    missed = scene.basket(offer)
    came = scene.basket(offer, state="collected")
    factories.ChecklistTapFactory(distribution_day=scene.day, target_id=came.id)
    db.session.commit()

    assert run_job() == "1 distribution(s) clôturée(s)"
    assert count(UntickedDay) == 0
    assert db.session.get(Delivery, missed.id).state == "not_collected"
    assert db.session.scalars(select(LedgerEntry.amount_cents)).all() == [1500]


def test_a_day_with_nothing_to_hand_over_closes_without_a_flag():
    scene = make_scene(ends_in=timedelta(hours=-4))
    scene.basket(scene.offer("credit"), state="absent")
    db.session.commit()
    assert run_job() == "1 distribution(s) clôturée(s)"
    assert count(UntickedDay) == 0 and count(LedgerEntry) == 0


def test_the_coordinator_sees_the_flag_and_marks_everything_collected(client, login):
    scene = flagged_scene()
    run_job()
    login(scene.coordinator_user)

    dashboard = page_text(client.get("/tableau-de-bord"))
    assert "1 distribution terminée sans aucune case cochée attend votre confirmation" in dashboard
    listing = page_text(client.get(f"/distributions/groupes/{scene.group.id}/a-confirmer"))
    assert scene.day.pickup_point.name in listing and "Tout a été retiré" in listing
    closing_page = page_text(client.get(f"/distributions/{scene.day.id}/cloturer"))
    assert "Personne n'a rien coché à cette distribution" in closing_page
    assert "feuille d'émargement papier" in closing_page

    response = client.post(settle_url(scene), follow_redirects=True)

    assert response.status_code == 200
    text = page_text(response)
    # Three baskets and one order ticked collected.
    assert "4 paniers ou commandes notés retirés, aucun avoir" in text
    assert "confirmée « tout a été retiré » par la coordination" in text
    db.session.expire_all()
    assert {db.session.get(Delivery, d.id).state for d in scene.baskets} == {"collected", "given"}
    assert db.session.get(Order, scene.extras.id).pickup_state == "collected"
    assert count(LedgerEntry) == 0
    closing = db.session.scalar(select(DayClosing))
    assert closing.closed_by_id == scene.coordinator_user.id
    flag = db.session.scalar(select(UntickedDay))
    assert flag.settlement == "all_collected" and flag.settled_by_id == scene.coordinator_user.id
    assert "Aucune distribution à confirmer" in page_text(
        client.get(f"/distributions/groupes/{scene.group.id}/a-confirmer")
    )
    assert "attend votre confirmation" not in page_text(client.get("/tableau-de-bord"))


def test_settling_twice_gives_one_result(client, login):
    scene = flagged_scene()
    run_job()
    login(scene.coordinator_user)

    assert client.post(settle_url(scene)).status_code == 302
    second = client.post(settle_url(scene), follow_redirects=True)  # double click
    assert second.status_code == 200
    assert "Cette distribution a déjà été réglée." in page_text(second)
    assert count(DayClosing) == 1 and count(LedgerEntry) == 0

    again = unticked.mark_all_collected(scene.day, scene.coordinator_user, utcnow())
    assert again.already and again.outcome is None
    assert count(DayClosing) == 1


def test_the_function_for_the_season_simulation(app):
    scene = flagged_scene()
    run_job()
    result = unticked.mark_all_collected(scene.day, scene.coordinator_user, utcnow())
    db.session.commit()
    assert not result.already and result.ticked == 4  # three baskets and one order
    assert result.outcome.credits == 0 and result.outcome.not_collected == 0


def test_ticking_from_the_paper_sheet_then_closing_settles_the_flag_by_hand(client, login):
    scene = flagged_scene()
    run_job()
    came, missed = scene.baskets[0], scene.baskets[1]
    results = apply_taps(
        scene.day,
        scene.coordinator_user,
        [TapIn("paper-1", "delivery", came.id, "collected", utcnow())],
    )
    assert results[0].status == "applied"
    db.session.commit()
    login(scene.coordinator_user)

    response = client.post(f"/distributions/{scene.day.id}/cloturer", data={})

    assert response.status_code == 302
    flag = db.session.scalar(select(UntickedDay))
    assert flag.settlement == "by_hand" and not flag.is_open
    assert db.session.get(Delivery, came.id).state == "collected"
    assert db.session.get(Delivery, missed.id).state == "not_collected"
    # The coordinator's own reading of the sheet: the baskets left unticked are credited.
    assert sorted(db.session.scalars(select(LedgerEntry.amount_cents))) == [1500, 3000]
    assert "cochée foyer par foyer" in page_text(client.get(f"/distributions/{scene.day.id}/bilan"))


@pytest.mark.parametrize("who", ["member", "volunteer", "lead", "other_coordinator"])
def test_only_the_groups_coordinators_settle_a_flagged_day(client, login, who):
    scene = flagged_scene()
    run_job()
    if who == "member":
        user = factories.UserFactory()
        factories.MembershipFactory(user=user, organisation=scene.group, role="member")
    elif who in ("volunteer", "lead"):
        user = scene.volunteer(lead=who == "lead")
    else:
        user = factories.UserFactory()
        factories.MembershipFactory(
            user=user, organisation=factories.GroupFactory(), role="coordinator"
        )
    db.session.commit()
    login(user)

    assert client.post(settle_url(scene)).status_code == 403
    assert client.get(f"/distributions/groupes/{scene.group.id}/a-confirmer").status_code == 403
    if who in ("volunteer", "lead"):  # the day's team may open the closing page, not settle it
        page = client.post(
            f"/distributions/{scene.day.id}/cloturer", data={}, follow_redirects=True
        )
        assert "attend la confirmation de la coordination" in page_text(page)
    with pytest.raises(DomainError):
        unticked.mark_all_collected(scene.day, user, utcnow())
    db.session.rollback()
    assert count(DayClosing) == 0 and count(LedgerEntry) == 0
    assert db.session.scalar(select(UntickedDay)).is_open


def test_the_to_confirm_page_queries_do_not_grow_with_the_days(client, login):
    group = factories.GroupFactory()
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=group, role="coordinator")

    def flag_days(number):
        for _index in range(number):
            point = factories.PickupPointFactory(group=group)
            day = factories.DistributionDayFactory(
                schedule=factories.DistributionScheduleFactory(pickup_point=point)
            )
            db.session.add(UntickedDay(distribution_day_id=day.id, flagged_at=utcnow()))
        db.session.commit()

    login(coordinator)
    url = f"/distributions/groupes/{group.id}/a-confirmer"
    flag_days(1)
    with count_queries() as few:
        client.get(url)
    flag_days(5)
    with count_queries() as many:
        page = page_text(client.get(url))
    assert page.count("Tout a été retiré</button>") == 6
    assert many.count == few.count
