"""The harvest list, packing list and delivery sheet as CSV files a French spreadsheet opens:
UTF-8 with a byte order mark, `;` between cells, decimal commas, names defused of formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import ngettext

from marketplace.catalogue.labels import unit_name
from marketplace.catalogue.models import MILLI
from marketplace.shop.lists import (
    BasketCount,
    HarvestList,
    PackingPoint,
    ProductTotal,
    SheetPoint,
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def quantity_cell(milli: int) -> str:
    """1500 → '1,5'; 12000 → '12': no thousands separator, a decimal comma."""
    whole, rest = divmod(milli, MILLI)
    if not rest:
        return str(whole)
    return f"{whole},{rest:03d}".rstrip("0")


def text_cell(value: str) -> str:
    """A name typed by someone, defused so a spreadsheet never runs it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def basket_name(basket: BasketCount) -> str:
    return f"{basket.offer_name} — {basket.size_name}"


def baskets_unit(count: int) -> str:
    return ngettext("panier", "paniers", count)


def _product_cells(product: ProductTotal) -> list[str]:
    unit = unit_name(product.unit, plural=product.quantity_milli > MILLI)
    return [text_cell(product.name), quantity_cell(product.quantity_milli), unit]


def _basket_cells(basket: BasketCount) -> list[str]:
    return [text_cell(basket_name(basket)), str(basket.baskets), baskets_unit(basket.baskets)]


def _csv(header: list[str], rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()


def harvest_csv(harvest: HarvestList) -> str:
    def rows():
        for product in harvest.products:
            yield [_("Produit"), *_product_cells(product), str(product.households)]
            for grocery, quantity in product.groceries:  # already counted in the row above
                part = ProductTotal(product.product_id, product.name, product.unit, quantity)
                cells = _product_cells(part)
                cells[0] = text_cell(
                    _("%(product)s (%(grocery)s)", product=product.name, grocery=grocery)
                )
                yield [_("Dont épicerie solidaire"), *cells, ""]
        for basket in harvest.baskets:
            yield [_("Panier"), *_basket_cells(basket), ""]

    return _csv([_("Type"), _("Article"), _("Quantité"), _("Unité"), _("Foyers")], rows())


def household_label(name: str, on_behalf_of: str | None) -> str:
    if on_behalf_of:
        return _("%(name)s (pour %(member)s)", name=name, member=on_behalf_of)
    return name


def packing_csv(points: list[PackingPoint]) -> str:
    def rows():
        for packing in points:
            place = text_cell(packing.point.name)
            for household in packing.households:
                who = text_cell(household_label(household.name, household.on_behalf_of))
                for basket in household.baskets:
                    yield [place, who, *_basket_cells(basket)]
                for product in household.extras:
                    yield [place, who, *_product_cells(product)]

    header = [_("Lieu de distribution"), _("Foyer"), _("Article"), _("Quantité"), _("Unité")]
    return _csv(header, rows())


def sheet_csv(sheets: list[SheetPoint]) -> str:
    def rows():
        for sheet in sheets:
            place = text_cell(sheet.point.name)
            for basket in sheet.baskets:
                yield [place, *_basket_cells(basket)]
            for product in sheet.products:
                yield [place, *_product_cells(product)]

    header = [_("Lieu de distribution"), _("Article"), _("Quantité"), _("Unité")]
    return _csv(header, rows())
