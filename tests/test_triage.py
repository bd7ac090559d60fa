"""Triage: the queue, assignment, review status, managing a response's recommendations
(add, edit, split, merge, move, duplicates, delete and restore), publication consent.

Services in ``consultations.triage`` are tested directly; every workflow is also tested through
the test client as policy staff would use it, with the audit events it leaves behind, stale
edits, refusals that change nothing, roles, and the number of queries the queue runs.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from conftest import count_statements
from consultations import triage
from consultations.models import (
    Consultation,
    Link,
    Question,
    Recommendation,
    Respondent,
    Response,
)
from consultations.triage import TriageError
from tracker import demo_workflow
from tracker.models import AuditEvent, User

SLUG = "probation-inspection-changes-2019"


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


@pytest.fixture
def demo(app, runner, users, session):
    """The demo consultation with the Clinks response (id 1, 18 recommendations), users per role."""
    result = runner.invoke(args=["demo", "load", "--content-only"])
    assert result.exit_code == 0, result.output
    return session


@pytest.fixture
def policy(sign_in, demo):
    return sign_in("policy")


def clinks(session) -> Response:
    return session.scalars(select(Response).join(Response.respondent).where(Respondent.name == "Clinks")).one()


def rec(session, key: str, response: Response | None = None) -> Recommendation:
    response = response or clinks(session)
    return session.scalars(
        select(Recommendation).where(Recommendation.response_id == response.id, Recommendation.key == key)
    ).one()


def events(session, entity: str, entity_id: int, field: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.entity_type == entity, AuditEvent.entity_id == entity_id)
    if field:
        query = query.where(AuditEvent.field == field)
    return list(session.scalars(query.order_by(AuditEvent.id)))


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def snapshot(session) -> dict:
    """Everything a triage action could change, to compare before and after a refusal."""
    session.expire_all()
    return {
        "recommendations": [
            (r.id, r.key, r.sequence, r.text, r.spans, r.parent_id, r.duplicate_of_id, r.question_id,
             r.deleted_at, r.version_id)
            for r in session.scalars(select(Recommendation).order_by(Recommendation.id))
        ],
        "responses": [
            (r.id, r.status, r.assignee_id, r.deleted_at, r.version_id)
            for r in session.scalars(select(Response).order_by(Response.id))
        ],
        "respondents": [
            (r.id, r.consent, r.organisation_type, r.version_id)
            for r in session.scalars(select(Respondent).order_by(Respondent.id))
        ],
        "links": [(link.id, link.recommendation_id, link.item_id) for link in session.scalars(select(Link))],
        "audit": count(session, AuditEvent),
    }


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace("&#39;", "'").replace("&quot;", '"')


def error_summary(html: str) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert match, "no GOV.UK error summary on the page"
    return text_of(match.group(0))


def add_responses(session, n: int, start: int = 0, consultation: Consultation | None = None, **fields):
    """``n`` extra responses, one respondent each, received a day apart from 1 May 2019."""
    consultation = consultation or session.scalars(select(Consultation).where(Consultation.slug == SLUG)).one()
    made = []
    for i in range(start, start + n):
        respondent = Respondent(name=f"Respondent {i:03}", organisation_type=fields.get("org", "charity"))
        response = Response(consultation=consultation, respondent=respondent, text="We recommend things.",
                            received_on=dt.date(2019, 5, 1) + dt.timedelta(days=i),
                            status=fields.get("status", "received"), assignee_id=fields.get("assignee_id"))
        session.add(Recommendation(response=response, key="R1", sequence=1, text=f"Recommendation {i}"))
        made.append(response)
    session.commit()
    return made


# ---------------------------------------------------------------------------
# Services, called directly
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "current, target, allowed",
    [
        ("received", "in review", True),
        ("in review", "recommendations confirmed", True),
        ("recommendations confirmed", "closed", True),
        ("closed", "recommendations confirmed", True),
        ("recommendations confirmed", "in review", True),
        ("in review", "received", True),
        ("received", "closed", False),
        ("received", "recommendations confirmed", False),
        ("closed", "received", False),
        ("closed", "in review", False),
        ("in review", "in review", False),
        ("in review", "published", False),
    ],
)
def test_status_flow_is_one_step_on_or_back(current, target, allowed):
    response = Response(status=current)
    if allowed:
        triage.set_status(response, target)
        assert response.status == target
    else:
        with pytest.raises(TriageError) as refused:
            triage.set_status(response, target)
        assert response.status == current
        assert "can move to" in str(refused.value)
        for move in triage.allowed_statuses(current):
            assert f"'{move}'" in str(refused.value)


def test_status_refusal_names_the_allowed_moves():
    with pytest.raises(TriageError, match=r"cannot move straight to 'closed'\. It can move to 'in review'\."):
        triage.set_status(Response(status="received"), "closed")
    with pytest.raises(TriageError, match=r"It can move to 'closed' or 'in review'\."):
        triage.set_status(Response(status="recommendations confirmed"), "received")
    assert triage.STATUS_FLOW == ("received", "in review", "recommendations confirmed", "closed")


def test_next_key_counts_deleted_keys_and_sub_points(demo):
    session = demo
    response = clinks(session)
    assert triage.next_key(session, response) == "R10"
    assert triage.next_key(session, response, rec(session, "R1")) == "R1.5"
    assert triage.next_key(session, response, rec(session, "R3")) == "R3.1"
    triage.delete_recommendation(session, rec(session, "R9"))
    assert triage.next_key(session, response) == "R10"  # R9 is deleted but its key stays taken
    session.rollback()


def test_add_recommendation_places_it_and_refuses_bad_input(demo):
    session = demo
    response = clinks(session)
    top = triage.add_recommendation(session, response, "  Publish the schedule.  ")
    assert (top.key, top.sequence, top.text, top.origin, top.spans, top.parent_id) == (
        "R10", 19, "Publish the schedule.", "manual", [], None)
    child = triage.add_recommendation(session, response, "Name the lead inspector.", parent=rec(session, "R1"),
                                      question=response.consultation.questions[1])
    # After R1's last sub-point (R1.4, sequence 5); everything after it moves down one.
    assert (child.key, child.sequence, child.parent_id, child.question.number) == ("R1.5", 6, rec(session, "R1").id, "2")
    assert rec(session, "R2").sequence == 7 and rec(session, "R10").sequence == 20

    other = Consultation(slug="other", title="Other", body="Body")
    foreign = Question(consultation=other, number="9", text="Elsewhere?")
    session.add(foreign)
    session.flush()
    for kwargs, message in [
        (dict(text="   "), "Enter the text of the recommendation"),
        (dict(text="x", parent=rec(session, "R1.1")), "is itself a sub-point"),
        (dict(text="x", question=foreign), "not a question of this response's consultation"),
    ]:
        with pytest.raises(TriageError, match=message):
            triage.add_recommendation(session, response, **kwargs)
    session.rollback()


def test_split_keeps_the_first_part_and_anchors_the_second(demo):
    session = demo
    response = clinks(session)
    r3 = rec(session, "R3")
    original_spans = [list(s) for s in r3.spans]
    second_source = response.text[original_spans[1][0]:original_spans[1][1]]
    first, second = r3.text[:60], second_source[10:200]
    new = triage.split_recommendation(session, r3, first, second)
    assert r3.text == first and r3.spans == original_spans
    assert (new.key, new.sequence, new.parent_id, new.question_id, new.origin) == ("R10", 13, None, r3.question_id, "manual")
    assert new.spans == [s for s in original_spans if second[:30] in response.text[s[0]:s[1]]] != []
    assert rec(session, "R4").sequence == 14
    # A sub-point splits into a sibling sub-point; text found nowhere gets no spans.
    child = rec(session, "R2.3")
    sibling = triage.split_recommendation(session, child, "First half.", "Words that are not in the response.")
    assert (sibling.key, sibling.parent_id, sibling.spans) == ("R2.6", child.parent_id, [])
    assert sibling.sequence == child.sequence + 1
    with pytest.raises(TriageError, match="Enter the text of the second part"):
        triage.split_recommendation(session, r3, "Something", " ")
    session.rollback()


def test_merge_loses_nothing(demo):
    session = demo
    keep, same_item, other_item = rec(session, "R1.1"), rec(session, "R2.1"), rec(session, "R2.3")
    far = rec(session, "R8")
    far.duplicate_of = same_item  # a duplicate of a merged one must follow it to the kept one
    session.flush()
    texts = [keep.text, same_item.text, other_item.text]
    spans = [list(s) for r in (keep, same_item, other_item) for s in r.spans]
    triage.merge_recommendations(session, keep, [same_item, other_item])
    assert keep.text == " ".join(texts)
    assert keep.spans == spans
    # R2.1's link is to the same item as R1.1's, so it stays with R2.1; R2.3's link moves.
    assert sorted(link.item_id for link in keep.links) == [5, 7]
    assert [link.item_id for link in same_item.links] == [5]
    for merged in (same_item, other_item):
        assert merged.deleted_at is not None and merged.duplicate_of_id == keep.id
    assert far.duplicate_of_id == keep.id
    # Merging a parent brings its sub-points across.
    r1, r2 = rec(session, "R1"), rec(session, "R2")
    triage.merge_recommendations(session, r1, [r2])
    assert {c.key for c in r1.children if c.deleted_at is None} >= {"R1.1", "R1.2", "R2.2", "R2.4", "R2.5"}
    session.rollback()


def test_merge_refusals(demo):
    session = demo
    r1 = rec(session, "R1")
    other = add_responses(session, 1)[0]
    session.flush()
    foreign = other.recommendations[0]
    for keep, others, message in [
        (r1, [], "Choose at least one"),
        (r1, [r1], "cannot be merged into itself"),
        (r1, [foreign], "belongs to another response"),
        (rec(session, "R1.1"), [r1], "Merge R1.1 into R1 instead"),
    ]:
        with pytest.raises(TriageError, match=message):
            triage.merge_recommendations(session, keep, others)


def test_move_swaps_with_the_neighbouring_sibling(demo):
    session = demo
    r12, r13 = rec(session, "R1.2"), rec(session, "R1.3")
    assert triage.move_recommendation(session, r13, "up") is r12
    assert (r12.sequence, r13.sequence) == (4, 3)
    r9 = rec(session, "R9")
    with pytest.raises(TriageError, match="R9 is already the last recommendation, so it cannot move down"):
        triage.move_recommendation(session, r9, "down")
    with pytest.raises(TriageError, match="already the first sub-point"):
        triage.move_recommendation(session, rec(session, "R2.1"), "up")
    # Deleted siblings are skipped.
    triage.delete_recommendation(session, rec(session, "R8"))
    assert triage.move_recommendation(session, r9, "up").key == "R7"
    session.rollback()


def test_duplicates_form_one_level_groups(demo):
    session = demo
    other = add_responses(session, 1)[0]
    elsewhere = other.recommendations[0]
    r3, r4, r5 = rec(session, "R3"), rec(session, "R4"), rec(session, "R5")
    assert triage.mark_duplicate(session, r3, elsewhere) is elsewhere
    # The target is itself a duplicate: point at its primary, never a chain.
    assert triage.mark_duplicate(session, r4, r3) is elsewhere and r4.duplicate_of_id == elsewhere.id
    # Duplicates of a recommendation move with it to its new primary.
    triage.clear_duplicate(r3)
    triage.mark_duplicate(session, r5, r3)
    triage.mark_duplicate(session, r3, r4)
    assert r3.duplicate_of_id == elsewhere.id and r5.duplicate_of_id == elsewhere.id
    # Marking a primary as a duplicate of one of its own duplicates swaps them: no cycle.
    triage.mark_duplicate(session, elsewhere, r5)
    assert r5.duplicate_of_id is None and elsewhere.duplicate_of_id == r5.id
    assert {r3.duplicate_of_id, r4.duplicate_of_id} == {r5.id}
    session.rollback()


def test_duplicate_refusals(demo):
    session = demo
    r3, r4 = rec(session, "R3"), rec(session, "R4")
    other_consultation = Consultation(slug="elsewhere", title="Elsewhere", body="B")
    foreign = add_responses(session, 1, consultation=other_consultation)[0].recommendations[0]
    triage.delete_recommendation(session, r4)
    for target, message in [
        (r3, "cannot be a duplicate of itself"),
        (r4, "R4 has been deleted"),
        (foreign, "answers another consultation"),
        (None, "does not exist"),
    ]:
        with pytest.raises(TriageError, match=message):
            triage.mark_duplicate(session, r3, target)
    with pytest.raises(TriageError, match="not marked as a duplicate"):
        triage.clear_duplicate(r3)
    session.rollback()


def test_delete_and_restore_take_sub_points_with_them(demo):
    session = demo
    r1, r11, r12 = rec(session, "R1"), rec(session, "R1.1"), rec(session, "R1.2")
    triage.delete_recommendation(session, r11)  # deleted on its own, earlier
    deleted = triage.delete_recommendation(session, r1)
    assert [r.key for r in deleted] == ["R1", "R1.2", "R1.3", "R1.4"]
    with pytest.raises(TriageError, match="Restore R1 first"):
        triage.restore_recommendation(session, r12)
    restored = triage.restore_recommendation(session, r1)
    assert sorted(r.key for r in restored) == ["R1", "R1.2", "R1.3", "R1.4"]
    assert r11.deleted_at is not None  # it was deleted separately, so it stays deleted
    with pytest.raises(TriageError, match="already been deleted"):
        triage.delete_recommendation(session, r11) and triage.delete_recommendation(session, r11)
    session.rollback()


def test_assign_consent_and_response_services(demo, users):
    session = demo
    response = clinks(session)
    with pytest.raises(TriageError, match="Select at least one response"):
        triage.assign(session, [], users["policy"])
    triage.assign(session, [response], users["approver"])
    assert response.assignee_id == users["approver"]
    triage.assign(session, [response], None)
    assert response.assignee_id is None
    triage.set_consent(response.respondent, "confidential", "  charity ")
    assert (response.respondent.consent, response.respondent.organisation_type) == ("confidential", "charity")
    with pytest.raises(TriageError, match="must be 'named', 'anonymous' or 'confidential'"):
        triage.set_consent(response.respondent, "public", None)
    triage.delete_response(session, response)
    with pytest.raises(TriageError, match="Deleted responses cannot be assigned"):
        triage.assign(session, [response], users["policy"])
    with pytest.raises(TriageError, match="already been deleted"):
        triage.delete_response(session, response)
    triage.restore_response(session, response)
    assert response.deleted_at is None
    session.rollback()


# ---------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------


def queue_rows(html: str) -> list[str]:
    """Respondent names in the queue table, in order."""
    body = html[html.index('id="responses"'):]
    body = body[:body.index("</table>")]
    return [text_of(cell) for cell in re.findall(r'<td class="govuk-table__cell">\s*(?:<a [^>]*>)?([^<]+)</', body)
            if text_of(cell).startswith(("Respondent", "Clinks"))]


def test_queue_shows_responses_with_counts_for_every_staff_role(demo, sign_in):
    add_responses(demo, 2, status="in review", org="probation provider")
    client = sign_in("viewer")
    html = client.get("/staff/triage/").get_data(as_text=True)
    assert html.count("<h1") == 1 and "Triage queue" in html
    page = text_of(html)
    assert "Showing 1 to 3 of 3 responses" in page
    assert "Clinks voluntary sector Inspection of probation providers: proposed changes 2019 12 April 2019 Received Unassigned 18" in page
    assert re.search(r"3\s*</span> All statuses", html) and re.search(r"1\s*</span> Received", html)
    assert re.search(r"2\s*</span> In review", html) and re.search(r"0\s*</span> Closed", html)
    # A viewer sees no selection boxes and no assignment form.
    assert 'name="response_ids"' not in html and "/staff/triage/assign" not in html
    policy = sign_in("policy")
    html = policy.get("/staff/triage/").get_data(as_text=True)
    assert 'name="response_ids"' in html and 'action="/staff/triage/assign"' in html
    assert '<span class="govuk-visually-hidden">Select the response from Clinks received 12 April 2019</span>' in html


def test_queue_filters(demo, sign_in, users):
    session = demo
    add_responses(session, 3, status="in review", org="probation provider")
    add_responses(session, 2, start=3, status="closed", assignee_id=users["policy"])
    other = Consultation(slug="other-2020", title="Another consultation", body="B")
    add_responses(session, 1, start=5, consultation=other)
    client = sign_in("viewer")

    def names(query: str) -> list[str]:
        rv = client.get(f"/staff/triage/?{query}")
        assert rv.status_code == 200, error_summary(rv.get_data(as_text=True))
        return queue_rows(rv.get_data(as_text=True))

    assert names("") == ["Clinks"] + [f"Respondent {i:03}" for i in range(6)]
    assert names("status=in+review") == ["Respondent 000", "Respondent 001", "Respondent 002"]
    assert names(f"assignee={users['policy']}") == ["Respondent 003", "Respondent 004"]
    assert names("assignee=none") == ["Clinks", "Respondent 000", "Respondent 001", "Respondent 002", "Respondent 005"]
    assert names("organisation_type=voluntary+sector") == ["Clinks"]
    assert names(f"consultation={other.id}") == ["Respondent 005"]
    # Received dates: day, month and year boxes, or one ISO date; both ends included.
    assert names("received_from=2&received_from=5&received_from=2019&received_to=2019-05-04") == [
        "Respondent 001", "Respondent 002", "Respondent 003"]
    # Counts follow every filter but the status one, so they show the whole breakdown.
    html = client.get("/staff/triage/?status=closed&organisation_type=charity").get_data(as_text=True)
    assert re.search(r"3\s*</span> All statuses", html) and re.search(r"2\s*</span> Closed", html)
    assert re.search(r"1\s*</span> Received", html)
    assert 'href="/staff/triage/?organisation_type=charity&amp;status=in+review"' in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("received_from=31&received_from=2&received_from=2019", "Received on or after must be a real date"),
        ("received_to=1&received_to=&received_to=2019", "Received on or before must be a real date"),
        ("received_to=1&received_to=1&received_to=19", "must be a real date"),
        ("received_from=nonsense", "must be a real date"),
        ("received_from=2019-04-01&received_to=2019-03-01", "must be the same as or after"),
        ("status=published", "Choose a status from the list"),
        ("assignee=999", "Choose who the responses are assigned to"),
        ("consultation=abc", "Choose a consultation from the list"),
    ],
)
def test_queue_invalid_filters_show_an_error_summary(demo, sign_in, query, message):
    client = sign_in("viewer")
    rv = client.get(f"/staff/triage/?{query}")
    assert rv.status_code == 400
    html = rv.get_data(as_text=True)
    assert message in error_summary(html)
    assert "Clinks" in html  # the other filters still apply; nothing breaks


def test_queue_pages(demo, sign_in):
    add_responses(demo, 30)
    client = sign_in("viewer")
    html = client.get("/staff/triage/").get_data(as_text=True)
    assert "Showing 1 to 25 of 31 responses" in text_of(html)
    assert len(queue_rows(html)) == 25
    assert 'class="govuk-pagination' in html and 'href="/staff/triage/?page=2"' in html
    html = client.get("/staff/triage/?page=2&organisation_type=charity").get_data(as_text=True)
    assert "Showing 26 to 30 of 30 responses" in text_of(html)
    assert queue_rows(html) == [f"Respondent {i:03}" for i in range(25, 30)]
    assert 'href="/staff/triage/?organisation_type=charity&amp;page=1"' in html
    assert 'aria-current="page"' in html
    # Out-of-range or nonsense pages fall back to a real page.
    assert "Showing 26 to 31 of 31" in text_of(client.get("/staff/triage/?page=99").get_data(as_text=True))
    assert "Showing 1 to 25 of 31" in text_of(client.get("/staff/triage/?page=x").get_data(as_text=True))
    assert "Showing 1 to 10 of 31" in text_of(client.get("/staff/triage/?per_page=10").get_data(as_text=True))


def test_queue_runs_a_fixed_number_of_queries(app, demo, sign_in, users):
    client = sign_in("viewer")
    add_responses(demo, 2, assignee_id=users["policy"])
    with count_statements(app) as few:
        assert client.get("/staff/triage/").status_code == 200
    add_responses(demo, 27, start=2, assignee_id=users["admin"])
    with count_statements(app) as many:
        assert client.get("/staff/triage/").status_code == 200
    with count_statements(app) as small_pages:
        assert client.get("/staff/triage/?per_page=5&page=3").status_code == 200
    with count_statements(app) as big_page:
        assert client.get("/staff/triage/?per_page=100").status_code == 200
    with count_statements(app) as filtered:
        assert client.get(f"/staff/triage/?status=received&assignee={users['admin']}").status_code == 200
    assert len(few) == len(many) == len(small_pages) == len(big_page) == len(filtered) <= 6


def test_manage_page_runs_a_fixed_number_of_queries(app, demo, sign_in):
    client = sign_in("policy")
    triage.mark_duplicate(demo, rec(demo, "R9"), rec(demo, "R1"))
    demo.commit()
    with count_statements(app) as few:
        assert client.get("/staff/responses/1/recommendations").status_code == 200
    response = clinks(demo)
    for n in range(10):
        demo.add(Recommendation(response=response, key=f"X{n}", sequence=30 + n, text="x",
                                duplicate_of=rec(demo, "R1"), question=response.consultation.questions[0]))
    demo.commit()
    with count_statements(app) as many:
        assert client.get("/staff/responses/1/recommendations").status_code == 200
    assert len(many) == len(few)


# ---------------------------------------------------------------------------
# Assignment
# ---------------------------------------------------------------------------


def test_assign_many_then_unassign(demo, policy, users):
    session = demo
    made = add_responses(session, 3)
    ids = [r.id for r in made]
    back = "/staff/triage/?organisation_type=charity&page=1"
    rv = policy.post("/staff/triage/assign", data={"response_ids": ids, "assign-assignee": users["policy"],
                                                   "assign-return_to": back})
    assert rv.status_code == 302 and rv.headers["Location"] == back
    html = policy.get(back).get_data(as_text=True)
    assert "3 responses assigned to Policy." in html
    session.expire_all()
    assert [session.get(Response, i).assignee_id for i in ids] == [users["policy"]] * 3
    assert clinks(session).assignee_id is None
    for i in ids:
        [change] = events(session, "response", i, "assignee_id")
        assert (change.old, change.new, change.user_id) == (None, str(users["policy"]), users["policy"])

    rv = policy.post("/staff/triage/assign", data={"response_ids": ids[:1], "assign-assignee": "none"},
                     follow_redirects=True)
    assert "1 response unassigned." in rv.get_data(as_text=True)
    session.expire_all()
    assert session.get(Response, ids[0]).assignee_id is None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"assign-assignee": "USER"}, "Select at least one response to assign"),
        ({"response_ids": ["RESPONSE"]}, "Choose who to assign the responses to"),
        ({"response_ids": ["RESPONSE"], "assign-assignee": "999"}, "Choose someone from the list"),
        ({"response_ids": ["RESPONSE", "999"], "assign-assignee": "USER"}, "have been deleted"),
    ],
)
def test_assign_refusals_change_nothing(demo, policy, users, data, message):
    session = demo
    response_id = clinks(session).id
    # A deactivated user cannot be given work either.
    session.get(User, users["viewer"]).active = False
    session.commit()
    data = {key: [str(response_id) if v == "RESPONSE" else v for v in value] if isinstance(value, list)
            else str(users["policy"]) if value == "USER" else value for key, value in data.items()}
    before = snapshot(session)
    rv = policy.post("/staff/triage/assign", data={**data, "assign-return_to": "/staff/triage/?status=received"})
    assert rv.status_code == 400
    html = rv.get_data(as_text=True)
    assert message in error_summary(html)
    assert "Triage queue" in html and 'value="/staff/triage/?status=received"' in html
    assert snapshot(session) == before
    # A deactivated user is refused the same way.
    rv = policy.post("/staff/triage/assign", data={"response_ids": [response_id], "assign-assignee": users["viewer"]})
    assert rv.status_code == 400 and snapshot(session) == before


def test_assign_only_goes_back_to_the_queue(demo, policy, users):
    rv = policy.post("/staff/triage/assign", data={"response_ids": [1], "assign-assignee": users["policy"],
                                                   "assign-return_to": "https://evil.example/"})
    assert rv.headers["Location"] == "/staff/triage/"
    rv = policy.post("/staff/triage/assign", data={"response_ids": [1], "assign-assignee": users["policy"],
                                                   "assign-return_to": "/staff/admin/"})
    assert rv.headers["Location"] == "/staff/triage/"


# ---------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------


def post_status(client, response: Response, status: str, version: int | None = None, **extra):
    data = {"status": status, "version": response.version_id if version is None else version, **extra}
    return client.post(f"/staff/responses/{response.id}/status", data=data)


def test_status_moves_forward_and_back_with_audit(demo, policy, users):
    session = demo
    response = clinks(session)
    rv = post_status(policy, response, "in review", return_to="/staff/responses/1")
    assert rv.status_code == 302 and rv.headers["Location"] == "/staff/responses/1"
    assert "moved from ‘received’ to ‘in review’" in policy.get("/staff/responses/1").get_data(as_text=True)
    for status in ("recommendations confirmed", "closed", "recommendations confirmed"):
        session.expire_all()
        assert post_status(policy, response, status).status_code == 302
    session.expire_all()
    assert response.status == "recommendations confirmed"
    changes = [(e.old, e.new, e.user_id) for e in events(session, "response", response.id, "status")]
    assert changes == [
        ("received", "in review", users["policy"]),
        ("in review", "recommendations confirmed", users["policy"]),
        ("recommendations confirmed", "closed", users["policy"]),
        ("closed", "recommendations confirmed", users["policy"]),
    ]


def test_invalid_status_jump_is_refused(demo, policy):
    session = demo
    response = clinks(session)
    before = snapshot(session)
    rv = post_status(policy, response, "closed")
    assert rv.status_code == 400
    summary = error_summary(rv.get_data(as_text=True))
    assert "cannot move straight to 'closed'" in summary and "It can move to 'in review'" in summary
    rv = post_status(policy, response, "")
    assert rv.status_code == 400 and "Choose the new status" in error_summary(rv.get_data(as_text=True))
    rv = policy.post(f"/staff/responses/{response.id}/status", data={"status": "in review"})
    assert rv.status_code == 400 and "Reload the page and try again" in error_summary(rv.get_data(as_text=True))
    assert snapshot(session) == before


def test_stale_status_change_is_a_conflict(demo, policy, users):
    session = demo
    response = clinks(session)
    loaded_at = response.version_id
    triage.assign(session, [response], users["approver"])  # someone else changes it meanwhile
    session.commit()
    before = snapshot(session)
    rv = post_status(policy, response, "in review", version=loaded_at)
    assert rv.status_code == 409
    page = text_of(rv.get_data(as_text=True))
    assert "Someone else changed this response" in page and "Nothing was changed" in page
    assert f"changed assignee id from “(empty)” to “{users['approver']}”" in page
    assert snapshot(session) == before


# ---------------------------------------------------------------------------
# Managing recommendations
# ---------------------------------------------------------------------------


def test_manage_page_lists_recommendations_in_order(demo, sign_in):
    session = demo
    triage.delete_recommendation(session, rec(session, "R9"))
    triage.mark_duplicate(session, rec(session, "R4"), rec(session, "R3"))
    session.commit()
    client = sign_in("viewer")
    html = client.get("/staff/responses/1/recommendations").get_data(as_text=True)
    assert html.count("<h1") == 1 and "Recommendations (17)" in html
    keys = re.findall(r'<th scope="row" class="govuk-table__header[^"]*">\s*<a [^>]*>([^<]+)</a>', html)
    assert keys[:7] == ["R1", "R1.1", "R1.2", "R1.3", "R1.4", "R2", "R2.1"] and keys[-2:] == ["R8", "R9"]
    assert "Deleted recommendations (1)" in html
    r4 = html[html.index(f'id="rec-{rec(session, "R4").id}"'):]
    assert ">R3</a>" in r4[:r4.index("</tr>")]
    assert f'href="/staff/history/recommendation/{rec(session, "R1").id}"' in html
    assert 'href="/staff/history/response/1"' in html
    # A viewer reads it, without any buttons.
    assert "Move up" not in html and "Restore" not in html and "/status" not in html
    policy = sign_in("policy")
    html = policy.get("/staff/responses/1/recommendations").get_data(as_text=True)
    assert "Move up" in html and "Restore" in html and 'value="in review"' in html
    assert 'href="/staff/respondents/1/consent?next=/staff/responses/1/recommendations"' in html


def test_add_recommendation_through_the_page(demo, policy, users):
    session = demo
    response = clinks(session)
    assert policy.get("/staff/responses/1/recommendations/new").status_code == 200
    question = response.consultation.questions[2]
    rv = policy.post("/staff/responses/1/recommendations/new",
                     data={"text": "Inspect through-the-gate services.", "parent": "", "question": question.id})
    assert rv.status_code == 302 and rv.headers["Location"] == "/staff/responses/1/recommendations"
    added = rec(session, "R10")
    assert (added.text, added.origin, added.question_id, added.parent_id) == (
        "Inspect through-the-gate services.", "manual", question.id, None)
    [created] = events(session, "recommendation", added.id, "created")
    assert created.user_id == users["policy"] and '"key": "R10"' in created.new
    rv = policy.post("/staff/responses/1/recommendations/new",
                     data={"text": "A sub-point.", "parent": rec(session, "R2").id, "question": ""},
                     follow_redirects=True)
    assert "Recommendation R2.6 was added." in rv.get_data(as_text=True)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"text": "", "parent": "", "question": ""}, "Enter the text of the recommendation"),
        ({"text": "   ", "parent": "", "question": ""}, "Enter the text of the recommendation"),
        ({"text": "x", "parent": "PARENT", "question": ""}, "Choose one of this response's top-level recommendations"),
        ({"text": "x", "parent": "", "question": "999"}, "Choose one of this consultation's questions"),
    ],
)
def test_add_recommendation_refusals(demo, policy, data, message):
    session = demo
    if data["parent"] == "PARENT":
        data = {**data, "parent": rec(session, "R1.1").id}  # a sub-point cannot have sub-points
    before = snapshot(session)
    rv = policy.post("/staff/responses/1/recommendations/new", data=data)
    assert rv.status_code == 400
    assert message in error_summary(rv.get_data(as_text=True))
    assert snapshot(session) == before


def test_edit_recommendation_with_audit(demo, policy, users):
    session = demo
    r7 = rec(session, "R7")
    old_text, old_question = r7.text, r7.question_id
    html = policy.get(f"/staff/recommendations/{r7.id}/edit").get_data(as_text=True)
    assert html.count("<h1") == 1 and f'href="/staff/history/recommendation/{r7.id}"' in html
    assert f'name="version" type="hidden" value="{r7.version_id}"' in html
    new_question = clinks(session).consultation.questions[3]
    rv = policy.post(f"/staff/recommendations/{r7.id}/edit",
                     data={"text": "Engage the voluntary sector.", "question": new_question.id,
                           "version": r7.version_id})
    assert rv.status_code == 302
    session.expire_all()
    assert (r7.text, r7.question_id) == ("Engage the voluntary sector.", new_question.id)
    [text] = events(session, "recommendation", r7.id, "text")
    assert (text.old, text.new, text.user_id) == (old_text, "Engage the voluntary sector.", users["policy"])
    [question] = events(session, "recommendation", r7.id, "question_id")
    assert (question.old, question.new) == (str(old_question), str(new_question.id))


def test_stale_recommendation_edit_keeps_input_and_saves_nothing(demo, policy, users):
    session = demo
    r7 = rec(session, "R7")
    loaded_at = r7.version_id
    triage.edit_recommendation(r7, "Changed by someone else.", None)
    session.commit()
    before = snapshot(session)
    rv = policy.post(f"/staff/recommendations/{r7.id}/edit",
                     data={"text": "My own wording.", "question": "", "version": loaded_at})
    assert rv.status_code == 409
    html = rv.get_data(as_text=True)
    assert "Someone else changed this while you were editing" in html
    assert "changed <strong>text</strong>" in html and "Changed by someone else." in html
    assert ">My own wording.</textarea>" in html  # the user's input is kept
    assert f'name="version" type="hidden" value="{r7.version_id}"' in html  # the next save goes through
    assert snapshot(session) == before
    rv = policy.post(f"/staff/recommendations/{r7.id}/edit",
                     data={"text": "My own wording.", "question": "", "version": r7.version_id})
    assert rv.status_code == 302
    session.expire_all()
    assert r7.text == "My own wording."


def test_edit_recommendation_refusals(demo, policy):
    session = demo
    r7 = rec(session, "R7")
    before = snapshot(session)
    for data, message in [
        ({"text": "", "question": "", "version": r7.version_id}, "Enter the text of the recommendation"),
        ({"text": "x", "question": "999", "version": r7.version_id}, "Choose one of this consultation's questions"),
        ({"text": "x", "question": ""}, "Reload the page and try again"),
    ]:
        rv = policy.post(f"/staff/recommendations/{r7.id}/edit", data=data)
        assert rv.status_code == 400, data
        assert message in error_summary(rv.get_data(as_text=True))
    assert snapshot(session) == before


def test_split_through_the_page(demo, policy, users):
    session = demo
    r3 = rec(session, "R3")
    html = policy.get(f"/staff/recommendations/{r3.id}/edit").get_data(as_text=True)
    assert html.count(r3.text.replace("'", "&#39;") + "</textarea>") == 3  # edit box and both halves prefilled
    first, second = r3.text[:80], r3.text[80:]
    rv = policy.post(f"/staff/recommendations/{r3.id}/split",
                     data={"split-first_text": first, "split-second_text": second, "split-version": r3.version_id},
                     follow_redirects=True)
    assert "R3 was split: its second part is now R10." in rv.get_data(as_text=True)
    session.expire_all()
    new = rec(session, "R10")
    assert (r3.text, new.text, new.sequence, new.question_id) == (first.strip(), second.strip(), r3.sequence + 1, r3.question_id)
    assert [e.new for e in events(session, "recommendation", r3.id, "text")] == [first.strip()]
    assert events(session, "recommendation", new.id, "created")[0].user_id == users["policy"]
    # Both parts are required.
    before = snapshot(session)
    rv = policy.post(f"/staff/recommendations/{r3.id}/split",
                     data={"split-first_text": "Only one part", "split-second_text": "", "split-version": r3.version_id})
    assert rv.status_code == 400
    assert "Enter the text of the second part" in error_summary(rv.get_data(as_text=True))
    assert snapshot(session) == before


def test_merge_through_the_page(demo, policy, users):
    session = demo
    keep, a, b = rec(session, "R1.1"), rec(session, "R2.1"), rec(session, "R2.3")
    rv = policy.post(f"/staff/recommendations/{keep.id}/merge",
                     data={"merge-others": [a.id, b.id], "merge-version": keep.version_id}, follow_redirects=True)
    assert "R2.1, R2.3 were merged into R1.1." in rv.get_data(as_text=True)
    session.expire_all()
    assert a.deleted_at and b.deleted_at and a.duplicate_of_id == b.duplicate_of_id == keep.id
    moved = session.scalars(select(Link).where(Link.item_id == 7, Link.recommendation_id == keep.id)).one()
    [change] = events(session, "link", moved.id, "recommendation_id")
    assert (change.old, change.new, change.user_id) == (str(b.id), str(keep.id), users["policy"])
    [deleted] = events(session, "recommendation", a.id, "deleted_at")
    assert deleted.old is None and deleted.new
    # Merged recommendations are listed as deleted, restorable.
    html = policy.get("/staff/responses/1/recommendations").get_data(as_text=True)
    assert "Deleted recommendations (2)" in html and "(merged into or a duplicate of R1.1)" in html


def test_merge_refusals_through_the_page(demo, policy):
    session = demo
    keep = rec(session, "R2.1")  # R1 has a demo decision; R2 has none
    elsewhere = add_responses(session, 1)[0].recommendations[0]
    before = snapshot(session)
    for data, message in [
        ({"merge-version": keep.version_id}, "Choose at least one recommendation to merge into R2.1"),
        ({"merge-others": [elsewhere.id], "merge-version": keep.version_id}, "belongs to another response"),
        ({"merge-others": [rec(session, "R2").id], "merge-version": keep.version_id}, "Merge R2.1 into R2 instead"),
        ({"merge-others": ["x"], "merge-version": keep.version_id}, "could not be coerced"),
        ({"merge-others": [999999], "merge-version": keep.version_id}, "no longer exist"),
    ]:
        rv = policy.post(f"/staff/recommendations/{keep.id}/merge", data=data)
        assert rv.status_code == 400, data
        assert message in error_summary(rv.get_data(as_text=True))
    rv = policy.post(f"/staff/recommendations/{keep.id}/merge",
                     data={"merge-others": [rec(session, "R2.2").id], "merge-version": keep.version_id - 1 or 99})
    assert rv.status_code == 409
    assert snapshot(session) == before


def test_move_through_the_page(demo, policy, users):
    session = demo
    r2, r3 = rec(session, "R2"), rec(session, "R3")
    rv = policy.post(f"/staff/recommendations/{r3.id}/move", data={"direction": "up"}, follow_redirects=True)
    assert "R3 moved up, above R2." in rv.get_data(as_text=True)
    session.expire_all()
    assert (r3.sequence, r2.sequence) == (6, 12)
    assert [(e.old, e.new, e.user_id) for e in events(session, "recommendation", r3.id, "sequence")] == [
        ("12", "6", users["policy"])]
    html = policy.get("/staff/responses/1/recommendations").get_data(as_text=True)
    keys = re.findall(r'<th scope="row" class="govuk-table__header[^"]*">\s*<a [^>]*>([^<]+)</a>', html)
    assert keys[5:8] == ["R3", "R2", "R2.1"]
    before = snapshot(session)
    for key, direction, message in [("R1", "up", "R1 is already the first recommendation"),
                                     ("R1.4", "down", "R1.4 is already the last sub-point"),
                                     ("R5", "sideways", "Choose whether to move")]:
        rv = policy.post(f"/staff/recommendations/{rec(session, key).id}/move", data={"direction": direction})
        assert rv.status_code == 400
        assert message in error_summary(rv.get_data(as_text=True))
    assert snapshot(session) == before


def test_duplicates_through_the_page(demo, policy, users):
    session = demo
    other = add_responses(session, 1)[0]
    elsewhere = other.recommendations[0]
    r7 = rec(session, "R7")
    html = policy.get(f"/staff/recommendations/{r7.id}/edit?find=Respondent").get_data(as_text=True)
    assert f'<option value="{elsewhere.id}">R1 from Respondent 000: Recommendation 0</option>' in html
    rv = policy.post(f"/staff/recommendations/{r7.id}/duplicate",
                     data={"duplicate-target_id": str(elsewhere.id), "duplicate-version": r7.version_id},
                     follow_redirects=True)
    assert "R7 is now marked as a duplicate of R1 from Respondent 000." in rv.get_data(as_text=True)
    session.expire_all()
    assert r7.duplicate_of_id == elsewhere.id
    [change] = events(session, "recommendation", r7.id, "duplicate_of_id")
    assert (change.old, change.new, change.user_id) == (None, str(elsewhere.id), users["policy"])
    # R6 chosen from the list as a duplicate of R7 points at R7's primary instead.
    r6 = rec(session, "R6")
    policy.post(f"/staff/recommendations/{r6.id}/duplicate",
                data={"duplicate-target": str(r7.id), "duplicate-version": r6.version_id})
    session.expire_all()
    assert r6.duplicate_of_id == elsewhere.id
    # Undo.
    rv = policy.post(f"/staff/recommendations/{r6.id}/duplicate/clear", follow_redirects=True)
    assert "R6 is no longer marked as a duplicate." in rv.get_data(as_text=True)
    session.expire_all()
    assert r6.duplicate_of_id is None
    before = snapshot(session)
    for data, message in [
        ({}, "Choose the recommendation this one duplicates"),
        ({"duplicate-target_id": "abc"}, "must be a number"),
        ({"duplicate-target_id": "999999"}, "does not exist"),
        ({"duplicate-target_id": str(r6.id)}, "cannot be a duplicate of itself"),
    ]:
        rv = policy.post(f"/staff/recommendations/{r6.id}/duplicate", data={**data, "duplicate-version": r6.version_id})
        assert rv.status_code == 400
        assert message in error_summary(rv.get_data(as_text=True))
    rv = policy.post(f"/staff/recommendations/{r6.id}/duplicate/clear")
    assert rv.status_code == 400 and "not marked as a duplicate" in error_summary(rv.get_data(as_text=True))
    assert snapshot(session) == before


def test_delete_and_restore_recommendations_through_the_page(demo, policy, users):
    session = demo
    r2 = rec(session, "R2")
    rv = policy.post(f"/staff/recommendations/{r2.id}/delete", follow_redirects=True)
    html = rv.get_data(as_text=True)
    assert "R2 was deleted with its 5 sub-points." in html
    assert "Recommendations (12)" in html and "Deleted recommendations (6)" in html
    assert "Recommendations (12)" in policy.get("/staff/responses/1").get_data(as_text=True)
    session.expire_all()
    [deleted] = events(session, "recommendation", r2.id, "deleted_at")
    assert deleted.user_id == users["policy"] and deleted.old is None
    # A sub-point cannot come back while its parent is deleted.
    child = rec(session, "R2.1")
    rv = policy.post(f"/staff/recommendations/{child.id}/restore")
    assert rv.status_code == 400 and "Restore R2 first" in error_summary(rv.get_data(as_text=True))
    rv = policy.post(f"/staff/recommendations/{r2.id}/restore", follow_redirects=True)
    assert "R2 was restored with its 5 sub-points." in rv.get_data(as_text=True)
    session.expire_all()
    assert all(r.deleted_at is None for r in clinks(session).recommendations)
    [_, restored] = events(session, "recommendation", r2.id, "deleted_at")
    assert restored.new is None and restored.old
    rv = policy.post(f"/staff/recommendations/{r2.id}/restore")
    assert rv.status_code == 400 and "has not been deleted" in error_summary(rv.get_data(as_text=True))


def test_delete_and_restore_a_response(demo, policy, sign_in, users):
    session = demo
    rv = policy.post("/staff/responses/1/delete")
    assert rv.status_code == 302 and rv.headers["Location"] == "/staff/triage/"
    html = policy.get("/staff/triage/").get_data(as_text=True)
    assert "The response from Clinks was deleted." in html and "Clinks" not in queue_rows(html)
    assert policy.get("/staff/responses/1").status_code == 404
    assert policy.get("/staff/responses/1/recommendations").status_code == 404
    assert policy.post("/staff/responses/1/status", data={"status": "in review", "version": 2}).status_code == 404
    assert policy.post(f"/staff/recommendations/{rec(session, 'R1').id}/delete").status_code == 404
    [deleted] = events(session, "response", 1, "deleted_at")
    assert deleted.user_id == users["policy"]
    # Shown behind "Show deleted", with a Restore button.
    html = policy.get("/staff/triage/?show_deleted=y").get_data(as_text=True)
    assert "Deleted responses" in html and queue_rows(html) == ["Clinks"]
    assert 'action="/staff/responses/1/restore"' in html
    assert "/restore" not in sign_in("viewer").get("/staff/triage/?show_deleted=y").get_data(as_text=True)
    policy = sign_in("policy")
    rv = policy.post("/staff/responses/1/restore", follow_redirects=True)
    assert "The response from Clinks was restored." in rv.get_data(as_text=True)
    assert policy.get("/staff/responses/1").status_code == 200
    assert "Recommendations (18)" in policy.get("/staff/responses/1").get_data(as_text=True)


def test_edit_consent_with_hints_audit_and_stale_detection(demo, policy, users):
    session = demo
    respondent = clinks(session).respondent
    html = policy.get("/staff/respondents/1/consent?next=/staff/responses/1").get_data(as_text=True)
    assert html.count("<h1") == 1 and 'type="radio"' in html and 'value="named" checked' in html
    page = text_of(html)
    assert "We may publish the respondent's name" in page and "not who said it" in page and "We publish nothing" in page
    assert 'href="/staff/history/respondent/1"' in html
    rv = policy.post("/staff/respondents/1/consent",
                     data={"consent": "anonymous", "organisation_type": "charity", "version": respondent.version_id,
                           "return_to": "/staff/responses/1"})
    assert rv.status_code == 302 and rv.headers["Location"] == "/staff/responses/1"
    session.expire_all()
    assert (respondent.consent, respondent.organisation_type) == ("anonymous", "charity")
    [consent] = events(session, "respondent", 1, "consent")
    assert (consent.old, consent.new, consent.user_id) == ("named", "anonymous", users["policy"])
    stale = respondent.version_id - 1
    before = snapshot(session)
    rv = policy.post("/staff/respondents/1/consent",
                     data={"consent": "confidential", "organisation_type": "x", "version": stale})
    assert rv.status_code == 409
    html = rv.get_data(as_text=True)
    assert "changed <strong>consent</strong> from “named” to “anonymous”" in html
    assert 'value="confidential" checked' in html
    for data, message in [
        ({"consent": "public", "organisation_type": "", "version": respondent.version_id}, "Not a valid choice"),
        ({"organisation_type": "", "version": respondent.version_id}, "Choose what may be published"),
        ({"consent": "named", "organisation_type": "x" * 101, "version": respondent.version_id}, "100 characters or fewer"),
    ]:
        rv = policy.post("/staff/respondents/1/consent", data=data)
        assert rv.status_code == 400
        assert message in error_summary(rv.get_data(as_text=True))
    assert snapshot(session) == before


def test_response_page_offers_triage_to_policy_staff_only(demo, sign_in):
    viewer = sign_in("viewer")
    html = viewer.get("/staff/responses/1").get_data(as_text=True)
    assert "Manage recommendations" not in html and "/status" not in html
    policy = sign_in("policy")
    html = policy.get("/staff/responses/1").get_data(as_text=True)
    assert 'href="/staff/responses/1/recommendations"' in html
    assert 'href="/staff/respondents/1/consent?next=/staff/responses/1"' in html
    assert 'action="/staff/responses/1/status"' in html and ">Start review</button>" in html
    assert 'href="/staff/history/response/1"' in html


# ---------------------------------------------------------------------------
# Roles and CSRF
# ---------------------------------------------------------------------------

POSTS = [
    "/staff/triage/assign",
    "/staff/responses/1/status",
    "/staff/responses/1/delete",
    "/staff/responses/1/restore",
    "/staff/responses/1/recommendations/new",
    "/staff/recommendations/REC/edit",
    "/staff/recommendations/REC/split",
    "/staff/recommendations/REC/merge",
    "/staff/recommendations/REC/move",
    "/staff/recommendations/REC/duplicate",
    "/staff/recommendations/REC/duplicate/clear",
    "/staff/recommendations/REC/delete",
    "/staff/recommendations/REC/restore",
    "/staff/respondents/1/consent",
]


@pytest.mark.parametrize("role", ["viewer", "methodology", "approver", "admin"])
def test_only_policy_staff_change_anything(demo, sign_in, role):
    session = demo
    client = sign_in(role)
    rec_id = rec(session, "R3").id
    before = snapshot(session)
    for url in POSTS:
        rv = client.post(url.replace("REC", str(rec_id)), data={"status": "in review", "version": 1,
                                                                "text": "x", "direction": "up"})
        assert rv.status_code == 403, url
    for url in ("/staff/responses/1/recommendations/new", f"/staff/recommendations/{rec_id}/edit",
                "/staff/respondents/1/consent"):
        assert client.get(url).status_code == 403
    assert client.get("/staff/triage/").status_code == 200
    assert client.get("/staff/responses/1/recommendations").status_code == 200
    assert snapshot(session) == before


def test_anonymous_visitors_are_sent_to_sign_in(demo, client):
    for url in ("/staff/triage/", "/staff/responses/1/recommendations"):
        rv = client.get(url)
        assert rv.status_code == 302 and "/sign-in" in rv.headers["Location"]
    rv = client.post("/staff/responses/1/delete")
    assert rv.status_code == 302 and "/sign-in" in rv.headers["Location"]
    assert clinks(demo).deleted_at is None


def test_changes_need_a_csrf_token(app, demo, policy):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        before = snapshot(demo)
        rv = policy.post("/staff/responses/1/delete")
        assert rv.status_code == 400
        assert snapshot(demo) == before
        html = policy.get("/staff/responses/1/recommendations").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        assert policy.post("/staff/responses/1/delete", data={"csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_recommendation_with_its_own_decision_is_not_folded_into_another(demo, policy):
    """Decisions follow a duplicate to its primary, so folding in a decided one would hide its decision."""
    session = demo
    demo_workflow.load(session, "probation-inspection-changes-2019", "Clinks")  # decides R4
    session.commit()
    decided, other = rec(session, "R4"), rec(session, "R6")
    before = snapshot(session)
    rv = policy.post(f"/staff/recommendations/{decided.id}/duplicate",
                     data={"duplicate-target_id": str(other.id), "duplicate-version": decided.version_id})
    assert rv.status_code == 400
    assert "R4 already has a decision" in error_summary(rv.get_data(as_text=True))
    rv = policy.post(f"/staff/recommendations/{other.id}/merge",
                     data={"merge-others": [decided.id], "merge-version": other.version_id})
    assert rv.status_code == 400
    assert "R4 already has a decision" in error_summary(rv.get_data(as_text=True))
    assert snapshot(session) == before
