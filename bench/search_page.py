"""Latency of the staff search page on the UPR corpus, end to end through the app, on both backends.

The 31,468 UPR recommendations are loaded into a temporary SQLite database (Whoosh backend), and
then into a temporary PostgreSQL database (postgres backend; BENCH_DATABASE_URL, skipped when no
server answers) (one
consultation per session, one respondent per recommending state, one response per state
and session), both indexes are rebuilt with ``tracker.indexing.rebuild`` (database to
index, as `flask search rebuild` does), and then real requests for /staff/search are
timed through the Flask app, rendering rows from the database: p50 and p95 against the
150 ms target. When the data set is absent a generated corpus of the same size is used.
"""
from __future__ import annotations

import csv
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import insert

from . import bench_app, serve_on_loopback
from .search import CORPUS_SIZE, DATA, percentile

TARGET_P95_MS = 150
RUNS = 10
PAGE_QUERIES = [
    "women", "housing", '"death penalty"', "women AND violence", "children NOT labour",
    "torture OR ill-treatment", "respondent:france torture", "consultation:upr-session-5 women",
    "type:recommendation education", '"human rights defenders"', '"death penalty',
]


def upr_rows(path: Path):
    if path.exists():
        with path.open(encoding="utf-8", newline="") as handle:
            yield from csv.DictReader(handle)
        return
    words = "women children torture education housing detention justice rights labour violence".split()
    for n in range(CORPUS_SIZE):
        yield {"From": f"State {n % 150}", "From-Rgrp": ["Africa", "Asia", "WEOG"][n % 3], "Session": str(1 + n % 20),
               "Text": " ".join(words[(n * k) % len(words)] for k in range(1, 14)), "Response": "Accepted"}


def load_corpus(db) -> int:
    """Insert the corpus with Core bulk inserts (no per-row ORM work)."""
    from consultations.models import Consultation, OrganisationType, Recommendation, Respondent, Response
    from consultations.organisation_types import describe

    consultations, respondents, responses, recs = {}, {}, {}, []
    for row in upr_rows(DATA):
        session = int(row["Session"] or 0)
        consultation = consultations.setdefault(session, len(consultations) + 1)
        respondent = respondents.setdefault(row["From"], (len(respondents) + 1, row["From-Rgrp"]))[0]
        response = responses.setdefault((row["From"], session), (len(responses) + 1, consultation, respondent))[0]
        recs.append({"id": len(recs) + 1, "response_id": response, "key": f"R{len(recs) + 1}", "sequence": len(recs) + 1,
                     "text": row["Text"], "spans": [], "unresolved_references": [], "origin": "imported",
                     "created_at": dt.datetime(2008, 1, 1) + dt.timedelta(days=120 * session), "version_id": 1})
    db.session.execute(insert(Consultation), [
        {"id": cid, "slug": f"upr-session-{session}", "title": f"UPR session {session}", "body": "UN Human Rights Council",
         "status": "closed", "created_at": dt.datetime(2020, 1, 1)} for session, cid in consultations.items()])
    groups = {group: n + 1 for n, group in enumerate(sorted({group for _, group in respondents.values() if group}))}
    db.session.execute(insert(OrganisationType), [
        {"id": gid, "name": group, "public_name": describe(group), "position": gid, "active": True, "version_id": 1}
        for group, gid in groups.items()])
    db.session.execute(insert(Respondent), [
        {"id": rid, "name": name, "organisation_type_id": groups.get(group), "consent": "named",
         "created_at": dt.datetime(2020, 1, 1), "version_id": 1} for name, (rid, group) in respondents.items()])
    db.session.execute(insert(Response), [
        {"id": rid, "consultation_id": cid, "respondent_id": pid, "channel": "import", "text": "", "status": "closed",
         "created_at": dt.datetime(2020, 1, 1), "version_id": 1} for rid, cid, pid in responses.values()])
    for start in range(0, len(recs), 5000):
        db.session.execute(insert(Recommendation), recs[start : start + 5000])
    db.session.commit()
    return len(recs)


def time_pages(app, label: str) -> tuple[float, float]:
    """Load the corpus into ``app``'s database, rebuild its search, time the page: (p50, p95)."""
    from consultations.users import create_user
    from tracker.db import db
    from tracker.indexing import in_database, rebuild, vacuum

    with app.app_context():
        start = time.perf_counter()
        count = load_corpus(db)
        print(f"{label}: loaded {count:,} recommendations in {time.perf_counter() - start:.1f} s "
              f"({'real data' if DATA.exists() else 'generated corpus: ' + str(DATA) + ' is absent'})")
        start = time.perf_counter()
        counts = rebuild(db.session)
        db.session.commit()
        if in_database():
            vacuum()
        seconds = time.perf_counter() - start
        if db.engine.dialect.name == "postgresql":  # statistics for the bulk-loaded tables, as autovacuum soon has
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        print(f"{label}: full rebuild from the database: {counts['staff']:,} staff documents in {seconds:.1f} s "
              f"({counts['staff'] / seconds:,.0f} docs/s)")
        create_user(db.session, "bench@example.org", "viewer", "a long bench password")
        db.session.commit()
    client = app.test_client()
    client.post("/sign-in", data={"email": "bench@example.org", "password": "a long bench password"})
    for query in PAGE_QUERIES:  # warm up: open searchers, compile templates
        client.get("/staff/search?" + urlencode({"q": query}))
    timings = []
    for _ in range(RUNS):
        for query in PAGE_QUERIES:
            started = time.perf_counter()
            response = client.get("/staff/search?" + urlencode({"q": query}))
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    p50, p95 = statistics.median(timings), percentile(timings, 0.95)
    verdict = "meets" if p95 < TARGET_P95_MS else "MISSES"
    print(f"{label}: GET /staff/search ({len(PAGE_QUERIES)} queries x {RUNS}): p50 {p50:.0f} ms, p95 {p95:.0f} ms "
          f"({verdict} the {TARGET_P95_MS} ms target)")
    return p50, p95


def main() -> None:
    import os

    from .search_backends import DEFAULT_URL, temporary_database

    serve_on_loopback()
    print("Staff search page on the UPR corpus (Flask app; SQLite with the Whoosh backend, then PostgreSQL "
          "with the postgres backend)")
    with tempfile.TemporaryDirectory() as folder:
        _, whoosh_p95 = time_pages(bench_app(folder), "SQLite + Whoosh")
    database = temporary_database(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    if database is None:
        return
    engine, drop = database
    try:
        with tempfile.TemporaryDirectory() as folder:
            app = bench_app(folder, SQLALCHEMY_DATABASE_URI=engine.url.render_as_string(hide_password=False))
            engine.dispose()
            _, postgres_p95 = time_pages(app, "PostgreSQL + postgres")
            from tracker.db import db

            with app.app_context():
                db.engine.dispose()
    finally:
        drop()
    print(f"staff search page p95: postgres backend {postgres_p95 / whoosh_p95:.2f}x the Whoosh backend")


if __name__ == "__main__":
    main()
