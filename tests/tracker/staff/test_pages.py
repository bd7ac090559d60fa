"""Read-only browse pages: what a user looks for on each page, 404s, escaping,
the span highlighter, and that list/tree pages run a fixed number of queries."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from html.parser import HTMLParser

import pytest
from conftest import PASSWORD, count_statements
from sqlalchemy import select

from consultations.models import (
    Consultation,
    Document,
    Framework,
    FrameworkItem,
    Link,
    Question,
    Recommendation,
    Respondent,
    Response,
)
from tracker.staff.browse.views import human_size
from consultations.readers import DOCX_TYPE, format_name
from consultations.anchoring import merged_spans
from tracker.web.text import Segment, TextBlock, distinct_passages, highlight_paragraphs, text_blocks
from tracker.web.trees import build_tree
from consultations.organisation_types import named as named_type

TEXT = (
    "About us\n\n"
    "We recommend that inspectors meet service users.\n\n"
    "Providers should publish <script>alert('x')</script> data every year.\n\n"
    "Thank you."
)
ORIGINAL = b"%PDF-1.4 original bytes \x00\x01\x02"


def span_of(text: str, phrase: str, until: str | None = None) -> list[int]:
    """[start, end] of ``phrase`` (or from ``phrase`` to the end of ``until``)."""
    start = text.index(phrase)
    end = text.index(until, start) + len(until) if until else start + len(phrase)
    return [start, end]


@pytest.fixture
def data(session):
    """One consultation with a live and a soft-deleted response, and a small framework."""
    charity, company = named_type(session, "Charity"), named_type(session, "Company")
    consultation = Consultation(
        slug="probation-2019",
        title="Inspecting probation services",
        body="HM Inspectorate of Probation",
        summary="We asked how we should inspect probation.\n\nThis is the second paragraph.",
        opens_on=dt.date(2019, 3, 1),
        closes_on=dt.date(2019, 4, 5),
        status="analysing",
    )
    session.add_all(
        [
            Question(consultation=consultation, number="1", text="Do you agree with the standards?",
                     topic="Standards", position=0),
            Question(consultation=consultation, number="2", text="How should we engage service users?",
                     topic="Engagement", position=1),
        ]
    )
    framework = Framework(key="hmip-std", name="Probation standards", version="2019", kind="standards")
    org = FrameworkItem(framework=framework, code="1", title="Organisational delivery", position=0)
    leadership = FrameworkItem(framework=framework, code="1.1", title="Leadership", parent=org,
                               text="Leaders promote a high-quality service.", position=1)
    staff = FrameworkItem(framework=framework, code="1.2", title="Staff", parent=org, position=2)
    retired = FrameworkItem(framework=framework, code="2", title="Old domain", position=3,
                            retired_at=dt.datetime(2020, 1, 1))

    clinks = Respondent(name="Clinks", organisation_type=charity, consent="named")
    document = Document(sha256=hashlib.sha256(ORIGINAL).hexdigest(), filename="clinks response.pdf",
                        media_type="application/pdf", size=len(ORIGINAL), content=ORIGINAL)
    response = Response(consultation=consultation, respondent=clinks, document=document, text=TEXT,
                        received_on=dt.date(2019, 4, 1), channel="email", status="in review")
    r1 = Recommendation(response=response, key="R1", sequence=1,
                        text="Inspectors should meet service users.",
                        spans=[span_of(TEXT, "inspectors meet service users")])
    r11 = Recommendation(response=response, key="R1.1", sequence=2, parent=r1,
                         text="Publish data <script>alert('x')</script> yearly.",
                         spans=[span_of(TEXT, "Providers should publish", until="</script> data")])
    r2 = Recommendation(response=response, key="R2", sequence=3, text="Say thank you.",
                        spans=[span_of(TEXT, "every year", until="Thank you")],
                        unresolved_references=["Standard 9.9"])
    r3 = Recommendation(response=response, key="R3", sequence=4, text="Withdrawn recommendation",
                        spans=[], deleted_at=dt.datetime(2020, 1, 1))

    gone = Respondent(name="Deleted Respondent Ltd", organisation_type=company, consent="anonymous")
    gone_document = Document(sha256="b" * 64, filename="gone.txt", media_type="text/plain", size=4,
                             content=b"gone")
    deleted = Response(consultation=consultation, respondent=gone, document=gone_document,
                       text="Deleted text", deleted_at=dt.datetime(2020, 2, 2))
    on_deleted = Recommendation(response=deleted, key="R1", sequence=1, text="On a deleted response")

    session.add_all(
        [
            framework, org, leadership, staff, retired, response, r1, r11, r2, r3, deleted, on_deleted,
            Link(recommendation=r1, item=leadership, origin="explicit", status="confirmed"),
            Link(recommendation=r11, item=leadership, origin="suggested", status="proposed"),
            Link(recommendation=r2, item=staff, origin="suggested", status="rejected"),
            Link(recommendation=r3, item=leadership, origin="manual", status="confirmed"),
            Link(recommendation=on_deleted, item=leadership, origin="manual", status="confirmed"),
        ]
    )
    session.commit()
    return {"response_id": response.id, "deleted_id": deleted.id, "consultation_id": consultation.id,
            "framework_id": framework.id}


class _TableParser(HTMLParser):
    """Cell texts of every table row, whitespace-normalised."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    parser = _TableParser()
    parser.feed(html)
    return parser.rows


