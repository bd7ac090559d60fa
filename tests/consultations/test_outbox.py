"""The outbox's claiming rules, without SMTP: one holder at a time, leases, tokens, back-off."""
from __future__ import annotations

import datetime as dt

from consultations import outbox
from consultations.models import utcnow


def _message(session, **extra):
    message = outbox.enqueue(session, recipient="a@example.org", template="message",
                             context={"subject": "s", "paragraphs": []}, **extra)
    session.commit()
    return message


def test_a_claimed_message_is_nobody_elses_until_its_lease_runs_out(session):
    message = _message(session)
    now = utcnow()
    claimed, token = outbox.claim_next(session, now, lease_seconds=60)
    session.commit()
    assert claimed.id == message.id and claimed.state == "sending" and claimed.attempts == 1
    assert outbox.claim_next(session, now + dt.timedelta(seconds=59), lease_seconds=60) is None
    # The lease ran out (its sender died): another sender takes it, with a new token...
    again, other = outbox.claim_next(session, now + dt.timedelta(seconds=61), lease_seconds=60)
    session.commit()
    assert again.id == message.id and other != token and again.attempts == 2
    # ...and the first sender, if it was only slow, can no longer mark it: no double bookkeeping.
    assert outbox.mark_sent(session, message.id, token) is False
    assert outbox.mark_failed(session, message.id, token, "late") is None
    assert outbox.mark_sent(session, message.id, other) is True
    session.commit()
    session.refresh(again)
    assert again.state == "sent" and again.claim_token is None
    assert outbox.claim_next(session, now + dt.timedelta(days=1)) is None


def test_a_message_not_yet_due_waits_and_one_that_kills_its_sender_every_time_ends_failed(session):
    later = _message(session, send_after=utcnow() + dt.timedelta(hours=1))
    assert outbox.claim_next(session) is None
    now = later.next_attempt_at
    for attempt in range(3):
        claimed, _ = outbox.claim_next(session, now, lease_seconds=10, max_attempts=3)
        session.commit()
        now += dt.timedelta(seconds=11)  # the sender died holding it
    assert outbox.claim_next(session, now, lease_seconds=10, max_attempts=3) is None
    session.commit()
    session.refresh(later)
    assert later.state == "failed" and "Gave up after 3 attempts" in later.last_error


def test_a_failure_waits_for_the_back_off_then_the_message_is_due_again(session):
    message = _message(session)
    now = utcnow()
    _, token = outbox.claim_next(session, now)
    assert outbox.mark_failed(session, message.id, token, "451 later", now, base=60) == "pending"
    session.commit()
    assert outbox.claim_next(session, now + dt.timedelta(seconds=59)) is None
    claimed, _ = outbox.claim_next(session, now + dt.timedelta(seconds=61))
    assert claimed.id == message.id and claimed.last_error == "451 later"
