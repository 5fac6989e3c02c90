"""The checklist page, its service worker, manifest and the days list."""

from __future__ import annotations

from datetime import timedelta

from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import count_queries, login_id
from tests.pickup import scenario


def page_url(day_id):
    return f"/distributions/{day_id}/liste"


def test_volunteer_sees_households_items_and_counts(client, login, app):
    setup = scenario.make_day()
    household = factories.UserFactory(name="Famille Dupont")
    scenario.add_basket(setup, user=household, size_index=1)
    scenario.add_order(setup, user=household)
    scenario.add_basket(setup, state="given", given_to_name="Awa Diallo")
    login(scenario.volunteer(setup))
    db.session.commit()

    response = client.get(page_url(setup.day.id))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Famille Dupont" in page and "Awa Diallo" in page
    assert "1 × Grand — Légumes de saison" in page
    assert "1,5 kg Tomme" in page
    assert "Récupéré" in page and "Non récupéré" in page and "Ajouter une note" in page
    assert "js/checklist.js" in page and "<script>" not in page and "style=" not in page
    assert "Solidaire" not in page and "€" not in page


def test_closed_day_shows_no_buttons(client, login, app):
    setup = scenario.make_day()
    scenario.add_basket(setup)
    factories.DayClosingFactory(distribution_day=setup.day)
    login(scenario.volunteer(setup))
    db.session.commit()

    page = client.get(page_url(setup.day.id)).get_data(as_text=True)

    assert "clôturée" in page
    assert 'data-action="collected"' not in page


def test_members_and_other_days_volunteers_are_refused(client, login, user_with_role, app):
    setup = scenario.make_day()
    scenario.add_basket(setup)
    db.session.commit()
    user_with_role("member", setup.day.group)
    assert client.get(page_url(setup.day.id)).status_code == 403
    login(scenario.volunteer(scenario.make_day()))
    db.session.commit()
    assert client.get(page_url(setup.day.id)).status_code == 403


def test_coordinator_sees_the_page_and_missing_day_is_404(client, user_with_role, app):
    setup = scenario.make_day()
    db.session.commit()
    user_with_role("coordinator", setup.day.group)
    assert client.get(page_url(setup.day.id)).status_code == 200
    assert client.get(page_url(999999)).status_code == 404


def test_login_required(client, app):
    setup = scenario.make_day()
    db.session.commit()
    response = client.get(page_url(setup.day.id))
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_service_worker_and_manifest(client, app):
    worker = client.get("/distributions/liste-sw.js")
    manifest = client.get("/distributions/manifest.webmanifest")

    assert worker.status_code == 200
    assert "javascript" in worker.content_type
    assert worker.headers["Service-Worker-Allowed"] == "/distributions/"
    assert manifest.status_code == 200
    assert manifest.get_json()["short_name"] == "Liste du jour"


def test_my_days_lists_roster_days_and_coordinated_groups(client, login, app):
    today = paris_today()
    on_duty = scenario.make_day(occurrence_date=today + timedelta(days=1))
    coordinated = scenario.make_day(occurrence_date=today + timedelta(days=2))
    unrelated = scenario.make_day(occurrence_date=today + timedelta(days=3))
    person = scenario.volunteer(on_duty)
    factories.MembershipFactory(user=person, organisation=coordinated.day.group, role="coordinator")
    db.session.commit()
    login(person)

    page = client.get("/distributions/").get_data(as_text=True)

    assert page_url(on_duty.day.id) in page
    assert page_url(coordinated.day.id) in page
    assert page_url(unrelated.day.id) not in page


def test_the_dashboard_links_the_day_lists_only_to_who_runs_a_day_today(
    client, user_with_role, app
):
    setup = scenario.make_day(occurrence_date=paris_today() + timedelta(days=3))
    db.session.commit()
    user_with_role("coordinator", setup.day.group)
    assert "/distributions/" not in client.get("/tableau-de-bord").get_data(as_text=True)

    factories.DistributionDayFactory(schedule=setup.day.schedule, occurrence_date=paris_today())
    db.session.commit()
    assert "/distributions/" in client.get("/tableau-de-bord").get_data(as_text=True)


def _queries_for(client, households: int) -> int:
    setup = scenario.make_day()
    scenario.add_households(setup, households)
    volunteer = scenario.volunteer(setup)
    db.session.commit()
    day_id = setup.day.id
    with client.session_transaction() as session:
        session["_user_id"] = login_id(volunteer)
    counts = []
    for url in (page_url(day_id), f"/api/pickup/days/{day_id}/checklist"):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        counts.append(counter.count)
    return counts


def test_constant_number_of_queries_at_20_and_500_households(client, app):
    assert _queries_for(client, 20) == _queries_for(client, 500)


def test_the_rows_are_rendered_once_per_version_of_the_list(client, login, app, monkeypatch):
    from marketplace.pickup import checklist as checklist_module

    rendered = []
    render = checklist_module.render_template

    def counted(template, **context):
        if template == "pickup/_checklist_rows.html":
            rendered.append(template)
        return render(template, **context)

    monkeypatch.setattr(checklist_module, "render_template", counted)
    setup = scenario.make_day()
    scenario.add_households(setup, 5)
    login(scenario.volunteer(setup))
    db.session.commit()

    first = client.get(page_url(setup.day.id)).get_data(as_text=True)
    again = client.get(page_url(setup.day.id)).get_data(as_text=True)
    assert len(rendered) == 1
    assert first.count('["u') == again.count('["u') == 5

    household = factories.UserFactory(name="Famille Nouvelle")
    scenario.add_basket(setup, user=household)
    db.session.commit()
    page = client.get(page_url(setup.day.id)).get_data(as_text=True)
    assert len(rendered) == 2 and "Famille Nouvelle" in page
