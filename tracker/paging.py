"""Page numbers for the GOV.UK pagination component on paginated list pages."""
from __future__ import annotations

from flask import url_for


def page_number(raw) -> int:
    """The page asked for in the query string; 1 when it is missing or not a number."""
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


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
