"""A person's own data: the page, the download, deleting the account; who left a group."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm
from marketplace.groups.access import coordinated_group
from marketplace.privacy import erasure
from marketplace.privacy.export import export_zip
from marketplace.privacy.models import DeletionReason
from marketplace.timezones import paris_today

bp = Blueprint("privacy", __name__, url_prefix="/mes-donnees")


class DeleteAccountForm(BaseForm):
    understood = BooleanField(
        _l("Je comprends que mon compte sera supprimé pour de bon."),
        validators=[DataRequired(_l("Cochez la case pour confirmer."))],
    )
    submit = SubmitField(_l("Supprimer mon compte"))


def _page(form: DeleteAccountForm, status: int = 200):
    user = current_user._get_current_object()
    body = render_template(
        "privacy/index.html", form=form, commitments=erasure.open_commitments(user)
    )
    return body, status


@bp.get("/")
def index():
    return _page(DeleteAccountForm(formdata=None))


@bp.get("/export.zip")
def download():
    user = current_user._get_current_object()
    response = Response(export_zip(user), mimetype="application/zip")
    filename = f"mes-donnees-{paris_today().isoformat()}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/supprimer")
def delete_account():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    user = current_user._get_current_object()
    try:
        erasure.anonymise(user, DeletionReason.REQUEST)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _page(form, 409)
    language = user.language
    db.session.commit()
    logout_user()
    session["language"] = language
    flash(_("Votre compte est supprimé. Merci d'avoir fait vivre votre AMAP !"), "success")
    return redirect(url_for("territory.home"))


@bp.get("/groupes/<slug>/departs")
def departures(slug: str):
    group = coordinated_group(slug)
    return render_template(
        "privacy/departures.html", group=group, departures=erasure.departures_of(group.id)
    )
