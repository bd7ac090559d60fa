"""The two real data sets import completely and correctly.

They live in ../shared/data (never in the repository); every test here is marked
``real_data`` and skips, saying so, when the directory is absent, and on PostgreSQL (see
pytestmark). Expected figures are read
from the files themselves with the csv module (or taken from ../shared/data/README.md), never
from the importer under test.
"""
from __future__ import annotations

import csv
import os
import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from conftest import SHARED_DATA
from consultations.models import (
    Consultation,
    ImportRun,
    Question,
    Recommendation,
    Respondent,
    Response,
    ResponseSection,
)
from consultations.consultation_import import upsert_consultation
from consultations.workflow import Decision
from test_admin_jobs import job_id, text_of, token_of, upload
from test_admin_jobs import run as run_job

EU = SHARED_DATA / "eu-ai-white-paper-consultation-2020.csv"
UPR = SHARED_DATA / "upr-recommendations.csv"
EU_SLUG = "eu-ai-white-paper-2020"
FIRST_QUESTION_COLUMN, LAST_QUESTION_COLUMN = 11, 70  # 1-based, as its README describes the file
CITIZEN_TYPES = {"EU Citizen", "Non-EU Citizen"}
PUBLIC = "The feedback can be published with your personal information"

pytestmark = [
    pytest.mark.real_data,
    # Importing them is the same code on either database and takes minutes on PostgreSQL, where
    # CI runs the suite beside SQLite's; tests/tracker/test_imports.py runs every import path on
    # PostgreSQL with smaller files.
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                       reason="the real data sets are imported on SQLite only: test_imports.py covers PostgreSQL"),
]


def _needs(path):
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is absent (../shared/data holds the real data sets)")


def _report(output: str) -> dict[str, int]:
    """The imported / skipped / failed lines of a command's report."""
    return {word: int(number.replace(",", ""))
            for word, number in re.findall(r"^  (imported|skipped|failed) +([\d,]+)", output, re.MULTILINE)}


def _eu_rows() -> tuple[list[str], list[list[str]]]:
    with EU.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    return [" ".join(header.split()) for header in rows[0]], rows[1:]  # line breaks in headers become spaces


