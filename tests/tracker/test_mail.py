"""The outbox delivered through a real SMTP server (aiosmtpd, tests/tracker/smtp_server.py):
STARTTLS and authentication, retries with back-off, several senders at once, and a sender
killed with SIGKILL in the middle of a batch."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from collections import Counter

import pytest
from conftest import PROJECT
from smtp_server import SmtpServer
from sqlalchemy import select

from consultations import outbox
from consultations.models import utcnow
from consultations.outbox import OutboxMessage
from tracker import mail
from tracker.db import db
from tracker.web.site_url import parse_public_url


def enqueue_many(app, count: int, **extra) -> list[int]:
    with app.app_context():
        ids = [outbox.enqueue(db.session, recipient=f"person{n}@example.org", template="message",
                              context={"subject": f"Message {n}", "paragraphs": [f"Paragraph of message {n}."]},
                              **extra).id
               for n in range(count)]
        db.session.commit()
        return ids


def states(app) -> dict[int, str]:
    with app.app_context():
        return dict(db.session.execute(select(OutboxMessage.id, OutboxMessage.state)).all())


def test_a_message_goes_through_starttls_and_authentication_as_text_and_html(app, tmp_path):
    with SmtpServer(tmp_path, tls=True, users={"mailer": "s3cret-pass"}) as server:
        app.config.update(server.config(), MAIL_USERNAME="mailer", MAIL_PASSWORD="s3cret-pass")
        with app.app_context():
            message = outbox.enqueue(db.session, recipient="pat@example.org", template="message",
                                     context={"subject": "Your report is ready", "paragraphs": ["It <is> here."],
                                              "link_url": "https://example.org/r/1", "link_text": "Read it"})
            db.session.commit()
            message_id, row_id = message.message_id, message.id
            report = mail.send_due(app)
            errors = [m.last_error for m in db.session.scalars(select(OutboxMessage))]
        assert (report.sent, report.retrying, report.failed) == (1, 0, 0), errors
        [received] = server.messages
        assert server.envelopes[0][2] is True  # authenticated, which aiosmtpd allows only over TLS
    assert received["To"] == "pat@example.org"
    assert received["Subject"] == "Your report is ready"
    assert received["From"] == "Consultations <noreply@inspectorate.example>"
    assert received["Message-ID"] == f"<{message_id}@inspectorate.example>"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "It <is> here." in text and "Read it: https://example.org/r/1" in text
    assert "It &lt;is&gt; here." in html and 'href="https://example.org/r/1"' in html
    assert '<html lang="en">' in html
    assert states(app) == {row_id: "sent"}


def test_wrong_credentials_leave_the_message_waiting_with_the_error(app, tmp_path):
    with SmtpServer(tmp_path, tls=True, users={"mailer": "s3cret-pass"}) as server:
        app.config.update(server.config(), MAIL_USERNAME="mailer", MAIL_PASSWORD="wrong",
                          MAIL_TIMEOUT=3)
        [message_id] = enqueue_many(app, 1)
        report = mail.send_due(app)
        assert server.messages == []
    assert (report.sent, report.retrying) == (0, 1)
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert message.state == "pending" and message.attempts == 1
        assert message.last_error.startswith("SMTP")  # refused (535), or aiosmtpd stops answering
        assert message.next_attempt_at > utcnow()


def test_a_change_rolled_back_sends_nothing(app, tmp_path):
    with app.app_context():
        outbox.enqueue(db.session, recipient="pat@example.org", template="message",
                       context={"subject": "Never", "paragraphs": []})
        db.session.rollback()
        assert db.session.scalar(select(OutboxMessage.id)) is None


def test_a_refused_address_fails_for_good_and_a_temporary_failure_is_retried_with_back_off(app, tmp_path):
    with SmtpServer(tmp_path) as server:
        app.config.update(server.config(), NOTIFY_RETRY_BASE_SECONDS=60)
        server.refuse.add("person0@example.org")
        server.fail_next = 1  # the first message that gets to DATA is told to try later
        ids = enqueue_many(app, 3)
        report = mail.send_due(app)
        assert (report.sent, report.retrying, report.failed) == (1, 1, 1)
        with app.app_context():
            refused = db.session.get(OutboxMessage, ids[0])
            assert refused.state == "failed" and "550" in refused.last_error
            retrying = db.session.get(OutboxMessage, ids[1])
            assert retrying.state == "pending" and "451" in retrying.last_error
            first_wait = retrying.next_attempt_at - utcnow()
            assert dt.timedelta(seconds=50) < first_wait <= dt.timedelta(seconds=60)
        # Nothing more is due until the back-off is over.
        assert mail.send_due(app).sent == 0
        with app.app_context():
            db.session.get(OutboxMessage, ids[1]).next_attempt_at = utcnow() - dt.timedelta(seconds=1)
            db.session.commit()
        assert mail.send_due(app).sent == 1
        assert [m["To"] for m in server.messages] == ["person2@example.org", "person1@example.org"]
    assert states(app) == {ids[0]: "failed", ids[1]: "sent", ids[2]: "sent"}


def test_back_off_doubles_up_to_its_cap_and_a_message_is_given_up_after_the_maximum(app, tmp_path):
    assert [outbox.retry_delay(n, 60, 600).total_seconds() for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]
    with SmtpServer(tmp_path) as server:
        app.config.update(server.config(), NOTIFY_MAX_ATTEMPTS=3)
        server.fail_next = 10
        [message_id] = enqueue_many(app, 1)
        for attempt in range(3):
            with app.app_context():
                db.session.get(OutboxMessage, message_id).next_attempt_at = utcnow() - dt.timedelta(seconds=1)
                db.session.commit()
            mail.send_due(app)
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert (message.state, message.attempts) == ("failed", 3)
        outbox.retry(db.session, message)  # the admin page's "send again"
        db.session.commit()
        assert (message.state, message.attempts) == ("pending", 0)


def test_a_dedupe_key_makes_enqueueing_idempotent(app):
    with app.app_context():
        first = outbox.enqueue(db.session, recipient="a@example.org", template="message",
                               context={"subject": "s", "paragraphs": []}, dedupe_key="reminder:1:2026-12-02")
        again = outbox.enqueue(db.session, recipient="a@example.org", template="message",
                               context={"subject": "s", "paragraphs": []}, dedupe_key="reminder:1:2026-12-02")
        db.session.commit()
        later = outbox.enqueue(db.session, recipient="a@example.org", template="message",
                               context={"subject": "s", "paragraphs": []}, dedupe_key="reminder:1:2026-12-02")
        assert first is not None and again is None and later is None
        assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


@pytest.mark.parametrize("recipient, template", [("not an address", "message"), ("a@example.org", "../etc"),
                                                 ("a@example.org\nBcc: b@example.org", "message")])
def test_bad_recipients_and_template_names_are_refused_with_a_message(app, recipient, template):
    with app.app_context(), pytest.raises(outbox.OutboxError):
        outbox.enqueue(db.session, recipient=recipient, template=template, context={})


def test_two_senders_at_once_send_each_message_once(app, tmp_path):
    with SmtpServer(tmp_path) as server:
        app.config.update(server.config())
        ids = enqueue_many(app, 30)
        reports = []

        def sender():
            with app.app_context():
                reports.append(mail.send_due(app))

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        received = Counter(m["Message-ID"] for m in server.messages)
    assert sum(r.sent for r in reports) == 30
    assert len(received) == 30 and set(received.values()) == {1}
    assert set(states(app).values()) == {"sent"} and len(ids) == 30


def _sender(app, server: SmtpServer, lease_seconds: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "TRACKER_INSTANCE_PATH": app.instance_path,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "TRACKER_SECRET_KEY": "test",
           "TRACKER_PUBLIC_URL": "https://consult.example.org", "TRACKER_MAIL_SERVER": "127.0.0.1",
           "TRACKER_MAIL_PORT": str(server.port), "TRACKER_MAIL_STARTTLS": "false",
           "TRACKER_MAIL_FROM": "noreply@inspectorate.example", "TRACKER_NOTIFY_LEASE_SECONDS": str(lease_seconds)}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "tracker", "notify", "send"], env=env,
                            cwd=str(PROJECT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _lease_runs_out(app) -> None:
    """The dead sender's claim expires: its lease moved into the past, rather than waiting for it."""
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.state == "sending")):
            assert message.claimed_until > utcnow(), "the dead sender's claim still holds until its lease runs out"
            message.claimed_until = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()


