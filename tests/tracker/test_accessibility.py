"""WCAG 2.2 AA checks in a real browser: axe-core in headless Debian Chromium on every public
page the crawler finds from '/' (so new pages are checked as they appear) and on the main
staff pages, signed in; and the keyboard path through a public page (skip link first, focus
in document order, a visible focus style).

Needs /usr/bin/chromium (installed by `make setup`) and node_modules/axe-core (npm).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from conftest import TEMPLATE_CACHE
from sqlalchemy import select

from browser import AXE_JS, CHROMIUM, axe_violations, client_fetcher, crawl, describe, live_server, \
    new_context, public_seeds

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: `make setup` installs it"),
]

PAGES_PER_ROUTE = 5  # a route's pages share a template: a few of each keep the run short
PASSWORD = "demo-password-{role}"  # the demo users' passwords (tracker/commands/demo.py)


@pytest.fixture(scope="module")
def site(tmp_path_factory, database_templates):
    """The app with the full demo (its demo users, no test users), served on a free loopback port.
    Its database is a copy of the session's demo (tests/conftest.py), for this module alone."""
    from tracker import create_app
    from tracker.db import db

    assert AXE_JS.exists(), f"{AXE_JS} is missing: run `make setup` (npm ci)"
    folder = tmp_path_factory.mktemp("accessibility")
    url = database_templates.copy("demo", False, folder)
    with pytest.MonkeyPatch.context() as env:
        env.delenv("DATABASE_URL", raising=False)
        env.setenv("TRACKER_INSTANCE_PATH", str(folder / "instance"))
        app = create_app({
            "TESTING": True,
            "SECRET_KEY": "accessibility",
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        })
        app.jinja_env.bytecode_cache = TEMPLATE_CACHE
        with live_server(app) as base:
            yield app, base
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    database_templates.drop(url)


@pytest.fixture(scope="module")
def browser(site, chromium_browser):
    """The process's Chromium (tests/conftest.py); the modules that import ``site`` use it too."""
    return chromium_browser


@pytest.fixture
def browser_context(browser):
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture(scope="module")
def public_pages(site):
    """HTML pages an anonymous visitor reaches from '/', a few per route, plus the sign-in page."""
    app, _ = site
    pages = crawl(client_fetcher(app.test_client()), public_seeds(app), terms=["women"])
    adapter = app.url_map.bind("localhost")
    per_route: dict[str, int] = {}
    chosen = []
    for url, page in pages.items():
        if page.status != 200 or not page.is_html:
            continue
        endpoint, _ = adapter.match(urlsplit(url).path)
        per_route[endpoint] = per_route.get(endpoint, 0) + 1
        if per_route[endpoint] <= PAGES_PER_ROUTE:
            chosen.append(url)
    return chosen + ["/sign-in"]


