"""Layout checks that only a real browser can make: where text sits and how wide pages are.
Uses the demo site and Chromium of test_accessibility (module-scoped there, so built again here).
"""
from __future__ import annotations

import pytest

from browser import CHROMIUM
from test_accessibility import browser, browser_context, site  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: `make setup` installs it"),
]

SLUG = "probation-inspection-changes-2019"

LABEL_AND_TEXT_TOPS = """() => [...document.querySelectorAll('.app-decision .govuk-summary-list__key')]
    .filter(key => key.textContent.trim() === 'Why')
    .map(key => {
        const firstLine = element => {
            const range = document.createRange();
            range.selectNodeContents(element);
            return range.getClientRects()[0].top;
        };
        return [firstLine(key), firstLine(key.nextElementSibling)];
    })"""


# The outermost elements reaching past the viewport, to say what to fix.
WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > 321 && !e.parentElement.closest('[data-wide]'))
    .filter(e => e.getBoundingClientRect().right > 321 && (e.setAttribute('data-wide', ''), true))
    .slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + e.className).join(', ')"""


def test_why_text_sits_level_with_its_label(site, browser_context):
    """A rationale is Markdown (bare paragraphs): its first line is level with "Why", not a line below."""
    _, base = site
    page = browser_context.new_page()
    page.goto(f"{base}/consultations/{SLUG}", wait_until="load")
    tops = page.evaluate(LABEL_AND_TEXT_TOPS)
    assert tops, "no Why rows on the outcome page"
    assert all(abs(label - text) < 8 for label, text in tops), tops


def narrow_pages(app) -> dict[str | None, list[str]]:
    """The pages with wide tables, by the role that sees them (None: the public)."""
    from flask import url_for
    from sqlalchemy import select

    from consultations.models import Response
    from tracker.db import db

    with app.test_request_context():
        response_id = db.session.scalar(select(Response.id).order_by(Response.id))
        pages = {
            "policy": [url_for("triage.queue"), url_for("triage.manage", response_id=response_id),
                       url_for("implementation.dashboard")],
            "methodology": [url_for("mapping.coverage")],
            None: [url_for("public.data")],
        }
        db.session.remove()
    return pages


def test_no_page_scrolls_sideways_at_320_pixels(site, browser):
    """WCAG 1.4.10 reflow: at 320 CSS pixels wide, tables wrap or scroll inside themselves."""
    from browser import new_context
    from test_accessibility import sign_in

    app, base = site
    wide = []
    for role, urls in narrow_pages(app).items():
        context = new_context(browser)
        try:
            context.set_default_timeout(20000)
            if role:
                sign_in(context, base, role)
            page = context.new_page()
            page.set_viewport_size({"width": 320, "height": 640})
            for url in urls:
                response = page.goto(base + url, wait_until="load")
                assert response is not None and response.status == 200, url
                width = page.evaluate("document.scrollingElement.scrollWidth")
                if width > 320:
                    wide.append(f"{url}: {width}px ({page.evaluate(WIDEST)})")
        finally:
            context.close()
    assert wide == [], wide

