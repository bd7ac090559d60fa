"""Respondents check what we understood, end to end in headless Chromium: policy staff create a
check link, an anonymous respondent opens it, answers (a wrong answer first, then right), staff
read the answers on the response, add the missed point as a recommendation and deal with the
rest, then revoke the link; axe-core finds no WCAG 2.2 AA violation on any page involved, and
the staff pages run under the site's own Content-Security-Policy without a script error.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from browser import CHROMIUM, axe_violations, describe, new_context
from test_accessibility import browser, site  # noqa: F401 (fixtures: Chromium, the demo on a live server)
from test_accessibility import sign_in as sign_in_browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: `make setup` installs it"),
]


def clinks_recs(app):
    from consultations.models import Recommendation, Respondent, Response
    from tracker.db import db

    with app.app_context():
        response = db.session.scalars(select(Response).join(Response.respondent)
                                      .where(Respondent.name == "Clinks")).one()
        recs = [(rec.id, rec.key, rec.text) for rec in db.session.scalars(
            select(Recommendation).where(Recommendation.response_id == response.id)
            .order_by(Recommendation.sequence, Recommendation.id))]
        db.session.remove()
        return response.id, recs


def no_violations(page, where: str, found: list[str]) -> None:
    violations = axe_violations(page)
    if violations:
        found.append(describe(where, violations))


def test_a_respondent_checks_what_we_understood_and_staff_act_on_it(site, browser):  # noqa: F811
    app, base = site
    response_id, recs = clinks_recs(app)
    (first_id, first_key, _), (second_id, second_key, _) = recs[:2]
    found: list[str] = []

    staff = new_context(browser)  # axe needs the CSP bypassed; the errors below would still show
    sign_in_browser(staff, base, "policy")
    page = staff.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    manage = f"{base}/staff/responses/{response_id}/recommendations"
    page.goto(manage)
    no_violations(page, "manage page", found)
    page.get_by_role("button", name="Create a check link").click()
    page.wait_for_url(f"{base}/staff/understood-checks/*")
    check_page = page.url
    assert "Check link created" in page.text_content("main")
    no_violations(page, "check page", found)
    link = page.input_value("#check-link")
    assert link.startswith(f"{base}/check/")
    assert link in page.input_value("#check-message")

    respondent = new_context(browser)  # a fresh profile: no staff cookie
    answer = respondent.new_page()
    answer.on("pageerror", lambda error: errors.append(str(error)))
    answer.goto(link)
    assert answer.title().startswith("What we understood you to recommend")
    assert f"Recommendation {first_key}" in answer.text_content("main")
    no_violations(answer, "respondent's page", found)
    # "No" needs a comment: sending it without one is explained.
    answer.locator(f"label[for='answer-{second_id}-2']").click()
    answer.get_by_role("button", name="Send your answers").click()
    assert "There is a problem" in answer.text_content(".govuk-error-summary")
    assert f"Tell us what you meant by recommendation {second_key}" in answer.text_content(".govuk-error-summary")
    no_violations(answer, "respondent's page with an error", found)
    answer.locator(f"label[for='answer-{first_id}']").click()
    answer.fill(f"#comment-{second_id}", "We meant every prison, not only some.")
    answer.fill("#missed", "Publish every inspection report in Easy Read.")
    answer.get_by_role("button", name="Send your answers").click()
    answer.wait_for_url("**/sent")
    assert "We have your answers" in answer.text_content("main")
    no_violations(answer, "answers sent", found)

    page.goto(manage + "#understood")
    assert "Answers waiting for you (2)" in page.text_content("main")
    assert "We meant every prison, not only some." in page.text_content("main")
    no_violations(page, "manage page with answers", found)
    page.get_by_role("link", name="Add as a recommendation").click()
    assert page.input_value("#text") == "Publish every inspection report in Easy Read."
    no_violations(page, "add a missed recommendation", found)
    page.get_by_role("button", name="Add the recommendation").click()
    page.wait_for_url(f"{manage}#rec-*")
    assert "was added from what the respondent told us" in page.text_content("main")
    assert "Publish every inspection report in Easy Read." in page.text_content("#recommendations ~ div table")
    page.goto(manage + "#understood")
    page.get_by_role("button", name="Mark as dealt with").click()
    assert "Answers waiting for you" not in page.text_content("main")

    page.goto(check_page)
    page.get_by_role("button", name="Revoke this link").click()
    assert "was revoked" in page.text_content("main")
    no_violations(page, "revoked check page", found)
    response = answer.goto(link)
    assert response.status == 410
    assert "This link is no longer in use" in answer.text_content("main")
    no_violations(answer, "revoked link", found)
    staff.close()
    respondent.close()
    assert not errors, "errors in the browser:\n" + "\n".join(errors)
    assert not found, "WCAG violations:\n" + "\n".join(found)
