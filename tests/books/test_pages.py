"""The treasurer's pages: remittance slips, bank accounts, payout runs, statements."""

from __future__ import annotations

import pytest
import xmlschema
from sqlalchemy import func, select

from marketplace.books.models import BankAccount, PayoutRun, Remittance, RemittanceItem
from marketplace.books.sepa import SCHEMA_FILE
from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.payments.models import OfflinePayment
from tests import factories
from tests.books import scene as scenes
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request
from tests.payments.support import readable


@pytest.fixture
def scene(app):
    return scenes.build()


def books(scene, path=""):
    return f"/groupes/{scene.group.slug}/gestion/comptabilite{path}"


def count(model) -> int:
    as_new_request()
    return db.session.scalar(select(func.count()).select_from(model))


def remit(client, scene, kind, payments, producer=None):
    return client.post(
        books(scene, "/remettre"),
        data={
            "kind": kind,
            "producer_id": str(producer.id) if producer else "",
            "payment_ids": [str(payment.id) for payment in payments],
        },
        follow_redirects=True,
    )


def test_the_treasurer_sees_the_slips_by_producer_and_for_the_bank(client, login, scene):
    login(scene.coordinator)
    page = readable(client.get(books(scene, "/cheques")))
    assert "Remise en banque" in page
    assert "Ferme du Coteau" in page and "Fournil bio" in page
    assert "0000101" in page and "Alice Martin" in page and "87,00 €" in page
    csv = client.get(books(scene, "/cheques?format=csv")).get_data(as_text=True)
    assert "Crédit Mutuel;0000101;Alice Martin;45,00" in csv


def test_remitting_twice_records_one_remittance(client, login, scene):
    login(scene.coordinator)
    first = remit(client, scene, "bank", scene.cheques)
    assert first.status_code == 200
    assert "Bordereau de remise n°" in readable(first)
    second = remit(client, scene, "bank", scene.cheques)
    assert "déjà été remis" in readable(second)
    assert count(Remittance) == 1 and count(RemittanceItem) == 3
    states = set(db.session.scalars(select(OfflinePayment.state)))
    assert states == {"received"}


def test_nothing_ticked_is_a_clear_error_and_changes_nothing(client, login, scene):
    login(scene.coordinator)
    response = remit(client, scene, "bank", [])
    assert "Cochez au moins un paiement" in readable(response)
    assert count(Remittance) == 0
    assert set(db.session.scalars(select(OfflinePayment.state))) == {"recorded"}


def test_handing_the_farms_cheques_to_the_farm(client, login, scene):
    login(scene.coordinator)
    response = remit(client, scene, "producer", scene.cheques[:2], producer=scene.farm)
    assert "Chèques remis à Ferme du Coteau" in readable(response)
    as_new_request()
    states = dict(db.session.execute(select(OfflinePayment.id, OfflinePayment.state)).all())
    assert states[scene.cheques[0].id] == "handed_over"
    assert states[scene.cheques[2].id] == "recorded"


def test_the_cash_of_a_pickup_day_has_its_own_slip(client, login, scene):
    cash = scenes.cheque(scene.farm_offer, "Denis Cash", 2000, method="cash")
    db.session.commit()
    login(scene.coordinator)
    day = cash.created_at.date().isoformat()
    page = readable(client.get(books(scene, f"/caisse?day={day}")))
    assert "Denis Cash" in page and "20,00 €" in page and "Alice Martin" not in page
    response = remit(client, scene, "cash", [cash])
    assert "Espèces déposées à la banque" in readable(response)
    assert client.get(books(scene, "/caisse?day=pas-une-date")).status_code == 400


@pytest.mark.parametrize("role", ["member", "other_coordinator", "producer"])
def test_only_the_groups_coordinators_open_the_books(client, login, scene, role):
    person = factories.UserFactory()
    if role == "member":
        factories.MembershipFactory(user=person, organisation=scene.group)
    elif role == "other_coordinator":
        other = factories.GroupFactory()
        factories.MembershipFactory(user=person, organisation=other, role=str(Role.COORDINATOR))
    else:
        factories.MembershipFactory(
            user=person, organisation=scene.farm, role=str(Role.PRODUCER_STAFF)
        )
    db.session.commit()
    login(person)
    for path in ("", "/cheques", "/caisse", "/compte", "/fec"):
        assert client.get(books(scene, path)).status_code == 403, path
    assert remit(client, scene, "bank", scene.cheques).status_code == 403
    assert (
        client.post(
            books(scene, "/reversements"), data={"producer_ids": [str(scene.farm.id)]}
        ).status_code
        == 403
    )
    assert count(Remittance) == 0 and count(PayoutRun) == 0


