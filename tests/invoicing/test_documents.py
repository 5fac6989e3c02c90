"""Documents of a season and of shop orders: issued on sign-up and by the job, emailed with
their PDF, downloadable by those who may read them only."""

from __future__ import annotations

import io
from datetime import timedelta

import facturx
import pypdf
from sqlalchemy import func, select

from marketplace.baskets.models import Subscription
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.invoicing import facturx_xml, pdf
from marketplace.invoicing.models import Document, DocumentKind, LegalIdentity
from marketplace.invoicing.sending import issue_missing
from marketplace.payments.models import LedgerEntry
from marketplace.timezones import paris_today
from tests import factories
from tests.baskets.test_subscribing_pages import form_data, url
from tests.helpers import count_queries, login_id


def business(organisation) -> None:
    db.session.add(
        LegalIdentity(
            organisation_id=organisation.id,
            legal_name="EARL du Pré",
            address="1 chemin du Pré, 26000 Valence",
            siret="12345678200010",
            vat_number="FR11123456782",
            vat_liable=True,
        )
    )
    db.session.commit()


def documents() -> list[Document]:
    return list(db.session.scalars(select(Document).order_by(Document.id)))


def text_of(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_signing_up_issues_the_season_invoice_and_emails_its_pdf(client, scenario, outbox):
    response = client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    assert response.status_code == 302
    [invoice] = documents()
    commitment = db.session.scalar(select(LedgerEntry).where(LedgerEntry.kind == "commitment"))
    assert invoice.kind == DocumentKind.INVOICE
    assert invoice.total_cents == -commitment.amount_cents
    assert invoice.seller_id == scenario.offer.producer_id
    assert invoice.reference == f"{paris_today().year}-000001"
    assert "échéance" in invoice.payment_terms  # the payment schedule is printed
    [mail] = [m for m in outbox if invoice.reference in m["Subject"]]
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    content = attachment.get_content()
    assert content.startswith(b"%PDF")
    text = text_of(content)
    assert invoice.reference in text and "TVA non applicable, art. 293 B du CGI" in text
    # The job finds nothing more to issue: idempotent.
    assert issue_missing(paris_today(), utcnow()).issued == []


def test_a_business_gets_factur_x_with_valid_xml(client, scenario):
    business(scenario.offer.producer)
    client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    [invoice] = documents()
    assert invoice.seller_vat_liable and invoice.vat_cents > 0
    content = pdf.render(invoice)
    name, xml = facturx.get_xml_from_pdf(content, check_xsd=True)
    assert name == "factur-x.xml"
    facturx_xml.check(xml)
    assert invoice.reference.encode() in xml
    assert "TVA 5,5" in text_of(content)


def test_the_job_issues_what_a_failed_sign_up_missed_and_credit_notes_follow(app, scenario):
    from marketplace.baskets.cancellation import cancel_by_coordinator
    from marketplace.baskets.subscribing import subscribe
    from tests.baskets.test_subscribing import choices

    now = utcnow()
    subscription = subscribe(scenario.offer, scenario.member, **choices(scenario, now=now))
    db.session.commit()
    assert documents() == []  # the sign-up's own hook never ran (no view here)
    issued = issue_missing(paris_today(now), now).issued
    assert [document.kind for document in issued] == ["invoice"]
    cancel_by_coordinator(subscription, now)
    db.session.commit()
    [note] = issue_missing(paris_today(now), now).issued
    assert note.kind == DocumentKind.CREDIT_NOTE and note.corrects_id == issued[0].id
    owed = -db.session.scalar(
        select(func.sum(LedgerEntry.amount_cents)).where(
            LedgerEntry.subscription_id == subscription.id,
            LedgerEntry.kind.in_(["commitment", "credit", "adjustment"]),
        )
    )
    assert issued[0].total_cents - note.total_cents == owed


def test_a_closed_order_is_invoiced_per_producer_once(app):
    from tests.shop.helpers import make_shop

    shop = make_shop()
    household = factories.UserFactory()
    order = factories.OrderFactory(
        user=household, group_id=shop.group.id, distribution_day=shop.day, total_cents=0
    )
    other_supply = factories.ProducerSuppliesGroupFactory(group=shop.group)
    other = other_supply.producer
    for producer, price in ((shop.producer, 350), (other, 1200)):
        product = factories.ProductFactory(producer=producer, price_cents=price)
        availability = factories.AvailabilityFactory(
            product=product,
            producer_id=producer.id,
            group_id=shop.group.id,
            day=shop.day.day,
            price_cents=price,
        )
        factories.OrderLineFactory(
            order=order,
            availability=availability,
            quantity_milli=2000,
            unit_price_cents=price,
            total_cents=2 * price,
        )
    order.total_cents = 2 * 350 + 2 * 1200
    db.session.commit()
    assert issue_missing(paris_today(), shop.day.order_opens_at).issued == []  # window open
    after = shop.day.order_closes_at + timedelta(minutes=1)
    issued = issue_missing(paris_today(), after).issued
    assert sorted(document.total_cents for document in issued) == [700, 2400]
    assert {document.seller_id for document in issued} == {shop.producer.id, other.id}
    assert issue_missing(paris_today(), after).issued == []


def own_documents_client(app, user):
    client = app.test_client()
    cookie = login_id(user)
    with client.session_transaction() as session:
        session["_user_id"] = cookie
    return client


def test_only_its_household_producer_and_coordinators_may_download(app, client, scenario):
    client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    [invoice] = documents()
    path = f"/documents/{invoice.id}/pdf"
    assert client.get(path).status_code == 200
    assert client.get(path).data.startswith(b"%PDF")
    staff = factories.UserFactory()
    factories.MembershipFactory(
        user=staff, organisation=scenario.offer.producer, role="producer_staff"
    )
    coordinator = factories.UserFactory()
    factories.MembershipFactory(
        user=coordinator, organisation=scenario.offer.group, role="coordinator"
    )
    stranger = factories.UserFactory()
    factories.MembershipFactory(user=stranger, organisation=scenario.offer.group, role="member")
    other_staff = factories.UserFactory()
    factories.MembershipFactory(
        user=other_staff, organisation=factories.ProducerFactory(), role="producer_staff"
    )
    db.session.commit()
    assert own_documents_client(app, staff).get(path).status_code == 200
    assert own_documents_client(app, coordinator).get(path).status_code == 200
    assert own_documents_client(app, stranger).get(path).status_code == 404
    assert own_documents_client(app, other_staff).get(path).status_code == 404
    assert own_documents_client(app, stranger).get("/documents/").status_code == 200
    assert invoice.reference not in own_documents_client(app, stranger).get("/documents/").get_data(
        as_text=True
    )
    producer_list = f"/documents/producteurs/{scenario.offer.producer_id}"
    assert invoice.reference in own_documents_client(app, staff).get(producer_list).get_data(
        as_text=True
    )
    assert own_documents_client(app, other_staff).get(producer_list).status_code == 403
    group_list = f"/documents/groupes/{scenario.offer.group.slug}"
    assert own_documents_client(app, coordinator).get(group_list).status_code == 200
    assert own_documents_client(app, stranger).get(group_list).status_code == 403
    assert client.get("/documents/999999/pdf").status_code == 404


def test_the_list_of_documents_takes_the_same_queries_for_1_and_10(app, client, scenario):
    from marketplace.invoicing.issuing import LineData, issue_document

    def add(count: int) -> None:
        for _ in range(count):
            issue_document(
                seller=scenario.offer.producer,
                group=scenario.offer.group,
                buyer=scenario.member,
                lines=[LineData("Panier", 1_500, 550)],
                issued_on=paris_today(),
            )
        db.session.commit()

    def queries() -> int:
        with count_queries() as counted:
            assert client.get("/documents/").status_code == 200
        return counted.count

    add(1)
    one = queries()
    add(9)
    assert queries() == one


def test_a_subscription_s_documents_name_its_subscription(client, scenario):
    client.post(url(scenario), data={**form_data(scenario), "confirm": "1"})
    subscription = db.session.scalar(select(Subscription))
    [invoice] = documents()
    assert invoice.subscription_id == subscription.id and invoice.source_key.startswith("entry:")
