"""Per-consultation progress on the staff consultation page and the public outcome page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from consultations import decisions
from consultations.models import Consultation, Recommendation, Response
from consultations.progress import consultation_progress, public_progress
from consultations.workflow import Decision


@pytest.fixture
def demo(demo_app, users, session):
    return session


def busiest(session) -> Consultation:
    cid = session.scalar(select(Response.consultation_id).group_by(Response.consultation_id)
                         .order_by(func.count().desc()).limit(1))
    return session.get(Consultation, cid)


def test_the_staff_consultation_page_shows_progress(demo, sign_in):
    consultation = busiest(demo)
    progress = consultation_progress(demo, consultation.id)
    html = sign_in("viewer").get(f"/staff/consultations/{consultation.slug}").get_data(as_text=True)
    assert 'id="progress"' in html and "Actions complete" in html
    assert f"{progress.published} of {progress.recommendations}" in html


def test_the_public_page_says_how_many_are_decided_and_how_many_still_under_consideration(demo, client):
    consultation = busiest(demo)
    progress = public_progress(demo, consultation.id)
    html = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    sentence = re.search(r'<p class="govuk-body" id="progress">([^<]+)</p>', html).group(1)
    assert sentence == (f"We received {progress.responses} responses making {progress.recommendations} "
                        f"recommendations; {progress.decided} decided, {progress.under_consideration} "
                        "still under consideration.")


def test_an_approved_but_unpublished_decision_is_not_counted_as_decided_in_public(demo, client):
    consultation = busiest(demo)
    before = public_progress(demo, consultation.id)
    rec = demo.scalars(select(Recommendation).join(Response).where(
        Response.consultation_id == consultation.id, ~Recommendation.id.in_(select(Decision.recommendation_id)),
        Recommendation.duplicate_of_id.is_(None))).first()
    decisions.approve(decisions.save_decision(demo, rec, "accepted", "Yes.", "", None), None)
    demo.commit()
    html = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert f"; {before.decided} decided," in html
