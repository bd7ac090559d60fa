"""Latency of the staff pages and the public API at scale: the recommendations list, the triage
queue, the coverage matrix, ``/api/v1/recommendations?per_page=200`` and the staff search page,
with 31,468 and 314,680 recommendations (``--scale 31k``, ``--scale 314k`` or both, the default).

The data are generated with Core bulk inserts (distinct keys, a minute or two for 314k): one
response per ten recommendations, a consultation per 1,500 responses, a 59-item framework
(six parents), a link on half the recommendations (a third confirmed), a decision on one in five
(draft, approved or published in turn; the published ones public). The pages are timed through the
Flask app in-process, interleaved, against a static file served by the same app as the
baseline: p50 and p95 per page, its target and PASS/MISS, and its p95 over the static file's.
Pages whose counts are kept between requests (``consultations.count_cache``) are timed again
"just after a change": an audited edit is committed before each request, so they count again.
SQLite by default; ``--database postgresql://...`` or BENCH_DATABASE_URL (a server to create and
drop a temporary database on) runs the same on PostgreSQL, where a query over 20 s fails its
request (counted, MISS). ``--no-search`` leaves out the search page, whose
index takes the longest to build.

    python -m bench.pages_at_scale --scale 314k
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from urllib.parse import urlencode

from sqlalchemy import insert

from . import bench_app, serve_on_loopback
from .search import percentile

SCALES = {"31k": 31_468, "314k": 314_680}
RUNS = 8
STATIC = "/static/app.css"
AFTER_A_CHANGE = "(just after a change)"
STATEMENT_TIMEOUT = "-c statement_timeout=20000"  # PostgreSQL: a query over 20 s fails its request (MISS)
WORDS = ("women children torture education housing detention justice rights labour violence health "
         "disability minorities migrants police prisons courts journalists elections poverty").split()
NOW = dt.datetime(2020, 1, 1)


def pages(count: int, search: bool) -> list[tuple[str, str, int]]:
    """(name, URL, p95 target in ms) of each page timed with ``count`` recommendations."""
    listed = [
        ("recommendations list", "/staff/recommendations", 300),
        ("recommendations list, page 1000", "/staff/recommendations?page=1000", 300),
        ("recommendations list, filtered", "/staff/recommendations?link_state=none&decision_state=none", 300),
        ("recommendations list, text", "/staff/recommendations?text=journalists", 300),
        ("triage queue", "/staff/triage/", 300),
        ("triage queue, page 500", "/staff/triage/?page=500", 300),
        ("coverage matrix", "/staff/coverage", 300),
        ("API recommendations", "/api/v1/recommendations?per_page=200", 300),
        ("API recommendations, page 100", "/api/v1/recommendations?per_page=200&page=100", 300),
        ("API recommendations, next link 90% in", f"/api/v1/recommendations?per_page=200&after={count * 9 // 10}", 300),
        # the same URLs just after a change, so that counts kept between requests are recomputed
        (f"recommendations list {AFTER_A_CHANGE}", "/staff/recommendations?after_a_change", 300),
        (f"triage queue {AFTER_A_CHANGE}", "/staff/triage/?after_a_change", 300),
        (f"coverage matrix {AFTER_A_CHANGE}", "/staff/coverage?after_a_change", 300),
        (f"API recommendations {AFTER_A_CHANGE}", "/api/v1/recommendations?per_page=200&after_a_change", 300),
    ]
    if search:
        target = 150 if count <= SCALES["31k"] else 300
        listed += [(f"staff search {query!r}", "/staff/search?" + urlencode({"q": query}), target)
                   for query in ("women", "torture AND police", '"human rights"')]
    return listed


def text(n: int) -> str:
    return "Ensure " + " ".join(WORDS[(n * k + k * k) % len(WORDS)] for k in range(1, 16)) + " human rights."


def build(db, count: int) -> None:
    """``count`` recommendations with responses, consultations, a framework, links and decisions,
    in Core bulk inserts of 10,000 rows."""
    from consultations.models import (Consultation, Framework, FrameworkItem, Link, OrganisationType,
                                      Recommendation, Respondent, Response)
    from consultations.workflow import Decision

    responses = -(-count // 10)
    consultations = -(-responses // 1500)
    db.session.execute(insert(Consultation), [
        {"id": c, "slug": f"bench-{c}", "title": f"Bench consultation {c}", "body": "Bench",
         "status": "closed", "opens_on": dt.date(2019, 1, 1) + dt.timedelta(days=c), "created_at": NOW}
        for c in range(1, consultations + 1)])
    db.session.execute(insert(OrganisationType), [
        {"id": t, "name": f"Type {t}", "public_name": f"a type {t}", "position": t, "active": True, "version_id": 1}
        for t in range(1, 6)])
    db.session.execute(insert(Respondent), [
        {"id": r, "name": f"Respondent {r}", "organisation_type_id": 1 + r % 5, "consent": "named",
         "created_at": NOW, "version_id": 1} for r in range(1, 2001)])
    statuses = ("received", "in review", "recommendations confirmed", "closed")
    _bulk(db, Response, ({"id": r, "consultation_id": 1 + (r - 1) // 1500, "respondent_id": 1 + r % 2000,
                          "channel": "import", "text": "", "status": statuses[r % 4],
                          "received_on": dt.date(2019, 1, 1) + dt.timedelta(days=r % 700),
                          "created_at": NOW, "version_id": 1} for r in range(1, responses + 1)))
    db.session.execute(insert(Framework), [{"id": 1, "key": "bench", "name": "Bench standards", "version": "1",
                                            "kind": "standards"}])
    db.session.execute(insert(FrameworkItem), [
        {"id": n, "framework_id": 1, "code": str(n), "title": f"Standard {n}", "aliases": [], "position": n} for n in range(1, 7)])
    db.session.execute(insert(FrameworkItem), [
        {"id": n, "framework_id": 1, "parent_id": 1 + n % 6, "code": f"{1 + n % 6}.{n}", "title": f"Item {n}",
         "aliases": [], "position": n} for n in range(7, 60)])
    _bulk(db, Recommendation, ({"id": n, "response_id": 1 + (n - 1) // 10, "key": f"R{1 + (n - 1) % 10}",
                                "sequence": 1 + (n - 1) % 10, "text": text(n), "spans": [],
                                "unresolved_references": [], "origin": "imported", "created_at": NOW,
                                "version_id": 1} for n in range(1, count + 1)))
    _bulk(db, Link, ({"recommendation_id": n, "item_id": 7 + n % 53, "origin": "suggested",
                      "status": "confirmed" if n % 3 == 0 else "proposed", "score": 0.5, "created_at": NOW,
                      "version_id": 1} for n in range(1, count + 1) if n % 3 == 0 or n % 6 == 1))
    states = ("draft", "approved", "published")
    decisions = []
    for n in range(5, count + 1, 5):
        state = states[(n // 5) % 3]
        outcome = "accepted" if n % 2 else "not accepted"
        published = state == "published"
        decisions.append({"recommendation_id": n, "outcome": outcome, "public_rationale": "Because.",
                          "internal_note": "", "state": state, "created_at": NOW, "updated_at": NOW,
                          "published_outcome": outcome if published else None,
                          "published_rationale": "Because." if published else None,
                          "published_at": NOW if published else None, "version_id": 1})
    _bulk(db, Decision, iter(decisions))
    db.session.commit()


def _bulk(db, model, rows, size: int = 10_000) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            db.session.execute(insert(model), batch)
            batch = []
    if batch:
        db.session.execute(insert(model), batch)


def prepare(app, count: int, search: bool) -> None:
    from consultations.users import create_user
    from tracker.db import db

    with app.app_context():
        started = time.perf_counter()
        build(db, count)
        print(f"  built {count:,} recommendations in {time.perf_counter() - started:.1f} s")
        if db.engine.dialect.name == "postgresql":  # statistics, as autovacuum soon has; SQLite has none (the app never runs ANALYZE)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        if search:
            from tracker.indexing import in_database, rebuild, vacuum

            started = time.perf_counter()
            rebuild(db.session)
            db.session.commit()
            if in_database():
                vacuum()
            print(f"  built the search index in {time.perf_counter() - started:.1f} s")
        create_user(db.session, "bench@example.org", "viewer", "a long bench password")
        db.session.commit()


def change(app) -> None:
    """A change as staff make one (an audited edit of a response's status), committed."""
    from consultations.models import Response
    from tracker.db import db

    with app.app_context():
        response = db.session.get(Response, 1)
        response.status = "in review" if response.status != "in review" else "received"
        db.session.commit()


def time_pages(app, listed: list[tuple[str, str, int]]) -> None:
    """Sign in, warm up, then RUNS rounds of every page and the static file, interleaved, and
    RUNS rounds of the pages timed just after a change."""
    client = app.test_client()
    client.post("/sign-in", data={"email": "bench@example.org", "password": "a long bench password"})
    urls = [url for _, url, _ in listed] + [STATIC]
    failed: dict[str, int] = dict.fromkeys(urls, 0)  # answered other than 200 (a statement timeout)
    for url in urls:
        client.get(url.removesuffix("?after_a_change").removesuffix("&after_a_change"))
    timings: dict[str, list[float]] = {url: [] for url in urls}
    cpu: dict[str, float] = dict.fromkeys(urls, 0.0)
    kept = [url for url in urls if not url.endswith("after_a_change")]
    # the pages as they are read, then (a change before each request) as they are after a change
    for round_urls in [kept] * RUNS + [[url for url in urls if url not in kept]] * RUNS:
        for url in round_urls:
            if url.endswith("after_a_change"):
                change(app)
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url.removesuffix("?after_a_change").removesuffix("&after_a_change"))
            timings[url].append((time.perf_counter() - started) * 1000)
            cpu[url] += time.process_time() - started_cpu
            failed[url] += response.status_code != 200
    static_p95 = percentile(timings[STATIC], 0.95)
    print(f"  static file {STATIC} (baseline): p50 {statistics.median(timings[STATIC]):.1f} ms, "
          f"p95 {static_p95:.1f} ms")
    for name, url, target in listed:
        times = timings[url]
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        verdict = "PASS" if p95 < target and not failed[url] else "MISS"
        note = f"; {failed[url]} of {RUNS} FAILED" if failed[url] else ""
        print(f"  {name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, CPU {cpu[url] / RUNS * 1000:.0f} ms/request "
              f"(target p95 < {target} ms: {verdict}; {p95 / static_p95:.0f}x the static file{note})")


