"""The two search backends side by side on the UPR recommendations, and raw PostgreSQL beside them.

The same 31,468 documents (bench/search.py's corpus: the real UPR file, or a generated one of the
same size when it is absent) go into a Whoosh index in a temporary folder, into the postgres
backend's ``search_document`` table in a temporary PostgreSQL database, and into a plain table
with a ``tsvector`` (title and body, english) and a GIN index. Then bench/search.py's staff
queries run, interleaved, against each:

* Whoosh ``SearchIndex.search`` and ``PostgresSearchIndex.search``: what the staff search page
  calls (parsing, filters, three facet counts, relevance or date order, highlights);
* raw PostgreSQL, the cheapest way it can answer: ``websearch_to_tsquery`` on the same text,
  the 20 best by ``ts_rank`` and the count of matches, no facets, no highlights.

p50 and p95 per backend and the ratios of the p95s. PostgreSQL comes from BENCH_DATABASE_URL
(default postgresql://postgres@127.0.0.1:5432/postgres, which is only used to create and drop
the temporary database); without a server the PostgreSQL figures are skipped, with a message.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time

from search_index import SearchIndex
from search_index.postgres import PostgresSearchIndex

from .search import DATA, FACETS, QUERIES, SORT_BY_DATE, percentile, synthetic_documents, upr_documents

RUNS = 10
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def corpus():
    return list(upr_documents(DATA) if DATA.exists() else synthetic_documents())


def temporary_database(url: str):
    """(engine on a fresh database, drop()) or None when PostgreSQL cannot be reached."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from tracker import normalise_database_url

    base = make_url(normalise_database_url(url))
    name = f"bench_search_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        admin.dispose()
        print(f"PostgreSQL is not reachable at {base.render_as_string()} ({str(error).splitlines()[0]}): "
              "PostgreSQL figures skipped")
        return None
    engine = create_engine(base.set(database=name))

    def drop():
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return engine, drop


def build_raw(engine, docs) -> float:
    """A plain table: id, title, body and their tsvector, GIN-indexed. Seconds taken."""
    from sqlalchemy import text

    start = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE raw_doc (id text PRIMARY KEY, title text, body text, date timestamp, "
                                "tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || body)) STORED)"))
        rows = [{"id": d["id"], "title": d.get("title") or "", "body": d.get("body") or "", "date": d.get("date")}
                for d in docs]
        for at in range(0, len(rows), 5000):
            connection.execute(text("INSERT INTO raw_doc (id, title, body, date) VALUES (:id, :title, :body, :date)"),
                               rows[at:at + 5000])
        connection.execute(text("CREATE INDEX raw_doc_tsv ON raw_doc USING gin (tsv)"))
    vacuum(engine, "raw_doc")
    return time.perf_counter() - start


def vacuum(engine, table: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


def main() -> None:
    from consultations.workflow import SearchDocument

    print("Search backends on the UPR recommendations: Whoosh, PostgreSQL (search_document), raw PostgreSQL tsvector")
    docs = corpus()
    print(f"corpus: {len(docs):,} documents ({'real data' if DATA.exists() else 'generated: ' + str(DATA) + ' is absent'})")
    database = temporary_database(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    with tempfile.TemporaryDirectory() as folder:
        whoosh = SearchIndex(folder)
        start = time.perf_counter()
        whoosh.rebuild(docs)
        print(f"build: Whoosh {time.perf_counter() - start:.1f} s", end="")
        postgres = raw_engine = None
        if database:
            engine, drop = database
            SearchDocument.__table__.create(engine)
            postgres = PostgresSearchIndex(engine, "staff")
            start = time.perf_counter()
            postgres.rebuild(docs)
            vacuum(engine, "search_document")  # as `search rebuild` does: GIN pending list flushed, statistics fresh
            print(f"; postgres backend {time.perf_counter() - start:.1f} s", end="")
            print(f"; raw PostgreSQL tsvector + GIN {build_raw(engine, docs):.1f} s", end="")
            raw_engine = engine
        print()
        try:
            timings = run_queries(whoosh, postgres, raw_engine)
        finally:
            whoosh.close()
            if database:
                database[1]()
    report(timings)


def run_queries(whoosh, postgres, raw_engine) -> dict[str, list[float]]:
    from sqlalchemy import text

    def ours(index, label, query, filters):
        sort = "date" if label in SORT_BY_DATE else "relevance"
        return index.search(query, filters=filters, facets=FACETS, sort=sort).total

    def raw(connection, label, query):
        order = "date DESC" if label in SORT_BY_DATE else "ts_rank(tsv, q) DESC"
        connection.execute(text(f"SELECT id FROM raw_doc, websearch_to_tsquery('english', :q) AS q "
                                f"WHERE tsv @@ q ORDER BY {order} LIMIT 20"), {"q": query}).all()
        return connection.execute(text("SELECT count(*) FROM raw_doc WHERE tsv @@ websearch_to_tsquery('english', :q)"),
                                  {"q": query}).scalar_one()

    timings: dict[str, list[float]] = {"whoosh": [], "postgres": [], "raw": []}
    print(f"\n{'query':<42} {'hits W/P':>13} {'Whoosh p95':>11} {'postgres p95':>13} {'raw PG p95':>11}")
    connection = raw_engine.connect() if raw_engine is not None else None
    try:
        for label, query, filters, _raw_text in QUERIES:
            per = {"whoosh": [], "postgres": [], "raw": []}
            hits = {}
            runs = [("whoosh", lambda: ours(whoosh, label, query, filters))]
            if postgres is not None:
                runs += [("postgres", lambda: ours(postgres, label, query, filters)),
                         ("raw", lambda: raw(connection, label, query))]
            for name, run in runs:  # warm up once
                hits[name] = run()
            for _ in range(RUNS):  # interleaved, so drift in machine load hits all alike
                for name, run in runs:
                    start = time.perf_counter()
                    run()
                    per[name].append((time.perf_counter() - start) * 1000)
            for name in per:
                timings[name] += per[name]
            cells = [f"{percentile(per[name], .95):>9.1f}ms" if per[name] else f"{'-':>11}" for name in per]
            print(f"{label:<42} {hits.get('whoosh', 0):>6,}/{hits.get('postgres', 0):<6,} {cells[0]} {cells[1]:>13} {cells[2]}")
    finally:
        if connection is not None:
            connection.close()
    return timings


def report(timings: dict[str, list[float]]) -> None:
    whoosh = timings["whoosh"]
    print(f"\nall queries, Whoosh backend: p50 {statistics.median(whoosh):.1f} ms, p95 {percentile(whoosh, .95):.1f} ms")
    if not timings["postgres"]:
        return
    postgres, raw = timings["postgres"], timings["raw"]
    print(f"all queries, postgres backend: p50 {statistics.median(postgres):.1f} ms, p95 {percentile(postgres, .95):.1f} ms")
    print(f"all queries, raw PostgreSQL tsvector: p50 {statistics.median(raw):.1f} ms, p95 {percentile(raw, .95):.1f} ms")
    print(f"ratios of p95: postgres backend / raw PostgreSQL {percentile(postgres, .95) / percentile(raw, .95):.1f}x; "
          f"Whoosh backend / raw PostgreSQL {percentile(whoosh, .95) / percentile(raw, .95):.1f}x; "
          f"postgres backend / Whoosh backend {percentile(postgres, .95) / percentile(whoosh, .95):.2f}x")


if __name__ == "__main__":
    main()
