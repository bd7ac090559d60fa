"""Triage: the queue, assignment, review status, managing a response's recommendations
(add, edit, split, merge, move, duplicates, delete and restore), publication consent.

Services in ``consultations.triage`` are tested directly; every workflow is also tested through
the test client as policy staff would use it, with the audit events it leaves behind, stale
edits, refusals that change nothing, roles, and the number of queries the queue runs.
"""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from conftest import count_statements
from consultations.soft_delete import WITH_DELETED
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
from tracker.commands import demo_workflow
from consultations.workflow import AuditEvent, User
from consultations.organisation_types import named as named_type

SLUG = "probation-inspection-changes-2019"


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


@pytest.fixture
def demo(demo_content_app, users, session):
    """The demo consultation with the Clinks response (id 1, 18 recommendations), users per role."""
    return session


@pytest.fixture
def policy(sign_in, demo):
    return sign_in("policy")


def clinks(session) -> Response:
    """Clinks's response, deleted or not."""
    return session.scalars(select(Response).join(Response.respondent).where(Respondent.name == "Clinks"),
                           execution_options=WITH_DELETED).one()


def rec(session, key: str, response: Response | None = None) -> Recommendation:
    """The recommendation with this key, deleted or not."""
    response = response or clinks(session)
    return session.scalars(
        select(Recommendation).where(Recommendation.response_id == response.id, Recommendation.key == key),
        execution_options=WITH_DELETED,
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
            (r.id, r.consent, r.organisation_type_id, r.version_id)
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


def type_id(session, text: str) -> int:
    """The id of the organisation type ``text`` means, for filter links."""
    found = named_type(session, text)
    session.flush()
    return found.id


def add_responses(session, n: int, start: int = 0, consultation: Consultation | None = None, **fields):
    """``n`` extra responses, one respondent each, received a day apart from 1 May 2019."""
    consultation = consultation or session.scalars(select(Consultation).where(Consultation.slug == SLUG)).one()
    made = []
    for i in range(start, start + n):
        respondent = Respondent(name=f"Respondent {i:03}", organisation_type=named_type(session, fields.get("org", "faith")))
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


def keys_in_order(session, response: Response | None = None) -> list[str]:
    """The live recommendations' keys in the order pages list them."""
    response = response or clinks(session)
    session.flush()
    return list(session.scalars(
        select(Recommendation.key)
        .where(Recommendation.response_id == response.id, Recommendation.deleted_at.is_(None))
        .order_by(Recommendation.sequence, Recommendation.id)))


def test_add_by_selection_anchors_exactly_the_selection_and_lists_it_in_text_order(demo):
    session = demo
    response = clinks(session)
    document = response.text
    start = document.index("Our aim is to ensure")
    end = document.index(" We do this by")
    added = triage.add_recommendation(session, response, "", span=(start, end))
    # The span is the selection; the text is the passage as a reader reads it.
    assert (added.key, added.spans, added.origin) == ("R10", [[start, end]], "manual")
    assert added.text == " ".join(document[start:end].split())
    # It is made before R1 in the text, so it comes first, whatever its key.
    assert keys_in_order(session)[:3] == ["R10", "R1", "R1.1"]
    # Typed text is found with line breaks and spacing folded, and listed where it is.
    typed = triage.add_recommendation(session, response, "we are a membership organisation   with over\n500 members",
                                      parent=rec(session, "R1"))
    assert document[typed.spans[0][0]:typed.spans[0][1]] == "We are a membership organisation with over 500 members"
    assert keys_in_order(session)[:4] == ["R10", "R1", "R1.5", "R1.1"]
    # Text that differs from the selection is looked for; nowhere found, the selection is its source.
    reworded = triage.add_recommendation(session, response, "Ensure the sector is engaged.", span=(start, end))
    assert reworded.spans == [[start, end]] and reworded.text == "Ensure the sector is engaged."
    with pytest.raises(TriageError, match="not in the response text"):
        triage.add_recommendation(session, response, "", span=(0, len(document) + 5))
    session.rollback()


def test_split_cuts_each_passage_at_the_chosen_point_and_letters_the_keys(demo):
    session = demo
    document = clinks(session).text
    r3 = rec(session, "R3")
    text, spans = r3.text, [list(s) for s in r3.spans]
    assert len(spans) == 2  # the response makes this point twice: both passages are cut
    point = text.index("Clinks recommend")
    split = triage.split_recommendation(session, r3, point)
    first, second = split.first, split.second
    assert first is r3 and (first.key, second.key) == ("R3a", "R3b")
    assert (first.text, second.text) == (text[:point].strip(), text[point:])
    cuts = [start + document[start:end].index("Clinks recommend") for start, end in spans]
    assert second.spans == [[cut, end] for cut, (_, end) in zip(cuts, spans)]
    assert first.spans == [[start, len(document[:cut].rstrip())] for cut, (start, _) in zip(cuts, spans)]
    assert split.first_found and split.second_found
    assert (second.parent_id, second.question_id, second.origin) == (None, r3.question_id, "manual")
    order = keys_in_order(session)
    assert order[order.index("R2.5"):order.index("R4") + 1] == ["R2.5", "R3a", "R3b", "R4"]
    # Splitting a part again letters the parts in the order of the text.
    asks = first.text.index("asks")
    again = triage.split_recommendation(session, first, asks)
    assert (first.key, again.second.key, second.key) == ("R3a", "R3b", "R3c")
    order = keys_in_order(session)
    assert order[order.index("R2.5"):order.index("R4") + 1] == ["R2.5", "R3a", "R3b", "R3c", "R4"]
    session.flush()
    assert [(e.old, e.new) for e in events(session, "recommendation", second.id, "key")] == [("R3b", "R3c")]
    session.rollback()


def test_split_keys_keep_published_keys_and_follow_the_parent(demo):
    session = demo
    r4 = rec(session, "R4")
    split = triage.split_recommendation(session, r4, r4.text.index("This should include"), published={r4.id})
    assert (split.first.key, split.second.key) == ("R4", "R4b")  # R4 has been cited in public
    # Sub-points follow their parent's new key, except one whose own key is public.
    r2 = rec(session, "R2")
    published_child = rec(session, "R2.3")
    split = triage.split_recommendation(session, r2, r2.text.index("with a particular focus"),
                                        published={published_child.id})
    assert (split.first.key, split.second.key) == ("R2a", "R2b")
    assert [c.key for c in r2.children] == ["R2a.1", "R2a.2", "R2.3", "R2a.4", "R2a.5"]
    assert triage.next_key(session, r2.response, r2) == "R2a.6"
    session.rollback()


def test_split_keys_that_swap_places_never_collide(demo):
    """Parts whose passages were re-anchored out of order swap letters on the next split: keys are
    unique per response at every flush, so one waits on a temporary key."""
    session = demo
    r3 = rec(session, "R3")
    split = triage.split_recommendation(session, r3, r3.text.index("Clinks recommend"))
    first, second = split.first, split.second
    first.spans, second.spans = second.spans, first.spans  # R3b now comes first in the text
    session.flush()
    again = triage.split_recommendation(session, first, first.text.index("asks"))
    assert (second.key, first.key, again.second.key) == ("R3a", "R3b", "R3c")
    session.flush()
    assert [(e.old, e.new) for e in events(session, "recommendation", second.id, "key")][-2:] == [
        ("R3b", f"~{second.id}"), (f"~{second.id}", "R3a")]
    session.rollback()


def test_split_of_a_recommendation_without_a_passage_says_so(demo, policy):
    session = demo
    typed = triage.add_recommendation(session, clinks(session), "Fund the sector. Publish the results.")
    session.commit()
    rv = policy.post(f"/staff/recommendations/{typed.id}/split", follow_redirects=True,
                     data={"split-point": typed.text.index("Publish"), "split-version": typed.version_id})
    assert ("R10 was split into R10a and R10b. The text of R10a is not in the response; no passage is "
            "highlighted for it.") in text_of(rv.get_data(as_text=True))


@pytest.mark.parametrize(
    "text, point, message",
    [
        ("Review the standards. Review the standards.", "Review the standards.", "Both parts would read"),
        ("Review the standards —", "—", "Each part must have words of its own"),
        ("Review the standards now.", "eview", "between two words"),
        ("Review the standards now.", 0, "would leave one part empty"),
        ("Review the standards now.", 25, "would leave one part empty"),
    ],
)
def test_split_refuses_empty_or_identical_parts(demo, text, point, message):
    session = demo
    added = triage.add_recommendation(session, clinks(session), text)
    offset = point if isinstance(point, int) else text.rindex(point)
    before = [(r.key, r.text, r.spans, r.sequence) for r in clinks(session).recommendations]
    with pytest.raises(TriageError, match=message):
        triage.split_recommendation(session, added, offset)
    assert [(r.key, r.text, r.spans, r.sequence) for r in clinks(session).recommendations] == before
    session.rollback()


def test_an_edit_re_anchors_text_still_in_the_response_and_keeps_the_source_otherwise(demo):
    session = demo
    document = clinks(session).text
    r7 = rec(session, "R7")
    spans = [list(s) for s in r7.spans]
    shorter = r7.text[r7.text.index("HMI Probation engages"):]
    assert triage.edit_recommendation(r7, shorter, None) is True
    assert [document[a:b] for a, b in r7.spans] == [shorter, shorter]  # both places it is made
    assert triage.edit_recommendation(r7, "Engage the voluntary sector in every inspection.", None) is False
    assert [document[a:b] for a, b in r7.spans] == [shorter, shorter]  # the last passage is kept as its source
    session.flush()
    changes = [(e.old, e.new) for e in events(session, "recommendation", r7.id, "spans")]
    assert changes == [(str(spans).replace("'", '"'), str(r7.spans))]
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


def test_move_only_moves_a_recommendation_without_a_passage(demo):
    session = demo
    response = clinks(session)
    r12, r13 = rec(session, "R1.2"), rec(session, "R1.3")
    with pytest.raises(TriageError, match="R1.3 and R1.2 are shown in the order the response makes them"):
        triage.move_recommendation(session, r13, "up")
    typed = triage.add_recommendation(session, response, "Words the response never uses.", parent=rec(session, "R1"))
    assert keys_in_order(session)[:6] == ["R1", "R1.1", "R1.2", "R1.3", "R1.4", "R1.5"]
    assert triage.move_recommendation(session, typed, "up").key == "R1.4"
    assert triage.move_recommendation(session, typed, "up").key == "R1.3"
    assert keys_in_order(session)[:6] == ["R1", "R1.1", "R1.2", "R1.5", "R1.3", "R1.4"]
    # Another correction re-orders by the text and keeps it where it was put.
    triage.edit_recommendation(r12, r12.text, None)
    assert keys_in_order(session)[:6] == ["R1", "R1.1", "R1.2", "R1.5", "R1.3", "R1.4"]
    assert r13.sequence == r12.sequence + 2
    r9 = rec(session, "R9")
    with pytest.raises(TriageError, match="R9 is already the last recommendation, so it cannot move down"):
        triage.move_recommendation(session, r9, "down")
    with pytest.raises(TriageError, match="already the first sub-point"):
        triage.move_recommendation(session, rec(session, "R2.1"), "up")
    session.rollback()


def test_merge_keeps_every_other_key(demo):
    session = demo
    before = keys_in_order(session)
    triage.merge_recommendations(session, rec(session, "R2"), [rec(session, "R3")])
    assert keys_in_order(session) == [key for key in before if key != "R3"]
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
    faith = named_type(session, "faith")
    triage.set_consent(response.respondent, "confidential", faith)
    assert (response.respondent.consent, response.respondent.organisation_type) == ("confidential", faith)
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
    assert "Clinks Voluntary sector organisation Inspection of probation providers: proposed changes 2019 12 April 2019 Received Unassigned 18" in page
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
    assert names(f"organisation_type={type_id(session, 'voluntary sector')}") == ["Clinks"]
    assert names(f"consultation={other.id}") == ["Respondent 005"]
    # Received dates: day, month and year boxes, or one ISO date; both ends included.
    assert names("received_from=2&received_from=5&received_from=2019&received_to=2019-05-04") == [
        "Respondent 001", "Respondent 002", "Respondent 003"]
    # Counts follow every filter but the status one, so they show the whole breakdown.
    faith = type_id(session, "faith")
    html = client.get(f"/staff/triage/?status=closed&organisation_type={faith}").get_data(as_text=True)
    assert re.search(r"3\s*</span> All statuses", html) and re.search(r"2\s*</span> Closed", html)
    assert re.search(r"1\s*</span> Received", html)
    assert f'href="/staff/triage/?organisation_type={faith}&amp;status=in+review"' in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("received_from=31&received_from=2&received_from=2019", "Received on or after must be a real date"),
        ("received_to=1&received_to=&received_to=2019", "Received on or before must include a month"),
        ("received_to=1&received_to=1&received_to=19", "The year of the received on or before must include 4 numbers"),
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
    faith = type_id(demo, "faith")
    html = client.get(f"/staff/triage/?page=2&organisation_type={faith}").get_data(as_text=True)
    assert "Showing 26 to 30 of 30 responses" in text_of(html)
    assert queue_rows(html) == [f"Respondent {i:03}" for i in range(25, 30)]
    assert f'href="/staff/triage/?organisation_type={faith}&amp;page=1"' in html
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
    back = f"/staff/triage/?organisation_type={type_id(session, 'faith')}&page=1"
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
    assert "changed assignee from “(empty)” to “Approver”" in page, "names, not ids"
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
    triage.add_recommendation(session, clinks(session), "Words the response never uses.")  # can move
    session.commit()
    policy = sign_in("policy")
    html = policy.get("/staff/responses/1/recommendations").get_data(as_text=True)
    assert "Move up" in html and "Restore" in html and 'value="in review"' in html
    # Recommendations with passages keep the order of the text: only the typed one moves.
    assert html.count(">Move up<") == html.count(">Move down<") == 1  # R10 up, or R9 down past it
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


def test_add_from_a_selection_on_the_response_page(demo, policy, sign_in, users):
    session = demo
    document = clinks(session).text
    html = policy.get("/staff/responses/1").get_data(as_text=True)
    # The text carries its offsets; the form posts them with a CSRF-protected form; the script is a file.
    for start, end in [(m.start(), m.end()) for m in re.finditer(r"[^\n](?:.|\n(?!\n))*", document)][:3]:
        assert f'data-start="{start}" data-end="{end}"' in html
    form = html[html.index('<form method="post" action="/staff/responses/1/recommendations/new"'):]
    assert 'name="start" type="hidden"' in form and 'name="end" type="hidden"' in form
    assert '<script src="/static/anchoring.js" defer></script>' in html and "onclick" not in html and " style=" not in html
    start, end = document.index("Our aim is to ensure"), document.index(" We do this by")
    rv = policy.post("/staff/responses/1/recommendations/new", data={
        "start": start, "end": end, "text": " ".join(document[start:end].split()), "parent": "", "question": "",
        "return_to": "/staff/responses/1"})
    assert rv.status_code == 302 and rv.headers["Location"] == "/staff/responses/1#rec-R10"
    added = rec(session, "R10")
    assert (added.spans, added.origin) == ([[start, end]], "manual")
    [created] = events(session, "recommendation", added.id, "created")
    assert created.user_id == users["policy"] and json.loads(json.loads(created.new)["spans"]) == [[start, end]]
    html = policy.get("/staff/responses/1").get_data(as_text=True)
    assert "Recommendation R10 was added." in html and 'href="#text-R10"' in html
    assert f'data-recommendations="R10">{document[start:end]}</mark>' in html
    # A sub-point from typed text, found in the response whatever its line breaks.
    rv = policy.post("/staff/responses/1/recommendations/new", data={
        "start": "", "end": "", "text": "We are a membership organisation\r\nwith over 500 members",
        "parent": rec(session, "R1").id, "question": ""}, follow_redirects=True)
    assert "Recommendation R1.5 was added." in text_of(rv.get_data(as_text=True))
    found = rec(session, "R1.5").spans[0]
    assert document[found[0]:found[1]] == "We are a membership organisation with over 500 members"
    # Text found nowhere is added without a passage, and the page says so.
    rv = policy.post("/staff/responses/1/recommendations/new", data={"text": "Fund the sector properly."},
                     follow_redirects=True)
    assert ("Recommendation R11 was added. Its text is not in the response, so no passage is highlighted for it"
            in text_of(rv.get_data(as_text=True)))
    # Viewers see the text without the form or the script.
    html = sign_in("viewer").get("/staff/responses/1").get_data(as_text=True)
    assert "add-from-text" not in html and "anchoring.js" not in html and 'data-start="' in html


@pytest.mark.parametrize(
    "start, end, message",
    [
        ("10", "", "arrived without its start or end"),
        ("-5", "10", "must be whole numbers of characters"),
        ("ten", "20", "must be whole numbers of characters"),
        ("40", "30", "must start before it ends"),
        ("0", "999999", "ends after the response text"),
    ],
)
def test_add_from_a_selection_refuses_bad_offsets(demo, policy, start, end, message):
    session = demo
    before = snapshot(session)
    rv = policy.post("/staff/responses/1/recommendations/new",
                     data={"start": start, "end": end, "text": "x", "return_to": "/staff/responses/1"})
    assert rv.status_code == 400
    html = rv.get_data(as_text=True)
    assert message in error_summary(html) and 'href="#text"' in html
    assert 'name="return_to" type="hidden" value="/staff/responses/1"' in html  # the input is kept
    assert snapshot(session) == before


def test_edit_through_the_page_says_when_the_text_is_not_in_the_response(demo, policy):
    session = demo
    r7 = rec(session, "R7")
    spans = [list(s) for s in r7.spans]
    rv = policy.post(f"/staff/recommendations/{r7.id}/edit", follow_redirects=True,
                     data={"text": "Talk to local charities.", "question": "", "version": r7.version_id})
    assert ("Recommendation R7 was saved. This text is not in the response; the original passage is kept as its "
            "source.") in text_of(rv.get_data(as_text=True))
    session.expire_all()
    assert r7.spans == spans
    html = policy.get(f"/staff/recommendations/{r7.id}/edit").get_data(as_text=True)
    assert "This text is not in the response; the original passage is kept as its source." in text_of(html)
    shorter = clinks(session).text[spans[0][0]:spans[0][1]].split(", when ")[0]
    rv = policy.post(f"/staff/recommendations/{r7.id}/edit", follow_redirects=True,
                     data={"text": shorter, "question": "", "version": r7.version_id})
    assert "Recommendation R7 was saved." in text_of(rv.get_data(as_text=True))
    session.expire_all()
    assert r7.spans[0] == [spans[0][0], spans[0][0] + len(shorter)]


def test_merged_keys_are_explained_not_renumbered(demo, policy):
    session = demo
    r2, r3 = rec(session, "R2"), rec(session, "R3")
    rv = policy.post(f"/staff/recommendations/{r2.id}/merge",
                     data={"merge-others": [r3.id], "merge-version": r2.version_id})
    assert rv.status_code == 302
    html = policy.get("/staff/responses/1").get_data(as_text=True)
    assert "R3 was merged into R2; other keys are unchanged." in text_of(html)
    headings = re.findall(r">Recommendation (R\d+)</h", html)
    assert headings == ["R1", "R2", "R4", "R5", "R6", "R7", "R8", "R9"]


def test_search_outcome_pages_and_letters_show_the_corrected_text(app, demo, policy, client):
    """Public pages and both search indexes read the current text of a recommendation."""
    from consultations import decisions as decision_rules
    from tracker.indexing import indexes

    session = demo
    r4 = rec(session, "R4")
    decision = decision_rules.save_decision(session, r4, "accepted", "We agree.", "", None)
    decision_rules.approve(decision, None)
    decision_rules.publish(decision, None)
    session.commit()
    point = r4.text.index("This should include")
    rv = policy.post(f"/staff/recommendations/{r4.id}/split",
                     data={"split-point": point, "split-version": r4.version_id})
    assert rv.status_code == 302
    session.expire_all()
    assert (r4.key, r4.text) == ("R4", r4.text)  # published: its key stays R4
    second = rec(session, "R4b")
    rv = policy.post(f"/staff/recommendations/{r4.id}/edit",
                     data={"text": r4.text.replace("gendered needs", "zanzibar needs"), "question": "",
                           "version": r4.version_id})
    assert rv.status_code == 302
    session.expire_all()
    assert "zanzibar needs" in r4.text and "child care" not in r4.text
    policy.post("/sign-out")
    slug = clinks(session).consultation.slug
    for url in (f"/consultations/{slug}", f"/respondents/{clinks(session).respondent_id}"):
        page = text_of(client.get(url).get_data(as_text=True))
        assert "zanzibar needs" in page and "gendered needs" not in page, url
        assert "child care responsibilities" not in page, url  # the split-off part has no decision yet

    def found(index: str, words: str, **kwargs) -> set[str]:
        ids = indexes()[index].search(words, pagelen=100, **kwargs).ids
        return {doc_id for doc_id in ids if doc_id.startswith("recommendation:")}

    assert found("public", "zanzibar", public_only=True) == {f"recommendation:{r4.id}"}
    assert found("staff", "zanzibar") == {f"recommendation:{r4.id}"}
    assert f"recommendation:{second.id}" in found("staff", "trauma")
    assert f"recommendation:{r4.id}" not in found("staff", "trauma")


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
    point = r3.text.index("Clinks recommend")
    # The text with a choice of its sentence boundaries, and every word in a list.
    assert f'name="split-point" type="radio" value="{point}"' in html
    assert "Before “Clinks recommend under this section…”" in text_of(html)
    assert "After “…elements and support desistance?'”: a new sentence starts" in text_of(html)
    assert f'<option value="{point}">' in html and f'<option value="{r3.text.index("asks")}">' in html
    assert "data-split-text>Question 4.1.3" in html and '<script src="/static/anchoring.js" defer>' in html
    rv = policy.post(f"/staff/recommendations/{r3.id}/split",
                     data={"split-point": point, "split-word": "", "split-version": r3.version_id},
                     follow_redirects=True)
    assert "R3 was split into R3a and R3b." in text_of(rv.get_data(as_text=True))
    session.expire_all()
    second = rec(session, "R3b")
    assert (r3.key, r3.text, second.text) == ("R3a", r3.text, "Clinks recommend" + second.text[16:])
    assert second.sequence == r3.sequence + 1 and second.question_id == r3.question_id
    assert [e.new for e in events(session, "recommendation", r3.id, "key")] == ["R3a"]
    [created] = events(session, "recommendation", second.id, "created")
    assert created.user_id == users["policy"] and json.loads(json.loads(created.new)["spans"]) == second.spans
    [spans] = events(session, "recommendation", r3.id, "spans")  # before and after, audited
    assert json.loads(spans.old)[0][1] > json.loads(spans.new)[0][1] == len(clinks(session).text[:second.spans[0][0]].rstrip())
    # Any word, from the list (what a click in the text chooses).
    asks = r3.text.index("asks")
    rv = policy.post(f"/staff/recommendations/{r3.id}/split",
                     data={"split-point": "word", "split-word": asks, "split-version": r3.version_id})
    assert rv.status_code == 302
    session.expire_all()
    assert keys_in_order(session)[11:15] == ["R3a", "R3b", "R3c", "R4"]


def test_split_refusals_through_the_page(demo, policy):
    session = demo
    r3 = rec(session, "R3")
    repeated = triage.add_recommendation(session, clinks(session), "Publish the results. Publish the results.")
    session.commit()
    before = snapshot(session)
    for target, data, message in [
        (r3, {}, "Choose where the second part starts"),
        (r3, {"split-point": "word"}, "Choose the word the second part starts with"),
        (r3, {"split-point": "word", "split-word": "3"}, "Choose one of the words offered"),
        (r3, {"split-point": "12x"}, "Choose one of the points offered"),
        (r3, {"split-point": "3"}, "Choose a point between two words of R3's text"),
        (repeated, {"split-point": "21"}, "Both parts would read “Publish the results.”"),
    ]:
        rv = policy.post(f"/staff/recommendations/{target.id}/split", data={"split-version": target.version_id, **data})
        assert rv.status_code == 400, data
        assert message in error_summary(rv.get_data(as_text=True)), data
    rv = policy.post(f"/staff/recommendations/{r3.id}/split",
                     data={"split-point": r3.text.index("asks"), "split-version": r3.version_id - 1 or 99})
    assert rv.status_code == 409
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
    [spans] = events(session, "recommendation", keep.id, "spans")  # the passages before and after
    assert json.loads(spans.new) == json.loads(spans.old) + a.spans + b.spans == keep.spans
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
    typed = triage.add_recommendation(session, clinks(session), "Words the response never uses.")
    session.commit()
    rv = policy.post(f"/staff/recommendations/{typed.id}/move", data={"direction": "up"}, follow_redirects=True)
    assert "R10 moved up, above R9." in rv.get_data(as_text=True)
    session.expire_all()
    assert [(e.old, e.new, e.user_id) for e in events(session, "recommendation", typed.id, "sequence")] == [
        ("19", "18", users["policy"])]
    html = policy.get("/staff/responses/1/recommendations").get_data(as_text=True)
    keys = re.findall(r'<th scope="row" class="govuk-table__header[^"]*">\s*<a [^>]*>([^<]+)</a>', html)
    assert keys[-2:] == ["R10", "R9"]
    before = snapshot(session)
    for key, direction, message in [("R3", "up", "R3 and R2 are shown in the order the response makes them"),
                                     ("R1", "up", "R1 is already the first recommendation"),
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
    faith = named_type(session, "faith")
    session.commit()
    html = policy.get("/staff/respondents/1/consent?next=/staff/responses/1").get_data(as_text=True)
    assert html.count("<h1") == 1 and 'type="radio"' in html and 'value="named" checked' in html
    page = text_of(html)
    assert "We may publish the respondent's name" in page and "not who said it" in page and "We publish nothing" in page
    assert 'href="/staff/history/respondent/1"' in html
    rv = policy.post("/staff/respondents/1/consent",
                     data={"consent": "anonymous", "organisation_type": faith.id, "version": respondent.version_id,
                           "return_to": "/staff/responses/1"})
    assert rv.status_code == 302 and rv.headers["Location"] == "/staff/responses/1"
    session.expire_all()
    assert (respondent.consent, respondent.organisation_type.name) == ("anonymous", "faith")
    [consent] = events(session, "respondent", 1, "consent")
    assert (consent.old, consent.new, consent.user_id) == ("named", "anonymous", users["policy"])
    stale = respondent.version_id - 1
    before = snapshot(session)
    rv = policy.post("/staff/respondents/1/consent",
                     data={"consent": "confidential", "organisation_type": "", "version": stale})
    assert rv.status_code == 409
    html = rv.get_data(as_text=True)
    assert "changed <strong>consent</strong> from “Named” to “Anonymous”" in html
    assert 'value="confidential" checked' in html
    for data, message in [
        ({"consent": "public", "organisation_type": "", "version": respondent.version_id}, "Not a valid choice"),
        ({"organisation_type": "", "version": respondent.version_id}, "Choose what may be published"),
        ({"consent": "named", "organisation_type": "x", "version": respondent.version_id},
         "Choose an organisation type from the list"),
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


def test_corrections_need_a_csrf_token(app, demo, policy):
    session = demo
    r3 = rec(session, "R3")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        before = snapshot(session)
        document = clinks(session).text
        for url, data in [("/staff/responses/1/recommendations/new", {"start": 0, "end": 40, "text": ""}),
                          (f"/staff/recommendations/{r3.id}/split", {"split-point": r3.text.index("asks"),
                                                                     "split-version": r3.version_id})]:
            assert policy.post(url, data=data).status_code == 400
        assert snapshot(session) == before
        html = policy.get("/staff/responses/1").get_data(as_text=True)
        form = html[html.index('<form method="post" action="/staff/responses/1/recommendations/new"'):]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form[:form.index("</form>")]).group(1)
        rv = policy.post("/staff/responses/1/recommendations/new",
                         data={"csrf_token": token, "start": 0, "end": document.index("\n"), "text": ""})
        assert rv.status_code == 302
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


def test_the_rule_against_folding_a_decided_recommendation_needs_no_request(demo):
    """``refuse_if_decided`` is domain code: a script or a service can apply it with a session."""
    session = demo
    demo_workflow.load(session, "probation-inspection-changes-2019", "Clinks")  # decides R4
    session.commit()
    triage.refuse_if_decided(session, [rec(session, "R6")])  # no decision: nothing to refuse
    with pytest.raises(TriageError, match="R4 already has a decision"):
        triage.refuse_if_decided(session, [rec(session, "R6"), rec(session, "R4")])


def test_history_reads_as_people_write_it(demo, users, policy, session):
    """Names, not ids; labels, not column names; dates and statuses as people write them."""
    response = clinks(session)
    r3, r4 = rec(session, "R3"), rec(session, "R4")
    triage.assign(session, [response], users["approver"])
    triage.mark_duplicate(session, r4, r3)
    session.commit()
    page = text_of(policy.get(f"/staff/history/response/{response.id}").get_data(as_text=True))
    assert "Assignee (empty) Approver" in page and "Assignee id" not in page
    page = text_of(policy.get(f"/staff/history/recommendation/{r4.id}").get_data(as_text=True))
    assert f"Duplicate of (empty) {r3.key}" in page
