"""Redaction before publication, as staff and the public meet it: the detector's proposals on a
response's Redactions page, confirming and rejecting them, redacting words by hand, marking the
response reviewed, publishing refused until then, and every public surface showing the
redacted text while staff keep the original. The rules are in ``consultations.redaction``."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from consultations import decisions as decision_rules
from consultations.models import Consultation, Recommendation, Respondent, Response
from consultations.organisation_types import named as named_type
from consultations.redaction import Redaction
from consultations.workflow import AuditEvent, Decision

SLUG = "probation-inspection-changes-2019"
EMAIL = "amira.khan@harbour.example"
NHS = "943 476 5919"
WARD = "Harbour Ward 7"
TEXT = (f"Dr Amira Khan ({EMAIL}) says inspectors should visit every approved premises at night. "
        f"One resident, NHS number {NHS}, was moved to {WARD} without notice.")


@pytest.fixture
def setup(demo_content_app, users, session):
    consultation = session.scalar(select(Consultation).where(Consultation.slug == SLUG))
    respondent = Respondent(name="Harbour Advocacy", consent="named", contact_details=f"Dr Amira Khan, {EMAIL}",
                            organisation_type=named_type(session, "charity"))
    response = Response(consultation=consultation, respondent=respondent, channel="email", text=TEXT,
                        received_on=dt.date(2019, 4, 20), status="closed")
    rec = Recommendation(response=response, key="R1", sequence=1, text=TEXT, spans=[[0, len(TEXT)]], origin="manual")
    session.add_all([respondent, response, rec])
    session.flush()
    decision = decision_rules.save_decision(session, rec, "accepted", "We will visit at night.", "", None)
    decision_rules.approve(decision, None)
    session.commit()
    return {"response": response.id, "rec": rec.id, "decision": decision.id}


def publish(client, decision_id, session):
    version = session.get(Decision, decision_id).version_id
    return client.post(f"/staff/decisions/{decision_id}/publish", data={"version": version})


def test_publishing_waits_for_the_review_and_the_public_reads_only_the_redacted_text(app, client, sign_in, session,
                                                                                      setup):
    approver = sign_in("approver")
    preview = approver.get(f"/staff/decisions/{setup['decision']}/publish").get_data(as_text=True)
    assert "Personal data in the response from Harbour Advocacy" in preview
    assert f'href="/staff/responses/{setup["response"]}/redactions"' in preview and "Publish decision</button>" not in preview
    refused = publish(approver, setup["decision"], session)
    assert refused.status_code == 400
    assert "not yet reviewed for redaction" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Decision, setup["decision"]).published_at is None

    policy = sign_in("policy")
    page = f"/staff/responses/{setup['response']}/redactions"
    assert policy.post(page + "/detect").status_code == 302
    proposals = session.scalars(select(Redaction).where(Redaction.response_id == setup["response"])).all()
    assert sorted(p.kind for p in proposals) == ["contact-name", "email", "nhs-number"]
    html = policy.get(page).get_data(as_text=True)
    assert "To check" in html and EMAIL in html  # staff read the original

    # Reviewed is refused while proposals wait; nothing changes.
    refused = policy.post(page + "/reviewed")
    assert refused.status_code == 400 and "3 proposed redactions" in refused.get_data(as_text=True)
    for proposal in proposals:
        answer = "publish" if proposal.kind == "contact-name" else "redact"
        assert policy.post(f"/staff/redactions/{proposal.id}",
                           data={"decision": answer, "version": proposal.version_id}).status_code == 302
    # Words of their own, with a reason; words not in the text are refused with why.
    missing = policy.post(page + "/add", data={"passage": "Ward 99", "reason": "sensitive"})
    assert missing.status_code == 400 and "not in this response" in missing.get_data(as_text=True)
    assert policy.post(page + "/add", data={"passage": WARD, "reason": "sensitive"}).status_code == 302
    assert policy.post(page + "/reviewed").status_code == 302

    approver = sign_in("approver")
    assert publish(approver, setup["decision"], session).status_code == 302

    anonymous = app.test_client()
    surfaces = {
        "page": f"/recommendations/{setup['rec']}",
        "consultation": f"/consultations/{SLUG}",
        "csv": f"/consultations/{SLUG}/outcomes.csv",
        "json": f"/consultations/{SLUG}/outcomes.json",
        "feed": f"/consultations/{SLUG}/feed.atom",
        "api": f"/api/v1/recommendations/{setup['rec']}",
        "respondent": f"/respondents/{session.get(Response, setup['response']).respondent_id}",
    }
    for name, url in surfaces.items():
        response = anonymous.get(url)
        assert response.status_code == 200, name
        body = response.get_data(as_text=True)
        for secret in (EMAIL, NHS, WARD, "943 476"):
            assert secret not in body, (name, secret)
    shown = json.loads(anonymous.get(surfaces["api"]).get_data(as_text=True))
    text = shown.get("text") or shown["data"]["text"]
    assert "[redacted: contact details]" in text and "[redacted: identifying number]" in text
    assert "[redacted: health or criminal information]" in text and "Dr Amira Khan" in text  # rejected: kept
    for word in ("amira.khan", "harbour.example", "Ward", "5919"):  # the public index holds the redacted text
        found = anonymous.get(f"/search?q={word}").get_data(as_text=True)
        assert all(secret not in found for secret in (EMAIL, NHS, WARD)), word
    assert "Harbour Advocacy" not in anonymous.get("/search?q=5919").get_data(as_text=True)
    assert "Harbour Advocacy" in anonymous.get("/search?q=night+premises").get_data(as_text=True)
    assert EMAIL in policy.get(f"/staff/recommendations/{setup['rec']}").get_data(as_text=True)

    # Audited: who redacted what and why, by position, never the words themselves.
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "redaction")).all()
    assert {e.field for e in events} >= {"created", "status"}
    assert all(EMAIL not in (e.new or "") + (e.old or "") for e in events)
    reviewed = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "response",
                                                        AuditEvent.entity_id == setup["response"],
                                                        AuditEvent.field == "redaction_reviewed_at")).all()
    assert len(reviewed) == 1 and reviewed[0].user_id is not None


def test_the_redactions_page_reads_well_for_everyone_and_only_policy_changes_it(client, sign_in, session, setup):
    viewer = sign_in("viewer")
    html = viewer.get(f"/staff/responses/{setup['response']}/redactions").get_data(as_text=True)
    assert "Not reviewed" in html and "Find likely personal data" not in html
    assert viewer.post(f"/staff/responses/{setup['response']}/redactions/detect").status_code == 403
    manage = sign_in("policy").get(f"/staff/responses/{setup['response']}/recommendations").get_data(as_text=True)
    assert "Personal data and redactions" in manage and "cannot be published yet" in manage


def test_bulk_publishing_skips_a_decision_whose_response_is_not_reviewed(session, setup):
    from consultations import bulk_actions as bulk
    from consultations import redaction as rules

    decision = session.get(Decision, setup["decision"])
    result = bulk.apply_publish(session, {str(decision.id): decision.version_id}, None, redaction_review=True)
    assert result.done == [] and "not yet reviewed for redaction" in result.skipped[0][1]
    assert session.get(Decision, setup["decision"]).published_at is None
    response = session.get(Response, setup["response"])
    rules.propose(session, response)
    with pytest.raises(rules.RedactionError, match="3 proposed redactions"):
        rules.mark_reviewed(session, response)
    for proposal in rules.redactions_of(session, response):
        rules.decide(proposal, "confirmed", None)
    rules.mark_reviewed(session, response)
    result = bulk.apply_publish(session, {str(decision.id): decision.version_id}, None, redaction_review=True)
    assert len(result.done) == 1 and session.get(Decision, setup["decision"]).published_at is not None
