"""Mapping workflows end to end, as the methodology team uses them, on the demo data.

Links page (explicit references, suggestions), confirm / reject / accept / add by code, the
audit trail each leaves, stale forms, refusals by role, the item page across consultations
and the coverage matrix, with query counts for the item page and the matrix.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from conftest import count_statements
from consultations.models import (
    Consultation,
    Framework,
    FrameworkItem,
    Link,
    Recommendation,
    Respondent,
    Response,
)
from tracker.db import db
from consultations.workflow import AuditEvent, Decision

DEMO_SLUG = "probation-inspection-changes-2019"


# --- helpers -------------------------------------------------------------------------


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(html: str, start: str, end: str | None = None) -> str:
    begin = html.index(start)
    return html[begin: html.index(end, begin + 1)] if end else html[begin:]


class _Rows(HTMLParser):
    """Cell texts of every table row that has an id, keyed by that id."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.header: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
            if attrs.get("id"):
                self.rows[attrs["id"]] = self._row
            elif self._in_head:
                self.header = self._row
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table(html: str) -> _Rows:
    parser = _Rows()
    parser.feed(html)
    return parser


def pair(cell: str) -> tuple[int, int]:
    """(linked, accepted) from a coverage cell such as "3 / 1 (3 linked, 1 accepted)"."""
    linked, accepted = re.match(r"(?:Total )?(\d+) / (\d+)", cell).groups()
    return int(linked), int(accepted)


def rec_id(app, key: str, slug: str = DEMO_SLUG) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Recommendation.id).join(Response).join(Consultation)
            .where(Recommendation.key == key, Consultation.slug == slug)
        )


def item_id(app, code: str, key: str | None = None) -> int:
    with app.app_context():
        query = select(FrameworkItem.id).join(Framework).where(FrameworkItem.code == code)
        if key:
            query = query.where(Framework.key == key)
        return db.session.scalars(query).one()


def link_row(app, rec: int, item: int) -> Link | None:
    with app.app_context():
        link = db.session.scalar(select(Link).where(Link.recommendation_id == rec, Link.item_id == item))
        if link is not None:
            db.session.expunge(link)
        return link


def link_events(app, link_id: int) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "link", AuditEvent.entity_id == link_id)
            .order_by(AuditEvent.id)
        ).all()
        for e in events:
            db.session.expunge(e)
        return events


def counts(app) -> tuple[int, int]:
    """(links, audit events): what a refused request must leave unchanged."""
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Link)),
                db.session.scalar(select(func.count()).select_from(AuditEvent)))


@pytest.fixture
def demo(demo_content_app, users):
    return users


@pytest.fixture
def methodology(demo, sign_in):
    return sign_in("methodology")


def add_proposed_link(app, rec: int, item: int, **values) -> int:
    """A link proposed by the system (no signed-in user), as an import or job would make."""
    with app.app_context():
        link = Link(recommendation_id=rec, item_id=item, origin=values.pop("origin", "suggested"),
                    status=values.pop("status", "proposed"), **values)
        db.session.add(link)
        db.session.commit()
        return link.id


# --- the links page ---------------------------------------------------------------------


def test_links_page_shows_explicit_references_and_ranked_suggestions(app, methodology):
    r4 = rec_id(app, "R4")
    rv = methodology.get(f"/staff/recommendations/{r4}/links")
    assert rv.status_code == 200
    html = rv.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert "Standards and objectives for recommendation R4" in html
    assert "gendered needs of service users" in html
    confirmed = text_of(section(html, 'id="links-confirmed"', 'id="suggestions"'))
    # The explicit reference, with the words that matched, and that it came on import.
    assert "4.1.1" in confirmed and "Referenced in the response: “standard 4.1.1”" in confirmed
    assert "Confirmed on import" in confirmed
    # Suggestions: a score as a percentage and the words that matched; never what is linked.
    suggestions = section(html, 'id="suggestions"', 'id="add"')
    rows = table(suggestions).rows
    assert 1 <= len(rows) <= 8
    assert f'id="suggestion-{item_id(app, "4.1.1")}"' not in suggestions
    scores = [int(re.search(r"(\d+)%", cells[1]).group(1)) for cells in rows.values()]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 100 for s in scores)
    assert all(cells[2] for cells in rows.values())  # words that matched
    # Only current versions are suggested: every suggested item is in a demo framework.
    assert "Accept" in suggestions and "Not relevant" in suggestions


def test_links_page_shows_parent_context_and_unresolved_references(app, methodology):
    r11 = rec_id(app, "R1.1")
    with app.app_context():
        rec = db.session.get(Recommendation, r11)
        rec.unresolved_references = ["standard 9.9"]
        db.session.commit()
    html = methodology.get(f"/staff/recommendations/{r11}/links").get_data(as_text=True)
    page = text_of(html)
    assert "A sub-point of R1 :" in page and "Clinks recommends that HMI Probation include in its standards" in page
    assert "References not found in any framework" in page and "“standard 9.9”" in page


