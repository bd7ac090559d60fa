"""Every app-wide Jinja filter and global, registered in one place by the app factory.

Blueprints register none of their own (``app_template_filter`` and friends hide who adds what
to every template); a helper a template in another area needs lives here, in the web kit, or
is handed in by the factory (``area_globals``) when it belongs to one staff area, which the
web kit may not import.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from flask import Flask
from markupsafe import Markup

from consultations import vocabulary
from consultations.published import withdrawal_notice
from tracker.web import branding, headers, roles
from tracker.web.markdown import render_markdown
from tracker.web.paging import pagination_params


def govuk_date(value: dt.date | dt.datetime | None) -> str:
    """Dates in the GOV.UK style, e.g. ``5 April 2019``."""
    if value is None:
        return "Not recorded"
    return f"{value.day} {value:%B %Y}"


def markdown_filter(text: str | None) -> Markup:
    """``{{ text | markdown }}``: staff Markdown as sanitised HTML."""
    return render_markdown(text)


def status_label(value: str | None) -> str:
    """``{{ decision.outcome | status_label }}``: a status as people read it (consultations.vocabulary)."""
    return vocabulary.tag(value).label if value else ""


FILTERS: dict[str, Callable] = {
    "govuk_date": govuk_date,
    "markdown": markdown_filter,
    "status_label": status_label,
}
GLOBALS: dict[str, Callable] = {
    "status_term": vocabulary.tag,  # label and colour of any status, for the status_tag macro
    "link_origin_label": vocabulary.LINK_ORIGINS.label,
    "pagination_params": pagination_params,  # for the pagination macro
    "withdrawal_notice": withdrawal_notice,  # "Withdrawn on <date>: <reason>", as the public pages say it
}


def init_app(app: Flask, area_globals: Mapping[str, Callable] | None = None) -> None:
    """Filters and globals for every template, and the per-request values (user, navigation,
    CSP nonce, GOV.UK asset path) that the web kit's modules provide."""
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
    for name, function in {**GLOBALS, **(area_globals or {})}.items():
        app.add_template_global(function, name)

    @app.context_processor
    def request_context() -> dict:
        return {
            "assetPath": "/assets",
            "serviceName": app.config["SERVICE_NAME"],
            "brand": branding.branding(app),
            "cspNonce": headers.csp_nonce(),
            **roles.template_context(),
        }
