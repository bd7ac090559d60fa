"""Per-consultation progress: the staff counts and the public counts, each one query, and the
public ones counting only what the public may see."""
from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from consultations import published
from consultations.models import Recommendation, Respondent, Response, utcnow
from consultations.progress import consultation_progress, public_progress
from consultations.workflow import Decision


@pytest.fixture
def demo(demo_app, users, session):
    return session


def busiest(session) -> int:
    return session.scalar(select(Response.consultation_id).group_by(Response.consultation_id)
                          .order_by(func.count().desc()).limit(1))


def test_staff_progress_counts_match_the_records(demo):
    cid = busiest(demo)
    progress = consultation_progress(demo, cid)
    responses = demo.scalars(select(Response).where(Response.consultation_id == cid)).all()
    recs = demo.scalars(select(Recommendation).join(Response).where(Response.consultation_id == cid)).all()
    assert progress.responses == len(responses)
    assert progress.recommendations == len(recs)
    assert progress.triaged == sum(r.status in ("recommendations confirmed", "closed") for r in responses)
    assert progress.linked == sum(any(link.status == "confirmed" for link in rec.links) for rec in recs)
    assert 0 < progress.published <= progress.decided <= progress.recommendations
    assert progress.actions_complete <= progress.actions
    assert progress.still_to_decide == progress.recommendations - progress.decided


def test_a_deleted_recommendation_is_not_counted(demo):
    cid = busiest(demo)
    before = consultation_progress(demo, cid)
    rec = demo.scalars(select(Recommendation).join(Response).where(Response.consultation_id == cid)).first()
    rec.deleted_at = utcnow()
    demo.flush()
    assert consultation_progress(demo, cid).recommendations == before.recommendations - 1


def test_public_counts_decided_as_published_and_leave_out_confidential_respondents(demo):
    cid = busiest(demo)
    progress = public_progress(demo, cid)
    assert progress.decided == published.count_public_recommendations(demo, consultation_id=cid)
    confidential = demo.scalar(select(func.count(Response.id)).join(Respondent).where(
        Response.consultation_id == cid, Respondent.consent == "confidential"))
    assert progress.responses == consultation_progress(demo, cid).responses - confidential
    # an approved, unpublished decision is still under consideration for the public
    decision = demo.scalars(select(Decision).where(Decision.published_at.is_(None))).first()
    if decision is not None:
        decision.state = "approved"
        demo.flush()
        assert public_progress(demo, cid).decided == progress.decided


def test_each_is_one_query(demo):
    cid = busiest(demo)
    seen = []
    engine = demo.get_bind()
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        consultation_progress(demo, cid)
        public_progress(demo, cid)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(seen) == 2
