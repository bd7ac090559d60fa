"""Whose service this is, as each installation says it: header, page titles, footer and typeface.

The GOV.UK Design System reserves the crown, the GOV.UK logotype, "– GOV.UK" in page titles and
the GDS Transport typeface for services on the GOV.UK website. An inspectorate's own site is "a
government service that's not part of the GOV.UK website": by default every page therefore uses
the Design System's generic header (the organisation's logo or name, then the service name in the
service navigation), GOV.UK Frontend's styles compiled in Arial (``tracker/assets``, built by
``tracker.web.assets``), the organisation in page titles and a neutral footer licence line.

Settings (Flask config, or ``TRACKER_*`` environment variables; README "Branding"):

* ``SERVICE_NAME``: the service's name, in the service navigation and every page title.
* ``ORGANISATION_NAME``, ``ORGANISATION_URL``: who runs it; the header links the name (or logo)
  to the URL (default: the public home page).
* ``ORGANISATION_LOGO``, ``ORGANISATION_LOGO_ALT``: an image in place of the name in the header:
  a file name in ``BRANDING_DIR`` (default: the instance folder's ``branding/``, served at
  ``/branding/<name>``)
  or a path on this site such as ``/static/logo.svg`` (the Content-Security-Policy allows images
  only from the site); the alternative text defaults to the organisation's name.
* ``FOOTER_LICENCE_HTML`` or ``FOOTER_LICENCE_TEXT``: the footer's licence line, such as the Open
  Government Licence if the organisation publishes under it. Default: who publishes the content.
* ``LETTER_SENDER``: who the printed respondent letter is from (default: the organisation).
* ``GOVUK_BRANDING`` (default off): only for an installation on a GOV.UK domain: the GOV.UK
  header with the crown, GOV.UK Frontend's own styles with GDS Transport, "– GOV.UK" titles and
  the GOV.UK footer.

A bad value stops the app from starting, naming the setting.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from flask import Flask, abort, send_from_directory, url_for
from markupsafe import Markup

from tracker.web.roles import public

SETTINGS = {
    "ORGANISATION_NAME": None,
    "ORGANISATION_URL": None,
    "ORGANISATION_LOGO": None,
    "ORGANISATION_LOGO_ALT": None,
    "FOOTER_LICENCE_HTML": None,
    "FOOTER_LICENCE_TEXT": None,
    "LETTER_SENDER": None,
    "GOVUK_BRANDING": False,
}
GENERIC_STYLESHEET = "govuk-frontend-generic.min.css"  # GOV.UK Frontend in Arial, see tracker/assets
GOVUK_STYLESHEET = "govuk-frontend.min.css"  # GOV.UK Frontend's own build, with GDS Transport


@dataclass(frozen=True)
class Branding:
    service_name: str
    organisation_name: str | None
    organisation_url: str | None
    logo: str | None  # a file name in instance/branding, or a path on this site
    logo_alt: str
    licence_html: Markup | None
    licence_text: str
    sender: str
    govuk: bool

    @property
    def stylesheet(self) -> str:
        return GOVUK_STYLESHEET if self.govuk else GENERIC_STYLESHEET

    @property
    def title_suffix(self) -> str:
        """What follows the service name in every page title."""
        if self.govuk:
            return " – GOV.UK"
        return f" – {self.organisation_name}" if self.organisation_name else ""

    @property
    def header_is_service(self) -> bool:
        """No organisation configured: the generic header carries the service name, and the
        service navigation does not repeat it."""
        return not (self.govuk or self.organisation_name or self.logo)

    @property
    def navigation_service_name(self) -> str | None:
        return None if self.header_is_service else self.service_name

    def logo_url(self) -> str | None:
        if not self.logo:
            return None
        return self.logo if self.logo.startswith("/") else url_for("branding_file", filename=self.logo)

    def home_url(self) -> str:
        return self.organisation_url or url_for("public.home")


def _text(config, name: str) -> str | None:
    value = config.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, not {value!r}")
    return value.strip() or None


def branding_from_config(config, branding_dir: str) -> Branding:
    """The installation's branding, checked: a ``ValueError`` naming the setting if it is wrong."""
    service = _text(config, "SERVICE_NAME")
    if not service:
        raise ValueError("SERVICE_NAME must be the service's name")
    organisation = _text(config, "ORGANISATION_NAME")
    url = _text(config, "ORGANISATION_URL")
    if url and not (url.startswith(("https://", "http://")) or url.startswith("/")):
        raise ValueError(f"ORGANISATION_URL must be an address such as https://www.example.org, not {url!r}")
    logo = _text(config, "ORGANISATION_LOGO")
    if logo and not logo.startswith("/"):
        if "://" in logo:
            raise ValueError("ORGANISATION_LOGO must be served by this site (the Content-Security-Policy allows "
                             f"images only from it): put the file in {branding_dir} and give its name, not {logo!r}")
        if os.path.basename(logo) != logo or not os.path.isfile(os.path.join(branding_dir, logo)):
            raise ValueError(f"ORGANISATION_LOGO: no file {logo!r} in {branding_dir}")
    logo_alt = _text(config, "ORGANISATION_LOGO_ALT") or organisation
    if logo and not logo_alt:
        raise ValueError("ORGANISATION_LOGO needs ORGANISATION_LOGO_ALT (or ORGANISATION_NAME) as its alternative text")
    govuk = config.get("GOVUK_BRANDING", False)
    if not isinstance(govuk, bool):
        raise ValueError(f"GOVUK_BRANDING must be true or false, not {govuk!r}")
    licence_html = _text(config, "FOOTER_LICENCE_HTML")
    licence_text = _text(config, "FOOTER_LICENCE_TEXT") or (
        f"All content is published by {organisation}, except where otherwise stated." if organisation
        else f"All content is published by the team running {service}, except where otherwise stated.")
    return Branding(
        service_name=service,
        organisation_name=organisation,
        organisation_url=url,
        logo=logo,
        logo_alt=logo_alt or "",
        licence_html=Markup(licence_html) if licence_html else None,  # the installation's own, trusted markup
        licence_text=licence_text,
        sender=_text(config, "LETTER_SENDER") or organisation or service,
        govuk=govuk,
    )


def init_app(app: Flask) -> None:
    """Check the branding settings and serve the installation's logo; templates get ``brand``
    (tracker.web.templating)."""
    for name, default in SETTINGS.items():
        app.config.setdefault(name, default)
    branding_dir = app.config.get("BRANDING_DIR") or os.path.join(app.instance_path, "branding")
    app.extensions["branding"] = branding_from_config(app.config, branding_dir)

    @app.route("/branding/<path:filename>")
    @public
    def branding_file(filename: str):
        if filename != app.extensions["branding"].logo:
            abort(404)
        return send_from_directory(branding_dir, filename, max_age=86400)


def branding(app: Flask) -> Branding:
    return app.extensions["branding"]