def _send_after_the_lease(app, server: SmtpServer):
    """The next run of the sender, after the dead one's lease: in this process (the killed one was real)."""
    _lease_runs_out(app)
    app.config.update(server.config())
    with app.app_context():
        return mail.send_due(app)


def _killed_at_the_fifth(app, server, hook: str):
    """Start a sender and SIGKILL it while the server holds the 5th message at ``hook``
    ("on_mail": it has only MAIL FROM; "on_message": it has the whole message, unanswered)."""
    held, release = threading.Event(), threading.Event()

    def hold_the_fifth(count):
        if count == 5:
            held.set()
            release.wait(60)

    setattr(server, hook, hold_the_fifth)
    sender = _sender(app, server, lease_seconds=600)
    assert held.wait(60), sender.communicate()
    sender.send_signal(signal.SIGKILL)
    sender.communicate(timeout=30)  # reaps it and closes its pipes
    release.set()
    assert sender.returncode == -signal.SIGKILL


def test_a_sender_killed_mid_batch_loses_nothing_and_repeats_at_most_the_message_in_flight(app, tmp_path):
    """The sender is killed with SIGKILL while the SMTP server holds the 5th message of 12 (it has the
    whole message but has not answered yet: the worst moment). A new run after the lease sends the
    other 7; only the one in flight can arrive twice, with the same Message-ID both times."""
    ids = enqueue_many(app, 12)
    with app.app_context():
        expected = {f"<{m}@inspectorate.example>" for m in db.session.scalars(select(OutboxMessage.message_id))}
    with SmtpServer(tmp_path) as server:
        _killed_at_the_fifth(app, server, "on_message")
        in_flight = server.messages[4]["Message-ID"]
        with app.app_context():
            assert Counter(states(app).values()) == {"sent": 4, "sending": 1, "pending": 7}
        report = _send_after_the_lease(app, server)
        received = Counter(m["Message-ID"] for m in server.messages)
    assert set(received) == expected  # nothing lost
    assert {mid: n for mid, n in received.items() if n > 1} == {in_flight: 2}  # only the one in flight twice
    assert set(states(app).values()) == {"sent"} and len(ids) == 12
    assert report.sent == 8


