"""The household's baskets page: coming and past deliveries, absences and gifts by buttons."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from flask_babel import format_date
from sqlalchemy import func, select

from marketplace.baskets.models import Delivery
from marketplace.extensions import db
from marketplace.payments.ledger import balance_cents
from marketplace.payments.models import LedgerEntry
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import count_queries

PAGE = "/mes-paniers"


def in_weeks(weeks: int) -> date:
    # Paris's date: the page lists the days from today in Paris, whatever the UTC date.
    return paris_today() + timedelta(weeks=weeks)


def make_subscription(user, policy="credit", max_absences=2, price_cents=1550, **offer_fields):
    offer = factories.BasketOfferFactory(
        absence_policy=policy, max_absences=max_absences, **offer_fields
    )
    size = factories.BasketSizeFactory(offer=offer, name="Grand panier", price_cents=price_cents)
    return factories.SubscriptionFactory(offer=offer, size=size, user=user)


def make_delivery(subscription, weeks: int = 1, **changes) -> Delivery:
    return factories.DeliveryFactory(
        subscription=subscription, distribution_day__occurrence_date=in_weeks(weeks), **changes
    )


@pytest.fixture
def household(login):
    user = factories.UserFactory(name="Foyer Martin")
    db.session.commit()
    return login(user)


@pytest.fixture
def subscription(household):
    subscription = make_subscription(
        household, name="Légumes de la Ferme du Tilleul", supply__producer__name="Ferme du Tilleul"
    )
    db.session.commit()
    return subscription


def credits_of(subscription) -> int:
    return db.session.scalar(
        select(func.count(LedgerEntry.id)).where(
            LedgerEntry.subscription_id == subscription.id, LedgerEntry.kind == "credit"
        )
    )


def shown(response) -> str:
    """The page's text as a person reads it (entities such as &#39; decoded)."""
    return html.unescape(response.text)


def reload(delivery: Delivery) -> Delivery:
    db.session.expire_all()
    return db.session.get(Delivery, delivery.id)


# --- The page ----------------------------------------------------------------------------------


def test_visitors_are_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/compte/connexion" in response.location
    response = client.post(f"{PAGE}/1/absence")
    assert response.status_code == 302 and "/compte/connexion" in response.location


def test_the_page_lists_coming_baskets_by_day_with_what_can_still_be_done(client, subscription):
    planned = make_delivery(subscription, weeks=1)
    absent = make_delivery(subscription, weeks=2, state="absent")
    given = make_delivery(subscription, weeks=3, state="given", given_to_name="Awa Diallo")
    closed = make_delivery(subscription, weeks=0)  # today: its order window has closed
    db.session.commit()

    page = client.get(PAGE)

    assert page.status_code == 200
    text = shown(page)
    assert "Légumes de la Ferme du Tilleul" in text and "Ferme du Tilleul" in text
    assert "Grand panier" in text
    assert subscription.pickup_point.name in text
    assert "18:00" in text and "19:30" in text  # Paris hours
    for delivery in (planned, absent, given, closed):
        assert format_date(delivery.distribution_day.day, "full") in text
        assert f'id="panier-{delivery.id}"' in text
    assert "Donné à Awa Diallo" in text and "Absent·e" in text
    assert f"/mes-paniers/{planned.id}/absence" in text
    assert f"/mes-paniers/{planned.id}/donner" in text
    assert f"/mes-paniers/{absent.id}/absence/annuler" in text
    assert f"/mes-paniers/{given.id}/donner/annuler" in text
    assert f"/mes-paniers/{closed.id}/" not in text
    assert "ce panier n'est plus modifiable" in text
    # The order of days is the calendar's.
    assert text.index(f'id="panier-{closed.id}"') < text.index(f'id="panier-{planned.id}"')


def test_the_absence_button_disappears_at_the_contract_maximum(client, household):
    subscription = make_subscription(household, max_absences=1)
    make_delivery(subscription, weeks=1, state="absent")
    planned = make_delivery(subscription, weeks=2)
    db.session.commit()

    text = shown(client.get(PAGE))

    assert f"/mes-paniers/{planned.id}/absence" not in text
    assert f"/mes-paniers/{planned.id}/donner" in text
    assert "le nombre maximum d'absences" in text


def test_past_baskets_of_the_last_eight_weeks_show_what_became_of_them(client, subscription):
    collected = make_delivery(subscription, weeks=-2, state="collected")
    donated = make_delivery(subscription, weeks=-7, state="donated")
    too_old = make_delivery(subscription, weeks=-9, state="collected")
    db.session.commit()

    text = shown(client.get(PAGE))

    assert "Paniers des 8 dernières semaines" in text
    assert format_date(collected.distribution_day.day, "medium") in text
    assert "Récupéré" in text and "Donné à l'épicerie solidaire" in text
    assert f'id="panier-{donated.id}"' in text
    assert f'id="panier-{too_old.id}"' not in text
    assert "/absence" not in text  # nothing to change in the past


