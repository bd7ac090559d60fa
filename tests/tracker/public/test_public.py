"""Public pages: what we asked, what you said, what we did; and nothing unpublished ever leaks."""
from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from flask import render_template
from sqlalchemy import insert, select

from conftest import count_statements
from consultations.models import (
    Consultation, Framework, FrameworkItem, Link, Question, Recommendation, Respondent, Response,
)
from consultations.workflow import Action, ActionUpdate, Decision
from tracker.public.pages import bar_chart, group_by_question, outcome_counts, page_of_groups
from consultations.published import public_outline, public_recommendations
from consultations.organisation_types import named as named_type
from tracker.commands.demo_workflow import demo_date


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


SLUG = "probation-inspection-changes-2019"
CONFIDENTIAL_NAME = "Sealed Secret Trust"
CONFIDENTIAL_TEXT = "Inspect the hidden annex of every probation office."
ANONYMOUS_NAME = "Quiet Anonymous Charity"
ANONYMOUS_TEXT = "Ask faith groups how they support people on probation."
CONTACTS = ["sealed@example.org", "quiet@example.org", "clinks-contact@example.org", "020 7946 0000"]
# Working copies, internal notes and internal updates from the demo (tracker/commands/demo_workflow.py).
SECRETS = [
    "Need data from providers on how the 20% education time is used",  # R3: a draft decision
    "Domain one already asks how well providers work together",  # R8: approved, not published
    "publish with the autumn outcome report",  # R8's internal note
    "Check with the Chief Inspector's office",  # R1's internal note
    "Raised at the methodology board",  # R4's internal note
    "Legal advice on a separate standard",  # R5's internal note
    "Waiting for the unpaid work lead to sign off the draft",  # an internal update on R5's action
]


def publish(session, rec, outcome="accepted", rationale="Yes.", note="an internal note"):
    decision = Decision(recommendation=rec, outcome=outcome, public_rationale=rationale, internal_note=note,
                        state="published", published_outcome=outcome, published_rationale=rationale,
                        published_at=dt.datetime(2020, 1, 1, 10))
    session.add(decision)
    session.flush()
    return decision


def rec_by_key(session, key: str) -> Recommendation:
    return session.scalar(select(Recommendation).where(Recommendation.key == key, Recommendation.origin != "test"))


@pytest.fixture
def demo(demo_app, session):
    """The demo, plus a confidential and an anonymous respondent with published decisions and contact details."""
    consultation = session.scalar(select(Consultation).where(Consultation.slug == SLUG))
    r4 = rec_by_key(session, "R4")
    clinks = r4.response.respondent
    clinks.contact_details = "clinks-contact@example.org, 020 7946 0000"
    for name, consent, text in [(CONFIDENTIAL_NAME, "confidential", CONFIDENTIAL_TEXT),
                                (ANONYMOUS_NAME, "anonymous", ANONYMOUS_TEXT)]:
        respondent = Respondent(name=name, consent=consent, organisation_type=named_type(session, "faith"),
                                contact_details=f"{name.split()[0].lower()}@example.org")
        response = Response(consultation=consultation, respondent=respondent, text=f"{name} says: {text}")
        rec = Recommendation(response=response, key="R1", sequence=1, text=text, origin="test")
        # The same respondent also repeats Clinks' R4: a duplicate that shares R4's decision.
        duplicate = Recommendation(response=response, key="R2", sequence=2, origin="test",
                                   text=f"We agree about gendered needs ({consent}).", duplicate_of=r4)
        session.add_all([rec, duplicate])
        publish(session, rec, "not accepted", f"We decided against this point ({consent}).")
    session.commit()
    return session


def respondent_id(session, name: str) -> int:
    return session.scalar(select(Respondent.id).where(Respondent.name == name))


def rec_id(session, text: str) -> int:
    return session.scalar(select(Recommendation.id).where(Recommendation.text == text))


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return html_lib.unescape(response.get_data(as_text=True))


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- the chart geometry -------------------------------------------------------------------