def run(count: int, search: bool, database: str | None) -> None:
    listed = pages(count, search)
    with tempfile.TemporaryDirectory() as folder:
        if database is None:
            print(f"{count:,} recommendations, SQLite (search: Whoosh)")
            app = bench_app(folder)
            prepare(app, count, search)
            time_pages(app, listed)
            return
        from .search_backends import temporary_database

        made = temporary_database(database)
        if made is None:
            return
        engine, drop = made
        try:
            print(f"{count:,} recommendations, PostgreSQL (search: postgres backend)")
            app = bench_app(folder, SEARCH_BACKEND="postgres",
                            SQLALCHEMY_DATABASE_URI=engine.url.render_as_string(hide_password=False),
                            SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": STATEMENT_TIMEOUT}})
            engine.dispose()
            prepare(app, count, search)
            time_pages(app, listed)
            from tracker.db import db

            with app.app_context():
                db.engine.dispose()
        finally:
            drop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=[*SCALES, "both"], default="both")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server URL (default: BENCH_DATABASE_URL, else SQLite)")
    parser.add_argument("--no-search", action="store_true", help="leave out the staff search page")
    args = parser.parse_args(argv)
    serve_on_loopback()
    print("Staff pages and the public API at scale (Flask app in-process)")
    for name in (SCALES if args.scale == "both" else [args.scale]):
        run(SCALES[name], not args.no_search, args.database)


if __name__ == "__main__":
    main()
