"""The shop's product list, rendered once per version of the day's catalogue and reused.

Every member of a group sees the same list for a day (language and filters aside). What
differs between two page loads is filled in per request into slots of the cached HTML:
- the member's quantities in the inputs, and the errors of a refused form (so a refused order
  in a last-units rush costs no rendering);
- what is left of each limited product and "épuisé", read by one narrow query per request:
  a stock move (any household's order) never throws the list away.
So the cache key holds a version of the day's catalogue read by one aggregate query that stock
moves do not touch (shop/stock.py leaves `updated_at` alone): a price, product, photo or
publication change gives a new version and the next page load renders the list again.
Organisations carry no `updated_at`, so a renamed producer shows within `MAX_AGE_SECONDS`.

The cache is bounded in bytes (`SHOP_LIST_CACHE_BYTES`) and keeps each list once: its HTML
with every slot empty, and the byte offsets of the slots. Its key holds the version read from
the database, so a worker never serves a list another process has changed.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
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

MAX_BYTES = 32 * 1024 * 1024  # per worker; a 1,000-product list is about 0.5 MB
MAX_AGE_SECONDS = 300
MARK = "\x00"  # a slot's marker, followed by its kind; removed from every text shown
# Each line's slots, in the order the template writes them: its class (has-error), what is
# left (or "épuisé"), its input's value, the input's error attributes, the error message.
KINDS = ("c", "s", "v", "a", "e")
CLASS, STOCK, VALUE, ARIA, ERROR = range(len(KINDS))
SLOTS = {kind: MARK + kind for kind in KINDS}
PAGE_SLOT = "\x00product-list\x00"  # where the page template writes the list


@dataclass(frozen=True)
class ProductList:
    """The rendered list of one day, kept once: its UTF-8 HTML with every slot empty, and
    where each slot is. Kept encoded: the list is most of the page, and encoding it again for
    every request would cost more than the rest of the page."""

    blank: bytes  # the list with every slot empty
    offsets: tuple[int, ...]  # the byte offset of each slot, line after line (KINDS each)
    lines: Mapping[int, tuple[int, str]]  # availability id → (its line's index, its unit)
    producers: list[tuple[int, str]]  # the day's producers and categories, for the filters
    categories: list[str]
    built_at: float

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def size(self) -> int:
        """About what it holds in memory, in bytes."""
        return len(self.blank) + 40 * len(self.offsets) + 120 * len(self.lines) + 1_000

    def slot(self, availability_id: int, kind: int) -> int | None:
        found = self.lines.get(availability_id)
        return None if found is None else found[0] * len(KINDS) + kind

    def html(self, fills: Mapping[int, bytes]) -> bytes:
        """The list with `fills` ({slot number: HTML}) written in their slots."""
        if not fills:
            return self.blank
        view = memoryview(self.blank)
        pieces: list[bytes | memoryview] = []
        previous = 0
        for number in sorted(fills):
            offset = self.offsets[number]
            pieces.append(view[previous:offset])
            pieces.append(fills[number])
            previous = offset
        pieces.append(view[previous:])
        return b"".join(pieces)


def remaining_stock(day: DistributionDay) -> Sequence[tuple[int, int]]:
    """(availability id, what is left) of the day's limited products: one narrow query."""
    params = {"group_id": day.group_id, "day": day.day}
    # On the session's connection, past the ORM: a thousand pairs of integers need no more.
    return db.session.connection().execute(_stock_statement(), params).all()


@functools.cache
def _stock_statement():
    return select(Availability.id, Availability.quantity_milli - Availability.reserved_milli).where(
        Availability.group_id == bindparam("group_id"),
        Availability.day == bindparam("day"),
        Availability.published.is_(True),
        Availability.quantity_milli.is_not(None),
    )


def fills_for(
    product_list: ProductList,
    *,
    values: Mapping[int, str],
    stock: Iterable[tuple[int, int]],
    errors: Mapping[str, str] | None = None,
) -> dict[int, bytes]:
    """What this request writes in the list's slots: quantities typed or in the cart ({id:
    text}), what is left now, and the errors of a refused form ({field name: message})."""
    fills: dict[int, bytes] = {}
    locale = str(get_locale())
    lines = product_list.lines
    width = len(KINDS)
    for availability_id, left in stock:
        found = lines.get(availability_id)
        if found is not None:
            fills[found[0] * width + STOCK] = _stock_html(left, found[1], locale)
    for availability_id, text in values.items():
        found = lines.get(availability_id)
        if text and found is not None:
            fills[found[0] * width + VALUE] = str(escape(text)).encode()
    for field, message in (errors or {}).items():
        prefix = quantity_field(0)[:-1]
        key = field.removeprefix(prefix)
        found = lines.get(int(key)) if key.isdigit() else None
        if found is None:
            continue
        base = found[0] * width
        fills[base + CLASS] = b" has-error"
        fills[base + ARIA] = f' aria-invalid="true" aria-describedby="{field}-error"'.encode()
        fills[base + ERROR] = f'<p class="errors" id="{field}-error">{escape(message)}</p>'.encode()
    return fills


