"""Admin background jobs as an admin uses them: looking for duplicates again and importing a
survey export from the browser, each followed on a progress page.

Most tests record the job (``BACKGROUND_JOBS="manual"``, the tests' default) and then do it with ``flask jobs run``,
as the detached process would; one test starts the real process and waits for it.
"""
from __future__ import annotations

import html as html_module
import io
import os
import re
import time

import pytest
from conftest import FIXTURES
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from consultations.consultation_import import upsert_consultation
from consultations.models import (
    Cluster, Consultation, ImportRun, Question, Respondent, Response, ResponseSection,
)
from tracker.db import db

SLUG = "probation-inspection-changes-2019"
SURVEYS = FIXTURES / "surveys"
SURVEY_SLUG = "probation-survey-2024"
Q1 = "What should the inspectorate change about how it inspects probation services?"
Q2 = "How important is it that inspection schedules are published a year ahead? (1-5: 5 is very important)"
Q3 = "Do you have any other comments?"
JARGON = ("minhash", "jaccard", "shingle", "lsh", "flask ", "--create-questions", "--mapping", "import run #")
MANUAL = pytest.mark.app_config(BACKGROUND_JOBS="manual")


@pytest.fixture
def admin(sign_in):
    return sign_in("admin")


@pytest.fixture
def demo(demo_app, users):
    """The demo, with the per-role users."""


@pytest.fixture
def survey_consultation(app, users):
    with app.app_context():
        upsert_consultation(db.session, {
            "slug": SURVEY_SLUG, "title": "Probation inspection survey", "body": "HM Inspectorate of Probation",
            "questions": [{"number": "1", "text": Q1}, {"number": "2", "text": Q2}, {"number": "3", "text": Q3}]})
        db.session.commit()


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return html_module.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def assert_plain_words(page: str) -> None:
    lowered = page.lower()
    for word in JARGON:
        assert word not in lowered, f"staff page says {word!r}"


def job_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/staff/admin/jobs/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def run(runner, run_id: int):
    result = runner.invoke(args=["jobs", "run", str(run_id)])
    assert result.exit_code == 0, result.output
    return result


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Consultation, Question, Respondent, Response, ImportRun, Cluster)}


def job_files(app) -> list[str]:
    folder = os.path.join(app.instance_path, "jobs")
    return sorted(name for name in os.listdir(folder) if name.startswith("upload-")) if os.path.isdir(folder) else []


# --- duplicates -------------------------------------------------------------------------


@MANUAL
def test_admin_starts_duplicate_detection_follows_it_and_sees_the_result_in_plain_words(app, demo, admin, runner):
    page = admin.get("/staff/admin/jobs/duplicates")
    assert page.status_code == 200
    assert_plain_words(text_of(page))

    started = admin.post("/staff/admin/jobs/duplicates", data={"consultation": SLUG})
    run_id = job_id(started)
    waiting = admin.get(f"/staff/admin/jobs/{run_id}")
    assert waiting.status_code == 200
    assert "Waiting to start" in text_of(waiting)
    assert 'http-equiv="refresh"' in waiting.get_data(as_text=True), "the page reloads itself without JavaScript"
    assert "job-progress.js" in waiting.get_data(as_text=True)

    before = table_counts(app)
    again = admin.post("/staff/admin/jobs/duplicates", data={"consultation": ""})
    assert again.status_code == 409
    assert "already running" in text_of(again) and f"/staff/admin/jobs/{run_id}" in again.get_data(as_text=True)
    assert table_counts(app) == before, "the second start recorded nothing"

    run(runner, run_id)
    done = admin.get(f"/staff/admin/jobs/{run_id}")
    page = text_of(done)
    assert "Finished" in page and "Result" in page
    assert re.search(r"compared \d+ responses? and [\d,]+ recommendations?", page), page
    assert "refresh" not in done.get_data(as_text=True).split("<body")[0], "a finished job's page stops reloading"
    assert f"/staff/consultations/{SLUG}/duplicates" in done.get_data(as_text=True)
    assert_plain_words(page)

    # Once it has finished, another can start.
    assert admin.post("/staff/admin/jobs/duplicates", data={"consultation": SLUG}).status_code == 302


