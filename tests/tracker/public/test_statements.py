"""The accessibility statement and the privacy notice: linked from every page's footer, shipped
with default content, replaceable by the installation, and sanitised like any Markdown we show."""
from __future__ import annotations

from pathlib import Path

import pytest

from browser import Page, page_text


def text_of(response) -> str:
    return " ".join(page_text(Page("/", response.status_code, response.content_type, response.get_data(as_text=True))).split())


@pytest.mark.parametrize("path", ["/", "/consultations/", "/sign-in"])
def test_every_footer_links_to_both_pages(client, path):
    body = client.get(path).get_data(as_text=True)
    assert 'href="/accessibility"' in body
    assert 'href="/privacy"' in body


def test_the_default_accessibility_statement_follows_the_gov_uk_model(client):
    response = client.get("/accessibility")
    assert response.status_code == 200
    text = text_of(response)
    assert "Accessibility statement for Consultation response tracker" in text
    for heading in ("How accessible this website is", "Reporting accessibility problems with this website",
                    "Enforcement procedure", "Compliance status", "Preparation of this accessibility statement"):
        assert heading in text
    body = response.get_data(as_text=True)
    assert '<h1 class="govuk-heading-xl">Accessibility statement for Consultation response tracker</h1>' in body
    assert "<h2>How accessible this website is</h2>" in body  # under the page's h1, not h3
    assert "<title>Accessibility statement for" in body


def test_the_default_privacy_notice_says_what_is_held_and_published(client):
    text = text_of(client.get("/privacy"))
    for words in ("Privacy notice", "data controller", "Article 6(1)(e)", "We never publish anyone's contact details",
                  "Information Commissioner's Office"):
        assert words in text


@pytest.mark.app_config(ORGANISATION_NAME="HM Inspectorate of Probation", CONTACT_EMAIL="access@example.org")
def test_the_configured_organisation_and_contact_are_named(client):
    body = client.get("/accessibility").get_data(as_text=True)
    assert "This website is run by HM Inspectorate of Probation." in body
    assert '<a href="mailto:access@example.org" rel="noopener noreferrer">access@example.org</a>' in body
    assert "{contact}" not in body and "{organisation}" not in body


def test_an_installation_file_replaces_the_default_and_is_sanitised(app, client):
    pages = Path(app.instance_path) / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    (pages / "privacy.md").write_text(
        "# How we use your data\n\nOur own words.\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1))\n")
    response = client.get("/privacy")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-xl">How we use your data</h1>' in body
    assert "Our own words." in body
    assert "alert(1)" not in body.split("<main", 1)[1].split("</main>", 1)[0]
    assert "data controller" not in body  # the default is not shown beside it
    assert "Accessibility statement for" in client.get("/accessibility").get_data(as_text=True)  # still the default


def test_the_pages_are_public_routes_the_crawl_finds(app):
    from browser import public_seeds

    assert {"/accessibility", "/privacy"} <= set(public_seeds(app))
