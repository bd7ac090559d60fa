"""Helpers for the cross-cutting checks: a crawler that discovers public pages by following
links (so the checks grow as pages are added), a live server for a real browser, and
headless Debian Chromium driven by Playwright with axe-core injected.

Playwright is imported only inside the browser helpers, so the crawler works without it.
"""
from __future__ import annotations

import csv
import io
import json
import re
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Never crawled as an anonymous visitor: staff pages and signing in. Static files hold no data.
SKIP_PREFIXES = ("/staff", "/sign-in", "/sign-out", "/static/", "/assets/")
HOST = "localhost"  # the Flask test client's host


# --- crawling ---------------------------------------------------------------------------


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    body: str
    found_on: str | None = None
    error: str | None = None  # the traceback when the view raised

    @property
    def is_html(self) -> bool:
        return "text/html" in self.content_type


class _PageParser(HTMLParser):
    """Collects hrefs, GET forms and the visible text (with telling attribute values) of HTML or XML."""

    TEXT_ATTRIBUTES = {"title", "alt", "aria-label", "content", "value", "placeholder"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.forms: list[dict] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                               "fields": []})
        elif tag in ("input", "select", "textarea") and self.forms and attrs.get("name"):
            self.forms[-1]["fields"].append((attrs["name"], (attrs.get("type") or tag).lower(), attrs.get("value")))
        self.text.extend(str(v) for k, v in attrs.items() if k in self.TEXT_ATTRIBUTES and v)

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def _json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


def page_text(page: Page) -> str:
    """Everything a visitor can read in a response, whatever its format."""
    kind = page.content_type
    if "json" in kind:
        try:
            return " | ".join(_json_strings(json.loads(page.body)))
        except ValueError:
            return page.body
    if "html" in kind or "xml" in kind:
        parser = _PageParser()
        parser.feed(page.body)
        # Feeds carry escaped HTML inside <content type="html">: read that too.
        inner = " ".join(parser.text)
        if "<" in inner:
            nested = _PageParser()
            nested.feed(inner)
            inner += " " + " ".join(nested.text)
        return inner
    if "csv" in kind:
        return " | ".join(cell for row in csv.reader(io.StringIO(page.body)) for cell in row)
    return page.body


def links_in(page: Page) -> tuple[list[str], list[dict]]:
    """Hrefs (and GET forms) a visitor could follow from this response, as absolute or relative URLs."""
    kind = page.content_type
    if "json" in kind:
        try:
            data = json.loads(page.body)
        except ValueError:
            return [], []
        urls = [s for s in _json_strings(data) if s.startswith("/") or s.startswith(f"http://{HOST}/")]
        if isinstance(data, dict) and "next" in data and isinstance(data.get("per_page"), int) and data["per_page"] > 2:
            # A paginated list: ask for small pages so that its `next` links are followed too.
            parts = urlsplit(page.url)
            query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("per_page", "page")] + [("per_page", "2")]
            urls.append(urlunsplit(("", "", parts.path, urlencode(query), "")))
        return urls, []
    if "html" in kind or "xml" in kind:
        parser = _PageParser()
        parser.feed(page.body)
        return parser.hrefs, [f for f in parser.forms if f["method"] == "get"]
    return re.findall(rf"https?://{HOST}/[^\s\"'<>,]*", page.body), []


def in_scope(url: str) -> str | None:
    """The path?query of a same-host URL a visitor may crawl, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", HOST):
        return None
    if not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


def form_urls(form: dict, base: str, terms: list[str]) -> list[str]:
    """A GET form (a search box) submitted once per term, other fields at their defaults."""
    text_fields = [name for name, kind, _ in form["fields"] if kind in ("text", "search")]
    if not text_fields:
        return []
    defaults = [(name, value or "") for name, kind, value in form["fields"]
                if kind in ("hidden", "select") and name not in text_fields and value]
    action = urljoin(base, form["action"] or base)
    action = urlunsplit(urlsplit(action)._replace(query="", fragment=""))
    return [f"{action}?{urlencode(defaults + [(text_fields[0], term)])}" for term in terms]


def crawl(fetch, seeds, *, terms=(), limit=1500, per_path=30) -> dict[str, Page]:
    """Breadth-first from ``seeds``: follows links, redirects, JSON URLs (``next`` too) and
    submits search forms with ``terms``. ``fetch(url) -> Page``. Bounded by ``limit`` URLs in
    all and ``per_path`` query-string variants of one path (facet links multiply)."""
    queue: list[tuple[str, str | None]] = [(url, None) for url in seeds]
    seen: set[str] = set()
    per_path_count: dict[str, int] = {}
    pages: dict[str, Page] = {}
    submitted_forms: set[str] = set()
    while queue and len(pages) < limit:
        url, found_on = queue.pop(0)
        url = in_scope(url)
        if url is None or url in seen:
            continue
        seen.add(url)
        path = urlsplit(url).path
        per_path_count[path] = per_path_count.get(path, 0) + 1
        if per_path_count[path] > per_path:
            continue
        page = fetch(url)
        page.found_on = found_on
        pages[url] = page
        if page.status in (301, 302, 303, 307, 308):
            queue.append((page.body, url))  # fetch puts the Location in the body of a redirect
            continue
        if page.status >= 400:
            continue
        hrefs, forms = links_in(page)
        queue.extend((urljoin(f"http://{HOST}{url}", href), url) for href in hrefs)
        for form in forms:
            key = (form["action"], tuple(name for name, _, _ in form["fields"]))
            if repr(key) not in submitted_forms:
                submitted_forms.add(repr(key))
                queue.extend((u, url) for u in form_urls(form, f"http://{HOST}{url}", list(terms)))
    return pages


def public_seeds(app) -> list[str]:
    """Every argument-free GET route a visitor may use, besides '/': new pages join by themselves."""
    seeds = ["/"]
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods:
            continue
        if in_scope(rule.rule) and rule.rule not in seeds:
            seeds.append(rule.rule)
    return seeds


def client_fetcher(client):
    """fetch() for ``crawl`` over a Flask test client; a view that raises counts as a 500."""

    def fetch(url: str) -> Page:
        try:
            response = client.get(url)
        except Exception:  # noqa: BLE001 (the crawl reports it as a server error)
            return Page(url, 500, "text/plain", "", error=traceback.format_exc())
        body = response.headers.get("Location", "") if response.status_code in (301, 302, 303, 307, 308) \
            else response.get_data(as_text=True)
        return Page(url, response.status_code, response.content_type or "", body)

    return fetch


def normalise(text: str) -> str:
    """Case, punctuation and spacing removed, so a phrase is found however a page wraps or marks it up."""
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


# --- a live server and a browser ----------------------------------------------------------


@contextmanager
def live_server(app):
    """The app on a free loopback port in a background thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def chromium():
    """Headless Debian Chromium (never a downloaded browser); each ``new_context`` is a fresh profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser):
    """A fresh profile (its own cookies), bypassing any Content-Security-Policy so axe can be injected."""
    return browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})


def axe_violations(page) -> list[dict]:
    """Runs axe-core on the loaded page for WCAG 2.0/2.1/2.2 A and AA rules."""
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" "))}));
        }""",
        AXE_TAGS,
    )


def describe(url: str, violations: list[dict]) -> str:
    return "\n".join(f"{url}: {v['id']} ({v['impact']}) {v['help']}: {', '.join(v['targets'][:5])}"
                     + (f" (+{len(v['targets']) - 5} more)" if len(v["targets"]) > 5 else "")
                     for v in violations)
