"""Invoices and credit notes: the household's own, a producer's, a group's (coordinators),
and the PDF of one, for those who may read it."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import or_, select

from marketplace.extensions import db
from marketplace.groups.access import coordinated_group
from marketplace.invoicing import pdf
from marketplace.invoicing.models import Document
from marketplace.organisations.access import has_role
from marketplace.organisations.models import Organisation, Role
from marketplace.shop.list_views import staff_producer

bp = Blueprint("invoicing", __name__, url_prefix="/documents")

LIST_LIMIT = 500  # the latest ones; older ones stay downloadable from their emails


def _listed(condition) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document)
            .where(condition)
            .order_by(Document.issued_on.desc(), Document.id.desc())
            .limit(LIST_LIMIT)
        )
    )


@bp.get("/")
def mine():
    documents = _listed(Document.buyer_id == current_user.id)
    return render_template("invoicing/list.html", documents=documents, owner=None, show_buyer=False)


@bp.get("/groupes/<slug>")
def of_group(slug: str):
    group = coordinated_group(slug)
    documents = _listed(or_(Document.group_id == group.id, Document.issuer_id == group.id))
    return render_template("invoicing/list.html", documents=documents, owner=group, show_buyer=True)


@bp.get("/producteurs/<int:producer_id>")
def of_producer(producer_id: int):
    producer = staff_producer(producer_id)
    documents = _listed(Document.seller_id == producer.id)
    return render_template(
        "invoicing/list.html", documents=documents, owner=producer, show_buyer=True
    )


def may_read(document: Document) -> bool:
    """The household it was issued to, the seller's staff, the group's coordinators (and
    the issuer's, when a group issues for a producer), the site's administrators."""
    if current_user.is_admin or document.buyer_id == current_user.id:
        return True
    seller = db.session.get(Organisation, document.seller_id)
    if has_role(current_user, seller, Role.PRODUCER_STAFF):
        return True
    for organisation_id in {document.group_id, document.issuer_id}:
        organisation = db.session.get(Organisation, organisation_id)
        if has_role(current_user, organisation, Role.COORDINATOR):
            return True
    return False


@bp.get("/<int:document_id>/pdf")
def download(document_id: int):
    document = db.session.get(Document, document_id)
    # Someone else's document is answered as if it did not exist.
    if document is None or not may_read(document):
        abort(404)
    content = pdf.render(document)
    return (
        content,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{pdf.filename(document)}"',
        },
    )
