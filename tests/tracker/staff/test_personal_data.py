"""Access and erasure requests (Admin → Respondents' personal data): the ZIP of everything held
about one respondent, and erasing or anonymising them so that no trace of the erased values is
left in any table (audit log included), either search index or any file under instance/."""
from __future__ import annotations

import io
import json
import os
import zipfile

import pytest
from sqlalchemy import LargeBinary, String, Text, select
from sqlalchemy.types import JSON

from consultations import decisions as decision_rules
from consultations import redaction, understood_checks
from consultations.ingest import ingest_document
from consultations.models import Base, Recommendation, Respondent
from consultations.workflow import AuditEvent
from tracker.db import db
from tracker.indexing import indexes

SLUG = "probation-inspection-changes-2019"
NAME = "Zephyrine Quollworth"
EMAIL = "zq.private@quollworth.example"
PHONE = "0161 496 0222"
LETTER = (f"From {NAME}, {EMAIL}, {PHONE}\n\n"
          "Inspectors should publish how often quollworth hostel residents see their probation officer. "
          f"Please reply to {EMAIL}.\n")
ERASED_VALUES = [NAME, EMAIL, PHONE, "quollworth hostel residents see"]


@pytest.fixture
def respondent_id(demo_app, users, session):
    result = ingest_document(session, consultation_slug=SLUG, filename="quollworth-letter.txt",
                             data=LETTER.encode(), respondent_name=NAME, organisation_type="individual",
                             consent="named")
    response = result.response
    response.respondent.contact_details = f"{NAME}\nEmail address: {EMAIL}\nPhone: {PHONE}"
    session.flush()
    for proposal in redaction.propose(session, response):
        redaction.decide(proposal, "confirmed", None)
    redaction.mark_reviewed(session, response)
    rec = session.scalars(select(Recommendation).where(Recommendation.response_id == response.id)).first()
    rec.text = rec.text + f" ({NAME} asked for this.)"  # an edit: its old and new values go to the audit log
    decision = decision_rules.save_decision(session, rec, "accepted", "We will publish these figures.", "", None)
    decision_rules.approve(decision, None)
    decision_rules.publish(decision, None)
    # They answered "what we understood" with their name and contact details in the comments.
    check = understood_checks.create_check(session, response, user_id=None, days=7)
    understood_checks.record_answers(
        session, check, {rec.id: understood_checks.Reply(understood_checks.NOT_MEANT, f"{NAME} meant every hostel")},
        f"Call {PHONE}: quollworth hostel residents see nobody.")
    session.commit()
    return response.respondent_id


def held_in_tables(session) -> list[str]:
    """Every text, JSON and binary value of every table, as text."""
    values = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON, LargeBinary))]
        if not columns:
            continue
        for row in session.execute(select(*columns)).all():
            for column, value in zip(columns, row):
                if value is not None:
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else (
                        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
                    values.append(f"{table.name}.{column.name}: {text}")
    return values


def held_in_files(folder: str) -> dict[str, str]:
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                found[os.path.join(root, name)] = handle.read().decode("latin-1").lower()
    return found


def traces(app, session) -> list[str]:
    session.expire_all()
    found = []
    if db.engine.dialect.name == "sqlite":  # the database file itself: no freed page may keep them
        with open(db.engine.url.database, "rb") as handle:
            content = handle.read().decode("latin-1").lower()
        found += [f"database file: {value}" for value in ERASED_VALUES if value.lower() in content]
    for value in ERASED_VALUES:
        found += [f"table {held}" for held in held_in_tables(session) if value.lower() in held.lower()]
        for path, content in held_in_files(app.instance_path).items():
            for token in {value.lower(), *value.lower().split()} - {"0161", "496", "0222", "see", "residents", "hostel"}:
                if token in content:
                    found.append(f"file {path}: {token}")
        for audience, index in indexes().items():
            for word in value.split():
                if index.search(word).total and word.lower() not in {"residents", "see", "hostel"}:
                    found.append(f"{audience} index: {word}")
    return found


def test_an_access_request_downloads_everything_held_with_the_original_file(client, sign_in, respondent_id):
    admin = sign_in("admin")
    found = admin.get(f"/staff/admin/respondents?q={EMAIL[:10]}").get_data(as_text=True)
    assert NAME in found and f"/staff/admin/respondents/{respondent_id}" in found
    response = admin.get(f"/staff/admin/respondents/{respondent_id}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("respondent.json"))
    assert data["respondent"]["name"] == NAME and EMAIL in data["respondent"]["contact_details"]
    assert data["responses"][0]["text"].startswith(f"From {NAME}")
    assert data["recommendations"] and data["decisions"][0]["outcome"] == "accepted"
    assert any(event["field"] == "text" for event in data["history"])
    assert {a["kind"] for a in data["answers_to_what_we_understood"]} == {understood_checks.NOT_MEANT, understood_checks.MISSED}
    original = data["responses"][0]["original_file"]
    assert archive.read(original) == LETTER.encode()
    assert [m["kind"] for m in data["emails_to_them"] if m["to"] == EMAIL] == ["respondent_outcome"]


def test_erasure_leaves_no_trace_in_any_table_index_or_file(app, client, sign_in, session, respondent_id):
    before = traces(app, session)
    # Files under instance/ hold them where the search index is Whoosh's folder (the PostgreSQL
    # backend keeps its documents in a table); the database file where it is SQLite.
    where = {"table", "staff", "public"} | ({"file"} if app.config["SEARCH_BACKEND"] == "whoosh" else set()) | (
        {"database"} if db.engine.dialect.name == "sqlite" else set())
    assert {t.split(" ")[0] for t in before} >= where, "the check can see the values where they are held"
    admin = sign_in("admin")
    refused = admin.post(f"/staff/admin/respondents/{respondent_id}/erase", data={"what": "erase", "reference": ""})
    assert refused.status_code == 400 and "Enter the request" in refused.get_data(as_text=True)
    done = admin.post(f"/staff/admin/respondents/{respondent_id}/erase",
                      data={"what": "erase", "reference": "DSAR-2026-17", "confirm": "y"})
    assert done.status_code == 302, done.get_data(as_text=True)

    left = traces(app, session)
    assert left == [], left
    respondent = session.get(Respondent, respondent_id)
    assert respondent.name == f"Anonymised respondent {respondent_id}" and respondent.anonymised_at
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "respondent",
                                                      AuditEvent.entity_id == respondent_id,
                                                      AuditEvent.field == "erased")).all()
    assert [(e.new, e.user_id is not None) for e in events] == [("DSAR-2026-17", True)]
    history = admin.get(f"/staff/history/respondent/{respondent_id}")
    assert history.status_code == 200 and "DSAR-2026-17" in history.get_data(as_text=True)
    assert "[erased]" in history.get_data(as_text=True)
    assert sign_in("admin").get(f"/recommendations/{session.scalar(select(Recommendation.id).where(Recommendation.response.has(respondent_id=respondent_id)))}").status_code == 404


def test_anonymising_keeps_what_they_said_under_their_organisation_type(app, client, sign_in, session, respondent_id):
    admin = sign_in("admin")
    assert admin.post(f"/staff/admin/respondents/{respondent_id}/erase",
                      data={"what": "anonymise", "reference": "Request 18", "confirm": "y"}).status_code == 302
    session.expire_all()
    rec = session.scalars(select(Recommendation).where(Recommendation.response.has(respondent_id=respondent_id))).first()
    page = app.test_client().get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert "probation officer" in page and NAME not in page and "an individual" in page.lower()
    held = "\n".join(held_in_tables(session))
    assert EMAIL not in held and PHONE not in held and NAME not in held
