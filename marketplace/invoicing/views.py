"""Invoices and credit notes: the household's own, a producer's, a group's (coordinators),
and the PDF of one, for those who may read it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import show_service_error
from marketplace.groups.access import coordinated_group
from marketplace.invoicing import pdf
from marketplace.invoicing.forms import IdentityForm
from marketplace.invoicing.identities import IdentityData, save_identity
from marketplace.invoicing.models import Document, LegalIdentity
from marketplace.organisations.access import has_role, require_role
from marketplace.organisations.models import Organisation, OrganisationKind, Role
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


EDITORS = {
    OrganisationKind.GROUP.value: Role.COORDINATOR,
    OrganisationKind.PRODUCER.value: Role.PRODUCER_STAFF,
}


@bp.route("/identite/<int:organisation_id>", methods=["GET", "POST"])
def identity(organisation_id: int):
    """A group's (coordinators) or a producer's (its staff) legal identity."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind not in EDITORS:
        abort(404)
    require_role(organisation, EDITORS[organisation.kind])
    current = db.session.get(LegalIdentity, organisation.id)
    form = IdentityForm(obj=current)
    if form.validate_on_submit():
        data = IdentityData(
            legal_name=form.legal_name.data or "",
            address=form.address.data or "",
            siret=form.siret.data or "",
            vat_number=form.vat_number.data or "",
            vat_liable=bool(form.vat_liable.data),
            documents_issued_by=form.documents_issued_by.data or "self",
        )
        try:
            save_identity(organisation, data)
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("L’identité légale est enregistrée."), "success")
            return redirect(url_for(".identity", organisation_id=organisation.id))
    return render_template(
        "invoicing/identity.html",
        organisation=organisation,
        form=form,
        is_producer=organisation.kind == OrganisationKind.PRODUCER.value,
    )
