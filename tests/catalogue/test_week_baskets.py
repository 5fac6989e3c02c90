"""The basket of the week: announced by the producer (or a coordinator), seen by households on
their dashboard and in the day-before email, by volunteers on the checklist and sign-off sheet."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from marketplace.catalogue.week_models import WeekBasket, WeekBasketItem
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import count_queries, login_id, message_text
from tests.pickup import scenario


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.text)


def _setup(days_ahead: int = 3):
    setup = scenario.make_day(occurrence_date=paris_today() + timedelta(days=days_ahead))
    return setup


def _staff(setup, login):
    user = factories.UserFactory(name="Paul Maraîcher")
    factories.MembershipFactory(user=user, organisation=setup.offer.producer, role="producer_staff")
    db.session.commit()
    return login(user)


def _edit_url(setup, day=None) -> str:
    return f"/offres/{setup.offer.id}/distributions/{(day or setup.day).id}/semaine"


def _announce(client, setup, small="Carottes — 1 kg\nPoireaux : 3", large="", **extra):
    small_size, large_size = setup.sizes
    data = {f"size_{small_size.id}": small, f"size_{large_size.id}": large, "note": "", **extra}
    return client.post(_edit_url(setup), data=data, content_type="multipart/form-data")


def _items():
    return [
        (item.name, item.quantity)
        for item in db.session.scalars(
            select(WeekBasketItem).order_by(WeekBasketItem.size_id, WeekBasketItem.position)
        )
    ]


def test_the_producer_announces_the_basket_and_everyone_sees_it(client, login):
    setup = _setup()
    household = factories.UserFactory(name="Foyer Martin")
    factories.MembershipFactory(user=household, organisation=setup.day.group, role="member")
    scenario.add_basket(setup, user=household, size_index=0)
    volunteer = scenario.volunteer(setup)
    _staff(setup, login)

    assert "Annoncer le panier" in client.get(f"/offres/{setup.offer.id}/semaine").text
    response = _announce(
        client, setup, large="Carottes — 2 kg\nChou-fleur - 1 pièce", note="Premières fèves !"
    )
    assert response.status_code == 302
    assert _items() == [
        ("Carottes", "1 kg"),
        ("Poireaux", "3"),
        ("Carottes", "2 kg"),
        ("Chou-fleur", "1 pièce"),
    ]
    days_page = _text(client.get(f"/offres/{setup.offer.id}/semaine"))
    assert "<strong>Petit</strong> : Carottes — 1 kg, Poireaux — 3" in days_page
    assert "Modifier le panier" in days_page
    edit_page = client.get(_edit_url(setup)).text
    assert "Carottes — 2 kg\nChou-fleur — 1 pièce" in edit_page

    login(household)
    page = _text(client.get("/tableau-de-bord"))
    assert "Carottes — 1 kg" in page and "Poireaux — 3" in page
    assert "Chou-fleur" not in page  # the household's own size only
    assert "Premières fèves !" in page

    login(volunteer)
    page = _text(client.get(f"/distributions/{setup.day.id}/liste"))
    assert "Paniers de la semaine" in page and "Chou-fleur — 1 pièce" in page

    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=setup.day.group, role="coordinator")
    db.session.commit()
    login(coordinator)
    sheet = _text(client.get(f"/distributions/{setup.day.id}/emargement"))
    assert "Carottes — 2 kg" in sheet


def test_a_photo_is_checked_and_re_encoded(client, login):
    setup = _setup()
    _staff(setup, login)
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 1000), (200, 90, 30)).save(buffer, "PNG")
    response = _announce(client, setup, photo=(io.BytesIO(buffer.getvalue()), "panier.png"))
    assert response.status_code == 302
    basket = db.session.scalar(select(WeekBasket))
    assert (basket.photo_width, basket.photo_height) == (1200, 600)
    served = client.get(f"/paniers-de-la-semaine/{basket.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"

    refused = _announce(
        client, setup, small="Navets — 1 botte", photo=(io.BytesIO(b"%PDF-1.4 nope"), "x.jpg")
    )
    assert refused.status_code == 200
    assert "pas une image lisible" in refused.text
    db.session.expire_all()
    assert ("Navets", "1 botte") not in _items()  # nothing changed


def test_bad_lines_are_refused_with_the_line_named_and_nothing_changes(client, login):
    setup = _setup()
    _staff(setup, login)
    assert _announce(client, setup).status_code == 302
    before = _items()

    response = _announce(client, setup, small="Carottes — 1 kg\nJuste des navets")
    assert response.status_code == 200
    assert "Ligne 2" in response.text and "Carottes — 1 kg" in response.text
    too_long = _announce(client, setup, small="C" * 81 + " — 1 kg")
    assert "Ligne 1" in too_long.text
    too_many = _announce(client, setup, small="\n".join(f"P{n} — 1" for n in range(31)))
    assert "30 lignes au plus" in too_many.text
    db.session.expire_all()
    assert _items() == before


def test_who_may_announce(client, login):
    setup = _setup()
    other_farm = factories.ProducerFactory()
    outsider = factories.UserFactory()
    factories.MembershipFactory(user=outsider, organisation=other_farm, role="producer_staff")
    member = factories.UserFactory()
    factories.MembershipFactory(user=member, organisation=setup.day.group, role="member")
    coordinator = factories.UserFactory()
    factories.MembershipFactory(user=coordinator, organisation=setup.day.group, role="coordinator")
    other_group_day = factories.DistributionDayFactory()
    db.session.commit()

    for user in (outsider, member):
        login(user)
        assert client.get(f"/offres/{setup.offer.id}/semaine").status_code == 403
        assert _announce(client, setup).status_code == 403
        assert client.post(_edit_url(setup) + "/copier").status_code == 403
    assert db.session.scalar(select(func.count(WeekBasket.id))) == 0

    login(coordinator)
    assert _announce(client, setup).status_code == 302
    # A day of another group is not a day of this contract.
    assert client.get(_edit_url(setup, other_group_day)).status_code == 404


def test_copy_last_week_copies_once_even_on_a_double_click(client, login):
    last_week = _setup(days_ahead=1)
    this_week_day = factories.DistributionDayFactory(
        schedule=last_week.day.schedule, occurrence_date=last_week.day.day + timedelta(days=7)
    )
    staff = _staff(last_week, login)
    assert _announce(client, last_week, note="Bon appétit").status_code == 302
    copy_url = _edit_url(last_week, this_week_day) + "/copier"

    first = client.post(copy_url)
    second = client.post(copy_url)

    assert first.status_code == second.status_code == 302
    copied = db.session.scalar(
        select(WeekBasket).where(WeekBasket.distribution_day_id == this_week_day.id)
    )
    assert [(item.name, item.quantity) for item in copied.items] == [
        ("Carottes", "1 kg"),
        ("Poireaux", "3"),
    ]
    assert copied.note == "Bon appétit" and copied.updated_by_id == staff.id
    assert db.session.scalar(select(func.count(WeekBasket.id))) == 2

    nothing_before = client.post(_edit_url(last_week) + "/copier", follow_redirects=True)
    assert "annoncé avant cette distribution." in nothing_before.text


def _dashboard_and_checklist_queries(client, contracts: int) -> tuple[int, int]:
    setup = _setup()
    household = factories.UserFactory()
    factories.MembershipFactory(user=household, organisation=setup.day.group, role="member")
    volunteer = scenario.volunteer(setup)
    sizes = [setup.sizes[0]] + [
        scenario.other_offer_size(setup, name=f"Contrat {n}") for n in range(contracts - 1)
    ]
    for size in sizes:
        scenario.add_basket(setup, user=household, size=size)
        basket = WeekBasket(offer_id=size.offer_id, distribution_day_id=setup.day.id)
        basket.items = [WeekBasketItem(size_id=size.id, position=0, name="Pommes", quantity="1")]
        db.session.add(basket)
    db.session.commit()
    counts = []
    for user, url in (
        (household, "/tableau-de-bord"),
        (volunteer, f"/distributions/{setup.day.id}/liste"),
    ):
        with client.session_transaction() as session:
            session["_user_id"] = login_id(user)
        with count_queries() as counter:
            response = client.get(url)
            assert response.status_code == 200 and "Pommes" in response.text
        counts.append(counter.count)
    return counts[0], counts[1]


def test_dashboard_and_checklist_queries_do_not_grow_with_contracts(client):
    one = _dashboard_and_checklist_queries(client, 1)
    db.session.expire_all()
    assert _dashboard_and_checklist_queries(client, 5) == one


def test_households_are_reminded_once_the_day_before_with_their_basket(client, login, outbox):
    from marketplace.db import utcnow
    from marketplace.jobs import load_jobs
    from marketplace.scheduler.runner import run_period

    tomorrow = _setup(days_ahead=1)
    later = factories.DistributionDayFactory(
        schedule=tomorrow.day.schedule, occurrence_date=tomorrow.day.day + timedelta(days=7)
    )
    household = factories.UserFactory(name="Foyer Martin", email="martin@exemple.fr")
    scenario.add_basket(tomorrow, user=household, size_index=1)
    factories.DeliveryFactory(
        subscription=household_subscription(household), distribution_day=later
    )
    absent = scenario.add_basket(tomorrow, state="absent")
    _staff(tomorrow, login)
    _announce(client, tomorrow, large="Courge — 1 pièce", note="Bonne soupe")

    job = load_jobs().get("remind_households")
    period = job.cadence.period_of_day(paris_today())
    assert run_period(job, period, utcnow()).outcome == "succeeded"
    run_period(job, period, utcnow(), force=True)  # again: nothing more

    assert [message["To"] for message in outbox] == ["martin@exemple.fr"]
    body = message_text(outbox[0])
    assert "1 panier Grand" in body and "Courge — 1 pièce" in body and "Bonne soupe" in body
    assert absent.subscription.user.email not in [message["To"] for message in outbox]


def household_subscription(user):
    from marketplace.baskets.models import Subscription

    return db.session.scalar(select(Subscription).where(Subscription.user_id == user.id))


def test_a_failed_reminder_never_stops_the_others_and_is_tried_again(monkeypatch, outbox):
    import smtplib

    from marketplace.db import utcnow
    from marketplace.pickup import reminders

    tomorrow = _setup(days_ahead=1)
    unlucky = factories.UserFactory(email="panne@exemple.fr")
    lucky = factories.UserFactory(email="ok@exemple.fr")
    scenario.add_basket(tomorrow, user=unlucky)
    scenario.add_basket(tomorrow, user=lucky)
    db.session.commit()
    real_send = reminders.send_email

    def flaky(to, *args, **kwargs):
        if to == "panne@exemple.fr":
            raise smtplib.SMTPServerDisconnected("down")
        return real_send(to, *args, **kwargs)

    monkeypatch.setattr(reminders, "send_email", flaky)
    assert reminders.send_pickup_reminders(paris_today(), utcnow()) == 1
    db.session.commit()
    assert [message["To"] for message in outbox] == ["ok@exemple.fr"]

    monkeypatch.setattr(reminders, "send_email", real_send)
    assert reminders.send_pickup_reminders(paris_today(), utcnow()) == 1
    db.session.commit()  # the reminder waits in the outbox until its transaction commits
    assert sorted(message["To"] for message in outbox) == ["ok@exemple.fr", "panne@exemple.fr"]
    assert reminders.send_pickup_reminders(paris_today(), utcnow()) == 0


def test_the_contract_days_page_reads_in_constant_queries(client, login):
    setup = _setup()
    _staff(setup, login)
    _announce(client, setup)
    url = f"/offres/{setup.offer.id}/semaine"
    with count_queries() as one_day:
        assert client.get(url).status_code == 200
    for week in range(1, 6):
        day = factories.DistributionDayFactory(
            schedule=setup.day.schedule, occurrence_date=setup.day.day + timedelta(weeks=week)
        )
        basket = WeekBasket(offer_id=setup.offer.id, distribution_day_id=day.id)
        basket.items = [
            WeekBasketItem(size_id=size.id, position=0, name="Radis", quantity="1 botte")
            for size in setup.sizes
        ]
        db.session.add(basket)
    db.session.commit()
    with count_queries() as six_days:
        assert client.get(url).text.count("Radis — 1 botte") == 10
    assert six_days.count == one_day.count
