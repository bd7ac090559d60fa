"""Latency of the staff recommendations list and My work on the UPR corpus (31,468
recommendations), end to end through the Flask app on SQLite: p50 and p95 against the 300 ms
target of issue 14. Run with `python -m bench.recommendation_list`.

The corpus is loaded as ``bench.search_page`` loads it; then a third of the recommendations get a
confirmed link, a sixth a proposed one, and one in five a decision (draft, approved or
published, in turn), so every filter and count has real work to do. No search index is built:
neither page uses it.
"""
from __future__ import annotations

import statistics
import tempfile
import time

from sqlalchemy import insert, select

from . import bench_app, serve_on_loopback
from .search import DATA, percentile
from .search_page import load_corpus

TARGET_P95_MS = 300
RUNS = 5
URLS = [
    "/staff/recommendations",
    "/staff/recommendations?page=500",
    "/staff/recommendations?per_page=100&sort=respondent",
    "/staff/recommendations?link_state=none&decision_state=none",
    "/staff/recommendations?decision_state=published&outcome=accepted&sort=decision",
    "/staff/recommendations?consultation=3&standard=1",
    "/staff/recommendations?text=women",
    "/staff/recommendations?organisation_type=WEOG&link_state=suggested&per_page=50",
    "/staff/recommendations?assignee=me&cluster=none",
    "/staff/my-work",
]


def add_work(db) -> None:
    """Links and decisions over the corpus, with Core bulk inserts."""
    from consultations.models import Framework, FrameworkItem, Link, Recommendation
    from consultations.workflow import Decision

    db.session.execute(insert(Framework), [{"id": 1, "key": "bench", "name": "Bench", "version": "1"}])
    db.session.execute(insert(FrameworkItem), [
        {"id": n, "framework_id": 1, "code": f"{1 + n // 10}.{n % 10}", "title": f"Item {n}", "aliases": [],
         "position": n} for n in range(1, 60)])
    ids = db.session.scalars(select(Recommendation.id).order_by(Recommendation.id)).all()
    links = [{"recommendation_id": rid, "item_id": 1 + rid % 59, "origin": "suggested",
              "status": "confirmed" if rid % 3 == 0 else "proposed", "score": 0.5, "version_id": 1}
             for rid in ids if rid % 3 == 0 or rid % 6 == 1]
    states = ["draft", "approved", "published"]
    decisions = [{"recommendation_id": rid, "outcome": "accepted" if rid % 2 else "not accepted",
                  "public_rationale": "Because.", "internal_note": "", "state": states[(rid // 5) % 3],
                  "version_id": 1} for rid in ids if rid % 5 == 0]
    for rows, model in ((links, Link), (decisions, Decision)):
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[start:start + 5000])
    db.session.commit()


def main() -> None:
    serve_on_loopback()
    from consultations.users import create_user
    from tracker.db import db

    print("Staff recommendations list and My work on the UPR corpus (Flask app, SQLite)")
    with tempfile.TemporaryDirectory() as folder:
        app = bench_app(folder)
        with app.app_context():
            count = load_corpus(db)
            add_work(db)
            print(f"loaded {count:,} recommendations with links and decisions "
                  f"({'real data' if DATA.exists() else 'generated corpus: ' + str(DATA) + ' is absent'})")
            create_user(db.session, "bench@example.org", "viewer", "a long bench password")
            db.session.commit()
        client = app.test_client()
        client.post("/sign-in", data={"email": "bench@example.org", "password": "a long bench password"})
        for url in URLS:  # warm up: compile templates, fill the database's caches
            assert client.get(url).status_code == 200, url
        timings: dict[str, list[float]] = {url: [] for url in URLS}
        for _ in range(RUNS):
            for url in URLS:
                started = time.perf_counter()
                response = client.get(url)
                timings[url].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, url
        for url, times in timings.items():
            print(f"  {url}: p50 {statistics.median(times):.0f} ms")
        every = [t for times in timings.values() for t in times]
        p50, p95 = statistics.median(every), percentile(every, 0.95)
        verdict = "meets" if p95 < TARGET_P95_MS else "MISSES"
        print(f"{len(URLS)} pages x {RUNS}: p50 {p50:.0f} ms, p95 {p95:.0f} ms ({verdict} the {TARGET_P95_MS} ms target)")


if __name__ == "__main__":
    main()
