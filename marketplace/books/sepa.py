"""The SEPA credit transfer file (pain.001.001.03) of a payout run, made by sepaxml and checked
against the schema (the official XSD, shipped in marketplace/books/schemas/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

SCHEMA = "pain.001.001.03"
SCHEMA_FILE = Path(__file__).parent / "schemas" / f"{SCHEMA}.xsd"


@dataclass(frozen=True)
class Transfer:
    name: str
    iban: str
    bic: str
    amount_cents: int
    description: str
    end_to_end_id: str


def credit_transfer_file(
    *,
    debtor_name: str,
    debtor_iban: str,
    debtor_bic: str,
    execution_on: date,
    transfers: list[Transfer],
) -> tuple[str, bytes]:
    """The message id and the XML the association's bank imports; sepaxml validates it
    against the XSD before giving it."""
    from sepaxml import SepaTransfer  # only the transfer file needs it

    sepa = SepaTransfer(
        {
            "name": debtor_name,
            "IBAN": debtor_iban,
            "BIC": debtor_bic,
            "batch": True,
            "currency": "EUR",
        },
        schema=SCHEMA,
        clean=True,
    )
    for transfer in transfers:
        sepa.add_payment(
            {
                "name": transfer.name,
                "IBAN": transfer.iban,
                "BIC": transfer.bic,
                "amount": transfer.amount_cents,
                "execution_date": execution_on,
                "description": transfer.description,
                "endtoend_id": transfer.end_to_end_id,
            }
        )
    return sepa.msg_id, sepa.export(validate=True)
