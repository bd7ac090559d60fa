"""Corrections anchored to the text, in headless Chromium with the site's Content-Security-Policy
enforced: a passage selected with the mouse on the response page becomes a recommendation whose
span is exactly that passage; a click in a recommendation's text chooses where it is split; both
work from the keyboard alone; and axe-core finds no WCAG 2.2 AA violation on the pages involved.

Reuses the demo site on a live server and the Chromium of tests/tracker/test_accessibility.py.
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

SELECT_WITH_MOUSE = """([from, to]) => {
    // Where the characters at cleaned-text offsets `from` and `to - 1` are drawn on screen.
    const blocks = [...document.querySelectorAll('[data-anchoring-text] [data-start]')];
    function rectAt(offset) {
        const block = blocks.find(b => +b.dataset.start <= offset && offset < +b.dataset.end);
        let left = offset - +block.dataset.start;
        const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (node.parentElement.closest('.app-highlight__key')) continue;
            if (left < node.data.length) {
                const range = document.createRange();
                range.setStart(node, left);
                range.setEnd(node, left + 1);
                return range;
            }
            left -= node.data.length;
        }
    }
    rectAt(from).startContainer.parentElement.scrollIntoView({block: 'center'});
    const first = rectAt(from).getBoundingClientRect(), last = rectAt(to - 1).getBoundingClientRect();
    return {x1: first.left + 1, y1: first.top + first.height / 2, x2: last.right - 1, y2: last.top + last.height / 2};
}"""


def select_with_mouse(page, start: int, end: int) -> None:
    """Drag the mouse over the response text from offset ``start`` to ``end``, as a user would."""
    box = page.evaluate(SELECT_WITH_MOUSE, [start, end])
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()


def rec_of(app, response_id: int, key: str):
    from consultations.models import Recommendation
    from tracker.db import db

    with app.app_context():
        rec = db.session.scalars(select(Recommendation).where(
            Recommendation.response_id == response_id, Recommendation.key == key)).one_or_none()
        db.session.remove()
        return rec


def clinks(app):
    from consultations.models import Respondent, Response
    from tracker.db import db

    with app.app_context():
        response = db.session.scalars(select(Response).join(Response.respondent)
                                      .where(Respondent.name == "Clinks")).one()
        found = (response.id, response.text)
        db.session.remove()
        return found


@pytest.fixture
def policy(site, browser):  # noqa: F811 (the imported fixture)
    """A policy user's page with the site's own Content-Security-Policy (not bypassed), failing
    the test on any script error or policy violation."""
    _, base = site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in_browser(context, base, "policy")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    assert not problems, "errors in the browser:\n" + "\n".join(problems)


def test_a_passage_selected_with_the_mouse_becomes_a_recommendation(site, policy):
    app, base = site
    response_id, document = clinks(app)
    start = document.index("Our aim is to ensure")
    end = document.index(" We do this by")
    policy.goto(f"{base}/staff/responses/{response_id}")
    assert policy.get_by_role("button", name="Use the selected text").is_visible()
    select_with_mouse(policy, start, end)
    policy.get_by_role("button", name="Use the selected text").click()
    assert policy.input_value("[data-anchoring-start]") == str(start)
    assert policy.input_value("[data-anchoring-end]") == str(end)
    assert policy.input_value("#text") == " ".join(document[start:end].split())
    assert "Selected characters" in policy.text_content("[data-anchoring-status]")
    policy.get_by_role("button", name="Add recommendation").click()
    policy.wait_for_url(f"{base}/staff/responses/{response_id}#rec-R10")
    added = rec_of(app, response_id, "R10")
    assert added.spans == [[start, end]]
    assert policy.locator('mark[data-recommendations="R10"]').inner_text() == document[start:end]

    # A selection that runs from R1's highlight across R2's key label into R2's highlight (the
    # label is not part of the text), made a sub-point of R2.
    r2 = rec_of(app, response_id, "R2")
    start, end = r2.spans[0][0] - 12, r2.spans[0][0] + 20
    policy.goto(f"{base}/staff/responses/{response_id}")
    select_with_mouse(policy, start, end)
    policy.get_by_role("button", name="Use the selected text").click()
    policy.select_option("#parent", label=policy.locator("#parent option", has_text="R2:").inner_text())
    policy.get_by_role("button", name="Add recommendation").click()
    policy.wait_for_url(f"{base}/staff/responses/{response_id}#rec-R2.6")
    assert rec_of(app, response_id, "R2.6").spans == [[start, end]]


def test_a_click_in_the_text_chooses_where_to_split(site, policy):
    app, base = site
    response_id, document = clinks(app)
    r6 = rec_of(app, response_id, "R6")
    point = r6.text.index("to provide scrutiny")
    policy.goto(f"{base}/staff/recommendations/{r6.id}/edit")
    # Click in the middle of the word "provide": the nearest point between words is before it or
    # after "to"; click at the start of "to" to choose the point before "to".
    box = policy.evaluate("""(offset) => {
        const node = document.querySelector('[data-split-text]').firstChild;
        const range = document.createRange();
        range.setStart(node, offset);
        range.setEnd(node, offset + 1);
        node.parentElement.scrollIntoView({block: 'center'});
        const rect = range.getBoundingClientRect();
        return {x: rect.left + 1, y: rect.top + rect.height / 2};
    }""", point)
    policy.mouse.click(box["x"], box["y"])
    assert policy.input_value("[data-split-word]") == str(point)
    assert policy.locator("input[name=split-point]").count() == 0  # one sentence: no boundaries to offer
    assert "The second part will start at “to provide scrutiny" in policy.text_content("[data-split-status]")
    assert policy.inner_text(".app-split-second").startswith("to provide scrutiny")
    policy.get_by_role("button", name="Split R6").click()
    policy.wait_for_url(f"{base}/staff/responses/{response_id}/recommendations")
    assert "R6 was split into R6a and R6b." in policy.inner_text("main")
    first, second = rec_of(app, response_id, "R6a"), rec_of(app, response_id, "R6b")
    assert (first.text, second.text) == (r6.text[:point].strip(), r6.text[point:])
    for (start, end), cut_first, cut_second in zip(r6.spans, first.spans, second.spans):
        cut = start + document[start:end].index("to provide scrutiny")
        assert cut_first == [start, cut - 1] and cut_second == [cut, end]


def test_both_corrections_work_from_the_keyboard(site, policy):
    app, base = site
    response_id, document = clinks(app)
    policy.goto(f"{base}/staff/responses/{response_id}/recommendations/new")
    # Typed text: line breaks and capitals differ from the response; its passage is found.
    policy.focus("#text")
    policy.keyboard.type("we are a membership organisation\nwith over 500 members")
    policy.keyboard.press("Tab")  # sub-point of
    policy.keyboard.press("Tab")  # answers question
    policy.keyboard.press("Tab")
    assert policy.evaluate("document.activeElement.textContent.trim()") == "Add recommendation"
    policy.keyboard.press("Enter")
    policy.wait_for_url(f"{base}/staff/responses/{response_id}/recommendations")
    [added] = [r for r in (rec_of(app, response_id, f"R{n}") for n in range(10, 13)) if r and
               r.text.startswith("we are a membership")]
    start = document.index("We are a membership organisation with over 500 members")
    assert added.spans == [[start, start + len("We are a membership organisation with over 500 members")]]

    r4 = rec_of(app, response_id, "R4")  # published in the demo: its key stays R4
    policy.goto(f"{base}/staff/recommendations/{r4.id}/edit")
    policy.focus("input[name=split-point]")
    policy.keyboard.press("Space")  # the first point: where the second sentence starts
    policy.keyboard.press("Tab")  # the word list
    policy.keyboard.press("Tab")
    assert policy.evaluate("document.activeElement.textContent.trim()") == "Split R4"
    policy.keyboard.press("Enter")
    policy.wait_for_url(f"{base}/staff/responses/{response_id}/recommendations")
    first, second = rec_of(app, response_id, "R4"), rec_of(app, response_id, "R4b")
    assert second.text.startswith("This should include") and first.text == r4.text[:r4.text.index("This")].strip()


def test_the_correction_pages_meet_wcag_22_aa(site, browser):  # noqa: F811
    app, base = site
    response_id, _ = clinks(app)
    r5 = rec_of(app, response_id, "R5")
    context = new_context(browser)  # CSP bypassed, so that axe can be injected
    sign_in_browser(context, base, "policy")
    page = context.new_page()
    found = []
    try:
        for url in (f"/staff/responses/{response_id}", f"/staff/responses/{response_id}/recommendations/new",
                    f"/staff/recommendations/{r5.id}/edit"):
            page.goto(base + url, wait_until="load")
            if "/edit" in url:  # with a point chosen, as a user leaves it
                page.locator("[data-split-text]").click(position={"x": 40, "y": 8})
            elif "/new" not in url:
                page.get_by_role("button", name="Use the selected text").click()  # the status message shows
            violations = axe_violations(page)
            if violations:
                found.append(describe(url, violations))
    finally:
        context.close()
    assert not found, "WCAG violations:\n" + "\n".join(found)
