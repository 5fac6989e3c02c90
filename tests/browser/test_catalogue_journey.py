"""A producer adds a product to the catalogue and publishes a week from the availability grid."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import select

from marketplace.catalogue.models import Availability
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories

pytestmark = pytest.mark.browser


def test_a_producer_publishes_a_week_from_the_grid(
    page: Page, live_server: str, console_messages: list[ConsoleMessage]
):
    supply = factories.ProducerSuppliesGroupFactory(
        producer=factories.ProducerFactory(name="Ferme des Saules", slug="ferme-des-saules"),
        group=factories.GroupFactory(name="AMAP du Plateau", slug="amap-du-plateau"),
    )
    schedule = factories.DistributionScheduleFactory(
        pickup_point=factories.PickupPointFactory(group=supply.group)
    )
    day = factories.DistributionDayFactory(
        schedule=schedule, occurrence_date=paris_today() + timedelta(days=7)
    )
    farmer = factories.UserFactory(email="jeanne@exemple.fr")
    factories.MembershipFactory(user=farmer, organisation=supply.producer, role="producer_staff")
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    page.goto(f"{live_server}/compte/connexion")
    page.locator("input[name=email]").fill("jeanne@exemple.fr")
    page.locator("input[name=password]").fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    page.goto(f"{live_server}/producteurs/ferme-des-saules/catalogue")
    page.get_by_role("link", name="Ajouter un produit").first.click()
    page.get_by_label("Nom du produit").fill("Carottes")
    page.get_by_label("Catégorie").select_option(label="Légumes")
    page.get_by_label("Vendu à la… (unité)").select_option(label="kg")
    page.get_by_label("Prix par unité (€)").fill("2,80")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Carottes ajouté au catalogue.")).to_be_visible()

    page.get_by_role("link", name="Disponibilités de la semaine").click()
    page.get_by_role("link", name="AMAP du Plateau").click()
    expect(page.get_by_role("heading", name="Disponibilités pour AMAP du Plateau")).to_be_visible()
    quantity = page.get_by_role("textbox", name=re.compile(r"Quantité \(kg\).*Carottes")).first
    page.get_by_role("checkbox", name=re.compile(r"Proposer.*Carottes")).first.check()
    quantity.fill("12,5")
    page.get_by_role("textbox", name=re.compile(r"Maximum par foyer.*Carottes")).first.fill("2")
    page.get_by_role("button", name="Publier les disponibilités").click()
    expect(page.get_by_text("1 disponibilité publiée.")).to_be_visible()
    expect(quantity).to_have_value("12,5")

    db.session.expire_all()
    offer = db.session.scalar(select(Availability).where(Availability.day == day.day))
    assert (offer.quantity_milli, offer.price_cents, offer.max_per_household_milli) == (
        12_500,
        280,
        2_000,
    )
    violations = [
        message.text
        for message in console_messages
        if re.search(r"Content[ -]Security[ -]Policy", message.text, re.IGNORECASE)
    ]
    assert violations == []
