"""Beneficiaries: the staff's list, form and household page; eligibility; who may see them."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.grocery_shop.beneficiaries import eligibility
from marketplace.grocery_shop.models import Beneficiary
from marketplace.organisations.models import Role
from marketplace.timezones import paris_today
from tests import factories
from tests.helpers import count_queries


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def url(grocery, rest: str = "") -> str:
    return f"/epiceries/{grocery.slug}/beneficiaires{rest}"


def form_data(**changes) -> dict[str, str]:
    today = paris_today()
    data = {
        "household_name": "Foyer Benali",
        "tier_percent": "30",
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=365)).isoformat(),
        "account_email": "",
        "phone": "06 12 34 56 78",
        "referrer": "CCAS de Givors",
        "notes": "Trois enfants, pas de voiture.",
    }
    data.update(changes)
    return data


def count_beneficiaries() -> int:
    return db.session.scalar(select(func.count(Beneficiary.id)))


# --- Happy paths ----------------------------------------------------------------------------


def test_staff_registers_a_household_with_an_account(client, user_with_role):
    grocery = factories.GroceryFactory()
    household = factories.UserFactory(email="amina@example.org")
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)
    form = text_of(client.get(url(grocery, "/nouveau")))
    assert 'list="usual-tiers"' in form and '<option value="50">' in form

    response = client.post(
        url(grocery, "/nouveau"), data=form_data(account_email=" Amina@Example.org ")
    )

    assert response.status_code == 302
    beneficiary = db.session.scalar(select(Beneficiary))
    assert beneficiary.grocery_id == grocery.id
    assert beneficiary.user_id == household.id
    assert beneficiary.tier_percent == 30
    page = text_of(client.get(response.headers["Location"]))
    assert "Foyer Benali" in page
    assert "30 % du prix en rayon" in page
    assert "Droits ouverts aujourd'hui" in page
    assert "Trois enfants, pas de voiture." in page
    assert "amina@example.org" in page


@pytest.mark.parametrize("tier", ["10", "50", "73", "100"])
def test_usual_and_other_tiers_are_accepted(client, user_with_role, tier):
    grocery = factories.GroceryFactory()
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)

    response = client.post(url(grocery, "/nouveau"), data=form_data(tier_percent=tier))

    assert response.status_code == 302
    assert db.session.scalar(select(Beneficiary.tier_percent)) == int(tier)


def test_staff_edits_then_archives_and_restores(client, user_with_role):
    grocery = factories.GroceryFactory()
    beneficiary = factories.BeneficiaryFactory(grocery=grocery, household_name="Foyer Roux")
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)

    page = text_of(client.get(url(grocery, f"/{beneficiary.id}/modifier")))
    assert 'value="Foyer Roux"' in page
    response = client.post(
        url(grocery, f"/{beneficiary.id}/modifier"),
        data=form_data(household_name="Foyer Roux-Martin", tier_percent="10"),
    )
    assert response.status_code == 302
    db.session.refresh(beneficiary)
    assert (beneficiary.household_name, beneficiary.tier_percent) == ("Foyer Roux-Martin", 10)

    client.post(url(grocery, f"/{beneficiary.id}/archiver"))
    db.session.refresh(beneficiary)
    assert beneficiary.archived
    assert "Foyer Roux-Martin" not in text_of(client.get(url(grocery)))
    assert "Foyer Roux-Martin" in text_of(client.get(url(grocery, "?archives=1")))
    page = text_of(client.get(url(grocery, f"/{beneficiary.id}")))
    assert "n'est plus inscrit" in page

    client.post(url(grocery, f"/{beneficiary.id}/reactiver"))
    db.session.refresh(beneficiary)
    assert not beneficiary.archived


def test_list_searches_and_warns_about_expiry(client, user_with_role):
    grocery = factories.GroceryFactory()
    today = paris_today()
    factories.BeneficiaryFactory(grocery=grocery, household_name="Foyer Garcia", phone="0611")
    factories.BeneficiaryFactory(
        grocery=grocery,
        household_name="Foyer Lopez",
        valid_from=today - timedelta(days=400),
        valid_until=today - timedelta(days=3),
    )
    factories.BeneficiaryFactory(
        grocery=grocery,
        household_name="Foyer Nguyen",
        referrer="Secours populaire",
        valid_until=today + timedelta(days=10),
    )
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)

    page = text_of(client.get(url(grocery)))
    assert "Foyer Garcia" in page and "Foyer Lopez" in page and "Foyer Nguyen" in page
    assert "2 foyers ont des droits expirés ou qui expirent dans le mois" in page
    assert "Expirés" in page and "Expirent bientôt" in page

    page = text_of(client.get(url(grocery, "?q=secours")))
    assert "Foyer Nguyen" in page and "Foyer Garcia" not in page
    page = text_of(client.get(url(grocery, "?q=introuvable")))
    assert "Aucun foyer ne correspond à « introuvable »" in page


# --- Eligibility ------------------------------------------------------------------------------


def test_eligibility_refuses_expired_and_future_tiers_clearly(app):
    beneficiary = factories.BeneficiaryFactory(
        valid_from=date(2026, 1, 1), valid_until=date(2026, 6, 30)
    )

    assert eligibility(beneficiary, date(2026, 3, 1)) == (True, "")
    assert eligibility(beneficiary, date(2026, 6, 30)) == (True, "")
    ok, reason = eligibility(beneficiary, date(2026, 7, 1))
    assert not ok and "ont expiré le 30 juin 2026" in reason
    ok, reason = eligibility(beneficiary, date(2025, 12, 31))
    assert not ok and "commencent le 1 janvier 2026" in reason
    beneficiary.archived = True
    ok, reason = eligibility(beneficiary, date(2026, 3, 1))
    assert not ok and "archivé" in reason


def test_expired_household_page_says_so(client, user_with_role):
    grocery = factories.GroceryFactory()
    today = paris_today()
    beneficiary = factories.BeneficiaryFactory(
        grocery=grocery, valid_from=today - timedelta(days=100), valid_until=today - timedelta(1)
    )
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)

    page = text_of(client.get(url(grocery, f"/{beneficiary.id}")))

    assert "ont expiré le" in page and "renouvelez son dossier" in page


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tier_percent": "0"}, "Indiquez un nombre entre 1 et 100."),
        ({"tier_percent": "120"}, "Indiquez un nombre entre 1 et 100."),
        ({"tier_percent": "trente"}, ""),
        ({"household_name": "  "}, "Ce champ est obligatoire."),
        ({"valid_from": "2026-13-45"}, "Indiquez une date valide"),
        ({"account_email": "pas-une-adresse"}, "Adresse e-mail invalide."),
        (
            {"account_email": "inconnu@example.org"},
            "Aucun compte n'utilise l'adresse inconnu@example.org",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(client, user_with_role, changes, message):
    grocery = factories.GroceryFactory()
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)

    response = client.post(url(grocery, "/nouveau"), data=form_data(**changes))

    assert response.status_code == 400
    assert message in text_of(response)
    assert 'class="errors"' in text_of(response)
    assert count_beneficiaries() == 0


def test_validity_must_end_after_it_starts(client, user_with_role):
    grocery = factories.GroceryFactory()
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)

    response = client.post(
        url(grocery, "/nouveau"),
        data=form_data(valid_from="2026-06-01", valid_until="2026-05-31"),
    )

    assert response.status_code == 400
    assert "La fin des droits doit venir après leur début." in text_of(response)
    assert count_beneficiaries() == 0


def test_an_account_is_linked_once_per_grocery(client, user_with_role):
    grocery = factories.GroceryFactory()
    household = factories.UserFactory(email="paul@example.org")
    factories.BeneficiaryFactory(grocery=grocery, household_name="Foyer Paul", user_id=household.id)
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)

    response = client.post(
        url(grocery, "/nouveau"), data=form_data(account_email="paul@example.org")
    )

    assert response.status_code == 400
    assert "Ce compte est déjà lié au foyer « Foyer Paul »." in text_of(response)
    assert count_beneficiaries() == 1


def test_a_failed_edit_changes_nothing(client, user_with_role):
    grocery = factories.GroceryFactory()
    beneficiary = factories.BeneficiaryFactory(grocery=grocery, tier_percent=30)
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)

    response = client.post(
        url(grocery, f"/{beneficiary.id}/modifier"),
        data=form_data(tier_percent="10", account_email="personne@example.org"),
    )

    assert response.status_code == 400
    db.session.refresh(beneficiary)
    assert beneficiary.tier_percent == 30


# --- Permissions ------------------------------------------------------------------------------


def _outsiders(grocery):
    group = factories.GroupFactory()
    other_grocery = factories.GroceryFactory()
    return {
        "member": (Role.MEMBER, group),
        "group volunteer": (Role.VOLUNTEER, group),
        "grocery volunteer": (Role.VOLUNTEER, grocery),
        "other grocery staff": (Role.GROCERY_STAFF, other_grocery),
        "coordinator": (Role.COORDINATOR, group),
    }


@pytest.mark.parametrize(
    "who", ["member", "group volunteer", "grocery volunteer", "other grocery staff", "coordinator"]
)
def test_only_the_grocerys_staff_see_beneficiaries(client, user_with_role, who):
    grocery = factories.GroceryFactory()
    beneficiary = factories.BeneficiaryFactory(
        grocery=grocery, household_name="Foyer Secret", notes="Note très privée"
    )
    role, organisation = _outsiders(grocery)[who]
    db.session.commit()
    user_with_role(role, organisation)

    for path in ("", "/nouveau", f"/{beneficiary.id}", f"/{beneficiary.id}/modifier"):
        response = client.get(url(grocery, path))
        assert response.status_code == 403, path
        assert "Foyer Secret" not in text_of(response)
        assert "Note très privée" not in text_of(response)
    assert client.post(url(grocery, "/nouveau"), data=form_data()).status_code == 403
    assert client.post(url(grocery, f"/{beneficiary.id}/archiver")).status_code == 403
    assert count_beneficiaries() == 1
    # The dashboard and the grocery's public page do not show them either.
    for page in ("/tableau-de-bord", f"/epiceries/{grocery.slug}"):
        body = text_of(client.get(page))
        assert "Foyer Secret" not in body and "Note très privée" not in body


def test_another_grocerys_household_is_not_found(client, user_with_role):
    grocery = factories.GroceryFactory()
    elsewhere = factories.BeneficiaryFactory(household_name="Foyer Ailleurs")
    db.session.commit()
    user_with_role(Role.GROCERY_STAFF, grocery)

    assert client.get(url(grocery, f"/{elsewhere.id}")).status_code == 404
    assert "Foyer Ailleurs" not in text_of(client.get(url(grocery)))


def test_anonymous_visitors_are_sent_to_log_in(client):
    grocery = factories.GroceryFactory()
    db.session.commit()

    response = client.get(url(grocery))

    assert response.status_code == 302
    assert "/compte/connexion" in response.headers["Location"]


def test_site_admin_and_dashboard_link(client, admin, user_with_role):
    grocery = factories.GroceryFactory()
    db.session.commit()
    assert client.get(url(grocery)).status_code == 200

    user_with_role(Role.GROCERY_STAFF, grocery)
    dashboard = text_of(client.get("/tableau-de-bord"))
    assert url(grocery) in dashboard
    assert f"/epiceries/{grocery.slug}/stock" in dashboard


# --- Query count ------------------------------------------------------------------------------


def _list_queries(client, grocery, households: int) -> int:
    for n in range(households):
        user = factories.UserFactory() if n % 2 else None
        factories.BeneficiaryFactory(grocery=grocery, user_id=user.id if user else None)
    db.session.commit()
    with count_queries() as counter:
        response = client.get(url(grocery))
    assert response.status_code == 200
    return counter.count


def test_list_query_count_does_not_grow_with_households(client, user_with_role):
    small, large = factories.GroceryFactory(), factories.GroceryFactory()
    db.session.commit()
    staff = user_with_role(Role.GROCERY_STAFF, small)
    factories.MembershipFactory(user=staff, organisation=large, role="grocery_staff")

    assert _list_queries(client, small, 10) == _list_queries(client, large, 200)