def test_links_page_groups_links_by_status(app, methodology):
    r6 = rec_id(app, "R6")
    add_proposed_link(app, r6, item_id(app, "4.2"), score=0.12, evidence="gate")
    add_proposed_link(app, r6, item_id(app, "3"), status="rejected")
    html = methodology.get(f"/staff/recommendations/{r6}/links").get_data(as_text=True)
    proposed = text_of(section(html, 'id="links-proposed"', 'id="links-rejected"'))
    assert "4.2 Through the Gate" in proposed and "Suggested by the tracker, 12% similar; words that matched: gate" in proposed
    assert "Confirm" in proposed and "Reject" in proposed
    rejected = text_of(section(html, 'id="links-rejected"', 'id="suggestions"'))
    assert "National Probation Service" in rejected and "Reject the link" not in rejected
    # Neither a proposed nor a rejected item is suggested again.
    suggestions = section(html, 'id="suggestions"', 'id="add"')
    assert f'id="suggestion-{item_id(app, "4.2")}"' not in suggestions
    assert f'id="suggestion-{item_id(app, "3")}"' not in suggestions


def test_unknown_or_deleted_response_is_404(app, methodology):
    assert methodology.get("/staff/recommendations/999999/links").status_code == 404
    r4 = rec_id(app, "R4")
    with app.app_context():
        db.session.get(Recommendation, r4).response.deleted_at = dt.datetime(2020, 1, 1)
        db.session.commit()
    assert methodology.get(f"/staff/recommendations/{r4}/links").status_code == 404


# --- confirm and reject ------------------------------------------------------------------


def test_confirm_then_reject_a_proposed_link(app, methodology, demo):
    r6, gate = rec_id(app, "R6"), item_id(app, "4.2")
    link_id = add_proposed_link(app, r6, gate)
    version = link_row(app, r6, gate).version_id

    rv = methodology.post(f"/staff/links/{link_id}/confirm", data={"version": version})
    assert rv.status_code == 302 and rv.headers["Location"].endswith(f"/staff/recommendations/{r6}/links")
    link = link_row(app, r6, gate)
    assert link.status == "confirmed" and link.confirmed_by_id == demo["methodology"]
    assert link.confirmed_at is not None
    page = methodology.get(rv.headers["Location"]).get_data(as_text=True)
    assert "The link from R6 to 4.2 is confirmed." in page
    assert "by Methodology" in text_of(section(page, 'id="links-confirmed"'))

    rv = methodology.post(f"/staff/links/{link_id}/reject", data={"version": link.version_id})
    assert rv.status_code == 302
    rejected = link_row(app, r6, gate)
    assert rejected.status == "rejected" and rejected.confirmed_by_id is None
    assert rejected.id == link_id  # the row is kept, so it is not suggested again

    status_events = [e for e in link_events(app, link_id) if e.field == "status"]
    assert [(e.old, e.new, e.user_id) for e in status_events] == [
        ("proposed", "confirmed", demo["methodology"]),
        ("confirmed", "rejected", demo["methodology"]),
    ]
    confirmed_by = [e for e in link_events(app, link_id) if e.field == "confirmed_by_id"]
    assert [(e.old, e.new) for e in confirmed_by] == [(None, str(demo["methodology"])), (str(demo["methodology"]), None)]


def test_confirming_twice_changes_nothing(app, methodology):
    r4, code = rec_id(app, "R4"), item_id(app, "4.1.1")
    link = link_row(app, r4, code)
    before = counts(app)
    rv = methodology.post(f"/staff/links/{link.id}/confirm", data={"version": link.version_id},
                          follow_redirects=True)
    assert "was already confirmed" in rv.get_data(as_text=True)
    assert counts(app) == before


def test_a_stale_link_form_is_refused_with_409(app, methodology):
    r6, gate = rec_id(app, "R6"), item_id(app, "4.2")
    link_id = add_proposed_link(app, r6, gate)
    loaded_at = link_row(app, r6, gate).version_id
    # Someone else confirms it after the page was loaded.
    assert methodology.post(f"/staff/links/{link_id}/confirm", data={"version": loaded_at}).status_code == 302
    before = counts(app)
    rv = methodology.post(f"/staff/links/{link_id}/reject", data={"version": loaded_at})
    assert rv.status_code == 409
    html = rv.get_data(as_text=True)
    assert "Someone else changed this while you were editing" in html
    assert "from “Proposed” to “Confirmed”" in html
    assert link_row(app, r6, gate).status == "confirmed"
    assert counts(app) == before
    # The page now carries the current version, so the next try, made knowingly, goes through.
    current = link_row(app, r6, gate).version_id
    assert f'name="version" value="{current}"' in html
    assert methodology.post(f"/staff/links/{link_id}/reject", data={"version": current}).status_code == 302


