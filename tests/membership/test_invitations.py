"""Inviting a household by email, and importing a CSV of members: a preview first, refused
lines explained, nothing written until confirmed, a bounded file."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.membership.invitations import IMPORT_MAX_BYTES
from marketplace.organisations.models import Membership
from tests import factories
from tests.accounts.support import GOOD_PASSWORD, link_in
from tests.helpers import message_text
from tests.membership.helpers import group_with_membership, member_of
from tests.organisations.pages import as_new_request, page_text


def _accounts() -> int:
    return db.session.scalar(select(func.count(User.id)))


def _members(group) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.organisation_id == group.id, Membership.role == "member"
        )
    )


def test_an_invited_household_sets_its_password(app, client, user_with_role, outbox):
    group = group_with_membership()
    user_with_role("coordinator", group)
    url = f"/groupes/{group.slug}/gestion/foyers/inviter"
    response = client.post(url, data={"name": "Famille Diallo", "email": "Diallo@Example.org"})
    assert response.status_code == 302
    invited = db.session.scalar(select(User).where(User.email == "diallo@example.org"))
    assert invited is not None and _members(group) == 1
    assert len(outbox) == 1 and group.name in outbox[0]["Subject"]
    path = link_in(message_text(outbox[0]))
    as_new_request()
    client.post("/compte/deconnexion")
    response = client.post(
        path, data={"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}
    )
    assert response.status_code == 302
    as_new_request()
    assert not db.session.get(User, invited.id).password_hash.startswith("!invited:")


def test_bad_invitations_change_nothing(app, client, user_with_role, outbox):
    group = group_with_membership()
    user_with_role("coordinator", group)
    member_of(group, email="deja@example.org")
    db.session.commit()
    before = (_accounts(), _members(group))
    url = f"/groupes/{group.slug}/gestion/foyers/inviter"
    response = client.post(url, data={"name": "X", "email": "pas-une-adresse"})
    assert response.status_code == 400 and "n'est pas valide" in page_text(response)
    response = client.post(url, data={"name": "Y", "email": "deja@example.org"})
    assert response.status_code == 400 and "déjà membre du groupe" in page_text(response)
    response = client.post(url, data={"name": "", "email": "z@example.org"})
    assert response.status_code == 400
    assert (_accounts(), _members(group)) == before
    assert outbox == []


CSV = (
    "nom;email;téléphone\r\n"
    "Famille Diallo;diallo@example.org;06 12 34 56 78\r\n"
    "Famille Morel;morel@example.org;\r\n"
    ";sans-nom@example.org;\r\n"
    "Famille Bad;pas-une-adresse;\r\n"
    "Famille Double;diallo@example.org;\r\n"
    "Famille Déjà;deja@example.org;\r\n"
    "Famille Tel;tel@example.org;abc\r\n"
    "Famille Existante;existe@example.org;\r\n"
)


def test_an_import_previews_then_imports_on_confirmation(app, client, user_with_role, outbox):
    group = group_with_membership()
    user_with_role("coordinator", group)
    member_of(group, email="deja@example.org")
    factories.UserFactory(email="existe@example.org")
    db.session.commit()
    before = (_accounts(), _members(group))
    url = f"/groupes/{group.slug}/gestion/foyers/importer"
    response = client.post(
        url,
        data={"file": (io.BytesIO(CSV.encode("utf-8")), "membres.csv")},
        content_type="multipart/form-data",
    )
    text = page_text(response)
    assert response.status_code == 200
    assert "3 foyers seront ajoutés" in text and "5 lignes refusées" in text
    for reason in (
        "nom manquant",
        "adresse e-mail invalide",
        "adresse en double dans le fichier",
        "déjà membre du groupe",
        "numéro de téléphone invalide",
    ):
        assert reason in text
    assert (_accounts(), _members(group)) == before  # nothing until confirmed

    as_new_request()
    response = client.post(url, data={"payload": CSV, "confirm": "y"})
    assert response.status_code == 302
    assert _accounts() == before[0] + 2  # the existing account joins without a new one
    assert _members(group) == before[1] + 3
    assert sorted(message["To"] for message in outbox) == [
        "diallo@example.org",
        "morel@example.org",
    ]
    diallo = db.session.scalar(select(User).where(User.email == "diallo@example.org"))
    assert diallo.phone == "06 12 34 56 78"


def test_a_bad_or_big_file_is_refused(app, client, user_with_role):
    group = group_with_membership()
    user_with_role("coordinator", group)
    url = f"/groupes/{group.slug}/gestion/foyers/importer"
    before = _accounts()
    for content, message in (
        (b"a" * (IMPORT_MAX_BYTES + 1), "Le fichier dépasse"),
        (b"prenom;adresse\r\nA;b@example.org\r\n", "La première ligne doit nommer"),
        (b"", "Choisissez un fichier CSV"),
    ):
        response = client.post(
            url,
            data={"file": (io.BytesIO(content), "membres.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400, message
        assert message in page_text(response)
    assert _accounts() == before