def test_other_households_baskets_and_cancelled_subscriptions_are_not_listed(client, subscription):
    mine = make_delivery(subscription)
    someone_else = make_delivery(make_subscription(factories.UserFactory()))
    ended = make_subscription(subscription.user, status="published")
    ended.status, ended.cancelled_at = "cancelled", subscription.created_at
    old_basket = make_delivery(ended)
    db.session.commit()

    text = shown(client.get(PAGE))

    assert f'id="panier-{mine.id}"' in text
    assert f'id="panier-{someone_else.id}"' not in text
    assert f'id="panier-{old_basket.id}"' not in text


def test_an_empty_page_says_so(client, household):
    text = shown(client.get(PAGE))
    assert "Aucun panier à venir" in text and "Aucun panier ces dernières semaines" in text


def test_the_dashboard_links_members_to_their_baskets(client, user_with_role):
    user_with_role("member", factories.GroupFactory())
    assert 'href="/mes-paniers"' in shown(client.get("/tableau-de-bord"))


def test_the_page_runs_the_same_number_of_queries_whatever_the_number_of_baskets(client, household):
    vegetables = make_subscription(household, policy="postpone")
    eggs = make_subscription(household)
    make_delivery(vegetables, weeks=1)
    make_delivery(eggs, weeks=2, state="given", given_to_name="Awa")
    make_delivery(eggs, weeks=-1, state="collected")
    db.session.commit()
    db.session.expire_all()
    with count_queries() as few:
        assert client.get(PAGE).status_code == 200

    for weeks in range(2, 20):
        later = make_delivery(vegetables, weeks=weeks, state="absent" if weeks == 2 else "planned")
        if weeks == 3:
            db.session.flush()
            previous = db.session.scalar(
                select(Delivery).where(
                    Delivery.state == "absent", Delivery.subscription_id == vegetables.id
                )
            )
            previous.postponed_to = later
    for weeks in range(3, 20):
        make_delivery(eggs, weeks=weeks)
    for weeks in range(-7, -5):
        make_delivery(eggs, weeks=weeks, state="not_collected")
    db.session.commit()
    assert db.session.scalar(select(func.count(Delivery.id))) == 40
    db.session.expire_all()
    with count_queries() as many:
        page = client.get(PAGE)
    assert page.status_code == 200
    assert shown(page).count('class="card" id="panier-') == 37
    assert many.count == few.count


# --- Absences ----------------------------------------------------------------------------------


def test_declaring_an_absence_credits_the_basket_and_cancelling_gives_it_back(client, subscription):
    delivery = make_delivery(subscription)
    db.session.commit()

    response = client.post(f"{PAGE}/{delivery.id}/absence", follow_redirects=True)

    assert response.status_code == 200
    assert "Absence enregistrée pour le" in shown(response)
    assert "15,50\xa0€ sont crédités sur votre compte" in shown(response)
    assert reload(delivery).state == "absent"
    assert balance_cents(subscription.user_id, subscription.group_id) == 1550

    response = client.post(f"{PAGE}/{delivery.id}/absence/annuler", follow_redirects=True)

    assert "Absence annulée" in shown(response)
    assert reload(delivery).state == "planned"
    assert balance_cents(subscription.user_id, subscription.group_id) == 0


def test_a_replayed_absence_gets_a_clear_message_and_one_credit_only(client, subscription):
    delivery = make_delivery(subscription)
    db.session.commit()
    client.post(f"{PAGE}/{delivery.id}/absence")

    response = client.post(f"{PAGE}/{delivery.id}/absence", follow_redirects=True)

    assert "Ce panier est déjà déclaré absent." in shown(response)
    assert credits_of(subscription) == 1
    assert balance_cents(subscription.user_id, subscription.group_id) == 1550


def test_a_postponed_absence_says_where_the_basket_goes(client, household):
    subscription = make_subscription(household, policy="postpone")
    delivery = make_delivery(subscription, weeks=1)
    later = make_delivery(subscription, weeks=2)
    db.session.commit()

    response = client.post(f"{PAGE}/{delivery.id}/absence", follow_redirects=True)

    day = format_date(later.distribution_day.day, "full")
    assert f"votre panier est reporté au {day}" in shown(response)
    assert reload(later).quantity == 2
    assert "2 paniers" in shown(response)


def test_a_donated_absence_says_the_grocery_gets_the_basket(client, household):
    delivery = make_delivery(make_subscription(household, policy="donate"))
    db.session.commit()
    response = client.post(f"{PAGE}/{delivery.id}/absence", follow_redirects=True)
    assert "votre panier sera donné à l'épicerie solidaire" in shown(response)


def test_an_absence_after_the_deadline_is_refused(client, subscription):
    delivery = make_delivery(subscription, weeks=0)
    db.session.commit()

    response = client.post(f"{PAGE}/{delivery.id}/absence", follow_redirects=True)

    assert "Trop tard : les absences se déclarent avant la clôture des commandes" in shown(response)
    assert reload(delivery).state == "planned" and credits_of(subscription) == 0