def test_a_link_form_without_version_is_400(app, methodology):
    link = link_row(app, rec_id(app, "R4"), item_id(app, "4.1.1"))
    assert methodology.post(f"/staff/links/{link.id}/reject", data={}).status_code == 400
    assert link_row(app, rec_id(app, "R4"), item_id(app, "4.1.1")).status == "confirmed"
    assert methodology.post("/staff/links/999999/reject", data={"version": 1}).status_code == 404


# --- suggestions ---------------------------------------------------------------------------


def first_suggestion(client, rec: int) -> tuple[int, int, str]:
    """(item id, percentage, words) of the best suggestion on the links page."""
    html = client.get(f"/staff/recommendations/{rec}/links").get_data(as_text=True)
    rows = table(section(html, 'id="suggestions"', 'id="add"')).rows
    row_id, cells = next(iter(rows.items()))
    return int(row_id.removeprefix("suggestion-")), int(cells[1].rstrip("%")), cells[2]


def test_accept_a_suggestion(app, methodology, demo):
    r4 = rec_id(app, "R4")
    suggested, percent, words = first_suggestion(methodology, r4)
    rv = methodology.post(f"/staff/recommendations/{r4}/suggestions", data={"item_id": suggested})
    assert rv.status_code == 302
    link = link_row(app, r4, suggested)
    assert (link.origin, link.status, link.confirmed_by_id) == ("suggested", "confirmed", demo["methodology"])
    assert round(link.score * 100) == percent and link.evidence == words
    created = link_events(app, link.id)
    assert [(e.field, e.user_id) for e in created] == [("created", demo["methodology"])]
    assert json.loads(created[0].new)["status"] == "confirmed"
    # Shown as confirmed with its score, and no longer suggested.
    html = methodology.get(f"/staff/recommendations/{r4}/links").get_data(as_text=True)
    assert f"{percent}% similar" in text_of(section(html, 'id="links-confirmed"', 'id="suggestions"'))
    assert f'id="suggestion-{suggested}"' not in section(html, 'id="suggestions"')


def test_dismiss_a_suggestion_records_a_rejected_link(app, methodology):
    r4 = rec_id(app, "R4")
    suggested, _, _ = first_suggestion(methodology, r4)
    rv = methodology.post(f"/staff/recommendations/{r4}/suggestions",
                          data={"item_id": suggested, "action": "reject"}, follow_redirects=True)
    assert "will not be suggested for R4 again" in rv.get_data(as_text=True)
    link = link_row(app, r4, suggested)
    assert (link.origin, link.status, link.confirmed_by_id) == ("suggested", "rejected", None)
    assert first_suggestion(methodology, r4)[0] != suggested


@pytest.mark.parametrize("data, message", [
    ({}, "Choose a suggested item"),
    ({"item_id": "abc"}, "Choose a suggested item"),
    ({"item_id": "1", "action": "delete"}, "Choose a suggested item"),
    ({"item_id": "999999"}, "not in the current version of any framework"),
])
def test_invalid_suggestion_forms_write_nothing(app, methodology, data, message):
    before = counts(app)
    rv = methodology.post(f"/staff/recommendations/{rec_id(app, 'R4')}/suggestions", data=data)
    assert rv.status_code == 400 and message in rv.get_data(as_text=True)
    assert counts(app) == before


def test_accepting_an_item_already_linked_is_refused(app, methodology):
    r4 = rec_id(app, "R4")
    before = counts(app)
    rv = methodology.post(f"/staff/recommendations/{r4}/suggestions", data={"item_id": item_id(app, "4.1.1")})
    assert rv.status_code == 400
    assert "R4 is already linked to 4.1.1 (confirmed)." in rv.get_data(as_text=True)
    assert counts(app) == before


def test_items_of_older_framework_versions_are_not_suggested_or_accepted(app, methodology):
    with app.app_context():
        old = Framework(key="hmip-probation-2019", name="Old standards", version="2018",
                        created_at=dt.datetime(2018, 1, 1))
        db.session.add(FrameworkItem(framework=old, code="4.1.1", title="Unpaid work allocation",
                                     text="Is the allocated work suitable, taking account of diversity?"))
        db.session.commit()
        old_item = db.session.scalar(select(FrameworkItem.id).where(FrameworkItem.framework_id == old.id))
    r4 = rec_id(app, "R4")
    html = methodology.get(f"/staff/recommendations/{r4}/links").get_data(as_text=True)
    assert f'id="suggestion-{old_item}"' not in html
    rv = methodology.post(f"/staff/recommendations/{r4}/suggestions", data={"item_id": old_item})
    assert rv.status_code == 400


