"""Members sign up and cancel; coordinators assign, remove and name the lead."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.shifts.models import ShiftSignup
from tests import factories
from tests.shifts.support import day_in, group_with_day, member_of


def _live_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(ShiftSignup).where(ShiftSignup.state == "signed_up")
    )


def _sign_up_url(day, role):
    return f"/groupes/{day.group_id}/permanences/distributions/{day.id}/roles/{role.id}/inscription"


def test_member_signs_up_in_one_click(client, user_with_role):
    day, role = group_with_day()
    user = user_with_role(Role.MEMBER, day.group)

    page = client.get(f"/groupes/{day.group_id}/permanences")
    assert page.status_code == 200
    assert "Je m&#39;inscris" in page.text or "Je m'inscris" in page.text

    response = client.post(_sign_up_url(day, role), follow_redirects=True)
    assert "Merci ! Vous êtes inscrit·e : Émargement." in response.text
    assert "Me désinscrire" in response.text
    signup = db.session.scalar(select(ShiftSignup))
    assert (signup.user_id, signup.role_id, signup.state) == (user.id, role.id, "signed_up")
    assert signup.assigned_by_id is None


def test_full_role_is_refused(client, user_with_role):
    day, role = group_with_day(needed=1)
    factories.ShiftSignupFactory(distribution_day=day, role=role, user=member_of(day.group))
    db.session.commit()
    user_with_role(Role.MEMBER, day.group)

    response = client.post(_sign_up_url(day, role), follow_redirects=True)
    assert "Ce rôle est complet pour cette distribution." in response.text
    assert _live_count() == 1


def test_past_day_is_refused(client, user_with_role):
    day = day_in(-2)
    role = factories.VolunteerRoleFactory(group=day.group)
    db.session.commit()
    user_with_role(Role.MEMBER, day.group)

    response = client.post(_sign_up_url(day, role), follow_redirects=True)
    assert "Cette distribution a déjà eu lieu" in response.text
    assert _live_count() == 0


def test_cancelled_day_is_refused(client, user_with_role):
    day, role = group_with_day()
    day.status = "cancelled"
    db.session.commit()
    user_with_role(Role.MEMBER, day.group)

    response = client.post(_sign_up_url(day, role), follow_redirects=True)
    assert "Cette distribution est annulée." in response.text
    assert _live_count() == 0


def test_duplicate_signup_is_refused(client, user_with_role):
    day, role = group_with_day()
    user_with_role(Role.MEMBER, day.group)
    client.post(_sign_up_url(day, role))

    response = client.post(_sign_up_url(day, role), follow_redirects=True)
    assert "Vous êtes déjà inscrit·e pour ce rôle à cette distribution." in response.text
    assert _live_count() == 1


def test_non_member_cannot_see_or_sign_up(client, login):
    day, role = group_with_day()
    outsider = login(factories.UserFactory())
    db.session.commit()
    assert client.get(f"/groupes/{day.group_id}/permanences").status_code == 403
    assert client.post(_sign_up_url(day, role)).status_code == 403
    assert _live_count() == 0
    assert outsider.id


def test_role_of_another_group_is_not_found(client, user_with_role):
    day, _ = group_with_day()
    foreign_role = factories.VolunteerRoleFactory()
    db.session.commit()
    user_with_role(Role.MEMBER, day.group)
    assert client.post(_sign_up_url(day, foreign_role)).status_code == 404


def test_cancel_before_cutoff(client, user_with_role):
    day, role = group_with_day(days=7)
    user = user_with_role(Role.MEMBER, day.group)
    signup = factories.ShiftSignupFactory(distribution_day=day, role=role, user=user)
    db.session.commit()

    response = client.post(
        f"/groupes/{day.group_id}/permanences/inscriptions/{signup.id}/desinscription",
        follow_redirects=True,
    )
    assert "Vous n&#39;êtes plus inscrit·e" in response.text
    db.session.refresh(signup)
    assert signup.state == "cancelled" and signup.cancelled_at is not None


def test_cancel_after_cutoff_says_to_contact_coordinators(client, user_with_role):
    day, role = group_with_day(days=1)  # tomorrow 18:00: within the 48 h cut-off
    user = user_with_role(Role.MEMBER, day.group)
    signup = factories.ShiftSignupFactory(distribution_day=day, role=role, user=user)
    db.session.commit()

    page = client.get(f"/groupes/{day.group_id}/permanences")
    assert "Me désinscrire" not in page.text
    assert "prévenez la coordination du groupe" in page.text
    response = client.post(
        f"/groupes/{day.group_id}/permanences/inscriptions/{signup.id}/desinscription",
        follow_redirects=True,
    )
    assert "Il est trop tard pour vous désinscrire en ligne" in response.text
    db.session.refresh(signup)
    assert signup.state == "signed_up"


def test_cannot_cancel_someone_elses_signup(client, user_with_role):
    day, role = group_with_day()
    signup = factories.ShiftSignupFactory(
        distribution_day=day, role=role, user=member_of(day.group)
    )
    db.session.commit()
    user_with_role(Role.MEMBER, day.group)
    url = f"/groupes/{day.group_id}/permanences/inscriptions/{signup.id}/desinscription"
    assert client.post(url).status_code == 404
    db.session.refresh(signup)
    assert signup.state == "signed_up"


# --- Coordinators ------------------------------------------------------------------------------


def _assign_url(day, role):
    return f"/groupes/{day.group_id}/permanences/distributions/{day.id}/roles/{role.id}/affectation"


def test_coordinator_assigns_a_member_and_names_the_lead(client, user_with_role):
    day, role = group_with_day()
    person = member_of(day.group, name="Camille Martin")
    coordinator = user_with_role(Role.COORDINATOR, day.group)

    page = client.get(f"/groupes/{day.group_id}/permanences/distributions/{day.id}")
    assert "Camille Martin" in page.text
    response = client.post(
        _assign_url(day, role), data={f"role-{role.id}-user_id": person.id}, follow_redirects=True
    )
    assert "Camille Martin est inscrit·e : Émargement." in response.text
    signup = db.session.scalar(select(ShiftSignup))
    assert signup.user_id == person.id and signup.assigned_by_id == coordinator.id

    response = client.post(
        f"/groupes/{day.group_id}/permanences/inscriptions/{signup.id}/responsable",
        follow_redirects=True,
    )
    assert "Camille Martin est responsable de la permanence." in response.text
    db.session.refresh(signup)
    assert signup.is_lead

    response = client.post(
        f"/groupes/{day.group_id}/permanences/inscriptions/{signup.id}/retrait",
        follow_redirects=True,
    )
    assert "Camille Martin n&#39;est plus inscrit·e." in response.text
    db.session.refresh(signup)
    assert signup.state == "cancelled" and not signup.is_lead


def test_assigning_a_non_member_shows_a_form_error(client, user_with_role):
    day, role = group_with_day()
    outsider = factories.UserFactory(name="Personne Extérieure")
    user_with_role(Role.COORDINATOR, day.group)

    response = client.post(_assign_url(day, role), data={f"role-{role.id}-user_id": outsider.id})
    assert response.status_code == 422
    assert "Personne Extérieure n&#39;est pas membre du groupe." in response.text
    assert _live_count() == 0


def test_assigning_nobody_shows_a_form_error(client, user_with_role):
    day, role = group_with_day()
    user_with_role(Role.COORDINATOR, day.group)
    response = client.post(_assign_url(day, role), data={f"role-{role.id}-user_id": "abc"})
    assert response.status_code == 422
    assert "Choisissez une personne du groupe." in response.text


def test_member_cannot_assign_or_remove(client, user_with_role):
    day, role = group_with_day()
    other = member_of(day.group)
    signup = factories.ShiftSignupFactory(distribution_day=day, role=role, user=other)
    db.session.commit()
    user_with_role(Role.MEMBER, day.group)
    base = f"/groupes/{day.group_id}/permanences"
    assert (
        client.post(_assign_url(day, role), data={f"role-{role.id}-user_id": other.id}).status_code
        == 403
    )
    assert client.post(f"{base}/inscriptions/{signup.id}/retrait").status_code == 403
    assert client.post(f"{base}/inscriptions/{signup.id}/responsable").status_code == 403
    assert client.get(f"{base}/distributions/{day.id}").status_code == 403
    db.session.refresh(signup)
    assert signup.state == "signed_up" and not signup.is_lead


def test_coordinator_of_another_group_is_refused(client, user_with_role):
    day, role = group_with_day()
    user_with_role(Role.COORDINATOR, factories.GroupFactory())
    base = f"/groupes/{day.group_id}/permanences"
    for url in (
        f"{base}/suivi",
        f"{base}/roles",
        f"{base}/compteurs",
        f"{base}/distributions/{day.id}",
    ):
        assert client.get(url).status_code == 403
    assert client.post(_assign_url(day, role), data={}).status_code == 403
