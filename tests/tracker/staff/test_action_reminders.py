"""Reminders to action owners and their weekly digest (``notify reminders``), delivered through a
real SMTP server; idempotent per day and week."""
from __future__ import annotations

import datetime as dt

import pytest
from smtp_server import SmtpServer
from sqlalchemy import select

from consultations import notifications
from consultations.outbox import OutboxMessage
from consultations.workflow import Action, User
from tracker import mail
from tracker.db import db

TODAY = dt.date(2027, 3, 10)  # a Wednesday


@pytest.fixture
def owned(demo_app, users):
    """Three open actions owned by the policy user (by name, by email in another case), one overdue,
    one due in 3 days, one in 2 months; every other action owned by nobody on the staff."""
    with demo_app.app_context():
        actions = db.session.scalars(select(Action).order_by(Action.id)).all()
        for action in actions:
            action.owner, action.status = "Someone outside", "in progress"
        late, soon, later = actions[:3]
        late.owner, late.due_on = "Policy", TODAY - dt.timedelta(days=2)
        soon.owner, soon.due_on = " POLICY@example.org ", TODAY + dt.timedelta(days=3)
        later.owner, later.due_on = "policy", TODAY + dt.timedelta(days=60)
        db.session.commit()
        return {"late": late.id, "soon": soon.id, "later": later.id}


def test_owners_get_a_reminder_before_the_due_date_one_when_overdue_and_a_weekly_digest(demo_app, runner, owned,
                                                                                      tmp_path):
    result = runner.invoke(args=["notify", "reminders", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 due-soon reminder, 1 overdue reminder and 1 weekly digest" in result.output
    again = runner.invoke(args=["notify", "reminders", "--today", (TODAY + dt.timedelta(days=1)).isoformat()])
    assert "0 due-soon reminders, 0 overdue reminders and 0 weekly digests" in again.output
    next_week = runner.invoke(args=["notify", "reminders", "--today", (TODAY + dt.timedelta(days=5)).isoformat()])
    # A new ISO week: a new digest; and the action due on the 13th is now overdue.
    assert "0 due-soon reminders, 1 overdue reminder and 1 weekly digest" in next_week.output

    with SmtpServer(tmp_path) as server:
        demo_app.config.update(server.config())
        mail.send_due(demo_app)
        received = {m["Subject"]: m for m in server.messages}
        overdue = [m.get_body(("plain",)).get_content() for m in server.messages
                   if m["Subject"] == "An action you own is overdue"]
    assert {m["To"] for m in server.messages} == {"policy@example.org"}
    assert set(received) == {"An action you own is due in 3 days", "An action you own is overdue",
                             "Your actions: week of 8 March 2027", "Your actions: week of 15 March 2027"}
    assert len(overdue) == 2
    assert f"/staff/actions/{owned['late']}" in overdue[0] and "was due on 8 March 2027" in overdue[0]
    assert f"/staff/actions/{owned['soon']}" in overdue[1] and "was due on 13 March 2027" in overdue[1]
    digest = received["Your actions: week of 8 March 2027"].get_body(("plain",)).get_content()
    assert "Overdue (1)" in digest and "Due in the next 4 weeks (1)" in digest and "Due later (1)" in digest
    html = received["Your actions: week of 8 March 2027"].get_body(("html",)).get_content()
    assert f"/staff/actions/{owned['soon']}" in html and "Choose which emails you get" in html


def test_a_new_due_date_is_reminded_again_and_choices_are_respected(demo_app, runner, owned, users):
    runner.invoke(args=["notify", "reminders", "--today", TODAY.isoformat()])
    with demo_app.app_context():
        db.session.get(Action, owned["late"]).due_on = TODAY - dt.timedelta(days=1)  # moved: overdue again
        policy = db.session.get(User, users["policy"])
        notifications.set_preferences(db.session, policy, {"action_reminders"})  # no more digests
        db.session.commit()
    result = runner.invoke(args=["notify", "reminders", "--today", (TODAY + dt.timedelta(days=7)).isoformat()])
    # The moved action, and the one due on the 13th that is now overdue too; no digest.
    assert "0 due-soon reminders, 2 overdue reminders and 0 weekly digests" in result.output
    with demo_app.app_context():
        templates = sorted(db.session.scalars(select(OutboxMessage.template)))
    assert templates == ["action_digest", "action_due_soon", "action_overdue", "action_overdue", "action_overdue"]
