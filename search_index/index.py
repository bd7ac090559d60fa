"""The index folder: safe writing across processes, searching, facets, highlights.

Writers take Whoosh's file lock themselves (so a failure at any point still releases
it) and give up after a timeout with ``IndexBusy``. No background threads (never
``AsyncWriter``). Readers never take the lock: each call borrows a searcher from a small
pool and reuses it while no commit has happened since (one directory listing to check),
else opens a fresh one. Opening is what costs (~10 ms per facet column on 31k
documents), so it is paid once per commit, not once per search. Pooling, not sharing,
keeps each searcher with one thread at a time.
"""
from __future__ import annotations

import html
import math
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import highlight, index, sorting
from whoosh.codec import whoosh3
from whoosh import query as q
from whoosh.filedb.filestore import FileStorage
from whoosh.util.filelock import try_for
from whoosh.writing import CLEAR

from .bulk import BulkWriter, BlockPool, Held, cancel_writer, delete_where_present
from .errors import IndexBusy, IndexUnwritable
from .query import QueryBuilder
from .schema import (
    ALIASES,
    DEFAULT_PUBLIC_FIELDS,
    FACET_FIELDS,
    FILTER_FIELDS,
    SCHEMA_VERSION,
    TEXT_FIELDS,
    build_schema,
    whoosh_fields,
)

VERSION_FILE = "schema_version.txt"
LOCK_NAME = "WRITELOCK"  # Whoosh's own writer lock, so an ix.writer() elsewhere excludes us too
MAX_PAGELEN = 100
MAX_PAGE = 1000
SNIPPET_CHARS = 200
MAX_IDLE_SEARCHERS = 4


@dataclass
class SearchResults:
    ids: list[str]  # this page, best first
    total: int  # all matching documents
    page: int  # the page returned (clamped to 1..pages)
    pages: int  # 0 when nothing matched
    pagelen: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # over all matches
    highlights: dict[str, str] = field(default_factory=dict)  # id -> safe HTML snippet
    notice: str | None = None  # plain-English note when the query was read differently


class _MarkFormatter(highlight.Formatter):
    """Matched words in <mark>; every other character HTML-escaped."""

    between = " … "

    def _text(self, text):
        return html.escape(text)

    def format_token(self, text, token, replace=False):
        return "<mark>%s</mark>" % html.escape(highlight.get_text(text, token, replace))


_FORMATTER = _MarkFormatter()
_FRAGMENTER = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=50)
_WHOLE = highlight.WholeFragmenter()
_SCORER = highlight.BasicFragmentScorer()

# Facet columns per open segment reader. Whoosh re-reads a variable-length column's
# offsets (a Python loop over every document, ~10 ms per facet on 31k documents) on each
# search; a segment's columns never change, so keep them while its reader is open.
_COLUMNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cached_reader(self, fieldname, column):
    """W3PerDocReader._cached_reader, remembering a column that is absent too.

    Whoosh caches a field-length column reader once found, but asks the file system again
    (``has_column``: a path normalised and stat-ed) every time a column is absent, which for a
    field some documents lack ("extra", "respondent") is every posting it writes when a segment
    is flushed: about 16 stats per document. A segment's files never change once written."""
    readers = self._readers
    if fieldname not in readers:
        readers[fieldname] = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
    return readers[fieldname]


whoosh3.W3PerDocReader._cached_reader = _cached_reader


class _NoValues:
    def __getitem__(self, docnum):
        return []


_NO_VALUES = _NoValues()


class _CachedListCategorizer(sorting.OverlappingCategorizer):
    def set_searcher(self, segment_searcher, docoffset):
        reader = segment_searcher.reader()
        columns = _COLUMNS.setdefault(reader, {})
        if not self._use_column:
            # Without a column Whoosh builds a list of values for every document of the
            # segment (~30 ms on 31k documents) on each search: build it once per reader.
            key = ("lists", self._fieldname)
            if key not in columns:
                super().set_searcher(segment_searcher, docoffset)
                columns[key] = self._lists
            self._segment_searcher, self._lists = segment_searcher, columns[key]
            return
        if self._fieldname not in columns:
            # A segment where no document has this field has no column (and Whoosh's
            # empty list-column reader is broken), so it counts nothing.
            has = reader.has_column(self._fieldname)
            columns[self._fieldname] = reader.column_reader(self._fieldname, translate=False) if has else _NO_VALUES
        self._segment_searcher, self._creader = segment_searcher, columns[self._fieldname]