# --- add by code -------------------------------------------------------------------------


def test_add_a_link_by_code(app, methodology, demo):
    r4, unpaid = rec_id(app, "R4"), item_id(app, "4.1.3")
    rv = methodology.post(f"/staff/recommendations/{r4}/links", data={"code": " 4.1.3 "})
    assert rv.status_code == 302
    link = link_row(app, r4, unpaid)
    assert (link.origin, link.status, link.confirmed_by_id) == ("manual", "confirmed", demo["methodology"])
    events = link_events(app, link.id)
    assert [(e.field, e.user_id) for e in events] == [("created", demo["methodology"])]
    created = json.loads(events[0].new)
    assert created["origin"] == "manual" and created["item_id"] == str(unpaid)
    page = methodology.get(f"/staff/recommendations/{r4}/links").get_data(as_text=True)
    assert "R4 is linked to 4.1.3" in page and "Added by staff" in page

    # Codes in another framework, any case, and what the reference finder understands.
    assert methodology.post(f"/staff/recommendations/{r4}/links", data={"code": "so3"}).status_code == 302
    assert link_row(app, r4, item_id(app, "SO3")).origin == "manual"
    assert methodology.post(f"/staff/recommendations/{r4}/links",
                            data={"code": "strategic objective 2"}).status_code == 302
    assert link_row(app, r4, item_id(app, "SO2")) is not None


def test_an_unknown_code_is_refused_with_close_codes(app, methodology):
    r4 = rec_id(app, "R4")
    before = counts(app)
    rv = methodology.post(f"/staff/recommendations/{r4}/links", data={"code": "4.1.9"})
    assert rv.status_code == 400
    html = rv.get_data(as_text=True)
    assert "govuk-error-summary" in html and 'href="#code"' in html
    assert "No standard or objective has the code &#39;4.1.9&#39;. Did you mean 4.1.1, 4.1.2, 4.1.3 or 4.1?" in html
    assert 'value="4.1.9"' in html  # the input is kept
    assert counts(app) == before
    rv = methodology.post(f"/staff/recommendations/{r4}/links", data={"code": "99.99"})
    assert rv.status_code == 400 and "codes look like 4.1.3 or SO2" in rv.get_data(as_text=True)
    rv = methodology.post(f"/staff/recommendations/{r4}/links", data={"code": "  "})
    assert rv.status_code == 400 and "Enter the code of a standard or objective" in rv.get_data(as_text=True)
    assert counts(app) == before


def test_a_duplicate_link_is_refused_and_a_rejected_one_confirmed_again(app, methodology, demo):
    r4, code = rec_id(app, "R4"), item_id(app, "4.1.1")
    before = counts(app)
    rv = methodology.post(f"/staff/recommendations/{r4}/links", data={"code": "4.1.1"})
    assert rv.status_code == 400
    assert "R4 is already linked to 4.1.1 (confirmed)." in rv.get_data(as_text=True)
    assert counts(app) == before

    link = link_row(app, r4, code)
    assert methodology.post(f"/staff/links/{link.id}/reject", data={"version": link.version_id}).status_code == 302
    rv = methodology.post(f"/staff/recommendations/{r4}/links", data={"code": "4.1.1"}, follow_redirects=True)
    assert "R4 is linked again to 4.1.1" in rv.get_data(as_text=True)
    again = link_row(app, r4, code)
    assert again.id == link.id and again.status == "confirmed" and again.origin == "explicit"
    assert again.confirmed_by_id == demo["methodology"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Link).where(
            Link.recommendation_id == r4, Link.item_id == code)) == 1
    assert [(e.old, e.new) for e in link_events(app, link.id) if e.field == "status"] == [
        ("confirmed", "rejected"), ("rejected", "confirmed")]


def test_a_code_in_two_frameworks_needs_a_framework_choice(app, methodology):
    with app.app_context():
        other = Framework(key="other-standards", name="Other standards", version="1")
        db.session.add(FrameworkItem(framework=other, code="4.1.3", title="Another 4.1.3"))
        db.session.commit()
        other_id = other.id
    r4 = rec_id(app, "R4")
    page = methodology.get(f"/staff/recommendations/{r4}/links").get_data(as_text=True)
    assert f'<option value="{other_id}">Other standards (1)</option>' in page
    before = counts(app)
    rv = methodology.post(f"/staff/recommendations/{r4}/links", data={"code": "4.1.3", "framework": ""})
    assert rv.status_code == 400
    assert "The code &#39;4.1.3&#39; is used in more than one framework" in rv.get_data(as_text=True)
    assert counts(app) == before
    rv = methodology.post(f"/staff/recommendations/{r4}/links", data={"code": "4.1.3", "framework": str(other_id)})
    assert rv.status_code == 302
    assert link_row(app, r4, item_id(app, "4.1.3", "other-standards")) is not None
    assert link_row(app, r4, item_id(app, "4.1.3", "hmip-probation-2019")) is None


