"""The shop's product list, rendered once per version of the day's catalogue and reused.

Every member of a group sees the same list for a day (language and filters aside); only the
quantities typed in its inputs are theirs. So the list's HTML is kept in a small in-process
cache whose key holds a version of the day's catalogue read by one aggregate query: any stock
reserved or released, price, product, photo or publication change gives a new version and the
next page load renders the list again. The inputs' values are never cached: each is a slot
filled in for the person asking. Organisations carry no `updated_at`, so a renamed producer
shows within `MAX_AGE_SECONDS`.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from itertools import groupby

from flask import Response, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import bindparam, case, func, select

from marketplace.catalogue.models import Availability, Product, ProductPhoto
from marketplace.delivery.models import DistributionDay
from marketplace.extensions import db
from marketplace.shop import queries
from marketplace.shop.display import Formatter
from marketplace.shop.ordering import quantity_field

MAX_ENTRIES = 64  # a few days × languages × common filters per worker
MAX_AGE_SECONDS = 300
SLOT = "\x00"  # where an input's value goes; removed from every text shown in the list
PAGE_SLOT = "\x00product-list\x00"  # where the page template writes the list


@dataclass(frozen=True)
class ProductList:
    """The rendered list of one day, as UTF-8 pieces around the inputs' value slots.

    Kept encoded: the list is most of the page, and encoding it again for every request
    would cost more than the rest of the page."""

    pieces: tuple[bytes, ...]  # even positions: HTML; odd positions: b"" (an empty value)
    slots: Mapping[int, int]  # availability id → position of its input's value in `pieces`
    blank: bytes  # the list with every input empty (no cart yet)
    producers: list[tuple[int, str]]  # the day's producers and categories, for the filters
    categories: list[str]
    built_at: float

    @property
    def empty(self) -> bool:
        return not self.slots

    def html(self, values: Mapping[int, str]) -> bytes:
        """The list with `values` ({availability id: text}) in the inputs of the products shown."""
        filled = [(self.slots.get(key), text) for key, text in values.items() if text]
        filled = [(position, text) for position, text in filled if position is not None]
        if not filled:
            return self.blank
        pieces = list(self.pieces)
        for position, text in filled:
            pieces[position] = str(escape(text)).encode()
        return b"".join(pieces)


def page_response(
    template: str, product_list: ProductList, values: Mapping[int, str], status: int, **context
) -> Response:
    """`template` rendered with the product list where it writes `{{ product_list }}`.

    The page around the list is rendered as usual, then the list's bytes are put in its place."""
    page = render_template(template, product_list=PAGE_SLOT, **context)
    # The last occurrence is the list's: the template writes nothing typed by people after it.
    head, found, tail = page.rpartition(PAGE_SLOT)
    body = [head.encode(), product_list.html(values), tail.encode()] if found else [page.encode()]
    return Response(body, status=status, mimetype="text/html")


class ProductListCache:
    """A small LRU of rendered lists, shared by the threads of one worker."""

    def __init__(self, size: int = MAX_ENTRIES, max_age: float = MAX_AGE_SECONDS) -> None:
        self._entries: OrderedDict[Hashable, ProductList] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size
        self._max_age = max_age

    def get(self, key: Hashable) -> ProductList | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if time.monotonic() - found.built_at > self._max_age:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value: ProductList) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def cache() -> ProductListCache:
    """The application's cache (one per app, so tests and workers never share entries)."""
    return current_app.extensions.setdefault("shop_product_lists", ProductListCache())


def catalogue_version(day: DistributionDay) -> tuple:
    """What changes whenever the day's list would show something else (one aggregate query).

    Stock moves are Core UPDATEs: they bump `updated_at` (its `onupdate`) and change the sum of
    reserved quantities; unpublished rows count too, so publishing one and unpublishing another
    still moves the version."""
    params = {"group_id": day.group_id, "day": day.day}
    return tuple(db.session.execute(_version_statement(), params).one())


