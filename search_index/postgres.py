"""The same search contract as ``SearchIndex`` (see the package docstring), kept in a PostgreSQL table.

Documents live in ``search_document`` (one row per audience and id; the table is created by the
app's migrations) with a ``tsvector`` column, english configuration, weighted per field:

    A title   B body   C extra (staff only)   D respondent ('simple': names are not stemmed)

and a ``text[]`` of facet values ("kind=action", "standard=4.1.1"); both have GIN indexes. Writes
go through the caller's ``connection`` when one is given, so documents change in the same
transaction as the rows they describe: a rollback takes them back, there is nothing to sync, and
every web host sees the same results at once. Without a connection a write has its own transaction.

What someone typed is parsed by the same ``QueryBuilder`` as for Whoosh (so the same notices for
malformed input); its leaves become ``tsquery`` values with weight labels for field searches
(``title:x`` is ``'x':A``), facet leaves become array tests, AND/OR/NOT become SQL. Words are
stemmed by PostgreSQL inside the query (no extra round trip), highlights come from
``ts_headline``, relevance from ``ts_rank``. "More like this" takes the ten most distinctive
words of a document's body (term frequency times rarity, rarity counted through the GIN index)
and ranks the documents that share two of the best six (or, when too few do, any one) by the
weight of the words they share.
"""
from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text as sql

from .index import MAX_PAGE, MAX_PAGELEN, SNIPPET_CHARS, SearchResults, _clamp
from .query import Parsed, QueryBuilder
from .schema import ALIASES, DEFAULT_PUBLIC_FIELDS, FACET_FIELDS, FILTER_FIELDS, HIERARCHICAL, TEXT_FIELDS, to_fields

TABLE = "search_document"
CONFIG = "english"
WEIGHTS = {"title": "A", "body": "B", "extra": "C", "respondent": "D"}
CONFIG_FOR = {"respondent": "simple"}  # names: "The Howard League" stays findable word by word
BATCH = 1000
MLT_TERMS = 10
MLT_CANDIDATES = 40
MLT_DF_CAP = 1000  # rarer than this is all that matters; counting further costs
MLT_PAIR_TERMS = 6
START, STOP = "\ue000", "\ue001"  # private-use marks around matches, escaped then turned into <mark>
_LEXEME = re.compile(r"'(?:[^']|'')*'")
_HEADLINE = (f'StartSel="{START}", StopSel="{STOP}", MaxFragments=2, MaxWords=30, MinWords=12, '
             'FragmentDelimiter=" … "')
_WHOLE = f'StartSel="{START}", StopSel="{STOP}", HighlightAll=true'


# -- the query tree ----------------------------------------------------------------------

class _Null:
    """Matches nothing (a leaf of stop words only, a facet value that is empty)."""

    def __repr__(self):
        return "Null"


NULL = _Null()


@dataclass(frozen=True)
class Words:
    fields: tuple[str, ...]
    text: str
    phrase: bool = False
    prefix: str | None = None


@dataclass(frozen=True)
class Keyword:
    name: str
    values: tuple[str, ...]
    mode: str = "exact"  # "exact" | "hierarchy" (4.1 and 4.1.*) | "prefix"


@dataclass(frozen=True)
class And:
    parts: tuple


@dataclass(frozen=True)
class Or:
    parts: tuple


@dataclass(frozen=True)
class Not:
    part: object


def _normalize(node):
    """Flatten, and drop what matches nothing, as Whoosh's normalize() does."""
    if isinstance(node, (And, Or)):
        kind = type(node)
        parts = []
        for part in (_normalize(p) for p in node.parts):
            if part is NULL:
                if kind is And:
                    return NULL
                continue
            parts.extend(part.parts if isinstance(part, kind) else [part])
        if not parts:
            return NULL
        return parts[0] if len(parts) == 1 else kind(tuple(parts))
    if isinstance(node, Not):
        part = _normalize(node.part)
        return NULL if part is NULL else Not(part)
    return node


class PostgresOps:
    Null = NULL

    @staticmethod
    def And(parts):
        return And(tuple(parts))

    @staticmethod
    def Or(parts):
        return Or(tuple(parts))

    @staticmethod
    def Not(part):
        return Not(part)

    normalize = staticmethod(_normalize)


def _keyword_values(value: str) -> tuple[str, ...]:
    """As Whoosh's comma-separated, lowercased keyword field reads a value."""
    return tuple(v.strip().lower() for v in value.split(",") if v.strip())