def test_links_of_a_deleted_recommendation_cannot_change(app, methodology):
    r6 = rec_id(app, "R6")
    link_id = add_proposed_link(app, r6, item_id(app, "4.2"))
    with app.app_context():
        db.session.get(Recommendation, r6).deleted_at = dt.datetime(2021, 1, 1)
        db.session.commit()
    html = methodology.get(f"/staff/recommendations/{r6}/links").get_data(as_text=True)
    assert "This recommendation was deleted" in html and 'action="/staff/links/' not in html
    before = counts(app)
    for url, data in [(f"/staff/recommendations/{r6}/links", {"code": "1.1"}),
                      (f"/staff/recommendations/{r6}/suggestions", {"item_id": item_id(app, "1.1")}),
                      (f"/staff/links/{link_id}/confirm", {"version": 1})]:
        rv = methodology.post(url, data=data)
        assert rv.status_code == 409 and "Restore it before changing its links" in rv.get_data(as_text=True)
    assert counts(app) == before


def test_a_link_made_at_the_same_moment_is_a_conflict(app, methodology, monkeypatch):
    """The existence check passed, but the unique constraint catches the second row."""
    from consultations import linking

    monkeypatch.setattr(linking, "existing_link", lambda session, rec, item: None)
    before = counts(app)
    rv = methodology.post(f"/staff/recommendations/{rec_id(app, 'R4')}/links", data={"code": "4.1.1"})
    assert rv.status_code == 409 and "Someone linked the same item at the same moment" in rv.get_data(as_text=True)
    assert counts(app) == before


# --- roles -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "policy", "approver", "admin"])
def test_only_methodology_changes_links(app, demo, sign_in, role):
    client = sign_in(role)
    r4 = rec_id(app, "R4")
    link = link_row(app, r4, item_id(app, "4.1.1"))
    before = counts(app)
    for url, data in [
        (f"/staff/links/{link.id}/confirm", {"version": link.version_id}),
        (f"/staff/links/{link.id}/reject", {"version": link.version_id}),
        (f"/staff/recommendations/{r4}/suggestions", {"item_id": item_id(app, "1.2")}),
        (f"/staff/recommendations/{r4}/links", {"code": "4.1.3"}),
    ]:
        assert client.post(url, data=data).status_code == 403, url
    assert counts(app) == before
    # They read every page, without the forms.
    html = client.get(f"/staff/recommendations/{r4}/links").get_data(as_text=True)
    assert "Only the methodology team can change links." in html
    assert "<form method=\"post\" action=\"/staff/links/" not in html and "Add link" not in html
    assert client.get(f"/staff/items/{item_id(app, '4.1.1')}").status_code == 200
    assert client.get("/staff/coverage").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(app, client, demo):
    r4 = rec_id(app, "R4")
    for rv in (client.get(f"/staff/recommendations/{r4}/links"), client.get("/staff/coverage"),
               client.post(f"/staff/recommendations/{r4}/links", data={"code": "1.1"})):
        assert rv.status_code == 302 and "/sign-in" in rv.headers["Location"]


# --- a second consultation, decisions, item page and coverage -----------------------------


