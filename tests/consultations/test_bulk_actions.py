"""Bulk actions called directly: each plan lists what would change and what would not, in a fixed
number of queries; each apply changes items through the single-item rules, skips (and reports)
what changed meanwhile or is refused, and audits every item on its own."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from consultations import bulk_actions as bulk
from consultations import recommendation_list as listing
from consultations.answer_templates import AnswerTemplateError, add_template
from consultations.models import Link, Recommendation, Response
from consultations.workflow import AuditEvent, Decision


@pytest.fixture
def demo(demo_app, users, session):
    return session


@pytest.fixture
def statements(demo):
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = demo.get_bind()
    event.listen(engine, "before_cursor_execute", before)
    yield seen
    event.remove(engine, "before_cursor_execute", before)


def all_ids(session) -> list[int]:
    return list(session.scalars(listing.matching_ids(listing.RecommendationFilters())))


def undecided(session, n: int) -> list[int]:
    filters = listing.RecommendationFilters(decision_state=listing.NO_DECISION)
    return list(session.scalars(listing.matching_ids(filters).order_by(Recommendation.id).limit(n)))


def shown(plan) -> dict[str, int]:
    return {item.key: item.version for item in plan.changes}


def test_draft_approve_publish_a_batch_through_the_single_item_rules(demo, users):
    template = add_template(demo, "Agreed, standard wording", "accepted", "We agree and will act on it.",
                            users["approver"])
    ids = undecided(demo, 3)
    plan = bulk.plan_draft(demo, ids, template)
    assert len(plan.changes) == 3 and all(item.version == 0 for item in plan.changes)
    result = bulk.apply_draft(demo, shown(plan), template, users["policy"])
    assert len(result.done) == 3 and not result.skipped
    drafts = demo.scalars(select(Decision).where(Decision.recommendation_id.in_(ids))).all()
    assert {d.state for d in drafts} == {"draft"} and {d.outcome for d in drafts} == {"accepted"}

    plan = bulk.plan_approve(demo, ids)
    assert len(plan.changes) == 3
    assert len(bulk.apply_approve(demo, shown(plan), users["approver"]).done) == 3

    plan = bulk.plan_publish(demo, ids)
    assert [item.public_rationale for item in plan.changes] == ["We agree and will act on it."] * 3
    result = bulk.apply_publish(demo, shown(plan), users["approver"])
    assert len(result.done) == 3
    demo.flush()
    for decision in drafts:
        assert decision.state == "published" and decision.published_rationale == "We agree and will act on it."
        events = demo.scalars(select(AuditEvent).where(AuditEvent.entity_id == decision.id,
                                                       AuditEvent.field == "state")).all()
        assert len(events) >= 2  # draft -> approved -> published, on this decision alone


def test_a_stale_item_is_skipped_and_reported_never_overwritten(demo, users):
    template = add_template(demo, "Noted", "under consideration", "Thank you, we have noted this.", users["approver"])
    ids = undecided(demo, 2)
    plan = bulk.plan_draft(demo, ids, template)
    bulk.apply_draft(demo, shown(plan), template, users["policy"])
    plan = bulk.plan_approve(demo, ids)
    first = demo.get(Decision, int(plan.changes[0].key))
    first.public_rationale = "Someone else rewrote this meanwhile."
    demo.flush()
    result = bulk.apply_approve(demo, shown(plan), users["approver"])
    assert len(result.done) == 1
    assert result.skipped == [(plan.changes[0].recommendation, bulk.CHANGED_MEANWHILE)]
    assert first.state == "draft" and first.public_rationale == "Someone else rewrote this meanwhile."


def test_a_refused_item_is_skipped_with_the_rules_reason(demo, users):
    template = add_template(demo, "Accepted", "accepted", "Yes.", users["approver"])
    ids = undecided(demo, 1)
    plan = bulk.plan_draft(demo, ids, template)
    bulk.apply_draft(demo, shown(plan), template, users["policy"])
    approve = bulk.plan_approve(demo, ids)
    bulk.apply_approve(demo, shown(approve), users["approver"])
    decision = demo.get(Decision, int(approve.changes[0].key))
    # approving again from the same (now stale-free but refused) state: the rule says why
    result = bulk.apply_approve(demo, {str(decision.id): decision.version_id}, users["approver"])
    assert not result.done and "already approved" in result.skipped[0][1]


def test_the_drafter_is_skipped_by_the_two_person_rule_unless_it_is_off(demo, users):
    template = add_template(demo, "Accepted", "accepted", "Yes.", users["approver"])
    ids = undecided(demo, 1)
    bulk.apply_draft(demo, shown(bulk.plan_draft(demo, ids, template)), template, users["approver"])
    plan = bulk.plan_approve(demo, ids)
    result = bulk.apply_approve(demo, shown(plan), users["approver"])
    assert not result.done and "two people for publication" in result.skipped[0][1]
    assert len(bulk.apply_approve(demo, shown(plan), users["approver"], two_person_rule=False).done) == 1


def test_plans_list_what_will_not_change_and_why(demo, users):
    ids = undecided(demo, 2)
    assert [why for _, why in bulk.plan_approve(demo, ids).unchanged] == ["No decision yet"] * 2
    assert bulk.plan_publish(demo, ids).changes == []


def test_assign_gives_each_response_once_and_skips_a_changed_one(demo, users):
    ids = all_ids(demo)
    plan = bulk.plan_assign(demo, ids, users["policy"])
    assert len(plan.changes) + len(plan.unchanged) == len(set(demo.scalars(
        select(Recommendation.response_id).where(Recommendation.id.in_(ids)))))
    target = demo.get(Response, int(plan.changes[0].key))
    target.status = "in review" if target.status != "in review" else "received"
    demo.flush()
    result = bulk.apply_assign(demo, shown(plan), users["policy"])
    assert len(result.done) == len(plan.changes) - 1 and len(result.skipped) == 1
    assert target.assignee_id != users["policy"]


def test_assign_refuses_an_unknown_person(demo, users):
    with pytest.raises(bulk.BulkActionError):
        bulk.plan_assign(demo, all_ids(demo), 999_999)


def test_nothing_selected_is_refused(demo):
    with pytest.raises(bulk.BulkActionError):
        bulk.plan_approve(demo, [])


def test_confirm_links_above_a_score_links_each_suggestion(demo, users):
    ids = all_ids(demo)
    plan = bulk.plan_confirm_links(demo, ids, 0.2)
    assert plan.changes, "the demo has suggestions scoring 0.2 or more"
    before = demo.scalar(select(Link.id).order_by(Link.id.desc()).limit(1))
    result = bulk.apply_confirm_links(demo, shown(plan), 0.2, users["methodology"])
    assert len(result.done) == len(plan.changes) and not result.skipped
    new = demo.scalars(select(Link).where(Link.id > before)).all()
    assert len(new) == len(plan.changes) and {link.status for link in new} == {"confirmed"}
    assert all(link.score >= 0.2 for link in new)
    assert bulk.plan_confirm_links(demo, ids, 0.2).changes == []  # linked items are not suggested again


def test_each_plan_runs_a_fixed_number_of_queries_whatever_the_number_of_items(demo, users, statements):
    template = add_template(demo, "T", "accepted", "R.", users["approver"])
    counts = []
    for ids in (undecided(demo, 1), all_ids(demo)):
        demo.expire_all()
        statements.clear()
        bulk.plan_draft(demo, ids, template)
        bulk.plan_approve(demo, ids)
        bulk.plan_publish(demo, ids)
        bulk.plan_assign(demo, ids, users["policy"])
        bulk.plan_confirm_links(demo, ids, 0.3)
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_all_matching_a_filter_is_a_query_not_a_list(demo, users):
    filters = listing.RecommendationFilters(decision_state=listing.NO_DECISION)
    template = add_template(demo, "T", "not accepted", "Noted.", users["approver"])
    plan = bulk.plan_draft(demo, listing.matching_ids(filters), template)
    assert len(plan.changes) >= 1


def test_a_template_needs_a_name_an_outcome_and_a_rationale(demo, users):
    add_template(demo, "Once", "accepted", "R.", None)
    for args in (("", "accepted", "R."), ("X", "maybe", "R."), ("X", "accepted", " "), ("Once", "accepted", "R.")):
        with pytest.raises(AnswerTemplateError):
            add_template(demo, *args, None)
