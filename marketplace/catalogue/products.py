"""A producer's catalogue: creating, editing, archiving and restoring products."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.catalogue.models import Availability, Category, Product, Unit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.money import DEFAULT_VAT_RATE_BP, VAT_RATES_BP
from marketplace.producers.models import LABELS, Producer
from marketplace.timezones import paris_today

MAX_NAME = 120
MAX_DESCRIPTION = 2000
MAX_PRICE_CENTS = 100_000  # 1 000 € per unit: above any real product, a typo guard


@dataclass
class ProductDetails:
    name: str
    category: str
    unit: str
    price_cents: int
    description: str = ""
    label_codes: Iterable[str] = field(default_factory=tuple)
    vat_rate_bp: int = DEFAULT_VAT_RATE_BP  # printed on invoices


def _checked(details: ProductDetails) -> ProductDetails:
    name = (details.name or "").strip()
    if not name:
        raise DomainError(_("Donnez un nom au produit."), field="name")
    if len(name) > MAX_NAME:
        raise DomainError(_("%(max)d caractères au maximum.", max=MAX_NAME), field="name")
    if details.category not in Category._value2member_map_:
        raise DomainError(_("Choisissez une catégorie proposée dans la liste."), field="category")
    if details.unit not in Unit._value2member_map_:
        raise DomainError(_("Choisissez une unité proposée dans la liste."), field="unit")
    if details.price_cents is None or details.price_cents <= 0:
        raise DomainError(_("Le prix doit être supérieur à zéro."), field="price")
    if details.price_cents > MAX_PRICE_CENTS:
        raise DomainError(_("Ce prix est bien trop élevé pour une unité."), field="price")
    description = (details.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            _("%(max)d caractères au maximum.", max=MAX_DESCRIPTION), field="description"
        )
    if details.vat_rate_bp not in VAT_RATES_BP:
        raise DomainError(_("Choisissez un taux de TVA proposé."), field="vat_rate")
    chosen = set(details.label_codes or ())
    if not chosen <= set(LABELS):
        raise DomainError(_("Choisissez des labels proposés dans la liste."), field="label_codes")
    return ProductDetails(
        name=name,
        category=details.category,
        unit=details.unit,
        price_cents=details.price_cents,
        description=description,
        # Stored in the labels' own order, so the same choice always reads the same.
        label_codes=[code for code in LABELS if code in chosen],
        vat_rate_bp=details.vat_rate_bp,
    )


def _name_taken(producer_id: int, name: str, product_id: int | None) -> bool:
    statement = select(Product.id).where(Product.producer_id == producer_id, Product.name == name)
    if product_id is not None:
        statement = statement.where(Product.id != product_id)
    return db.session.scalar(statement) is not None


def _name_taken_error() -> DomainError:
    return DomainError(_("Votre catalogue a déjà un produit de ce nom."), field="name")


def _flush_unique_name() -> None:
    try:
        db.session.flush()
    except IntegrityError as error:  # the same name saved at the same moment; caller rolls back
        raise _name_taken_error() from error


def create_product(producer: Producer, details: ProductDetails) -> Product:
    details = _checked(details)
    if _name_taken(producer.id, details.name, None):
        raise _name_taken_error()
    product = Product(
        producer_id=producer.id,
        name=details.name,
        category=details.category,
        unit=details.unit,
        price_cents=details.price_cents,
        description=details.description,
        labels=" ".join(details.label_codes),
        vat_rate_bp=details.vat_rate_bp,
    )
    db.session.add(product)
    _flush_unique_name()
    return product


def _has_availability(product: Product) -> bool:
    return bool(db.session.scalar(select(exists().where(Availability.product_id == product.id))))


def update_product(product: Product, details: ProductDetails) -> None:
    """Change a product. Its unit stays once it has been offered: quantities already published
    and ordered are counted in it."""
    details = _checked(details)
    if _name_taken(product.producer_id, details.name, product.id):
        raise _name_taken_error()
    if details.unit != product.unit and _has_availability(product):
        raise DomainError(
            _(
                "Ce produit a déjà été proposé : son unité ne peut plus changer. "
                "Créez plutôt un nouveau produit avec la bonne unité."
            ),
            field="unit",
        )
    product.name = details.name
    product.category = details.category
    product.unit = details.unit
    product.price_cents = details.price_cents
    product.description = details.description
    product.labels = " ".join(details.label_codes)
    product.vat_rate_bp = details.vat_rate_bp
    _flush_unique_name()


def archive_product(product: Product, now: datetime) -> int:
    """Take the product out of the catalogue and withdraw it from the coming dates where
    nobody has ordered it yet. Returns how many offers stay because they already have orders
    (those orders are honoured)."""
    product.archived = True
    coming = (
        Availability.product_id == product.id,
        Availability.published.is_(True),
        Availability.day >= paris_today(now),
    )
    db.session.execute(
        update(Availability)
        .where(*coming, Availability.reserved_milli == 0)
        .values(published=False)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    kept = db.session.scalars(select(Availability.id).where(*coming)).all()
    return len(kept)


def restore_product(product: Product) -> None:
    product.archived = False
    db.session.flush()