def second_consultation(app) -> dict:
    """Consultation B with responses, links and decisions, plus decisions on the demo's A.

    Expected, for the probation framework (A = the demo consultation, B = this one):
      4.1.1: A 1/1 (R4 accepted); B 3/3 (B1 accepted, B2 duplicates B1, B6 newest accepted in part)
      4.1.2: A 1/0 (R5); B 1/1 (B6)
      1.1:   A 2/1 (R1.1 accepted in part, R2.1's decision deleted); B 1/0 (B5: own decision wins)
      4.1.3: A 1/0 (R3 not accepted)
    """
    with app.app_context():
        s = db.session
        items = {i.code: i for i in s.scalars(select(FrameworkItem).join(Framework)
                                               .where(Framework.key == "hmip-probation-2019"))}
        a = {r.key: r for r in s.scalars(select(Recommendation).join(Response).join(Consultation)
                                          .where(Consultation.slug == DEMO_SLUG))}
        consultation = Consultation(slug="unpaid-work-2021", title="Unpaid work review 2021",
                                    body="HM Inspectorate of Probation", opens_on=dt.date(2021, 5, 1))
        institute = Respondent(name="Probation Institute", consent="named")
        response = Response(consultation=consultation, respondent=institute, text="")
        deleted_response = Response(consultation=consultation, respondent=Respondent(name="Withdrawn Ltd"),
                                    text="", deleted_at=dt.datetime(2021, 6, 1))

        def rec(key, response=response, **values):
            return Recommendation(response=response, key=key, sequence=int(re.sub(r"\D", "", key) or 0),
                                  text=f"{key}: unpaid work placements for women", **values)

        b1, b3, b4, b6 = rec("B1"), rec("B3"), rec("B4", deleted_at=dt.datetime(2021, 7, 1)), rec("B6")
        b2, b5 = rec("B2", duplicate_of=b1), rec("B5", duplicate_of=b1)
        gone = rec("B9", response=deleted_response)
        s.add_all([
            Link(recommendation=b1, item=items["4.1.1"], origin="manual", status="confirmed"),
            Link(recommendation=b2, item=items["4.1.1"], origin="suggested", status="proposed"),
            Link(recommendation=b3, item=items["4.1.1"], origin="suggested", status="rejected"),
            Link(recommendation=b4, item=items["4.1.1"], origin="manual", status="confirmed"),
            Link(recommendation=b5, item=items["1.1"], origin="manual", status="confirmed"),
            Link(recommendation=b6, item=items["4.1.1"], origin="manual", status="confirmed"),
            Link(recommendation=b6, item=items["4.1.2"], origin="manual", status="confirmed"),
            Link(recommendation=gone, item=items["4.1.1"], origin="manual", status="confirmed"),
            Decision(recommendation=b1, outcome="accepted", state="approved"),
            Decision(recommendation=b5, outcome="not accepted"),
            Decision(recommendation=b6, outcome="not accepted"),
            Decision(recommendation=b6, outcome="accepted in part"),
            Decision(recommendation=b3, outcome="accepted"),  # its link is rejected: not counted
            Decision(recommendation=a["R4"], outcome="accepted", state="published"),
            Decision(recommendation=a["R3"], outcome="not accepted"),
            Decision(recommendation=a["R1.1"], outcome="accepted in part"),
            Decision(recommendation=a["R2.1"], outcome="accepted", deleted_at=dt.datetime(2021, 1, 1)),
        ])
        s.commit()
        return {"consultation": consultation.id, "b1": b1.id, "b2": b2.id, "b5": b5.id}


def test_item_page_lists_recommendations_across_consultations(app, methodology):
    ids = second_consultation(app)
    rv = methodology.get(f"/staff/items/{item_id(app, '4.1.1')}")
    assert rv.status_code == 200
    html = rv.get_data(as_text=True)
    page = text_of(html)
    assert html.count("<h1") == 1
    assert "Is the allocated work suitable" in page
    assert "Part of" in page and "4 Unpaid work and Through the Gate" in page and "4.1 Unpaid work" in page
    assert "Linked recommendations (4)" in page  # R4 in A; B1, B2, B6 in B
    demo_table = text_of(section(html, f'id="consultation-{DEMO_SLUG}"', "</table>"))
    assert "Inspection of probation providers: proposed changes 2019" in demo_table
    assert "Clinks" in demo_table and "R4" in demo_table and "Accepted" in demo_table
    review = section(html, 'id="consultation-unpaid-work-2021"', "</table>")
    assert "Unpaid work review 2021" in review and "Probation Institute" in review
    assert f'href="/staff/recommendations/{ids["b1"]}"' in review
    rows = [text_of(row) for row in review.split("<tr")[2:]]
    assert "B1" in rows[0] and "Accepted" in rows[0] and "Approved" in rows[0]
    assert "B2" in rows[1] and "Accepted" in rows[1] and "decided for the group" in rows[1]
    assert "Proposed" in rows[1] and "Suggested by the tracker" in rows[1]
    assert "B6" in rows[2] and "Accepted in part" in rows[2]
    for left_out in ("B3", "B4", "B9", "Withdrawn Ltd"):
        assert left_out not in review
    # Children of an item are listed and linked.
    unpaid = methodology.get(f"/staff/items/{item_id(app, '4.1')}").get_data(as_text=True)
    assert f'href="/staff/items/{item_id(app, "4.1.3")}"' in unpaid
    assert "No recommendation is linked to this item yet." in unpaid
    assert methodology.get("/staff/items/999999").status_code == 404


