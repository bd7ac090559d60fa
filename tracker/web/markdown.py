"""Markdown written by staff (public rationales), turned into HTML that is safe to publish.

Markdown passes raw HTML through, so its output is never trusted: nh3 keeps only a
short list of tags, links keep only ``href`` (http, https, mailto or relative) with
``rel="noopener noreferrer"``, and everything else is stripped. ``<script>`` and
``<style>`` lose their content too; any other unknown tag keeps its text.
"""
from __future__ import annotations

import re
from html import unescape
from functools import lru_cache

import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer"

# Rationales sit under the page's own h1/h2, so Markdown's top-level headings become h3 and the
# smallest ones h4, instead of being stripped to bare text.
_BIG_HEADING = re.compile(r"<(/?)h[12](?=[\s>])", re.IGNORECASE)
_SMALL_HEADING = re.compile(r"<(/?)h[56](?=[\s>])", re.IGNORECASE)


@lru_cache(maxsize=4096)
def render_markdown(text: str | None, *, page: bool = False) -> Markup:
    """Sanitised HTML for ``text`` (Markdown); empty text gives empty markup.

    ``page=True`` is for a whole page's body under its own h1 (the accessibility statement, the
    privacy notice): top-level headings become h2 instead of h3.

    Cached: a page shows many rationales and the same ones on every request; the result
    depends on the text alone."""
    if not text or not text.strip():
        return Markup("")
    import markdown  # about 10 ms: imported by the first page that shows Markdown, not at start-up

    html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    html = _BIG_HEADING.sub(r"<\1h2" if page else r"<\1h3", html)
    html = _SMALL_HEADING.sub(r"<\1h4", html)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS | ({"h2"} if page else set()),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        clean_content_tags={"script", "style"},
        strip_comments=True,
    )
    return Markup(clean)  # sanitised by nh3 just above


def markdown_as_text(text: str | None) -> str:
    """The words of ``text`` without Markdown's marks ("**"), for plain-text places (feed summaries)."""
    html = str(render_markdown(text))
    plain = nh3.clean(re.sub(r"</(p|li|h3|h4|blockquote)>", "\n", html), tags=set())
    return "\n".join(" ".join(line.split()) for line in unescape(plain).splitlines() if line.strip())
