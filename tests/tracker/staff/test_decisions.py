"""Decisions end to end on the demo data: record, approve, publish, revise; duplicates share
their primary's decision; roles, stale edits, soft delete, Markdown and the audit log."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from consultations.models import Consultation, Recommendation, Respondent, Response
from consultations import decisions as decision_rules
from consultations.soft_delete import WITH_DELETED
from tracker.db import db
from consultations.workflow import AuditEvent, Decision


# --- helpers -----------------------------------------------------------------


@pytest.fixture
def recs(demo_content_app, users):
    """The demo data (after the users, which demo load then leaves alone): {key: recommendation id}."""
    with demo_content_app.app_context():
        return {r.key: r.id for r in db.session.scalars(select(Recommendation))}


def decision_url(rec_id: int) -> str:
    return f"/staff/recommendations/{rec_id}/decision"


def save(client, rec_id, version=0, outcome="accepted", rationale="We agree.", note="Internal note."):
    return client.post(decision_url(rec_id), data={
        "version": version, "outcome": outcome, "public_rationale": rationale, "internal_note": note,
    })


def decision_of(app, rec_id: int, live: bool = True) -> Decision | None:
    """A detached copy of the decision stored on ``rec_id`` (fresh from the database)."""
    with app.app_context():
        query = select(Decision).where(Decision.recommendation_id == rec_id).order_by(Decision.id.desc())
        decision = db.session.scalar(query, execution_options={} if live else WITH_DELETED)
        if decision is not None:
            db.session.expunge(decision)
        return decision


def post_state(client, decision: Decision, what: str, version: int | None = None):
    return client.post(f"/staff/decisions/{decision.id}/{what}",
                       data={"version": decision.version_id if version is None else version})


def audit(app, entity: str, entity_id: int, field: str | None = None) -> list[tuple]:
    """(field, old, new, user_id) of the object's audit events, oldest first."""
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.entity_type == entity, AuditEvent.entity_id == entity_id)
        if field:
            query = query.where(AuditEvent.field == field)
        return [(e.field, e.old, e.new, e.user_id) for e in db.session.scalars(query.order_by(AuditEvent.id))]


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(html: str, heading: str) -> str:
    """The HTML of the <section> whose heading is ``heading``."""
    start = html.index(heading)
    return html[start:html.index("</section>", start)]


def decision_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Decision))


# --- the state machine ----------------------------------------------------------


def test_draft_approve_publish(app, sign_in, recs, users):
    client = sign_in("approver")
    rec = recs["R1"]
    page = client.get(decision_url(rec))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Record the decision" in html and "No decision has been recorded yet" in html
    labels = re.findall(
        r'<label class="govuk-label govuk-radios__label" for="outcome[-\d]*">\s*([^<]+?)\s*</label>', html)
    assert labels == ["Accepted", "Accepted in part", "Not accepted", "Already in place", "Under consideration"]
    hints = text_of(html[html.index('id="public_rationale-hint"'):html.index("<textarea")])
    assert "will be published" in hints and "Markdown" in hints
    assert "It is never published." in html

    response = save(client, rec, rationale="We **agree** and will act.")
    assert response.status_code == 302 and response.headers["Location"].endswith(decision_url(rec))
    decision = decision_of(app, rec)
    assert (decision.state, decision.outcome, decision.decided_by_id) == ("draft", "accepted", users["approver"])
    assert decision.published_rationale is None and decision.approved_by_id is None
    created = audit(app, "decision", decision.id, "created")
    assert len(created) == 1 and created[0][3] == users["approver"]

    html = client.get(decision_url(rec)).get_data(as_text=True)
    assert "Working version (not yet published)" in html and "Published version" not in html
    assert "<strong>agree</strong>" in section(html, "Working version")
    assert "Approve decision" in html and "Publish decision" not in html
    assert f'/staff/history/decision/{decision.id}' in html

    assert post_state(client, decision, "approve").status_code == 302
    decision = decision_of(app, rec)
    assert (decision.state, decision.approved_by_id) == ("approved", users["approver"])
    html = client.get(decision_url(rec)).get_data(as_text=True)
    assert "Publish decision" in html and "Approve decision" not in html

    assert post_state(client, decision, "publish").status_code == 302
    decision = decision_of(app, rec)
    assert decision.state == "published" and decision.published_at is not None
    assert (decision.published_outcome, decision.published_rationale) == ("accepted", "We **agree** and will act.")
    html = client.get(decision_url(rec)).get_data(as_text=True)
    assert "Published version" in html and "Working version (not yet published)" not in html
    assert "<strong>agree</strong>" in section(html, "Published version")

    states = [(old, new, user) for _, old, new, user in audit(app, "decision", decision.id, "state")]
    assert states == [("draft", "approved", users["approver"]), ("approved", "published", users["approver"])]
    # The recommendation page shows the decision too.
    assert "Published" in client.get(f"/staff/recommendations/{rec}").get_data(as_text=True)


