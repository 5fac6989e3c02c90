"""The availability grid: products × coming dates, read from and written back to one HTML form.

Each editable cell posts `cell=<key>` plus `offer-<key>` (a checkbox), `qty-<key>` (empty:
no limit), `price-<key>` (empty: the catalogue price) and `max-<key>` (empty: no maximum).
Only cells listed by `cell` are read, so frozen cells (shown as text) are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from marketplace.catalogue.availability import CellChange, cell_key
from marketplace.catalogue.models import MILLI, Availability, Product
from marketplace.catalogue.quantities import parse_quantity
from marketplace.catalogue.queries import ComingDate
from marketplace.errors import DomainError
from marketplace.payments.money import cents_as_typed, parse_euros


def quantity_as_typed(milli: int | None) -> str:
    """1500 → "1,5", 2000 → "2": what a person types back (no thousands separator)."""
    if milli is None:
        return ""
    whole, rest = divmod(milli, MILLI)
    return str(whole) if not rest else f"{whole},{rest:03d}".rstrip("0")


@dataclass
class GridCell:
    key: str
    day: ComingDate
    availability: Availability | None
    offered: bool = False
    quantity: str = ""
    price: str = ""
    max_per_household: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def published(self) -> bool:
        return self.availability is not None and self.availability.published


@dataclass
class GridRow:
    product: Product
    cells: list[GridCell]


@dataclass
class Grid:
    dates: list[ComingDate]
    rows: list[GridRow]
    form_errors: list[str] = field(default_factory=list)

    @property
    def editable_dates(self) -> list[ComingDate]:
        return [coming for coming in self.dates if not coming.frozen]

    @property
    def has_errors(self) -> bool:
        return bool(self.form_errors) or any(cell.errors for row in self.rows for cell in row.cells)


def build_grid(
    products: list[Product],
    dates: list[ComingDate],
    availabilities: Mapping[tuple[int, date], Availability],
    formdata: MultiDict | None = None,
    errors: Mapping[str, list[str]] | None = None,
) -> Grid:
    """The grid as stored, or as the producer just typed it when `formdata` is given."""
    errors = errors or {}
    rows = []
    for product in products:
        cells = []
        for coming in dates:
            key = cell_key(product.id, coming.day)
            row = availabilities.get((product.id, coming.day))
            cell = GridCell(key=key, day=coming, availability=row, errors=list(errors.get(key, [])))
            if formdata is not None and not coming.frozen:
                cell.offered = f"offer-{key}" in formdata
                cell.quantity = formdata.get(f"qty-{key}", "")
                cell.price = formdata.get(f"price-{key}", "")
                cell.max_per_household = formdata.get(f"max-{key}", "")
            elif row is not None and row.published:
                cell.offered = True
                cell.quantity = quantity_as_typed(row.quantity_milli)
                cell.price = cents_as_typed(row.price_cents)
                cell.max_per_household = quantity_as_typed(row.max_per_household_milli)
            else:
                cell.price = cents_as_typed(product.price_cents)
            cells.append(cell)
        rows.append(GridRow(product=product, cells=cells))
    return Grid(dates=dates, rows=rows)


def _parse_key(key: str) -> tuple[int, date] | None:
    product_part, _sep, day_part = key.partition("_")
    try:
        return int(product_part), date.fromisoformat(day_part)
    except ValueError:
        return None


def _parse_price(text: str, key: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        cents = parse_euros(text)
    except ValueError as error:
        raise DomainError(_("Indiquez un prix en euros, par exemple 3,20."), field=key) from error
    if cents <= 0:
        raise DomainError(_("Le prix doit être supérieur à zéro."), field=key)
    return cents


def _optional_quantity(text: str, unit: str, key: str) -> int | None:
    return parse_quantity(text, unit, field=key) if text.strip() else None


def parse_grid(
    formdata: MultiDict, units: Mapping[int, str]
) -> tuple[list[CellChange], dict[str, list[str]], list[str]]:
    """The posted cells as changes, the errors per cell, and errors about the form itself.
    `units` maps the producer's product ids to their unit."""
    changes: list[CellChange] = []
    errors: dict[str, list[str]] = {}
    form_errors: list[str] = []
    for key in dict.fromkeys(formdata.getlist("cell")):  # each cell once
        parsed = _parse_key(key)
        if parsed is None or parsed[0] not in units:
            form_errors.append(_("Ce produit ne fait pas partie de votre catalogue."))
            continue
        product_id, day = parsed
        if f"offer-{key}" not in formdata:
            changes.append(CellChange(product_id=product_id, day=day, offered=False))
            continue
        unit = units[product_id]
        try:
            changes.append(
                CellChange(
                    product_id=product_id,
                    day=day,
                    offered=True,
                    quantity_milli=_optional_quantity(formdata.get(f"qty-{key}", ""), unit, key),
                    price_cents=_parse_price(formdata.get(f"price-{key}", ""), key),
                    max_per_household_milli=_optional_quantity(
                        formdata.get(f"max-{key}", ""), unit, key
                    ),
                )
            )
        except DomainError as error:
            errors.setdefault(key, []).append(error.message)
    return changes, errors, list(dict.fromkeys(form_errors))
