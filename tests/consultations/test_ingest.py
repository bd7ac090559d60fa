"""Ingesting written responses: what is stored, idempotency, and failures that change nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import CLINKS_RESPONSE, DEMO_DATA, PROBATION_FRAMEWORK, SUER_FRAMEWORK
from sqlalchemy import event, func, select

from consultations.cleaning import clean_text
from consultations.consultation_import import load_consultation_file, upsert_consultation
from consultations.frameworks import import_framework, load_framework_file
from consultations.ingest import IngestError, ingest_document, sha256_hex
from consultations.models import Base, Document, Link, Recommendation, Respondent, Response
from tracker.db import db

SLUG = "probation-inspection-changes-2019"


@pytest.fixture
def consultation(session):
    for path in (PROBATION_FRAMEWORK, SUER_FRAMEWORK):
        import_framework(session, load_framework_file(path))
    consultation, _ = upsert_consultation(
        session, load_consultation_file(DEMO_DATA / "consultation-probation-inspection-2019.yaml")
    )
    session.commit()
    return consultation


def row_counts(session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def ingest_clinks(session, **overrides):
    arguments = dict(
        consultation_slug=SLUG,
        filename="clinks-2019.txt",
        data=CLINKS_RESPONSE.read_bytes(),
        respondent_name="Clinks",
        organisation_type="voluntary sector",
        consent="named",
        received_on=dt.date(2019, 4, 12),
    )
    arguments.update(overrides)
    return ingest_document(session, **arguments)


def test_ingest_stores_original_text_respondent_recommendations_and_links(session, consultation):
    result = ingest_clinks(session)
    session.commit()
    raw = CLINKS_RESPONSE.read_bytes()
    response = session.get(Response, result.response.id)

    assert result.created and result.recommendations == 18
    assert response.document.sha256 == sha256_hex(raw)
    assert response.document.content == raw, "the original bytes are kept exactly"
    assert response.document.size == len(raw) and response.document.filename == "clinks-2019.txt"
    assert response.text == clean_text(raw.decode("utf-8"))
    assert response.received_on == dt.date(2019, 4, 12)
    assert (response.respondent.name, response.respondent.organisation_type.name, response.respondent.consent) == (
        "Clinks", "Voluntary sector organisation", "named",
    ), "typed text is mapped onto the controlled list"

    recommendations = {r.key: r for r in response.recommendations}
    assert len(recommendations) == 18
    assert recommendations["R1.1"].parent is recommendations["R1"]
    for rec in recommendations.values():
        start, end = rec.spans[0]
        assert response.text[start:end].strip() == rec.text

    links = {(l.recommendation.key, l.item.code): l for l in session.scalars(select(Link))}
    assert ("R3", "4.1.3") in links and ("R4", "4.1.1") in links and ("R8", "1") in links
    assert ("R2.5", "2") in links and ("R2.5", "4") in links
    assert all(l.origin == "explicit" and l.status == "confirmed" for l in links.values())
    assert links[("R2.5", "4")].evidence == "domain three"


def test_recommendations_are_matched_to_the_questions_they_answer(session, consultation):
    result = ingest_clinks(session)
    by_key = {r.key: r for r in result.response.recommendations}
    assert by_key["R3"].question.number == "1"  # unpaid work
    assert by_key["R7"].question.number == "2"  # geographical boundaries
    assert by_key["R8"].question.number == "3"  # co-terminous inspection
    assert by_key["R9"].question.number == "4"  # engaging service users
    assert by_key["R1"].question is None  # an overarching priority, not an answer to a question


def test_the_same_file_twice_is_already_ingested_and_creates_nothing(session, consultation):
    first = ingest_clinks(session)
    session.commit()
    before = row_counts(session)
    again = ingest_clinks(session, respondent_name="Someone else")
    session.commit()
    assert not again.created and again.response.id == first.response.id
    assert row_counts(session) == before


def test_the_same_file_for_another_consultation_is_a_new_response_sharing_the_original(session, consultation):
    ingest_clinks(session)
    upsert_consultation(session, {"slug": "another", "title": "Another", "body": "HMI Probation"})
    second = ingest_clinks(session, consultation_slug="another")
    session.commit()
    assert second.created
    assert session.scalar(select(func.count()).select_from(Document)) == 1
    assert session.scalar(select(func.count()).select_from(Respondent)) == 1


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"consultation_slug": "no-such-consultation"}, "There is no consultation 'no-such-consultation'"),
        ({"data": b""}, "is empty"),
        ({"data": b"   \n\n  "}, "is empty"),
        ({"data": "Caf\u00e9 response: we recommend more".encode("cp1252")}, "is not UTF-8 text"),
        ({"data": b"%PDF-1.7\n%binary"}, "looks like a PDF but could not be read"),
        ({"data": b"\x89PNG\r\n\x1a\n\x00"}, "is a PNG image"),
        ({"data": b"Page 1\n\n2\n\nwww.example.org\n"}, "has no text left"),
        ({"consent": "public"}, "Consent must be one of"),
        ({"respondent_name": "  "}, "respondent's name is missing"),
    ],
)
def test_failures_say_what_was_wrong_and_change_nothing(session, consultation, overrides, message):
    before = row_counts(session)
    with pytest.raises(IngestError, match=message):
        ingest_clinks(session, **overrides)
    session.rollback()
    assert row_counts(session) == before


def test_an_existing_respondent_keeps_its_consent(session, consultation):
    session.add(Respondent(name="Clinks", consent="confidential"))
    session.commit()
    result = ingest_clinks(session, consent="named")
    assert result.response.respondent.consent == "confidential"
    assert "was not changed" in result.warnings[0]


def test_a_new_respondent_without_stated_consent_is_not_published_by_name(session, consultation):
    result = ingest_clinks(session, consent=None, respondent_name="A probation officer")
    assert result.response.respondent.consent == "anonymous"


def test_a_failure_part_way_through_the_ingest_command_leaves_the_database_as_it_was(app, runner, consultation):
    with app.app_context():
        before = row_counts(db.session)

    def fail_on_insert(mapper, connection, target):
        raise RuntimeError("disk full")

    event.listen(Recommendation, "before_insert", fail_on_insert)
    try:
        result = runner.invoke(
            args=["ingest", str(CLINKS_RESPONSE), "--consultation", SLUG, "--respondent", "Clinks"]
        )
    finally:
        event.remove(Recommendation, "before_insert", fail_on_insert)
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    with app.app_context():
        assert row_counts(db.session) == before