def test_publishing_a_draft_is_refused(app, sign_in, recs):
    client = sign_in("approver")
    assert save(client, recs["R2"]).status_code == 302
    decision = decision_of(app, recs["R2"])
    response = post_state(client, decision, "publish")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Approve the decision before publishing it" in html and "There is a problem" in html
    after = decision_of(app, recs["R2"])
    assert (after.state, after.published_rationale, after.published_at, after.version_id) == (
        "draft", None, None, decision.version_id)


def test_invalid_transitions_are_refused_and_change_nothing(app, sign_in, recs):
    client = sign_in("approver")
    rec = recs["R3"]
    assert save(client, rec, rationale="").status_code == 302
    decision = decision_of(app, rec)
    refused = post_state(client, decision, "approve")
    assert refused.status_code == 400
    assert "Write the public rationale before approving" in refused.get_data(as_text=True)
    assert decision_of(app, rec).state == "draft"

    assert save(client, rec, version=decision.version_id, rationale="Because.").status_code == 302
    decision = decision_of(app, rec)
    assert post_state(client, decision, "approve").status_code == 302
    decision = decision_of(app, rec)
    again = post_state(client, decision, "approve")
    assert again.status_code == 400 and "already approved" in again.get_data(as_text=True)
    assert post_state(client, decision, "publish").status_code == 302
    decision = decision_of(app, rec)
    for what, message in (("approve", "Only a draft can be approved"), ("publish", "already published")):
        response = post_state(client, decision, what)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert decision_of(app, rec).version_id == decision.version_id


def test_editing_an_approved_decision_sends_it_back_to_draft(app, sign_in, recs):
    client = sign_in("approver")
    rec = recs["R4"]
    save(client, rec)
    post_state(client, decision_of(app, rec), "approve")
    decision = decision_of(app, rec)
    assert decision.state == "approved"
    # Saving the same text again is not a change, and keeps the approval.
    assert save(client, rec, version=decision.version_id).status_code == 302
    assert decision_of(app, rec).state == "approved"

    response = save(client, rec, version=decision.version_id, outcome="accepted in part", rationale="Partly.")
    assert response.status_code == 302
    after = decision_of(app, rec)
    assert (after.state, after.outcome, after.approved_by_id) == ("draft", "accepted in part", None)
    assert "needs approving again" in client.get(decision_url(rec)).get_data(as_text=True)