def staff_pages(app) -> dict[str, list[str]]:
    """The main staff pages, each checked as the role that works on it (so its forms show)."""
    from flask import url_for

    from consultations.models import (Campaign, Cluster, Consultation, OrganisationType, Recommendation, Respondent,
                                      Response, ResponseSection)
    from tracker.db import db

    with app.test_request_context():
        slug = db.session.scalar(select(Consultation.slug).order_by(Consultation.id))
        response_id = db.session.scalar(select(Response.id).order_by(Response.id))
        recs = dict(db.session.execute(select(Recommendation.key, Recommendation.id).join(Response).join(Respondent)
                                       .where(Respondent.name == "Clinks")).all())
        pages = {
            "policy": [url_for("browse.home"), url_for("browse.consultations"),
                       url_for("browse.consultation", slug=slug), url_for("browse.response", response_id=response_id),
                       url_for("browse.recommendation", rec_id=recs["R4"]), url_for("triage.queue"),
                       url_for("implementation.dashboard"), url_for("search.staff_search", q="women"),
                       url_for("upload.upload"), url_for("clusters.overview", slug=slug),
                       url_for("clusters.cluster", cluster_id=db.session.scalar(select(Cluster.id).limit(1))),
                       url_for("clusters.campaign", campaign_id=db.session.scalar(select(Campaign.id).limit(1))),
                       url_for("browse.response", response_id=db.session.scalar(  # a survey answer with placeholders
                           select(ResponseSection.response_id).where(ResponseSection.kind == "placeholder").limit(1))),
                       url_for("triage.edit_consent", respondent_id=db.session.scalar(
                           select(Respondent.id).where(Respondent.name == "Clinks"))),
                       url_for("triage.redactions", response_id=response_id)],
            "methodology": [url_for("mapping.links", rec_id=recs["R1"]), url_for("mapping.coverage")],
            "approver": [url_for("decisions.decision", rec_id=recs["R4"]),
                         url_for("decisions.decision", rec_id=recs["R3"])],
            "admin": [url_for("admin.home"), url_for("admin.edit_user", user_id=1), url_for("account.sessions_page"),
                      url_for("account.settings_page"), url_for("account.set_up"),
                      url_for("admin.organisation_types"), url_for("admin.new_organisation_type"),
                      url_for("admin.edit_organisation_type",
                              type_id=db.session.scalar(select(OrganisationType.id).order_by(OrganisationType.id))),
                      url_for("admin.respondents", q="Clinks"),
                      url_for("admin.respondent", respondent_id=db.session.scalar(
                          select(Respondent.id).where(Respondent.name == "Clinks")))],
        }
        # A finished survey import with rows that failed, for its progress page (admin background jobs).
        from consultations.models import ImportRun

        job = ImportRun(kind="survey", source="survey.csv", sha256="", status="finished",
                        failures=[[4, "has 4 values but the header has 9 columns"]],
                        options={"consultation": slug, "total": 6, "from_browser": True,
                                 "result": ["5 responses imported.", "1 row could not be imported."]})
        # and one running now (this process stands in for the job's), so its page shows its progress
        import os
        import socket

        running = ImportRun(kind="survey", source="survey.csv", sha256="", status="running", imported=2,
                            pid=os.getpid(), host=socket.gethostname(),
                            options={"consultation": slug, "total": 6, "from_browser": True})
        db.session.add_all([job, running])
        db.session.commit()
        pages["admin"] += [url_for("admin.jobs"), url_for("admin.start_duplicates"), url_for("admin.survey_import"),
                           url_for("admin.job", run_id=job.id), url_for("admin.job", run_id=running.id)]
        db.session.remove()
    return pages


def check_pages(context, base: str, urls: list[str]) -> tuple[list[str], list[str]]:
    """axe on each URL: (violations described, pages that did not load)."""
    found, broken = [], []
    page = context.new_page()
    try:
        for url in urls:
            response = page.goto(base + url, wait_until="load")
            if response is None or response.status != 200:
                broken.append(f"{url}: HTTP {response.status if response else 'no response'}")
                continue
            violations = axe_violations(page)
            if violations:
                found.append(describe(url, violations))
    finally:
        page.close()
    return found, broken


