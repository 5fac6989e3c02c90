"""A household linked to a solidarity grocery's beneficiary file finds the mobile shop on its
dashboard; nobody else sees that section (eligibility is private)."""

from __future__ import annotations

from marketplace.extensions import db
from tests import factories


def test_a_linked_beneficiary_sees_the_mobile_shop(client, login):
    user = factories.UserFactory()
    grocery = factories.GroceryFactory()
    factories.BeneficiaryFactory(grocery=grocery, user_id=user.id)
    db.session.commit()
    login(user)

    page = client.get("/tableau-de-bord").get_data(as_text=True)

    assert f"Épicerie mobile : {grocery.name}" in page
    assert f"/epicerie-mobile/{grocery.slug}" in page


def test_an_archived_file_or_another_household_shows_no_mobile_shop(client, login):
    user = factories.UserFactory()
    factories.BeneficiaryFactory(user_id=user.id, archived=True)
    factories.BeneficiaryFactory()  # someone else's file
    db.session.commit()
    login(user)

    page = client.get("/tableau-de-bord").get_data(as_text=True)

    assert "Épicerie mobile" not in page
    assert "/epicerie-mobile/" not in page
