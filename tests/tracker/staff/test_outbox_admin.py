"""Admin > Outbox: every email with its state, one message as its recipient reads it, the whole
email as a download, and sending a failed one again."""
from __future__ import annotations

from email import message_from_bytes, policy

from sqlalchemy import select

from consultations import outbox
from consultations.outbox import OutboxMessage
from tracker import mail
from tracker.db import db


def _messages(app):
    with app.app_context():
        sent = outbox.enqueue(db.session, recipient="pat@example.org", template="message",
                              context={"subject": "Your report is ready", "paragraphs": ["Read it <today>."]})
        failed = outbox.enqueue(db.session, recipient="sam@example.org", template="message",
                                context={"subject": "Another", "paragraphs": ["Second."]})
        db.session.commit()
        ids = sent.id, failed.id
    mail.send_due(app, limit=1)  # no SMTP server in the tests: kept, as in development
    with app.app_context():
        message = db.session.get(OutboxMessage, ids[1])
        message.state, message.attempts, message.last_error = "failed", 8, "SMTPRecipientsRefused: 550 no such user"
        db.session.commit()
    return ids


def test_an_admin_reads_the_outbox_and_sends_a_failed_message_again(app, client, sign_in):
    sent_id, failed_id = _messages(app)
    sign_in("admin")
    page = client.get("/staff/admin/outbox").get_data(as_text=True)
    assert "pat@example.org" in page and "sam@example.org" in page
    assert "Sent (1)" in page and "Failed (1)" in page
    assert "sam@example.org" not in client.get("/staff/admin/outbox?state=sent").get_data(as_text=True)

    page = client.get(f"/staff/admin/outbox/{sent_id}").get_data(as_text=True)
    assert "Your report is ready" in page and "Read it &lt;today&gt;." in page

    download = client.get(f"/staff/admin/outbox/{sent_id}/message.eml")
    assert download.mimetype == "message/rfc822" and download.headers["Content-Disposition"].startswith("attachment")
    email = message_from_bytes(download.data, policy=policy.default)
    assert email["To"] == "pat@example.org"
    assert "Read it &lt;today&gt;." in email.get_body(("html",)).get_content()

    page = client.get(f"/staff/admin/outbox/{failed_id}").get_data(as_text=True)
    assert "550 no such user" in page and "Send it again" in page
    response = client.post(f"/staff/admin/outbox/{failed_id}/retry", follow_redirects=True)
    assert "will be sent again" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage.state).where(OutboxMessage.id == failed_id)) == "pending"
    # A message that has not failed is not sent again.
    response = client.post(f"/staff/admin/outbox/{sent_id}/retry", follow_redirects=True)
    assert "Only a message that failed" in response.get_data(as_text=True)


def test_other_roles_cannot_read_the_outbox(app, client, sign_in):
    sent_id, _ = _messages(app)
    sign_in("approver")
    assert client.get("/staff/admin/outbox").status_code == 403
    assert client.get(f"/staff/admin/outbox/{sent_id}").status_code == 403