class PostgresQueryBuilder(QueryBuilder):
    """The shared parser, building a tree of the nodes above instead of Whoosh queries."""

    ops = PostgresOps

    def words(self, fields, text: str, phrase: bool, parsed: Parsed | None):
        text = text.replace("\x00", " ")  # PostgreSQL text never holds NUL
        stripped = text.strip()
        if not phrase and stripped.endswith("*") and re.fullmatch(r"\w{2,}\*+", stripped):
            node = Words(tuple(fields), "", prefix=stripped.rstrip("*").lower())
        else:
            text = re.sub(r"[*?]", " ", text)
            if not text.strip():
                return NULL
            node = Words(tuple(fields), text, phrase=phrase)
        if parsed is not None:
            found = parsed.terms.setdefault("_highlight", [])  # in the order typed, for a stable SQL text
            if node not in found:
                found.append(node)
        return node

    def keyword(self, name: str, value):
        value = str(value).replace("\x00", " ").strip()
        values = _keyword_values(value.strip("*? "))
        if not values:
            return NULL
        if not value.endswith("*"):
            return Keyword(name, values)
        if name in HIERARCHICAL:
            return Keyword(name, (values[0].rstrip("."),), "hierarchy")
        return Keyword(name, (values[0],), "prefix")


def _weighted(tsquery: str, weights: str) -> str:
    return _LEXEME.sub(lambda m: m.group() + ":" + weights, tsquery) if weights else tsquery


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Compiler:
    """Turns the tree into SQL with bound parameters. Stemming happens in that SQL:
    ``plainto_tsquery``/``phraseto_tsquery`` give the lexemes, and a regular expression labels
    each one with the weights of the fields searched (no extra round trip)."""

    def __init__(self):
        self.params: dict[str, object] = {"lexeme": _LEXEME.pattern}

    def _param(self, value) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def _stemmed(self, function: str, config: str, text: str, weights: str) -> str:
        query = f"{function}(CAST({self._param(config)} AS regconfig), {self._param(text)})"
        if not weights:
            return query
        return (f"CAST(regexp_replace(CAST({query} AS text), :lexeme, {self._param(chr(92) + '&:' + weights)}, 'g') "
                "AS tsquery)")

    def tsquery(self, node: Words, *, weighted: bool = True, fields=None) -> str:
        """SQL for the tsquery of a leaf (empty when only stop words), weight-labelled per field."""
        fields = fields or node.fields
        if node.prefix:
            weights = "".join(sorted({WEIGHTS[f] for f in fields})) if weighted else ""
            return f"CAST({self._param(_quote(node.prefix) + ':*' + weights)} AS tsquery)"
        parts = []
        if node.phrase:  # one phrase per field: a phrase never spans two fields
            for f in fields:
                parts.append(self._stemmed("phraseto_tsquery", CONFIG_FOR.get(f, CONFIG), node.text,
                                           WEIGHTS[f] if weighted else ""))
        else:
            configs: dict[str, str] = {}
            for f in fields:
                configs[CONFIG_FOR.get(f, CONFIG)] = configs.get(CONFIG_FOR.get(f, CONFIG), "") + WEIGHTS[f]
            for config, weights in configs.items():
                parts.append(self._stemmed("plainto_tsquery", config, node.text, "".join(sorted(weights)) if weighted else ""))
        return "(" + " || ".join(parts) + ")"

    def condition(self, node) -> str:
        if node is NULL:
            return "false"
        if isinstance(node, And):
            return "(" + " AND ".join(self.condition(p) for p in node.parts) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.condition(p) for p in node.parts) + ")"
        if isinstance(node, Not):
            return f"(NOT {self.condition(node.part)})"
        if isinstance(node, Words):
            return f"(d.tsv @@ {self.tsquery(node)})"
        if isinstance(node, Keyword):
            exact = [f"{node.name}={v}" for v in node.values]
            if node.mode == "exact":
                return f"(d.facets && CAST({self._param(exact)} AS text[]))"
            pattern = _like(f"{node.name}={node.values[0]}") + ("." if node.mode == "hierarchy" else "") + "%"
            like = f"EXISTS (SELECT 1 FROM unnest(d.facets) AS f(v) WHERE f.v LIKE {self._param(pattern)})"
            if node.mode == "hierarchy":
                return f"((d.facets && CAST({self._param(exact)} AS text[])) OR {like})"
            return f"({like})"
        raise TypeError(node)


