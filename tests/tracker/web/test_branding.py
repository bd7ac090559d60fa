"""Whose service this is: by default the Design System's generic header, no crown, no GOV.UK
logotype, no GDS Transport and no Crown copyright (the GOV.UK website's own); each installation
names its organisation, logo and footer licence; only GOVUK_BRANDING brings GOV.UK's back."""
from __future__ import annotations

import re

import pytest

from conftest import FIXTURES

from browser import CHROMIUM, axe_violations, describe, live_server, new_context
from tracker import create_app

LOGO = (FIXTURES / "branding" / "logo.svg").read_bytes()
ORGANISATION = {
    "BRANDING_DIR": str(FIXTURES / "branding"),
    "ORGANISATION_NAME": "HM Inspectorate of Testing",
    "ORGANISATION_URL": "https://www.inspectorate.example",
    "ORGANISATION_LOGO": "logo.svg",
    "ORGANISATION_LOGO_ALT": "HM Inspectorate of Testing home page",
    "FOOTER_LICENCE_HTML": 'All content is available under the <a class="govuk-footer__link" '
                           'href="https://www.inspectorate.example/licence">Inspectorate licence</a>',
}


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def stylesheets(client, html: str) -> str:
    """The CSS of every stylesheet the page links."""
    css = []
    for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', html):
        with client.get(href) as response:  # closes the file sent
            assert response.status_code == 200, href
            css.append(response.get_data(as_text=True))
    return "\n".join(css)


def header_of(html: str) -> str:
    return html[html.index("<header"):html.index("</header>")]


def footer_of(html: str) -> str:
    return html[html.index("<footer"):html.index("</footer>")]


def test_by_default_no_page_carries_the_crown_the_logotype_or_gds_transport(client, sign_in):
    for url in ("/", "/consultations/", "/staff/my-work"):
        if url.startswith("/staff"):
            sign_in("viewer")
        html = client.get(url).get_data(as_text=True)
        header, footer = header_of(html), footer_of(html)
        assert "govuk-generic-header" in header and "govuk-header__logotype" not in header, url
        assert "GOV.UK" not in header and "gov.uk" not in header
        assert "govuk-footer__crown" not in footer and "Crown copyright" not in footer
        assert "Open Government Licence" not in footer and "govuk-footer__licence-logo" not in footer
        assert not title_of(html).endswith("GOV.UK")
        assert "govuk-icon" not in html and "favicon" not in html  # the crown icons
        css = stylesheets(client, html)
        assert "GDS Transport" not in css and "@font-face" not in css
        assert "font-family:arial,sans-serif" in css.replace(" ", "")
    # The service's name once: in the header, not repeated in the service navigation.
    assert "Consultation response tracker" in header
    assert "govuk-service-navigation__service-name" not in html
    assert "All content is published by the team running Consultation response tracker" in footer


@pytest.mark.app_config(**ORGANISATION)
def test_the_installation_names_its_organisation_logo_and_licence(client):
    html = client.get("/").get_data(as_text=True)
    header, footer = header_of(html), footer_of(html)
    assert '<a href="https://www.inspectorate.example" class="govuk-generic-header__homepage-link">' in header
    logo = re.search(r'<img class="app-organisation-logo" src="([^"]+)" alt="([^"]+)">', header)
    assert logo.group(2) == "HM Inspectorate of Testing home page"
    with client.get(logo.group(1)) as served:
        assert served.status_code == 200 and served.data == LOGO
    assert client.get("/branding/other.svg").status_code == 404  # only the logo, nothing else of the folder
    assert "govuk-service-navigation__service-name" in html and "Consultation response tracker" in html
    assert title_of(html).endswith("– Consultation response tracker – HM Inspectorate of Testing")
    assert 'href="https://www.inspectorate.example/licence">Inspectorate licence</a>' in footer
    assert '<a class="govuk-footer__link" href="https://www.inspectorate.example">HM Inspectorate of Testing</a>' in footer
    assert "Crown copyright" not in footer and "govuk-footer__crown" not in footer