@functools.cache
def _version_statement():
    # Built once: constructing a statement costs more than running this one.
    return (
        select(
            func.count(Availability.id),
            func.sum(case((Availability.published.is_(True), 1), else_=0)),
            func.max(Availability.updated_at),
            func.sum(Availability.reserved_milli),
            func.max(Product.updated_at),
            func.count(ProductPhoto.product_id),
            func.max(ProductPhoto.updated_at),
        )
        .select_from(Availability)
        .join(Product, Product.id == Availability.product_id)
        .outerjoin(ProductPhoto, ProductPhoto.product_id == Availability.product_id)
        .where(
            Availability.group_id == bindparam("group_id"),
            Availability.day == bindparam("day"),
        )
    )


def product_list(
    day: DistributionDay,
    filters: queries.ShopFilters,
    *,
    window_open: bool,
    errors: Mapping[str, str] | None = None,
) -> ProductList:
    """The day's list from the cache, or rendered (and kept) when the catalogue changed.

    A list showing form errors belongs to one person: it is rendered and never kept."""
    if errors:
        return _build(day, filters, window_open, errors)
    key = (
        day.group_id,
        day.day,
        str(get_locale()),
        request.script_root,
        filters,
        window_open,
        catalogue_version(day),
    )
    store = cache()
    found = store.get(key)
    if found is None:
        found = _build(day, filters, window_open, {})
        store.put(key, found)
    return found


@dataclass(slots=True)
class Line:
    """One product of the list, every text already formatted and translated."""

    id: int
    field: str
    name: str
    photo_url: str | None
    category: str
    price: str
    left: str | None
    sold_out: bool
    maximum: str | None
    label: str
    unit: str
    error: str | None


def _build(day, filters, window_open: bool, errors: Mapping[str, str]) -> ProductList:
    rows = queries.shop_rows(day, filters)
    producers, categories = queries.shop_choices(day)
    sections = _sections(rows, errors)
    html = render_template(
        "shop/_products.html", sections=sections, window_open=window_open, slot=SLOT
    )
    texts = html.encode().split(SLOT.encode())
    pieces: list[bytes] = [texts[0]]
    slots: dict[int, int] = {}
    lines = [line for _name, section in sections for line in section]
    for line, text in zip(lines, texts[1:], strict=True):
        slots[line.id] = len(pieces)
        pieces.extend((b"", text))
    return ProductList(
        pieces=tuple(pieces),
        slots=slots,
        blank=b"".join(pieces),
        producers=producers,
        categories=categories,
        built_at=time.monotonic(),
    )


def _sections(rows, errors: Mapping[str, str]) -> list[tuple[str, list[Line]]]:
    """Rows come ordered by producer: one section per producer, each row as a Line."""
    fmt = Formatter()
    # Each message is translated once per list, then filled in per row.
    left_text = _("reste %(left)s")
    maximum_text = _("%(max)s au plus par foyer")
    label_text = _("Quantité de %(product)s")
    sections = []
    for (_producer_id, producer_name), items in groupby(
        rows, key=lambda row: (row.producer_id, row.producer_name)
    ):
        lines = []
        for row in items:
            name = _clean(row.name)
            unit = fmt.per_unit(row.unit)
            left = None
            if row.quantity_milli is not None:
                remaining = row.quantity_milli - row.reserved_milli
                if remaining > 0:
                    left = left_text % {"left": fmt.quantity(remaining, row.unit)}
            maximum = None
            if row.max_per_household_milli:
                maximum = maximum_text % {
                    "max": fmt.quantity(row.max_per_household_milli, row.unit)
                }
            field = quantity_field(row.availability_id)
            lines.append(
                Line(
                    id=row.availability_id,
                    field=field,
                    name=name,
                    photo_url=fmt.photo_url(row.product_id) if row.photo_product_id else None,
                    category=fmt.category(row.category),
                    price=f"{fmt.money(row.price_cents)} / {unit}",
                    left=left,
                    sold_out=row.quantity_milli is not None and left is None,
                    maximum=maximum,
                    label=label_text % {"product": name},
                    unit=unit,
                    error=errors.get(field),
                )
            )
        sections.append((_clean(producer_name), lines))
    return sections


def _clean(text: str) -> str:
    """Names are typed by people: the slot marker must never appear in them."""
    return text.replace(SLOT, "")
