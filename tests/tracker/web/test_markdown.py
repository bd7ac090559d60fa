"""Staff Markdown becomes HTML that is safe to publish: only a short list of tags survives."""
from __future__ import annotations

import pytest
from flask import render_template_string
from markupsafe import Markup

from tracker.web.markdown import render_markdown


def test_formatting_that_is_allowed_survives():
    html = render_markdown(
        "We **agree** with *most* of this.\n\n- one\n- two\n\n1. first\n2. second\n\n"
        "> quoted `code`\n\n### Next steps\n\n#### Detail\n\nLine one  \nline two"
    )
    assert isinstance(html, Markup)
    for fragment in ("<strong>agree</strong>", "<em>most</em>", "<ul>", "<li>one</li>", "<ol>",
                     "<blockquote>", "<code>code</code>", "<h3>Next steps</h3>", "<h4>Detail</h4>", "<br>"):
        assert fragment in html


def test_links_keep_only_safe_href_and_get_rel():
    html = render_markdown("[report](https://www.gov.uk/report) and [page](/staff/x)")
    assert '<a href="https://www.gov.uk/report" rel="noopener noreferrer">report</a>' in html
    assert '<a href="/staff/x" rel="noopener noreferrer">page</a>' in html


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        '<a href=" javascript:alert(1)">x</a>',
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox(1))",
    ],
)
def test_dangerous_urls_are_dropped(text):
    html = render_markdown(text)
    assert "href" not in html and "script:" not in html.lower() and "data:" not in html
    assert ">x</a>" in html  # the link text stays


def test_scripts_styles_and_event_handlers_are_removed():
    html = render_markdown(
        "<script>alert(1)</script>\n\n<style>p { color: red }</style>\n\n"
        '<p onclick="steal()" style="color:red" class="x">Hello</p>\n\n'
        '<a href="https://example.org" onclick="steal()" target="_blank">link</a>\n\n'
        '<img src="x" onerror="alert(1)"><iframe src="https://evil.example"></iframe>'
    )
    lowered = html.lower()
    for bad in ("<script", "alert(1)", "<style", "color", "onclick", "onerror", "<img", "<iframe",
                "steal", "target=", "class="):
        assert bad not in lowered
    assert "<p>Hello</p>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in html


def test_tags_not_allowed_keep_their_text():
    html = render_markdown('<div><b>bold</b> <span onmouseover="x()">text</span></div>\n\n# Big heading')
    assert "bold" in html and "text" in html and "<b>" not in html and "<div" not in html
    assert "<h3>Big heading</h3>" in html and "<h1" not in html


@pytest.mark.parametrize("text", [None, "", "   \n  "])
def test_empty_text_renders_nothing(text):
    assert render_markdown(text) == Markup("")


def test_markdown_filter_is_registered_for_templates(app):
    with app.test_request_context():
        html = render_template_string("{{ text | markdown }}", text="**x** <script>alert(1)</script>")
    assert html.strip() == "<p><strong>x</strong> </p>"


def test_markdown_as_text_drops_the_marks_and_keeps_the_words():
    from tracker.web.markdown import markdown_as_text

    assert markdown_as_text("We **agree** & will act.\n\n* one\n* two") == "We agree & will act.\none\ntwo"
    assert markdown_as_text("<script>alert(1)</script>Fine") == "Fine"
    assert markdown_as_text(None) == "" and markdown_as_text("  ") == ""
