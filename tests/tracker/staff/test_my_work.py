"""My work (/staff/my-work): counts of what waits on the signed-in user, each linking to a list
that shows exactly those items; a fixed number of queries; the page staff land on after signing
in; the staff search box on every staff page."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import count_statements
from sqlalchemy import select

from consultations import my_work
from consultations.models import Recommendation, Response, utcnow
from consultations.workflow import Action, Decision, User
from test_accessibility import browser, site  # noqa: F401 (fixtures: the demo served to Chromium)

URL = "/staff/my-work"
TODAY = dt.date.today()


@pytest.fixture
def work(demo_app, users, session):
    """The demo with work for the policy user: responses assigned to them (one received, one in
    review, one closed, one deleted) and actions they own, overdue, due soon and neither."""
    responses = session.scalars(select(Response).order_by(Response.id)).all()
    received, in_review, closed, deleted = responses[:4]
    for response in (received, in_review, closed, deleted):
        response.assignee_id = users["policy"]
    in_review.status, closed.status = "in review", "closed"
    deleted.deleted_at = utcnow()
    decision = session.scalars(select(Decision).order_by(Decision.id)).first()

    def action(owner, days, status="not started", deleted=False):
        item = Action(decision_id=decision.id, description=f"{owner} {days} {status}", owner=owner,
                      due_on=TODAY + dt.timedelta(days=days), status=status,
                      deleted_at=utcnow() if deleted else None)
        session.add(item)
        return item

    mine = {
        "overdue": action("  POLICY ", -3),
        "soon": action("policy@example.org", 5, "in progress"),
        "today": action("Policy", 0),
    }
    action("Policy", 30)  # not due soon
    action("Policy", -1, "implemented")  # finished: never overdue
    action("Policy", -2, deleted=True)
    action("Someone else", -3)
    session.commit()
    return {"received": received, "in_review": in_review, "actions": mine, "users": users}


def test_counts_for_a_user_with_assigned_work(work, session):
    policy = session.get(User, work["users"]["policy"])
    counts = my_work.my_work(session, policy, TODAY)
    assert counts.assigned_to_me == {"received": 1, "in review": 1}
    live_unassigned = session.scalars(select(Response).where(Response.assignee_id.is_(None),
                                                             Response.deleted_at.is_(None))).all()
    assert counts.unassigned == {"received": sum(r.status == "received" for r in live_unassigned),
                                 "in review": sum(r.status == "in review" for r in live_unassigned)}
    assert counts.overdue == 1 and counts.due_soon == 2
    assert [a.id for a in counts.actions] == [work["actions"][k].id for k in ("overdue", "today", "soon")]
    decided = session.scalars(select(Decision).where(Decision.deleted_at.is_(None))).all()
    assert counts.by_decision_state["draft"] == sum(d.state == "draft" for d in decided)
    assert counts.by_decision_state["approved"] == sum(d.state == "approved" for d in decided)
    live_recs = session.scalars(select(Recommendation.id).join(Response).where(
        Recommendation.deleted_at.is_(None), Response.deleted_at.is_(None))).all()
    assert counts.by_decision_state["none"] == len(live_recs) - len(decided)
    assert counts.without_confirmed_links == len(live_recs) - len(set(session.scalars(
        select(Recommendation.id).join(Response).where(Recommendation.links.any(status="confirmed"),
                                                       Response.deleted_at.is_(None)))))

    nobody = session.get(User, work["users"]["viewer"])
    theirs = my_work.my_work(session, nobody, TODAY)
    assert theirs.assigned_to_me == {"received": 0, "in review": 0}
    assert (theirs.overdue, theirs.due_soon, theirs.actions) == (0, 0, [])


def link(html: str, pattern: str) -> str:
    match = re.search(r'href="([^"]*' + re.escape(pattern) + r'[^"]*)"', html)
    assert match, pattern
    return match.group(1).replace("&amp;", "&")


def test_the_links_lead_to_lists_showing_exactly_those_items(work, sign_in, session):
    client = sign_in("policy")
    html = client.get(URL).get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-l\">My work</h1>" in html
    # triage: the queue filtered by assignee and status shows exactly the counted responses
    for status, response in (("received", work["received"]), ("in+review", work["in_review"])):
        queue = client.get(link(html, f'assignee={work["users"]["policy"]}&amp;status={status}'))
        assert queue.status_code == 200
        text = queue.get_data(as_text=True)
        assert "Showing 1 to 1 of 1 response" in text
        assert f"/staff/responses/{response.id}/recommendations" in text
    unassigned = client.get(link(html, "assignee=none&amp;status=received")).get_data(as_text=True)
    expected = len(session.scalars(select(Response.id).where(
        Response.assignee_id.is_(None), Response.status == "received", Response.deleted_at.is_(None))).all())
    assert expected > 1 and f"Showing 1 to {expected} of {expected} responses" in unassigned
    # recommendations: each count is the list's own total
    for state in ("link_state=none", "link_state=suggested", "decision_state=none", "decision_state=draft",
                  "decision_state=approved"):
        href = link(html, state)
        number = int(re.search(r'href="' + re.escape(href.replace("&", "&amp;")) +
                               r'"><span class="app-work-count__number">(\d+)</span>', html).group(1))
        listed = client.get(href).get_data(as_text=True)
        total = re.search(r"of (\d+) recommendations?", listed)
        assert (int(total.group(1)) if total else 0) == number, state
    # actions: each of mine opens its page
    for action in work["actions"].values():
        assert f'href="/staff/actions/{action.id}"' in html
    assert "1</strong> overdue and <strong>2</strong> due in the next 14 days" in html


@pytest.mark.parametrize("role, first", [("policy", "triage"), ("methodology", "links"),
                                         ("approver", "decisions"), ("viewer", "triage")])
def test_each_role_sees_its_own_work_first(work, sign_in, role, first):
    html = sign_in(role).get(URL).get_data(as_text=True)
    headings = re.findall(r'<h3 class="govuk-heading-m" id="(\w+)"', html)
    assert headings[0] == first and sorted(headings) == ["actions", "decisions", "links", "triage"]


def test_a_fixed_number_of_queries_whatever_the_work(demo_app, work, sign_in, session):
    client = sign_in("policy")
    client.get(URL)
    client.get(URL)  # the counts are kept now: the change below must make the page count again
    with count_statements(demo_app) as statements:
        assert client.get(URL).status_code == 200
    few = len(statements) + 1  # the count of the states, skipped while nothing changed
    decision = session.scalars(select(Decision)).first()
    session.add_all(Action(decision_id=decision.id, description=f"more {n}", owner="Policy",
                           due_on=TODAY + dt.timedelta(days=n - 10)) for n in range(20))
    for response in session.scalars(select(Response)):
        response.assignee_id = work["users"]["policy"]
    session.commit()
    with count_statements(demo_app) as statements:
        assert client.get(URL).status_code == 200
    assert len(statements) == few <= 8


def test_staff_land_on_my_work_and_it_is_first_in_the_navigation(demo_app, client, users):
    signed_in = client.post("/sign-in", data={"email": "approver@example.org", "password": "a long test password"})
    assert signed_in.location == URL
    html = client.get("/staff/consultations/").get_data(as_text=True)
    navigation = re.findall(r'class="govuk-service-navigation__link" href="([^"]+)"', html)
    assert navigation[0] == URL and "/staff/recommendations" in navigation


def test_anonymous_visitors_are_sent_to_sign_in(demo_app, client):
    response = client.get(URL)
    assert response.status_code == 302 and response.location.startswith("/sign-in?next=")


@pytest.mark.parametrize("page", ["/staff/", "/staff/my-work", "/staff/recommendations", "/staff/triage/",
                                  "/staff/implementation", "/staff/search?q=women"])
def test_every_staff_page_has_the_staff_search_box(demo_app, sign_in, page):
    html = sign_in("viewer").get(page).get_data(as_text=True)
    form = re.search(r'<form method="get" action="/staff/search" role="search" class="app-staff-search"'
                     r'.*?</form>', html, re.S)
    assert form, page
    assert '<label class="govuk-label govuk-visually-hidden" for="staff-search-q">' in form.group(0)
    assert 'id="staff-search-q" name="q"' in form.group(0)


def test_the_public_pages_have_no_staff_search_box(demo_app, client):
    assert "app-staff-search" not in client.get("/").get_data(as_text=True)


@pytest.mark.browser
def test_my_work_meets_wcag_22_aa_in_a_browser(site, browser):
    """axe in Chromium on My work for each role's ordering, and a search from the box in the header."""
    from browser import CHROMIUM, axe_violations, describe, new_context
    from test_accessibility import sign_in as sign_in_browser

    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: `make setup` installs it")
    _, base = site
    found = []
    for role in ("policy", "approver"):
        context = new_context(browser)
        try:
            sign_in_browser(context, base, role)
            page = context.new_page()
            assert page.goto(base + URL, wait_until="load").status == 200
            violations = axe_violations(page)
            if violations:
                found.append(describe(f"[{role}] {URL}", violations))
            page.fill("#staff-search-q", "women")
            page.get_by_role("button", name="Search", exact=True).first.click()
            page.wait_for_url(f"{base}/staff/search?q=women")
        finally:
            context.close()
    assert not found, "WCAG violations:\n" + "\n".join(found)
