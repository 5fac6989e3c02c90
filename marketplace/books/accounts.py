"""Bank accounts of organisations: where a producer is paid, where a group pays from.

IBAN and BIC are checked with schwifty (check digits, national format, known country); the
BIC may be left out when the IBAN names a bank schwifty knows, which is most French banks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.books.models import HOLDER_MAX, BankAccount
from marketplace.errors import DomainError
from marketplace.extensions import db

if TYPE_CHECKING:  # schwifty is imported when an account is checked, not by every worker
    from schwifty import IBAN


def checked_iban(value: str) -> IBAN:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return IBAN(value)
    except SchwiftyException as error:
        raise DomainError(
            _("Cet IBAN n'est pas valide : vérifiez-le sur le RIB."), field="iban"
        ) from error


def checked_bic(value: str, iban: IBAN) -> str:
    if not value.strip():
        if iban.bic is None:
            raise DomainError(_("Indiquez le BIC de la banque (sur le RIB)."), field="bic")
        return str(iban.bic.compact)
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        return str(BIC(value).compact)
    except SchwiftyException as error:
        raise DomainError(
            _("Ce BIC n'est pas valide : 8 ou 11 caractères, sur le RIB."), field="bic"
        ) from error


def account_of(organisation_id: int) -> BankAccount | None:
    return db.session.scalar(
        select(BankAccount).where(BankAccount.organisation_id == organisation_id)
    )


def save_account(*, organisation_id: int, holder: str, iban: str, bic: str) -> BankAccount:
    """Create or replace the organisation's bank account, after checking every field."""
    holder = " ".join(holder.split())
    if not holder:
        raise DomainError(_("Indiquez le titulaire du compte."), field="holder")
    if len(holder) > HOLDER_MAX:
        raise DomainError(_("%(max)d caractères au maximum.", max=HOLDER_MAX), field="holder")
    parsed = checked_iban(iban)
    bic_value = checked_bic(bic, parsed)
    account = account_of(organisation_id)
    if account is None:
        account = BankAccount(organisation_id=organisation_id)
        db.session.add(account)
    account.holder, account.iban, account.bic = holder, parsed.compact, bic_value
    db.session.flush()
    return account


def formatted_iban(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
