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


def test_why_text_sits_level_with_its_label(site, browser_context):
    """A rationale is Markdown (bare paragraphs): its first line is level with "Why", not a line below."""
    _, base = site
    page = browser_context.new_page()
    page.goto(f"{base}/consultations/{SLUG}", wait_until="load")
    tops = page.evaluate(LABEL_AND_TEXT_TOPS)
    assert tops, "no Why rows on the outcome page"
    assert all(abs(label - text) < 8 for label, text in tops), tops
