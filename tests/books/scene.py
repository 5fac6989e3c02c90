"""A group, two producers with a contract each, households paying by cheque, cash and card."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from marketplace.books import accounts
from marketplace.extensions import db
from marketplace.organisations.models import Role
from marketplace.timezones import paris_today
from tests import factories

GROUP_IBAN = "FR7630006000011234567890189"
FARM_IBAN = "FR1420041010050500013M02606"
BAKER_IBAN = "DE89370400440532013000"


@dataclass
class Scene:
    group: object
    farm: object
    baker: object
    coordinator: object
    farm_offer: object
    baker_offer: object
    households: list = field(default_factory=list)
    cheques: list = field(default_factory=list)


def installment(offer, name, amount, *, sequence=1):
    user = factories.UserFactory(name=name)
    factories.MembershipFactory(user=user, organisation=offer.group)
    subscription = factories.SubscriptionFactory(offer=offer, user=user)
    row = factories.InstallmentFactory(
        subscription=subscription,
        sequence=sequence,
        amount_cents=amount,
        due_on=paris_today() + timedelta(days=10),
    )
    return user, row


def cheque(
    offer,
    name,
    amount,
    *,
    bank="Crédit Agricole",
    number=None,
    state="recorded",
    cash_on=None,
    method="cheque",
):
    user, row = installment(offer, name, amount)
    row.state = "pending"
    payment = factories.OfflinePaymentFactory(
        installment=row,
        method=method,
        bank=bank if method == "cheque" else None,
        cheque_number=(number or f"{row.id:07d}") if method == "cheque" else None,
        cash_on=cash_on,
        state=state,
    )
    return payment


def build(*, bank_accounts=True) -> Scene:
    group = factories.GroupFactory(slug="amap-des-canuts", name="AMAP des Canuts")
    farm = factories.ProducerFactory(slug="ferme-du-coteau", name="Ferme du Coteau")
    baker = factories.ProducerFactory(slug="fournil-bio", name="Fournil bio")
    farm_offer = factories.BasketOfferFactory(
        supply__group=group, supply__producer=farm, name="Légumes"
    )
    baker_offer = factories.BasketOfferFactory(
        supply__group=group, supply__producer=baker, name="Pain"
    )
    coordinator = factories.UserFactory(name="Claire Trésorière")
    factories.MembershipFactory(user=coordinator, organisation=group, role=str(Role.COORDINATOR))
    scene = Scene(group, farm, baker, coordinator, farm_offer, baker_offer)
    scene.cheques = [
        cheque(farm_offer, "Alice Martin", 4500, bank="Crédit Mutuel", number="0000101"),
        cheque(farm_offer, "Bruno Petit", 3000, bank="La Banque Postale", number="0000202"),
        cheque(baker_offer, "Chloé Roux", 1200, bank="LCL", number="0000303"),
    ]
    db.session.flush()
    if bank_accounts:
        accounts.save_account(
            organisation_id=group.id, holder="AMAP des Canuts", iban=GROUP_IBAN, bic=""
        )
        accounts.save_account(
            organisation_id=farm.id, holder="EARL du Coteau", iban=FARM_IBAN, bic="CCBPFRPPXXX"
        )
        accounts.save_account(
            organisation_id=baker.id, holder="Fournil bio", iban=BAKER_IBAN, bic="COBADEFFXXX"
        )
    db.session.commit()
    return scene
