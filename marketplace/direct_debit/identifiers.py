"""Checking the identifiers of a debit: creditor identifier (ICS), IBAN and BIC (pure).

An ICS (SEPA creditor identifier) reads CCkkBBBnnnnn…: country, two check digits, a
three-character business code the check ignores, and the national identifier. The check
digits are ISO 7064 MOD 97-10 over the national identifier followed by the country and "00",
letters counted A=10 … Z=35 (as for an IBAN).
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from marketplace.errors import DomainError

ICS_PATTERN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$")


def compact(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def _digits(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text))


def ics_check_digits(country: str, national_id: str) -> str:
    return f"{98 - _digits(national_id + country + '00') % 97:02d}"


def clean_ics(value: str) -> str:
    """The ICS, compacted; DomainError if its form or check digits are wrong."""
    ics = compact(value)
    if not ICS_PATTERN.match(ics):
        raise DomainError(
            _(
                "L'identifiant créancier SEPA (ICS) n'a pas la bonne forme, "
                "par exemple FR12ZZZ123456."
            ),
            field="creditor_id",
        )
    if ics_check_digits(ics[:2], ics[7:]) != ics[2:4]:
        raise DomainError(
            _(
                "L'identifiant créancier SEPA (ICS) est incorrect : "
                "vérifiez-le chiffre par chiffre."
            ),
            field="creditor_id",
        )
    return ics


def clean_iban(value: str, field: str = "iban") -> str:
    from schwifty import IBAN  # imported when a debit is set up, not by every worker
    from schwifty.exceptions import SchwiftyException

    try:
        return str(IBAN(compact(value)).compact)
    except (SchwiftyException, ValueError):
        raise DomainError(
            _("Cet IBAN est incorrect : vérifiez-le chiffre par chiffre."), field=field
        ) from None


def clean_bic(value: str, field: str = "bic") -> str:
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        return str(BIC(compact(value)).compact)
    except (SchwiftyException, ValueError):
        raise DomainError(_("Ce BIC est incorrect (8 ou 11 caractères)."), field=field) from None


def bic_of(iban: str) -> str:
    """The bank's BIC found from the IBAN, or "" when schwifty does not know the bank."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        bic = IBAN(iban).bic
    except (SchwiftyException, ValueError):
        return ""
    return str(bic.compact) if bic is not None else ""