def test_bar_chart_scales_bars_to_the_largest_value():
    chart = bar_chart([("Accepted", 4), ("Not accepted", 2), ("Under consideration", 0)], "By outcome",
                      width=500, label_width=150, bar_height=20, gap=10)
    assert chart["title"] == "By outcome"
    assert chart["desc"] == "Accepted: 4; Not accepted: 2; Under consideration: 0"
    accepted, not_accepted, nothing = chart["bars"]
    assert accepted["width"] == 500 - 150 - 60 and not_accepted["width"] == accepted["width"] / 2
    assert nothing["width"] == 0
    assert [bar["x"] for bar in chart["bars"]] == [150, 150, 150]
    assert [bar["y"] for bar in chart["bars"]] == [0, 30, 60]
    assert all(bar["height"] == 20 for bar in chart["bars"])
    assert chart["height"] == 80 and chart["width"] == 500
    assert accepted["label"] == "Accepted" and accepted["value"] == 4
    assert accepted["value_x"] > accepted["x"] + accepted["width"]  # the value is written after the bar


def test_bar_chart_without_data():
    chart = bar_chart([], "Nothing")
    assert chart["bars"] == [] and chart["desc"] == "No data yet." and chart["height"] > 0
    assert [bar["width"] for bar in bar_chart([("A", 0), ("B", 0)], "Zeros")["bars"]] == [0, 0]


# --- pages ------------------------------------------------------------------------------


def test_home_explains_the_service_and_links_onwards(client, demo):
    html = get(client, "/")
    assert html.count("<h1") == 1 and "What you said, what we did" in html
    assert 'href="/consultations/"' in html and 'href="/search"' in html
    assert 'href="/sign-in"' in html and "Staff sign in" in html
    assert "/static/public.css" in html and 'media="print"' in html


def test_consultations_list_public_ones_with_status_and_dates(client, demo):
    demo.add(Consultation(slug="secret-draft", title="A draft consultation nobody may see", body="B", status="draft"))
    demo.add(Consultation(slug="open-one", title="An open consultation", body="B", status="open",
                          opens_on=dt.date(2030, 1, 2)))
    demo.commit()
    html = get(client, "/consultations/")
    text = text_of(html)
    assert "Inspection of probation providers: proposed changes 2019" in text
    assert f'href="/consultations/{SLUG}"' in html
    assert "Analysing" in text and "25 March 2019" in text and "22 April 2019" in text
    assert "An open consultation" in text and "Open" in text and "2 January 2030" in text
    assert "A draft consultation nobody may see" not in html
    get(client, "/consultations/secret-draft", 404)
    get(client, "/consultations/no-such-consultation", 404)


def test_outcome_page_groups_by_question(client, demo):
    html = get(client, f"/consultations/{SLUG}")
    text = text_of(html)
    assert html.count("<h1") == 1
    assert "What we asked" in text and "What you said, what we did" in text
    assert "Will our revised questions and prompts allow us to judge" in text  # question 1
    # Published: R1, R4, R5, R9 from Clinks, the anonymous respondent's point and its duplicate of R4.
    assert "We have published our decision on 6 recommendations" in text
    assert ": 3 accepted, 2 accepted in part, 1 not accepted. We are taking 4 actions, 1 of them overdue." in text
    for key in ("R1", "R4", "R5", "R9"):
        assert f'href="/recommendations/{rec_by_key(demo, key).id}"' in html
    assert html.index("Question 1") < html.index("Question 4") < html.index("Other recommendations")
    r1 = rec_by_key(demo, "R1")
    assert html.index("Other recommendations") < html.index(f'href="/recommendations/{r1.id}"')
    assert f'href="/respondents/{respondent_id(demo, "Clinks")}">Clinks</a>' in html
    assert "A faith organisation" in text and ANONYMOUS_TEXT in text
    assert "also made by A faith organisation" in text  # on R4
    assert "<strong>childcare responsibilities</strong>" in html  # rationale rendered from Markdown
    assert "60% done" in text and "Overdue" in text  # R5's action, due a fortnight ago
    assert "Draft guidance shared with women's centres for comment." in text  # a public update


def test_outcome_page_groups_by_standard(client, demo):
    html = get(client, f"/consultations/{SLUG}?by=standard")
    text = text_of(html)
    assert 'href="/standards/hmip-probation-2019/4.1.1"' in html and 'href="/standards/hmip-suer-2019/SO1"' in html
    assert "Not linked to a standard" in text and "Other recommendations" not in text
    assert html.index("4.1.1") < html.index("4.1.2") < html.index("Not linked to a standard")
    assert f'href="/consultations/{SLUG}"' in html  # back to grouping by question