@functools.lru_cache(maxsize=8192)
def _stock_html(left_milli: int, unit: str, locale: str) -> bytes:
    """ " reste 2 kg" or " épuisé", as the list shows them (a few amounts repeat endlessly)."""
    if left_milli > 0:
        text = _("reste %(left)s") % {"left": Formatter().quantity(left_milli, unit)}
        return f' <span class="meta">{escape(text)}</span>'.encode()
    return f' <span class="badge badge-muted">{escape(_("épuisé"))}</span>'.encode()


def page_response(
    template: str, product_list: ProductList, fills: Mapping[int, bytes], status: int, **context
) -> Response:
    """`template` rendered with the product list where it writes `{{ product_list }}`.

    The page around the list is rendered as usual, then the list's bytes are put in its place."""
    page = render_template(template, product_list=PAGE_SLOT, **context)
    # The last occurrence is the list's: the template writes nothing typed by people after it.
    head, found, tail = page.rpartition(PAGE_SLOT)
    body = [head.encode(), product_list.html(fills), tail.encode()] if found else [page.encode()]
    return Response(body, status=status, mimetype="text/html")


class ProductListCache:
    """An LRU of rendered lists bounded in bytes, shared by the threads of one worker."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_age: float = MAX_AGE_SECONDS) -> None:
        self._entries: OrderedDict[Hashable, ProductList] = OrderedDict()
        self._lock = threading.Lock()
        self._max_bytes = max_bytes
        self._max_age = max_age
        self.bytes = 0

    def get(self, key: Hashable) -> ProductList | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if time.monotonic() - found.built_at > self._max_age:
                self._remove(key)
                return None
            self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value: ProductList) -> None:
        if value.size > self._max_bytes:
            return  # bigger than the whole cache: served once, never kept
        with self._lock:
            if key in self._entries:
                self._remove(key)
            self._entries[key] = value
            self.bytes += value.size
            while self.bytes > self._max_bytes:
                self._remove(next(iter(self._entries)))

    def _remove(self, key: Hashable) -> None:
        self.bytes -= self._entries.pop(key).size

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0


def cache() -> ProductListCache:
    """The application's cache (one per app, so tests and workers never share entries)."""
    found = current_app.extensions.get("shop_product_lists")
    if found is None:
        limit = current_app.config.get("SHOP_LIST_CACHE_BYTES", MAX_BYTES)
        found = current_app.extensions.setdefault("shop_product_lists", ProductListCache(limit))
    return found


def catalogue_version(day: DistributionDay) -> tuple:
    """What changes whenever the day's list would show something else (one aggregate query).

    Stock moves do not count: what is left is filled in per request. They leave `updated_at`
    alone (shop/stock.py), so only a change by the producer moves it; unpublished rows count
    too, so publishing one and unpublishing another still moves the version."""
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
    day: DistributionDay, filters: queries.ShopFilters, *, window_open: bool
) -> ProductList:
    """The day's list from the cache, or rendered (and kept) when the catalogue changed."""
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
        found = _build(day, filters, window_open)
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
    maximum: str | None
    label: str
    unit: str


def _build(day, filters, window_open: bool) -> ProductList:
    rows = queries.shop_rows(day, filters)
    producers, categories = queries.shop_choices(day)
    sections = _sections(rows)
    html = render_template(
        "shop/_products.html", sections=sections, window_open=window_open, slot=SLOTS
    )
    texts = html.encode().split(MARK.encode())
    blank = bytearray(texts[0])
    offsets: list[int] = []
    for text in texts[1:]:
        offsets.append(len(blank))
        blank += text[1:]  # the kind's letter
    units = [(row.availability_id, row.unit) for row in rows]
    assert len(offsets) == len(KINDS) * len(units)
    return ProductList(
        blank=bytes(blank),
        offsets=tuple(offsets),
        lines={key: (index, unit) for index, (key, unit) in enumerate(units)},
        producers=producers,
        categories=categories,
        built_at=time.monotonic(),
    )


def _sections(rows) -> list[tuple[str, list[Line]]]:
    """Rows come ordered by producer: one section per producer, each row as a Line."""
    fmt = Formatter()
    # Each message is translated once per list, then filled in per row.
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
            maximum = None
            if row.max_per_household_milli:
                maximum = maximum_text % {
                    "max": fmt.quantity(row.max_per_household_milli, row.unit)
                }
            lines.append(
                Line(
                    id=row.availability_id,
                    field=quantity_field(row.availability_id),
                    name=name,
                    photo_url=fmt.photo_url(row.product_id) if row.photo_product_id else None,
                    category=fmt.category(row.category),
                    price=f"{fmt.money(row.price_cents)} / {unit}",
                    maximum=maximum,
                    label=label_text % {"product": name},
                    unit=unit,
                )
            )
        sections.append((_clean(producer_name), lines))
    return sections


def _clean(text: str) -> str:
    """Names are typed by people: the slot marker must never appear in them."""
    return text.replace(MARK, "")