@MANUAL
def test_duplicate_detection_records_its_progress_in_words(app, demo, admin, runner):
    from tracker.jobs import background

    seen = []
    real = background.Progress.__call__

    def spy(self, stage, done, total, *, force=False):
        seen.append(stage)
        return real(self, stage, done, total, force=force)

    run_id = job_id(admin.post("/staff/admin/jobs/duplicates", data={"consultation": ""}))
    background.Progress.__call__ = spy
    try:
        run(runner, run_id)
    finally:
        background.Progress.__call__ = real
    assert any("Comparing whole responses" in stage for stage in seen)
    assert any("Comparing recommendations: checking likely pairs" in stage for stage in seen), seen
    assert_plain_words(" ".join(seen))
    with app.app_context():
        job = db.session.get(ImportRun, run_id)
        assert job.status == "finished" and "progress" not in job.options
        assert len(job.options["result"]) == db.session.scalar(select(func.count()).select_from(Consultation))


@MANUAL
def test_a_job_whose_process_is_gone_is_shown_as_stopped_and_does_not_block_the_next(app, demo, admin):
    run_id = job_id(admin.post("/staff/admin/jobs/duplicates", data={"consultation": SLUG}))
    with app.app_context():
        job = db.session.get(ImportRun, run_id)
        job.status, job.pid, job.host = "running", 2 ** 22 + 12345, __import__("socket").gethostname()
        db.session.commit()
    page = text_of(admin.get(f"/staff/admin/jobs/{run_id}"))
    assert "Stopped before finishing" in page and "start it again" in page
    assert admin.post("/staff/admin/jobs/duplicates", data={"consultation": SLUG}).status_code == 302


@MANUAL
def test_an_unknown_consultation_is_refused_with_a_message(app, demo, admin):
    before = table_counts(app)
    page = admin.post("/staff/admin/jobs/duplicates", data={"consultation": "no-such-thing"})
    assert page.status_code == 400 and "Select a consultation from the list" in text_of(page)
    assert table_counts(app) == before


def test_other_roles_cannot_start_or_see_jobs(app, demo, sign_in):
    client = sign_in("policy")
    for path in ("/staff/admin/jobs", "/staff/admin/jobs/duplicates", "/staff/admin/jobs/survey-import"):
        assert client.get(path).status_code == 403
    assert client.post("/staff/admin/jobs/duplicates", data={"consultation": SLUG}).status_code == 403


@pytest.mark.app_config(BACKGROUND_JOBS="process")
def test_a_real_job_runs_in_its_own_process_and_outlives_the_request(app, demo, admin):
    """BACKGROUND_JOBS is left at "process": the page starts ``flask jobs run`` detached."""
    run_id = job_id(admin.post("/staff/admin/jobs/duplicates", data={"consultation": SLUG}))
    deadline = time.monotonic() + 180  # a generous wait for a busy machine, not a speed bound
    status = "queued"
    while time.monotonic() < deadline:
        with app.app_context():
            db.session.expire_all()
            job = db.session.get(ImportRun, run_id)
            status, pid = job.status, job.pid
        if status not in ("queued", "running"):
            break
        time.sleep(0.1)
    log = os.path.join(app.instance_path, "jobs", f"job-{run_id}.log")
    assert status == "finished", open(log).read() if os.path.exists(log) else status
    assert pid and pid != os.getpid(), "the job ran in a process of its own"
    assert "Finished" in text_of(admin.get(f"/staff/admin/jobs/{run_id}"))


# --- survey import ----------------------------------------------------------------------


def upload(client, path, consultation=SURVEY_SLUG, mapping=None, create_questions=False, filename=None):
    """POST the upload form as a browser does. The body is built in memory: for big files the test
    client's own encoder spools to a temporary file that it never closes."""
    data = {"consultation": consultation,
            "file": FileStorage(io.BytesIO(path.read_bytes()), filename or path.name)}
    if mapping is not None:
        data["mapping"] = FileStorage(io.BytesIO(mapping[1]), mapping[0])
    if create_questions:
        data["create_questions"] = "y"
    boundary, body = encode_multipart(data)
    return client.post("/staff/admin/jobs/survey-import", data=body,
                       content_type=f'multipart/form-data; boundary="{boundary}"')


def token_of(page) -> str:
    match = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)
    return match.group(1)