def test_outcome_page_charts_are_accessible_svg_with_a_data_table(client, demo):
    html = get(client, f"/consultations/{SLUG}").split("<main", 1)[1].split("</main>")[0]
    assert html.count('role="img"') == 2 and html.count("<svg") == 2
    assert "<title id=\"chart-outcomes-title\">Recommendations by what we decided</title>" in html
    assert "<desc id=\"chart-outcomes-desc\">Accepted: 3; Accepted in part: 2; Not accepted: 1</desc>" in html
    assert "<desc id=\"chart-actions-desc\">Not started: 1; In progress: 1; Implemented: 2</desc>" in html
    assert html.count("Show the data") == 2
    table = html[html.index('<table class="govuk-table">'):html.index("</table>")]
    assert "<caption" in table and 'scope="col"' in table and 'scope="row"' in table
    assert re.search(r'Accepted</th>\s*<td class="govuk-table__cell govuk-table__cell--numeric">3</td>', table)
    assert "<script" not in html  # no JavaScript for the charts


def test_outcome_page_without_published_decisions(client, demo):
    demo.add(Consultation(slug="fresh", title="A fresh consultation", body="B", status="open"))
    demo.commit()
    html = get(client, "/consultations/fresh")
    assert "We have not published any decisions on this consultation yet." in html
    assert "app-chart" not in html


def test_recommendation_page_is_citable(client, demo):
    r5 = rec_by_key(demo, "R5")
    html = get(client, f"/recommendations/{r5.id}")
    text = text_of(html)
    assert html.count("<h1") == 1 and "Recommendation R5 from Clinks" in text
    assert r5.text in text
    assert f'href="/respondents/{respondent_id(demo, "Clinks")}"' in html
    assert f'href="/consultations/{SLUG}"' in html and "Question 1:" in text
    assert 'href="/standards/hmip-probation-2019/4.1.2"' in html
    assert "Accepted in part" in text and "the guidance for standard 4.1.2 will ask" in text
    published, updated = (long_date(demo_date(day)) for day in (dt.date(2019, 7, 1), dt.date(2020, 1, 15)))
    assert published in text and "We published our decision: Accepted in part." in text
    assert updated in text and "Draft guidance shared with women's centres for comment." in text
    timeline = text[text.index("Timeline"):]
    assert timeline.index(f"{published} We published") < timeline.index(updated)
    assert f"http://localhost/recommendations/{r5.id}" in text


def test_recommendation_page_shows_who_else_made_the_point(client, demo):
    text = text_of(get(client, f"/recommendations/{rec_by_key(demo, 'R4').id}"))
    assert "Also made by A faith organisation" in text
    assert CONFIDENTIAL_NAME not in text


def test_rationale_markdown_is_sanitised(client, demo):
    r9 = rec_by_key(demo, "R9")
    decision = demo.scalar(select(Decision).where(Decision.recommendation_id == r9.id))
    decision.published_rationale = "**Yes**<script>alert('x')</script><img src=x onerror=alert(1)>"
    demo.commit()
    raw = client.get(f"/recommendations/{r9.id}").get_data(as_text=True)
    assert "<strong>Yes</strong>" in raw and "<script>alert" not in raw and "onerror" not in raw


@pytest.mark.parametrize("key", ["R3", "R8", "R2.1"])  # a draft, approved but unpublished, never decided
def test_unpublished_recommendations_are_404(client, demo, key):
    html = get(client, f"/recommendations/{rec_by_key(demo, key).id}", 404)
    assert "Page not found" in html


def test_unknown_or_confidential_recommendations_are_404(client, demo):
    get(client, "/recommendations/999999", 404)
    html = get(client, f"/recommendations/{rec_id(demo, CONFIDENTIAL_TEXT)}", 404)
    assert CONFIDENTIAL_TEXT not in html
    assert get(client, f"/recommendations/{rec_id(demo, ANONYMOUS_TEXT)}")  # anonymous: shown, unnamed


def test_standard_page(client, demo):
    html = get(client, "/standards/hmip-probation-2019/4.1.1")
    text = text_of(html)
    assert html.count("<h1") == 1 and "4.1.1" in text
    item = demo.scalar(select(FrameworkItem).join(Framework).where(
        Framework.key == "hmip-probation-2019", FrameworkItem.code == "4.1.1"))
    assert item.text in text
    assert "Inspection of probation providers: proposed changes 2019" in text
    r4 = rec_by_key(demo, "R4")
    assert f'href="/recommendations/{r4.id}"' in html and "Accepted" in text
    assert rec_by_key(demo, "R5").text not in text  # linked to 4.1.2, not 4.1.1


