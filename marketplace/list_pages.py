"""Long lists shown a page at a time (50 rows), so that no page grows with the territory.

The page number comes from the address (`?page=3`): anything that is not a whole number from
1 up (text, 0, a negative or absurdly large number) shows the first page; a number past the
last page is a 404. A query is cut in SQL (one COUNT and one LIMIT/OFFSET, whatever the list's
length); a list already computed whole (its totals need every row) is sliced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import abort, request
from sqlalchemy import Select, func, select

from marketplace.extensions import db

PER_PAGE = 50
MAX_PAGE = 100_000  # beyond any list of a territory: larger numbers are not page numbers

Item = TypeVar("Item")


@dataclass(frozen=True)
class ListPage(Generic[Item]):
    items: Sequence[Item]
    number: int  # from 1
    total: int  # rows in the whole list
    per_page: int = PER_PAGE
    parameter: str = "page"  # the address's name for this list's page

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None

    @property
    def first_row(self) -> int:
        """The position (from 1) of the page's first row in the whole list."""
        return (self.number - 1) * self.per_page + 1


def page_number(parameter: str = "page") -> int:
    """The page asked for in the address; 1 when it is missing or not a page number."""
    raw = request.args.get(parameter, "")
    if not raw.isdigit() or len(raw) > 6:
        return 1
    number = int(raw)
    return number if 1 <= number <= MAX_PAGE else 1


def _checked(number: int, total: int, per_page: int) -> None:
    if number > 1 and (number - 1) * per_page >= total:
        abort(404)


def paginate_query(
    query: Select,
    *,
    parameter: str = "page",
    per_page: int = PER_PAGE,
    row: Callable[[Any], Item] = lambda values: values,
) -> ListPage:
    """One page of an ordered query's rows (`row` builds each item from its columns)."""
    number = page_number(parameter)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    _checked(number, total, per_page)
    rows = db.session.execute(query.limit(per_page).offset((number - 1) * per_page))
    return ListPage([row(values) for values in rows], number, total, per_page, parameter)


def paginate_list(
    items: Sequence[Item], *, parameter: str = "page", per_page: int = PER_PAGE
) -> ListPage[Item]:
    """One page of a list already read whole."""
    number = page_number(parameter)
    _checked(number, len(items), per_page)
    start = (number - 1) * per_page
    return ListPage(items[start : start + per_page], number, len(items), per_page, parameter)


def page_url(page: ListPage, number: int) -> str:
    """This address with another page of `page`'s list (its other arguments kept)."""
    from flask import url_for

    arguments = {**request.view_args, **request.args.to_dict(), page.parameter: number}
    return url_for(request.endpoint, **arguments)
