"""The grocery staff's screens of beneficiaries: the list (search, expiry warnings), the form,
the household's page.

Only the grocery's staff (and site admins) reach them; anyone else gets 403. Eligibility and
notes appear on these pages and nowhere else.
"""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, IntegerField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, NumberRange, Optional

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm, ConfirmForm, required, show_service_error, too_long
from marketplace.groceries.access import grocery_for_staff
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop import beneficiaries as service
from marketplace.grocery_shop.models import Beneficiary
from marketplace.list_pages import paginate_query
from marketplace.payments.offline_forms import LocalDateField
from marketplace.timezones import paris_today

bp = Blueprint("beneficiaries", __name__, url_prefix="/epiceries/<slug>/beneficiaires")


def date_required() -> InputRequired:
    """Unlike DataRequired, keeps the date field's own "not a valid date" message."""
    return InputRequired(_l("Ce champ est obligatoire."))


def _stripped(value: str | None) -> str | None:
    return value.strip() if value else value


class BeneficiaryForm(BaseForm):
    household_name = StringField(
        _l("Nom du foyer"), validators=[required(), too_long(service.NAME_MAX)]
    )
    tier_percent = IntegerField(
        _l("Tarif (pourcentage du prix en rayon)"),
        validators=[
            InputRequired(_l("Ce champ est obligatoire.")),
            NumberRange(min=1, max=100, message=_l("Indiquez un nombre entre %(min)s et %(max)s.")),
        ],
        render_kw={"inputmode": "numeric", "list": "usual-tiers"},
    )
    valid_from = LocalDateField(_l("Droits ouverts du"), validators=[date_required()])
    valid_until = LocalDateField(_l("au (inclus)"), validators=[date_required()])
    account_email = EmailField(
        _l("Compte du foyer sur le site (facultatif)"),
        validators=[Optional(), Email(_l("Adresse e-mail invalide.")), too_long(254)],
        filters=[_stripped],
    )
    phone = StringField(_l("Téléphone"), validators=[Optional(), too_long(service.PHONE_MAX)])
    referrer = StringField(
        _l("Orienté par (partenaire)"), validators=[Optional(), too_long(service.REFERRER_MAX)]
    )
    notes = TextAreaField(
        _l("Notes privées de l'équipe"), validators=[Optional(), too_long(service.NOTES_MAX)]
    )

    def data_for_service(self) -> service.BeneficiaryData:
        return service.BeneficiaryData(
            household_name=self.household_name.data or "",
            tier_percent=self.tier_percent.data,
            valid_from=self.valid_from.data,
            valid_until=self.valid_until.data,
            account_email=self.account_email.data or "",
            phone=self.phone.data or "",
            referrer=self.referrer.data or "",
            notes=self.notes.data or "",
        )


def _beneficiary_or_404(grocery: Grocery, beneficiary_id: int) -> Beneficiary:
    beneficiary = service.beneficiary_in(grocery.id, beneficiary_id)
    if beneficiary is None:
        abort(404)
    return beneficiary


@bp.get("")
def index(slug: str):
    grocery = grocery_for_staff(slug)
    search = request.args.get("q", "")[:100]
    archived = request.args.get("archives") == "1"
    today = paris_today()
    query = service.beneficiaries_query(grocery.id, search=search, archived=archived)
    page = paginate_query(query, row=lambda values: service.BeneficiaryRow(*values))
    states = {
        row.beneficiary.id: service.expiry_state(row.beneficiary, today) for row in page.items
    }
    return render_template(
        "grocery_shop/beneficiaries/index.html",
        grocery=grocery,
        page=page,
        rows=page.items,
        states=states,
        search=search,
        archived=archived,
        warnings=0 if archived else service.warnings_count(query, today),
    )


@bp.route("/nouveau", methods=["GET", "POST"])
def create(slug: str):
    grocery = grocery_for_staff(slug)
    form = BeneficiaryForm()
    if request.method == "GET":
        today = paris_today()
        form.tier_percent.data = 30
        form.valid_from.data = today
        form.valid_until.data = today + relativedelta(years=1, days=-1)
    if form.validate_on_submit():
        try:
            beneficiary = service.create_beneficiary(grocery.id, form.data_for_service())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("Foyer « %(name)s » inscrit.", name=beneficiary.household_name), "success")
            return redirect(url_for(".detail", slug=grocery.slug, beneficiary_id=beneficiary.id))
    return _form_page(grocery, form, None)


@bp.get("/<int:beneficiary_id>")
def detail(slug: str, beneficiary_id: int):
    grocery = grocery_for_staff(slug)
    beneficiary = _beneficiary_or_404(grocery, beneficiary_id)
    today = paris_today()
    eligible, reason = service.eligibility(beneficiary, today)
    return render_template(
        "grocery_shop/beneficiaries/detail.html",
        grocery=grocery,
        beneficiary=beneficiary,
        account_email=service.account_email(beneficiary),
        eligible=eligible,
        reason=reason,
        state=service.expiry_state(beneficiary, today),
        confirm=ConfirmForm(),
    )


@bp.route("/<int:beneficiary_id>/modifier", methods=["GET", "POST"])
def edit(slug: str, beneficiary_id: int):
    grocery = grocery_for_staff(slug)
    beneficiary = _beneficiary_or_404(grocery, beneficiary_id)
    form = BeneficiaryForm(obj=beneficiary)
    if request.method == "GET":
        form.account_email.data = service.account_email(beneficiary) or ""
    if form.validate_on_submit():
        try:
            service.update_beneficiary(beneficiary, form.data_for_service())
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("Dossier du foyer enregistré."), "success")
            return redirect(url_for(".detail", slug=grocery.slug, beneficiary_id=beneficiary.id))
    return _form_page(grocery, form, beneficiary)


@bp.post("/<int:beneficiary_id>/archiver")
def archive(slug: str, beneficiary_id: int):
    return _toggle(slug, beneficiary_id, service.archive_beneficiary, _("Foyer archivé."))


@bp.post("/<int:beneficiary_id>/reactiver")
def restore(slug: str, beneficiary_id: int):
    return _toggle(slug, beneficiary_id, service.restore_beneficiary, _("Foyer réinscrit."))


def _toggle(slug: str, beneficiary_id: int, change, done_message: str):
    grocery = grocery_for_staff(slug)
    beneficiary = _beneficiary_or_404(grocery, beneficiary_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        change(beneficiary)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
    else:
        db.session.commit()
        flash(done_message, "success")
    return redirect(url_for(".detail", slug=grocery.slug, beneficiary_id=beneficiary_id))


def _form_page(grocery: Grocery, form: BeneficiaryForm, beneficiary: Beneficiary | None):
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "grocery_shop/beneficiaries/form.html",
        grocery=grocery,
        form=form,
        beneficiary=beneficiary,
        usual_tiers=service.USUAL_TIERS,
    ), status
