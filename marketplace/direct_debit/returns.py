"""SEPA return reason codes (ISO 20022 ExternalReturnReason1Code) in words a household reads."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

RETURN_REASONS = {
    "AC01": _l("Le numéro de compte (IBAN) est incorrect."),
    "AC04": _l("Le compte bancaire du mandat est clos."),
    "AC06": _l("Le compte bancaire du mandat est bloqué."),
    "AC13": _l("Le compte ne peut pas être prélevé."),
    "AG01": _l("Ce compte n'accepte pas les prélèvements."),
    "AG02": _l("La banque a refusé l'opération."),
    "AM04": _l("La provision du compte était insuffisante."),
    "AM05": _l("Ce prélèvement a été présenté deux fois."),
    "BE05": _l("Le créancier n'est pas reconnu par la banque."),
    "FF01": _l("Une erreur technique est survenue chez la banque."),
    "MD01": _l("La banque ne connaît pas de mandat pour ce prélèvement."),
    "MD02": _l("Le mandat est incomplet ou incorrect."),
    "MD06": _l("Le titulaire du compte a demandé le remboursement du prélèvement."),
    "MD07": _l("Le titulaire du compte est décédé."),
    "MS02": _l("Le titulaire du compte a refusé ce prélèvement."),
    "MS03": _l("La banque a refusé le prélèvement sans en donner la raison."),
    "RC01": _l("Le code BIC de la banque est incorrect."),
    "SL01": _l("Le compte refuse les prélèvements de ce créancier."),
}
GENERIC = _l("La banque a rejeté le prélèvement.")


def reason_of(code: str) -> str:
    return str(RETURN_REASONS.get(code.upper(), GENERIC))
