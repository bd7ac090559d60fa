"""The accessibility statement and the privacy notice: public pages linked from every footer.

Each is Markdown. The project ships a default (``tracker/public/content/<page>.md``, after
GOV.UK's model accessibility statement and a privacy notice for this service's data); an
installation overrides it with its own file, ``instance/pages/<page>.md``, read on each request so
an edit shows at once. Either is rendered with the site's sanitised Markdown
(``tracker.web.markdown``): its first line, ``# Title``, is the page's h1 and title, and
``{service}``, ``{organisation}`` and ``{contact}`` are replaced with ``SERVICE_NAME``,
``ORGANISATION_NAME`` and ``CONTACT_EMAIL`` from the configuration.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, current_app, render_template
from markupsafe import Markup

from tracker.web.markdown import render_markdown
from tracker.web.roles import public

bp = Blueprint("statements", __name__)

DEFAULTS = Path(__file__).resolve().parent / "content"
PAGES = {"accessibility": "Accessibility statement", "privacy": "Privacy notice"}
MAX_BYTES = 200_000  # an installation's file larger than this is cut there rather than served whole


@dataclass
class Statement:
    title: str
    body: Markup
    source: Path


def statement_source(name: str) -> Path:
    """The installation's own file if it has one, else the shipped default."""
    own = Path(current_app.instance_path) / "pages" / f"{name}.md"
    return own if own.is_file() else DEFAULTS / f"{name}.md"


def load_statement(name: str) -> Statement:
    source = statement_source(name)
    with source.open("rb") as handle:
        text = handle.read(MAX_BYTES).decode("utf-8", errors="replace")
    config = current_app.config
    contact = config.get("CONTACT_EMAIL") or ""
    values = {
        "{service}": config["SERVICE_NAME"],
        "{organisation}": config.get("ORGANISATION_NAME") or "the inspectorate",
        "{contact}": f"[{contact}](mailto:{contact})" if contact else "the service team",
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    title = PAGES[name]
    lines = text.lstrip("\ufeff").splitlines()
    if lines and lines[0].startswith("# "):
        title, lines = lines[0][2:].strip() or title, lines[1:]
    return Statement(title=title, body=render_markdown("\n".join(lines), page=True), source=source)


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("public/statement.html", statement=load_statement("accessibility"))


@bp.route("/privacy")
@public
def privacy():
    return render_template("public/statement.html", statement=load_statement("privacy"))
