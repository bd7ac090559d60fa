"""Staff emails, delivered through a real SMTP server: responses assigned to you, drafts waiting
for your approval, approved decisions waiting to be published; and the page where each person
chooses which they get."""
from __future__ import annotations

import pytest
from smtp_server import SmtpServer
from sqlalchemy import select

from consultations import decisions, notifications
from consultations.decisions import decision_for
from consultations.models import Recommendation, Response
from consultations.outbox import OutboxMessage
from consultations.triage.responses import assign
from consultations.users import create_user
from tracker import mail
from tracker.db import db


@pytest.fixture
def smtp(app, tmp_path):
    with SmtpServer(tmp_path) as server:
        app.config.update(server.config())
        yield server


@pytest.fixture
def approvers(demo_app, users):
    """Three approvers: the test users' one (drafts), and two more."""
    with demo_app.app_context():
        ids = {"drafter": users["approver"]}
        for name in ("second", "third"):
            ids[name] = create_user(db.session, f"{name}@example.org", "approver", "a long enough password",
                                    name.title()).id
        db.session.commit()
        return ids


def undecided(session, count: int) -> list[Recommendation]:
    recs = session.scalars(select(Recommendation).where(Recommendation.duplicate_of_id.is_(None))
                           .order_by(Recommendation.id)).all()
    return [r for r in recs if decision_for(session, r) is None][:count]


def bodies(server) -> dict[str, tuple[str, str, str]]:
    """recipient: (subject, text, html) of what the server received."""
    return {m["To"]: (m["Subject"], m.get_body(("plain",)).get_content(), m.get_body(("html",)).get_content())
            for m in server.messages}


def test_a_response_assigned_to_someone_else_emails_them_and_never_the_assigner(demo_app, users, smtp):
    with demo_app.app_context():
        responses = db.session.scalars(select(Response).order_by(Response.id)).all()[:2]
        db.session.info["actor_id"] = users["policy"]
        assign(db.session, responses, users["methodology"])
        assign(db.session, responses[:1], users["policy"])  # to themselves: nobody is told
        db.session.commit()
        respondent = responses[0].respondent.name
    mail.send_due(demo_app)
    received = bodies(smtp)
    assert list(received) == ["methodology@example.org"]
    subject, text, html = received["methodology@example.org"]
    assert subject == "2 responses assigned to you"
    assert f"The response from {respondent}" in text and "/staff/responses/" in text
    assert "Choose which emails you get: http://127.0.0.1:5000/staff/notifications" in text
    assert 'href="http://127.0.0.1:5000/staff/notifications"' in html


def test_drafts_go_to_the_other_approvers_and_approved_ones_to_who_may_publish_them(demo_app, approvers, smtp):
    with demo_app.app_context():
        recs = undecided(db.session, 3)
        keys = [r.key for r in recs]
        drafted = [decisions.save_decision(db.session, r, "accepted", "We agree.", "", approvers["drafter"])
                   for r in recs]  # one bulk action: one email each
        db.session.commit()
    mail.send_due(demo_app)
    received = bodies(smtp)
    assert sorted(received) == ["second@example.org", "third@example.org"]
    subject, text, _ = received["second@example.org"]
    assert subject == "3 draft decisions waiting for approval"
    assert all(key in text for key in keys) and "/staff/recommendations/" in text

    smtp.messages.clear()
    with demo_app.app_context():
        decision = db.session.merge(drafted[0])
        decisions.approve(decision, approvers["second"], two_person_rule=True)
        db.session.commit()
    mail.send_due(demo_app)
    # Not the approver (it was them), not the drafter (the two-person rule bars them): the third.
    received = bodies(smtp)
    assert list(received) == ["third@example.org"]
    assert received["third@example.org"][0] == "1 approved decision waiting to be published"


def test_nobody_gets_a_kind_they_turned_off_and_a_rolled_back_change_sends_nothing(demo_app, approvers, smtp):
    with demo_app.app_context():
        second = db.session.get(notifications.User, approvers["second"])
        notifications.set_preferences(db.session, second, {"assigned", "ready_to_publish"})
        db.session.commit()
        [rec, other] = undecided(db.session, 2)
        decisions.save_decision(db.session, rec, "accepted", "We agree.", "", approvers["drafter"])
        db.session.rollback()
        decisions.save_decision(db.session, other, "accepted", "We agree.", "", approvers["drafter"])
        db.session.commit()
        assert len(db.session.scalars(select(OutboxMessage)).all()) == 1
    mail.send_due(demo_app)
    assert list(bodies(smtp)) == ["third@example.org"]


def test_the_preferences_page_saves_each_persons_choice(demo_app, client, sign_in, users):
    sign_in("policy")
    page = client.get("/staff/notifications").get_data(as_text=True)
    assert "Responses assigned to me" in page and "Draft decisions waiting" not in page  # approvers only
    assert page.count("checked") == 3  # all on until turned off
    response = client.post("/staff/notifications", data={"kinds": ["action_digest"]}, follow_redirects=True)
    assert "you get 1 kind of email" in response.get_data(as_text=True)
    with demo_app.app_context():
        policy = db.session.get(notifications.User, users["policy"])
        assert notifications.preferences(db.session, policy) == {
            "assigned": False, "action_reminders": False, "action_digest": True}
    response = client.post("/staff/notifications", data={"kinds": ["nonsense"]})
    assert response.status_code == 400 and "govuk-error-summary" in response.get_data(as_text=True)
    assert client.post("/staff/notifications", data={}, follow_redirects=True).status_code == 200
    sign_in("approver")
    assert "Draft decisions waiting for approval" in client.get("/staff/notifications").get_data(as_text=True)
