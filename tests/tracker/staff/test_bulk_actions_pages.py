"""Bulk actions through the pages: the list offers them to the roles that may take them, each
confirmation page lists exactly what will change in a fixed number of queries, the POST needs
CSRF and applies only what was shown, and the answer templates page."""
from __future__ import annotations

import re

import pytest
from conftest import count_statements
from sqlalchemy import select

from consultations import recommendation_list as listing
from consultations.answer_templates import AnswerTemplate, add_template
from consultations.models import Recommendation
from consultations.workflow import Decision

URL = "/staff/recommendations"


@pytest.fixture
def demo(demo_app, users, session):
    return session


def undecided(session, n: int | None = None) -> list[int]:
    query = listing.matching_ids(listing.RecommendationFilters(decision_state=listing.NO_DECISION)).order_by(
        Recommendation.id)
    return list(session.scalars(query.limit(n) if n else query))


def hidden_items(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(item-[0-9-]+)" value="(\d+)"', html))


def csrf(html: str) -> str:
    """The page's token (tests run with CSRF off, except the test that turns it on)."""
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    return found.group(1) if found else ""


def test_the_list_offers_each_role_its_actions(demo, sign_in):
    html = sign_in("approver").get(URL).get_data(as_text=True)
    assert 'name="rec"' in html and "Publish decisions" in html and "Assign responses" not in html
    assert re.search(r"All \d+ matching this filter", html)


def test_a_viewer_sees_no_checkboxes(demo, sign_in):
    html = sign_in("viewer").get(URL).get_data(as_text=True)
    assert 'name="rec"' not in html and "Change several at once" not in html


def template(demo, users) -> AnswerTemplate:
    made = add_template(demo, "Agreed", "accepted", "We **agree**.", users["approver"])
    demo.commit()
    return made


def test_draft_then_publish_from_the_pages_lists_exactly_what_becomes_public(demo, users, sign_in, app):
    client = sign_in("approver")
    made = template(demo, users)
    ids = undecided(demo, 2)
    query = "&".join(f"rec={i}" for i in ids)
    page = client.get(f"{URL}/bulk/draft?{query}&template={made.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2 will change" in html and "New draft decision: accepted" in html
    done = client.post(f"{URL}/bulk/draft", data={"csrf_token": csrf(html), "template": made.id, "rec": ids,
                                                  **hidden_items(html)})
    assert done.status_code == 200 and "2 changed" in done.get_data(as_text=True)

    html = client.get(f"{URL}/bulk/approve?{query}").get_data(as_text=True)
    client.post(f"{URL}/bulk/approve", data={"csrf_token": csrf(html), **hidden_items(html)})
    html = client.get(f"{URL}/bulk/publish?{query}").get_data(as_text=True)
    assert "Outcome made public:</strong> Accepted" in html and "<strong>agree</strong>" in html
    assert "Publish 2 decisions" in html
    done = client.post(f"{URL}/bulk/publish", data={"csrf_token": csrf(html), **hidden_items(html)})
    assert "2 changed" in done.get_data(as_text=True)
    demo.expire_all()
    assert {d.state for d in demo.scalars(select(Decision).where(Decision.recommendation_id.in_(ids)))} == {"published"}


def test_a_confirmation_without_csrf_changes_nothing(demo, users, sign_in, app):
    client = sign_in("approver")
    app.config["WTF_CSRF_ENABLED"] = True
    made = template(demo, users)
    ids = undecided(demo, 1)
    html = client.get(f"{URL}/bulk/draft?rec={ids[0]}&template={made.id}").get_data(as_text=True)
    response = client.post(f"{URL}/bulk/draft", data={"template": made.id, **hidden_items(html)})
    assert response.status_code == 400
    assert demo.scalar(select(Decision.id).where(Decision.recommendation_id == ids[0])) is None


def test_an_item_changed_since_the_page_was_shown_is_reported_as_skipped(demo, users, sign_in):
    client = sign_in("approver")
    made = template(demo, users)
    ids = undecided(demo, 1)
    html = client.get(f"{URL}/bulk/draft?rec={ids[0]}&template={made.id}").get_data(as_text=True)
    other = add_template(demo, "Other", "not accepted", "No.", users["approver"])
    from consultations.decisions import save_decision
    save_decision(demo, demo.get(Recommendation, ids[0]), other.outcome, other.public_rationale, "", users["approver"])
    demo.commit()
    done = client.post(f"{URL}/bulk/draft", data={"csrf_token": csrf(html), "template": made.id, **hidden_items(html)})
    text = done.get_data(as_text=True)
    assert "0 changed" in text and "1 skipped" in text and "changed after you saw this list" in text
    demo.expire_all()
    assert demo.scalar(select(Decision.outcome).where(Decision.recommendation_id == ids[0])) == "not accepted"


def test_all_matching_the_filter(demo, users, sign_in):
    client = sign_in("approver")
    made = template(demo, users)
    n = len(undecided(demo))
    html = client.get(f"{URL}/bulk/draft?scope=all&decision_state=none&template={made.id}").get_data(as_text=True)
    assert f"{n} will change" in html and 'name="decision_state" value="none"' in html


def test_a_selection_larger_than_one_bulk_action_may_change_is_refused_with_what_to_do(demo, users, sign_in, app):
    app.config["BULK_MAX_RECOMMENDATIONS"] = 2
    client = sign_in("approver")
    made = template(demo, users)
    ids = undecided(demo, 3)
    for query in ("&".join(f"rec={i}" for i in ids), "scope=all&decision_state=none"):
        html = client.get(f"{URL}/bulk/draft?template={made.id}&{query}").get_data(as_text=True)
        assert "one bulk action changes at most 2" in html and "Narrow the list" in html
        assert not hidden_items(html)  # nothing offered for confirmation
    shown = client.get(f"{URL}/bulk/draft?template={made.id}&" + "&".join(f"rec={i}" for i in ids[:2]))
    items = hidden_items(shown.get_data(as_text=True))
    assert len(items) == 2  # within the limit the page lists them as before
    third = client.get(f"{URL}/bulk/draft?template={made.id}&rec={ids[2]}").get_data(as_text=True)
    refused = client.post(f"{URL}/bulk/draft", data={"template": made.id, **items, **hidden_items(third)})
    assert refused.status_code == 400 and "one bulk action changes at most 2" in refused.get_data(as_text=True)
    demo.expire_all()
    assert not demo.scalars(select(Decision).where(Decision.recommendation_id.in_(ids))).all()


def test_the_confirmation_page_runs_a_fixed_number_of_statements(demo, users, app):
    from test_bad_input import clients_by_role

    made = template(demo, users)
    clients = clients_by_role(app, users)
    pages = [("approver", f"draft?template={made.id}"), ("approver", "approve?"), ("approver", "publish?"),
             ("policy", f"assign?assignee={users['policy']}"), ("methodology", "confirm-links?min_score=0.2")]
    counts = []
    for ids in (undecided(demo, 1), undecided(demo)):
        query = "&".join(f"rec={i}" for i in ids)
        for role, page in pages:
            with count_statements(app) as statements:
                assert clients[role].get(f"{URL}/bulk/{page}&{query}").status_code == 200
            counts.append((page, len(statements)))
    assert counts[:len(pages)] == counts[len(pages):]


def test_assign_and_confirm_links_pages(demo, users, sign_in):
    ids = undecided(demo, 3)
    query = "&".join(f"rec={i}" for i in ids)
    client = sign_in("policy")
    html = client.get(f"{URL}/bulk/assign?{query}&assignee={users['policy']}").get_data(as_text=True)
    assert "will be assigned to" in html
    done = client.post(f"{URL}/bulk/assign", data={"csrf_token": csrf(html), "assignee": users["policy"],
                                                   **hidden_items(html)})
    assert "changed" in done.get_data(as_text=True)
    client.post("/sign-out")
    client = sign_in("methodology")
    page = client.get(f"{URL}/bulk/confirm-links?scope=all&min_score=5")
    assert page.status_code == 200 and "Enter a score between 0.01 and 1" in page.get_data(as_text=True)
    assert client.get(f"{URL}/bulk/confirm-links?{query}").status_code == 200


def test_nothing_selected_says_what_to_do(demo, sign_in):
    html = sign_in("approver").get(f"{URL}/bulk/approve").get_data(as_text=True)
    assert "No recommendations are selected" in html


def test_answer_templates_page(demo, sign_in):
    client = sign_in("approver")
    response = client.get(f"{URL}/answer-templates")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There are no answer templates yet" in html
    token = csrf(html)
    added = client.post(f"{URL}/answer-templates", data={"csrf_token": token, "name": "Noted", "outcome": "accepted",
                                                         "public_rationale": "Thank you."}, follow_redirects=True)
    assert "Answer template &#34;Noted&#34; added" in added.get_data(as_text=True) or "Noted" in added.get_data(as_text=True)
    again = client.post(f"{URL}/answer-templates", data={"csrf_token": token, "name": "Noted", "outcome": "accepted",
                                                         "public_rationale": "Thank you."})
    assert again.status_code == 400 and "already exists" in again.get_data(as_text=True)


# --- in a browser ----------------------------------------------------------------------------

from test_accessibility import browser, site  # noqa: E402,F401 (fixtures: the demo served to Chromium)


@pytest.mark.browser
def test_a_bulk_publish_and_its_confirmation_meet_wcag_22_aa_in_a_browser(site, browser):
    """Select on the list, draft from a template, approve, then publish: axe on the list with its
    checkboxes, the publish confirmation (what becomes public) and the result page."""
    from browser import CHROMIUM, axe_violations, describe, new_context
    from test_accessibility import sign_in as sign_in_browser
    from tracker.db import db

    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: `make setup` installs it")
    app, base = site
    with app.app_context():
        made = add_template(db.session, "Browser", "accepted", "We agree with **this**.", None)
        db.session.commit()
        template_id = made.id
    context = new_context(browser)
    found, headings = [], []
    # The demo has one approver, who drafts here too: the two-person rule (tested on its own in
    # test_safeguards) would skip every item, so this walk-through turns it off and back on.
    app.config["DECISION_TWO_PERSON_RULE"] = False

    def check(page, what):
        violations = axe_violations(page)
        if violations:
            found.append(describe(what, violations))

    try:
        sign_in_browser(context, base, "approver")
        page = context.new_page()
        page.goto(base + URL + "?decision_state=none&per_page=10", wait_until="load")
        check(page, "list with checkboxes")
        page.locator('input[name="rec"]').nth(0).check()
        page.locator('input[name="rec"]').nth(1).check()
        page.get_by_role("button", name="Draft decisions from a template").click()
        page.wait_for_load_state("load")
        page.get_by_label("Answer template").select_option(str(template_id))
        page.get_by_role("button", name="Show what will change").click()
        page.wait_for_load_state("load")
        check(page, "draft confirmation")
        selected = "&".join(re.findall(r"rec=\d+", page.url))
        page.get_by_role("button", name="Draft 2 decisions").click()
        page.wait_for_load_state("load")
        headings.append(page.locator("h1").inner_text())
        page.goto(base + URL + "/bulk/approve?" + selected, wait_until="load")
        page.get_by_role("button", name="Approve 2 decisions").click()
        page.wait_for_load_state("load")
        page.goto(base + URL + "/bulk/publish?" + selected, wait_until="load")
        assert "Outcome made public" in page.content()
        check(page, "publish confirmation")
        page.get_by_role("button", name="Publish 2 decisions").click()
        page.wait_for_load_state("load")
        headings.append(page.locator("h1").inner_text())
        check(page, "publish result")
    finally:
        context.close()
        app.config["DECISION_TWO_PERSON_RULE"] = True
    assert headings == ["Draft decisions from a template: done", "Publish decisions: done"]
    assert not found, "WCAG violations:\n" + "\n".join(found)
