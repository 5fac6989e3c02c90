"""The producer's catalogue screens and the public product photos.

The weekly availability grid lives in availability_views.py, on the same blueprint.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace.catalogue import photos, products, queries
from marketplace.catalogue.forms import ProductForm
from marketplace.catalogue.models import Product, ProductPhoto
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import ConfirmForm, show_service_error
from marketplace.organisations.access import has_role, require_role
from marketplace.organisations.models import Role
from marketplace.producers.models import Producer
from marketplace.security import public

bp = Blueprint("catalogue", __name__)

CATALOGUE = "/producteurs/<slug>/catalogue"
# The photo plus the other fields and the multipart envelope.
UPLOAD_LIMIT = photos.MAX_PHOTO_BYTES + 512 * 1024
UPLOAD_ENDPOINTS = {"catalogue.new_product", "catalogue.edit_product"}
PHOTO_MAX_AGE = timedelta(days=7)


@bp.app_template_global()
def product_photo_url(product_id: int, version: int) -> str:
    """The photo's address; `version` (queries.photo_versions) changes with the photo, so
    browsers may keep it cached for long."""
    return url_for("catalogue.photo", product_id=product_id, v=version)


@bp.url_value_preprocessor
def _limit_upload_size(endpoint: str | None, values: dict | None) -> None:
    # Runs before any before_request hook (CSRF reads the body there): a huge upload is
    # refused before it is read, and _upload_too_large turns that into a form error.
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error: RequestEntityTooLarge):
    """Show the product form again with a clear message instead of a bare 413 page."""
    values = request.view_args or {}
    producer = queries.producer_by_slug(values.get("slug", ""))
    if producer is None or not has_role(current_user, producer, Role.PRODUCER_STAFF):
        return render_template("errors/error.html", error=error), 413
    product = None
    if "product_id" in values:
        product = queries.product_of(producer.id, values["product_id"])
    form = ProductForm(formdata=None, obj=_form_values(product) if product else None)
    form.photo.errors = [
        _(
            "La photo dépasse %(size)d Mo : choisissez une image plus légère. "
            "Rien n'a été enregistré.",
            size=photos.MAX_PHOTO_BYTES // (1024 * 1024),
        )
    ]
    return _render_form(producer, form, product), 413


def managed_producer(slug: str) -> Producer:
    producer = queries.producer_by_slug(slug)
    if producer is None:
        abort(404)
    require_role(producer, Role.PRODUCER_STAFF)
    return producer


def _product(producer: Producer, product_id: int) -> Product:
    product = queries.product_of(producer.id, product_id)
    if product is None:  # another farm's product is none of this farm's business
        abort(404)
    return product


class _FormValues:
    """A product seen as the form's fields (the price in cents, the labels as a list)."""

    def __init__(self, product: Product):
        self.name = product.name
        self.category = product.category
        self.unit = product.unit
        self.price = product.price_cents
        self.description = product.description
        self.label_codes = product.label_codes
        self.vat_rate = product.vat_rate_bp


def _form_values(product: Product) -> _FormValues:
    return _FormValues(product)


def _render_form(producer: Producer, form: ProductForm, product: Product | None) -> str:
    versions = queries.photo_versions([product.id]) if product else {}
    return render_template(
        "catalogue/product_form.html",
        producer=producer,
        product=product,
        form=form,
        photo_version=versions.get(product.id) if product else None,
        confirm=ConfirmForm(formdata=None),
    )


@bp.get(CATALOGUE)
def products_list(slug: str):
    producer = managed_producer(slug)
    every_product = queries.catalogue_products(producer.id, archived=None)
    return render_template(
        "catalogue/products.html",
        producer=producer,
        active=[product for product in every_product if not product.archived],
        archived=[product for product in every_product if product.archived],
        photo_versions=queries.photo_versions(product.id for product in every_product),
        confirm=ConfirmForm(formdata=None),
    )


def _save_photo(form: ProductForm, product: Product) -> None:
    upload = form.uploaded_photo()
    if upload is not None:
        photos.set_photo(product, upload.stream)
    elif form.remove_photo.data and product.photo is not None:
        photos.remove_photo(product)


@bp.route(f"{CATALOGUE}/nouveau", methods=["GET", "POST"])
def new_product(slug: str):
    producer = managed_producer(slug)
    form = ProductForm()
    if form.validate_on_submit():
        try:
            product = products.create_product(producer, form.details())
            _save_photo(form, product)
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s ajouté au catalogue.", name=product.name), "success")
            return redirect(url_for(".products_list", slug=slug))
    return _render_form(producer, form, None)


@bp.route(f"{CATALOGUE}/<int:product_id>", methods=["GET", "POST"])
def edit_product(slug: str, product_id: int):
    producer = managed_producer(slug)
    product = _product(producer, product_id)
    form = ProductForm(obj=_form_values(product))
    if form.validate_on_submit():
        try:
            products.update_product(product, form.details())
            _save_photo(form, product)
        except DomainError as error:
            db.session.rollback()
            show_service_error(form, error)
            product = _product(producer, product_id)
        else:
            db.session.commit()
            flash(_("%(name)s enregistré.", name=product.name), "success")
            return redirect(url_for(".products_list", slug=slug))
    return _render_form(producer, form, product)


@bp.post(f"{CATALOGUE}/<int:product_id>/archiver")
def archive_product(slug: str, product_id: int):
    producer = managed_producer(slug)
    product = _product(producer, product_id)
    if ConfirmForm().validate_on_submit():
        kept = products.archive_product(product, utcnow())
        db.session.commit()
        if kept:
            flash(
                _(
                    "%(name)s est archivé. Il reste proposé aux %(count)d dates où des foyers "
                    "l'ont déjà commandé : ces commandes seront honorées.",
                    name=product.name,
                    count=kept,
                ),
                "warning",
            )
        else:
            flash(_("%(name)s est archivé et n'est plus proposé.", name=product.name), "success")
    else:
        flash(_("Demande incomplète : rechargez la page et réessayez."), "error")
    return redirect(url_for(".products_list", slug=slug))


@bp.post(f"{CATALOGUE}/<int:product_id>/restaurer")
def restore_product(slug: str, product_id: int):
    producer = managed_producer(slug)
    product = _product(producer, product_id)
    if ConfirmForm().validate_on_submit():
        products.restore_product(product)
        db.session.commit()
        flash(_("%(name)s est de retour dans le catalogue.", name=product.name), "success")
    else:
        flash(_("Demande incomplète : rechargez la page et réessayez."), "error")
    return redirect(url_for(".products_list", slug=slug))


@bp.get("/produits/<int:product_id>/photo")
@public
def photo(product_id: int):
    """Public (the shop shows photos) and cacheable: the URL carries the photo's version."""
    stored = db.session.get(ProductPhoto, product_id)
    if stored is None:
        abort(404)
    response = Response(stored.data, mimetype=stored.content_type)
    response.set_etag(f"{product_id}-{queries.photo_version(stored.updated_at)}")
    response.cache_control.public = True
    response.cache_control.max_age = int(PHOTO_MAX_AGE.total_seconds())
    return response.make_conditional(request)


from marketplace.catalogue import availability_views  # noqa: E402, F401 - same blueprint
