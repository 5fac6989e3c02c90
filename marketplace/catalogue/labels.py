"""Translated names of units and categories."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.catalogue.models import Category, Unit

# (singular, plural)
UNIT_NAMES = {
    Unit.PIECE: (_l("pièce"), _l("pièces")),
    Unit.KG: (_l("kg"), _l("kg")),
    Unit.BUNCH: (_l("botte"), _l("bottes")),
    Unit.LITRE: (_l("litre"), _l("litres")),
    Unit.JAR: (_l("bocal"), _l("bocaux")),
    Unit.DOZEN: (_l("douzaine"), _l("douzaines")),
    Unit.TRAY: (_l("barquette"), _l("barquettes")),
}

CATEGORY_NAMES = {
    Category.VEGETABLES: _l("Légumes"),
    Category.FRUITS: _l("Fruits"),
    Category.BREAD: _l("Pain"),
    Category.CHEESE: _l("Fromages"),
    Category.DAIRY: _l("Produits laitiers"),
    Category.MEAT: _l("Viande"),
    Category.EGGS: _l("Œufs"),
    Category.HONEY: _l("Miel"),
    Category.DRINKS: _l("Boissons"),
    Category.GROCERY: _l("Épicerie"),
}


def unit_name(code: str | Unit, *, plural: bool = False) -> str:
    names = UNIT_NAMES.get(Unit(code)) if code in Unit._value2member_map_ else None
    if names is None:
        return str(code)
    return str(names[1] if plural else names[0])


def category_name(code: str | Category) -> str:
    return str(CATEGORY_NAMES.get(code, code))