def text_of(html: str) -> str:
    """Visible-ish text with tags removed and whitespace collapsed, for phrase checks."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def block(html: str, start_marker: str, end_marker: str | None = None) -> str:
    """The HTML from one marker to the next (or to the end)."""
    start = html.index(start_marker)
    end = html.index(end_marker, start + 1) if end_marker else len(html)
    return html[start:end]


# --- pages -----------------------------------------------------------------


@pytest.fixture
def client(app, users):
    """Staff pages need a signed-in user: these tests read as a viewer."""
    client = app.test_client()
    assert client.post("/sign-in", data={"email": "viewer@example.org", "password": PASSWORD}).status_code == 302
    return client


def test_home_links_to_consultations_and_frameworks(client, data):
    html = client.get("/staff/").get_data(as_text=True)
    assert "<h1" in html and html.count("<h1") == 1
    assert "Consultation response tracker" in html
    assert 'href="/staff/consultations/"' in html and 'href="/staff/frameworks/"' in html
    assert "There is 1 consultation." in text_of(html)
    assert "govuk-phase-banner" in html and "Alpha" in html
    assert 'href="/assets/govuk-frontend-generic.min.css"' in html  # not on GOV.UK: no GDS Transport
    assert 'import { initAll } from "/assets/govuk-frontend.min.js"' in html


def test_consultation_list_shows_counts_without_deleted_responses(client, data):
    rv = client.get("/staff/consultations/")
    assert rv.status_code == 200
    html = rv.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert "<caption" in html and "1 consultation" in html
    rows = table_rows(html)
    assert rows[0] == ["Title", "Organisation", "Status", "Opens", "Closes", "Responses"]
    assert rows[1] == ["Inspecting probation services", "HM Inspectorate of Probation", "Analysing",
                       "1 March 2019", "5 April 2019", "1"]
    assert 'href="/staff/consultations/probation-2019"' in html


def test_consultation_page_lists_questions_and_live_responses(client, data):
    rv = client.get("/staff/consultations/probation-2019")
    assert rv.status_code == 200
    html = rv.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert "We asked how we should inspect probation." in html
    assert "This is the second paragraph." in html
    rows = table_rows(html)
    assert ["1", "Do you agree with the standards?", "Standards"] in rows
    assert ["2", "How should we engage service users?", "Engagement"] in rows
    # R3 is deleted, so Clinks has three recommendations; the deleted response is hidden.
    assert ["Clinks", "Voluntary sector organisation", "Named", "1 April 2019", "In review", "3"] in rows
    assert "Deleted Respondent Ltd" not in html
    assert "Responses (1)" in html
    assert f'href="/staff/responses/{data["response_id"]}"' in html


def test_response_page_metadata_and_download_link(client, data):
    rid = data["response_id"]
    html = client.get(f"/staff/responses/{rid}").get_data(as_text=True)
    assert html.count("<h1") == 1
    assert "Response from Clinks" in html
    page = text_of(html)
    for phrase in ("Inspecting probation services", "Voluntary sector organisation", "Named", "Email", "1 April 2019",
                   "clinks response.pdf (PDF,", f"{len(ORIGINAL)} bytes",
                   hashlib.sha256(ORIGINAL).hexdigest(), "In review"):
        assert phrase in page
    assert "application/pdf" not in page  # the format in words, not its MIME type
    assert f'href="/staff/responses/{rid}/original"' in html


def test_response_page_nests_children_and_shows_links(client, data):
    html = client.get(f"/staff/responses/{data['response_id']}").get_data(as_text=True)
    assert "Recommendations (3)" in html
    r1 = block(html, 'id="rec-R1"', 'id="rec-R2"')
    # R1.1 sits in a child list inside R1's item, which closes before R2 starts.
    assert "app-recommendations--children" in r1
    assert 'id="rec-R1.1"' in r1
    assert "</ol>" in block(r1, 'id="rec-R1.1"')
    assert html.index('id="rec-R1"') < html.index('id="rec-R1.1"') < html.index('id="rec-R2"')
    assert "Withdrawn recommendation" not in html
    # Links to the framework page anchor, with origin and status; rejected links are hidden.
    assert 'href="/staff/frameworks/hmip-std/2019#item-1.1"' in r1
    assert "Referenced in the response" in text_of(r1) and "Confirmed" in text_of(r1)
    r2 = block(html, 'id="rec-R2"', 'id="response-text"')
    assert "#item-1.2" not in r2
    assert "Standard 9.9" in r2 and "is not found in any framework" in r2
    # List and text link to each other.
    assert 'href="#text-R1"' in html and 'id="text-R1"' in html and 'href="#rec-R1"' in html


def test_response_text_highlights_exact_spans(client, data):
    html = client.get(f"/staff/responses/{data['response_id']}").get_data(as_text=True)
    assert '<mark class="app-highlight" data-recommendations="R1">inspectors meet service users</mark>' in html
    # The key is visible right before the highlight and links to the recommendation.
    assert re.search(r'href="#rec-R1" id="text-R1">.*?R1</a><mark ', html)
    # R1.1 contains markup-like text: escaped inside the mark.
    assert ('data-recommendations="R1.1">Providers should publish '
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; data</mark>") in html
    # R2 crosses a paragraph break: one mark in each paragraph, each closed in its own <p>.
    assert 'data-recommendations="R2">every year.</mark></p>' in html
    assert re.search(r'<p class="govuk-body app-response-text__paragraph"><a [^>]*href="#rec-R2"[^>]*>'
                     r'.*?R2</a><mark class="app-highlight" data-recommendations="R2">Thank you</mark>.</p>',
                     html)
    assert html.count('id="text-R2"') == 1


def test_text_is_escaped_everywhere(client, data):
    html = client.get(f"/staff/responses/{data['response_id']}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "Publish data &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; yearly." in html


def test_original_download(client, data):
    rv = client.get(f"/staff/responses/{data['response_id']}/original")
    assert rv.status_code == 200
    assert rv.data == ORIGINAL
    assert rv.mimetype == "application/pdf"
    disposition = rv.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "clinks response.pdf" in disposition
    assert rv.headers["X-Content-Type-Options"] == "nosniff"


def test_original_missing_or_deleted_is_404(client, data, session):
    assert client.get(f"/staff/responses/{data['deleted_id']}/original").status_code == 404
    respondent = Respondent(name="Paper respondent")
    without_file = Response(consultation_id=data["consultation_id"], respondent=respondent,
                            channel="post", text="")
    session.add(without_file)
    session.commit()
    assert client.get(f"/staff/responses/{without_file.id}/original").status_code == 404
    page = client.get(f"/staff/responses/{without_file.id}")
    assert page.status_code == 200
    assert "No original file was stored" in page.get_data(as_text=True)
    assert "No text has been extracted" in page.get_data(as_text=True)


def test_framework_list(client, data):
    html = client.get("/staff/frameworks/").get_data(as_text=True)
    assert html.count("<h1") == 1
    rows = table_rows(html)
    assert rows[0] == ["Name", "Key", "Version", "Kind", "Items"]
    assert rows[1] == ["Probation standards", "hmip-std", "2019", "Standards", "3 (1 retired)"]
    assert 'href="/staff/frameworks/hmip-std/2019"' in html


def test_framework_tree_counts_and_retired(client, data):
    rv = client.get("/staff/frameworks/hmip-std/2019")
    assert rv.status_code == 200
    html = rv.get_data(as_text=True)
    assert html.count("<h1") == 1
    org = block(html, 'id="item-1"', 'id="item-2"')
    assert 'id="item-1.1"' in org and 'id="item-1.2"' in org and "app-tree--children" in org
    leadership = text_of(block(html, 'id="item-1.1"', 'id="item-1.2"'))
    # R1 (confirmed) and R1.1 (proposed); not R3 (deleted) nor the deleted response's one.
    assert "Leaders promote a high-quality service." in leadership
    assert "2 linked recommendations" in leadership
    assert "0 linked recommendations" in text_of(block(html, 'id="item-1.2"', 'id="item-2"'))
    retired = text_of(block(html, 'id="item-2"'))
    assert "Old domain" in retired and "Retired" in retired
    assert "Retired" not in text_of(block(html, 'id="item-1"', 'id="item-2"'))


@pytest.mark.parametrize(
    "url",
    ["/staff/consultations/no-such-thing", "/staff/responses/999999", "/staff/responses/999999/original",
     "/staff/frameworks/hmip-std/1999", "/staff/frameworks/nothing/2019", "/staff/no/such/page"],
)
def test_unknown_things_are_404(client, data, url):
    rv = client.get(url)
    assert rv.status_code == 404
    html = rv.get_data(as_text=True)
    assert "Page not found" in html and 'href="/staff/consultations/"' in html


def test_deleted_response_is_404(client, data):
    assert client.get(f"/staff/responses/{data['deleted_id']}").status_code == 404


def test_empty_lists_say_so(client):
    assert "There are no consultations yet." in client.get("/staff/consultations/").get_data(as_text=True)
    assert "No frameworks have been imported yet." in client.get("/staff/frameworks/").get_data(as_text=True)


# --- query counts ------------------------------------------------------------


def add_consultations(session, start: int, stop: int) -> None:
    for n in range(start, stop):
        consultation = Consultation(slug=f"c{n}", title=f"Consultation {n}", body="Body")
        respondent = Respondent(name=f"Respondent {n}")
        session.add(Response(consultation=consultation, respondent=respondent, text="t"))
        session.add(Response(consultation=consultation, respondent=respondent, text="u"))
    session.commit()


def add_items(session, framework: Framework, response: Response, start: int, stop: int) -> None:
    for n in range(start, stop):
        item = FrameworkItem(framework=framework, code=f"{n}", title=f"Item {n}", position=n)
        child = FrameworkItem(framework=framework, code=f"{n}.1", parent=item, position=n)
        rec = Recommendation(response=response, key=f"R{n}", sequence=n, text="r")
        session.add_all([item, child, Link(recommendation=rec, item=child, origin="manual")])
    session.commit()


def test_consultation_pages_do_not_query_per_row(app, client, session):
    add_consultations(session, 0, 2)
    with count_statements(app) as few:
        assert client.get("/staff/consultations/").status_code == 200
    with count_statements(app) as few_detail:
        assert client.get("/staff/consultations/c0").status_code == 200
    add_consultations(session, 2, 10)
    with count_statements(app) as many:
        assert client.get("/staff/consultations/").status_code == 200
    assert len(many) == len(few) <= 3  # one query loads the signed-in user
    # More responses on one consultation do not add queries either.
    consultation = session.scalars(select(Consultation).where(Consultation.slug == "c0")).one()
    for n in range(8):
        session.add(Response(consultation=consultation, respondent=Respondent(name=f"Extra {n}")))
    session.commit()
    with count_statements(app) as many_detail:
        assert client.get("/staff/consultations/c0").status_code == 200
    # user, consultation, questions, progress (with the response count), recommendations left to publish, a page
    assert len(many_detail) == len(few_detail) <= 6


def test_consultation_page_lists_responses_a_page_at_a_time(app, client, session):
    from tracker.staff.browse.views import RESPONSES_PER_PAGE

    consultation = Consultation(slug="survey", title="A big survey", body="Body")
    session.add_all([Response(consultation=consultation, respondent=Respondent(name=f"Respondent {n:04}"), text="t")
                     for n in range(RESPONSES_PER_PAGE + 5)])
    session.commit()
    html = client.get("/staff/consultations/survey").get_data(as_text=True)
    assert f"Responses ({RESPONSES_PER_PAGE + 5})" in html
    assert html.count('href="/staff/responses/') == RESPONSES_PER_PAGE
    assert "Respondent 0000" in html and f"Respondent {RESPONSES_PER_PAGE:04}" not in html
    assert f"Showing 1 to {RESPONSES_PER_PAGE} of {RESPONSES_PER_PAGE + 5} responses" in text_of(html)
    assert 'href="/staff/consultations/survey?page=2#responses"' in html
    html = client.get("/staff/consultations/survey?page=2").get_data(as_text=True)
    assert html.count('href="/staff/responses/') == 5 and f"Respondent {RESPONSES_PER_PAGE + 4:04}" in html
    # A page past the end shows the last page; a page that is not a number, the first.
    assert "Respondent 0000" not in client.get("/staff/consultations/survey?page=99").get_data(as_text=True)
    assert "Respondent 0000" in client.get("/staff/consultations/survey?page=x").get_data(as_text=True)


def test_framework_pages_do_not_query_per_item(app, client, session):
    framework = Framework(key="fw", name="Framework", version="1")
    response = Response(consultation=Consultation(slug="c", title="C", body="B"),
                        respondent=Respondent(name="R"), text="")
    session.add_all([framework, response])
    session.commit()
    add_items(session, framework, response, 0, 2)
    with count_statements(app) as few:
        assert client.get("/staff/frameworks/fw/1").status_code == 200
    with count_statements(app) as few_list:
        assert client.get("/staff/frameworks/").status_code == 200
    add_items(session, framework, response, 2, 10)
    with count_statements(app) as many:
        html = client.get("/staff/frameworks/fw/1").get_data(as_text=True)
    with count_statements(app) as many_list:
        assert client.get("/staff/frameworks/").status_code == 200
    assert len(many) == len(few) <= 5
    assert len(many_list) == len(few_list) <= 3
    assert html.count("1 linked recommendation<") == 10


def test_response_page_queries_do_not_grow_with_recommendations(app, client, data, session):
    rid = data["response_id"]
    with count_statements(app) as few:
        assert client.get(f"/staff/responses/{rid}").status_code == 200
    response = session.get(Response, rid)
    leadership = session.scalars(select(FrameworkItem).where(FrameworkItem.code == "1.1")).one()
    for n in range(10):
        rec = Recommendation(response=response, key=f"X{n}", sequence=10 + n, text="x", spans=[[0, 5]])
        session.add(Link(recommendation=rec, item=leadership, origin="manual"))
    session.commit()
    with count_statements(app) as many:
        assert client.get(f"/staff/responses/{rid}").status_code == 200
    assert len(many) == len(few)


# --- presentation helpers ------------------------------------------------------


def joined(paragraphs: list[list[Segment]]) -> list[str]:
    return ["".join(s.text for s in segments) for segments in paragraphs]


def test_highlight_without_spans_returns_plain_paragraphs():
    text = "\n  First paragraph.\nSame paragraph.\n\n\n \nSecond.\n\n"
    paragraphs = highlight_paragraphs(text, {})
    assert joined(paragraphs) == ["First paragraph.\nSame paragraph.", "Second."]
    assert all(not s.keys and not s.opens for p in paragraphs for s in p)
    assert highlight_paragraphs("", {"R1": [[0, 3]]}) == []


def test_highlight_overlapping_spans_are_flat_segments():
    paragraphs = highlight_paragraphs("abcdefghij", {"A": [[0, 6]], "B": [[4, 10]]})
    assert paragraphs == [[
        Segment("abcd", 0, 4, ("A",), ("A",), ("A",)),
        Segment("ef", 4, 6, ("A", "B"), ("B",), ("B",)),
        Segment("ghij", 6, 10, ("B",), (), ()),
    ]]


def test_highlight_nested_spans_keep_key_order():
    paragraphs = highlight_paragraphs("abcdefghij", {"A": [[2, 5]], "B": [[0, 10]]})
    assert [(s.text, s.keys, s.opens) for s in paragraphs[0]] == [
        ("ab", ("B",), ("B",)),
        ("cde", ("A", "B"), ("A",)),
        ("fghij", ("B",), ()),
    ]


def test_highlight_span_crossing_paragraph_break():
    text = "one two\n\nthree four"
    paragraphs = highlight_paragraphs(text, {"K": [[4, 14]]})
    assert joined(paragraphs) == ["one two", "three four"]
    assert paragraphs[0] == [Segment("one ", 0, 4), Segment("two", 4, 7, ("K",), ("K",), ("K",))]
    # The key is shown again where the highlight resumes, but only the first is the anchor.
    assert paragraphs[1] == [Segment("three", 9, 14, ("K",), ("K",), ()), Segment(" four", 14, 19)]


def test_highlight_span_at_start_and_end_of_text():
    text = "Start here. Middle. End here"
    paragraphs = highlight_paragraphs(text, {"S": [[0, 10]], "E": [[20, len(text)]]})
    segments = paragraphs[0]
    assert segments[0] == Segment("Start here", 0, 10, ("S",), ("S",), ("S",))
    assert segments[-1] == Segment("End here", 20, len(text), ("E",), ("E",), ("E",))
    assert joined(paragraphs) == [text]


def test_highlight_ignores_bad_spans_and_merges_touching_ones():
    text = "abcdefghij"
    paragraphs = highlight_paragraphs(
        text, {"A": [[-5, 2], [2, 4], [3, 3], ["x", 1], [8], None, [9, 99]], "B": []}
    )
    assert [(s.text, s.keys, s.opens) for s in paragraphs[0]] == [
        ("abcd", ("A",), ("A",)),
        ("efghi", (), ()),
        ("j", ("A",), ("A",)),
    ]
    assert merged_spans([[5, 1], [0, 2], [1, 3]], 10) == [(0, 3)]


def test_highlight_spans_over_whitespace_between_paragraphs_are_dropped():
    text = "aaa\n\n\nbbb"
    paragraphs = highlight_paragraphs(text, {"W": [[3, 6]]})
    assert all(not s.keys for p in paragraphs for s in p)


def test_build_tree_nests_by_parent_and_keeps_orphans():
    class Obj:
        def __init__(self, id, parent_id=None):
            self.id, self.parent_id = id, parent_id

    objs = [Obj(1), Obj(2, 1), Obj(3, 2), Obj(4, 1), Obj(5, 99)]
    tree = build_tree(objs, {2: 7})
    assert [n.obj.id for n in tree] == [1, 5]
    assert [n.obj.id for n in tree[0].children] == [2, 4]
    assert tree[0].children[0].count == 7
    assert [n.obj.id for n in tree[0].children[0].children] == [3]


def test_human_size():
    assert human_size(512) == "512 bytes"
    assert human_size(2048) == "2.0 KB"
    assert human_size(5 * 1024 * 1024) == "5.0 MB"
    assert human_size(None) == "Unknown"


def test_server_error_page_says_what_to_do(app):
    from flask import render_template

    with app.test_request_context("/"):
        html = render_template("errors/500.html")
    assert "Sorry, there is a problem with the service" in html and "Try again later." in html


def test_every_page_renders_the_real_demo_data(demo_client):
    client = demo_client
    listing = client.get("/staff/consultations/").get_data(as_text=True)
    assert "Inspection of probation providers: proposed changes 2019" in listing
    page = client.get("/staff/consultations/probation-inspection-changes-2019").get_data(as_text=True)
    assert "Are there any disadvantages to inspecting co-terminously?" in page and "Clinks" in page
    response = client.get("/staff/responses/1")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Recommendations (18)" in text
    assert "Answers question 3: Are there any disadvantages to inspecting co-terminously?" in text
    assert "(the response makes this point 2 times)" in text
    assert client.get("/staff/responses/1/original").data.startswith(b"Clinks response to the HM Inspectorate")
    tree = client.get("/staff/frameworks/hmip-probation-2019/2019").get_data(as_text=True)
    assert "Unpaid work and Through the Gate" in tree
    assert client.get("/staff/frameworks/hmip-suer-2019/2019-2022").status_code == 200
    assert client.get("/staff/").status_code == 200


def test_distinct_passages_show_a_point_made_twice_once():
    text = "Fund women's centres.\n\nOther things.\n\nFund  women's centres."
    first, second = span_of(text, "Fund women's centres."), [text.rindex("Fund"), len(text)]
    assert distinct_passages(text, [first, second]) == ["Fund women's centres."]
    assert distinct_passages(text, [first, span_of(text, "Other things.")]) == ["Fund women's centres.",
                                                                               "Other things."]


def test_recommendation_page_quotes_a_repeated_passage_once(client, data, session):
    response = session.get(Response, data["response_id"])
    text = "We recommend a helpline.\n\nMore detail here.\n\nWe recommend a helpline."
    document = Document(sha256="c" * 64, filename="helpline.txt", media_type="text/plain", size=len(text),
                        content=text.encode())
    repeated = Response(consultation=response.consultation, respondent=response.respondent,
                        document=document, text=text, status="in review")
    rec = Recommendation(response=repeated, key="R1", sequence=1, text="A helpline.",
                         spans=[[0, 24], [len(text) - 24, len(text)]])
    session.add_all([repeated, rec])
    session.commit()
    html = client.get(f"/staff/recommendations/{rec.id}").get_data(as_text=True)
    assert html.count("We recommend a helpline.") == 1



def test_format_names():
    assert format_name(DOCX_TYPE) == "Word document"
    assert format_name("application/pdf") == "PDF" and format_name("text/plain; charset=utf-8") == "Plain text"
    assert format_name("application/x-unknown") == "File" and format_name(None) == "File"


def test_text_blocks_show_headings_without_their_marker_and_keep_offsets():
    text = "## Unpaid work\n\nWomen need safe placements.\n\n#hashtag stays text"
    start = text.index("Unpaid")
    paragraphs = highlight_paragraphs(text, {"R1": [[0, start + 6]], "R2": [[text.index("Women"), len(text) - 20]]})
    heading, body, hashtag = text_blocks(paragraphs)
    assert heading.heading_level == 2 and body.heading_level is None and hashtag.heading_level is None
    assert "".join(s.text for s in heading.segments) == "Unpaid work"
    assert heading.segments[0].start == start and heading.segments[-1].end == text.index("\n")
    assert heading.segments[0].opens == ("R1",) and heading.segments[0].anchors == ("R1",)
    assert all(text[s.start:s.end] == s.text for block in (heading, body, hashtag) for s in block.segments)
    assert text_blocks([[Segment("plain", 0, 5)]]) == [TextBlock([Segment("plain", 0, 5)])]


def test_response_page_shows_headings_as_headings(client, data, session):
    response = session.get(Response, data["response_id"])
    text = "# Our response\n\nWe recommend that inspectors meet service users.\n\n### Data\n\nThank you."
    response.text = text
    session.commit()
    html = client.get(f"/staff/responses/{response.id}").get_data(as_text=True)
    body = html[html.index('id="response-text-body"'):]
    assert "# Our response" not in body and "### Data" not in body
    heading = 'class="govuk-heading-s app-response-text__paragraph">'
    assert re.search(rf'data-start="2"[^>]*>\s*<h3 {heading}Our response</h3>', body)
    assert re.search(rf'<h5 {heading}(<[^>]+>|[^<])*Data(<[^>]+>)*</h5>', body)
    assert session.get(Response, response.id).text == text  # the stored text keeps its markers
