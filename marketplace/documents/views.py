"""The coordinators' documents screen and the download every reader goes through."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import undefer
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace.documents import services
from marketplace.documents.forms import AUDIENCE_NAMES, DocumentForm
from marketplace.documents.models import GroupDocument
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, show_service_error
from marketplace.groups.access import coordinated_group
from marketplace.security import public

bp = Blueprint("documents", __name__)

ENVELOPE = 512 * 1024  # the other fields and the multipart envelope


def _max_bytes() -> int:
    return int(current_app.config["DOCUMENT_MAX_BYTES"])


@bp.url_value_preprocessor
def _limit_upload_size(endpoint: str | None, values: dict | None) -> None:
    # Before CSRF reads the body: a huge upload is refused before it is read.
    if endpoint == "documents.manage" and request.method == "POST":
        request.max_content_length = _max_bytes() + ENVELOPE


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error: RequestEntityTooLarge):
    flash(
        _(
            "Le fichier dépasse %(size)d Mo : choisissez un fichier plus léger. "
            "Rien n'a été enregistré.",
            size=max(1, _max_bytes() // (1024 * 1024)),
        ),
        "error",
    )
    return redirect(request.url), 303


@bp.route("/groupes/<slug>/documents", methods=["GET", "POST"])
def manage(slug: str):
    group = coordinated_group(slug)
    form = DocumentForm()
    offers = services.offers_of(group)
    form.offer_id.choices = [("", "—")] + [(offer.id, offer.name) for offer in offers]
    if form.validate_on_submit():
        upload = form.uploaded_file()
        try:
            if upload is None:
                raise DomainError(_("Choisissez un fichier."), field="file")
            document = services.add_document(
                group,
                current_user,
                title=form.title.data or "",
                audience=form.audience.data or "",
                offer_id=form.offer_id.data,
                stream=upload.stream,
                original_filename=upload.filename or "",
                max_bytes=_max_bytes(),
            )
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("« %(title)s » est en ligne.", title=document.title), "success")
            return redirect(url_for(".manage", slug=slug))
    return render_template(
        "documents/manage.html",
        group=group,
        form=form,
        documents=services.all_documents(group),
        confirm=ConfirmForm(),
        max_megabytes=max(1, _max_bytes() // (1024 * 1024)),
        audience_names=AUDIENCE_NAMES,
    )


@bp.post("/groupes/<slug>/documents/<int:document_id>/supprimer")
def delete(slug: str, document_id: int):
    group = coordinated_group(slug)
    if not ConfirmForm().validate_on_submit():
        flash(_("Demande incomplète : rechargez la page et réessayez."), "error")
        return redirect(url_for(".manage", slug=slug))
    try:
        services.delete_document(group, document_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Le document est retiré."), "success")
    return redirect(url_for(".manage", slug=slug))


@bp.get("/documents/<int:document_id>")
@public
def download(document_id: int):
    """The audience is checked at every download. Someone outside it gets the login page if
    not logged in, else a 404: the link tells nothing of the document."""
    document = db.session.scalar(
        select(GroupDocument)
        .where(GroupDocument.id == document_id)
        .options(undefer(GroupDocument.data))
    )
    if document is None:
        abort(404)
    if not services.may_read(current_user, document):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        abort(404)
    response = send_file(
        io.BytesIO(document.data),
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.filename,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store" if document.audience != "public" else "no-cache"
    return response