@_needs(EU)
def test_the_eu_survey_export_imports_every_respondent_and_every_answer(app, users, sign_in, runner, session):
    """Imported as an admin does, uploaded on the admin page and run as a background job; then the
    command line import of the same file skips every row. (The real file is imported once in the
    suite: the page and the command share the importer, and smaller files cover each path alone.)"""
    headers, rows = _eu_rows()
    upsert_consultation(session, {"slug": EU_SLUG, "title": "White Paper on Artificial Intelligence",
                                  "body": "European Commission"})
    session.commit()
    admin = sign_in("admin")
    checked = upload(admin, EU, consultation=EU_SLUG, create_questions=True)
    assert checked.status_code == 200 and "1,216 rows of answers" in text_of(checked)
    run_id = job_id(admin.post("/staff/admin/jobs/survey-import/start", data={"token": token_of(checked)}))
    run_job(runner, run_id)
    page = text_of(admin.get(f"/staff/admin/jobs/{run_id}"))
    assert "1,216 responses imported" in page and "could not be imported" not in page

    session.expire_all()
    consultation = session.scalar(select(Consultation).where(Consultation.slug == EU_SLUG))
    responses = {r.external_id: r for r in session.scalars(
        select(Response).where(Response.consultation_id == consultation.id))}
    assert len(responses) == len(rows) == 1216

    # One question per answer column, in order, titled by its header.
    questions = session.scalars(select(Question).where(Question.consultation_id == consultation.id)
                                .order_by(Question.position)).all()
    assert [q.text for q in questions] == headers[FIRST_QUESTION_COLUMN - 1:LAST_QUESTION_COLUMN]

    # Every non-empty answer is one section, linked to its column's question.
    expected = Counter()
    for row in rows:
        for column in range(FIRST_QUESTION_COLUMN, LAST_QUESTION_COLUMN + 1):
            if row[column - 1].strip():
                expected[(row[0], headers[column - 1])] += 1
    stored = Counter(session.execute(
        select(Response.external_id, Question.text)
        .select_from(ResponseSection)
        .join(Response, ResponseSection.response_id == Response.id)
        .join(Question, ResponseSection.question_id == Question.id)
        .where(Response.consultation_id == consultation.id)).all())
    assert stored == expected
    assert sum(expected.values()) == 50955

    # A free-text answer's characters in the response text are exactly the answer.
    sections = session.scalars(select(ResponseSection).join(Response, ResponseSection.response_id == Response.id)
                               .where(Response.consultation_id == consultation.id,
                                      ResponseSection.start_offset.is_not(None)).limit(500)).all()
    assert sections
    for section in sections:
        text = section.response.text[section.start_offset:section.end_offset]
        assert " ".join(text.split()) == " ".join(section.text.split())

    # Consent: citizens are never named; an organisation is named only if it chose publication.
    by_reference = {row[0]: row for row in rows}
    for reference, response in responses.items():
        row = by_reference[reference]
        respondent = response.respondent
        if row[3] in CITIZEN_TYPES or row[9] != PUBLIC or not row[5].strip():
            assert respondent.consent != "named", (reference, row[3], row[9])
        else:
            assert respondent.consent == "named" and respondent.name == " ".join(row[5].split())

    # "See written response" style answers are placeholders, and recommendations were extracted.
    placeholders = session.scalars(select(ResponseSection.text).where(ResponseSection.kind == "placeholder")).all()
    assert placeholders and all(len(text) <= 300 for text in placeholders)
    assert session.scalar(select(func.count()).select_from(Recommendation)) > 1000

    # The command line import of the same file stores nothing more.
    again = runner.invoke(args=["import-survey", str(EU), "--consultation", EU_SLUG, "--yes"])
    assert again.exit_code == 0, again.output
    assert _report(again.output) == {"imported": 0, "skipped": 1216, "failed": 0}
    assert session.scalar(select(func.count()).select_from(Response)) == 1216


@_needs(UPR)
def test_the_upr_recommendations_import_completely_with_their_decisions(app, runner, session):
    with UPR.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    reviews = {(row["To"], row["Session"]) for row in rows}
    # Indexing 31k documents is measured by `make bench`; here the rows and decisions matter.
    app.config["SEARCH_ENABLED"] = False

    result = runner.invoke(args=["import-recommendations", str(UPR)])
    assert result.exit_code == 0, result.output
    assert _report(result.output) == {"imported": 31468, "skipped": 0, "failed": 0}

    assert session.scalar(select(func.count()).select_from(Recommendation)) == len(rows) == 31468
    assert session.scalar(select(func.count()).select_from(Consultation)) == len(reviews)
    assert session.scalar(select(func.count(func.distinct(Respondent.name)))) == len({row["From"] for row in rows})
    outcomes = dict(session.execute(select(Decision.outcome, func.count()).group_by(Decision.outcome)).all())
    assert outcomes == {"accepted": 23367, "not accepted": 8101}  # Accepted / Noted, as ../shared/data/README.md says

    # A row's text, recommending state and decision stay together.
    sample = rows[12345]
    recommendation = session.scalar(select(Recommendation).join(Response).join(Respondent)
                                    .where(Respondent.name == sample["From"],
                                           Recommendation.text == sample["Text"].strip()).limit(1))
    assert recommendation is not None
    decision = session.scalar(select(Decision).where(Decision.recommendation_id == recommendation.id))
    assert decision.outcome == {"Accepted": "accepted", "Noted": "not accepted"}[sample["Response"]]

    again = runner.invoke(args=["import-recommendations", str(UPR)])
    assert again.exit_code == 0, again.output
    assert _report(again.output) == {"imported": 0, "skipped": 31468, "failed": 0}
    assert session.scalar(select(func.count()).select_from(Recommendation)) == 31468
    assert [run.status for run in session.scalars(select(ImportRun).order_by(ImportRun.id))] == ["finished"] * 2
