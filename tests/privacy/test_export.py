"""Everything the site holds about a person, in one ZIP: complete, theirs only, constant queries."""

import csv
import io
import json
import zipfile

from marketplace.db import Base
from marketplace.extensions import db
from marketplace.privacy.export import PARTS, user_columns
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request


def test_every_table_naming_a_person_is_exported():
    """A new table with a foreign key to users fails here until the export covers it."""
    import marketplace.models  # noqa: F401  (the whole schema)

    naming_a_person = {
        name for name, table in Base.metadata.tables.items() if user_columns(table)
    } | {"users"}
    covered = {part.table for part in PARTS}
    assert naming_a_person - covered == set()
    assert len({part.file for part in PARTS}) == len(PARTS)


def household_with_history(name="Foyer Garnier", email="garnier@example.org", weeks=1):
    subscription = factories.SubscriptionFactory(user=factories.UserFactory(name=name, email=email))
    user = subscription.user
    factories.MembershipFactory(user=user, organisation=subscription.offer.group)
    for week in range(weeks):
        factories.DeliveryFactory(subscription=subscription)
        installment = factories.InstallmentFactory(subscription=subscription)
        factories.LedgerEntryFactory(user=user, group_id=subscription.group_id)
        factories.OfflinePaymentFactory(installment=installment)
        factories.ShiftSignupFactory(user=user)
        del week
    db.session.commit()
    return user


def unzip(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_a_person_downloads_their_data_as_json_and_csv(client, login):
    user = household_with_history()
    login(user)
    archive = unzip(client.get("/mes-donnees/export.zip"))
    names = set(archive.namelist())
    for part in PARTS:
        assert f"json/{part.file}.json" in names and f"csv/{part.file}.csv" in names
    (profile,) = json.loads(archive.read("json/profil.json"))
    assert profile["name"] == "Foyer Garnier" and profile["email"] == "garnier@example.org"
    assert "password_hash" not in profile
    assert len(json.loads(archive.read("json/abonnements.json"))) == 1
    assert len(json.loads(archive.read("json/livraisons.json"))) == 1
    assert len(json.loads(archive.read("json/echeances.json"))) == 1
    assert len(json.loads(archive.read("json/ecritures.json"))) == 1
    assert len(json.loads(archive.read("json/paiements_enregistres.json"))) == 1
    assert len(json.loads(archive.read("json/permanences.json"))) == 1
    (session,) = json.loads(archive.read("json/sessions.json"))
    assert "token_hash" not in session
    rows = list(
        csv.DictReader(
            io.StringIO(archive.read("csv/roles.csv").decode("utf-8-sig")), delimiter=";"
        )
    )
    assert rows[0]["role"] == "member"


def test_a_person_gets_their_own_data_never_anothers(client, login):
    mine = household_with_history()
    household_with_history(name="Foyer Voisin", email="voisin@example.org")
    login(mine)
    archive = unzip(client.get("/mes-donnees/export.zip"))
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"Foyer Voisin" not in everything and b"voisin@example.org" not in everything
    for name in archive.namelist():
        if name.startswith("json/"):
            for row in json.loads(archive.read(name)):
                if "user_id" in row:
                    assert row["user_id"] == mine.id, name


def test_the_download_needs_a_login(client):
    assert client.get("/mes-donnees/export.zip").status_code == 302


def test_the_export_runs_the_same_queries_for_one_week_or_ten(client, login):
    small = household_with_history(weeks=1)
    large = household_with_history(name="Foyer Long", email="long@example.org", weeks=10)
    login(small)
    as_new_request()
    with count_queries() as few:
        client.get("/mes-donnees/export.zip")
    login(large)
    as_new_request()
    with count_queries() as many:
        archive = unzip(client.get("/mes-donnees/export.zip"))
    assert len(json.loads(archive.read("json/livraisons.json"))) == 10
    assert few.count == many.count