def test_coverage_matrix_counts_linked_and_accepted(app, methodology):
    second_consultation(app)
    rv = methodology.get("/staff/coverage")
    assert rv.status_code == 200
    html = rv.get_data(as_text=True)
    assert html.count("<h1") == 1
    # Accessible: a caption, column headers and row headers with scope.
    assert "<caption" in html and 'scope="col"' in html and 'scope="row"' in html
    parsed = table(html)
    assert parsed.header[0] == "Item" and parsed.header[-1] == "Total"
    b = parsed.header.index("Unpaid work review 2021")
    a = parsed.header.index("Inspection of probation providers: proposed changes 2019")
    assert b < a  # newest consultation first
    expected = {
        "4.1.1": {a: (1, 1), b: (3, 3), -1: (4, 4)},
        "4.1.2": {a: (1, 0), b: (1, 1), -1: (2, 1)},
        "4.1.3": {a: (1, 0), b: (0, 0), -1: (1, 0)},
        "4.2.1": {a: (0, 0), b: (0, 0), -1: (0, 0)},
        # Parent items are totals of their branch, each recommendation once: B6 is linked to
        # 4.1.1 and 4.1.2 and counts once in 4.1 and in 4.
        "4.1": {b: (3, 3)},
        "4": {b: (3, 3)},
        "1.1": {b: (1, 0)},
    }
    for code, cells in expected.items():
        row = parsed.rows[f"coverage-{code}"]
        assert {column: pair(row[column]) for column in cells} == cells, code
    # Rows in tree order, every current item of the default (standards) framework.
    codes = [row_id.removeprefix("coverage-") for row_id in parsed.rows]
    assert codes[:4] == ["1", "1.1", "1.1.1", "1.1.2"] and len(codes) == 48
    assert "app-coverage__item--depth-2" in section(html, 'id="coverage-4.1.1"', "</tr>")
    # Parent rows are marked as totals, in words; leaf rows are not.
    for code in ("4", "4.1", "1.1"):
        row = section(html, f'id="coverage-{code}"', "</tr>")
        assert f'app-coverage__row--total" id="coverage-{code}"' in html, code
        assert "Totals, with its sub-items" in text_of(row), code
        assert all(cell.startswith("Total ") for cell in parsed.rows[f"coverage-{code}"][1:]), code
    leaf = section(html, 'id="coverage-4.1.1"', "</tr>")
    assert "Total" not in text_of(leaf) and 'app-coverage__row--total" id="coverage-4.1.1"' not in html
    # Every non-empty count links to the recommendations list filtered to the standard (and its
    # consultation); the Total column to the standard in every consultation.
    with app.app_context():
        b_id = db.session.scalar(select(Consultation.id).where(Consultation.slug == "unpaid-work-2021"))
    assert f'href="/staff/recommendations?standard=4.1.1&amp;consultation={b_id}"' in leaf
    assert 'href="/staff/recommendations?standard=4.1.1"' in leaf
    assert "/staff/recommendations?standard=4.2.1" not in html, "an empty cell is not a link"
    # Cells are shaded by count (the number is always there as text); the fullest cells darkest.
    cells = re.findall(r'<td class="[^"]*app-coverage__cell--shade-(\d)">(.*?)</td>', html, flags=re.S)
    assert len(cells) == 48 * 2
    assert all((level == "0") == text_of(content).startswith(("0 /", "Total 0 /")) for level, content in cells)
    most = max(pair(text_of(content))[0] for _, content in cells)
    assert {level for level, content in cells if pair(text_of(content))[0] == most} == {"4"}
    # The footer counts each recommendation once, however many items it is linked to.
    footer = text_of(section(html, "<tfoot", "</tfoot>"))
    assert "Any item in this framework" in footer
    assert re.findall(r"(\d+) / (\d+) \(", footer) == [("4", "3"), ("13", "2"), ("17", "5")]


def test_each_coverage_count_matches_the_list_it_links_to(app, methodology):
    second_consultation(app)
    html = methodology.get("/staff/coverage").get_data(as_text=True)
    parsed = table(html)
    checked = 0
    for code in ("1", "1.1", "4", "4.1", "4.1.1", "4.1.2"):
        row = section(html, f'id="coverage-{code}"', "</tr>")
        for href, label in re.findall(r'<a class="govuk-link app-coverage__link" href="([^"]+)">(.*?)</a>', row):
            listed = methodology.get(href.replace("&amp;", "&"))
            assert listed.status_code == 200
            linked = pair(text_of(label))[0]
            assert re.search(rf"of {linked} recommendations?\b", text_of(listed.get_data(as_text=True))), (code, href)
            checked += 1
    assert checked >= 10 and parsed.rows