@MANUAL
def test_admin_imports_a_survey_export_with_a_malformed_row_and_sees_each_failure(app, survey_consultation, admin,
                                                                                 runner):
    assert admin.get("/staff/admin/jobs/survey-import").status_code == 200
    checked = upload(admin, SURVEYS / "probation-survey.csv")
    assert checked.status_code == 200
    page = text_of(checked)
    assert "6 rows of answers" in page and "9 columns" in page
    assert "question 1 (written answer)" in page and "question 2 (choice from a list)" in page
    assert "the respondent's reference" in page
    assert_plain_words(page)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0, "checking imports nothing"

    started = admin.post("/staff/admin/jobs/survey-import/start", data={"token": token_of(checked), "action": "start"})
    run_id = job_id(started)
    waiting = text_of(admin.get(f"/staff/admin/jobs/{run_id}"))
    assert "Survey import" in waiting and "probation-survey.csv" in waiting and "0 of 6 rows done" in waiting

    run(runner, run_id)
    done = admin.get(f"/staff/admin/jobs/{run_id}")
    page = text_of(done)
    assert "Finished" in page
    assert "4 responses imported into Probation inspection survey" in page
    assert "2 rows could not be imported" in page
    assert re.search(r"Row What is wrong 4 Has 4 values but the header has 9 columns", page), page
    assert re.search(r"6 Feedback date 'someday' is not a date", page), page
    assert f"/staff/consultations/{SURVEY_SLUG}" in done.get_data(as_text=True), "links to the result"
    assert_plain_words(page)
    with app.app_context():
        refs = set(db.session.scalars(select(Response.external_id)))
        assert refs == {"S1", "S2", "S3", "S5"}
    assert job_files(app) == [], "the uploaded file is removed once imported"

    # The same file again: the rows imported before are skipped.
    again = upload(admin, SURVEYS / "probation-survey.csv")
    second = job_id(admin.post("/staff/admin/jobs/survey-import/start", data={"token": token_of(again)}))
    run(runner, second)
    page = text_of(admin.get(f"/staff/admin/jobs/{second}"))
    assert "0 responses imported" in page and "4 rows were skipped because they were imported before" in page


@MANUAL
def test_an_xlsx_export_imports_and_unmatched_columns_can_become_questions(app, survey_consultation, admin, runner):
    checked = upload(admin, SURVEYS / "probation-survey.xlsx")
    assert checked.status_code == 200 and "3 rows of answers" in text_of(checked)
    run_id = job_id(admin.post("/staff/admin/jobs/survey-import/start", data={"token": token_of(checked)}))
    run(runner, run_id)
    assert "3 responses imported" in text_of(admin.get(f"/staff/admin/jobs/{run_id}"))

    odd = upload(admin, SURVEYS / "no-matching-columns.csv", create_questions=True)
    assert odd.status_code == 200 and "new question 4" in text_of(odd)


@MANUAL
@pytest.mark.parametrize("name, field, message", [
    ("probation-survey.txt", "file", "The selected file must be a CSV (.csv) or Excel (.xlsx) file"),
    ("empty.csv", "file", "The selected file is empty"),
    ("no-matching-columns.csv", "file", "No column of the file matches a question of this consultation"),
])
def test_a_file_that_cannot_be_imported_is_refused_and_nothing_changes(app, survey_consultation, admin, name, field,
                                                                        message):
    before = table_counts(app)
    page = upload(admin, SURVEYS / name)
    assert page.status_code == 400
    text = text_of(page)
    assert "There is a problem" in text and message in text and "Nothing was imported" in text
    assert f'href="#{field}"' in page.get_data(as_text=True)
    assert table_counts(app) == before and job_files(app) == []


@MANUAL
def test_a_binary_file_named_csv_and_a_too_big_file_are_refused(app, survey_consultation, admin):
    before = table_counts(app)
    garbage = admin.post("/staff/admin/jobs/survey-import", content_type="multipart/form-data", data={
        "consultation": SURVEY_SLUG, "file": (io.BytesIO(b"\xff\xfe\x00\x01" * 100), "export.csv")})
    assert garbage.status_code == 400 and "Nothing was imported" in text_of(garbage)
    app.config["UPLOAD_MAX_FILE_BYTES"] = 100
    big = upload(admin, SURVEYS / "probation-survey.csv")
    assert big.status_code == 400 and "The selected file must be smaller than 1 KB" in text_of(big)
    assert table_counts(app) == before and job_files(app) == []


@MANUAL
def test_a_bad_mapping_file_is_refused_with_its_problem(app, survey_consultation, admin):
    before = table_counts(app)
    page = upload(admin, SURVEYS / "probation-survey.csv", mapping=("mapping.json", b'{"columns": [{"column": 99}]}'))
    assert page.status_code == 400
    assert "column 99 does not exist: the file has 9 columns" in text_of(page)
    assert 'href="#mapping"' in page.get_data(as_text=True)
    assert table_counts(app) == before and job_files(app) == []


