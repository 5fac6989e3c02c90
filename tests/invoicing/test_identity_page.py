"""The legal identity page: its own coordinators or producer staff only; checked numbers."""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.invoicing.models import LegalIdentity
from tests import factories

GOOD = {
    "legal_name": "EARL du Pré",
    "address": "1 chemin du Pré, 26000 Valence",
    "siret": "123 456 782 00010",
    "vat_number": "fr11123456782",
    "vat_liable": "y",
    "documents_issued_by": "group",
}


def test_a_producer_s_staff_enter_its_identity(client, user_with_role, login):
    producer = factories.ProducerFactory()
    login(user_with_role("producer_staff", producer))
    path = f"/documents/identite/{producer.id}"
    assert client.get(path).status_code == 200
    response = client.post(path, data=GOOD)
    assert response.status_code == 302
    identity = db.session.get(LegalIdentity, producer.id)
    assert identity.siret == "12345678200010" and identity.vat_number == "FR11123456782"
    assert identity.vat_liable and identity.documents_issued_by == "group"


def test_a_wrong_siret_or_a_liable_seller_without_number_is_refused(client, user_with_role, login):
    group = factories.GroupFactory()
    login(user_with_role("coordinator", group))
    path = f"/documents/identite/{group.id}"
    response = client.post(path, data={**GOOD, "siret": "12345678200011"})
    assert response.status_code == 200 and "SIRET a 14 chiffres" in response.get_data(as_text=True)
    response = client.post(path, data={**GOOD, "vat_number": ""})
    assert response.status_code == 200
    assert db.session.get(LegalIdentity, group.id) is None
    assert client.post(path, data={**GOOD, "vat_liable": ""}).status_code == 302
    identity = db.session.get(LegalIdentity, group.id)
    assert identity.documents_issued_by == "self"  # a group issues its own


def test_others_cannot_open_an_organisation_s_identity(client, user_with_role, login):
    producer = factories.ProducerFactory()
    group = factories.GroupFactory()
    login(user_with_role("member", group))
    assert client.get(f"/documents/identite/{group.id}").status_code == 403
    assert client.post(f"/documents/identite/{producer.id}", data=GOOD).status_code == 403
    assert client.get("/documents/identite/999999").status_code == 404
    assert db.session.get(LegalIdentity, producer.id) is None


def test_a_basket_size_and_a_product_carry_their_vat_rate(app):
    from marketplace.baskets.offers import SizeData, add_size
    from marketplace.catalogue.products import ProductDetails, create_product
    from marketplace.errors import DomainError

    offer = factories.BasketOfferFactory()
    size = add_size(offer, SizeData("Grand", "", 2_000, None, vat_rate_bp=1000))
    assert size.vat_rate_bp == 1000
    with pytest.raises(DomainError):
        add_size(offer, SizeData("Petit", "", 1_000, None, vat_rate_bp=700))
    producer = factories.ProducerFactory()
    details = ProductDetails("Jus", "boissons", "litre", 450, vat_rate_bp=2000)
    assert create_product(producer, details).vat_rate_bp == 2000
    with pytest.raises(DomainError):
        create_product(producer, ProductDetails("Vin", "boissons", "litre", 450, vat_rate_bp=1))
