"""Latency of the public outcome page of a large consultation, served as in production.

A temporary SQLite database gets one consultation with 1,000 published recommendations
(bulk inserts: 50 respondents, one response each, 20 recommendations per response, every
decision published, a standard linked to each, a few actions with public updates, and three
confirmed redactions per response, of words every recommendation quotes, so the page pays for
applying them). The app
runs under gunicorn with 2 workers on a free loopback port, and a bounded local load (4
concurrent clients, 400 requests per URL, 10 s timeouts) is sent to the outcome page
``/consultations/<slug>`` and to a static stylesheet for comparison: p50 and p95 against the
150 ms p95 target, and under 20 times the static file's p95 (PASS/MISS each). The page is kept
for anonymous visitors while nothing public changes (tracker/public/page_cache.py), so the load
mostly measures cache hits; the first request after each of 10 changes (a new publication stamp)
shows what a render costs. Loopback only; gunicorn is shut down at the end, whatever happens.

    python -m bench.outcome_page
"""
from __future__ import annotations

import datetime as dt
import http.client
import itertools
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import insert, select

from . import serve_on_loopback
from .search import percentile

TARGET_P95_MS = 150
STATIC_RATIO = 20  # and its p95 under this many times the static file's, from the same server and run
RECOMMENDATIONS = 1000
RESPONDENTS = 50
CLIENTS = 4  # twice the workers: a busy moment for a public site, each worker always has a request queued
REQUESTS = 400
WARM_UP = 4  # a couple per worker: imports, templates, SQLite pages
TIMEOUT_S = 30
DEADLINE_S = 150  # per URL and load: the benchmark stops by itself
WORKERS = 2
SLUG = "bench-outcomes"
FRAMEWORK = Path(__file__).resolve().parent.parent / "tracker" / "demo_data" / "frameworks" / \
    "hmip-probation-standards-2019.yaml"
REDACTED = ("housing", "trauma", "mental health")  # redacted in every response: the worst case
WORDS = ("women housing education employment accommodation voluntary sector unpaid work safety trauma "
         "families children mental health substance misuse rehabilitation partnership").split()


