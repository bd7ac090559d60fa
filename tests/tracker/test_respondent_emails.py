"""Respondents hear what was decided on their recommendations: one digest, delivered through a real
SMTP server, never to a confidential respondent unless they asked, and stopped in one click."""
from __future__ import annotations

import datetime as dt

from smtp_server import SmtpServer
from sqlalchemy import delete, select, update

from consultations import decisions
from consultations.decisions import decision_for
from consultations.models import Recommendation, Respondent, Response, utcnow
from consultations.outbox import OutboxMessage
from consultations.workflow import Action
from tracker import mail
from tracker.db import db


def _undecided_of_one_respondent(session, count=2):
    for response in session.scalars(select(Response).order_by(Response.id)):
        recs = [r for r in response.recommendations if r.duplicate_of_id is None and r.deleted_at is None
                and decision_for(session, r) is None
                and not session.scalar(select(Recommendation.id).where(Recommendation.duplicate_of_id == r.id))]
        if len(recs) >= count:
            return response, recs[:count]
    raise AssertionError("the demo has no response with undecided recommendations")


def _publish(session, rec, approver):
    decision = decisions.save_decision(session, rec, "accepted", f"We will do this ({rec.key}).", "", approver)
    decisions.approve(decision, approver, two_person_rule=False)
    decisions.publish(decision, approver, two_person_rule=False)
    return decision


def _due_now(app):
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()


def _setup(app, users, consent="named", choice="default"):
    with app.app_context():
        response, recs = _undecided_of_one_respondent(db.session)
        respondent = response.respondent
        respondent.consent, respondent.outcome_emails = consent, choice
        respondent.contact_details = "Jo Bloggs, Policy Officer\nemail: jo.bloggs@respondent.example\n0207 000 0000"
        db.session.commit()
        return respondent.id, [r.id for r in recs]


def test_a_respondent_gets_one_digest_of_the_decisions_published_that_day(demo_app, users, tmp_path):
    respondent_id, rec_ids = _setup(demo_app, users)
    with demo_app.app_context():
        recs = [db.session.get(Recommendation, i) for i in rec_ids]
        first = _publish(db.session, recs[0], users["approver"])
        db.session.add(Action(decision_id=first.id, description="Publish the inspection handbook", owner="Policy team",
                              due_on=dt.date(2027, 6, 30), status="in progress"))
        db.session.commit()
        _publish(db.session, recs[1], users["approver"])  # later the same day: the same digest
        db.session.commit()
        said = [r.text for r in recs]
        keys = [r.key for r in recs]
        [message] = db.session.scalars(select(OutboxMessage)).all()
        assert message.recipient == "jo.bloggs@respondent.example"
        assert message.next_attempt_at > utcnow()  # waits, so that day's decisions go together
    with SmtpServer(tmp_path) as server:
        demo_app.config.update(server.config())
        assert mail.send_due(demo_app).sent == 0
        _due_now(demo_app)
        mail.send_due(demo_app)
        [email] = server.messages
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert email["To"] == "jo.bloggs@respondent.example"
    assert email["Subject"].startswith("What we decided on your recommendations")
    assert "decisions on 2 of the recommendations you made" in text
    for key, words in zip(keys, said):
        assert key in text and "You said:" in text and " ".join(words.split())[:40] in " ".join(text.split())
    assert "We decided: Accepted" in text and "We will do this" in text
    assert "What we are doing:\n- Publish the inspection handbook (in progress, due 30 June 2027)" in text.replace("\r", "")
    assert "Publish the inspection handbook" in html and '<html lang="en">' in html
    # Stop in one click, as an email program does with List-Unsubscribe-Post.
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stop = email["List-Unsubscribe"].strip().strip("<>")
    assert "Stop emails about your response: " + stop in text
    client = demo_app.test_client()
    path = stop.split("127.0.0.1:5000", 1)[1]
    assert "Stop these emails" in client.get(path).get_data(as_text=True)
    with demo_app.app_context():
        assert db.session.get(Respondent, respondent_id).outcome_emails == "default"  # a GET changes nothing
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "Emails stopped" in response.get_data(as_text=True)
    with demo_app.app_context():
        assert db.session.get(Respondent, respondent_id).outcome_emails == "no"
    assert client.get(path[:-3] + "xyz").status_code == 404  # a token we did not sign


