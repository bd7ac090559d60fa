"""Database ids in URLs, query strings and forms, bounded to what the id columns hold.

Every id column is an ``Integer``: ``int4`` in PostgreSQL (at most 2,147,483,647) and a 64-bit
rowid in SQLite. A larger number sent to the database is not "no such row" but an error
(PostgreSQL: "integer out of range"; SQLite: OverflowError past 2**63), which the visitor
saw as a 500. Routes declare ids as ``<id:name>`` (registered on the app by ``init_app``):
a number out of range does not match the route at all, so the answer is the site's 404
(or the API's JSON 404). Ids read from query strings and forms go through ``parse_id``.
"""
from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest value of PostgreSQL's integer, the type of every id column
_DIGITS = re.compile(r"[0-9]{1,20}")  # ASCII digits only: "²".isdigit() is True, but int("²") fails


def numbers_up_to(limit: int) -> str:
    """A regular expression matching exactly the whole numbers 1 to ``limit`` (no leading zeros).

    The range is in the pattern, not only checked after it matched: when a number matches a
    route's pattern but fails its check, Werkzeug answers 405 (not 404) for a POST to a path
    that also has a GET route (``/recommendations/<id>/links``)."""
    digits = str(limit)
    parts = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for position, digit in enumerate(int(d) for d in digits):
        lowest = 1 if position == 0 else 0
        if digit > lowest:
            rest = len(digits) - position - 1
            parts.append(digits[:position] + f"[{lowest}-{digit - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(IntegerConverter):
    """``<id:rec_id>``: a whole number from 1 to ``MAX_ID``; anything else is not this route."""

    regex = numbers_up_to(MAX_ID)

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(raw) -> int | None:
    """An id given as text (query string, form field), or None when it cannot name a row."""
    text = str(raw if raw is not None else "").strip()
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