@pytest.mark.app_config(ORGANISATION_NAME="HM Inspectorate of Testing", FOOTER_LICENCE_TEXT="Reuse freely.")
def test_without_a_logo_the_header_names_the_organisation(client):
    html = client.get("/").get_data(as_text=True)
    assert '<span class="app-organisation-name">HM Inspectorate of Testing</span>' in header_of(html)
    assert "Reuse freely." in footer_of(html)


@pytest.mark.app_config(GOVUK_BRANDING=True)
def test_the_govuk_branding_switch_brings_back_the_crown_and_gds_transport(client):
    html = client.get("/").get_data(as_text=True)
    header = header_of(html)
    assert "govuk-header__logotype" in header and 'aria-label="GOV.UK"' in header
    assert "govuk-generic-header" not in header
    assert title_of(html).endswith("– GOV.UK")
    assert "govuk-footer__crown" in footer_of(html) and "Open Government Licence" in footer_of(html)
    assert 'href="/assets/govuk-frontend.min.css"' in html
    css = stylesheets(client, html)
    assert "GDS Transport" in css and "@font-face" in css


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("ORGANISATION_LOGO", "https://cdn.example/logo.png", "ORGANISATION_LOGO must be served by this site"),
    ("ORGANISATION_LOGO", "missing.png", "ORGANISATION_LOGO: no file 'missing.png'"),
    ("ORGANISATION_LOGO", "../conftest.py", "ORGANISATION_LOGO: no file"),
    ("ORGANISATION_URL", "javascript:alert(1)", "ORGANISATION_URL must be an address"),
    ("GOVUK_BRANDING", "yes", "GOVUK_BRANDING must be true or false"),
])
def test_a_bad_setting_stops_the_app_naming_it(tmp_path, monkeypatch, setting, value, message):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(ValueError, match=re.escape(message)):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "BRANDING_DIR": str(FIXTURES / "branding"),
                    setting: value})


def test_govuk_branding_reads_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("TRACKER_GOVUK_BRANDING", "true")
    monkeypatch.setenv("TRACKER_ORGANISATION_NAME", "HM Inspectorate of Testing")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.extensions["branding"].govuk is True
    assert app.extensions["branding"].organisation_name == "HM Inspectorate of Testing"


FONTS = """() => ({
    used: [...new Set([...document.querySelectorAll('body *')].map(e => getComputedStyle(e).fontFamily))],
    declared: [...document.fonts].map(font => font.family),
})"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: `make setup` installs it")
@pytest.mark.app_config(**ORGANISATION)
def test_the_generic_header_is_accessible_and_nothing_is_set_in_gds_transport(app, users, chromium_browser):
    """In Chromium: axe-clean public and staff pages with the organisation's logo, and no element
    set in (nor any font face declaring) GDS Transport."""
    from conftest import PASSWORD

    found, fonts = [], {}
    browser = chromium_browser
    with live_server(app) as base:
        context = new_context(browser)
        try:
            page = context.new_page()
            for url in ("/", "/sign-in"):
                page.goto(base + url, wait_until="load")
                assert page.locator(".govuk-generic-header img").get_attribute("alt") == ORGANISATION["ORGANISATION_LOGO_ALT"]
                assert page.evaluate("() => document.querySelector('.govuk-generic-header img').naturalWidth") == 120
                found += [describe(url, v) for v in [axe_violations(page)] if v]
                fonts[url] = page.evaluate(FONTS)
            page.fill("input[name=email]", "viewer@example.org")
            page.fill("input[name=password]", PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/staff/**")
            found += [describe(page.url, v) for v in [axe_violations(page)] if v]
            fonts[page.url] = page.evaluate(FONTS)
        finally:
            context.close()
    assert not found, "WCAG violations:\n" + "\n".join(found)
    for url, seen in fonts.items():
        assert not any("GDS Transport" in family for family in seen["used"] + seen["declared"]), (url, seen)
        assert any(family.startswith("arial") for family in seen["used"]), (url, seen)