class _Facet(sorting.FieldFacet):
    """Counts every value of a (possibly multi-valued) FacetField, reusing cached columns."""

    def __init__(self, fieldname):
        super().__init__(fieldname, allow_overlap=True, maptype=sorting.Count)

    def categorizer(self, global_searcher):
        return _CachedListCategorizer(global_searcher, self.fieldname)


class SearchIndex:
    """One Whoosh index in a folder; see the package docstring for the contract."""

    def __init__(
        self,
        path,
        *,
        write_timeout: float = 2.0,
        rebuild_timeout: float = 30.0,
        public_fields: Iterable[str] = DEFAULT_PUBLIC_FIELDS,
    ):
        self.path = Path(path)
        self.write_timeout = write_timeout
        self.rebuild_timeout = rebuild_timeout
        self.public_fields = frozenset(public_fields)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            storage = FileStorage(str(self.path))
            if not index.exists_in(str(self.path)):
                with self._locked(storage.lock(f"{index._DEF_INDEX_NAME}_{LOCK_NAME}"), self.write_timeout):
                    if not index.exists_in(str(self.path)):  # another process may have won the race
                        index.create_in(str(self.path), build_schema())
                        self._write_version()
        except OSError as error:
            raise IndexUnwritable(f"The search index folder {self.path} could not be created: {error}") from error
        self._ix = index.open_dir(str(self.path))
        self._idle: list = []  # searchers not in use, newest last
        self._idle_lock = threading.Lock()

    def close(self) -> None:
        """Close pooled searchers (their open files keep replaced segments on disk)."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for searcher in idle:
            searcher.close()

    @contextmanager
    def _searcher(self):
        """A searcher on the latest commit, used by one caller at a time."""
        with self._idle_lock:
            searcher = self._idle.pop() if self._idle else None
        if searcher is not None and not searcher.up_to_date():
            # Something was committed: drop the whole pool, so no idle searcher keeps
            # replaced segment files open. Not Searcher.refresh(): in whoosh-reloaded 2.7.5
            # it keeps the old segments alongside the new (a rebuilt index counted twice).
            searcher.close()
            searcher = None
            self.close()
        if searcher is None:
            searcher = self._ix.searcher()
        try:
            yield searcher
        except BaseException:
            searcher.close()
            raise
        with self._idle_lock:
            if len(self._idle) < MAX_IDLE_SEARCHERS:
                self._idle.append(searcher)
                searcher = None
        if searcher is not None:
            searcher.close()

    # -- state -------------------------------------------------------------------------

    @property
    def stored_version(self) -> str | None:
        try:
            return (self.path / VERSION_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return None

    @property
    def needs_rebuild(self) -> bool:
        """True when the index was written under another SCHEMA_VERSION (read fresh each
        time: another process may have rebuilt it)."""
        return self.stored_version != str(SCHEMA_VERSION)

    def doc_count(self) -> int:
        return self._ix.doc_count()

    def all_versions(self) -> dict[str, object]:
        """{id: version} of every document, for comparing the index with the database."""
        with self._searcher() as searcher:
            return {f["id"]: f.get("version") for f in searcher.all_stored_fields()}

    # -- writing -----------------------------------------------------------------------

    def update(self, docs: Iterable[Mapping] = (), delete_ids: Iterable[str] = ()) -> None:
        """Add or replace ``docs`` (by id) and delete ``delete_ids``, in one commit.

        Raises ValueError for a malformed document (before touching the index) and
        IndexBusy when the index cannot be written now.
        """
        prepared = {}
        for doc in docs:
            fields = whoosh_fields(doc)
            prepared[fields["id"]] = fields  # a later document with the same id replaces an earlier one
        delete_ids = [str(i) for i in delete_ids]
        if not prepared and not delete_ids:
            return
        if self.needs_rebuild:
            raise IndexBusy("The search index was built for another version of the schema; run a rebuild.")
        with self._writer(self.write_timeout) as writer:
            # One searcher for the whole batch, and a cheap term look-up before deleting:
            # Whoosh's update_document opens a searcher over every segment for each document.
            delete_where_present(writer, [*delete_ids, *prepared])
            for fields in prepared.values():
                writer.add_document(**fields)
            writer.commit()

    def delete(self, ids: Iterable[str]) -> None:
        self.update((), delete_ids=ids)

    def bulk_writer(self, *, limitmb: int = 64) -> BulkWriter:
        """A writer for a bulk import: documents added over many calls become one segment at one
        commit (``update`` commits, flushes and merges segments on every call). It holds the lock
        until ``commit`` or ``cancel``, so writes from elsewhere meanwhile raise IndexBusy (and are
        queued by their callers). IndexBusy if the lock cannot be had now or the schema is stale."""
        if self.needs_rebuild:
            raise IndexBusy("The search index was built for another version of the schema; run a rebuild.")
        lock = self._ix.lock(LOCK_NAME)
        self._acquire(lock, self.write_timeout)
        try:
            writer = self._ix.writer(_lk=False, limitmb=limitmb)
            writer.pool = BlockPool(writer._tempstorage, writer.newsegment, limitmb=limitmb)  # still empty
            return BulkWriter(writer, Held(lock))  # which releases the lock at its commit or cancel
        except BaseException as error:
            lock.release()
            if isinstance(error, OSError):
                raise IndexUnwritable(f"The search index could not be written: {error}") from error
            raise

    def rebuild(self, docs: Iterable[Mapping], *, progress: Callable[[int], None] | None = None,
                every: int = 1000) -> int:
        """Replace the whole index with ``docs`` (any iterable; streamed, not held in memory).

        Readers keep searching the old segments until the commit. Writes from other
        processes wait (then raise IndexBusy) while this holds the lock, so run ``sync``
        afterwards to pick up their dirty ids. A later duplicate id is skipped. Returns
        the number of documents written. Nothing changes if it fails part way.
        """
        seen: set[str] = set()
        with self._writer(self.rebuild_timeout) as writer:
            writer.schema = build_schema()  # allowed before the first document; fixes a stale schema
            for doc in docs:
                fields = whoosh_fields(doc)
                if fields["id"] in seen:
                    continue
                seen.add(fields["id"])
                writer.add_document(**fields)
                if progress and len(seen) % every == 0:
                    progress(len(seen))
            writer.commit(mergetype=CLEAR)
            self._write_version()
        if progress:
            progress(len(seen))
        return len(seen)

    @contextmanager
    def _writer(self, timeout: float):
        with self._locked(self._ix.lock(LOCK_NAME), timeout):
            writer = None
            try:
                # _lk=False: we hold the lock ourselves, so it is released even when Whoosh
                # fails half way through opening or committing.
                writer = self._ix.writer(_lk=False)
                yield writer
            except OSError as error:
                self._cancel(writer)
                raise IndexUnwritable(f"The search index could not be written: {error}") from error
            except BaseException:
                self._cancel(writer)
                raise

    @staticmethod
    def _acquire(lock, timeout: float) -> None:
        try:
            acquired = try_for(lock.acquire, timeout=timeout, delay=0.05)
        except OSError as error:
            raise IndexUnwritable(f"The search index lock could not be taken: {error}") from error
        if not acquired:
            raise IndexBusy(f"Another process has been writing the search index for over {timeout:g} s.")

    @staticmethod
    @contextmanager
    def _locked(lock, timeout: float):
        SearchIndex._acquire(lock, timeout)
        try:
            yield
        finally:
            lock.release()

    _cancel = staticmethod(cancel_writer)

    def _write_version(self) -> None:
        tmp = self.path / (VERSION_FILE + ".tmp")
        tmp.write_text(str(SCHEMA_VERSION), encoding="utf-8")
        os.replace(tmp, self.path / VERSION_FILE)

    # -- reading -----------------------------------------------------------------------

    def _builder(self, schema, public_only: bool) -> QueryBuilder:
        if public_only:
            return QueryBuilder(schema, tuple(f for f in ("title", "body") if f in self.public_fields),
                                frozenset(FILTER_FIELDS) & self.public_fields)
        return QueryBuilder(schema, TEXT_FIELDS, frozenset(FILTER_FIELDS))

    def search(
        self,
        text: str | None = "",
        *,
        filters: Mapping[str, object] | None = None,
        facets: Iterable[str] = FACET_FIELDS,
        page: int = 1,
        pagelen: int = 20,
        sort: str = "relevance",
        public_only: bool = False,
    ) -> SearchResults:
        """Ranked ids for one page, total, facet counts and highlights. Never raises for
        what a user typed; see the package docstring for the query language."""
        page = _clamp(page, 1, MAX_PAGE, default=1)
        pagelen = _clamp(pagelen, 1, MAX_PAGELEN, default=20)
        with self._searcher() as searcher:
            schema = searcher.schema
            builder = self._builder(schema, public_only)
            parsed = builder.parse(text)
            required = builder.filters(filters)
            if public_only:
                required.append(q.Term("public", True))
            if parsed.query is None:  # nothing typed: browse what the filters allow, newest first
                query, sort = (q.And(required) if required else q.Every()), "date"
            elif required:
                query = q.Require(parsed.query, q.And(required))
            else:
                query = parsed.query
            query = query.normalize()

            names = []
            for name in (facets,) if isinstance(facets, str) else facets or ():
                name = ALIASES.get(str(name), str(name))
                if name in FACET_FIELDS and name in schema and name not in names and (
                        not public_only or name in self.public_fields):
                    names.append(name)
            groupedby = {name: _Facet(name) for name in names}
            sortedby = sorting.FieldFacet("date", reverse=True) if sort == "date" and "date" in schema else None

            results = searcher.search(query, limit=page * pagelen, sortedby=sortedby,
                                      groupedby=groupedby or None, terms=False)
            total = len(results)
            pages = math.ceil(total / pagelen)
            page = max(1, min(page, pages))
            hits = results[(page - 1) * pagelen: page * pagelen]

            ids, highlights = [], {}
            snippet_fields = ["body"] + ([] if public_only else ["extra"])
            for hit in hits:
                stored = hit.fields()
                ids.append(stored["id"])
                highlights[stored["id"]] = _snippet(stored, snippet_fields, parsed, schema)
            facet_counts = {}
            for name in names:
                counts = results.groups(name)
                facet_counts[name] = sorted(
                    ((_text(k), n) for k, n in counts.items() if k is not None), key=lambda kv: (-kv[1], kv[0]))
        return SearchResults(ids, total, page, pages, pagelen, facet_counts, highlights, parsed.notice)

    def more_like_this(self, doc_id: str, *, top: int = 5, public_only: bool = False) -> list[tuple[str, float]]:
        """Documents whose body shares the key terms of ``doc_id``'s body, best first,
        never the document itself. A public request about a non-public document gets []."""
        with self._searcher() as searcher:
            docnum = searcher.document_number(id=str(doc_id))
            if docnum is None:
                return []
            stored = searcher.stored_fields(docnum)
            if not stored.get("body") or (public_only and not stored.get("public")):
                return []
            hits = searcher.more_like(docnum, "body", top=_clamp(top, 1, MAX_PAGELEN, default=5), numterms=10,
                                      filter=q.Term("public", True) if public_only else None)
            return [(hit["id"], hit.score) for hit in hits]


def _clamp(value, low: int, high: int, *, default: int) -> int:
    try:
        return max(low, min(high, int(value)))
    except (TypeError, ValueError, OverflowError):
        return default


def _text(key) -> str:
    return key.decode("utf-8") if isinstance(key, bytes) else str(key)


def _snippet(stored: Mapping, fields: list[str], parsed, schema) -> str:
    """The best passages of the first field that contains a searched word, else the start of the body."""
    for name in fields:
        text = stored.get(name)
        terms = parsed.terms.get(name, set())
        prefixes = tuple(parsed.prefixes.get(name, ()))
        if not text or not (terms or prefixes) or name not in schema:
            continue
        tokens = schema[name].analyzer(text, chars=True, mode="query", removestops=False)
        fragmenter = _WHOLE if len(text) <= SNIPPET_CHARS * 1.5 else _FRAGMENTER  # short: show it all
        fragments = fragmenter.fragment_tokens(text, _mark_matches(tokens, terms, prefixes))
        fragments = highlight.top_fragments(fragments, 2, _SCORER, highlight.FIRST)
        if fragments:
            return _FORMATTER.format(fragments)
    body = stored.get("body") or ""
    if len(body) <= SNIPPET_CHARS:
        return html.escape(body)
    return html.escape(body[:SNIPPET_CHARS].rsplit(" ", 1)[0]) + " …"


def _mark_matches(tokens, terms, prefixes):
    for token in tokens:
        token.matched = token.text in terms or bool(prefixes and token.text.startswith(prefixes))
        yield token