def test_a_bad_iban_is_refused_and_nothing_is_saved(client, login, scene):
    login(scene.coordinator)
    before = db.session.scalar(
        select(BankAccount.iban).where(BankAccount.organisation_id == scene.farm.id)
    )
    response = client.post(
        books(scene, f"/producteurs/{scene.farm.id}/compte"),
        data={"holder": "EARL du Coteau", "iban": "FR76 3000 6000 0112 3456 7890 188", "bic": ""},
    )
    assert response.status_code == 200
    assert "IBAN n'est pas valide" in readable(response)
    as_new_request()
    after = db.session.scalar(
        select(BankAccount.iban).where(BankAccount.organisation_id == scene.farm.id)
    )
    assert after == before


def test_a_producers_iban_is_saved_compact(client, login, scene):
    login(scene.coordinator)
    response = client.post(
        books(scene, f"/producteurs/{scene.baker.id}/compte"),
        data={"holder": "Fournil", "iban": "fr76 3000 6000 0112 3456 7890 189", "bic": ""},
        follow_redirects=True,
    )
    assert "Compte bancaire de Fournil bio enregistré" in readable(response)
    as_new_request()
    saved = db.session.scalar(
        select(BankAccount).where(BankAccount.organisation_id == scene.baker.id)
    )
    assert (saved.iban, saved.bic) == ("FR7630006000011234567890189", "AGRIFRPPXXX")


def test_a_payout_run_gives_a_valid_sepa_file_and_pays_once(client, login, scene):
    login(scene.coordinator)
    remit(client, scene, "bank", scene.cheques)
    data = {"producer_ids": [str(scene.farm.id), str(scene.baker.id)]}
    response = client.post(books(scene, "/reversements"), data=data, follow_redirects=True)
    assert "Virements préparés (87,00 €)" in readable(response)
    again = client.post(books(scene, "/reversements"), data=data, follow_redirects=True)
    assert "rien à recevoir" in readable(again)
    run = db.session.scalar(select(PayoutRun))
    assert count(PayoutRun) == 1
    xml = client.get(books(scene, f"/reversements/{run.id}/fichier"))
    assert xml.headers["Content-Type"] == "application/xml"
    xmlschema.XMLSchema(SCHEMA_FILE).validate(xml.get_data(as_text=True))
    page = readable(client.get(books(scene, "")))
    assert "Télécharger le fichier de virements" in page
    assert "chèques déposés à la banque · 87,00 €" in page


def test_a_payout_without_selection_or_without_iban_is_refused(client, login, scene):
    login(scene.coordinator)
    remit(client, scene, "bank", scene.cheques)
    nothing = client.post(books(scene, "/reversements"), data={}, follow_redirects=True)
    assert "Cochez au moins un producteur" in readable(nothing)
    db.session.execute(
        BankAccount.__table__.delete().where(BankAccount.organisation_id == scene.baker.id)
    )
    db.session.commit()
    missing = client.post(
        books(scene, "/reversements"),
        data={"producer_ids": [str(scene.baker.id)]},
        follow_redirects=True,
    )
    assert "Fournil bio n'a pas de compte bancaire" in readable(missing)
    assert count(PayoutRun) == 0