def test_revising_a_published_decision_keeps_the_published_version(app, sign_in, recs):
    client = sign_in("approver")
    rec = recs["R5"]
    save(client, rec, rationale="First published rationale.")
    post_state(client, decision_of(app, rec), "approve")
    post_state(client, decision_of(app, rec), "publish")
    decision = decision_of(app, rec)
    first_published_at = decision.published_at

    response = save(client, rec, version=decision.version_id, outcome="accepted in part",
                    rationale="Second, revised rationale.")
    assert response.status_code == 302
    revised = decision_of(app, rec)
    assert revised.state == "draft"
    assert (revised.outcome, revised.public_rationale) == ("accepted in part", "Second, revised rationale.")
    assert (revised.published_outcome, revised.published_rationale, revised.published_at) == (
        "accepted", "First published rationale.", first_published_at)
    html = client.get(decision_url(rec)).get_data(as_text=True)
    assert "First published rationale." in section(html, "Published version")
    assert "Second, revised rationale." in section(html, "Working version (not yet published)")
    assert "must be approved and published again" in html

    post_state(client, revised, "approve")
    post_state(client, decision_of(app, rec), "publish")
    republished = decision_of(app, rec)
    assert (republished.state, republished.published_rationale, republished.published_outcome) == (
        "published", "Second, revised rationale.", "accepted in part")
    assert republished.published_at >= first_published_at

    changes = audit(app, "decision", republished.id, "published_rationale")
    assert [(old, new) for _, old, new, _ in changes] == [
        (None, "First published rationale."),
        ("First published rationale.", "Second, revised rationale."),
    ]
    history = client.get(f"/staff/history/decision/{republished.id}").get_data(as_text=True)
    assert "First published rationale." in history and "Published rationale" in history


# --- duplicates -----------------------------------------------------------------


def add_duplicate(app, primary_id: int) -> int:
    """A recommendation from another respondent, marked as the same point as ``primary_id``."""
    with app.app_context():
        consultation = db.session.scalar(select(Consultation))
        response = Response(consultation=consultation, respondent=Respondent(name="Nacro", consent="named"),
                            text="Nacro also says: the voluntary sector matters.")
        rec = Recommendation(response=response, key="R1", sequence=1, text="Recognise the voluntary sector.",
                             spans=[[0, 10]], duplicate_of_id=primary_id)
        db.session.add(rec)
        db.session.commit()
        return rec.id


def test_a_duplicate_shares_its_primarys_decision(app, sign_in, recs):
    client = sign_in("approver")
    primary = recs["R1"]
    duplicate = add_duplicate(app, primary)

    response = client.get(decision_url(duplicate))
    assert response.status_code == 302 and response.headers["Location"].endswith(decision_url(primary))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is a duplicate of R1 from Clinks" in html
    assert "This decision answers 2 recommendations" in html
    start = html.index("This decision answers")
    group = text_of(html[start:html.index("</table>", start)])
    assert "Clinks" in group and "Nacro" in group and "Recognise the voluntary sector." in group

    # Saving through the duplicate's address records the group's decision on the primary.
    assert save(client, duplicate, rationale="For everyone.").status_code == 302
    assert decision_of(app, duplicate) is None
    assert decision_of(app, primary).public_rationale == "For everyone."
    with app.app_context():
        rec = db.session.get(Recommendation, duplicate)
        assert decision_rules.decision_for(db.session, rec).recommendation_id == primary


def test_one_live_decision_per_recommendation(app, sign_in, recs, users):
    client = sign_in("approver")
    rec = recs["R6"]
    assert save(client, rec, rationale="One.").status_code == 302
    # A second "new decision" form (loaded before the first was saved) does not create another.
    response = save(client, rec, version=0, rationale="Two.")
    assert response.status_code == 409
    assert decision_count(app) == 1
    with app.app_context():
        recommendation = db.session.get(Recommendation, rec)
        again = decision_rules.save_decision(db.session, recommendation, "not accepted", "Three.", "", users["approver"])
        db.session.commit()
        assert again.id == decision_of(app, rec).id
    assert decision_count(app) == 1 and decision_of(app, rec).outcome == "not accepted"


