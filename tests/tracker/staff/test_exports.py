"""Exports for staff: the filtered recommendations list as CSV and XLSX (every column staff see,
filters honoured, formulas neutralised, a fixed number of queries whatever the number of rows),
a response as "What we understood you to recommend" (Word), the consultation report (Word and a
printable page), and who may download them (every staff role; anonymous visitors sign in)."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from conftest import ROLES, count_statements
from test_accessibility import browser, site  # noqa: F401 (fixtures: the demo served to Chromium)
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from consultations import recommendation_list as listing
from consultations.exports.report import consultation_report
from consultations.exports.rows import COLUMNS, export_rows
from consultations.exports.spreadsheets import csv_safe
from consultations.exports.understood import passage
from consultations.models import Consultation, Recommendation, Respondent, Response
from consultations.workflow import Action, Decision

CSV_URL = "/staff/recommendations/export.csv"
XLSX_URL = "/staff/recommendations/export.xlsx"


@pytest.fixture
def demo(demo_app, users, session):
    """The full demo (45 recommendations, 6 decisions, 18 confirmed links) and a user per role."""
    return session


def read_csv(reply) -> list[dict]:
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    assert reply.headers["Content-Disposition"].startswith("attachment")
    text = reply.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert tuple(rows[0]) == COLUMNS
    return [dict(zip(COLUMNS, row)) for row in rows[1:]]


def read_xlsx(reply) -> list[dict]:
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    sheet = load_workbook(io.BytesIO(reply.get_data())).active
    rows = list(sheet.iter_rows())
    assert tuple(cell.value for cell in rows[0]) == COLUMNS
    return [{name: cell for name, cell in zip(COLUMNS, row)} for row in rows[1:]]


def response_of(session, name: str) -> Response:
    return session.scalars(select(Response).join(Respondent).where(Respondent.name == name)).one()


def live_decision(session) -> Decision:
    return session.scalars(select(Decision).order_by(Decision.id)).first()


# --- the list as CSV and XLSX ------------------------------------------------------------------


def test_csv_lists_what_the_list_shows_in_its_order_with_every_column(demo, sign_in):
    reply = sign_in("viewer").get(CSV_URL)
    assert reply.is_streamed  # written row by row as the client reads, never whole in memory
    rows = read_csv(reply)
    listed = listing.list_page(demo, listing.RecommendationFilters(), limit=1000)
    assert [row["Key"] for row in rows] == [row.key for row in listed] and len(rows) == 45
    assert [int(row["Recommendation id"]) for row in rows] == [row.id for row in listed]
    decided = [row for row in rows if row["Decision state"] != "No decision"]
    assert len(decided) >= 6 and all(row["Outcome"] for row in decided)
    assert sum(row["Link state"] == "Confirmed links" for row in rows) >= 1
    linked = next(row for row in rows if row["Link state"] == "Confirmed links")
    assert "(confirmed)" in linked["Links"]


def test_filters_and_sort_are_honoured(demo, sign_in):
    client = sign_in("viewer")
    clinks = response_of(demo, "Clinks")
    rows = read_csv(client.get(f"{CSV_URL}?respondent={clinks.respondent_id}&sort=key"))
    expected = listing.list_page(demo, listing.RecommendationFilters(respondent_id=clinks.respondent_id), "key",
                                 limit=1000)
    assert [row["Key"] for row in rows] == [row.key for row in expected] and rows
    assert {row["Respondent"] for row in rows} == {"Clinks"}

    published = read_xlsx(client.get(f"{XLSX_URL}?decision_state=published"))
    expected_ids = set(demo.scalars(listing.matching_ids(listing.RecommendationFilters(decision_state="published"))))
    assert {row["Recommendation id"].value for row in published} == expected_ids
    assert all(row["Decision state"].value == "Published" for row in published)

    assert read_csv(client.get(f"{CSV_URL}?text=no+such+words+anywhere")) == []


def test_a_filter_the_list_would_refuse_downloads_nothing(demo, sign_in):
    client = sign_in("viewer")
    for query in ("respondent=abc", "decision_state=nonsense", "cluster=maybe", "text=" + "x" * 201,
                  "standard=9.9.9"):
        reply = client.get(f"{CSV_URL}?{query}")
        assert reply.status_code == 400, query
        assert "This list cannot be downloaded" in reply.get_data(as_text=True)
        assert "Content-Disposition" not in reply.headers


def test_internal_notes_actions_and_clusters_are_exported(demo, sign_in, users):
    decision = live_decision(demo)
    decision.internal_note = "Talk to the finance team first"
    demo.add(Action(decision_id=decision.id, description="Review the guidance", owner="Policy team",
                    due_on=dt.date(2027, 3, 31), status="in progress"))
    demo.commit()
    rows = read_xlsx(sign_in("approver").get(XLSX_URL))
    row = next(r for r in rows if r["Internal note"].value == "Talk to the finance team first")
    assert "Review the guidance (In progress, due 2027-03-31; owner Policy team)" in row["Actions"].value
    assert row["Recommendation id"].value == decision.recommendation_id


def test_cells_a_spreadsheet_would_run_are_neutralised(demo, sign_in):
    decision = live_decision(demo)
    decision.internal_note = "=HYPERLINK(\"http://evil.example\",\"click\")"
    decision.public_rationale = "@SUM(1+1)"
    rec = demo.get(Recommendation, decision.recommendation_id)
    rec.text = "+44 123 -- call us"
    demo.commit()
    client = sign_in("viewer")
    row = next(r for r in read_csv(client.get(CSV_URL)) if r["Recommendation id"] == str(rec.id))
    assert row["Internal note"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert row["Public rationale"] == "'@SUM(1+1)"
    assert row["Recommendation"] == "'+44 123 -- call us"
    cells = next(r for r in read_xlsx(client.get(XLSX_URL)) if r["Recommendation id"].value == rec.id)
    assert cells["Internal note"].data_type == "s" and cells["Internal note"].value.startswith("=HYPERLINK")
    for value, expected in (("-1", "'-1"), ("\tx", "'\tx"), ("plain", "plain"), (None, ""), (3, "3")):
        assert csv_safe(value) == expected


def test_the_number_of_statements_does_not_grow_with_the_rows(demo, demo_app, sign_in):
    client = sign_in("viewer")
    client.get(CSV_URL)  # warm the caches a first request fills
    with count_statements(demo_app) as before:
        assert len(read_csv(client.get(CSV_URL))) == 45
    response = response_of(demo, "Clinks")
    for n in range(60):
        demo.add(Recommendation(response_id=response.id, key=f"x{n}", sequence=100 + n, text=f"More {n}"))
    demo.commit()
    with count_statements(demo_app) as after:
        assert len(read_csv(client.get(CSV_URL))) == 105
    with count_statements(demo_app) as workbook:
        assert len(read_xlsx(client.get(XLSX_URL))) == 105
    assert len(before) == len(after) == len(workbook), (before, after)
    assert len(after) <= 20, after  # the list's filter form (its choices), then the rows in batches


def test_the_report_takes_the_same_statements_whatever_its_size(demo, demo_app, sign_in):
    client = sign_in("viewer")
    slug = demo.scalars(select(Consultation.slug)).first()
    client.get(f"/staff/consultations/{slug}/report")
    with count_statements(demo_app) as before:
        assert client.get(f"/staff/consultations/{slug}/report").status_code == 200
    response = response_of(demo, "Clinks")
    for n in range(60):
        demo.add(Recommendation(response_id=response.id, key=f"x{n}", sequence=100 + n, text=f"More {n}"))
    demo.commit()
    with count_statements(demo_app) as after:
        html = client.get(f"/staff/consultations/{slug}/report").get_data(as_text=True)
    assert "More 59" in html
    assert len(before) == len(after), (before, after)


def test_characters_a_workbook_cannot_hold_are_dropped_not_fatal(demo, sign_in):
    rec = demo.scalars(select(Recommendation).order_by(Recommendation.id)).first()
    rec.text = "Bell\x07 and form feed\x0c inside"
    demo.commit()
    rows = read_xlsx(sign_in("viewer").get(XLSX_URL))
    assert next(r for r in rows if r["Recommendation id"].value == rec.id)["Recommendation"].value == \
        "Bell and form feed inside"


def test_rows_come_in_batches_of_a_fixed_number_of_queries(demo, demo_app):
    with count_statements(demo_app) as statements:
        rows = list(export_rows(demo, listing.RecommendationFilters(), batch_size=5))
    assert len(rows) == 45
    assert len(statements) <= 1 + 6 * 9  # the ids, then at most six per batch of five


# --- what we understood you to recommend -----------------------------------------------------


def test_passage_quotes_the_spans_with_their_paragraph():
    text = "Intro.\n\nWe urge the Board to act. It should fund the work properly.\n\nEnd."
    start, end = text.index("It should"), text.index("properly.") + len("properly.")
    found = passage(text, [[start, end]])
    assert found.quote == "It should fund the work properly."
    assert found.context == (("We urge the Board to act. ", False), ("It should fund the work properly.", True))
    assert passage(text, []) is None and passage(text, [[500, 600]]) is None
    whole = text.index("We urge"), text.index("properly.") + len("properly.")
    assert passage(text, [list(whole)]).context == ()  # the context would only repeat the quote


def test_a_point_made_twice_is_quoted_once_and_far_passages_get_their_own_context():
    point = "Fund the work properly."
    text = f"Summary:\n- {point}\n- Publish the plan.\n\n" + "Filler words here. " * 40 + f"\n\nWe say: {point} Soon."
    first, second = text.index(point), text.rindex(point)
    twice = passage(text, [[first, first + len(point)], [second, second + len(point)]])
    assert twice.quote == point
    assert twice.context == ()  # its list item, not the whole list, which is the quote itself
    far = text.index("Publish the plan.")
    both = passage(text, [[far, far + 17], [second, second + len(point)]])
    assert both.quote == "Publish the plan. … " + point
    assert both.context == (("- ", False), ("Publish the plan.", True), (" … ", False), ("We say: ", False),
                            (point, True), (" Soon.", False))


def test_understood_document_lists_each_recommendation_with_its_quote(demo, sign_in):
    response = response_of(demo, "Clinks")
    reply = sign_in("methodology").get(f"/staff/responses/{response.id}/understood.docx")
    assert reply.status_code == 200 and reply.headers["Content-Disposition"].startswith("attachment")
    document = Document(io.BytesIO(reply.get_data()))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "What we understood you to recommend"
    recommendations = sorted(response.recommendations, key=lambda r: r.sequence)
    for rec in recommendations:
        assert f"Recommendation {rec.key}" in paragraphs
        assert rec.text in paragraphs
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert quotes and all(passage(response.text, r.spans) is None or passage(response.text, r.spans).quote in quotes
                          for r in recommendations)
    assert f"{len(recommendations)} recommendation" in "\n".join(paragraphs)


def test_a_deleted_recommendation_is_not_in_the_document(demo, sign_in):
    response = response_of(demo, "Clinks")
    gone = sorted(response.recommendations, key=lambda r: r.sequence)[0]
    gone.text = "A recommendation deleted since"
    gone.deleted_at = dt.datetime.now()
    demo.commit()
    reply = sign_in("viewer").get(f"/staff/responses/{response.id}/understood.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(reply.get_data())).paragraphs)
    assert "A recommendation deleted since" not in text and f"Recommendation {gone.key}\n" not in text


def test_the_response_page_links_to_the_document_and_a_deleted_response_has_none(demo, sign_in):
    response = response_of(demo, "Clinks")
    client = sign_in("viewer")
    page = client.get(f"/staff/responses/{response.id}").get_data(as_text=True)
    assert f"/staff/responses/{response.id}/understood.docx" in page
    response.deleted_at = dt.datetime.now()
    demo.commit()
    assert client.get(f"/staff/responses/{response.id}/understood.docx").status_code == 404


# --- the consultation report -----------------------------------------------------------------


def test_report_figures_agree_with_the_list(demo):
    consultation = demo.scalars(select(Consultation)).first()
    report = consultation_report(demo, consultation)
    counts = listing.count_states(demo, listing.RecommendationFilters(consultation_id=consultation.id))
    assert report.recommendations == counts.total == 45
    assert report.by_state == counts.by_decision_state
    assert report.published == counts.by_decision_state["published"]
    assert report.decided == counts.by_decision_state["approved"] + counts.by_decision_state["published"]
    assert sum(n for _, n in report.by_outcome) == 45
    assert sum(line.total for line in report.by_question) == 45
    assert report.by_standard and report.responses > 0


def test_report_as_a_printable_page_and_a_word_document(demo, sign_in):
    consultation = demo.scalars(select(Consultation)).first()
    report = consultation_report(demo, consultation)
    client = sign_in("policy")
    page = client.get(f"/staff/consultations/{consultation.slug}/report")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "report-print.css" in html and 'media="print"' in html
    assert "Outcomes by question" in html and "Outcomes by standard" in html
    assert 'aria-labelledby="question-chart-title question-chart-desc"' in html and "report.css" in html
    assert all(row.key in html for row in report.rows)

    reply = client.get(f"/staff/consultations/{consultation.slug}/report.docx")
    assert reply.status_code == 200
    document = Document(io.BytesIO(reply.get_data()))
    summary = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert summary["Responses"] == str(report.responses)
    assert summary["Recommendations"] == "45"
    assert summary["Published"] == str(report.published)
    by_question = document.tables[2]
    assert by_question.rows[0].cells[0].text == "Question"
    assert sum(int(row.cells[-1].text) for row in by_question.rows[1:]) == 45
    text = "\n".join(p.text for p in document.paragraphs)
    assert all(row.text in text for row in report.rows)
    assert client.get("/staff/consultations/no-such-thing/report").status_code == 404


def test_stacked_chart_scales_bars_to_the_largest_total_and_describes_them():
    from collections import Counter

    from consultations.exports.report import OUTCOME_COLUMNS, OutcomeRow, outcome_headings
    from tracker.staff.exports.charts import WIDTH, VALUE_ROOM, stacked_chart

    lines = [OutcomeRow("Q1", Counter({"accepted": 3, "not accepted": 1})), OutcomeRow("Q2", Counter({"none": 2}))]
    chart = stacked_chart("Outcomes by question", lines, outcome_headings())
    first, second = chart.bars
    assert [s.value for s in first.segments] == [3, 1] and first.total == 4
    assert first.segments[0].width + first.segments[1].width == pytest.approx(WIDTH - VALUE_ROOM, abs=0.2)
    assert second.segments[0].column == len(OUTCOME_COLUMNS) - 1  # "No decision", grey
    assert second.segments[0].width == pytest.approx((WIDTH - VALUE_ROOM) / 2, abs=0.2)
    assert chart.desc == "Q1: 4 (Accepted 3, Not accepted 1); Q2: 2 (No decision 2)"
    assert stacked_chart("Empty", [], outcome_headings()).desc == "No recommendations yet."


# --- who may download --------------------------------------------------------------------------


def export_urls(session) -> list[str]:
    consultation = session.scalars(select(Consultation)).first()
    response = response_of(session, "Clinks")
    return [CSV_URL, XLSX_URL, f"/staff/responses/{response.id}/understood.docx",
            f"/staff/consultations/{consultation.slug}/report",
            f"/staff/consultations/{consultation.slug}/report.docx"]


def test_anonymous_visitors_are_sent_to_sign_in(demo, client):
    for url in export_urls(demo):
        reply = client.get(url)
        assert reply.status_code == 302, url
        assert reply.headers["Location"].startswith("/sign-in?next=")


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_role_may_download(demo, sign_in, role):
    client = sign_in(role)
    for url in export_urls(demo):
        reply = client.get(url)
        assert reply.status_code == 200, (role, url)
        assert reply.headers["Cache-Control"] == "no-store"


def test_the_list_links_to_its_downloads_with_the_current_filter(demo, sign_in):
    page = sign_in("viewer").get("/staff/recommendations?decision_state=published&sort=key").get_data(as_text=True)
    assert "/staff/recommendations/export.xlsx?decision_state=published&amp;sort=key" in page
    assert "/staff/recommendations/export.csv?decision_state=published&amp;sort=key" in page


# --- in a real browser ---------------------------------------------------------------------


@pytest.mark.browser
def test_the_report_and_the_refusal_meet_wcag_22_aa_in_a_browser(site, browser):
    """axe in Chromium on the report page, on screen and as printed, and on a refused download."""
    from browser import CHROMIUM, axe_violations, describe, new_context
    from test_accessibility import sign_in as sign_in_browser

    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: `make setup` installs it")
    app, base = site
    with app.app_context():
        from tracker.db import db

        slug = db.session.scalars(select(Consultation.slug)).first()
    context = new_context(browser)
    found, statuses = [], []
    try:
        sign_in_browser(context, base, "viewer")
        page = context.new_page()
        for url in (f"/staff/consultations/{slug}/report", CSV_URL + "?decision_state=maybe"):
            statuses.append(page.goto(base + url, wait_until="load").status)
            violations = axe_violations(page)
            if violations:
                found.append(describe(url, violations))
        page.goto(base + f"/staff/consultations/{slug}/report", wait_until="load")
        page.emulate_media(media="print")
        assert not page.locator(".govuk-generic-header").is_visible()
        assert page.locator("#by-question").is_visible()
    finally:
        context.close()
    assert statuses == [200, 400]
    assert not found, "WCAG violations:\n" + "\n".join(found)
