"""The anonymous email pages in a real browser, axe-clean (WCAG 2.2 AA): subscribing by email from
a feed's subscribe page (with and without an error), check your email, confirm, confirmed,
unsubscribe, unsubscribed, an expired link, and stopping a respondent's outcome emails."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from test_accessibility import browser, check_pages, site  # noqa: F401 (fixtures)

from browser import CHROMIUM, axe_violations, describe, new_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: `make setup` installs it"),
]

FEED = "/consultations/probation-inspection-changes-2019/feed.atom"


def test_subscribing_by_email_in_the_browser_meets_wcag_22_aa(site, browser):  # noqa: F811
    from consultations.models import Respondent
    from consultations.subscriptions import EmailSubscription
    from tracker import mail
    from tracker.db import db

    app, base = site
    context = new_context(browser)
    found = []
    try:
        page = context.new_page()
        page.goto(f"{base}/feeds/subscribe?feed={FEED}")
        page.get_by_role("button", name="Subscribe by email").click()  # no address: the error
        page.wait_for_load_state()
        assert "Enter your email address" in page.content()
        found += [describe("subscribe error", v) for v in [axe_violations(page)] if v]
        page.get_by_label("Email address").fill("browser@example.org")
        page.get_by_role("button", name="Subscribe by email").click()
        page.wait_for_load_state()
        assert "Check your email" in page.content()
        found += [describe("check your email", v) for v in [axe_violations(page)] if v]
        page.close()
        with app.test_request_context():
            sub = db.session.scalar(select(EmailSubscription).where(EmailSubscription.email == "browser@example.org"))
            confirm = f"/emails/confirm/{mail.sign_timed('subscription-confirm', [sub.id, sub.email])}"
            stop = f"/emails/unsubscribe/{mail.sign('subscription-stop', sub.id)}"
            respondent = db.session.scalar(select(Respondent.id).order_by(Respondent.id))
            stop_outcomes = f"/emails/stop/{mail.sign('respondent-stop', respondent)}"
            db.session.remove()
        more, broken = check_pages(context, base, [f"/feeds/subscribe?feed={FEED}", confirm, stop, stop_outcomes])
        found += more
        assert not broken, broken
        for url, button, done in [(confirm, "Confirm subscription", "Subscription confirmed"),
                                  (stop, "Unsubscribe", "Unsubscribed"),
                                  (stop_outcomes, "Stop these emails", "Emails stopped")]:
            page = context.new_page()
            page.goto(base + url)
            page.get_by_role("button", name=button).click()
            page.wait_for_load_state()
            assert done in page.content()
            found += [describe(done, v) for v in [axe_violations(page)] if v]
            page.close()
    finally:
        context.close()
    assert not found, "WCAG violations on the email pages:\n" + "\n".join(found)
