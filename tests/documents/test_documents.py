"""Documents of a group: uploads checked by reading them, downloads checked against the
document's audience every time, listed on the group page for those allowed."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.documents.models import GroupDocument
from marketplace.extensions import db
from tests import factories
from tests.helpers import count_queries, login_id

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 120, 30)).save(buffer, fmt)
    return buffer.getvalue()


def _zip(entries: dict[str, bytes], stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(stored_first, entries.pop(stored_first), zipfile.ZIP_STORED)
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


ODT = _zip(
    {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"},
    stored_first="mimetype",
)
DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


@pytest.fixture
def group_world():
    group = factories.GroupFactory(slug="les-tilleuls", name="AMAP des Tilleuls")
    offer = factories.BasketOfferFactory(supply__group=group, name="Légumes")
    other_offer = factories.BasketOfferFactory(supply__group=group, name="Fruits")
    people = {}
    for name, role in (("member", "member"), ("coordinator", "coordinator")):
        people[name] = factories.UserFactory()
        factories.MembershipFactory(user=people[name], organisation=group, role=role)
    people["subscriber"] = factories.SubscriptionFactory(offer=offer).user
    people["other_subscriber"] = factories.SubscriptionFactory(offer=other_offer).user
    people["outsider"] = factories.UserFactory()
    other_group = factories.GroupFactory()
    factories.MembershipFactory(
        user=people["outsider"], organisation=other_group, role="coordinator"
    )
    people["admin"] = factories.UserFactory(is_admin=True)
    db.session.commit()
    return group, offer, people


def _upload(client, group, data: bytes, filename="charte.pdf", **fields):
    form = {"title": "Charte de l'AMAP", "audience": "public", "offer_id": "", **fields}
    form["file"] = (io.BytesIO(data), filename)
    return client.post(
        f"/groupes/{group.slug}/documents", data=form, content_type="multipart/form-data"
    )


def _count() -> int:
    return db.session.scalar(select(func.count(GroupDocument.id)))


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "stored_as"),
    [
        (PDF, "Charte de l'AMAP été.pdf", "application/pdf", "Charte-de-l-AMAP-ete.pdf"),
        (_image("PNG"), "plan.png", "image/png", "plan.png"),
        (_image("JPEG"), "photo AG.jpeg", "image/jpeg", "photo-AG.jpg"),
        (ODT, "cr-ag.odt", "application/vnd.oasis.opendocument.text", "cr-ag.odt"),
        (
            DOCX,
            "../../contrat.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "contrat.docx",
        ),
        (PDF, "../../evil.exe", "application/pdf", "evil.pdf"),  # named after what it is
    ],
)
def test_a_coordinator_uploads_a_document(
    client, login, group_world, data, filename, content_type, stored_as
):
    group, _offer, people = group_world
    login(people["coordinator"])

    response = _upload(client, group, data, filename)

    assert response.status_code == 302
    document = db.session.scalar(select(GroupDocument))
    assert (document.content_type, document.filename, document.size_bytes) == (
        content_type,
        stored_as,
        len(data),
    )
    assert "Charte de l" in client.get(f"/groupes/{group.slug}/documents").text
    download = client.get(f"/documents/{document.id}")
    assert download.status_code == 200 and download.data == data
    assert download.mimetype == content_type
    assert download.headers["Content-Disposition"] == f"attachment; filename={stored_as}"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "charte.pdf", "type de fichier"),
        (b"MZ\x90\x00 an executable", "charte.docx", "type de fichier"),
        (_zip({"readme.txt": b"hello"}), "charte.odt", "type de fichier"),
        (_zip({"mimetype": b"application/zip"}, "mimetype"), "x.odt", "type de fichier"),
        (b"\x89PNG\r\n\x1a\n not really", "plan.png", "type de fichier"),
        (b"", "vide.pdf", "Le fichier est vide."),
    ],
)
def test_a_file_that_is_not_an_accepted_document_is_refused(
    client, login, group_world, data, filename, message
):
    group, _offer, people = group_world
    login(people["coordinator"])
    response = _upload(client, group, data, filename)
    assert response.status_code == 200
    assert message in response.text
    assert _count() == 0


def test_bad_fields_are_refused_and_nothing_is_stored(client, login, group_world):
    group, offer, people = group_world
    other_group_offer = factories.BasketOfferFactory()
    db.session.commit()
    login(people["coordinator"])
    assert "Ce champ est obligatoire" in _upload(client, group, PDF, title="  ").text
    assert "qui peut lire" in _upload(client, group, PDF, audience="everyone").text
    assert "un contrat de ce groupe" in _upload(client, group, PDF, audience="subscribers").text
    refused = _upload(client, group, PDF, audience="subscribers", offer_id=other_group_offer.id)
    assert "un contrat de ce groupe" in refused.text
    assert _count() == 0
    # A contract named for another audience is not kept.
    assert _upload(client, group, PDF, audience="members", offer_id=offer.id).status_code == 302
    assert db.session.scalar(select(GroupDocument.offer_id)) is None


def test_a_file_over_the_limit_is_refused(client, login, group_world, app):
    group, _offer, people = group_world
    login(people["coordinator"])
    limit = app.config["DOCUMENT_MAX_BYTES"]
    app.config["DOCUMENT_MAX_BYTES"] = 1024 * 1024
    try:
        over = _upload(client, group, PDF + b"0" * (1024 * 1024))
        assert "dépasse 1 Mo" in over.text
        far_over = _upload(client, group, PDF + b"0" * (2 * 1024 * 1024))
        assert far_over.status_code == 303
    finally:
        app.config["DOCUMENT_MAX_BYTES"] = limit
    assert _count() == 0


def test_only_coordinators_upload_and_remove(client, login, group_world):
    group, _offer, people = group_world
    login(people["coordinator"])
    _upload(client, group, PDF)
    document_id = db.session.scalar(select(GroupDocument.id))
    for name in ("member", "subscriber", "outsider"):
        login(people[name])
        assert _upload(client, group, PDF).status_code == 403
        assert (
            client.post(f"/groupes/{group.slug}/documents/{document_id}/supprimer").status_code
            == 403
        )
    assert _count() == 1
    login(people["coordinator"])
    client.post(f"/groupes/{group.slug}/documents/{document_id}/supprimer")
    assert _count() == 0


# Who reads what: audience → the readers allowed (everyone else is refused).
ALLOWED = {
    "public": {
        "anonymous",
        "outsider",
        "member",
        "subscriber",
        "other_subscriber",
        "coordinator",
        "admin",
    },
    "members": {"member", "coordinator", "admin"},
    "subscribers": {"subscriber", "coordinator", "admin"},
    "coordinators": {"coordinator", "admin"},
}
READERS = (
    "anonymous",
    "outsider",
    "member",
    "subscriber",
    "other_subscriber",
    "coordinator",
    "admin",
)


@pytest.mark.parametrize("audience", list(ALLOWED))
def test_each_audience_reads_its_documents_and_no_one_else(client, login, group_world, audience):
    group, offer, people = group_world
    login(people["coordinator"])
    offer_id = offer.id if audience == "subscribers" else ""
    assert _upload(client, group, PDF, audience=audience, offer_id=offer_id).status_code == 302
    document_id = db.session.scalar(select(GroupDocument.id))
    url = f"/documents/{document_id}"

    for reader in READERS:
        with client.session_transaction() as session:
            session.clear()
            if reader != "anonymous":
                session["_user_id"] = login_id(people[reader])
        response = client.get(url)
        page = client.get(f"/groupes/{group.slug}").text
        if reader in ALLOWED[audience]:
            assert response.status_code == 200, (audience, reader)
            assert url in page, (audience, reader)
        else:
            # The login page for a visitor, a plain 404 for anyone else: nothing leaks.
            assert response.status_code == (302 if reader == "anonymous" else 404), reader
            assert url not in page, (audience, reader)
            assert PDF not in response.data


def test_a_direct_link_stops_working_when_the_reader_leaves(client, login, group_world):
    group, offer, people = group_world
    login(people["coordinator"])
    _upload(client, group, PDF, audience="subscribers", offer_id=offer.id)
    document_id = db.session.scalar(select(GroupDocument.id))
    login(people["subscriber"])
    assert client.get(f"/documents/{document_id}").status_code == 200
    from marketplace.baskets.models import Subscription
    from marketplace.db import utcnow

    subscription = db.session.scalar(
        select(Subscription).where(Subscription.user_id == people["subscriber"].id)
    )
    subscription.status, subscription.cancelled_at = "cancelled", utcnow()
    db.session.commit()
    assert client.get(f"/documents/{document_id}").status_code == 404


def test_the_group_page_reads_the_documents_in_constant_queries(client, login, group_world):
    group, offer, people = group_world
    login(people["coordinator"])

    def queries() -> int:
        with client.session_transaction() as session:
            session["_user_id"] = login_id(people["subscriber"])
        with count_queries() as counter:
            assert client.get(f"/groupes/{group.slug}").status_code == 200
        return counter.count

    _upload(client, group, PDF, audience="subscribers", offer_id=offer.id)
    one = queries()
    login(people["coordinator"])
    for audience in ("public", "members", "coordinators") * 3:
        _upload(client, group, PDF, audience=audience)
    assert queries() == one


def test_the_coordinators_list_reads_in_constant_queries(client, login, group_world):
    group, offer, people = group_world
    login(people["coordinator"])
    _upload(client, group, PDF, audience="subscribers", offer_id=offer.id)
    with count_queries() as one:
        assert client.get(f"/groupes/{group.slug}/documents").status_code == 200
    for audience in ("public", "members", "coordinators") * 3:
        _upload(client, group, PDF, audience=audience, title=f"Document {audience}")
    _upload(client, group, PDF, audience="subscribers", offer_id=offer.id)
    with count_queries() as eleven:
        assert client.get(f"/groupes/{group.slug}/documents").text.count("/documents/") >= 11
    assert eleven.count == one.count
