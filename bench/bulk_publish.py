"""Bulk-publishing 1,000 approved decisions through the pages, on SQLite: the confirmation page
(GET, everything matching "approved") and the confirming POST, each item published through the
single-item rule and audited on its own, in one transaction. Issue 14 asks for this to be
measured; the list page itself is ``bench.recommendation_list``.
Run with `python -m bench.bulk_publish`.
"""
from __future__ import annotations

import re
import tempfile
import time

from sqlalchemy import func, insert, select

from . import serve_on_loopback

DECISIONS = 1000


def add_approved_decisions(db, n: int) -> None:
    """One consultation, 100 respondents with ten recommendations each, every one approved."""
    from consultations.models import Consultation, Recommendation, Respondent, Response
    from consultations.workflow import Decision

    db.session.execute(insert(Consultation), [{"id": 1, "slug": "bench", "title": "Bench", "body": "Bench body",
                                               "status": "closed", "version_id": 1}])
    people = n // 10
    db.session.execute(insert(Respondent), [{"id": i, "name": f"Respondent {i}", "consent": "named",
                                             "version_id": 1} for i in range(1, people + 1)])
    db.session.execute(insert(Response), [{"id": i, "consultation_id": 1, "respondent_id": i, "text": "",
                                           "version_id": 1} for i in range(1, people + 1)])
    db.session.execute(insert(Recommendation), [
        {"id": i, "response_id": 1 + (i - 1) // 10, "key": f"R{1 + (i - 1) % 10}", "sequence": i,
         "text": f"Recommendation number {i} about inspections.", "spans": [], "unresolved_references": [],
         "version_id": 1} for i in range(1, n + 1)])
    db.session.execute(insert(Decision), [
        {"recommendation_id": i, "outcome": "accepted", "public_rationale": f"Reason {i}.", "internal_note": "",
         "state": "approved", "version_id": 1} for i in range(1, n + 1)])
    db.session.commit()


def main() -> None:
    serve_on_loopback()
    from consultations.users import create_user
    from consultations.workflow import Decision
    from tracker import create_app
    from tracker.db import db

    print(f"Bulk-publishing {DECISIONS:,} approved decisions (Flask app, SQLite)")
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "SECRET_KEY": "bench",
                          "SEARCH_INDEX_DIR": f"{folder}/index", "WTF_CSRF_ENABLED": False,
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        with app.app_context():
            db.create_all()
            add_approved_decisions(db, DECISIONS)
            create_user(db.session, "bench@example.org", "approver", "a long bench password")
            db.session.commit()
        client = app.test_client()
        client.post("/sign-in", data={"email": "bench@example.org", "password": "a long bench password"})
        url = "/staff/recommendations/bulk/publish?scope=all&decision_state=approved"
        started = time.perf_counter()
        page = client.get(url)
        shown = (time.perf_counter() - started) * 1000
        html = page.get_data(as_text=True)
        items = dict(re.findall(r'name="(item-[0-9-]+)" value="(\d+)"', html))
        assert page.status_code == 200 and len(items) == DECISIONS, (page.status_code, len(items))
        started = time.perf_counter()
        done = client.post("/staff/recommendations/bulk/publish", data=items)
        applied = (time.perf_counter() - started) * 1000
        assert done.status_code == 200 and f"{DECISIONS} changed" in done.get_data(as_text=True)
        with app.app_context():
            published = db.session.scalar(select(func.count(Decision.id)).where(Decision.state == "published"))
        assert published == DECISIONS
        print(f"  confirmation page listing {DECISIONS:,}: {shown:.0f} ms")
        print(f"  publishing {DECISIONS:,} (one transaction, each audited): {applied:.0f} ms")


if __name__ == "__main__":
    main()