def sign_in(context, base: str, role: str) -> None:
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    page.fill("input[name=email]", f"{role}@example.org")
    page.fill("input[name=password]", PASSWORD.format(role=role))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/staff/**")
    page.close()


def test_axe_runs_and_reports_a_known_violation(browser_context):
    """Guards the checks below: a page with an unlabelled field and an image without text fails."""
    page = browser_context.new_page()
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><h1>T</h1>'
                     '<img src="data:,"><input type="text"></main></body></html>')
    ids = {v["id"] for v in axe_violations(page)}
    page.close()
    assert {"image-alt", "label"} <= ids


def test_every_public_page_meets_wcag_22_aa(site, browser_context, public_pages):
    _, base = site
    print(f"\naxe on {len(public_pages)} public pages: {', '.join(public_pages)}")
    found, broken = check_pages(browser_context, base, public_pages)
    assert not broken, "public pages that did not load:\n" + "\n".join(broken)
    assert not found, "WCAG violations on public pages:\n" + "\n".join(found)


def test_main_staff_pages_meet_wcag_22_aa(site, browser):
    app, base = site
    found, broken = [], []
    for role, urls in staff_pages(app).items():
        print(f"\naxe on staff pages as {role}: {', '.join(urls)}")
        context = new_context(browser)  # a fresh profile per role: its own session cookie
        try:
            sign_in(context, base, role)
            role_found, role_broken = check_pages(context, base, urls)
        finally:
            context.close()
        found += [f"[{role}] {line}" for line in role_found]
        broken += [f"[{role}] {line}" for line in role_broken]
    assert not broken, "staff pages that did not load:\n" + "\n".join(broken)
    assert not found, "WCAG violations on staff pages:\n" + "\n".join(found)


FOCUSABLE_IN_ORDER = """() => {
    const candidates = document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]');
    const order = [];
    for (const el of candidates) {
        if (el.disabled || el.tabIndex < 0 || !el.checkVisibility({visibilityProperty: true})) continue;
        if (el.type === 'radio' && el.name) {  // a radio group is one tab stop
            const group = [...document.querySelectorAll(`input[type=radio][name="${el.name}"]`)];
            const stop = group.find(r => r.checked) || group[0];
            if (stop !== el) continue;
        }
        el.dataset.tabStop = order.length;
        order.push(el.outerHTML.slice(0, 120));
    }
    return order;
}"""

FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {stop: el.dataset.tabStop ?? null, html: el.outerHTML.slice(0, 120), id: el.id,
            href: el.getAttribute('href'), isSkipLink: el.classList.contains('govuk-skip-link'),
            outline: style.outlineStyle, boxShadow: style.boxShadow};
}"""


def keyboard_page(public_pages) -> str:
    """The public outcome page of a consultation when it exists; else the public home or search."""
    outcome_pages = [url for url in public_pages if re.fullmatch(r"/consultations/[^/?]+", url)]
    if outcome_pages:
        return outcome_pages[0]
    return "/" if "/" in public_pages else "/search"


def test_keyboard_skip_link_focus_order_and_visible_focus(site, browser_context, public_pages):
    _, base = site
    url = keyboard_page(public_pages)
    print(f"\nkeyboard checks on {url}")
    page = browser_context.new_page()
    try:
        page.goto(base + url, wait_until="load")
        page.keyboard.press("Tab")
        first = page.evaluate(FOCUSED)
        assert first["isSkipLink"] and first["href"] == "#main-content", f"the first Tab focuses {first['html']}"
        assert page.locator("#main-content").count() == 1, "the skip link's target #main-content exists"
        assert first["outline"] != "none" or first["boxShadow"] != "none", "the skip link shows focus"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main-content", "the skip link moves focus to main"

        page.goto(base + url, wait_until="load")
        expected = page.evaluate(FOCUSABLE_IN_ORDER)
        assert len(expected) > 3, "the page has links to tab through"
        problems = []
        for index in range(min(len(expected), 40)):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused["stop"] != str(index):
                problems.append(f"Tab {index + 1} focused {focused['html']!r}, expected {expected[index]!r}")
                break
            if focused["outline"] == "none" and focused["boxShadow"] == "none":
                problems.append(f"Tab {index + 1}: no visible focus style on {focused['html']!r}")
        print(f"tabbed through {min(len(expected), 40)} of {len(expected)} tab stops in document order")
        assert not problems, f"keyboard problems on {url}:\n" + "\n".join(problems)
    finally:
        page.close()


def test_publish_confirmation_and_withdrawal_pages_meet_wcag_22_aa(site, browser):
    """The safeguards' own pages: the preview asked for before publishing (R8 is approved in the
    demo), the withdrawal form of a published decision (R9), and the public page of R9 once
    withdrawn."""
    from flask import url_for

    from consultations.models import Recommendation, Respondent, Response
    from consultations.workflow import Decision
    from tracker.db import db

    app, base = site
    with app.test_request_context():
        ids = dict(db.session.execute(
            select(Recommendation.key, Decision.id).join(Decision, Decision.recommendation_id == Recommendation.id)
            .join(Response).join(Respondent).where(Respondent.name == "Clinks")).all())
        urls = [url_for("decisions.publish", decision_id=ids["R8"]), url_for("decisions.withdraw", decision_id=ids["R9"])]
        rec_ids = dict(db.session.execute(select(Recommendation.key, Recommendation.id).join(Response).join(Respondent)
                                          .where(Respondent.name == "Clinks")).all())
        db.session.remove()
    context = new_context(browser)
    try:
        sign_in(context, base, "approver")
        page = context.new_page()
        page.goto(base + urls[0])
        assert "What the public will see" in page.content()
        # The demo's one approver drafted R8, so the two-person rule asks for someone else.
        assert "Ask an approver other than Alex Approver" in page.content()
        assert page.get_by_role("button", name="Publish decision").count() == 0
        page.close()
        found, broken = check_pages(context, base, urls)
        # Withdraw R9 in the browser (last in this module, so no other test sees it) and check
        # the public page that now says so.
        page = context.new_page()
        page.goto(base + urls[1])
        page.fill("textarea[name=reason]", "Superseded by the 2020 framework review.")
        page.get_by_role("button", name="Withdraw decision").click()
        page.wait_for_load_state()
        assert "Decision withdrawn" in page.content()
        page.close()
        public = f"/recommendations/{rec_ids['R9']}"
        page = context.new_page()
        page.goto(base + public)
        assert "Superseded by the 2020 framework review." in page.content()
        page.close()
        more, more_broken = check_pages(context, base, [public])
        found, broken = found + more, broken + more_broken
    finally:
        context.close()
    assert not broken, "\n".join(broken)
    assert not found, "WCAG violations:\n" + "\n".join(found)


def test_a_running_jobs_page_updates_itself_in_place_and_stays_axe_clean(site, browser):
    """An admin's background job page (tracker/static/job-progress.js): while the job runs the
    page fetches itself and swaps in the new status, without a reload; it stops when the job ends."""
    import os
    import socket

    from consultations.models import ImportRun
    from tracker.db import db

    app, base = site
    with app.app_context():
        job = ImportRun(kind="survey", source="progress.csv", sha256="", status="running", imported=1,
                        pid=os.getpid(), host=socket.gethostname(), options={"total": 4, "from_browser": True})
        db.session.add(job)
        db.session.commit()
        job_id = job.id

    def update(**values):
        with app.app_context():
            row = db.session.get(ImportRun, job_id)
            for name, value in values.items():
                setattr(row, name, value)
            db.session.commit()

    context = new_context(browser)
    try:
        sign_in(context, base, "admin")
        page = context.new_page()
        page.goto(f"{base}/staff/admin/jobs/{job_id}", wait_until="load")
        assert "1 of 4 rows done" in page.inner_text("#job-status")
        assert axe_violations(page) == []
        page.evaluate("window.notReloaded = true")
        update(imported=3)
        page.wait_for_function("document.getElementById('job-status').innerText.includes('3 of 4 rows done')",
                               timeout=20000)
        update(imported=4, status="finished", options={"total": 4, "from_browser": True,
                                                       "result": ["4 responses imported."]})
        page.wait_for_function("document.getElementById('job-status').dataset.active === 'false'", timeout=20000)
        assert "4 responses imported." in page.inner_text("#job-status")
        assert page.evaluate("window.notReloaded") is True, "the status changed in place"
        assert axe_violations(page) == []
    finally:
        context.close()