def test_a_sender_killed_before_the_server_has_the_message_sends_it_once_after_the_lease(app, tmp_path):
    """Killed after claiming the 5th message and starting to send it (MAIL FROM), before the server
    has it: the next run sends it, and every message arrives exactly once."""
    enqueue_many(app, 12)
    with app.app_context():
        expected = {f"<{m}@inspectorate.example>" for m in db.session.scalars(select(OutboxMessage.message_id))}
    with SmtpServer(tmp_path) as server:
        _killed_at_the_fifth(app, server, "on_mail")
        assert Counter(states(app).values()) == {"sent": 4, "sending": 1, "pending": 7}
        report = _send_after_the_lease(app, server)
        received = Counter(m["Message-ID"] for m in server.messages)
    assert set(received) == expected and set(received.values()) == {1}
    assert report.sent == 8


def test_the_command_without_a_server_or_public_address_outside_development_says_what_to_set(app, runner):
    app.config.update(TESTING=False, DEVELOPMENT=False, MAIL_SERVER="smtp.example.org")
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code != 0 and "TRACKER_PUBLIC_URL" in result.output
    app.extensions["public_url"] = parse_public_url("https://consult.example.org")
    app.config.update(MAIL_SERVER="")
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code != 0 and "TRACKER_MAIL_SERVER" in result.output


def test_in_development_without_a_server_messages_are_kept_for_the_admin_page(app, runner):
    enqueue_many(app, 2)
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 2" in result.output
    assert set(states(app).values()) == {"sent"}
