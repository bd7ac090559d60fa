"""The staff upload page: many files at once, each ingested or refused on its own with the reason,
nothing left behind by a refused file, the same file never twice, size limits, safe names, roles
and CSRF."""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import re
import time

import pytest
from conftest import DEMO_DATA, cpu_time
from browser import AXE_JS, CHROMIUM
from documents import RESPONDENT, as_docx, as_eml, as_html, as_pdf, generated_response, padded_docx
from sqlalchemy import event, func, select
from test_auth import csrf_token
from test_ingest import SLUG, row_counts
from test_readers import DOCX, PNG, drawing_pdf, make_eml, make_pdf, zip_bomb

from consultations.consultation_import import load_consultation_file, upsert_consultation
from consultations.models import Document, Recommendation, Respondent, Response
from consultations.readers import DOCX_TYPE, DocumentLimits, read_document
from tracker.db import db
from consultations.organisation_types import ensure_defaults
from consultations.workflow import AuditEvent

URL = "/staff/responses/upload"
PDF = make_pdf([["Example Trust response", "We recommend that inspectors meet service users in every region."]])


@pytest.fixture
def consultation_id(app):
    with app.app_context():
        consultation, _ = upsert_consultation(
            db.session, load_consultation_file(DEMO_DATA / "consultation-probation-inspection-2019.yaml"))
        ensure_defaults(db.session)  # the list migration 0010 seeds; the first is "Voluntary sector organisation"
        db.session.commit()
        return consultation.id


@pytest.fixture
def policy(sign_in, consultation_id):
    return sign_in("policy")


def form(*files, **fields):
    """The form's fields, with ``files`` as (bytes, client file name) pairs."""
    data = {"consultation": SLUG, "respondent": "Example Trust", "organisation_type": "1",
            "consent": "named", **fields}
    data["files"] = [(io.BytesIO(content), name) for content, name in files]
    return data


def upload(client, *files, **fields):
    return client.post(URL, data=form(*files, **fields), content_type="multipart/form-data")


def text(response) -> str:
    """The page's visible text: inline tags removed, other tags as spaces, whitespace collapsed."""
    page = re.sub(r"</?(?:a|span|strong|b|code)\b[^>]*>", "", response.get_data(as_text=True))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def counts(app) -> dict[str, int]:
    with app.app_context():
        return row_counts(db.session)


# --- the form -------------------------------------------------------------------------------