class PostgresSearchIndex:
    """One audience's documents in the ``search_document`` table; see the module docstring."""

    def __init__(self, engine, audience: str, *, public_fields: Iterable[str] = DEFAULT_PUBLIC_FIELDS):
        self.engine = engine
        self.audience = audience
        self.public_fields = frozenset(public_fields)

    def close(self) -> None:
        """Nothing to close: connections belong to the engine's pool."""

    @contextmanager
    def _connection(self, connection=None):
        if connection is not None:
            yield connection
        else:
            with self.engine.begin() as own:
                yield own

    # -- state -------------------------------------------------------------------------

    needs_rebuild = False  # the table's shape is the migrations' business

    def doc_count(self, connection=None) -> int:
        with self._connection(connection) as conn:
            return conn.execute(sql(f"SELECT count(*) FROM {TABLE} WHERE audience = :a"),
                                {"a": self.audience}).scalar_one()

    def all_versions(self, connection=None) -> dict[str, object]:
        with self._connection(connection) as conn:
            rows = conn.execute(sql(f"SELECT doc_id, version FROM {TABLE} WHERE audience = :a"), {"a": self.audience})
            return {doc_id: (json.loads(version) if version is not None else None) for doc_id, version in rows}

    # -- writing -----------------------------------------------------------------------

    def _row(self, doc: Mapping) -> dict:
        fields = to_fields(doc)  # the same validation (ValueError) as the Whoosh index
        fields = {k: v.replace("\x00", " ") if isinstance(v, str) else v for k, v in fields.items()}  # no NUL in PostgreSQL
        facets = []
        for name in FACET_FIELDS:
            facets += [f"{name}={v}" for v in _keyword_values(fields.get(name) or "")]
        return {
            "a": self.audience, "doc_id": fields["id"], "kind": str(doc["kind"]), "title": fields["title"],
            "body": fields["body"], "extra_text": fields.get("extra") or "",
            "extra": None if "_stored_extra" in fields else fields.get("extra"),
            "respondent": fields.get("respondent") or "", "facets": facets, "date": fields.get("date"),
            "public": fields["public"], "version": json.dumps(fields["version"]),
        }

    _INSERT = sql(f"""
        INSERT INTO {TABLE} (audience, doc_id, kind, title, body, extra, facets, date, public, version, tsv)
        VALUES (:a, :doc_id, :kind, :title, :body, :extra, CAST(:facets AS text[]), :date, :public, :version,
                setweight(to_tsvector('{CONFIG}', :title), 'A') || setweight(to_tsvector('{CONFIG}', :body), 'B')
                || setweight(to_tsvector('{CONFIG}', :extra_text), 'C')
                || setweight(to_tsvector('simple', :respondent), 'D'))
        ON CONFLICT (audience, doc_id) DO UPDATE SET kind = excluded.kind, title = excluded.title,
            body = excluded.body, extra = excluded.extra, facets = excluded.facets, date = excluded.date,
            public = excluded.public, version = excluded.version, tsv = excluded.tsv""")

    def update(self, docs: Iterable[Mapping] = (), delete_ids: Iterable[str] = (), *, connection=None) -> None:
        """Add or replace ``docs`` and delete ``delete_ids``, through ``connection`` (in its
        transaction) when given. ValueError for a malformed document, before anything is written."""
        rows = [self._row(doc) for doc in docs]
        delete_ids = [str(i) for i in delete_ids]
        if not rows and not delete_ids:
            return
        with self._connection(connection) as conn:
            if delete_ids:
                conn.execute(sql(f"DELETE FROM {TABLE} WHERE audience = :a AND doc_id = ANY(:ids)"),
                             {"a": self.audience, "ids": delete_ids})
            for start in range(0, len(rows), BATCH):
                conn.execute(self._INSERT, rows[start:start + BATCH])

    def delete(self, ids: Iterable[str], *, connection=None) -> None:
        self.update((), delete_ids=ids, connection=connection)

    def rebuild(self, docs: Iterable[Mapping], *, progress: Callable[[int], None] | None = None,
                every: int = 1000, connection=None) -> int:
        """Replace every document of this audience in one transaction (readers see the old ones
        until it commits; nothing changes if it fails). A later duplicate id is skipped."""
        seen: set[str] = set()
        with self._connection(connection) as conn:
            conn.execute(sql(f"DELETE FROM {TABLE} WHERE audience = :a"), {"a": self.audience})
            batch = []
            for doc in docs:
                row = self._row(doc)
                if row["doc_id"] in seen:
                    continue
                seen.add(row["doc_id"])
                batch.append(row)
                if len(batch) >= every:
                    conn.execute(self._INSERT, batch)
                    batch = []
                    if progress:
                        progress(len(seen))
            if batch:
                conn.execute(self._INSERT, batch)
        if progress:
            progress(len(seen))
        return len(seen)

    # -- reading -----------------------------------------------------------------------

    def _builder(self, public_only: bool) -> PostgresQueryBuilder:
        names = set(WEIGHTS) | set(FACET_FIELDS)
        if public_only:
            return PostgresQueryBuilder(names, tuple(f for f in ("title", "body") if f in self.public_fields),
                                        frozenset(FILTER_FIELDS) & self.public_fields)
        return PostgresQueryBuilder(names, TEXT_FIELDS, frozenset(FILTER_FIELDS))

    def search(self, text: str | None = "", *, filters: Mapping[str, object] | None = None,
               facets: Iterable[str] = FACET_FIELDS, page: int = 1, pagelen: int = 20,
               sort: str = "relevance", public_only: bool = False) -> SearchResults:
        """As ``SearchIndex.search``: never raises for what a user typed."""
        page = _clamp(page, 1, MAX_PAGE, default=1)
        pagelen = _clamp(pagelen, 1, MAX_PAGELEN, default=20)
        builder = self._builder(public_only)
        parsed = builder.parse(text)
        required = builder.filters(filters)
        if parsed.query is None:
            tree, sort = (_normalize(And(tuple(required))) if required else None), "date"
        else:
            tree = _normalize(And((parsed.query, *required)))
        names = []
        for name in (facets,) if isinstance(facets, str) else facets or ():
            name = ALIASES.get(str(name), str(name))
            if name in FACET_FIELDS and name not in names and (not public_only or name in self.public_fields):
                names.append(name)
        positive = list(parsed.terms.get("_highlight", ()))

        with self.engine.connect() as conn:
            compiler = _Compiler()
            where = "d.audience = :audience" + (" AND d.public" if public_only else "")
            if tree is not None:
                where += " AND " + compiler.condition(tree)
            rank_queries = [compiler.tsquery(w) for w in positive]
            counts = conn.execute(sql(
                f"WITH m AS MATERIALIZED (SELECT d.facets FROM {TABLE} d WHERE {where}) "
                "SELECT NULL, count(*) FROM m"
                + (" UNION ALL SELECT f.v, count(*) FROM m, unnest(m.facets) AS f(v) "
                   "WHERE split_part(f.v, '=', 1) = ANY(:names) GROUP BY f.v" if names else "")),
                {**compiler.params, "audience": self.audience, "names": names}).all()
            total = counts[0][1]
            pages = math.ceil(total / pagelen)
            page = max(1, min(page, pages))
            if sort == "relevance" and rank_queries:
                order = f"ts_rank(d.tsv, {' || '.join(rank_queries)}) DESC, d.date DESC NULLS LAST, d.doc_id"
            else:
                order = "d.date DESC NULLS LAST, d.doc_id"
            highlight_fields = ["body"] + ([] if public_only else ["extra"])
            light = [compiler.tsquery(w, weighted=False, fields=tuple(f for f in w.fields if f in highlight_fields))
                     for w in positive if set(w.fields) & set(highlight_fields)]
            light_sql = " || ".join(light)
            params = {**compiler.params, "audience": self.audience, "limit": pagelen,
                      "offset": (page - 1) * pagelen, "marks": START + STOP, "whole": _WHOLE, "part": _HEADLINE}

            def headline(column):
                clean = f"translate(coalesce(p.{column}, ''), :marks, '')"
                if not light:
                    return "NULL"
                return (f"CASE WHEN p.{column} IS NULL THEN NULL "
                        f"WHEN length(p.{column}) <= {int(SNIPPET_CHARS * 1.5)} "
                        f"THEN ts_headline('{CONFIG}', {clean}, {light_sql}, :whole) "
                        f"ELSE ts_headline('{CONFIG}', {clean}, {light_sql}, :part) END")

            rows = conn.execute(sql(
                f"SELECT p.doc_id, p.body, {headline('body')}, "
                + (headline("extra") if not public_only else "NULL")
                + f" FROM (SELECT d.doc_id, d.body, d.extra, row_number() OVER (ORDER BY {order}) AS n "
                f"FROM {TABLE} d WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset) p ORDER BY p.n"),
                params).all() if total else []

        ids, highlights = [], {}
        for doc_id, body, body_light, extra_light in rows:
            ids.append(doc_id)
            highlights[doc_id] = _snippet(body or "", body_light, extra_light)
        facet_counts = {name: [] for name in names}
        for value, count in counts[1:]:
            name, _, value = value.partition("=")
            facet_counts[name].append((value, count))
        for name in names:
            facet_counts[name].sort(key=lambda kv: (-kv[1], kv[0]))
        return SearchResults(ids, total, page, pages, pagelen, facet_counts, highlights, parsed.notice)

    def more_like_this(self, doc_id: str, *, top: int = 5, public_only: bool = False) -> list[tuple[str, float]]:
        """Documents whose body shares the most distinctive words of ``doc_id``'s body, best
        first, never the document itself. A public request about a non-public document gets []."""
        top = _clamp(top, 1, MAX_PAGELEN, default=5)
        with self.engine.connect() as conn:
            source = conn.execute(sql(f"SELECT body, public FROM {TABLE} WHERE audience = :a AND doc_id = :id"),
                                  {"a": self.audience, "id": str(doc_id)}).one_or_none()
            if source is None or not source.body or (public_only and not source.public):
                return []
            terms = conn.execute(sql(
                f"SELECT t.lexeme, coalesce(array_length(t.positions, 1), 1) AS tf "
                f"FROM unnest(to_tsvector('{CONFIG}', :body)) AS t "
                f"ORDER BY tf DESC, length(t.lexeme) DESC LIMIT {MLT_CANDIDATES}"), {"body": source.body}).all()
            if not terms:
                return []
            total = self.doc_count(conn) or 1
            queries = [_quote(lexeme) + ":B" for lexeme, _ in terms]
            frequencies = dict(conn.execute(sql(
                f"SELECT q.t, (SELECT count(*) FROM (SELECT 1 FROM {TABLE} d WHERE d.audience = :a "
                f"AND d.tsv @@ CAST(q.t AS tsquery) LIMIT {MLT_DF_CAP}) x) FROM unnest(CAST(:qs AS text[])) AS q(t)"),
                {"a": self.audience, "qs": queries}).all())
            scored = sorted(((tf * math.log((total + 1) / (frequencies.get(q, 0) + 1)), q)
                             for (_lexeme, tf), q in zip(terms, queries)), reverse=True)
            chosen = [(score, q) for score, q in scored[:MLT_TERMS] if score > 0]
            if not chosen:
                return []
            # A document's score: the weights of the chosen words it contains (shared distinctive
            # words, not length, decide), then ts_rank among equals.
            shared = " + ".join(f"(CASE WHEN d.tsv @@ CAST(:q{n} AS tsquery) THEN {score!r} ELSE 0 END)"
                                for n, (score, _q) in enumerate(chosen))
            # Candidates share two of the best words (the GIN index finds them without touching
            # every document that has one common word); only when too few do, any one of them.
            best = [q for _, q in chosen[:MLT_PAIR_TERMS]]
            pairs = " | ".join(f"({a} & {b})" for n, a in enumerate(best) for b in best[n + 1:])
            rows = []
            for candidates in ([pairs] if pairs else []) + [" | ".join(q for _, q in chosen)]:
                params = {"a": self.audience, "id": str(doc_id), "q": candidates, "top": top,
                          **{f"q{n}": q for n, (_score, q) in enumerate(chosen)}}
                rows = conn.execute(sql(
                    f"SELECT d.doc_id, ({shared}) AS score FROM {TABLE} d "
                    f"WHERE d.audience = :a AND d.doc_id <> :id AND d.tsv @@ CAST(:q AS tsquery)"
                    + (" AND d.public" if public_only else "")
                    + " ORDER BY score DESC, ts_rank(d.tsv, CAST(:q AS tsquery)) DESC, d.doc_id LIMIT :top"),
                    params).all()
                if len(rows) >= top:
                    break
        return [(row.doc_id, float(row.score)) for row in rows]


def _marked(headline: str | None) -> str | None:
    if not headline or START not in headline:
        return None
    return html.escape(headline).replace(START, "<mark>").replace(STOP, "</mark>")


def _snippet(body: str, body_light: str | None, extra_light: str | None) -> str:
    """The body's passages with a match, else the internal note's, else the start of the body."""
    marked = _marked(body_light) or _marked(extra_light)
    if marked:
        return marked
    if len(body) <= SNIPPET_CHARS:
        return html.escape(body)
    return html.escape(body[:SNIPPET_CHARS].rsplit(" ", 1)[0]) + " …"