# --- roles --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["policy", "methodology", "viewer", "admin"])
def test_only_approvers_record_approve_and_publish(app, client, sign_in, recs, users, role):
    sign_in("approver")
    save(client, recs["R7"])
    decision = decision_of(app, recs["R7"])
    sign_in(role)
    html = client.get(decision_url(recs["R7"])).get_data(as_text=True)
    assert "Working version" in html and "Only approvers can record" in html
    assert "Approve decision" not in html and "Save decision" not in html
    assert post_state(client, decision, "approve").status_code == 403
    assert save(client, recs["R7"], version=decision.version_id, rationale="Changed").status_code == 403
    assert save(client, recs["R8"]).status_code == 403
    for what in ("publish", "delete", "restore"):
        assert post_state(client, decision, what).status_code == 403
    after = decision_of(app, recs["R7"])
    assert (after.state, after.public_rationale, after.version_id) == ("draft", "We agree.", decision.version_id)
    assert decision_count(app) == 1


def test_publish_is_refused_to_other_roles_even_when_approved(app, client, sign_in, recs):
    sign_in("approver")
    save(client, recs["R9"])
    post_state(client, decision_of(app, recs["R9"]), "approve")
    for role in ("policy", "methodology", "viewer"):
        sign_in(role)
        assert post_state(client, decision_of(app, recs["R9"]), "publish").status_code == 403
    assert decision_of(app, recs["R9"]).state == "approved"


def test_anonymous_visitors_are_sent_to_sign_in(client, recs):
    response = client.get(decision_url(recs["R1"]))
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# --- forms, stale edits and Markdown ---------------------------------------------------