def test_the_statement_for_coordinators_and_the_producers_staff_only(client, login, scene):
    remit(client, scene, "bank", scene.cheques)  # anonymous: refused, nothing remitted
    login(scene.coordinator)
    remit(client, scene, "bank", scene.cheques)
    url = books(scene, f"/producteurs/{scene.farm.id}/releve")
    page = readable(client.get(url))
    assert "Solde dû à la fin" in page and "75,00 €" in page and "Alice Martin" in page
    assert "75,00" in client.get(url + "?format=csv").get_data(as_text=True)
    pdf = client.get(url + "?format=pdf")
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert client.get(url + "?start=2026-13-01").status_code == 400

    staff = factories.UserFactory()
    factories.MembershipFactory(user=staff, organisation=scene.farm, role=str(Role.PRODUCER_STAFF))
    baker_staff = factories.UserFactory()
    factories.MembershipFactory(
        user=baker_staff, organisation=scene.baker, role=str(Role.PRODUCER_STAFF)
    )
    db.session.commit()
    own = f"/producteurs/{scene.farm.slug}/comptabilite/{scene.group.slug}"
    login(staff)
    assert "75,00 €" in readable(client.get(own))
    assert client.get(url).status_code == 403  # the coordinators' address
    login(baker_staff)
    assert client.get(own).status_code == 403


def _more_cheques(scene, number):
    for position in range(number):
        scenes.cheque(scene.farm_offer, f"Foyer {position}", 1000 + position, bank="LCL",
                      number=f"9{position:06d}")  # fmt: skip
    db.session.commit()


def test_the_slips_and_statement_take_the_same_queries_for_few_or_many(client, login, scene):
    login(scene.coordinator)
    statement = books(scene, f"/producteurs/{scene.farm.id}/releve")
    as_new_request()
    with count_queries() as few_slips:
        client.get(books(scene, "/cheques"))
    with count_queries() as few_lines:
        client.get(statement)
    with count_queries() as few_books:
        client.get(books(scene, ""))
    _more_cheques(scene, 10)
    remit(client, scene, "producer", scene.cheques[:2], producer=scene.farm)
    as_new_request()
    with count_queries() as many_slips:
        client.get(books(scene, "/cheques"))
    with count_queries() as many_lines:
        client.get(statement)
    with count_queries() as many_books:
        client.get(books(scene, ""))
    assert few_slips.count == many_slips.count
    assert few_lines.count == many_lines.count
    assert few_books.count == many_books.count


def test_the_farms_staff_keep_its_bank_account_and_no_one_else(client, login, scene):
    staff = factories.UserFactory()
    factories.MembershipFactory(user=staff, organisation=scene.baker, role=str(Role.PRODUCER_STAFF))
    db.session.commit()
    url = f"/producteurs/{scene.farm.slug}/compte-bancaire"
    login(staff)  # the baker's staff, not the farm's
    assert client.get(url).status_code == 403
    assert client.post(url, data={"holder": "X", "iban": scenes.BAKER_IBAN}).status_code == 403
    login(scene.coordinator)
    assert client.get(url).status_code == 403
    farmer = factories.UserFactory()
    factories.MembershipFactory(user=farmer, organisation=scene.farm, role=str(Role.PRODUCER_STAFF))
    db.session.commit()
    login(farmer)
    bad = client.post(url, data={"holder": "EARL", "iban": "FR76 1234", "bic": ""})
    assert "IBAN n'est pas valide" in readable(bad)
    good = client.post(
        url, data={"holder": "EARL du Coteau", "iban": scenes.GROUP_IBAN, "bic": ""},
        follow_redirects=True,
    )  # fmt: skip
    assert "Compte bancaire de Ferme du Coteau enregistré" in readable(good)
    as_new_request()
    saved = db.session.scalar(
        select(BankAccount.iban).where(BankAccount.organisation_id == scene.farm.id)
    )
    assert saved == scenes.GROUP_IBAN


def test_a_remittance_slip_takes_the_same_queries_for_few_or_many_cheques(client, login, scene):
    login(scene.coordinator)
    remit(client, scene, "producer", scene.cheques[2:], producer=scene.baker)
    _more_cheques(scene, 10)
    farm_cheques = db.session.scalars(
        select(OfflinePayment).where(OfflinePayment.state == "recorded")
    ).all()
    remit(client, scene, "producer", farm_cheques, producer=scene.farm)
    as_new_request()
    small, large = db.session.scalars(select(Remittance).order_by(Remittance.id)).all()
    assert (small.payments_count, large.payments_count) == (1, 12)
    as_new_request()
    with count_queries() as few:
        client.get(books(scene, f"/remises/{small.id}"))
    as_new_request()
    with count_queries() as many:
        client.get(books(scene, f"/remises/{large.id}"))
    assert few.count == many.count
