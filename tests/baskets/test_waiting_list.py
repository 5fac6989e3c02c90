"""The waiting list of a full basket: joining, position, withdrawing, places offered in order,
the reservation respected by sign-ups, expiry, and the scheduled jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.baskets import waiting_list
from marketplace.baskets.cancellation import cancel_by_coordinator
from marketplace.baskets.jobs import expire_waiting_list_offers, offer_waiting_list_places
from marketplace.baskets.models import Subscription, WaitingListEntry
from marketplace.baskets.subscribing import subscribe
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.scheduler.models import JobRun
from marketplace.scheduler.registry import Hourly, JobRegistry
from marketplace.scheduler.runner import run_due
from tests import factories
from tests.baskets.test_subscribing import Scenario, build_scenario
from tests.helpers import message_text
from tests.organisations.pages import page_text


def member_of(scenario: Scenario, name: str) -> User:
    user = factories.UserFactory(name=name)
    factories.MembershipFactory(user=user, organisation=scenario.offer.group, role="member")
    db.session.commit()
    return user


def sign_up(scenario: Scenario, user: User, now=None) -> Subscription:
    subscription = subscribe(
        scenario.offer,
        user,
        scenario.small,
        scenario.point,
        scenario.standard,
        "season",
        "cheque",
        now or utcnow(),
    )
    db.session.commit()
    return subscription


def wait(scenario: Scenario, user: User) -> WaitingListEntry:
    entry = waiting_list.join(scenario.offer, user, scenario.small, utcnow())
    db.session.commit()
    return entry


@pytest.fixture
def full(app):
    """The small basket (capacity 1) is taken by a first household."""
    scenario = build_scenario(utcnow(), capacity=1)
    holder = sign_up(scenario, member_of(scenario, "Foyer Martin"))
    return scenario, holder


def entry_state(user: User) -> str | None:
    db.session.expire_all()
    return db.session.scalar(
        select(WaitingListEntry.state)
        .where(WaitingListEntry.user_id == user.id)
        .order_by(WaitingListEntry.id.desc())
    )


# --- Joining, position, withdrawing ------------------------------------------------------------


def test_a_full_basket_offers_the_waiting_list_and_shows_the_position(client, login, full):
    scenario, _holder = full
    first = member_of(scenario, "Foyer Bernard")
    wait(scenario, first)
    login(scenario.member)

    page = page_text(client.get(f"/offres/{scenario.offer.id}/souscrire"))
    assert "Le Petit est complet." in page
    assert "M'inscrire sur la liste d'attente" in page

    response = client.post(
        f"/offres/{scenario.offer.id}/liste-d-attente", data={"size_id": scenario.small.id}
    )
    assert response.status_code == 302
    page = page_text(client.get(f"/offres/{scenario.offer.id}/souscrire"))
    assert "Vous êtes inscrit·e sur la liste d'attente du Petit." in page
    assert "Vous êtes 2e sur la liste d'attente du Petit." in page
    assert "Quitter la liste d'attente" in page


def test_joining_twice_is_refused_with_a_clear_message(client, login, full):
    scenario, _holder = full
    login(scenario.member)
    url = f"/offres/{scenario.offer.id}/liste-d-attente"
    client.post(url, data={"size_id": scenario.small.id})
    page = page_text(client.post(url, data={"size_id": scenario.small.id}, follow_redirects=True))
    assert "Vous êtes déjà sur la liste d'attente de ce contrat." in page
    assert db.session.scalar(select(func.count(WaitingListEntry.id))) == 1


def test_the_database_keeps_one_live_entry_per_household(full):
    scenario, _holder = full
    wait(scenario, scenario.member)
    db.session.add(
        WaitingListEntry(
            offer_id=scenario.offer.id, size_id=scenario.small.id, user_id=scenario.member.id
        )
    )
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError, whichever the driver
        db.session.flush()
    db.session.rollback()


def test_joining_a_size_with_places_left_is_refused(client, login, full):
    scenario, _holder = full
    login(scenario.member)
    page = page_text(
        client.post(
            f"/offres/{scenario.offer.id}/liste-d-attente",
            data={"size_id": scenario.large.id},
            follow_redirects=True,
        )
    )
    assert "Il reste des places pour ce panier" in page
    assert db.session.scalar(select(func.count(WaitingListEntry.id))) == 0


def test_a_size_of_another_offer_is_refused(client, login, full):
    scenario, _holder = full
    other = factories.BasketSizeFactory(capacity=1)
    db.session.commit()
    login(scenario.member)
    page = page_text(
        client.post(
            f"/offres/{scenario.offer.id}/liste-d-attente",
            data={"size_id": other.id},
            follow_redirects=True,
        )
    )
    assert "Choisissez une taille de panier de ce contrat." in page
    assert db.session.scalar(select(func.count(WaitingListEntry.id))) == 0


def test_withdrawing_leaves_the_list_and_moves_the_others_up(client, login, full):
    scenario, _holder = full
    wait(scenario, scenario.member)
    second = member_of(scenario, "Foyer Petit")
    wait(scenario, second)
    login(scenario.member)

    client.post(f"/offres/{scenario.offer.id}/liste-d-attente/se-retirer")

    assert entry_state(scenario.member) == "withdrawn"
    login(second)
    page = page_text(client.get(f"/offres/{scenario.offer.id}/souscrire"))
    assert "Vous êtes 1er·e sur la liste d'attente du Petit." in page


def test_people_outside_the_group_cannot_join(client, user_with_role, full):
    scenario, _holder = full
    user_with_role("member", factories.GroupFactory())
    response = client.post(
        f"/offres/{scenario.offer.id}/liste-d-attente", data={"size_id": scenario.small.id}
    )
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(WaitingListEntry.id))) == 0


# --- Offering freed places, reservation, expiry ------------------------------------------------


def test_a_freed_place_goes_to_the_first_household_with_an_email(full, outbox):
    scenario, holder = full
    first, second = member_of(scenario, "Foyer Bernard"), member_of(scenario, "Foyer Petit")
    wait(scenario, first)
    wait(scenario, second)

    now = utcnow()
    cancel_by_coordinator(holder, now)
    offered = waiting_list.offer_free_places(now)
    db.session.commit()

    assert [entry.user_id for entry in offered] == [first.id]
    assert (entry_state(first), entry_state(second)) == ("offered", "waiting")
    entry = db.session.get(WaitingListEntry, offered[0].id)
    assert entry.offer_expires_at == entry.offered_at + timedelta(hours=72)
    assert [message["To"] for message in outbox] == [first.email]
    assert "Une place vous attend" in outbox[0]["Subject"]
    assert f"/offres/{scenario.offer.id}/souscrire" in message_text(outbox[0])

    # Run again: the only free place is already offered.
    assert waiting_list.offer_free_places(utcnow()) == []
    db.session.commit()
    assert entry_state(second) == "waiting" and len(outbox) == 1


def test_an_offered_place_is_reserved_for_its_household(full):
    scenario, holder = full
    first = member_of(scenario, "Foyer Bernard")
    wait(scenario, first)
    cancel_by_coordinator(holder, utcnow())
    waiting_list.offer_free_places(utcnow())
    db.session.commit()

    with pytest.raises(DomainError, match="Ce panier est complet."):
        sign_up(scenario, scenario.member)
    db.session.rollback()

    sign_up(scenario, first)
    assert entry_state(first) == "accepted"


def test_an_unanswered_offer_expires_and_the_next_household_gets_the_place(full, outbox):
    scenario, holder = full
    first, second = member_of(scenario, "Foyer Bernard"), member_of(scenario, "Foyer Petit")
    wait(scenario, first)
    wait(scenario, second)
    now = utcnow()
    cancel_by_coordinator(holder, now)
    waiting_list.offer_free_places(now)
    db.session.commit()

    assert waiting_list.expire_offers(now + timedelta(hours=71)) == []
    later = now + timedelta(hours=73)
    expired = waiting_list.expire_offers(later)
    waiting_list.offer_free_places(later)
    db.session.commit()

    assert [entry.user_id for entry in expired] == [first.id]
    assert (entry_state(first), entry_state(second)) == ("expired", "offered")
    assert [message["To"] for message in outbox] == [first.email, first.email, second.email]
    assert "Place non retenue" in outbox[1]["Subject"]


def test_a_capacity_increase_offers_places_but_never_more_than_free(full):
    scenario, _holder = full
    households = [member_of(scenario, f"Foyer {n}") for n in range(3)]
    for household in households:
        wait(scenario, household)
    scenario.small.capacity = 3  # two more places
    db.session.commit()

    waiting_list.offer_free_places(utcnow())
    waiting_list.offer_free_places(utcnow())
    db.session.commit()

    assert [entry_state(household) for household in households] == [
        "offered",
        "offered",
        "waiting",
    ]


# --- The scheduled jobs ------------------------------------------------------------------------


def basket_jobs() -> JobRegistry:
    registry = JobRegistry()
    registry.register("expire_waiting_list_offers", Hourly(minute=5))(expire_waiting_list_offers)
    registry.register("offer_waiting_list_places", Hourly(minute=10))(offer_waiting_list_places)
    return registry


def test_the_jobs_are_in_the_scheduler_registry():
    from marketplace.jobs import load_jobs

    jobs = load_jobs()
    assert "offer_waiting_list_places" in jobs and "expire_waiting_list_offers" in jobs


def test_the_jobs_catch_up_after_downtime_and_running_twice_changes_nothing(full, outbox):
    scenario, holder = full
    first, second = member_of(scenario, "Foyer Bernard"), member_of(scenario, "Foyer Petit")
    wait(scenario, first)
    wait(scenario, second)
    cancel_by_coordinator(holder, utcnow())
    db.session.commit()
    registry = basket_jobs()

    # The scheduler was down for a day: one pass does the latest period of each job.
    reports = run_due(registry, utcnow() + timedelta(hours=1))
    assert sorted(report.job_name for report in reports) == [
        "expire_waiting_list_offers",
        "offer_waiting_list_places",
    ]
    assert all(report.outcome == "succeeded" for report in reports)
    assert (entry_state(first), entry_state(second)) == ("offered", "waiting")

    # A second pass in the same hour finds its periods done; forcing the job again is harmless.
    assert run_due(registry, utcnow() + timedelta(hours=1)) == []
    offer_waiting_list_places(None)
    db.session.commit()
    assert (entry_state(first), entry_state(second)) == ("offered", "waiting")
    assert [message["To"] for message in outbox] == [first.email]
    assert db.session.scalar(select(func.count(JobRun.id))) == 2


def test_the_expiry_job_expires_then_the_offering_job_serves_the_next(full, outbox):
    scenario, holder = full
    first, second = member_of(scenario, "Foyer Bernard"), member_of(scenario, "Foyer Petit")
    wait(scenario, first)
    wait(scenario, second)
    cancel_by_coordinator(holder, utcnow())
    waiting_list.offer_free_places(utcnow())
    entry = db.session.scalar(select(WaitingListEntry).where(WaitingListEntry.user_id == first.id))
    entry.offer_expires_at = utcnow() - timedelta(minutes=1)  # 72 hours have gone by
    db.session.commit()

    run_due(basket_jobs(), utcnow() + timedelta(hours=1))
    run_due(basket_jobs(), utcnow() + timedelta(hours=1))

    assert (entry_state(first), entry_state(second)) == ("expired", "offered")
    assert [message["To"] for message in outbox] == [
        first.email,
        first.email,
        second.email,
    ]


def test_the_subscribe_page_tells_an_offered_household_its_place_is_reserved(client, login, full):
    scenario, holder = full
    first = member_of(scenario, "Foyer Bernard")
    wait(scenario, first)
    cancel_by_coordinator(holder, utcnow())
    waiting_list.offer_free_places(utcnow())
    db.session.commit()
    login(first)

    page = page_text(client.get(f"/offres/{scenario.offer.id}/souscrire"))
    assert "elle vous est réservée jusqu'au" in page
    assert "Le Petit est complet." not in page