def test_missing_outcome_is_a_field_error(app, sign_in, recs):
    client = sign_in("approver")
    response = client.post(decision_url(recs["R1"]), data={"version": 0, "public_rationale": "Text kept"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "Select the outcome of the decision" in html
    assert "Text kept" in html
    assert decision_count(app) == 0


def test_stale_edit_is_refused_with_changes_listed_and_input_kept(app, sign_in, recs):
    client = sign_in("approver")
    rec = recs["R2"]
    save(client, rec, rationale="Original rationale.")
    loaded_at = decision_of(app, rec).version_id
    # Someone else saves first...
    assert save(client, rec, version=loaded_at, rationale="Their rationale.").status_code == 302
    # ...then our form, loaded at the old version, is submitted.
    response = save(client, rec, version=loaded_at, outcome="not accepted", rationale="My rationale.")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this while you were editing" in html
    assert "public rationale" in html and "Their rationale." in html
    assert "My rationale." in html  # the user's input is still in the form
    assert re.search(r'value="not accepted"\s+checked', html)
    current = decision_of(app, rec)
    assert current.public_rationale == "Their rationale." and current.outcome == "accepted"
    assert f'name="version" type="hidden" value="{current.version_id}"' in html or \
        f'type="hidden" value="{current.version_id}"' in html
    # Submitting again, knowingly, goes through.
    again = save(client, rec, version=current.version_id, outcome="not accepted", rationale="My rationale.")
    assert again.status_code == 302
    assert decision_of(app, rec).public_rationale == "My rationale."


def test_stale_approve_is_refused(app, sign_in, recs):
    client = sign_in("approver")
    rec = recs["R3"]
    save(client, rec)
    old = decision_of(app, rec)
    save(client, rec, version=old.version_id, rationale="Changed meanwhile.")
    response = post_state(client, old, "approve", version=old.version_id)
    assert response.status_code == 409 and "Changed meanwhile." in response.get_data(as_text=True)
    assert decision_of(app, rec).state == "draft"


def test_markdown_rationale_is_rendered_sanitised(app, sign_in, recs):
    client = sign_in("approver")
    rec = recs["R4"]
    rationale = ("We **accept** this.\n\n<script>alert(1)</script>\n\n[click me](javascript:alert(1))\n\n"
                 '<a href="https://www.gov.uk" onclick="alert(2)">GOV.UK</a> <b onclick="alert(3)">x</b>')
    save(client, rec, rationale=rationale)
    post_state(client, decision_of(app, rec), "approve")
    post_state(client, decision_of(app, rec), "publish")
    html = client.get(decision_url(rec)).get_data(as_text=True)
    published = section(html, "Published version")
    assert "<strong>accept</strong>" in published
    assert "<script" not in published and "alert(" not in published and "onclick" not in published
    assert "javascript:" not in published and ">click me</a>" in published
    assert '<a href="https://www.gov.uk" rel="noopener noreferrer">GOV.UK</a>' in published
    # Nowhere on the page does the script run: the textarea shows it escaped.
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert decision_of(app, rec).published_rationale == rationale  # stored as written


# --- soft delete ------------------------------------------------------------------------


def test_soft_delete_and_restore(app, sign_in, recs, users):
    client = sign_in("approver")
    rec = recs["R5"]
    save(client, rec)
    decision = decision_of(app, rec)
    assert post_state(client, decision, "delete").status_code == 302
    deleted = decision_of(app, rec, live=False)
    assert deleted.deleted_at is not None and decision_of(app, rec) is None
    html = client.get(decision_url(rec)).get_data(as_text=True)
    assert "No decision has been recorded yet" in html and "Restore the deleted decision" in html
    assert "Record the decision" in html

    assert post_state(client, deleted, "restore").status_code == 302
    assert decision_of(app, rec).id == decision.id
    changes = audit(app, "decision", decision.id, "deleted_at")
    assert len(changes) == 2
    assert changes[0][1] is None and changes[0][2] is not None and changes[0][3] == users["approver"]
    assert changes[1][1] is not None and changes[1][2] is None

    # A deleted decision cannot come back over a newer one.
    post_state(client, decision_of(app, rec), "delete")
    save(client, rec, rationale="A new decision.")
    refused = post_state(client, deleted_again(app, decision.id), "restore")
    assert refused.status_code == 400 and "has a newer decision" in refused.get_data(as_text=True)
    assert decision_of(app, rec).public_rationale == "A new decision."


def deleted_again(app, decision_id: int) -> Decision:
    with app.app_context():
        decision = db.session.get(Decision, decision_id, execution_options=WITH_DELETED)
        db.session.expunge(decision)
        return decision


def test_unknown_recommendation_or_decision_is_404(sign_in, recs):
    client = sign_in("approver")
    assert client.get(decision_url(99999)).status_code == 404
    assert client.post("/staff/decisions/99999/approve", data={"version": 1}).status_code == 404


# --- services -------------------------------------------------------------------------------


def test_services_refuse_what_the_forms_refuse(app, recs, users):
    with app.app_context():
        rec = db.session.get(Recommendation, recs["R1"])
        with pytest.raises(decision_rules.DecisionError, match="Choose an outcome"):
            decision_rules.save_decision(db.session, rec, "maybe", "", "", users["approver"])
        decision = decision_rules.save_decision(db.session, rec, "accepted", "  Why.  ", "", users["approver"])
        assert decision.public_rationale == "Why."
        with pytest.raises(decision_rules.DecisionError, match="Approve the decision before publishing it"):
            decision_rules.publish(decision, users["approver"])
        decision_rules.approve(decision, users["approver"], two_person_rule=False)
        decision_rules.publish(decision, users["approver"], two_person_rule=False)
        assert decision.published_rationale == "Why."
        rec.deleted_at = rec.created_at
        with pytest.raises(decision_rules.DecisionError, match="has been deleted"):
            decision_rules.save_decision(db.session, rec, "accepted", "", "", users["approver"])
        db.session.rollback()


def test_primary_of_follows_chains_and_survives_cycles(app, recs):
    with app.app_context():
        r1, r2, r3 = (db.session.get(Recommendation, recs[k]) for k in ("R1", "R2", "R3"))
        r3.duplicate_of = r2
        r2.duplicate_of = r1
        assert decision_rules.primary_of(r3) is r1
        group = decision_rules.decision_group(db.session, r1)
        assert [r.key for r in group] == ["R1", "R2", "R3"]
        r1.duplicate_of = r3  # a cycle: never loops forever
        assert decision_rules.primary_of(r3) in (r1, r2, r3)
        db.session.rollback()