def test_standard_without_published_recommendations_and_unknown_standards(client, demo):
    assert "We have not published any decisions" in get(client, "/standards/hmip-probation-2019/1.1")
    get(client, "/standards/hmip-probation-2019/99.99", 404)
    get(client, "/standards/no-such-framework/1.1", 404)


def test_named_respondent_page_is_a_printable_outcome_letter(client, demo):
    html = get(client, f"/respondents/{respondent_id(demo, 'Clinks')}")
    text = text_of(html)
    assert html.count("<h1") == 1 and "What we did with the recommendations from Clinks" in text
    for key in ("R1", "R4", "R5", "R9"):
        assert rec_by_key(demo, key).text in text
    assert "R3" not in text and rec_by_key(demo, "R3").text not in text
    assert "2 accepted, 2 accepted in part" in text
    assert 'href="/static/public-print.css" media="print"' in html
    assert "Also made by A faith organisation" in text


@pytest.mark.parametrize("name", [CONFIDENTIAL_NAME, ANONYMOUS_NAME])
def test_only_named_respondents_have_a_page(client, demo, name):
    html = get(client, f"/respondents/{respondent_id(demo, name)}", 404)
    assert name not in html


def test_respondent_pages_404_for_unknown_and_for_nothing_published(client, demo):
    get(client, "/respondents/999999", 404)
    consultation = demo.scalar(select(Consultation).where(Consultation.slug == SLUG))
    waiting = Respondent(name="Still Waiting Trust", consent="named")
    demo.add(Recommendation(response=Response(consultation=consultation, respondent=waiting, text="t"),
                            key="R1", sequence=1, text="Not decided yet."))
    demo.commit()
    get(client, f"/respondents/{waiting.id}", 404)


@pytest.mark.parametrize("consent, shown, has_page", [
    ("named", "Howard League", True), ("anonymous", "A faith organisation", False), ("confidential", None, False)])
def test_each_consent_level_on_the_pages(client, demo, consent, shown, has_page):
    consultation = demo.scalar(select(Consultation).where(Consultation.slug == SLUG))
    respondent = Respondent(name="Howard League", consent=consent, organisation_type=named_type(demo, "faith"),
                            contact_details="howard@example.org")
    rec = Recommendation(response=Response(consultation=consultation, respondent=respondent, text="t"),
                         key="R1", sequence=1, text="Abolish short sentences.")
    demo.add(rec)
    publish(demo, rec)
    demo.commit()
    outcome_page = text_of(get(client, f"/consultations/{SLUG}"))
    rec_page = client.get(f"/recommendations/{rec.id}")
    respondent_page = client.get(f"/respondents/{respondent.id}")
    assert "howard@example.org" not in outcome_page
    if consent == "confidential":
        assert "Abolish short sentences." not in outcome_page and "Howard League" not in outcome_page
        assert rec_page.status_code == 404
    else:
        assert f"Recommendation R1 from {shown}" in outcome_page
        assert rec_page.status_code == 200 and shown in rec_page.get_data(as_text=True)
    if consent == "anonymous":
        assert "Howard League" not in outcome_page and "Howard League" not in rec_page.get_data(as_text=True)
    assert respondent_page.status_code == (200 if has_page else 404)


# --- nothing leaks --------------------------------------------------------------------


