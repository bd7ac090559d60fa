"""The index schema, and how a caller's plain document becomes Whoosh fields.

Bump ``SCHEMA_VERSION`` whenever ``build_schema`` or ``whoosh_fields`` changes what is
indexed: an index written under another version reports ``needs_rebuild``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from whoosh import columns, fields
from whoosh.analysis import RegexTokenizer, LowercaseFilter, StemmingAnalyzer

SCHEMA_VERSION = 2  # 2: the date is a sort column only (it was indexed at eight precisions, never searched)

#: Free-text fields searched by a plain word (``extra`` only in staff searches).
TEXT_FIELDS = ("title", "body", "extra")

#: Keyword fields a search can filter on and count (facets); document key -> field.
FACET_FIELDS = ("kind", "consultation", "org_type", "standard", "outcome", "status")
DOC_KEY_FOR = {"standard": "standards"}

#: Fields usable as ``field:value`` in a query or as keys of ``filters``.
FILTER_FIELDS = FACET_FIELDS + ("respondent", "title", "body")

#: What users may type instead of the field name.
ALIASES = {"type": "kind", "standards": "standard", "org": "org_type", "organisation": "org_type"}

#: Filters where ``value*`` means the code and its descendants (``4.1*``: 4.1, 4.1.1; not 4.10).
HIERARCHICAL = {"standard"}

#: Fields a public search may search, filter on, count and highlight, unless the
#: caller says otherwise. ``extra`` (internal notes) and ``respondent`` (names of
#: people who may have asked not to be named) are staff-only.
DEFAULT_PUBLIC_FIELDS = frozenset({"title", "body", "kind", "consultation", "org_type", "standard", "outcome", "status"})

EPOCH = dt.datetime(1970, 1, 1)

DOC_KEYS = frozenset(
    {"id", "kind", "title", "body", "extra", "store_extra", "consultation", "org_type", "respondent",
     "standards", "outcome", "status", "date", "public", "version"}
)


class FacetField(fields.KEYWORD):
    """Comma-separated, lowercased keywords whose column holds the *list* of values.

    A list column lets one document count under several values of a facet
    (several standards, "open" and "overdue") without walking posting lists on
    every search, which Whoosh does for multi-valued fields otherwise.
    """

    def __init__(self):
        super().__init__(lowercase=True, commas=True)
        self.column_type = columns.VarBytesListColumn()

    def to_column_value(self, value):
        return [term.encode("utf-8") for term in self.process_text(value, mode="index")]

    def from_column_value(self, value):
        return [term.decode("utf-8") for term in value]


def build_schema() -> fields.Schema:
    stemming = StemmingAnalyzer()
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        title=fields.TEXT(analyzer=stemming, stored=True, field_boost=2.0),
        body=fields.TEXT(analyzer=stemming, stored=True),
        extra=fields.TEXT(analyzer=stemming, stored=True),
        # No stop words: "The Howard League" must stay findable word by word.
        respondent=fields.TEXT(analyzer=RegexTokenizer() | LowercaseFilter()),
        # Only ever sorted on: a column, not a DATETIME field, whose eight indexed precisions (for
        # range queries nobody makes) were a quarter of the postings and of a bulk import's indexing.
        date=fields.COLUMN(columns.NumericColumn("q", default=0)),
        public=fields.BOOLEAN(stored=True),
        version=fields.STORED(),
        **{name: FacetField() for name in FACET_FIELDS},
    )


def _keywords(value) -> str | None:
    """One value or a list of values as the comma-separated text FacetField indexes."""
    if value is None:
        return None
    values = [value] if isinstance(value, str) or not isinstance(value, Iterable) else list(value)
    cleaned = [str(v).replace(",", " ").strip() for v in values if v is not None]
    return ",".join(v for v in cleaned if v) or None


def to_fields(doc: Mapping) -> dict:
    """Whoosh keyword arguments for one caller document; ValueError if it is unusable."""
    unknown = set(doc) - DOC_KEYS
    if unknown:
        raise ValueError(f"Unknown document keys {sorted(unknown)}; allowed: {sorted(DOC_KEYS)}")
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise ValueError(f"A document needs a non-empty string id, got {doc_id!r}")
    if not doc.get("kind"):
        raise ValueError(f"Document {doc_id} needs a kind")
    date = doc.get("date")
    if isinstance(date, dt.date) and not isinstance(date, dt.datetime):
        date = dt.datetime(date.year, date.month, date.day)
    elif date is not None and not isinstance(date, dt.datetime):
        raise ValueError(f"Document {doc_id}: date must be a date or datetime, got {date!r}")
    if date is not None and date.tzinfo is not None:
        date = date.astimezone(dt.timezone.utc).replace(tzinfo=None)  # Whoosh wants naive (UTC) times
    out = {
        "id": doc_id,
        "title": str(doc.get("title") or ""),
        "body": str(doc.get("body") or ""),
        "public": bool(doc.get("public", False)),
        "version": doc.get("version"),
    }
    if date is not None:
        out["date"] = date
    if doc.get("extra"):
        out["extra"] = str(doc["extra"])
        if not doc.get("store_extra", True):
            out["_stored_extra"] = None  # searchable, but its text is never kept in the index
    if doc.get("respondent"):
        out["respondent"] = str(doc["respondent"])
    for name in FACET_FIELDS:
        value = _keywords(doc.get(DOC_KEY_FOR.get(name, name)))
        if value:
            out[name] = value
    return out


def whoosh_fields(doc: Mapping) -> dict:
    """``to_fields`` with the date as the integer the Whoosh sort column holds (microseconds
    since 1970); the PostgreSQL backend keeps the datetime."""
    out = to_fields(doc)
    if "date" in out:
        out["date"] = (out["date"] - EPOCH) // dt.timedelta(microseconds=1)
    return out
