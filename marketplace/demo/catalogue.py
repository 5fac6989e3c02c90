"""Demo catalogues: a few products per demo farm, offered on the next three distribution dates
of every group they supply, so the weekly shop has something to sell. Each product gets a
picture drawn at seed time (a tile of its category's colour with its initial: nothing to ship
or license). Idempotent."""

from __future__ import annotations

import io
from datetime import date, datetime, time

from sqlalchemy import select

from marketplace.catalogue.availability import CellChange, publish_cells
from marketplace.catalogue.models import MILLI, Product
from marketplace.catalogue.photos import set_photo
from marketplace.catalogue.products import ProductDetails, create_product
from marketplace.catalogue.queries import availabilities_for, coming_dates, supplied_groups
from marketplace.extensions import db
from marketplace.producers.models import Producer
from marketplace.timezones import local_instant

# farm slug → (name, category, unit, price in cents, quantity per date or None, max per household)
PRODUCTS: dict[str, tuple[tuple[str, str, str, int, int | None, int | None], ...]] = {
    "ferme-du-coteau": (
        ("Carottes", "legumes", "kg", 280, 30, 3),
        ("Pommes de terre", "legumes", "kg", 220, 60, 5),
        ("Poireaux", "legumes", "botte", 250, 25, 2),
        ("Salade batavia", "legumes", "piece", 150, 40, 2),
        ("Courge butternut", "legumes", "piece", 350, 20, None),
    ),
    "fournil-des-monts": (
        ("Pain de campagne au levain (1 kg)", "pain", "piece", 650, 30, 2),
        ("Brioche", "pain", "piece", 800, 10, 1),
    ),
    "chevrerie-de-la-combe": (
        ("Fromage de chèvre frais", "fromage", "piece", 320, 40, 4),
        ("Tomme de chèvre", "fromage", "kg", 2800, 8, None),
    ),
    "rucher-des-crets": (("Miel de printemps (500 g)", "miel", "bocal", 900, None, 3),),
    "vergers-de-soucieu": (
        ("Pommes golden", "fruits", "kg", 300, 50, None),
        ("Jus de pomme", "boissons", "litre", 350, None, 6),
    ),
    "poulailler-de-la-grange": (("Œufs plein air", "oeufs", "douzaine", 480, 30, 2),),
}
DATES_AHEAD = 3
TILE_SIDE = 240  # pixels
CATEGORY_COLOURS = {
    "legumes": (76, 140, 74),
    "fruits": (214, 120, 46),
    "pain": (176, 124, 72),
    "fromage": (222, 190, 90),
    "miel": (226, 160, 30),
    "boissons": (150, 60, 70),
    "oeufs": (200, 170, 130),
}


def _product(producer: Producer, row) -> tuple[Product, bool]:
    name, category, unit, price, _quantity, _maximum = row
    existing = db.session.scalar(
        select(Product).where(Product.producer_id == producer.id, Product.name == name)
    )
    if existing is not None:
        return existing, False
    product = create_product(
        producer,
        ProductDetails(
            name=name,
            category=category,
            unit=unit,
            price_cents=price,
            label_codes=producer.label_codes,
        ),
    )
    return product, True


def seed_demo_catalogue(today: date) -> int:
    """Create the missing demo products and publish the cells still empty; returns how many
    products and offers were added."""
    now = local_instant(today, time(12, 0))
    added = 0
    for slug, rows in PRODUCTS.items():
        producer = db.session.scalar(select(Producer).where(Producer.slug == slug))
        if producer is None:
            continue
        products = []
        for row in rows:
            product, created = _product(producer, row)
            products.append((product, row))
            added += created
            added += _picture(product)
        for group in supplied_groups(producer.id):
            open_dates = [
                item for item in coming_dates(producer.id, group.id, now) if not item.frozen
            ]
            changes = [
                _cell(product, row, item.day)
                for item in open_dates[:DATES_AHEAD]
                for product, row in products
            ]
            added += _publish_missing(producer, group, changes, now)
    return added


def publish_day(producer: Producer, group, day: date, now: datetime) -> int:
    """The producer's demo products offered on one date, published at `now` (while its order
    window is open); the cells already there are kept. Returns the cells published."""
    changes = []
    for row in PRODUCTS.get(producer.slug, ()):
        product = db.session.scalar(
            select(Product).where(Product.producer_id == producer.id, Product.name == row[0])
        )
        if product is not None:
            changes.append(_cell(product, row, day))
    return _publish_missing(producer, group, changes, now)


def _cell(product: Product, row, day: date) -> CellChange:
    return CellChange(
        product_id=product.id,
        day=day,
        offered=True,
        quantity_milli=None if row[4] is None else row[4] * MILLI,
        max_per_household_milli=None if row[5] is None else row[5] * MILLI,
    )


def _publish_missing(producer, group, changes: list[CellChange], now: datetime) -> int:
    """Publish only the cells that hold nothing yet: a demo farm's own edits are kept."""
    existing = availabilities_for(producer.id, group.id, {change.day for change in changes})
    missing = [change for change in changes if (change.product_id, change.day) not in existing]
    return publish_cells(producer, group, missing, now).published


def _picture(product: Product) -> int:
    """Draw the product's picture if it has none (a farm's own photo is kept); 1 if drawn."""
    if product.photo is not None:
        return 0
    from PIL import Image, ImageDraw, ImageFont  # Pillow is imported when first needed

    colour = CATEGORY_COLOURS.get(product.category, (110, 110, 110))
    tile = Image.new("RGB", (TILE_SIDE, TILE_SIDE), colour)
    draw = ImageDraw.Draw(tile)
    font = ImageFont.load_default(size=TILE_SIDE // 2)
    centre = (TILE_SIDE // 2, TILE_SIDE // 2)
    draw.text(centre, product.name[:1].upper(), fill=(255, 255, 255), font=font, anchor="mm")
    buffer = io.BytesIO()
    tile.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    set_photo(product, buffer)
    return 1