def crawl(client, start: str = "/") -> dict[str, str]:
    """Every public page reachable from the home page (staff pages, sign-in and assets left out)."""
    seen: dict[str, str] = {}
    queue = [start, f"/consultations/{SLUG}?by=standard"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        html = get(client, url)
        seen[url] = html
        for href in re.findall(r'href="(/[^"#]*)"', html):
            if href.startswith(("/staff", "/sign-in", "/assets", "/static", "/search")):
                continue
            queue.append(href)
    return seen


def test_nothing_unpublished_or_private_appears_on_any_public_page(client, demo):
    pages = crawl(client)
    r1, r4, r5, r9 = (rec_by_key(demo, key) for key in ("R1", "R4", "R5", "R9"))
    expected = {"/", "/consultations/", f"/consultations/{SLUG}", f"/respondents/{respondent_id(demo, 'Clinks')}",
                *(f"/recommendations/{rec.id}" for rec in (r1, r4, r5, r9)),
                "/standards/hmip-probation-2019/4.1.1", "/standards/hmip-suer-2019/SO2"}
    assert expected <= set(pages)
    unpublished = [rec_by_key(demo, key).text for key in ("R3", "R8", "R2.1")]
    forbidden = [*SECRETS, *CONTACTS, CONFIDENTIAL_NAME, CONFIDENTIAL_TEXT, ANONYMOUS_NAME, *unpublished,
                 "an internal note", "We decided against this point (confidential)",
                 "We agree about gendered needs (confidential)."]
    for url, html in pages.items():
        for secret in forbidden:
            assert secret not in html, f"{secret!r} leaked on {url}"
    assert ANONYMOUS_TEXT in pages[f"/consultations/{SLUG}"]
    assert "We agree about gendered needs (anonymous)." in pages[f"/consultations/{SLUG}"]


def test_a_revised_decision_shows_the_published_text_until_republished(client, demo):
    r4 = rec_by_key(demo, "R4")
    decision = demo.scalar(select(Decision).where(Decision.recommendation_id == r4.id))
    decision.outcome, decision.public_rationale, decision.state = "not accepted", "We changed our mind.", "draft"
    demo.commit()
    for url in (f"/recommendations/{r4.id}", f"/consultations/{SLUG}"):
        html = get(client, url)
        assert "We changed our mind." not in html and "childcare responsibilities" in html


def test_deleted_decisions_and_actions_disappear(client, demo):
    r5 = rec_by_key(demo, "R5")
    decision = demo.scalar(select(Decision).where(Decision.recommendation_id == r5.id))
    action = decision.actions[0]
    action.deleted_at = dt.datetime(2021, 1, 1)
    demo.commit()
    assert action.description not in get(client, f"/recommendations/{r5.id}")
    decision.deleted_at = dt.datetime(2021, 1, 1)
    demo.commit()
    get(client, f"/recommendations/{r5.id}", 404)


# --- error pages --------------------------------------------------------------------------


def test_not_found_page_points_anonymous_visitors_to_public_pages(client, demo):
    html = get(client, "/no/such/page", 404)
    assert "Page not found" in html
    assert 'href="/consultations/"' in html and 'href="/"' in html
    assert "/staff/" not in html


def test_server_error_page_for_anonymous_visitors(app):
    with app.test_request_context("/"):
        app.preprocess_request()
        html = render_template("errors/500.html")
    assert "Sorry, there is a problem with the service" in html
    assert 'href="/consultations/"' in html and "/staff/" not in html


# --- a fixed number of queries ------------------------------------------------------------


def add_published(session, response: Response, questions: list[Question], item: FrameworkItem,
                  start: int, stop: int) -> None:
    """Recommendations with published decisions, an action and two updates each, in bulk."""
    session.execute(insert(Recommendation), [
        {"response_id": response.id, "key": f"R{n}", "sequence": n, "text": f"Point number {n}.", "origin": "test",
         "question_id": questions[n % len(questions)].id if n % 3 else None}
        for n in range(start, stop)])
    rec_ids = session.scalars(select(Recommendation.id).where(
        Recommendation.response_id == response.id, Recommendation.sequence >= start)).all()
    session.execute(insert(Link), [{"recommendation_id": rid, "item_id": item.id, "origin": "manual",
                                    "status": "confirmed"} for rid in rec_ids[::2]])
    session.execute(insert(Decision), [
        {"recommendation_id": rid, "outcome": "accepted", "state": "published", "published_outcome": "accepted",
         "published_rationale": f"Because **{rid}**.", "published_at": dt.datetime(2020, 1, 1)} for rid in rec_ids])
    decision_ids = session.scalars(select(Decision.id).where(Decision.recommendation_id.in_(rec_ids))).all()
    session.execute(insert(Action), [
        {"decision_id": did, "description": f"Do thing {did}", "owner": "Team", "status": "in progress",
         "progress": 50, "due_on": dt.date(2020, 1, 1)} for did in decision_ids])
    action_ids = session.scalars(select(Action.id).where(Action.decision_id.in_(decision_ids))).all()
    session.execute(insert(ActionUpdate), [
        {"action_id": aid, "on": dt.date(2020, 1, day), "text": f"Update {day}", "is_public": day == 1}
        for aid in action_ids for day in (1, 2)])
    session.commit()


def test_outcome_page_runs_a_fixed_number_of_queries(app, client, session):
    framework = Framework(key="fw", name="Framework", version="1")
    item = FrameworkItem(framework=framework, code="1.1", title="Item")
    consultation = Consultation(slug="big", title="Big", body="B", status="outcome published",
                                questions=[Question(number="1", text="Q1"), Question(number="2", text="Q2")])
    response = Response(consultation=consultation, respondent=Respondent(name="Named Org", consent="named"), text="t")
    session.add_all([item, response])
    session.commit()
    add_published(session, response, consultation.questions, item, 1, 4)
    with count_statements(app) as few:
        html = get(client, "/consultations/big")
    assert "3 recommendations" in html
    with count_statements(app) as few_by_standard:
        get(client, "/consultations/big?by=standard")
    with count_statements(app) as few_respondent:
        get(client, f"/respondents/{response.respondent_id}")
    with count_statements(app) as few_standard:
        get(client, "/standards/fw/1.1")
    add_published(session, response, consultation.questions, item, 4, 1001)
    with count_statements(app) as many:
        html = get(client, "/consultations/big")
    assert "1000 recommendations" in html and "page 1 of 20" in html
    with count_statements(app) as many_by_standard:
        get(client, "/consultations/big?by=standard&page=7")
    with count_statements(app) as many_standard:
        html = get(client, "/standards/fw/1.1?page=3")
    assert "Showing 101 to 150 of 501 recommendations: page 3 of 11" in html
    assert len(many) == len(few) <= 13  # the publication stamp (tracker/public/page_cache.py), then the page
    with count_statements(app) as again:  # nothing changed: the content comes from the cache
        get(client, "/consultations/big")
    assert len(again) == 1 and "FROM publication_stamp" in again[0]
    assert len(many_by_standard) == len(few_by_standard) and len(many_standard) == len(few_standard)
    # The respondent's printable letter lists everything at once: SQLAlchemy's selectinload loads
    # links, actions and updates in one query per 500 recommendations, and nothing per row.
    with count_statements(app) as many_respondent:
        get(client, f"/respondents/{response.respondent_id}")
    assert len(many_respondent) - len(few_respondent) == 3


def test_outcome_pages_list_every_recommendation_once(app, client, session):
    """Page after page, in question order, each published recommendation appears exactly once."""
    framework = Framework(key="fw", name="Framework", version="1")
    item = FrameworkItem(framework=framework, code="1.1", title="Item")
    consultation = Consultation(slug="big", title="Big", body="B", status="outcome published",
                                questions=[Question(number="1", text="Q1"), Question(number="2", text="Q2")])
    response = Response(consultation=consultation, respondent=Respondent(name="Named Org", consent="named"), text="t")
    session.add_all([item, response])
    session.commit()
    add_published(session, response, consultation.questions, item, 1, 121)
    for by, headings in (("question", ["Question 1", "Question 2", "Other recommendations"]),
                         ("standard", ["1.1 Item", "Not linked to a standard"])):
        seen, order = [], []
        for page in (1, 2, 3):
            html = get(client, f"/consultations/big?by={by}&page={page}")
            main = html.split('id="main-content"', 1)[1]
            seen += [int(n) for n in re.findall(r'<blockquote class="app-quote govuk-body">Point number (\d+)\.', main)]
            order += re.findall(r'<h3 class="govuk-heading-m" id="[^"]+">(?:<a[^>]*>)?([^<(]+?)(?:</a>)?(?: \(continued\))?</h3>', main)
        assert sorted(seen) == list(range(1, 121)) and len(seen) == 120
        assert [h for i, h in enumerate(order) if h not in order[:i]] == headings
    assert "(continued)" in get(client, "/consultations/big?page=2")
    assert "page 3 of 3" in get(client, "/consultations/big?page=99")  # past the end: the last page


def test_grouping_helpers_without_a_request(demo):
    consultation = demo.scalar(select(Consultation).where(Consultation.slug == SLUG))
    outline = public_outline(demo, consultation.id)
    groups = group_by_question(outline, consultation.questions)
    assert [g.heading for g in groups] == ["Question 1", "Question 4", "Other recommendations"]
    assert sorted(i for g in groups for i in g.rec_ids) == sorted(r.id for r in public_recommendations(demo))
    assert outcome_counts(row.outcome for row in outline) == [("Accepted", 3), ("Accepted in part", 2),
                                                              ("Not accepted", 1)]
    shown, pages = page_of_groups(groups, 2, 2)
    assert pages == 3 and sum(len(g.rec_ids) for g in shown) == 2
    assert [len(g.rec_ids) for g in groups] == [2, 1, 3] and [g.first_page for g in groups] == [1, 2, 2]
    assert [(g.heading, g.continued) for g in shown] == [("Question 4", False), ("Other recommendations", False)]