def test_an_absence_on_a_cancelled_day_is_refused(client, subscription):
    delivery = make_delivery(subscription)
    delivery.distribution_day.status = "cancelled"
    db.session.commit()

    page = shown(client.get(PAGE))
    assert "Distribution annulée" in page and f"{delivery.id}/absence" not in page
    response = client.post(f"{PAGE}/{delivery.id}/absence", follow_redirects=True)
    assert "est annulée" in shown(response)
    assert reload(delivery).state == "planned"


def test_an_absence_over_the_limit_is_refused(client, household):
    subscription = make_subscription(household, max_absences=1)
    make_delivery(subscription, weeks=1, state="absent")
    delivery = make_delivery(subscription, weeks=2)
    db.session.commit()
    response = client.post(f"{PAGE}/{delivery.id}/absence", follow_redirects=True)
    assert "Vous avez déjà déclaré 1 absence, le maximum prévu par ce contrat." in shown(response)
    assert reload(delivery).state == "planned"


# --- Gifts -------------------------------------------------------------------------------------


def test_giving_a_basket_and_cancelling_the_gift(client, subscription):
    delivery = make_delivery(subscription)
    db.session.commit()
    prefix = f"gift-{delivery.id}-"

    response = client.post(
        f"{PAGE}/{delivery.id}/donner",
        data={f"{prefix}name": "Awa Diallo", f"{prefix}email": "awa@example.org"},
        follow_redirects=True,
    )

    assert "sera remis à Awa Diallo" in shown(response)
    given = reload(delivery)
    assert (given.state, given.given_to_name, given.given_to_email) == (
        "given",
        "Awa Diallo",
        "awa@example.org",
    )

    response = client.post(f"{PAGE}/{delivery.id}/donner/annuler", follow_redirects=True)
    assert "Don annulé" in shown(response)
    assert reload(delivery).state == "planned" and reload(delivery).given_to_name is None


@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("", "", "Indiquez le nom de la personne qui viendra chercher le panier."),
        ("Awa", "awa-at-example", "Cette adresse e-mail n'est pas valide."),
        ("A" * 121, "", "120 caractères au maximum."),
    ],
)
def test_a_gift_without_a_name_or_with_a_bad_email_shows_the_error(
    client, subscription, name, email, message
):
    delivery = make_delivery(subscription)
    db.session.commit()
    prefix = f"gift-{delivery.id}-"

    response = client.post(
        f"{PAGE}/{delivery.id}/donner", data={f"{prefix}name": name, f"{prefix}email": email}
    )

    assert response.status_code == 200
    assert message in shown(response)
    assert '<details class="gift" open>' in shown(response)
    assert reload(delivery).state == "planned" and reload(delivery).given_to_name is None


def test_a_replayed_or_late_gift_gets_its_reason(client, subscription):
    given = make_delivery(subscription, weeks=1, state="given", given_to_name="Awa Diallo")
    late = make_delivery(subscription, weeks=0)
    db.session.commit()

    response = client.post(
        f"{PAGE}/{given.id}/donner", data={f"gift-{given.id}-name": ""}, follow_redirects=True
    )
    assert "Ce panier est déjà donné à Awa Diallo." in shown(response)
    assert reload(given).given_to_name == "Awa Diallo"

    response = client.post(
        f"{PAGE}/{late.id}/donner", data={f"gift-{late.id}-name": "Marc"}, follow_redirects=True
    )
    assert "Trop tard : un panier se donne avant la clôture des commandes" in shown(response)
    assert reload(late).state == "planned"


# --- Someone else's basket ---------------------------------------------------------------------


@pytest.mark.parametrize("action", ["absence", "absence/annuler", "donner", "donner/annuler"])
def test_someone_elses_basket_is_not_found_and_stays_unchanged(client, household, action):
    other = make_subscription(factories.UserFactory())
    state = {"absence/annuler": "absent", "donner/annuler": "given"}.get(action, "planned")
    delivery = make_delivery(other, state=state, given_to_name="Awa" if state == "given" else None)
    db.session.commit()

    response = client.post(
        f"{PAGE}/{delivery.id}/{action}", data={f"gift-{delivery.id}-name": "Intrus"}
    )

    assert response.status_code == 404
    assert reload(delivery).state == state
    assert credits_of(other) == 0


def test_an_unknown_basket_is_not_found(client, household):
    assert client.post(f"{PAGE}/999999/absence").status_code == 404


def test_a_coordinator_cannot_change_a_members_basket(client, user_with_role):
    subscription = make_subscription(factories.UserFactory())
    delivery = make_delivery(subscription)
    user_with_role("coordinator", subscription.offer.group)
    assert client.post(f"{PAGE}/{delivery.id}/absence").status_code == 404
    assert reload(delivery).state == "planned"


def test_actions_need_the_csrf_token(make_app, subscription, login):
    delivery = make_delivery(subscription)
    db.session.commit()
    guarded = make_app(WTF_CSRF_ENABLED=True)
    with guarded.test_client() as browser:
        with browser.session_transaction() as session:
            session["_user_id"] = str(subscription.user_id)
            session["_fresh"] = True
        assert browser.post(f"{PAGE}/{delivery.id}/absence").status_code == 400
    assert reload(delivery).state == "planned"
