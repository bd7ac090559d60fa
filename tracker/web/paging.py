"""Pagination, once: reading ``?page=`` for every list (pages and API), one page of a query
through Flask-SQLAlchemy's ``db.paginate``, and the arguments of the GOV.UK pagination component
that the ``pagination`` macro (templates/macros.html) shows under every paginated list.

A page past the end shows the last page (a bookmark after rows were removed); a page number no
list could ever reach (beyond ``MAX_PAGE``) is a broken link: 404.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from math import ceil

from flask import abort, request
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import Select

from tracker.db import db
from tracker.web.ids import MAX_ID

# The largest page number any list accepts: (page - 1) * page size must stay an offset both
# databases take (PostgreSQL's OFFSET is a bigint; SQLite's a 64-bit integer).
MAX_PAGE = MAX_ID
_NUMBER = re.compile(r"[0-9]+")  # ASCII digits: "²".isdigit() is True, but int("²") fails


class TooLarge(ValueError):
    """A whole number beyond the maximum."""


def whole_number(raw: str, maximum: int = MAX_PAGE) -> int:
    """``raw`` as a whole number from 1 to ``maximum``; ValueError saying which rule it breaks
    (the API's parameters answer 400 with it)."""
    text = raw.strip()
    if not _NUMBER.fullmatch(text) or int(text) < 1:
        raise ValueError("a whole number of 1 or more")
    value = int(text)
    if value > maximum:
        raise TooLarge(f"at most {maximum}")
    return value


def page_number(raw, pages: int | None = None) -> int:
    """The page a list page shows for ``?page=``: 1 when missing or not a number, the last page
    when past the end (a bookmark after rows were removed); a number no list could ever reach
    (beyond ``MAX_PAGE``) is a broken link: 404."""
    try:
        page = whole_number(str(raw)) if raw is not None else 1
    except TooLarge:
        abort(404)
    except ValueError:
        page = 1
    return min(page, pages) if pages is not None else page


class RowPagination(SelectPagination):
    """``db.paginate`` for a select of several columns: its items are rows, not first columns."""

    def _query_items(self) -> list:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(query).all())


def paginate(query: Select, per_page: int, *, total: int | None = None, rows: bool = False) -> Pagination:
    """The page of ``query`` that ``?page=`` asks for, through ``db.paginate``. ``total``, when the
    view has already counted (for its status tabs, say), saves the count query; ``rows`` gives
    rows for a select of several columns."""
    requested = page_number(request.args.get("page"))
    if total is not None:
        requested = min(requested, max(1, ceil(total / per_page)))
    options = dict(per_page=per_page, max_per_page=None, error_out=False, count=total is None)
    result = _paginate(query, requested, rows, options)
    if total is None and not result.items and result.page > 1 and result.total:
        result = _paginate(query, result.pages, rows, options)  # past the end: the last page
    if total is not None:
        result.total = total  # documented: set by hand when the count is known
    return result


def _paginate(query: Select, page: int, rows: bool, options: dict) -> Pagination:
    if rows:
        return RowPagination(select=query, session=db.session(), page=page, **options)
    return db.paginate(query, page=page, **options)


def pagination_params(page: int, pages: int, href: Callable[[int], str], label: str | None = None) -> dict | None:
    """Arguments for ``govukPagination``, or None when everything fits on one page. ``href``
    gives a page's URL, so each list keeps its own parameters."""
    if pages <= 1:
        return None
    params = {
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < pages else None,
        "items": [{"ellipsis": True} if n is None else {"number": n, "href": href(n), "current": n == page}
                  for n in page_numbers(page, pages)],
    }
    if label:
        params["landmarkLabel"] = label
    return params


def page_numbers(page: int, pages: int) -> list[int | None]:
    """Page numbers to link to, with ``None`` for a gap: 1 … 4 5 6 … 12."""
    wanted = {1, pages, page - 1, page, page + 1}
    shown = sorted(n for n in wanted if 1 <= n <= pages)
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers
