"""The words of ledger entries: what happened and its parameters are stored, the sentence is
written when it is read, in the reader's language.

A ledger entry written by the site stores a KIND of label (`label_key`, a stable key of
`ENTRY_WORDS`) and its parameters (`label_params`, JSON-safe: dates as ISO strings, amounts
in cents, names as given). Its `label` column keeps the sentence in French, written when the
entry is booked: the legal accounting export (FEC) and the accountant's files read it, and
old entries booked before the keys existed show it as it is. Text typed by a person (a
coordinator's note) is stored in `label` without a key, and shown as typed, never translated.

Every screen, file or email showing an entry's words goes through `entry_label`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from marketplace.payments.labels import METHOD_LABELS
from marketplace.payments.money import format_money
from marketplace.stored_words import in_french, in_reader_language
from marketplace.typography import french_date

LABEL_MAX = 200  # ledger_entries.label
KEY_MAX = 40  # ledger_entries.label_key


def _day(value: str) -> str:
    """« 22 décembre 2026 » / "December 22, 2026": a stored ISO date in the reader's locale."""
    return french_date(date.fromisoformat(value), "long")


def _card_method(method: str) -> str:
    return _("prélèvement SEPA") if method == "sepa_debit" else _("carte bancaire")


def _offline_payment(params: Mapping[str, Any]) -> str:
    """A cheque with its number and bank, or the way the money came (cash, transfer)."""
    if params.get("number"):
        return _("Chèque n° %(number)s (%(bank)s)", number=params["number"], bank=params["bank"])
    return str(METHOD_LABELS.get(params["method"], params["method"]))


# Each kind: the sentence, written with its parameters in the locale in force. Keys are stored
# in the database: never rename one (add a new kind and keep the old one).
ENTRY_WORDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    # Baskets: a season's commitment, its completion, a cancellation, an absence.
    "commitment": lambda p: ngettext(
        "%(offer)s — saison %(season)s, %(num)d livraison",
        "%(offer)s — saison %(season)s, %(num)d livraisons",
        p["num"],
        offer=p["offer"],
        season=p["season"],
    ),
    "season_completed": lambda p: ngettext(
        "%(offer)s — saison complétée, %(num)d livraison ajoutée",
        "%(offer)s — saison complétée, %(num)d livraisons ajoutées",
        p["num"],
        offer=p["offer"],
    ),
    "cancellation": lambda p: ngettext(
        "Résiliation — %(num)d livraison non due",
        "Résiliation — %(num)d livraisons non dues",
        p["num"],
    ),
    "day_cancelled": lambda p: _(
        "Distribution du %(date)s annulée — panier crédité", date=_day(p["date"])
    ),
    "absence": lambda p: _("Absence du %(date)s", date=_day(p["date"])),
    "absence_cancelled": lambda p: _("Absence du %(date)s annulée", date=_day(p["date"])),
    "tier_support": lambda p: _("Tarif solidaire accordé — %(offer)s", offer=p["offer"]),
    "uncollected_basket": lambda p: _(
        "Panier non retiré le %(date)s — %(offer)s", date=_day(p["date"]), offer=p["offer"]
    ),
    # The solidarity fund.
    "donation_pledge": lambda p: ngettext(
        "Panier suspendu — %(offer)s, %(amount)s × %(num)d livraison",
        "Panier suspendu — %(offer)s, %(amount)s × %(num)d livraisons",
        p["num"],
        offer=p["offer"],
        amount=format_money(p["amount_cents"]),
    ),
    "donation_gift": lambda p: _("Don au fonds de solidarité"),
    "donation_withdrawn": lambda p: _("Don non dû — livraisons résiliées"),
    # Membership and the shop.
    "membership_fee": lambda p: _(
        "Adhésion %(period)s à %(group)s", period=p["period"], group=p["group"]
    ),
    "extras_order": lambda p: _(
        "Commande d'extras pour la distribution du %(date)s", date=_day(p["date"])
    ),
    # Cards and SEPA debits through Stripe.
    "card_fee_payment": lambda p: _(
        "Paiement d'une adhésion par %(method)s", method=_card_method(p["method"])
    ),
    "card_order_payment": lambda p: _(
        "Paiement de la commande n° %(id)s par %(method)s",
        id=p["id"],
        method=_card_method(p["method"]),
    ),
    "card_installment_payment": lambda p: _(
        "Paiement d'une échéance par %(method)s", method=_card_method(p["method"])
    ),
    "card_refund": lambda p: _("Remboursement sur %(method)s", method=_card_method(p["method"])),
    "card_disputed": lambda p: _("Paiement par carte contesté auprès de la banque"),
    "dispute_won": lambda p: _("Contestation gagnée : paiement rétabli"),
    # Debits made by the group itself, and returned ones (by the group's bank or Stripe's).
    "group_debit": lambda p: _("Prélèvement SEPA par le groupe"),
    "debit_returned": lambda p: _("Prélèvement SEPA rejeté par la banque"),
    # Cheques, cash and transfers recorded by the coordinators.
    "offline_payment": _offline_payment,
    "offline_cancelled": lambda p: _(
        "Paiement annulé (impayé) : %(payment)s", payment=_offline_payment(p)
    ),
    # A household's credit (avoir) after an overpaid contract.
    "credit_refund_cheque": lambda p: _("Remboursement de l'avoir par chèque"),
    "credit_refund_transfer": lambda p: _("Remboursement de l'avoir par virement"),
    "credit_carried_out": lambda p: _(
        "Avoir reporté sur le contrat « %(offer)s »", offer=p["offer"]
    ),
    "credit_carried_in": lambda p: _(
        "Avoir du contrat « %(offer)s » — échéance du %(date)s",
        offer=p["offer"],
        date=_day(p["date"]),
    ),
}