def test_confidential_respondents_only_if_they_asked_and_never_after_opting_out(demo_app, users):
    for consent, choice, emailed in [("confidential", "default", False), ("confidential", "yes", True),
                                     ("named", "no", False), ("anonymous", "default", True)]:
        respondent_id, rec_ids = _setup(demo_app, users, consent, choice)
        with demo_app.app_context():
            db.session.execute(delete(OutboxMessage))  # the same respondent may come round again today
            _publish(db.session, db.session.get(Recommendation, rec_ids[0]), users["approver"])
            db.session.commit()
            sent = db.session.scalars(select(OutboxMessage.recipient)).all()
        assert (sent == ["jo.bloggs@respondent.example"]) is emailed, (consent, choice, sent)


def test_no_contact_email_no_message(demo_app, users):
    respondent_id, rec_ids = _setup(demo_app, users)
    with demo_app.app_context():
        db.session.get(Respondent, respondent_id).contact_details = "By post only: 1 High Street"
        db.session.commit()
        _publish(db.session, db.session.get(Recommendation, rec_ids[0]), users["approver"])
        db.session.commit()
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_policy_staff_record_that_a_confidential_respondent_asked_for_the_emails(demo_app, client, sign_in, users):
    respondent_id, _ = _setup(demo_app, users, consent="confidential")
    sign_in("policy")
    page = client.get(f"/staff/respondents/{respondent_id}/outcome-emails").get_data(as_text=True)
    assert "jo.bloggs@respondent.example" in page and "They will not get these emails." in page
    with demo_app.app_context():
        version = db.session.get(Respondent, respondent_id).version_id
    response = client.post(f"/staff/respondents/{respondent_id}/outcome-emails",
                           data={"choice": "yes", "version": version}, follow_redirects=True)
    assert "will get emails about what we decided" in response.get_data(as_text=True)
    with demo_app.app_context():
        assert db.session.get(Respondent, respondent_id).outcome_emails == "yes"
    stale = client.post(f"/staff/respondents/{respondent_id}/outcome-emails", data={"choice": "no", "version": version})
    assert stale.status_code == 409
    bad = client.post(f"/staff/respondents/{respondent_id}/outcome-emails", data={"choice": "maybe", "version": version + 1})
    assert bad.status_code == 400 and "govuk-error-summary" in bad.get_data(as_text=True)


def test_when_an_action_on_their_recommendation_moves_they_hear_at_most_weekly(demo_app, users, tmp_path):
    from consultations.actions import add_action, add_update

    respondent_id, rec_ids = _setup(demo_app, users)
    with demo_app.app_context():
        decision = _publish(db.session, db.session.get(Recommendation, rec_ids[0]), users["approver"])
        db.session.commit()
        db.session.execute(delete(OutboxMessage))  # the outcome digest: tested above
        action = add_action(db.session, decision, "Publish the inspection handbook", "Policy team",
                            dt.date(2027, 6, 30), "not started")
        today = dt.date.today()
        add_update(db.session, action, today, "The first draft is with the board.", None, "in progress", True,
                   users["policy"])
        add_update(db.session, action, today, "Internal note: waiting on legal.", None, None, False, users["policy"])
        db.session.commit()
    runner = demo_app.test_cli_runner()
    assert "1 weekly action update to respondents" in runner.invoke(args=["notify", "reminders"]).output
    assert "0 weekly action updates to respondents" in runner.invoke(args=["notify", "reminders"]).output
    with SmtpServer(tmp_path) as server:
        demo_app.config.update(server.config())
        mail.send_due(demo_app)
        [email] = server.messages
    text = email.get_body(("plain",)).get_content()
    assert email["To"] == "jo.bloggs@respondent.example" and email["Subject"] == "Progress on what you recommended"
    assert "The first draft is with the board." in text, text
    assert "Publish the inspection handbook (now in progress)" in text
    assert "waiting on legal" not in text  # only public updates