def test_the_form_accepts_several_files_and_chooses_the_consultation_it_was_opened_for(policy, consultation_id):
    page = policy.get(f"{URL}?consultation={SLUG}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<input class="govuk-file-upload[^>]*name="files"[^>]*multiple', page)
    assert f'<option value="{SLUG}" selected' in page
    by_id = policy.get(f"{URL}?consultation={consultation_id}").get_data(as_text=True)
    assert f'<option value="{SLUG}" selected' in by_id, "the triage queue's filter names it by id"
    assert "Each file must be smaller than 20 MB" in text(policy.get(URL))


def test_policy_staff_find_the_upload_page_from_the_queue_and_the_consultation(client, sign_in, consultation_id):
    sign_in("policy")
    assert f'href="{URL}?consultation={consultation_id}"' in client.get(
        f"/staff/triage/?consultation={consultation_id}").get_data(as_text=True)
    assert f'href="{URL}?consultation={SLUG}"' in client.get(f"/staff/consultations/{SLUG}").get_data(as_text=True)
    sign_in("viewer")
    assert URL not in client.get("/staff/triage/").get_data(as_text=True)
    assert URL not in client.get(f"/staff/consultations/{SLUG}").get_data(as_text=True)


@pytest.mark.parametrize("role", ["viewer", "methodology", "approver", "admin"])
def test_only_policy_staff_may_upload(app, client, sign_in, consultation_id, role):
    sign_in(role)
    before = counts(app)
    assert client.get(URL).status_code == 403
    assert upload(client, (DOCX, "response.docx")).status_code == 403
    assert counts(app) == before


def test_anonymous_visitors_are_sent_to_sign_in(app, client, consultation_id):
    response = upload(client, (DOCX, "response.docx"))
    assert response.status_code == 302 and "/sign-in" in response.location
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


@pytest.mark.parametrize("fields, files, message", [
    ({}, [], "Select at least one file to upload"),
    ({"respondent": "  "}, [(DOCX, "a.docx")], "Enter the respondent's name"),
    ({"respondent": "x" * 301}, [(DOCX, "a.docx")], "The respondent's name must be 300 characters or fewer"),
    ({"consent": ""}, [(DOCX, "a.docx")], "Choose what may be published"),
    ({"consent": "public"}, [(DOCX, "a.docx")], "Not a valid choice"),
    ({"consultation": ""}, [(DOCX, "a.docx")], "Choose the consultation the files respond to"),
    ({"consultation": "no-such-thing"}, [(DOCX, "a.docx")], "Choose a consultation from the list"),
    ({"received_on": ["31", "2", "2019"]}, [(DOCX, "a.docx")], "Date received must be a real date"),
    ({"received_on": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, [(DOCX, "a.docx")],
     "Date received must be today or in the past"),
])
def test_a_form_with_a_mistake_says_what_to_fix_and_changes_nothing(app, policy, fields, files, message):
    before = counts(app)
    response = upload(policy, *files, **fields)
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page and message in page
    assert counts(app) == before


def test_too_many_files_at_once_are_refused(app, policy):
    app.config["UPLOAD_MAX_FILES"] = 2
    response = upload(policy, (DOCX, "a.docx"), (PDF, "b.pdf"), (b"We recommend c.", "c.txt"))
    assert response.status_code == 400
    assert "Select 2 files or fewer at a time (you selected 3)" in text(response)


# --- what happens to each file --------------------------------------------------------------


def test_each_file_is_ingested_or_refused_on_its_own(app, policy):
    before = counts(app)
    response = upload(policy, (DOCX, "response.docx"), (PNG, "scan.png"), (PDF, "annex.pdf"),
                      (make_pdf([[]]), "scanned.pdf"), received_on=["12", "4", "2019"])
    assert response.status_code == 200
    page = text(response)
    assert "4 files from Example Trust: 2 ingested, 0 already ingested, 2 refused." in page
    assert "2 files were refused" in page
    with app.app_context():
        responses = db.session.scalars(select(Response).order_by(Response.id)).all()
        assert [(r.document.filename, r.document.media_type) for r in responses] == [
            ("response.docx", DOCX_TYPE), ("annex.pdf", "application/pdf")]
        docx_id, pdf_id = (r.id for r in responses)
        assert [len(r.recommendations) for r in responses] == [2, 1]
        assert all(r.received_on == dt.date(2019, 4, 12) and r.status == "received" for r in responses)
        respondent = db.session.scalar(select(Respondent))
        assert (respondent.name, respondent.organisation_type.name, respondent.consent) == (
            "Example Trust", "Voluntary sector organisation", "named")
        assert db.session.scalar(select(func.count()).select_from(Document)) == 2, "refused files leave nothing"
    assert f"response.docx Ingested Ingested as response #{docx_id} with 2 recommendations." in page
    assert f"annex.pdf Ingested Ingested as response #{pdf_id} with 1 recommendation." in page
    assert "scan.png Refused Refused: scan.png is a PNG image." in page
    assert ("scanned.pdf Refused Refused: scanned.pdf is a PDF without any text: it looks like a scanned image "
            "with no text layer; run OCR (text recognition) on it or send the original document.") in page
    after = counts(app)
    assert after["response"] == before["response"] + 2 and after["document"] == before["document"] + 2


def test_uploading_the_same_files_again_says_they_are_already_in_and_adds_nothing(app, policy):
    upload(policy, (DOCX, "response.docx"), (PDF, "annex.pdf"))
    before = counts(app)
    response = upload(policy, (DOCX, "renamed.docx"), (PDF, "annex.pdf"), respondent="Someone Else")
    assert response.status_code == 200
    page = text(response)
    assert "2 files from Someone Else: 0 ingested, 2 already ingested, 0 refused." in page
    assert re.search(r"renamed\.docx Already ingested Already ingested \(response #\d+\)\. Nothing was added\.", page)
    assert counts(app) == before


def test_the_same_file_twice_in_one_upload_goes_in_once(app, policy):
    page = text(upload(policy, (DOCX, "response.docx"), (DOCX, "copy.docx")))
    assert "2 files from Example Trust: 1 ingested, 1 already ingested, 0 refused." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_a_deleted_response_uploaded_again_points_to_where_it_can_be_restored(app, policy):
    upload(policy, (DOCX, "response.docx"))
    with app.app_context():
        db.session.scalar(select(Response)).deleted_at = dt.datetime(2024, 1, 1)
        db.session.commit()
    page = text(upload(policy, (DOCX, "response.docx")))
    assert "which was deleted: restore it from the deleted responses" in page


def test_an_uploaded_email_is_one_response_with_its_attachments_dated_when_it_was_sent(app, policy):
    eml = make_eml(attachments=[("response.docx", DOCX, DOCX_TYPE), ("logo.png", PNG, "image/png")])
    page = text(upload(policy, (eml, "response.eml")))
    assert "Ingested as response #1 with 2 recommendations." in page
    assert "Attachment logo.png was not read: logo.png is a PNG image." in page
    with app.app_context():
        response = db.session.get(Response, 1)
        assert response.received_on == dt.date(2019, 4, 12)
        assert response.document.content == eml and response.document.media_type == "message/rfc822"
        assert "# Attachment: response.docx" in response.text


def test_without_a_date_a_document_is_received_today(app, policy):
    upload(policy, (DOCX, "response.docx"))
    with app.app_context():
        assert db.session.scalar(select(Response.received_on)) == dt.date.today()


def test_an_existing_respondent_keeps_their_consent_and_the_page_says_so(app, policy):
    with app.app_context():
        db.session.add(Respondent(name="Example Trust", consent="confidential"))
        db.session.commit()
    page = text(upload(policy, (DOCX, "response.docx"), consent="named"))
    assert "already exists with publication consent 'confidential'; it was not changed to 'named'" in page


def test_each_change_is_audited_as_the_signed_in_user(app, policy, users):
    upload(policy, (DOCX, "response.docx"))
    with app.app_context():
        actors = set(db.session.scalars(select(AuditEvent.user_id).where(AuditEvent.entity_type == "response")))
        assert actors == {users["policy"]}


# --- limits and names -----------------------------------------------------------------------


def test_a_file_over_the_per_file_limit_is_refused_and_the_others_go_in(app, policy):
    app.config["UPLOAD_MAX_FILE_BYTES"] = len(DOCX)
    large = b"We recommend that nothing is missed. " * (len(DOCX) // 30)
    page = text(upload(policy, (large, "long.txt"), (DOCX, "response.docx")))
    assert (f"long.txt Refused Refused: long.txt is larger than {round(len(DOCX) / 1024)} KB, "
            "the most one file may be.") in page
    assert "response.docx Ingested" in page


@pytest.mark.parametrize("csrf", [False, True])  # with CSRF on, the limit is hit while the token is read
def test_an_upload_over_the_request_limit_gets_a_page_that_explains_and_changes_nothing(app, policy, csrf):
    app.config["WTF_CSRF_ENABLED"] = csrf
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    before = counts(app)
    response = upload(policy, (b"We recommend a very long read. " * 3_000, "huge.txt"))
    assert response.status_code == 413
    page = text(response)
    assert "The upload was too large" in page
    assert re.search(r"You sent 9\d KB in one upload, but an upload can be at most 49 KB in total, "
                     r"so nothing was read or saved\.", page)
    assert f'href="{URL}"' in response.get_data(as_text=True)
    assert counts(app) == before


def test_a_zip_bomb_is_refused(app, policy):
    before = counts(app)
    page = text(upload(policy, (zip_bomb(), "response.docx")))
    assert "response.docx was refused as a possible decompression bomb" in page
    assert counts(app) == before


@pytest.mark.parametrize("client_name, stored", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("Users/jo/My response (final).txt", "My_response_final.txt"),
    ("<script>alert(1)</script>.txt", "script.txt"),
    ("\u043e\u0442\u0432\u0435\u0442.txt", r"response-[0-9a-f]{8}\.txt"),
    ("notes.pdf", "notes.pdf.txt"),  # text named .pdf: the stored name says what it really is
])
def test_stored_names_are_safe_and_never_the_clients_path(app, policy, client_name, stored):
    response = upload(policy, (f"We recommend care with {client_name}.".encode(), client_name))
    assert response.status_code == 200
    assert "<script>alert" not in response.get_data(as_text=True)
    with app.app_context():
        assert re.fullmatch(stored, db.session.scalar(select(Document.filename)))


# --- no upload outlasts the worker timeout ---------------------------------------------------

# A quarter of the default limits, so that the test is quick; SECONDS_PER_MILLION is the bound on
# the rate, which at the default 1,000,000 characters gives 20 s, under gunicorn's 30 s timeout.
TEST_LIMITS = DocumentLimits(max_characters=250_000, max_pages=250, max_xml_bytes=2_500_000, max_seconds=5)
SECONDS_PER_MILLION = 20
SPAWN_ALLOWANCE = 1.0  # seconds to start the child process that reads a file


def configure(app, limits: DocumentLimits = TEST_LIMITS):
    app.config.update(DOCUMENT_MAX_CHARACTERS=limits.max_characters, DOCUMENT_MAX_PAGES=limits.max_pages,
                      DOCUMENT_MAX_XML_BYTES=limits.max_xml_bytes, DOCUMENT_MAX_SECONDS=limits.max_seconds)


def largest_under(name: str, make, seed: int) -> tuple[bytes, int]:
    """The file ``make(paragraphs)`` gives for the longest generated response whose text, read,
    stays within TEST_LIMITS.max_characters; with the characters it reads to."""
    size, unlimited = TEST_LIMITS.max_characters, dataclasses.replace(TEST_LIMITS, max_characters=10**9, max_seconds=None)
    while True:
        text = generated_response(size, seed, summary=False)
        data = make([block for block in text.split("\n\n") if block.strip()])
        characters = len(read_document(name, data, limits=unlimited).text)
        if characters <= TEST_LIMITS.max_characters:
            return data, characters
        size -= characters - TEST_LIMITS.max_characters + 50


@pytest.fixture(scope="module")
def largest():
    """The largest file of each format the upload page accepts under TEST_LIMITS, made as slow for
    our code as we know how: every character allowed, of recommendations said again and again,
    long unpunctuated paragraphs and deep lists; the PDF on every page allowed; the Word document
    (and the one attached to the email) padded with empty paragraphs to the last byte of XML allowed."""
    def word(paragraphs):
        return padded_docx(as_docx(paragraphs), TEST_LIMITS.max_xml_bytes - 1_000)

    def email(paragraphs):
        half = len(paragraphs) // 2
        return as_eml(word(paragraphs[:half]), note="\n\n" + "\n\n".join(paragraphs[half:]))

    makers = {
        "largest.txt": lambda paragraphs: "\n\n".join(paragraphs).encode(),
        "largest.md": lambda paragraphs: ("# A heading\n\n" + "\n\n".join(paragraphs)).encode(),
        "largest.html": as_html,
        "largest.docx": word,
        "largest.pdf": lambda paragraphs: as_pdf(paragraphs, pages=TEST_LIMITS.max_pages),
        "largest.eml": email,
    }
    return {name: largest_under(name, make, seed) for seed, (name, make) in enumerate(makers.items())}


@pytest.mark.parametrize("name", ["largest.txt", "largest.md", "largest.html", "largest.docx", "largest.pdf",
                                  "largest.eml"])
def test_the_largest_file_of_each_format_is_answered_promptly(app, policy, largest, name):
    configure(app)
    data, characters = largest[name]
    start = cpu_time()
    page = text(upload(policy, (data, name), respondent=RESPONDENT))
    seconds = cpu_time() - start
    assert re.search(r"Ingested as response #\d+ with \d{3,} recommendations", page), page[:2000]
    bound = SPAWN_ALLOWANCE + SECONDS_PER_MILLION * characters / 1_000_000
    assert seconds < bound, f"{name} ({characters:,} characters) took {seconds:.1f} s, more than {bound:.1f} s"


@pytest.mark.parametrize("name, change, message", [
    ("largest.txt", {"max_characters": 249_000}, "its text runs to more than 249,000 characters"),
    ("largest.pdf", {"max_pages": 249}, "has 250 pages, more than the 249 a PDF may have"),
    ("largest.docx", {"max_xml_bytes": 2_000_000}, "more than the 1.9 MB a document may have"),
    ("largest.eml", {"max_characters": 249_000}, "its text runs to more than 249,000 characters"),
])
def test_a_file_just_over_a_limit_is_refused_naming_the_limit(app, policy, largest, name, change, message):
    configure(app, dataclasses.replace(TEST_LIMITS, **change))
    before = counts(app)
    page = text(upload(policy, (largest[name][0], name)))
    assert f"{name} Refused Refused: {name}" in page and message in page
    assert counts(app) == before


def test_a_small_file_that_is_slow_to_read_is_stopped_in_time(app, policy):
    """A 60 KB PDF whose 20 pages each draw the same line 100,000 times: pypdf takes 30 s over it."""
    # The clock, not CPU time: what is tested is that a reader is stopped when its time is up.
    configure(app, dataclasses.replace(TEST_LIMITS, max_seconds=1))
    start = time.perf_counter()
    page = text(upload(policy, (drawing_pdf(pages=20, lines=100_000), "drawing.pdf"), (DOCX, "response.docx")))
    assert time.perf_counter() - start < 1 + 2 * SPAWN_ALLOWANCE + 2, "the Word document is read after it, in time"
    assert "drawing.pdf Refused Refused: drawing.pdf took more than 1 second to read, so reading it was stopped." in page
    assert "response.docx Ingested" in page


def test_an_upload_that_runs_long_leaves_the_remaining_files_for_another_upload(app, policy):
    app.config["UPLOAD_MAX_SECONDS"] = 0.001
    page = text(upload(policy, (DOCX, "response.docx"), (PDF, "annex.pdf"), (b"We recommend c.", "c.txt")))
    assert "3 files from Example Trust: 1 ingested, 0 already ingested, 0 refused, 2 not read yet." in page
    assert "annex.pdf Not read yet Not read yet: upload it again." in page
    assert ("This upload took longer than 0.001 seconds, so 2 files were not read yet. Upload them again: "
            "files already ingested are recognised") in page
    with app.app_context():
        assert db.session.scalars(select(Document.filename)).all() == ["response.docx"]
    app.config["UPLOAD_MAX_SECONDS"] = 10
    page = text(upload(policy, (DOCX, "response.docx"), (PDF, "annex.pdf"), (b"We recommend c.", "c.txt")))
    assert "3 files from Example Trust: 2 ingested, 1 already ingested, 0 refused." in page


# --- failures ---------------------------------------------------------------------------------


def test_a_crash_part_way_keeps_what_was_finished_and_uploading_again_finishes_the_job(app, policy):
    """A crash while the second file is saved leaves the first committed and nothing of the second;
    the same upload again reports the first as already in and ingests the second."""
    calls = {"n": 0}

    def crash_on_second_file(mapper, connection, target):
        if target.response.document.filename == "annex.pdf":
            calls["n"] += 1
            raise RuntimeError("the server was stopped")

    event.listen(Recommendation, "before_insert", crash_on_second_file)
    try:
        with pytest.raises(RuntimeError):
            upload(policy, (DOCX, "response.docx"), (PDF, "annex.pdf"))
    finally:
        event.remove(Recommendation, "before_insert", crash_on_second_file)
    assert calls["n"] == 1
    with app.app_context():
        db.session.remove()
        assert db.session.scalars(select(Document.filename)).all() == ["response.docx"]
        assert db.session.scalar(select(func.count()).select_from(Recommendation)) == 2

    page = text(upload(policy, (DOCX, "response.docx"), (PDF, "annex.pdf")))
    assert "2 files from Example Trust: 1 ingested, 1 already ingested, 0 refused." in page
    with app.app_context():
        assert sorted(db.session.scalars(select(Document.filename))) == ["annex.pdf", "response.docx"]


def test_csrf_is_enforced_on_the_upload(app, client, sign_in, consultation_id):
    sign_in("policy")
    app.config["WTF_CSRF_ENABLED"] = True
    before = counts(app)
    response = upload(client, (DOCX, "response.docx"))
    assert response.status_code == 400 and "The form has expired" in text(response)
    assert counts(app) == before
    token = csrf_token(client.get(URL).get_data(as_text=True))
    response = upload(client, (DOCX, "response.docx"), csrf_token=token)
    assert response.status_code == 200 and "Ingested as response #" in text(response)


def test_the_same_file_uploaded_by_two_people_at_the_same_moment_goes_in_once(app, policy, monkeypatch):
    """The other upload commits between this one's "already ingested?" check and its insert:
    the unique constraint stops the second copy and the page reports the first."""
    from sqlalchemy.orm import Session

    from consultations import ingest

    real_read = ingest.read_document

    def read_while_someone_else_commits(filename, data, **options):
        monkeypatch.setattr(ingest, "read_document", real_read)
        with Session(db.engine) as other:
            ingest.ingest_document(other, consultation_slug=SLUG, filename="theirs.docx", data=data,
                                   respondent_name="Example Trust")
            other.commit()
        return real_read(filename, data, **options)

    monkeypatch.setattr(ingest, "read_document", read_while_someone_else_commits)
    response = upload(policy, (DOCX, "response.docx"))
    assert response.status_code == 200
    assert "1 file from Example Trust: 0 ingested, 1 already ingested, 0 refused." in text(response)
    with app.app_context():
        assert db.session.scalars(select(Document.filename)).all() == ["theirs.docx"]
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


# --- accessibility, in a real browser ------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists() or not AXE_JS.exists(),
                    reason="/usr/bin/chromium or node_modules/axe-core is absent: `make setup` installs them")
def test_the_upload_pages_meet_wcag_22_aa(app, users, consultation_id, chromium_browser):
    """axe-core on the form, the form with errors, and the results of an upload with a refused
    file, in headless Chromium; the files go through the browser's own file chooser."""
    from browser import axe_violations, describe, live_server, new_context
    from conftest import PASSWORD

    found = []
    browser = chromium_browser
    with live_server(app) as base:
        context = new_context(browser)
        page = context.new_page()
        page.goto(f"{base}/sign-in")
        page.fill("input[name=email]", "policy@example.org")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/staff/**")

        page.goto(f"{base}{URL}?consultation={SLUG}")
        found += [describe("form", axe_violations(page))]
        page.get_by_role("button", name="Upload and read the files").click()
        page.wait_for_load_state()
        assert "Select at least one file to upload" in page.content()
        found += [describe("form with errors", axe_violations(page))]

        page.goto(f"{base}{URL}?consultation={SLUG}")
        page.set_input_files("input[name=files]", [
            {"name": "response.docx", "mimeType": DOCX_TYPE, "buffer": DOCX},
            {"name": "scan.png", "mimeType": "image/png", "buffer": PNG}])
        page.fill("input[name=respondent]", "Example Trust")
        page.check("input[name=consent][value=anonymous]")
        page.get_by_role("button", name="Upload and read the files").click()
        page.wait_for_load_state()
        assert "1 ingested, 0 already ingested, 1 refused" in page.content()
        found += [describe("results", axe_violations(page))]
        context.close()
    found = [line for line in found if line]
    assert not found, "WCAG violations on the upload pages:\n" + "\n".join(found)