@MANUAL
def test_a_mapping_file_says_which_column_holds_what(app, survey_consultation, admin, runner):
    mapping = (b"columns:\n- {column: 1, field: reference}\n- {column: 7, question: '3', kind: text}\n")
    checked = upload(admin, SURVEYS / "probation-survey.csv", mapping=("mapping.yaml", mapping))
    assert checked.status_code == 200, text_of(checked)
    assert "mapped by the mapping file you uploaded" in text_of(checked)
    run(runner, job_id(admin.post("/staff/admin/jobs/survey-import/start", data={"token": token_of(checked)})))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 5, "the date is not read: S4 imports"
        numbers = set(db.session.scalars(select(Question.number).join(ResponseSection.question)))
        assert numbers == {"3"}, "the only answer column mapped is stored under the question the mapping names"


@MANUAL
def test_cancelling_keeps_nothing_and_a_second_import_waits_for_the_first(app, survey_consultation, admin):
    checked = upload(admin, SURVEYS / "probation-survey.csv")
    cancelled = admin.post("/staff/admin/jobs/survey-import/start", data={"token": token_of(checked),
                                                                          "action": "cancel"})
    assert cancelled.status_code == 302 and job_files(app) == []

    first = upload(admin, SURVEYS / "probation-survey.csv")
    job_id(admin.post("/staff/admin/jobs/survey-import/start", data={"token": token_of(first)}))
    second = upload(admin, SURVEYS / "probation-survey.xlsx")
    assert "A survey import is running now" in text_of(second)
    refused = admin.post("/staff/admin/jobs/survey-import/start", data={"token": token_of(second)})
    assert refused.status_code == 409 and "already running" in text_of(refused)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 1

    unknown = admin.post("/staff/admin/jobs/survey-import/start", data={"token": "0" * 32})
    assert unknown.status_code == 409 and "Upload the file again" in text_of(unknown)


def test_a_consultations_duplicates_page_offers_admins_a_new_search_for_it(app, demo, sign_in):
    policy = sign_in("policy")
    assert "Look for new groups in this consultation now" not in text_of(policy.get(f"/staff/consultations/{SLUG}/duplicates"))
    admin = sign_in("admin")
    page = admin.get(f"/staff/consultations/{SLUG}/duplicates").get_data(as_text=True)
    assert f'href="/staff/admin/jobs/duplicates?consultation={SLUG}"' in page
    form = admin.get(f"/staff/admin/jobs/duplicates?consultation={SLUG}").get_data(as_text=True)
    assert re.search(rf'<option value="{SLUG}" selected', form), "the consultation is chosen already"


@pytest.mark.app_config(BACKGROUND_JOBS="process")
def test_a_job_that_cannot_be_started_says_so_instead_of_failing_the_request(app, survey_consultation, admin,
                                                                              monkeypatch):
    import subprocess

    def refuse(*args, **kwargs):
        raise OSError("no processes left")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    checked = upload(admin, SURVEYS / "probation-survey.csv")
    run_id = job_id(admin.post("/staff/admin/jobs/survey-import/start", data={"token": token_of(checked)}))
    page = text_of(admin.get(f"/staff/admin/jobs/{run_id}"))
    assert "Stopped with a problem" in page and "could not be started" in page
    assert job_files(app) == [] and table_counts(app)["Response"] == 0
    # It does not block the next one.
    again = upload(admin, SURVEYS / "probation-survey.csv")
    assert "is running now" not in text_of(again)


def test_an_import_says_when_an_earlier_import_of_the_file_stopped_part_way(app, survey_consultation, admin, runner):
    import socket

    from consultations.bulk import file_sha256

    with app.app_context():
        db.session.add(ImportRun(kind="survey", source="probation-survey.csv", status="running", options={},
                                 sha256=file_sha256(SURVEYS / "probation-survey.csv"),
                                 pid=2 ** 22 + 54321, host=socket.gethostname()))
        db.session.commit()
    checked = upload(admin, SURVEYS / "probation-survey.csv")
    run_id = job_id(admin.post("/staff/admin/jobs/survey-import/start", data={"token": token_of(checked)}))
    run(runner, run_id)
    page = text_of(admin.get(f"/staff/admin/jobs/{run_id}"))
    assert "An earlier import of this file did not finish; the rows it had stored were skipped." in page
    assert "4 responses imported" in page
