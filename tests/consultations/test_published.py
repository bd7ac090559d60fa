"""The rules for what the public may see, in the one module that applies them."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from consultations.models import Consultation, Recommendation, Respondent, Response
from consultations.workflow import Decision
from consultations.published import public_name, public_recommendations
from consultations.organisation_types import named as named_type


@pytest.fixture
def demo(demo_app, session):
    return session


def publish(session, rec, outcome="accepted"):
    session.add(Decision(recommendation=rec, outcome=outcome, public_rationale="Yes.", internal_note="secret",
                         state="published", published_outcome=outcome, published_rationale="Yes.",
                         published_at=dt.datetime(2020, 1, 1)))
    session.flush()


def test_only_published_decisions_and_their_public_text(demo):
    found = {r.key: r for r in public_recommendations(demo)}
    assert set(found) == {"R1", "R4", "R5", "R9"}  # R3 is a draft, R8 approved but not published
    r5 = found["R5"]
    assert r5.decision.outcome == "accepted in part"
    assert [u.text for a in r5.decision.actions for u in a.updates] == [
        "Draft guidance shared with women's centres for comment."]  # the internal update is left out
    assert not hasattr(r5.decision, "internal_note")


def test_a_revision_shows_the_published_snapshot_until_republished(demo):
    r4 = demo.scalar(select(Recommendation).where(Recommendation.key == "R4"))
    decision = demo.scalar(select(Decision).where(Decision.recommendation_id == r4.id))
    decision.outcome, decision.public_rationale, decision.state = "not accepted", "Changed our mind", "draft"
    demo.flush()
    [public] = public_recommendations(demo, recommendation_id=r4.id)
    assert public.decision.outcome == "accepted" and "Changed" not in public.decision.rationale


@pytest.mark.parametrize("consent, shown, page", [
    ("named", "Howard League", True), ("anonymous", "A voluntary sector organisation", False), ("confidential", None, False)])
def test_consent(demo, consent, shown, page):
    respondent = Respondent(name="Howard League", consent=consent, organisation_type=named_type(demo, "voluntary sector"))
    rec = Recommendation(response=Response(consultation=demo.scalar(select(Consultation)), respondent=respondent, text="t"),
                         key="R1", sequence=1, text="Abolish short sentences.")
    demo.add(rec)
    publish(demo, rec)
    assert public_name(respondent) == shown
    found = public_recommendations(demo, recommendation_id=rec.id)
    if consent == "confidential":
        assert found == []
    else:
        assert found[0].made_by == shown
        assert (found[0].respondent_id is not None) is page
        assert public_recommendations(demo, respondent_id=respondent.id) == (found if page else [])


def test_duplicates_share_the_published_decision_and_credit_each_other(demo):
    r4 = demo.scalar(select(Recommendation).where(Recommendation.key == "R4"))
    consultation = demo.scalar(select(Consultation))
    other = Recommendation(response=Response(consultation=consultation, text="t",
                                             respondent=Respondent(name="Women in Prison", consent="named")),
                           key="R1", sequence=1, text="Consider gendered needs.", duplicate_of=r4)
    secret = Recommendation(response=Response(consultation=consultation, text="t",
                                              respondent=Respondent(name="Hidden", consent="confidential")),
                            key="R1", sequence=1, text="Same point.", duplicate_of=r4)
    demo.add_all([other, secret])
    demo.flush()
    found = {r.id: r for r in public_recommendations(demo)}
    assert found[other.id].decision.outcome == "accepted"
    assert found[r4.id].also_made_by == ["Women in Prison"]  # the confidential one is not named
    assert secret.id not in found


def test_deleted_things_disappear(demo):
    r4 = demo.scalar(select(Recommendation).where(Recommendation.key == "R4"))
    r4.deleted_at = dt.datetime(2021, 1, 1)
    demo.flush()
    assert "R4" not in {r.key for r in public_recommendations(demo)}