def test_coverage_for_another_framework_and_bad_choices(app, methodology):
    with app.app_context():
        suer = db.session.scalar(select(Framework.id).where(Framework.key == "hmip-suer-2019"))
        retired = db.session.scalars(select(FrameworkItem).where(FrameworkItem.code == "SO3")).one()
        retired.retired_at = dt.datetime(2022, 1, 1)
        db.session.commit()
    html = methodology.get(f"/staff/coverage?framework={suer}").get_data(as_text=True)
    assert list(table(html).rows) == ["coverage-SO1", "coverage-SO2"]  # SO3 is retired
    assert f'<option value="{suer}" selected>' in html
    assert methodology.get("/staff/coverage?framework=999999").status_code == 404
    assert methodology.get("/staff/coverage?framework=abc").status_code == 404


def test_coverage_with_nothing_imported(app, sign_in):
    html = sign_in("viewer").get("/staff/coverage").get_data(as_text=True)
    assert "No frameworks have been imported yet." in html


def test_framework_page_links_items_to_item_pages(app, methodology):
    html = methodology.get("/staff/frameworks/hmip-probation-2019/2019").get_data(as_text=True)
    assert f'href="/staff/items/{item_id(app, "4.1.1")}"' in html


# --- query counts ----------------------------------------------------------------------------


def add_consultations_with_links(app, start: int, stop: int, new_items: int = 0) -> None:
    """More consultations, each with a response, linked recommendations and decisions,
    and more items in the probation framework."""
    with app.app_context():
        s = db.session
        framework = s.scalar(select(Framework).where(Framework.key == "hmip-probation-2019"))
        target = s.scalar(select(FrameworkItem).where(FrameworkItem.framework_id == framework.id,
                                                      FrameworkItem.code == "4.1.1"))
        for n in range(start, stop):
            consultation = Consultation(slug=f"extra-{n}", title=f"Extra {n}", body="Body")
            response = Response(consultation=consultation, respondent=Respondent(name=f"Org {n}"), text="")
            for k in range(3):
                rec = Recommendation(response=response, key=f"R{k}", sequence=k, text="Unpaid work")
                s.add_all([Link(recommendation=rec, item=target, origin="manual", status="confirmed"),
                           Decision(recommendation=rec, outcome="accepted")])
        for n in range(new_items):
            parent = FrameworkItem(framework=framework, code=f"{90 + start + n}", title="New", position=900 + n)
            child = FrameworkItem(framework=framework, code=f"{90 + start + n}.1", parent=parent, position=900 + n)
            s.add_all([parent, child])
        s.commit()


def test_coverage_runs_the_same_queries_for_few_and_many(app, methodology):
    with count_statements(app) as few:
        assert methodology.get("/staff/coverage").status_code == 200
    add_consultations_with_links(app, 0, 6, new_items=5)
    with count_statements(app) as many:
        html = methodology.get("/staff/coverage").get_data(as_text=True)
    assert "Extra 5" in html and 'id="coverage-94.1"' in html
    assert len(many) == len(few) <= 8  # six, and a read of the publication stamp per kept count (count_cache)


def test_item_page_runs_the_same_queries_for_few_and_many(app, methodology):
    target = item_id(app, "4.1.1")
    with count_statements(app) as few:
        assert methodology.get(f"/staff/items/{target}").status_code == 200
    second_consultation(app)
    add_consultations_with_links(app, 0, 6)
    with count_statements(app) as many:
        html = methodology.get(f"/staff/items/{target}").get_data(as_text=True)
    assert "Linked recommendations (22)" in html  # 1 + 3 + 6 x 3
    assert len(many) == len(few) <= 5


def test_links_page_queries_do_not_grow_with_links_or_frameworks(app, methodology, demo):
    r4 = rec_id(app, "R4")
    assert methodology.post(f"/staff/recommendations/{r4}/links", data={"code": "1.2"}).status_code == 302
    with count_statements(app) as few:
        assert methodology.get(f"/staff/recommendations/{r4}/links").status_code == 200
    with app.app_context():
        for n in range(3):
            framework = Framework(key=f"extra-{n}", name=f"Extra framework {n}", version="1")
            db.session.add_all([FrameworkItem(framework=framework, code=f"E{n}.{k}", title="Unpaid work")
                                for k in range(4)])
        db.session.commit()
    for code in ("4.1.2", "4.1.3", "SO1", "SO2"):
        add_proposed_link(app, r4, item_id(app, code))
    with app.app_context():
        db.session.add(Link(recommendation_id=r4, item_id=item_id(app, "E0.1"), origin="manual",
                            status="confirmed", confirmed_by_id=demo["admin"]))
        db.session.commit()
    with count_statements(app) as many:
        html = methodology.get(f"/staff/recommendations/{r4}/links").get_data(as_text=True)
    assert "Extra framework 2" in html and "Proposed, waiting to be confirmed (4)" in html
    assert "by Admin" in html and "by Methodology" in html
    assert len(many) == len(few)
