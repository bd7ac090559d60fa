"""Page numbers: reading ``?page=`` for every list (pages and API), and the GOV.UK pagination
component on paginated list pages."""
from __future__ import annotations

import re

from flask import abort, url_for

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


def pagination(endpoint: str, page: int, pages: int, **params) -> dict | None:
    """Arguments for ``govukPagination``, or None when everything fits on one page."""
    if pages <= 1:
        return None

    def href(number: int) -> str:
        return url_for(endpoint, **params, page=number)

    return {
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < pages else None,
        "items": [{"ellipsis": True} if n is None else {"number": n, "href": href(n), "current": n == page}
                  for n in page_numbers(page, pages)],
    }


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
