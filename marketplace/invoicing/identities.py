"""An organisation's legal identity, as its coordinators or its producer's staff enter it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.invoicing.models import DocumentsIssuedBy, LegalIdentity
from marketplace.organisations.models import Organisation, OrganisationKind

SIRET = re.compile(r"^\d{14}$")
VAT_NUMBER = re.compile(r"^FR[0-9A-Z]{2}\d{9}$")


@dataclass(frozen=True)
class IdentityData:
    legal_name: str
    address: str
    siret: str
    vat_number: str
    vat_liable: bool
    documents_issued_by: str = DocumentsIssuedBy.SELF.value


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def save_identity(organisation: Organisation, data: IdentityData) -> LegalIdentity:
    siret = data.siret.replace(" ", "")
    vat_number = data.vat_number.replace(" ", "").upper()
    if siret and not (SIRET.match(siret) and luhn_valid(siret)):
        raise DomainError(
            _l("Un SIRET a 14 chiffres (vérifiez-le sur votre avis de situation)."), field="siret"
        )
    if vat_number and not VAT_NUMBER.match(vat_number):
        raise DomainError(
            _l("Un numéro de TVA français s’écrit FR suivi de 11 caractères."), field="vat_number"
        )
    if data.vat_liable and not (vat_number and siret):
        raise DomainError(
            _l("Une structure assujettie à la TVA indique son SIRET et son numéro de TVA."),
            field="vat_number",
        )
    issued_by = data.documents_issued_by
    if organisation.kind != OrganisationKind.PRODUCER:
        issued_by = DocumentsIssuedBy.SELF.value
    if issued_by not in {value.value for value in DocumentsIssuedBy}:
        raise DomainError(_l("Choisissez qui émet les factures."), field="documents_issued_by")
    identity = db.session.get(LegalIdentity, organisation.id)
    if identity is None:
        identity = LegalIdentity(organisation_id=organisation.id)
        db.session.add(identity)
    identity.legal_name = data.legal_name.strip()[:160]
    identity.address = data.address.strip()[:300]
    identity.siret = siret
    identity.vat_number = vat_number
    identity.vat_liable = data.vat_liable
    identity.documents_issued_by = issued_by
    db.session.flush()
    return identity
