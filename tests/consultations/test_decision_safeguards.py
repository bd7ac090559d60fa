"""The publication safeguards in the domain, called directly: two people for publication, the
preview of what publishing shows, withdrawal instead of deletion, closed responses read-only,
and what is left before a consultation's outcome is published. The helpers here serve the page
tests too (tests/tracker/staff/test_safeguards.py)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from conftest import PASSWORD
from consultations import decisions as decision_rules
from consultations import published
from consultations.models import Consultation, Recommendation, Respondent, Response
from consultations.soft_delete import WITH_DELETED, restore, soft_delete
from consultations.users import create_user
from consultations.workflow import Decision
from tracker.db import db

TWO_PEOPLE = pytest.mark.app_config(DECISION_TWO_PERSON_RULE=True)


@pytest.fixture
def recs(demo_content_app, users):
    with demo_content_app.app_context():
        return {r.key: r.id for r in db.session.scalars(select(Recommendation))}


@pytest.fixture
def second_approver(app, users):
    """Another approver, signed in on a client of its own: (client, user id)."""
    with app.app_context():
        user = create_user(db.session, "second@example.org", "approver", PASSWORD, "Second Approver")
        db.session.commit()
        user_id = user.id
    client = app.test_client()
    assert client.post("/sign-in", data={"email": "second@example.org", "password": PASSWORD}).status_code == 302
    return client, user_id


def draft(app, key_id: int, user_id: int | None, rationale: str = "We agree.") -> int:
    with app.app_context():
        rec = db.session.get(Recommendation, key_id)
        decision = decision_rules.save_decision(db.session, rec, "accepted", rationale, "Secret note.", user_id)
        db.session.commit()
        return decision.id


def publish_directly(app, rec_id: int, drafter: int | None, approver: int | None, on: dt.datetime | None = None) -> int:
    decision_id = draft(app, rec_id, drafter)
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        decision_rules.approve(decision, approver)
        decision_rules.publish(decision, approver, now=on)
        db.session.commit()
    return decision_id


def small_consultation(session, status="analysing") -> list[int]:
    consultation = Consultation(slug="small", title="A small consultation", body="Inspectorate", status=status)
    respondent = Respondent(name="Small Trust", consent="named")
    response = Response(consultation=consultation, respondent=respondent, channel="email", text="One. Two.",
                        received_on=dt.date(2026, 1, 5), status="recommendations confirmed")
    recs = [Recommendation(response=response, key=f"R{n}", sequence=n, text=f"Point {n}.", spans=[], origin="manual")
            for n in (1, 2)]
    session.add_all([consultation, respondent, response, *recs])
    session.commit()
    return [r.id for r in recs]


def test_the_drafter_may_not_approve_or_publish(app, recs, users, second_approver):
    _, second = second_approver
    decision_id = draft(app, recs["R1"], users["approver"])
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        with pytest.raises(decision_rules.DecisionError, match="Ask an approver other than Approver"):
            decision_rules.approve(decision, users["approver"])
        assert decision.state == "draft"
        decision_rules.approve(decision, second)
        # Had the drafter approved with the rule off, they still could not publish with it on.
        decision.approved_by_id = users["approver"]
        with pytest.raises(decision_rules.DecisionError, match="two people for publication"):
            decision_rules.publish(decision, users["approver"])
        decision_rules.publish(decision, second)
        assert decision.state == "published"
        db.session.rollback()


def test_the_rule_can_be_turned_off_and_ignores_scripts(app, recs, users):
    decision_id = draft(app, recs["R1"], users["approver"])
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        decision_rules.approve(decision, users["approver"], two_person_rule=False)
        decision_rules.publish(decision, users["approver"], two_person_rule=False)
        assert decision.state == "published"
        db.session.rollback()
        decision = db.session.get(Decision, draft(app, recs["R2"], None))
        decision_rules.approve(decision, None)  # a script acting as nobody
        assert decision.state == "approved"
        db.session.rollback()


def test_the_preview_says_when_a_recommendation_will_not_be_public(app, recs, users):
    decision_id = draft(app, recs["R1"], users["approver"])
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        rec = decision.recommendation
        rec.response.respondent.consent = "anonymous"
        [entry] = published.publication_preview(db.session, decision, [rec])
        assert entry.shown.made_by == published.public_name(rec.response.respondent)
        assert entry.shown.decision.rationale == "We agree." and "Secret" not in repr(entry.shown)
        rec.response.respondent.consent = "confidential"
        [entry] = published.publication_preview(db.session, decision, [rec])
        assert entry.shown is None and "confidential" in entry.why_not
        db.session.rollback()


def test_withdraw_in_the_domain(app, recs, users):
    decision_id = publish_directly(app, recs["R1"], None, None)
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        with pytest.raises(decision_rules.DecisionError, match="withdraw it instead"):
            decision_rules.delete_decision(decision)
        with pytest.raises(decision_rules.DecisionError, match="Give the reason"):
            decision_rules.withdraw(decision, "  ")
        decision_rules.withdraw(decision, "New evidence came to light.", now=dt.datetime(2026, 12, 2, 9))
        assert decision.state == "withdrawn" and decision.deleted_at is None
        assert published.shown_outcome(decision) == "withdrawn"
        assert published.shown_rationale(decision) == "Withdrawn on 2 December 2026: New evidence came to light."
        with pytest.raises(decision_rules.DecisionError, match="already withdrawn"):
            decision_rules.withdraw(decision, "Again.")
        # A revision published again reinstates it.
        decision_rules.save_decision(db.session, decision.recommendation, "not accepted", "On reflection, no.", "", None)
        decision_rules.approve(decision, None)
        decision_rules.publish(decision, None)
        assert decision.withdrawn_at is None and published.shown_outcome(decision) == "not accepted"
        db.session.rollback()

        draft_only = db.session.get(Decision, draft(app, recs["R2"], None))
        with pytest.raises(decision_rules.DecisionError, match="Only a published decision can be withdrawn"):
            decision_rules.withdraw(draft_only, "Why not.")


def test_a_closed_response_is_read_only_until_reopened(app, recs, users):
    from consultations import triage

    with app.app_context():
        rec = db.session.get(Recommendation, recs["R1"])
        rec.response.status = "closed"
        for change in (lambda: triage.edit_recommendation(rec, "New words.", rec.question),
                       lambda: triage.delete_recommendation(db.session, rec),
                       lambda: triage.move_recommendation(db.session, rec, "down"),
                       lambda: triage.add_recommendation(db.session, rec.response, "Another point.")):
            with pytest.raises(triage.TriageError, match="Reopen it first"):
                change()
        triage.set_status(rec.response, "recommendations confirmed")
        triage.edit_recommendation(rec, "New words.", rec.question)
        assert rec.text == "New words."
        db.session.rollback()


def test_a_withdrawn_decision_counts_as_left_and_drafts_never_move(app, users):
    with app.app_context():
        first, second = small_consultation(db.session, status="draft")
    publish_directly(app, first, None, None)
    publish_directly(app, second, None, None)
    with app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "small"))
        assert consultation.status == "draft"  # a draft consultation is not published by its decisions
        decision = decision_rules.decision_for(db.session, db.session.get(Recommendation, first))
        decision_rules.withdraw(decision, "Wrong consultation.")
        assert decision_rules.recommendations_left(db.session, consultation.id) == 1


# --- "outcome published" moves back when a recommendation waits again ---------------------


def settled(app) -> int:
    """The small consultation with both its recommendations published: 'outcome published'."""
    with app.app_context():
        ids = small_consultation(db.session)
    for rec_id in ids:
        publish_directly(app, rec_id, None, None, on=dt.datetime(2026, 3, 2, 10))
    with app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "small"))
        assert (consultation.status, consultation.outcome_published_on) == ("outcome published", dt.date(2026, 3, 2))
        return consultation.id


def consultation_audit(app, consultation_id: int) -> list[tuple[str, str | None, str | None]]:
    from consultations.workflow import AuditEvent

    with app.app_context():
        return [(e.field, e.old, e.new) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "consultation", AuditEvent.entity_id == consultation_id,
                                     AuditEvent.field.in_(("status", "outcome_published_on")))
            .order_by(AuditEvent.id))]


MOVED_BACK = [("status", "outcome published", "analysing"), ("outcome_published_on", "2026-03-02", None)]


def test_withdrawing_a_decision_moves_the_consultation_back(app, users):
    consultation_id = settled(app)
    with app.app_context():
        rec = db.session.scalar(select(Recommendation).where(Recommendation.key == "R1", Recommendation.origin == "manual")
                                .join(Response).join(Consultation).where(Consultation.slug == "small"))
        rec_id = rec.id
        decision_rules.withdraw(decision_rules.decision_for(db.session, rec), "New evidence.")
        consultation = db.session.get(Consultation, consultation_id)
        assert (consultation.status, consultation.outcome_published_on) == ("analysing", None)
        assert decision_rules.reopened(db.session) == {consultation_id: 1}  # what staff are told
        assert decision_rules.reopened(db.session) == {}  # told once
        db.session.commit()
    assert consultation_audit(app, consultation_id)[-2:] == MOVED_BACK
    # Publishing it again settles the consultation again, with the new date.
    with app.app_context():
        decision = decision_rules.decision_for(db.session, db.session.get(Recommendation, rec_id))
        decision_rules.save_decision(db.session, decision.recommendation, "accepted", "Again.", "", None)
        decision_rules.approve(decision, None)
        decision_rules.publish(decision, None, now=dt.datetime(2026, 4, 1, 9))
        db.session.commit()
        assert db.session.get(Consultation, consultation_id).outcome_published_on == dt.date(2026, 4, 1)


def test_a_new_undecided_recommendation_moves_the_consultation_back(app, users):
    consultation_id = settled(app)
    with app.app_context():
        response = db.session.scalar(select(Response).join(Consultation).where(Consultation.slug == "small"))
        db.session.add(Recommendation(response=response, key="R3", sequence=3, text="Point 3.", spans=[], origin="manual"))
        db.session.flush()  # as every domain service does; the commit writes the move
        consultation = db.session.get(Consultation, consultation_id)
        assert (consultation.status, consultation.outcome_published_on) == ("analysing", None)
        assert decision_rules.reopened(db.session) == {consultation_id: 1}
        db.session.commit()
    assert consultation_audit(app, consultation_id)[-2:] == MOVED_BACK


def test_a_new_response_with_recommendations_moves_the_consultation_back(app, users):
    consultation_id = settled(app)
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        response = Response(consultation=consultation, respondent=Respondent(name="Late Trust", consent="named"),
                            text="Late. Later.")
        db.session.add_all([Recommendation(response=response, key=f"R{n}", sequence=n, text=f"Late {n}.", spans=[])
                            for n in (1, 2)])
        db.session.commit()
        assert db.session.get(Consultation, consultation_id).status == "analysing"
    assert consultation_audit(app, consultation_id)[-2:] == MOVED_BACK


def test_a_new_duplicate_of_a_decided_recommendation_leaves_it_published(app, users):
    consultation_id = settled(app)
    with app.app_context():
        first = db.session.scalar(select(Recommendation).join(Response).join(Consultation)
                                  .where(Consultation.slug == "small", Recommendation.key == "R1"))
        db.session.add(Recommendation(response=first.response, key="R3", sequence=3, text="Point 1 again.", spans=[],
                                      duplicate_of=first))
        db.session.commit()
        assert db.session.get(Consultation, consultation_id).status == "outcome published"
        assert decision_rules.reopened(db.session) == {}
        # No longer a duplicate: it has no decision of its own, so the consultation moves back.
        db.session.scalar(select(Recommendation).where(Recommendation.text == "Point 1 again.")).duplicate_of = None
        db.session.commit()
        assert db.session.get(Consultation, consultation_id).status == "analysing"


def test_restoring_an_undecided_recommendation_moves_the_consultation_back(app, users):
    with app.app_context():
        ids = small_consultation(db.session)
        response = db.session.get(Recommendation, ids[0]).response
        extra = Recommendation(response=response, key="R3", sequence=3, text="Point 3.", spans=[], origin="manual")
        db.session.add(extra)
        db.session.flush()
        soft_delete(extra)
        db.session.commit()
        extra_id = extra.id
    for rec_id in ids:
        publish_directly(app, rec_id, None, None, on=dt.datetime(2026, 3, 2, 10))
    with app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "small"))
        assert consultation.status == "outcome published"
        restore(db.session.get(Recommendation, extra_id, execution_options=WITH_DELETED))
        db.session.commit()
        assert consultation.status == "analysing" and consultation.outcome_published_on is None


def test_a_rolled_back_change_moves_nothing_and_tells_nothing(app, users):
    consultation_id = settled(app)
    with app.app_context():
        response = db.session.scalar(select(Response).join(Consultation).where(Consultation.slug == "small"))
        db.session.add(Recommendation(response=response, key="R3", sequence=3, text="Point 3.", spans=[]))
        db.session.flush()
        db.session.rollback()
        assert decision_rules.reopened(db.session) == {}
        assert db.session.get(Consultation, consultation_id).status == "outcome published"
    assert consultation_audit(app, consultation_id)[-1] == ("outcome_published_on", None, "2026-03-02")
