"""The publication safeguards through the pages: the decision page explains the two-person
rule and refuses the drafter, publishing asks for confirmation with a preview of exactly the
public text, withdrawal (never deletion) and what the public then sees, warnings with the URLs
before public pages disappear, closed responses refusing corrections, and the consultation page
saying what is left before its outcome is published. The rules themselves are tested directly in
tests/consultations/test_decision_safeguards.py."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from consultations import decisions as decision_rules
from consultations import published
from consultations.models import Consultation, Recommendation, Respondent, Response
from test_decision_safeguards import (  # noqa: F401 (recs and second_approver are fixtures)
    TWO_PEOPLE, publish_directly, recs, second_approver, small_consultation,
)
from test_decisions import audit, decision_of, decision_url, post_state, save, text_of
from tracker.db import db


def test_the_rule_is_on_by_default(tmp_path, monkeypatch):
    from tracker import create_app

    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db"})
    assert app.config["DECISION_TWO_PERSON_RULE"] is True


@TWO_PEOPLE
def test_the_decision_page_explains_the_rule_and_refuses_the_drafter(app, sign_in, recs, users, second_approver):
    client = sign_in("approver")
    rec = recs["R1"]
    assert save(client, rec).status_code == 302
    html = client.get(decision_url(rec)).get_data(as_text=True)
    assert "Someone else must approve this decision" in html
    assert "Ask an approver other than Approver" in html and "Approve decision" not in html
    decision = decision_of(app, rec)
    response = post_state(client, decision, "approve")
    assert response.status_code == 400
    assert "another approver must approve and publish it" in response.get_data(as_text=True)
    assert decision_of(app, rec).state == "draft"

    other, second = second_approver
    html = other.get(decision_url(rec)).get_data(as_text=True)
    assert "Someone else must" not in html and "Approve decision" in html
    assert post_state(other, decision, "approve").status_code == 302
    decision = decision_of(app, rec)
    assert (decision.state, decision.approved_by_id) == ("approved", second)
    # The drafter is told again on the publish step; the second approver may publish.
    html = client.get(f"/staff/decisions/{decision.id}/publish").get_data(as_text=True)
    assert "Ask an approver other than Approver" in html and "Publish decision</button>" not in html
    assert post_state(client, decision, "publish").status_code == 400
    assert post_state(other, decision, "publish").status_code == 302
    assert decision_of(app, rec).state == "published"


def test_publishing_previews_exactly_the_public_text(app, sign_in, recs, users):
    client = sign_in("approver")
    rec = recs["R1"]
    save(client, rec, rationale="We **agree**.", note="Never publish this note.")
    decision = decision_of(app, rec)
    post_state(client, decision, "approve")
    decision = decision_of(app, rec)
    html = client.get(decision_url(rec)).get_data(as_text=True)
    assert f'href="/staff/decisions/{decision.id}/publish"' in html  # a link to the preview, not a POST

    page = client.get(f"/staff/decisions/{decision.id}/publish")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Publish the decision on recommendation R1?" in html
    assert "<strong>agree</strong>" in html and "Never publish this note." not in html
    with app.app_context():
        respondent = db.session.get(Recommendation, rec).response.respondent
        assert published.public_name(respondent) in text_of(html)
    assert f"/recommendations/{rec}" in html
    assert decision_of(app, rec).state == "approved"  # looking changes nothing

    stale = post_state(client, decision, "publish", version=decision.version_id - 1)
    assert stale.status_code == 409 and decision_of(app, rec).state == "approved"
    assert post_state(client, decision, "publish").status_code == 302
    assert decision_of(app, rec).state == "published"
    # Nothing left to confirm: the page says so and offers no button.
    again = client.get(f"/staff/decisions/{decision.id}/publish").get_data(as_text=True)
    assert "nothing to publish" in again and "Publish decision</button>" not in again


def test_withdrawing_through_the_pages_and_what_the_public_sees(app, sign_in, recs, users):
    client = sign_in("approver")
    rec = recs["R1"]
    decision_id = publish_directly(app, rec, None, None)
    decision = decision_of(app, rec)
    html = client.get(decision_url(rec)).get_data(as_text=True)
    assert "Withdraw decision" in html and "Delete decision" not in html

    refused = post_state(client, decision, "delete")
    assert refused.status_code == 400 and "withdraw it instead" in refused.get_data(as_text=True)
    assert decision_of(app, rec).deleted_at is None

    form = client.get(f"/staff/decisions/{decision_id}/withdraw").get_data(as_text=True)
    assert f"/recommendations/{rec}" in form and "These public pages will change" in form
    empty = client.post(f"/staff/decisions/{decision_id}/withdraw", data={"version": decision.version_id, "reason": ""})
    assert empty.status_code == 400 and "Enter the reason" in empty.get_data(as_text=True)
    stale = client.post(f"/staff/decisions/{decision_id}/withdraw",
                        data={"version": decision.version_id - 1, "reason": "Late."})
    assert stale.status_code == 409 and decision_of(app, rec).withdrawn_at is None
    done = client.post(f"/staff/decisions/{decision_id}/withdraw",
                       data={"version": decision.version_id, "reason": "New evidence came to light."})
    assert done.status_code == 302
    decision = decision_of(app, rec)
    assert decision.state == "withdrawn" and decision.withdrawal_reason == "New evidence came to light."
    assert [(old, new) for _, old, new, _ in audit(app, "decision", decision_id, "withdrawal_reason")] == [
        (None, "New evidence came to light.")]
    today = dt.date.today()
    notice = f"Withdrawn on {today.day} {today:%B %Y}: New evidence came to light."

    staff = text_of(client.get(decision_url(rec)).get_data(as_text=True))
    assert notice in staff and "withdrawn on" in staff and "Withdraw decision" not in staff
    assert "which reinstates it" in staff
    history = text_of(client.get(f"/staff/history/decision/{decision_id}").get_data(as_text=True))
    assert "Reason for withdrawal" in history and "New evidence came to light." in history
    public = text_of(app.test_client().get(f"/recommendations/{rec}").get_data(as_text=True))
    assert notice in public and "We agree." not in public
    api = app.test_client().get(f"/api/v1/recommendations/{rec}").get_json()
    assert api["decision"]["outcome"] == "withdrawn" and api["decision"]["withdrawn_at"]
    assert api["decision"]["rationale"] == notice
    feed = app.test_client().get("/feeds/decisions.atom").get_data(as_text=True)
    assert "New evidence came to light." in feed


def test_deleting_a_published_recommendation_warns_with_its_url_first(app, sign_in, recs, users):
    client = sign_in("policy")
    rec = recs["R1"]
    publish_directly(app, rec, None, None)
    warned = client.post(f"/staff/recommendations/{rec}/delete", data={})
    html = warned.get_data(as_text=True)
    assert warned.status_code == 200 and "public pages will disappear" in html
    assert f"/recommendations/{rec}</li>" in html and 'name="confirmed" value="1"' in html
    with app.app_context():
        assert db.session.get(Recommendation, rec).deleted_at is None
    assert client.post(f"/staff/recommendations/{rec}/delete", data={"confirmed": "1"}).status_code == 302
    assert app.test_client().get(f"/recommendations/{rec}").status_code == 404


def test_a_named_respondent_made_anonymous_is_warned_their_own_page_goes(app, sign_in, recs, users):
    client = sign_in("policy")
    rec = recs["R1"]
    publish_directly(app, rec, None, None)
    with app.app_context():
        respondent = db.session.get(Recommendation, rec).response.respondent
        assert respondent.consent == "named"
        respondent_id, version, org = respondent.id, respondent.version_id, str(respondent.organisation_type_id or "")
    assert app.test_client().get(f"/respondents/{respondent_id}").status_code == 200
    data = {"consent": "anonymous", "organisation_type": org, "version": version}
    html = client.post(f"/staff/respondents/{respondent_id}/consent", data=data).get_data(as_text=True)
    assert f"/respondents/{respondent_id}</li>" in html and f"/recommendations/{rec}</li>" not in html
    assert client.post(f"/staff/respondents/{respondent_id}/consent", data={**data, "confirmed": "1"}).status_code == 302
    assert app.test_client().get(f"/recommendations/{rec}").status_code == 200  # still public, unnamed
    # Nothing public, nothing to confirm: straight through as before.
    other = recs["R3"]
    assert client.post(f"/staff/recommendations/{other}/delete", data={}).status_code == 302


def test_deleting_a_response_with_published_decisions_warns_first(app, sign_in, recs, users):
    client = sign_in("policy")
    rec = recs["R1"]
    publish_directly(app, rec, None, None)
    with app.app_context():
        response_id = db.session.get(Recommendation, rec).response_id
    warned = client.post(f"/staff/responses/{response_id}/delete", data={})
    assert warned.status_code == 200 and f"/recommendations/{rec}</li>" in warned.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Response, response_id).deleted_at is None
    assert client.post(f"/staff/responses/{response_id}/delete", data={"confirmed": "1"}).status_code == 302


def test_making_a_respondent_confidential_warns_with_the_urls_first(app, sign_in, recs, users):
    client = sign_in("policy")
    rec = recs["R1"]
    publish_directly(app, rec, None, None)
    with app.app_context():
        respondent = db.session.get(Recommendation, rec).response.respondent
        respondent_id, version, org = respondent.id, respondent.version_id, str(respondent.organisation_type_id or "")
        assert published.public_ids_that_would_go(db.session, respondent_id=respondent_id) == [rec]
    data = {"consent": "confidential", "organisation_type": org, "version": version}
    warned = client.post(f"/staff/respondents/{respondent_id}/consent", data=data)
    html = warned.get_data(as_text=True)
    assert warned.status_code == 200 and f"/recommendations/{rec}</li>" in html
    assert 'name="version"' in html and 'name="consent" value="confidential"' in html
    with app.app_context():
        assert db.session.get(Respondent, respondent_id).consent != "confidential"
    assert client.post(f"/staff/respondents/{respondent_id}/consent", data={**data, "confirmed": "1"}).status_code == 302
    with app.app_context():
        assert db.session.get(Respondent, respondent_id).consent == "confidential"
    assert app.test_client().get(f"/recommendations/{rec}").status_code == 404


def test_closed_responses_refuse_corrections_on_the_pages(app, sign_in, recs, users):
    client = sign_in("policy")
    rec = recs["R1"]
    with app.app_context():
        response = db.session.get(Recommendation, rec).response
        response.status = "closed"
        db.session.commit()
        response_id = response.id
    html = client.get(f"/staff/responses/{response_id}/recommendations").get_data(as_text=True)
    assert "This response is closed, so its recommendations are read-only" in html
    refused = client.post(f"/staff/recommendations/{rec}/delete", data={})
    assert refused.status_code == 400 and "Reopen it first" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Recommendation, rec).deleted_at is None
        assert audit(app, "recommendation", rec, "deleted_at") == []


def test_the_consultation_moves_to_outcome_published_when_everything_is_published(app, users, sign_in):
    with app.app_context():
        first, second = small_consultation(db.session)
        consultation_id = db.session.scalar(select(Consultation.id).where(Consultation.slug == "small"))
    client = sign_in("viewer")
    publish_directly(app, first, None, None, on=dt.datetime(2026, 3, 1, 10))
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        assert consultation.status == "analysing" and consultation.outcome_published_on is None
        assert decision_rules.recommendations_left(db.session, consultation_id) == 1
    html = text_of(client.get("/staff/consultations/small").get_data(as_text=True))
    assert "1 recommendation still without a published decision" in html

    publish_directly(app, second, None, None, on=dt.datetime(2026, 3, 2, 10))
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        assert (consultation.status, consultation.outcome_published_on) == ("outcome published", dt.date(2026, 3, 2))
        assert decision_rules.recommendations_left(db.session, consultation_id) == 0
    assert [(old, new) for _, old, new, _ in audit(app, "consultation", consultation_id, "status")] == [
        ("analysing", "outcome published")]
    html = text_of(client.get("/staff/consultations/small").get_data(as_text=True))
    assert "since 2 March 2026" in html and "Every recommendation has a published decision" in html
    public = text_of(app.test_client().get("/consultations/small").get_data(as_text=True))
    assert "Outcome published 2 March 2026." in public


def test_withdrawing_the_last_decision_moves_the_consultation_back_and_says_so(app, users, sign_in):
    with app.app_context():
        first, second = small_consultation(db.session)
        consultation_id = db.session.scalar(select(Consultation.id).where(Consultation.slug == "small"))
    for rec_id in (first, second):
        publish_directly(app, rec_id, None, None, on=dt.datetime(2026, 3, 2, 10))
    client = sign_in("approver")
    decision = decision_of(app, first)
    done = client.post(f"/staff/decisions/{decision.id}/withdraw",
                       data={"version": decision.version_id, "reason": "New evidence came to light."})
    assert done.status_code == 302
    landed = text_of(client.get(done.headers["Location"]).get_data(as_text=True))
    assert "Decision withdrawn." in landed
    assert ("‘A small consultation’ is no longer ‘outcome published’: 1 recommendation waits for a published "
            "decision.") in landed
    assert "no longer ‘outcome published’" not in text_of(client.get("/staff/consultations/small").get_data(as_text=True))
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        assert (consultation.status, consultation.outcome_published_on) == ("analysing", None)
    assert [(old, new) for _, old, new, _ in audit(app, "consultation", consultation_id, "status")] == [
        ("analysing", "outcome published"), ("outcome published", "analysing")]
    html = text_of(client.get("/staff/consultations/small").get_data(as_text=True))
    assert "1 recommendation still without a published decision" in html and "since" not in html
    public = text_of(app.test_client().get("/consultations/small").get_data(as_text=True))
    assert "Outcome published" not in public
