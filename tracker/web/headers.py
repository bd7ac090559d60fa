"""Security headers on every response, and how files people uploaded are sent back.

One ``after_request`` hook, rather than Flask-Talisman: what we need is a dozen lines, and
Talisman would bring an HTTPS redirect and cookie settings that the app and its proxy already
own, but not the ``Cache-Control`` rule below.

* ``Content-Security-Policy``: scripts, styles, images and fonts only from this site, no
  ``'unsafe-inline'``; the two inline scripts (GOV.UK Frontend's ``js-enabled`` line in its
  page template and our ``initAll()`` in ``base.html``) carry a per-response nonce
  (``cspNonce`` in templates). No page may frame ours (``frame-ancestors 'none'``, and
  ``X-Frame-Options: DENY`` for older browsers). A download (``Content-Disposition:
  attachment``) gets ``sandbox; default-src 'none'`` instead: even opened directly, it runs
  nothing in this site's origin.
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (staff URLs name
  respondents and searches; other sites learn nothing), ``Permissions-Policy`` turning off
  device features no page uses, and ``Strict-Transport-Security`` except in development.
* ``Cache-Control: no-store`` on every staff page and download, on the sign-in pages and on
  every response to a signed-in user, so neither a shared cache nor the browser's back button
  keeps staff data after signing out.
"""
from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request

from consultations.readers import DOCX_TYPE

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone", "payment", "usb"))
HSTS = "max-age=31536000"  # a year; not includeSubDomains: other services may share the domain
DOWNLOAD_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Types of original files sent back as they are; anything else (HTML above all) goes as
# application/octet-stream, so no browser shows it as a page of this site.
INERT_DOWNLOAD_TYPES = frozenset({
    "application/pdf", DOCX_TYPE, XLSX_TYPE, "text/plain", "text/markdown", "text/csv", "message/rfc822"})


def csp_nonce() -> str:
    """This response's nonce for inline scripts (made when a template first asks for it)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(nonce: str | None) -> str:
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join([
        "default-src 'self'", f"script-src {scripts}", "style-src 'self'", "img-src 'self' data:",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ])


def download_type(media_type: str | None) -> str:
    """The Content-Type to send an uploaded original with: its own if inert, else octet-stream."""
    return media_type if media_type in INERT_DOWNLOAD_TYPES else "application/octet-stream"


def download_name(name: str | None, fallback: str) -> str:
    """A file name safe to offer: no control characters, no folders."""
    cleaned = "".join(c for c in (name or "") if c.isprintable() and c not in "/\\").strip(" .")
    return cleaned or fallback


def is_private() -> bool:
    """Staff pages and downloads, signing in, and anything a signed-in user sees: never stored."""
    return g.get("user") is not None or request.path.startswith("/staff/") or request.blueprint == "auth"


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    if headers.get("Content-Disposition", "").startswith("attachment"):
        headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    else:
        headers.setdefault("Content-Security-Policy", content_security_policy(g.get("csp_nonce")))
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    if not current_app.config["DEVELOPMENT"]:
        headers["Strict-Transport-Security"] = HSTS
    if is_private():
        headers["Cache-Control"] = "no-store"
    return response


def forget_nonce() -> None:
    """A nonce serves one response (an app context shared by several requests, as in tests, too)."""
    g.pop("csp_nonce", None)


def init_app(app: Flask) -> None:
    app.before_request(forget_nonce)
    app.after_request(add_security_headers)
    # ``cspNonce`` reaches templates through tracker.web.templating.
