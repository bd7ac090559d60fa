"""Email subscriptions to a consultation or a standard, as a member of the public uses them:
double opt-in, a digest of new decisions delivered through a real SMTP server, one-click
unsubscribe; and pages that never say whether an address is subscribed."""
from __future__ import annotations

import re

import pytest
from smtp_server import SmtpServer
from sqlalchemy import select

from consultations import decisions
from consultations.decisions import decision_for
from consultations.models import Consultation, Recommendation, Response
from consultations.subscriptions import EmailSubscription
from tracker import mail
from tracker.db import db

SLUG = "probation-inspection-changes-2019"
FEED = f"/consultations/{SLUG}/feed.atom"


@pytest.fixture
def smtp(demo_app, tmp_path):
    with SmtpServer(tmp_path) as server:
        demo_app.config.update(server.config())
        yield server


def deliver(app, server) -> list:
    server.messages.clear()
    mail.send_due(app)
    return list(server.messages)


def text_of(email) -> str:
    return email.get_body(("plain",)).get_content()


def path_of(url: str) -> str:
    return url.split("127.0.0.1:5000", 1)[1]


def subscribe(client, address: str, feed: str = FEED):
    return client.post("/emails/subscribe", data={"email": address, "feed": feed})


def test_the_subscribe_page_offers_email_for_a_consultation_and_a_standard_only(demo_client):
    assert "Get emails instead" in demo_client.get(f"/feeds/subscribe?feed={FEED}").get_data(as_text=True)
    standard = demo_client.get("/feeds/subscribe?feed=/standards/hmip-probation-2019/4.1.1/feed.atom")
    assert "Get emails instead" in standard.get_data(as_text=True)
    everything = demo_client.get("/feeds/subscribe?feed=/feeds/decisions.atom").get_data(as_text=True)
    assert "Get emails instead" not in everything
    assert "Set-Cookie" not in demo_client.get(f"/feeds/subscribe?feed={FEED}").headers  # still cacheable


def test_double_opt_in_then_a_digest_of_new_decisions_then_one_click_unsubscribe(demo_app, demo_client, users, smtp):
    page = subscribe(demo_client, "Reader@Example.ORG")
    assert page.status_code == 200 and "Check your email" in page.get_data(as_text=True)
    [confirmation] = deliver(demo_app, smtp)
    assert confirmation["To"] == "Reader@example.org"
    assert confirmation["Subject"].strip().startswith("Confirm your subscription")
    link = re.search(r"http://\S+/emails/confirm/\S+", text_of(confirmation)).group(0)
    with demo_app.app_context():
        assert db.session.scalar(select(EmailSubscription.state)) == "pending"

    assert "Confirm subscription" in demo_client.get(path_of(link)).get_data(as_text=True)
    with demo_app.app_context():  # a link checker opening the link confirms nothing
        assert db.session.scalar(select(EmailSubscription.state)) == "pending"
    assert "Subscription confirmed" in demo_client.post(path_of(link)).get_data(as_text=True)
    with demo_app.app_context():
        assert db.session.scalar(select(EmailSubscription.state)) == "confirmed"

    # Nothing new published yet: no digest.
    runner = demo_app.test_cli_runner()
    assert "0 subscription digests" in runner.invoke(args=["notify", "reminders"]).output
    with demo_app.app_context():
        consultation_id = db.session.scalar(select(Consultation.id).where(Consultation.slug == SLUG))
        rec = next(r for r in db.session.scalars(select(Recommendation).join(Response).where(
            Response.consultation_id == consultation_id, Recommendation.duplicate_of_id.is_(None))
            .order_by(Recommendation.id)) if decision_for(db.session, r) is None)
        key = rec.key
        decision = decisions.save_decision(db.session, rec, "accepted", "We will publish the handbook.", "",
                                           users["approver"])
        decisions.approve(decision, users["approver"], two_person_rule=False)
        decisions.publish(decision, users["approver"], two_person_rule=False)
        db.session.commit()
    assert "1 subscription digest;" in runner.invoke(args=["notify", "reminders"]).output
    assert "0 subscription digests" in runner.invoke(args=["notify", "reminders"]).output  # once
    digests = [m for m in deliver(demo_app, smtp) if m["Subject"].strip().startswith("New decisions")]
    assert len(digests) == 1, [(m["To"], m["Subject"]) for m in smtp.messages]
    [digest] = digests
    body = text_of(digest)
    assert key in body and "We will publish the handbook." in body and "/recommendations/" in body
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = digest["List-Unsubscribe"].strip().strip("<>")
    assert "Unsubscribe: " + unsubscribe in body

    response = demo_client.post(path_of(unsubscribe), data={"List-Unsubscribe": "One-Click"})
    assert "Unsubscribed" in response.get_data(as_text=True)
    with demo_app.app_context():
        assert db.session.scalar(select(EmailSubscription.state)) == "unsubscribed"


def test_the_page_is_the_same_whether_or_not_the_address_is_subscribed(demo_app, demo_client, smtp):
    subscribe(demo_client, "known@example.org")
    [confirmation] = deliver(demo_app, smtp)
    link = re.search(r"http://\S+/emails/confirm/\S+", text_of(confirmation)).group(0)
    demo_client.post(path_of(link))
    known = subscribe(demo_client, "known@example.org")
    unknown = subscribe(demo_client, "stranger@example.org")
    assert known.status_code == unknown.status_code == 200
    def without_nonce(response):  # each response has its own CSP nonce
        return re.sub(r'nonce="[^"]*"', "", response.get_data(as_text=True))

    assert without_nonce(known) == without_nonce(unknown)
    # Only the owner of the address learns it was subscribed already.
    received = {m["To"]: m["Subject"].strip() for m in deliver(demo_app, smtp)}
    assert received["known@example.org"].startswith("You are already subscribed")
    assert received["stranger@example.org"].startswith("Confirm your subscription")
    # Asking again the same day sends nothing more: the form cannot flood an inbox.
    subscribe(demo_client, "stranger@example.org")
    assert deliver(demo_app, smtp) == []


@pytest.mark.parametrize("address, message", [("", "Enter your email address"),
                                              ("not-an-address", "Enter an email address in the correct format"),
                                              ("a@b@example.org", "Enter an email address in the correct format")])
def test_a_bad_address_is_shown_with_its_error_and_nothing_is_stored(demo_app, demo_client, address, message):
    response = subscribe(demo_client, address)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and "govuk-error-summary" in page
    with demo_app.app_context():
        assert db.session.scalar(select(EmailSubscription.id)) is None


def test_bad_links_and_feeds_are_not_found_and_an_old_confirmation_link_has_expired(demo_app, demo_client,
                                                                                    monkeypatch):
    assert subscribe(demo_client, "a@example.org", "/feeds/decisions.atom").status_code == 404
    assert subscribe(demo_client, "a@example.org", "/nowhere").status_code == 404
    assert demo_client.get("/emails/unsubscribe/forged").status_code == 404
    assert demo_client.get("/emails/confirm/forged").status_code == 404
    subscribe(demo_client, "a@example.org")
    import time

    from itsdangerous.timed import TimestampSigner

    with demo_app.test_request_context(), monkeypatch.context() as earlier:
        earlier.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 2)  # two seconds ago
        sub_id = db.session.scalar(select(EmailSubscription.id))
        token = mail.sign_timed("subscription-confirm", [sub_id, "a@example.org"])
    monkeypatch.setattr(mail, "CONFIRM_DAYS", 0)
    response = demo_client.get(f"/emails/confirm/{token}")
    assert response.status_code == 410 and "This link has expired" in response.get_data(as_text=True)
