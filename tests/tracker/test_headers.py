"""Security headers on every kind of response, nonces on the inline scripts, no inline styles,
private responses never stored, and uploaded originals that download instead of rendering; and,
in a real browser with the policy enforced, pages that still work (nothing blocked)."""
from __future__ import annotations

import re

import pytest
from browser import CHROMIUM, client_fetcher, crawl, live_server, public_seeds
from conftest import PASSWORD
from sqlalchemy import select
from test_auth import demo_ids, make_app, staff_urls  # noqa: F401 (fixtures)
from test_upload import consultation_id, upload  # noqa: F401 (a fixture)

from consultations.models import Document, Response
from tracker.db import db

SLUG = "probation-inspection-changes-2019"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000",
}


@pytest.fixture
def demo(demo_app, users):
    """The demo data, after the per-role users."""


def policy_of(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def check_headers(response, what: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (what, name)
    assert "camera=()" in response.headers["Permissions-Policy"], what
    policy = policy_of(response)
    assert policy["frame-ancestors"] == "frame-ancestors 'none'", what
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"], what
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"], what


def test_every_kind_of_response_carries_the_security_headers(app, client, demo):
    public = {
        "page": "/", "Atom feed": "/feeds/decisions.atom", "CSV": f"/consultations/{SLUG}/outcomes.csv",
        "JSON download": f"/consultations/{SLUG}/outcomes.json", "JSON API": "/api/v1/recommendations",
        "API 404": "/api/v1/recommendations/999999", "404 page": "/no-such-page", "stylesheet": "/static/app.css",
        "sign-in page": "/sign-in",
    }
    for what, url in public.items():
        response = client.get(url)
        response.close()
        assert response.status_code in (200, 404), (what, response.status_code)
        check_headers(response, what)
        private = what == "sign-in page"
        assert (response.headers.get("Cache-Control") == "no-store") is private, what
    assert policy_of(client.get(public["CSV"]))["sandbox"] == "sandbox"  # a download runs nothing

    client.post("/sign-in", data={"email": "viewer@example.org", "password": PASSWORD})
    with app.app_context():
        response_id = db.session.scalar(select(Response.id).where(Response.document_id.is_not(None)))
    staff = {"staff page": "/staff/", "staff 404": "/staff/responses/999999",
             "original file": f"/staff/responses/{response_id}/original",
             "public page seen signed in": "/", "feed fetched signed in": "/feeds/decisions.atom"}
    for what, url in staff.items():
        response = client.get(url)
        assert response.status_code in (200, 404), (what, response.status_code)
        check_headers(response, what)
        assert response.headers["Cache-Control"] == "no-store", what


def test_inline_scripts_carry_this_responses_nonce_and_no_page_has_inline_styles(app, client, demo_ids):
    first, second = client.get("/sign-in"), client.get("/sign-in")
    nonces = []
    for response in (first, second):
        script_policy = policy_of(response)["script-src"]
        [nonce] = re.findall(r"'nonce-([\w-]+)'", script_policy)
        html = response.get_data(as_text=True)
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert len(inline) == 2  # GOV.UK Frontend's js-enabled line and our initAll()
        assert all(f'nonce="{nonce}"' in attributes for attributes in inline)
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 22

    # Every public page the crawler finds, and every staff page as the roles whose forms differ.
    pages = [(url, page.body) for url, page in crawl(client_fetcher(client), public_seeds(app)).items()
             if page.is_html and page.status == 200]
    staff = [url for _, url, methods in staff_urls(app, demo_ids) if "GET" in methods]
    for role in ("policy", "approver", "admin"):
        client.post("/sign-in", data={"email": f"{role}@example.org", "password": PASSWORD})
        pages += [(url, response.get_data(as_text=True)) for url in staff
                  if (response := client.get(url)).status_code == 200 and response.mimetype == "text/html"]
    assert len(pages) > 50 and any(url.startswith("/recommendations/") for url, _ in pages)
    for url, html in pages:
        assert not re.search(r"<[^>]+\sstyle=", html), f"{url} has a style attribute, which the CSP blocks"
        assert not re.search(r"<[^>]+\son[a-z]+=", html), f"{url} has an inline event handler"


def test_development_sends_no_strict_transport_security(make_app):  # noqa: F811
    response = make_app(TESTING=True, DEVELOPMENT=True).test_client().get("/")
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_uploaded_html_original_downloads_and_never_renders_in_the_site(app, client, sign_in, consultation_id):  # noqa: F811
    page = (b"<html><head><title>Response</title></head><body><p>We recommend that inspectors publish "
            b"their findings.</p><script>alert(document.cookie)</script></body></html>")
    sign_in("policy")
    assert upload(client, (page, 'reply <b>"quoted"</b>.html')).status_code in (200, 302)
    with app.app_context():
        response_id, filename = db.session.execute(
            select(Response.id, Document.filename).join(Document, Response.document_id == Document.id)).one()
    original = client.get(f"/staff/responses/{response_id}/original")
    assert original.status_code == 200 and original.data == page  # the bytes exactly as received
    assert original.mimetype == "application/octet-stream"  # never text/html
    assert original.headers["Content-Disposition"].startswith("attachment;")
    assert filename.endswith(".html")
    assert policy_of(original)["sandbox"] == "sandbox" and policy_of(original)["default-src"] == "default-src 'none'"
    assert original.headers["X-Content-Type-Options"] == "nosniff"
    assert original.headers["Cache-Control"] == "no-store"


# --- in a real browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: `make setup` installs it")
def test_with_the_policy_enforced_pages_work_and_nothing_is_blocked(app, demo, chromium_browser):
    """No ``bypass_csp`` here (the axe checks need it to inject axe): the pages as people get them."""
    with app.app_context():
        rec_id = db.session.scalar(select(Response.id).order_by(Response.id))
    browser = chromium_browser
    with live_server(app) as base:
        context = browser.new_context()
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{base}/sign-in")
        page.fill("input[name=email]", "policy@example.org")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/staff/**")
        for url in ("/", f"/consultations/{SLUG}", "/staff/", f"/staff/responses/{rec_id}", "/staff/sessions"):
            page.goto(base + url, wait_until="load")
            classes = page.evaluate("document.body.className")
            assert "js-enabled" in classes and "govuk-frontend-supported" in classes, url
            assert page.evaluate("document.querySelector('.govuk-skip-link').hasAttribute("
                                 "'data-govuk-skip-link-init')"), f"{url}: initAll() did not run"
        context.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
