"""Bulk imports of survey exports and recommendation lists: mapping, consent, placeholders,
malformed rows, --strict, idempotency, resuming after a crash, and the report.

Every file is generated here; the real data sets are tested in test_real_imports.py.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROJECT
import yaml
from sqlalchemy import func, select

from consultations import audit
from consultations.bulk import open_table, parse_date, RowError
from consultations.consultation_import import upsert_consultation
from consultations.ingest import ingest_document
from consultations.models import (
    Consultation,
    ImportRun,
    Question,
    Recommendation,
    Respondent,
    Response,
    ResponseSection,
)
from consultations.recommendation_import import RecommendationImporter
from consultations.survey_import import consent_for, guess_kind, is_placeholder
from tracker import indexing as search
from tracker.db import db
from consultations.workflow import AuditEvent, Decision, SearchDirty

SLUG = "probation-survey-2024"
Q1 = "What should the inspectorate change about how it inspects probation services?"
Q2 = "How important is it that inspection schedules are published a year ahead? (1-5: 5 is very important)"
Q3 = "Do you have any other comments?"
PUBLIC = "The feedback can be published with your personal information"
ANONYMOUS = "The feedback can be published in an anonymous way"
HEADERS = ["Reference", "Feedback date", "User type", "Organisation name", "Country",
           "Publication privacy settings", Q1, Q2, Q3, "You can upload a document here:"]
ROWS = [
    ["F1", "19.06.2020 10:00", "NGO (Non-governmental organisation)", "Clinks", "United Kingdom", PUBLIC,
     "We recommend that the inspectorate publishes its schedule a year ahead.\nInspectors should meet "
     "people on probation in every inspection.", "5 - Very important", "See written response", "clinks.pdf"],
    ["F2", "20.06.2020 11:30", "", "", "", ANONYMOUS,
     "Probation officers should have smaller caseloads.", "4 - Important", "", ""],
    ["F3", "21.06.2020 09:15", "EU Citizen", "Jane Doe Consulting", "France", PUBLIC,
     "The inspectorate should visit approved premises more often.", "3 - Neutral", "Nothing more.", ""],
    ["F4", "22.06.2020 16:45", "Company/Business organisation", "Acme Rehabilitation Ltd", "United Kingdom",
     "Do not publish my response", "", "5 - Very important", "", ""],
]


@pytest.fixture
def consultation(session):
    consultation, _ = upsert_consultation(session, {
        "slug": SLUG, "title": "Probation inspection survey", "body": "HM Inspectorate of Probation",
        "questions": [{"number": "1", "text": Q1}, {"number": "2", "text": Q2}, {"number": "3", "text": Q3}],
    })
    session.commit()
    return consultation


def write_csv(path: Path, headers, rows, delimiter=";") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, headers, rows) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def survey(runner, path, *extra, slug=SLUG):
    return runner.invoke(args=["import-survey", str(path), "--consultation", slug, "--yes", *extra])


def counts(session) -> dict[str, int]:
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Consultation, Question, Respondent, Response, ResponseSection, Recommendation,
                          Decision, ImportRun, AuditEvent)}


def responses_by_reference(session, slug=SLUG) -> dict[str, Response]:
    rows = session.scalars(select(Response).join(Consultation).where(Consultation.slug == slug))
    return {response.external_id: response for response in rows}


# --- survey: mapping, answers, consent --------------------------------------------------


def test_survey_csv_is_mapped_by_header_and_every_answer_is_linked_to_its_question(app, runner, session,
                                                                                  consultation, tmp_path):
    path = write_csv(tmp_path / "survey.csv", HEADERS, ROWS)
    result = survey(runner, path)
    assert result.exit_code == 0, result.output
    assert "Proposed mapping" in result.output and "-> question 1 (text)" in result.output
    assert "-> question 2 (choice)" in result.output
    assert "imported         4" in result.output and "failed           0" in result.output

    session.expire_all()
    responses = responses_by_reference(session)
    assert set(responses) == {"F1", "F2", "F3", "F4"}
    clinks = responses["F1"]
    assert clinks.channel == "online survey" and clinks.received_on == dt.date(2020, 6, 19)
    assert clinks.attributes["Country"] == "United Kingdom"
    sections = {section.question.number: section for section in clinks.sections}
    assert sections["1"].kind == "text" and sections["2"].kind == "choice" and sections["3"].kind == "placeholder"
    assert sections["2"].text == "5 - Very important" and sections["2"].start_offset is None
    for section in (sections["1"], sections["3"]):
        assert clinks.text[section.start_offset:section.end_offset] == section.text, "answers are anchored"
    assert "5 - Very important" not in clinks.text, "rating answers are values, not text to read or search"

    recommendations = clinks.recommendations
    assert [r.text for r in recommendations] == [
        "We recommend that the inspectorate publishes its schedule a year ahead.",
        "Inspectors should meet people on probation in every inspection."]
    for rec in recommendations:
        assert rec.question.number == "1", "recommendations are linked to the question they answer"
        start, end = rec.spans[0]
        assert clinks.text[start:end].strip() == rec.text
    assert {r.key for r in recommendations} == {"R1", "R2"}


def test_survey_consent_is_conservative(app, runner, session, consultation, tmp_path):
    survey(runner, write_csv(tmp_path / "survey.csv", HEADERS, ROWS))
    session.expire_all()
    responses = responses_by_reference(session)
    clinks, anonymous, citizen, confidential = (responses[ref].respondent for ref in ("F1", "F2", "F3", "F4"))
    assert (clinks.name, clinks.consent, clinks.organisation_type.name) == (
        "Clinks", "named", "Voluntary sector organisation"), "the survey's wording is mapped onto the list"
    assert (anonymous.name, anonymous.consent) == ("Respondent F2", "anonymous")
    # A citizen is never named, even with the "published with your personal information" setting,
    # and the organisation they typed is not used as their public name.
    assert (citizen.name, citizen.consent) == ("Respondent F3", "anonymous")
    assert "Jane Doe Consulting" in citizen.contact_details
    assert confidential.consent == "confidential"


@pytest.mark.parametrize("privacy, respondent_type, organisation, expected", [
    (PUBLIC, "NGO", "Clinks", "named"),
    (ANONYMOUS, "NGO", "Clinks", "anonymous"),
    (PUBLIC, "EU Citizen", "", "anonymous"),
    (PUBLIC, "Non-EU Citizen", "Someone Ltd", "anonymous"),
    (PUBLIC, "Academic/Research Institution", "", "anonymous"),
    ("", "NGO", "Clinks", "anonymous"),
    ("Maybe later", "NGO", "Clinks", "anonymous"),
    ("Confidential: do not publish", "NGO", "Clinks", "confidential"),
    ("Public", "Trade Union", "Unison", "named"),
    ("Publish with my organisation's name", "Charity", "Clinks", "named"),
    ("Publish with my organisation's name", "Private individual", "", "anonymous"),
    ("Publish anonymously", "Charity", "Clinks", "anonymous"),
])
def test_consent_rules(privacy, respondent_type, organisation, expected):
    assert consent_for(privacy, respondent_type, organisation)[0] == expected


@pytest.mark.parametrize("answer, expected", [
    ("See written response", True),
    ("Please refer to the attached policy paper.", True),
    ("(Ver documento adjunto)", True),
    ("See complementary answer", True),
    ("It should be mandatory.  Please see written response.", True),
    ("see above", False),
    ("As presented in the White Paper, I see it only as an overhead for SMEs.", False),
    ("Documentation of training data sets should be mandatory.", False),
])
def test_placeholder_answers_are_recognised(answer, expected):
    assert is_placeholder(answer) is expected


def test_choice_and_free_text_columns_are_told_apart():
    assert guess_kind("Q", ["5 - Very important", "4 - Important", "", "1 - Not important at all"]) == "choice"
    assert guess_kind("Q", ["Yes", "No", "Yes", "Other"]) == "choice"
    assert guess_kind("Q", ["We should fund more research.", "Regulate facial recognition.", "No"]) == "text"


def test_survey_xlsx_with_real_dates(app, runner, session, consultation, tmp_path):
    rows = [[dt.datetime(2020, 6, 19, 10, 0) if i == 1 else value for i, value in enumerate(row)] for row in ROWS]
    result = survey(runner, write_xlsx(tmp_path / "survey.xlsx", HEADERS, rows))
    assert result.exit_code == 0, result.output
    session.expire_all()
    responses = responses_by_reference(session)
    assert len(responses) == 4 and responses["F1"].received_on == dt.date(2020, 6, 19)
    assert responses["F1"].sections[0].text.startswith("We recommend")


def test_delimiter_is_worked_out(tmp_path):
    for delimiter in (",", ";", "\t"):
        table = open_table(write_csv(tmp_path / f"s{ord(delimiter)}.csv", HEADERS, ROWS, delimiter))
        assert table.headers == HEADERS and table.count == 4
        assert [row.values[0] for row in table.rows] == ["F1", "F2", "F3", "F4"]


def test_dates_in_the_usual_forms():
    assert parse_date("19.06.2020 23:58", "Date") == dt.date(2020, 6, 19)
    assert parse_date("2020-06-19", "Date") == dt.date(2020, 6, 19)
    assert parse_date("19/06/2020", "Date") == dt.date(2020, 6, 19)
    with pytest.raises(RowError, match="not a date"):
        parse_date("31.02.2020", "Date")


# --- survey: mapping files, creating questions, confirmation -------------------------------


def test_saved_mapping_is_edited_and_used(app, runner, session, consultation, tmp_path):
    path = write_csv(tmp_path / "survey.csv", HEADERS, ROWS)
    mapping_path = tmp_path / "mapping.yaml"
    result = runner.invoke(args=["import-survey", str(path), "--consultation", SLUG, "--save-mapping", str(mapping_path)])
    assert result.exit_code == 0, result.output
    assert "--mapping" in result.output
    assert counts(session)["Response"] == 0, "saving a mapping imports nothing"

    mapping = yaml.safe_load(mapping_path.read_text(encoding="utf-8"))
    by_header = {entry["header"]: entry for entry in mapping["columns"]}
    assert by_header["Reference"]["field"] == "reference" and by_header[Q2] == {
        "column": 8, "header": Q2, "question": "2", "kind": "choice"}
    by_header[Q3]["question"] = None  # an editor decides question 3 is not wanted
    by_header["Country"]["field"] = "ignore"
    mapping_path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")

    result = runner.invoke(args=["import-survey", str(path), "--consultation", SLUG, "--mapping", str(mapping_path)])
    assert result.exit_code == 0, result.output
    session.expire_all()
    clinks = responses_by_reference(session)["F1"]
    assert [s.question.number for s in clinks.sections] == ["1", "2"]
    assert "Country" not in (clinks.attributes or {})


def test_mapping_for_another_file_is_refused_and_nothing_is_written(app, runner, session, consultation, tmp_path):
    path = write_csv(tmp_path / "survey.csv", HEADERS, ROWS)
    mapping_path = tmp_path / "mapping.json"
    mapping_path.write_text(json.dumps({"columns": [
        {"column": 1, "header": "Reference", "field": "reference"},
        {"column": 7, "header": "A different question", "question": "1"},
        {"column": 8, "header": Q2, "question": "9"},
    ]}), encoding="utf-8")
    before = counts(session)
    result = runner.invoke(args=["import-survey", str(path), "--consultation", SLUG, "--mapping", str(mapping_path)])
    assert result.exit_code != 0
    assert "column 7 is headed" in result.output and "another file" in result.output
    assert "question 9 does not exist" in result.output
    assert counts(session) == before


def test_without_yes_and_without_a_terminal_nothing_is_imported(app, runner, session, consultation, tmp_path):
    path = write_csv(tmp_path / "survey.csv", HEADERS, ROWS)
    result = runner.invoke(args=["import-survey", str(path), "--consultation", SLUG])
    assert result.exit_code != 0 and "--yes" in result.output
    assert counts(session)["Response"] == 0


def test_unknown_consultation_says_how_to_create_it(app, runner, session, tmp_path):
    result = survey(runner, write_csv(tmp_path / "survey.csv", HEADERS, ROWS), slug="nope")
    assert result.exit_code != 0 and "no consultation 'nope'" in result.output and "--create-questions" in result.output
    assert counts(session)["Consultation"] == 0


def test_create_questions_creates_the_consultation_once_and_a_rerun_matches_them(app, runner, session, tmp_path):
    path = write_csv(tmp_path / "ai-survey.csv", HEADERS, ROWS)
    args = ["--create-questions", "--title", "AI survey", "--body", "European Commission"]
    result = survey(runner, path, *args, slug="ai-survey")
    assert result.exit_code == 0, result.output
    assert "new question 1 (text)" in result.output and "questions created 3" in result.output
    session.expire_all()
    consultation = session.scalar(select(Consultation).where(Consultation.slug == "ai-survey"))
    assert (consultation.title, consultation.body) == ("AI survey", "European Commission")
    assert [q.text for q in consultation.questions] == [Q1, Q2, Q3]

    again = survey(runner, path, *args, slug="ai-survey")
    assert again.exit_code == 0, again.output
    assert "new question" not in again.output and "skipped          4" in again.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Question)) == 3


# --- placeholders -------------------------------------------------------------------------


def ingest_written(session, respondent="Clinks"):
    ingest_document(session, consultation_slug=SLUG, filename="clinks.txt", respondent_name=respondent,
                    data=b"Clinks response\n\nWe recommend that inspectors read every case file.\n",
                    consent="named", organisation_type="NGO (Non-governmental organisation)")
    session.commit()


def test_placeholder_links_to_the_written_response(app, runner, session, consultation, tmp_path):
    ingest_written(session)
    result = survey(runner, write_csv(tmp_path / "survey.csv", HEADERS, ROWS))
    assert "placeholders linked to a written response 1" in result.output, result.output
    session.expire_all()
    clinks = responses_by_reference(session)["F1"]
    placeholder = next(s for s in clinks.sections if s.kind == "placeholder")
    assert placeholder.written_response.channel == "document"
    assert placeholder.written_response.respondent_id == clinks.respondent_id
    assert placeholder.note is None


def test_placeholder_without_a_written_response_is_noted_then_linked_when_it_arrives(app, runner, session,
                                                                                    consultation, tmp_path):
    path = write_csv(tmp_path / "survey.csv", HEADERS, ROWS)
    survey(runner, path)
    session.expire_all()
    placeholder = session.scalar(select(ResponseSection).where(ResponseSection.kind == "placeholder"))
    assert placeholder.written_response_id is None
    assert "none from this respondent" in placeholder.note and "clinks.pdf" in placeholder.note

    ingest_written(session)  # ingesting the written response links the answer that points to it
    session.expire_all()
    placeholder = session.get(ResponseSection, placeholder.id)
    assert placeholder.written_response is not None and placeholder.note is None
    result = survey(runner, path)
    assert "placeholders linked" not in result.output  # nothing left to link


def test_response_pages_show_placeholders_both_ways_and_where_a_row_came_from(app, runner, session, consultation,
                                                                             tmp_path, sign_in):
    survey(runner, write_csv(tmp_path / "survey.csv", HEADERS, ROWS))
    client = sign_in("viewer")
    clinks_survey = responses_by_reference(session)["F1"]
    page = client.get(f"/staff/responses/{clinks_survey.id}").get_data(as_text=True)
    assert "One row of survey.csv, reference F1 (import run 1," in page
    assert "Answers that refer to a written response" in page and "“See written response”" in page
    assert "It is linked as soon as one is ingested." in page

    ingest_written(session)
    written = session.scalar(select(Response).where(Response.channel == "document"))
    page = client.get(f"/staff/responses/{clinks_survey.id}").get_data(as_text=True)
    assert f'href="/staff/responses/{written.id}">Read the written response</a>' in page
    page = client.get(f"/staff/responses/{written.id}").get_data(as_text=True)
    assert "Online-survey answers that refer to this response" in page
    assert f'href="/staff/responses/{clinks_survey.id}#placeholders">Survey response from Clinks</a>' in page


# --- malformed rows, strict, report ---------------------------------------------------------


def malformed_survey(tmp_path: Path) -> Path:
    good = ROWS
    lines = [
        ";".join(HEADERS),
        ";".join(good[0][:6]) + ';"A first answer\nover two lines should be fine.";5 - Very important;;',  # row 2
        "F5;20.06.2020;NGO;Nacro;UK;" + PUBLIC + ";too;many;values;here;x",  # row 3: 11 values
        "F6;31.02.2020;NGO;Revolving Doors;UK;" + PUBLIC + ";Answer;4 - Important;;",  # row 4: bad date
        ";20.06.2020;NGO;Unlock;UK;" + PUBLIC + ";Answer;4 - Important;;",  # row 5: no reference
        "F8;20.06.2020;NGO;Nacro;UK;" + PUBLIC + ";Caf\xe9 answer;4 - Important;;",  # row 6: not UTF-8
        "F9;20.06.2020;NGO;Women in Prison;UK;" + PUBLIC + ";Good answer;4 - Important;;",  # row 7
        "F9;21.06.2020;NGO;Women in Prison;UK;" + PUBLIC + ";Sent twice;4 - Important;;",  # row 8: repeated
    ]
    data = "\n".join(lines).encode("utf-8").replace("Caf\xe9".encode("utf-8"), b"Caf\xe9") + b"\n"
    path = tmp_path / "malformed.csv"
    path.write_bytes(data)
    return path


def test_malformed_rows_are_reported_by_number_and_the_rest_imported(app, runner, session, consultation, tmp_path):
    result = survey(runner, malformed_survey(tmp_path))
    assert result.exit_code == 1, "a run with failed rows exits 1 (after importing the good ones)"
    out = result.output
    assert "imported         2" in out and "failed           5" in out
    assert "row 3: has 11 values but the header has 10 columns" in out
    assert "row 4: Feedback date '31.02.2020' is not a date" in out
    assert "row 5: Reference is empty" in out
    assert "row 6: contains bytes that are not UTF-8" in out
    assert "row 8: Reference 'F9' also appears in row 7" in out
    session.expire_all()
    assert set(responses_by_reference(session)) == {"F1", "F9"}
    run = session.scalar(select(ImportRun))
    assert (run.status, run.imported, run.failed) == ("finished", 2, 5)
    assert [3, "has 11 values but the header has 10 columns (a stray delimiter or an unclosed quote?)"] in run.failures


def test_strict_writes_nothing_when_a_row_fails(app, runner, session, consultation, tmp_path):
    before = counts(session)
    result = survey(runner, malformed_survey(tmp_path), "--strict")
    assert result.exit_code == 1
    assert "Nothing was imported from malformed.csv (--strict): 5 rows failed." in result.output
    assert "row 4: Feedback date" in result.output
    assert counts(session) == before, "no response, respondent, import run or audit event"


def test_strict_with_a_new_consultation_creates_nothing(app, runner, session, tmp_path):
    result = survey(runner, malformed_survey(tmp_path), "--strict", "--create-questions", slug="new-one")
    assert result.exit_code == 1
    assert counts(session)["Consultation"] == 0 and counts(session)["Question"] == 0


def test_strict_imports_a_clean_file(app, runner, session, consultation, tmp_path):
    result = survey(runner, write_csv(tmp_path / "survey.csv", HEADERS, ROWS), "--strict")
    assert result.exit_code == 0, result.output
    assert counts(session)["Response"] == 4


def test_unreadable_files_are_refused_plainly(app, runner, session, consultation, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = survey(runner, empty)
    assert result.exit_code != 0 and "empty" in result.output
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    result = survey(runner, xls)
    assert result.exit_code != 0 and "old-style Excel" in result.output


def test_a_workbook_that_is_a_decompression_bomb_is_refused_before_it_is_read(app, runner, session, consultation,
                                                                             tmp_path):
    import zipfile

    path = write_xlsx(tmp_path / "bomb.xlsx", HEADERS, ROWS)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet2.xml", b"<row/>" * 3_000_000)  # 18 MB from a few KB
    before = counts(session)
    result = survey(runner, path)
    assert result.exit_code != 0
    assert "bomb.xlsx was refused as a possible decompression bomb: its part xl/worksheets/sheet2.xml" in result.output
    assert "Nothing was imported" in result.output
    assert counts(session) == before


# --- idempotency ------------------------------------------------------------------------------


def test_importing_the_same_survey_again_changes_nothing(app, runner, session, consultation, tmp_path):
    path = write_csv(tmp_path / "survey.csv", HEADERS, ROWS)
    survey(runner, path)
    session.expire_all()
    first = counts(session)
    again = survey(runner, path)
    assert again.exit_code == 0
    assert "imported         0" in again.output and "skipped          4  (already imported)" in again.output
    after = counts(session)
    assert after.pop("ImportRun") == first.pop("ImportRun") + 1, "each run is on record"
    first.pop("AuditEvent"), after.pop("AuditEvent")
    assert after == first


# --- recommendations ----------------------------------------------------------------------------

REC_HEADERS = ["ID", "Consultation", "From", "To", "Recommendation", "Theme", "Decision", "Rationale"]
REC_ROWS = [
    ["1", "justice-inquiry-2023", "Justice Committee", "Ministry of Justice",
     "The Ministry should publish probation caseload data every quarter.", "Data", "Accepted",
     "We will publish quarterly from April."],
    ["2", "justice-inquiry-2023", "Justice Committee", "Ministry of Justice",
     "The Ministry should fund approved premises in every region.", "Housing", "Partially accepted", ""],
    ["3", "justice-inquiry-2023", "Justice Committee", "HMPPS",
     "HMPPS should end the use of short custodial sentences.", "Sentencing", "Rejected", "Not our policy."],
    ["4", "justice-inquiry-2023", "Public Accounts Committee", "HMPPS",
     "HMPPS should report on staff vacancies.", "Workforce", "", ""],
]


def recommendations(runner, path, *extra):
    return runner.invoke(args=["import-recommendations", str(path), *extra])


def test_recommendations_with_decisions(app, runner, session, tmp_path):
    path = write_csv(tmp_path / "inquiry.csv", REC_HEADERS, REC_ROWS, ",")
    result = recommendations(runner, path, "--consent", "named", "--org-type", "Parliamentary committee")
    assert result.exit_code == 0, result.output
    assert "imported         4" in result.output and "consultations created 1" in result.output
    session.expire_all()
    consultation = session.scalar(select(Consultation).where(Consultation.slug == "justice-inquiry-2023"))
    recs = session.scalars(select(Recommendation).join(Response).where(Response.consultation_id == consultation.id)
                           .order_by(Recommendation.id)).all()
    assert [r.external_id for r in recs] == ["id:1", "id:2", "id:3", "id:4"]
    assert recs[0].attributes == {"To": "Ministry of Justice", "Theme": "Data"}
    committee = recs[0].response
    assert (committee.respondent.name, committee.respondent.consent, committee.respondent.organisation_type.name) == (
        "Justice Committee", "named", "Parliamentary committee"), "a type not in the list is added, not lost"
    assert [r.key for r in committee.recommendations] == ["R1", "R2", "R3"]
    for rec in committee.recommendations:
        start, end = rec.spans[0]
        assert committee.text[start:end] == rec.text
    decisions = {d.recommendation_id: d for d in session.scalars(select(Decision))}
    assert [decisions[r.id].outcome for r in recs[:3]] == ["accepted", "accepted in part", "not accepted"]
    assert recs[3].id not in decisions, "an empty decision cell means no decision yet"
    assert decisions[recs[0].id].public_rationale == "We will publish quarterly from April."
    assert decisions[recs[1].id].public_rationale == "Imported from inquiry.csv: Partially accepted"
    assert decisions[recs[0].id].state == "approved" and decisions[recs[0].id].published_at is None
    assert "row 2" in decisions[recs[0].id].internal_note


def test_audit_trail_says_the_rows_came_from_an_import(app, runner, session, sign_in, tmp_path):
    recommendations(runner, write_csv(tmp_path / "inquiry.csv", REC_HEADERS, REC_ROWS, ","), "--batch-size", "2")
    session.expire_all()
    run = session.scalar(select(ImportRun))
    assert (run.kind, run.source, run.status, run.imported) == ("recommendations", "inquiry.csv", "finished", 4)
    # One record per batch on the run, listing the ids it created, not an event per object.
    records = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "import-run",
                                                       AuditEvent.entity_id == run.id)).all()
    assert len(records) == 2
    assert not session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type.in_(["recommendation", "decision"])))
    rec = session.scalar(select(Recommendation).where(Recommendation.external_id == "id:3"))
    decision = session.scalar(select(Decision).where(Decision.recommendation_id == rec.id))
    for entity, entity_id in (("recommendation", rec.id), ("decision", decision.id), ("response", rec.response_id)):
        created = [event for event in audit.history(session, entity, entity_id) if event.field == "created"]
        assert len(created) == 1, entity
        assert json.loads(created[0].new) == {"import_run_id": str(run.id)}, entity
    committee = audit.history(session, "response", rec.response.id)
    assert [event.field for event in committee] == ["text", "created"], "created in one batch, extended in the next"

    client = sign_in("viewer")
    page = client.get(f"/staff/history/recommendation/{rec.id}").get_data(as_text=True)
    assert f"#{run.id}, inquiry.csv" in page, "the history page names the import run"


UPR_HEADERS = ["To", "To-Rgrp", "Text", "From", "From-Rgrp", "Response", "Action", "Issue", "Session"]


def upr_rows(n: int) -> list[list[str]]:
    states = ["Norway", "Brazil", "Kenya", "Japan", "Chile", "Ghana", "India"]
    rows = []
    for i in range(n):
        to, by = states[i % 7], states[(i // 7 + 1 + i % 7) % 7]
        if by == to:
            by = "Canada"
        rows.append([to, "Group", f"Ensure access to education for every child, measure {i}.", by, "WEOG",
                     "Noted" if i % 4 == 0 else "Accepted", str(i % 5 + 1), "Rights of the Child,Education",
                     str(1 + i % 3)])
    return rows


def test_upr_style_file_gets_one_consultation_per_review_and_noted_becomes_not_accepted(app, runner, session,
                                                                                      tmp_path):
    rows = upr_rows(40) + [upr_rows(1)[0]]  # the same recommendation twice: both are kept
    path = write_csv(tmp_path / "upr.csv", UPR_HEADERS, rows, ",")
    result = recommendations(runner, path, "--consultation", "upr-{session}-{to}", "--source", "UPR Info",
                             "--decision-state", "published")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Recommendation)) == 41
    consultation = session.scalar(select(Consultation).where(Consultation.slug == "upr-1-norway"))
    assert (consultation.title, consultation.body) == ("Recommendations to Norway, session 1", "Norway")
    outcomes = dict(session.execute(select(Decision.outcome, func.count()).group_by(Decision.outcome)).all())
    assert outcomes == {"accepted": 30, "not accepted": 11}
    noted = session.scalar(select(Decision).where(Decision.outcome == "not accepted").limit(1))
    assert noted.public_rationale == "Imported from UPR Info: Noted"
    assert (noted.state, noted.published_outcome, noted.published_rationale) == (
        "published", "not accepted", "Imported from UPR Info: Noted")
    assert noted.published_at is not None
    rec = noted.recommendation
    assert rec.attributes["Issue"] == "Rights of the Child,Education" and rec.attributes["Action"]


def test_default_consultation_is_named_after_the_file(app, runner, session, tmp_path):
    path = write_csv(tmp_path / "upr.csv", UPR_HEADERS, upr_rows(3), ",")
    assert recommendations(runner, path).exit_code == 0
    slugs = set(session.scalars(select(Consultation.slug)))
    assert slugs == {"upr-1-norway", "upr-2-brazil", "upr-3-kenya"}


def test_unknown_decision_fails_the_row_with_a_way_out(app, runner, session, tmp_path):
    rows = [row[:] for row in REC_ROWS]
    rows[1][6] = "Supported in part"
    rows[2][4] = ""
    path = write_csv(tmp_path / "inquiry.csv", REC_HEADERS, rows, ",")
    result = recommendations(runner, path)
    assert result.exit_code == 1
    assert "row 3: the decision 'Supported in part' is not one the tracker knows" in result.output
    assert "--outcome 'Supported in part=under consideration'" in result.output
    assert "row 4: Recommendation is empty" in result.output
    result = recommendations(runner, path, "--outcome", "Supported in part=accepted in part")
    assert "imported         1" in result.output and "skipped          2" in result.output
    session.expire_all()
    rec = session.scalar(select(Recommendation).where(Recommendation.external_id == "id:2"))
    assert session.scalar(select(Decision.outcome).where(Decision.recommendation_id == rec.id)) == "accepted in part"


def test_bad_options_and_files_write_nothing(app, runner, session, tmp_path):
    no_text = write_csv(tmp_path / "no-text.csv", ["From", "Decision"], [["A", "Accepted"]], ",")
    result = recommendations(runner, no_text)
    assert result.exit_code != 0 and "no column for the recommendation's text" in result.output
    rows = write_csv(tmp_path / "rows.csv", ["Text"], [["Do this."]], ",")
    result = recommendations(runner, rows)
    assert result.exit_code != 0 and "--respondent" in result.output
    result = recommendations(runner, rows, "--respondent", "X", "--consultation", "r-{nope}")
    assert result.exit_code != 0 and "names nope, which is not a column" in result.output
    result = recommendations(runner, rows, "--respondent", "X", "--outcome", "Yes=maybe")
    assert result.exit_code != 0 and "VALUE=OUTCOME" in result.output
    assert counts(session)["Recommendation"] == 0 and counts(session)["ImportRun"] == 0


def test_importing_the_same_recommendations_again_changes_nothing(app, runner, session, tmp_path):
    path = write_csv(tmp_path / "upr.csv", UPR_HEADERS, upr_rows(30) + [upr_rows(1)[0]], ",")
    assert recommendations(runner, path).exit_code == 0
    session.expire_all()
    first = counts(session)
    again = recommendations(runner, path)
    assert "imported         0" in again.output and "skipped         31" in again.output
    after = counts(session)
    assert after["ImportRun"] == first["ImportRun"] + 1
    for name in ("ImportRun", "AuditEvent"):
        first.pop(name), after.pop(name)
    assert after == first


# --- resuming after a crash --------------------------------------------------------------------


def snapshot(session) -> dict:
    """Everything an import stores, without database ids, for comparing two databases."""
    session.expire_all()
    recs = session.execute(
        select(Consultation.slug, Respondent.name, Response.text, Recommendation.key, Recommendation.text,
               Recommendation.spans, Recommendation.external_id, Decision.outcome, Decision.public_rationale)
        .join(Response, Recommendation.response_id == Response.id)
        .join(Consultation, Response.consultation_id == Consultation.id)
        .join(Respondent, Response.respondent_id == Respondent.id)
        .outerjoin(Decision, Decision.recommendation_id == Recommendation.id)
    ).all()
    return {
        "recommendations": sorted(tuple(str(v) for v in row) for row in recs),
        "consultations": sorted(session.scalars(select(Consultation.slug))),
        "respondents": sorted(session.scalars(select(Respondent.name))),
        "responses": session.scalar(select(func.count()).select_from(Response)),
    }


def start_afresh(app):
    # The test's own session (its app context's) may hold read locks in an open transaction;
    # on PostgreSQL, DROP TABLE would wait for it for ever.
    db.session.remove()
    with app.app_context():
        db.drop_all()
        db.create_all()
        for index in search.indexes().values():
            index.rebuild([])


def test_resume_after_an_interruption_finishes_the_job(app, runner, session, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "upr.csv", UPR_HEADERS, upr_rows(230), ",")
    commits = []

    def crash_after_two_batches(self):
        commits.append(1)
        if len(commits) == 2:
            raise KeyboardInterrupt  # as if killed right after the second batch committed

    monkeypatch.setattr(RecommendationImporter, "release", crash_after_two_batches)
    interrupted = recommendations(runner, path, "--batch-size", "50")
    assert interrupted.exit_code == 1 and "Aborted" in interrupted.output  # click's answer to Ctrl-C
    monkeypatch.undo()
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Recommendation)) == 100, "two whole batches"
    assert session.scalar(select(func.count()).select_from(Decision)) == 100, "never half a batch"
    assert session.scalar(select(ImportRun.status)) == "failed"
    if search.in_database():
        assert search.differences(session) == [], "the documents committed with their batches"
    else:
        assert session.scalar(select(func.count()).select_from(SearchDirty)) > 0, "queued for the index, not lost"

    result = recommendations(runner, path, "--batch-size", "50")
    assert result.exit_code == 0, result.output
    assert "earlier import of this file did not finish" in result.output
    assert "imported       130" in result.output and "skipped        100" in result.output
    resumed = snapshot(session)
    assert search.differences(session) == [], "the index holds every row, including the first run's"
    assert session.scalar(select(func.count()).select_from(SearchDirty)) == 0

    start_afresh(app)
    assert recommendations(runner, path).exit_code == 0
    assert snapshot(session) == resumed, "the resumed import equals a clean one"


def test_a_killed_import_leaves_a_consistent_database_and_a_rerun_finishes_it(app, runner, session, tmp_path):
    rows = upr_rows(1000)  # 45 batches still to go when it is killed: it cannot finish first
    path = write_csv(tmp_path / "upr.csv", UPR_HEADERS, rows, ",")
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               TRACKER_INSTANCE_PATH=app.instance_path, PYTHONWARNINGS="ignore")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "tracker", "import-recommendations", str(path), "--batch-size", "20"],
        env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stored = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            session.rollback()
            stored = session.scalar(select(func.count()).select_from(Recommendation))
            if stored >= 100:
                break
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate()
    assert 0 < stored < len(rows), "killed part way through"

    session.rollback()
    session.expire_all()
    recs = session.scalar(select(func.count()).select_from(Recommendation))
    assert recs % 20 == 0, "whole batches only"
    assert session.scalar(select(func.count()).select_from(Decision)) == recs
    killed = session.scalar(select(ImportRun))
    assert killed.status == "running", "a killed run cannot say it stopped"
    assert killed.pid == process.pid
    killed_id = killed.id

    result = recommendations(runner, path, "--batch-size", "500")
    assert result.exit_code == 0, result.output
    assert f"skipped   {recs:>8,}" in result.output
    assert (f"Import run #{killed_id} (process {process.pid} on {socket.gethostname()}) stopped without "
            "finishing: it is now marked interrupted.") in result.output, "the next run sees the process is gone"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Recommendation)) == len(rows)
    assert search.differences(session) == []
    assert session.get(ImportRun, killed_id).status == "interrupted"

    again = recommendations(runner, path)
    assert "did not finish" not in again.output and "still running" not in again.output, (
        "once the file is imported in full, the interrupted run is history, not a warning for ever")


def earlier_run(session, path, **process) -> int:
    """An unfinished run of ``path`` as another process (perhaps on another host) left it."""
    run = ImportRun(kind="recommendations", source=path.name, sha256=open_table(path).sha256, status="running",
                    options={}, started_at=dt.datetime(2024, 1, 1), **process)
    session.add(run)
    session.commit()
    return run.id


@pytest.mark.parametrize(("minutes_ago", "said", "status"), [
    (11, "Import run #{id} (process 4242 on worker-2.example) stopped without finishing: it is now marked "
         "interrupted.", "interrupted"),
    (2, "Warning: import run #{id} of this file is still running (process 4242 on worker-2.example)", "running"),
])
def test_a_run_on_another_host_is_judged_by_its_heartbeat(app, runner, session, tmp_path, minutes_ago, said, status):
    path = write_csv(tmp_path / "inquiry.csv", REC_HEADERS, REC_ROWS, ",")
    beat = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=minutes_ago)
    run_id = earlier_run(session, path, pid=4242, host="worker-2.example", heartbeat_at=beat)
    result = recommendations(runner, path)
    assert result.exit_code == 0, result.output
    assert said.format(id=run_id) in result.output
    session.expire_all()
    assert session.get(ImportRun, run_id).status == status


def test_process_alive_on_this_host_asks_the_process_table(app):
    import datetime as dt_

    from tracker.jobs.imports import process_alive, record_process

    now, timeout = dt_.datetime(2030, 1, 1), dt_.timedelta(minutes=10)
    me = record_process(ImportRun())
    assert process_alive(me, now, timeout), "this process, whatever its heartbeat says"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    gone = record_process(ImportRun())
    gone.pid, gone.process_started = child.pid, None
    assert not process_alive(gone, now, timeout)
    if me.process_started:
        reused = record_process(ImportRun())
        reused.process_started = str(int(me.process_started) + 1)
        assert not process_alive(reused, now, timeout), (
            "a pid now used by another process is not the run's process")


def test_imported_recommendations_are_searchable(app, runner, session, tmp_path):
    path = write_csv(tmp_path / "inquiry.csv", REC_HEADERS, REC_ROWS, ",")
    result = recommendations(runner, path)
    assert "Search indexes updated" in result.output
    hits = search.indexes()["staff"].search("caseload", filters={"kind": "recommendation"})
    rec = session.scalar(select(Recommendation).where(Recommendation.external_id == "id:1"))
    assert hits.ids == [f"recommendation:{rec.id}"]
    assert search.differences(session) == []


def test_an_unmatched_column_is_reported_in_plain_english(app, runner, session, consultation, tmp_path):
    extra = "What colour should the report covers be?"
    path = write_csv(tmp_path / "survey.csv", HEADERS + [extra], [row + ["Blue"] for row in ROWS])
    result = survey(runner, path)
    assert "1 column matched no question and was not imported" in " ".join(result.output.split()), result.output


def test_ingest_says_how_many_survey_answers_now_point_to_it(app, runner, session, consultation, tmp_path):
    survey(runner, write_csv(tmp_path / "survey.csv", HEADERS, ROWS))
    written = tmp_path / "clinks.txt"
    written.write_text("Clinks response\n\nWe recommend that inspectors read every case file.\n", encoding="utf-8")
    result = runner.invoke(args=["ingest", str(written), "--consultation", SLUG, "--respondent", "Clinks",
                                 "--consent", "named", "--org-type", "NGO (Non-governmental organisation)"])
    assert result.exit_code == 0, result.output
    assert "1 online-survey answer from Clinks saying 'see written response' now points to it." in result.output


def test_a_new_imported_recommendation_moves_an_outcome_published_consultation_back(app, runner, session, tmp_path):
    assert recommendations(runner, write_csv(tmp_path / "inquiry.csv", REC_HEADERS, REC_ROWS[:3], ",")).exit_code == 0
    session.expire_all()
    consultation = session.scalar(select(Consultation).where(Consultation.slug == "justice-inquiry-2023"))
    consultation.status, consultation.outcome_published_on = "outcome published", dt.date(2026, 11, 1)
    session.commit()
    later = write_csv(tmp_path / "inquiry-2.csv", REC_HEADERS, REC_ROWS[3:], ",")
    result = recommendations(runner, later)
    assert result.exit_code == 0, result.output
    session.expire_all()
    consultation = session.get(Consultation, consultation.id)
    assert consultation.status != "outcome published" and consultation.outcome_published_on is None
