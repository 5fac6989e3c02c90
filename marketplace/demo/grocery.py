"""Demo beneficiaries and stock of the solidarity grocery, made through the real services:
a dozen households at 10, 30 and 50 % (one whose rights have expired, one expiring soon), and
20 stock items bought from the demo producers or given."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalogue.models import Product
from marketplace.demo.territory import GROCERY, demo_email
from marketplace.extensions import db
from marketplace.groceries.models import Grocery
from marketplace.grocery_shop.beneficiaries import BeneficiaryData, create_beneficiary
from marketplace.grocery_shop.models import Beneficiary, StockItem
from marketplace.grocery_shop.stock_receiving import (
    IncomingData,
    record_donation,
    record_purchase,
)
from marketplace.producers.models import Producer

# name, tier, months of validity left (negative: expired), referrer, phone, notes
HOUSEHOLDS = (
    ("Foyer Martin", 30, 10, "CCAS de Givors", "06 11 22 33 44", ""),
    ("Foyer Benali", 10, 11, "Maison du Rhône de Givors", "06 21 32 43 54", "Quatre enfants."),
    ("Foyer Da Silva", 50, 6, "Secours populaire", "06 31 42 53 64", ""),
    ("Foyer Nguyen", 30, 8, "CCAS de Givors", "", "Pas de téléphone : passe à l'épicerie."),
    ("Foyer Petit", 10, 3, "Restos du cœur", "06 41 52 63 74", ""),
    ("Foyer Lambert", 50, 9, "Mission locale", "07 12 23 34 45", "Jeune couple, un bébé."),
    ("Foyer Traoré", 30, 12, "Maison du Rhône de Givors", "07 22 33 44 55", ""),
    ("Foyer Moreau", 10, 1, "CCAS de Grigny", "07 32 43 54 65", "Renouvellement à prévoir."),
    ("Foyer Girard", 50, 5, "Secours catholique", "07 42 53 64 75", ""),
    ("Foyer Haddad", 30, 7, "CCAS de Givors", "06 52 63 74 85", ""),
    ("Foyer Lefèvre", 10, 4, "Restos du cœur", "06 62 73 84 95", "Régime sans sel."),
    ("Foyer Roussel", 30, -1, "CCAS de Grigny", "06 72 83 94 05", "Droits expirés : rappeler."),
)
LINKED_ACCOUNT = ("Foyer Martin", demo_email("foyer.martin"))

# farm slug, product name, quantity typed, shelf price in cents (None: the catalogue's)
PURCHASES = (
    ("ferme-du-coteau", "Carottes", "25", None),
    ("ferme-du-coteau", "Pommes de terre", "60", 200),
    ("ferme-du-coteau", "Poireaux", "20", None),
    ("ferme-du-coteau", "Salade batavia", "15", None),
    ("ferme-du-coteau", "Courge butternut", "12", 300),
    ("fournil-des-monts", "Pain de campagne au levain (1 kg)", "10", None),
    ("chevrerie-de-la-combe", "Fromage de chèvre frais", "18", None),
    ("chevrerie-de-la-combe", "Tomme de chèvre", "3,5", None),
    ("rucher-des-crets", "Miel de printemps (500 g)", "8", 850),
    ("vergers-de-soucieu", "Pommes golden", "40", 280),
    ("vergers-de-soucieu", "Jus de pomme", "24", None),
    ("poulailler-de-la-grange", "Œufs plein air", "15", None),
)
# name, category, unit, quantity typed, shelf price in cents, farm slug or None
DONATIONS = (
    ("Pâtes complètes (500 g)", "epicerie", "piece", "60", 0, None),
    ("Riz long (1 kg)", "epicerie", "piece", "40", 0, None),
    ("Lentilles vertes", "epicerie", "kg", "15", 50, None),
    ("Conserves de tomates", "epicerie", "piece", "48", 20, None),
    ("Huile de tournesol", "epicerie", "litre", "20", 80, None),
    ("Yaourts nature (x4)", "laitier", "piece", "30", 30, None),
    ("Pommes à compote", "fruits", "kg", "18", 0, "vergers-de-soucieu"),
    ("Brioche de la veille", "pain", "piece", "6", 0, "fournil-des-monts"),
)


def seed_demo_grocery(today: date) -> int:
    """Beneficiaries and stock for the demo grocery, once; returns rows created."""
    grocery = db.session.scalar(select(Grocery).where(Grocery.slug == GROCERY["slug"]))
    if grocery is None:
        return 0
    return _seed_beneficiaries(grocery, today) + _seed_stock(grocery, today)


def _seed_beneficiaries(grocery: Grocery, today: date) -> int:
    if _count(Beneficiary, grocery.id):
        return 0  # seeded before, or the staff keep their own files: leave them alone
    linked_name, linked_email = LINKED_ACCOUNT
    for name, tier, months_left, referrer, phone, notes in HOUSEHOLDS:
        valid_until = today + timedelta(days=30 * months_left)
        linked = name == linked_name and db.session.scalar(
            select(User.id).where(User.email == linked_email)
        )
        email = linked_email if linked else ""
        create_beneficiary(
            grocery.id,
            BeneficiaryData(
                household_name=name,
                tier_percent=tier,
                valid_from=valid_until - timedelta(days=364),  # a year's rights
                valid_until=valid_until,
                account_email=email,
                phone=phone,
                referrer=referrer,
                notes=notes,
            ),
        )
    return len(HOUSEHOLDS)


def _seed_stock(grocery: Grocery, today: date) -> int:
    if _count(StockItem, grocery.id):
        return 0
    created = 0
    for farm, product_name, quantity, price in PURCHASES:
        product = db.session.execute(
            select(Product.id, Product.producer_id)
            .join(Producer, Producer.id == Product.producer_id)
            .where(Producer.slug == farm, Product.name == product_name)
        ).first()
        if product is None:
            continue  # the demo catalogue was changed: skip what is gone
        record_purchase(
            grocery.id,
            IncomingData(
                quantity_text=quantity,
                shelf_price_cents=price,
                received_on=today - timedelta(days=2),
                producer_id=product.producer_id,
                product_id=product.id,
            ),
        )
        created += 1
    for name, category, unit, quantity, price, farm in DONATIONS:
        producer_id = (
            db.session.scalar(select(Producer.id).where(Producer.slug == farm)) if farm else None
        )
        record_donation(
            grocery.id,
            IncomingData(
                quantity_text=quantity,
                shelf_price_cents=price,
                received_on=today - timedelta(days=1),
                producer_id=producer_id,
                name=name,
                category=category,
                unit=unit,
            ),
        )
        created += 1
    return created


def _count(model, grocery_id: int) -> int:
    return db.session.scalar(select(func.count(model.id)).where(model.grocery_id == grocery_id))