def build_database(url: str) -> bool:
    """One consultation of RECOMMENDATIONS published recommendations, with Core bulk inserts;
    says whether the app has the public outcome page."""
    from consultations.frameworks import import_framework, load_framework_file
    from consultations.models import (Consultation, FrameworkItem, Link, OrganisationType, Question, Recommendation,
                                      Respondent, Response)
    from tracker import create_app
    from tracker.db import db
    from consultations.workflow import Action, ActionUpdate, Decision
    from consultations.redaction import Redaction

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    now = dt.datetime(2020, 1, 10, 10)
    with app.app_context():
        db.create_all()
        import_framework(db.session, load_framework_file(FRAMEWORK))
        items = db.session.scalars(select(FrameworkItem.id).order_by(FrameworkItem.id)).all()
        db.session.execute(insert(Consultation), [{
            "id": 1, "slug": SLUG, "title": "Changes to the inspection of everything (benchmark)",
            "body": "HM Inspectorate of Probation", "summary": "A large consultation for the benchmark.",
            "opens_on": dt.date(2019, 1, 1), "closes_on": dt.date(2019, 3, 31), "status": "outcome published",
            "created_at": now}])
        db.session.execute(insert(Question), [
            {"id": n, "consultation_id": 1, "number": str(n), "text": f"Question {n}: what should we change?",
             "position": n} for n in range(1, 6)])
        db.session.execute(insert(OrganisationType), [
            {"id": n + 1, "name": name, "public_name": f"a {name.lower()}", "position": n, "active": True, "version_id": 1}
            for n, name in enumerate(["Voluntary sector organisation", "Probation provider", "Individual"])])
        db.session.execute(insert(Respondent), [
            {"id": n, "name": f"Organisation {n}", "organisation_type_id": n % 3 + 1,
             "consent": "named" if n % 5 else "anonymous", "created_at": now, "version_id": 1}
            for n in range(1, RESPONDENTS + 1)])
        db.session.execute(insert(Response), [
            {"id": n, "consultation_id": 1, "respondent_id": n, "channel": "email", "text": " ".join(WORDS), "status": "closed",
             "received_on": dt.date(2019, 3, 1), "created_at": now, "version_id": 1} for n in range(1, RESPONDENTS + 1)])
        text_of_responses = " ".join(WORDS)
        redactions = [
            {"response_id": n, "start_offset": text_of_responses.index(word),
             "end_offset": text_of_responses.index(word) + len(word), "reason": "sensitive", "kind": "staff",
             "status": "confirmed", "created_at": now, "version_id": 1}
            for n in range(1, RESPONDENTS + 1) for word in REDACTED]
        if redactions:
            db.session.execute(insert(Redaction), redactions)
        per_response = RECOMMENDATIONS // RESPONDENTS
        recs, decisions, links = [], [], []
        for n in range(1, RECOMMENDATIONS + 1):
            text = "Inspectors should look at " + " ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 25)) + "."
            recs.append({"id": n, "response_id": (n - 1) // per_response + 1, "key": f"R{(n - 1) % per_response + 1}",
                         "sequence": (n - 1) % per_response + 1, "text": text, "spans": [], "unresolved_references": [],
                         "question_id": 1 + n % 5, "origin": "extracted", "created_at": now, "version_id": 1})
            outcome = ["accepted", "accepted in part", "not accepted"][n % 3]
            rationale = f"We considered this carefully. **{outcome.capitalize()}**: " + " ".join(WORDS[: 5 + n % 10]) + "."
            decisions.append({"id": n, "recommendation_id": n, "outcome": outcome, "public_rationale": rationale,
                              "internal_note": "", "state": "published", "published_outcome": outcome,
                              "published_rationale": rationale, "published_at": now, "created_at": now,
                              "updated_at": now, "version_id": 1})
            links.append({"recommendation_id": n, "item_id": items[n % len(items)], "origin": "manual",
                          "status": "confirmed", "created_at": now, "version_id": 1})
        db.session.execute(insert(Recommendation), recs)
        db.session.execute(insert(Decision), decisions)
        db.session.execute(insert(Link), links)
        db.session.execute(insert(Action), [
            {"id": n, "decision_id": n * 37, "description": f"Revise the guidance (action {n})", "owner": "Methodology",
             "due_on": dt.date(2020 + n % 3, 6, 30), "status": ["in progress", "implemented"][n % 2],
             "progress": 50 + 50 * (n % 2), "created_at": now, "version_id": 1} for n in range(1, 21)])
        db.session.execute(insert(ActionUpdate), [
            {"action_id": n, "on": dt.date(2020, 2, 1), "text": "Draft shared for comment.", "is_public": True,
             "created_at": now} for n in range(1, 21)])
        db.session.commit()
        has_outcome_page = any(rule.rule == "/consultations/<slug>" for rule in app.url_map.iter_rules())
        if not has_outcome_page:
            from tracker.indexing import rebuild

            rebuild(db.session)
            db.session.commit()
        db.engine.dispose()
    return has_outcome_page


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> tuple[int, float]:
    """One request on a new connection (gunicorn's sync workers close it): (status, milliseconds)."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        connection.close()


def wait_until_serving(port: int, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            if get(port, "/static/app.css")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {seconds:.0f} s")


def load(port: int, path: str, clients: int, requests: int) -> tuple[list[float], list[str]]:
    """Up to ``requests`` requests from ``clients`` concurrent clients, stopping at DEADLINE_S:
    (milliseconds of each answered request, the failures)."""
    deadline = time.monotonic() + DEADLINE_S
    counter = itertools.count()
    timings: list[float] = []
    failures: list[str] = []

    def client() -> None:
        while next(counter) < requests and time.monotonic() < deadline:
            try:
                status, ms = get(port, path)
            except OSError as error:  # timeouts included
                failures.append(type(error).__name__)
                continue
            if status == 200:
                timings.append(ms)
            else:
                failures.append(f"HTTP {status}")

    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return timings, failures


def report(label: str, timings: list[float], failures: list[str], requests: int) -> tuple[float, float]:
    p50, p95 = statistics.median(timings), percentile(timings, 0.95)
    note = f"; {len(failures)} failed ({', '.join(sorted(set(failures)))})" if failures else ""
    short = f"; only {len(timings) + len(failures)} of {requests} sent within {DEADLINE_S} s" \
        if len(timings) + len(failures) < requests else ""
    print(f"  {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(timings)} answered{note}{short})")
    return p50, p95


def after_a_change(port: int, path: str, database: str, rounds: int = 10) -> None:
    """The first request after something public changed (the publication stamp gets a new token,
    as any such commit gives it): the page is rendered again, once per worker."""
    timings = []
    for _ in range(rounds):
        connection = sqlite3.connect(database)
        try:
            with connection:
                connection.execute("UPDATE publication_stamp SET token = ?", (uuid.uuid4().hex,))
        except sqlite3.OperationalError:
            return  # before the publication stamp: nothing is cached
        finally:
            connection.close()
        timings.append(get(port, path)[1])
    print(f"GET {path} just after a change, one client, {rounds} changes: p50 {statistics.median(timings):.1f} ms, "
          f"max {max(timings):.1f} ms")


def main() -> None:
    serve_on_loopback()
    print(f"Public outcome page of a consultation with {RECOMMENDATIONS:,} published recommendations "
          f"(gunicorn, {WORKERS} workers, SQLite, {CLIENTS} concurrent clients, {REQUESTS} requests per URL)")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        os.environ["TRACKER_INSTANCE_PATH"] = f"{folder}/instance"  # nothing written to the real instance/
        started = time.perf_counter()
        has_outcome_page = build_database(url)
        print(f"built the database in {time.perf_counter() - started:.1f} s")
        page = f"/consultations/{SLUG}" if has_outcome_page else "/search?" + urlencode({"q": "women housing"})
        if not has_outcome_page:
            print("the public outcome page does not exist yet: timing the public search page instead")
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "TRACKER_INSTANCE_PATH": f"{folder}/instance",
               "TRACKER_SECRET_KEY": "bench", "TRACKER_SEARCH_INDEX_DIR": f"{folder}/instance/search_index"}
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "tracker:create_app()"], env=env)
        try:
            wait_until_serving(port, server)
            figures = {}
            for path in (page, "/static/app.css"):
                for _ in range(WARM_UP):
                    get(port, path)
                print(f"GET {path}")
                report("one client, 20 requests (service time)", *load(port, path, 1, 20), 20)
                figures[path] = report(f"{CLIENTS} concurrent clients", *load(port, path, CLIENTS, REQUESTS), REQUESTS)
            if has_outcome_page:
                after_a_change(port, page, f"{folder}/bench.sqlite3")
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    (page_p50, page_p95), (static_p50, static_p95) = figures[page], figures["/static/app.css"]
    verdict = "PASS" if page_p95 < TARGET_P95_MS else "MISS"
    print(f"outcome page under load: p95 {page_p95:.0f} ms, target {TARGET_P95_MS} ms: {verdict}")
    ratio = page_p95 / static_p95
    verdict = "PASS" if ratio < STATIC_RATIO else "MISS"
    print(f"against the static file: {page_p50 / static_p50:.1f}x at p50, {ratio:.1f}x at p95, "
          f"target under {STATIC_RATIO}x at p95: {verdict}")

if __name__ == "__main__":
    main()