def _json_safe(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str | int | bool) or value is None:
        return value
    raise TypeError(f"A label parameter must be a date, a string or a number, not {value!r}.")


@dataclass(frozen=True)
class Words:
    """What an entry says: a kind of label and its parameters (see the module's docstring)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The keyword arguments of `book_entry` for these words."""
        return {"label_key": self.key, "label_params": self.params}

    def text(self) -> str:
        """The sentence in the locale in force."""
        return render(self.key, self.params)

    def french(self) -> str:
        return french_text(self.key, self.params)


def words(key: str, **params: Any) -> Words:
    """`words("absence", date=day)`: checked now, so a bad kind never reaches the database."""
    if key not in ENTRY_WORDS:
        raise KeyError(f"Unknown kind of ledger label: {key!r}.")
    return Words(key, {name: _json_safe(value) for name, value in params.items()})


def fields_of(label: Words | str) -> dict[str, Any]:
    """`book_entry`'s keyword arguments for words of the site, or for a person's own text."""
    return label.fields() if isinstance(label, Words) else {"label": label}


def stored_text(label: Words | str) -> str:
    """What a text column stores: the site's words in French, a person's text as typed."""
    return label.french() if isinstance(label, Words) else label


def render(key: str, params: Mapping[str, Any] | None) -> str:
    return ENTRY_WORDS[key](params or {})


def french_text(key: str, params: Mapping[str, Any] | None) -> str:
    """The sentence as stored in `label`: in French, whatever the language of the request."""
    return in_french(ENTRY_WORDS, key, params, LABEL_MAX)


def label_text(label: str, key: str | None, params: Mapping[str, Any] | None) -> str:
    """An entry's words for the reader: its kind in the locale in force, else (free text
    typed by a person, an entry booked before kinds existed) its stored label."""
    return in_reader_language(ENTRY_WORDS, label, key, params)


def entry_label(entry: Any) -> str:
    """The Jinja filter `entry_label`: anything with `label`, `label_key` and `label_params`
    (a LedgerEntry, a statement line, a query row)."""
    return label_text(entry.label, entry.label_key, entry.label_params)
