"""Page numbers for the GOV.UK pagination component on paginated list pages."""
from __future__ import annotations


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
