"""The names closing a day gives to donated baskets, in the reader's language: a donated
basket stores the name's kind (`label_key`) and parameters (`label_params`: the size and the
producer, names as given) besides its French text (`label`, for any export). A donated
extra's name is the product's and the producer's own words: no kind, shown as stored, like
a donation written before kinds existed.

Every screen showing a donated item's name goes through `donated_label`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _

from marketplace.stored_words import in_french, in_reader_language

LABEL_MAX = 200  # donated_items.label
KEY_MAX = 40  # donated_items.label_key

# Keys are stored in the database: never rename one.
DONATION_WORDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "basket": lambda p: _("Panier %(size)s — %(producer)s", size=p["size"], producer=p["producer"]),
}


def french_text(key: str, params: Mapping[str, Any]) -> str:
    """The name as stored in `label`: in French, whatever the language of the request."""
    return in_french(DONATION_WORDS, key, params, LABEL_MAX)


def label_text(label: str, key: str | None, params: Mapping[str, Any] | None) -> str:
    """A donated item's name for the reader: the site's own words in the locale in force,
    else (a product's name, a donation written before kinds existed) the stored text."""
    return in_reader_language(DONATION_WORDS, label, key, params)


def donated_label(item: Any) -> str:
    """The Jinja filter `donated_label`: a donated item's name in the reader's language."""
    return label_text(item.label, item.label_key, item.label_params)
