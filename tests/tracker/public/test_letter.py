"""The printed respondent letter (/respondents/<id>): dated, from the installation's sender, with
absolute links that work on paper, how many recommendations are still under consideration, and a
print style that prints it as a letter."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from browser import CHROMIUM, live_server, new_context
from consultations.models import Consultation, Recommendation, Respondent, Response
from consultations.soft_delete import soft_delete
from test_public import SLUG, demo, get, publish, rec_by_key, respondent_id, text_of  # noqa: F401 (demo: fixture)


def letter(client, session) -> tuple[str, str]:
    html = get(client, f"/respondents/{respondent_id(session, 'Clinks')}")
    return html, text_of(html)


def clinks_waiting(session) -> int:
    """Clinks' live recommendations without a published decision, counted the long way."""
    clinks = session.scalar(select(Respondent).where(Respondent.name == "Clinks"))
    recs = session.scalars(select(Recommendation).join(Response).where(Response.respondent_id == clinks.id)).all()
    from consultations.decisions import decision_for

    def published(rec):
        decision = decision_for(session, rec)
        return decision is not None and decision.published_at is not None

    return sum(1 for rec in recs if not published(rec))


def test_the_letter_is_dated_and_signed_by_the_service_by_default(client, demo):
    html, text = letter(client, demo)
    today = dt.date.today()
    assert f'<time datetime="{today.isoformat()}">{today.day} {today:%B %Y}</time>' in html
    assert "From Consultation response tracker" in text  # no organisation configured: the service


@pytest.mark.app_config(ORGANISATION_NAME="HM Inspectorate of Testing")
def test_the_letter_is_from_the_organisation(client, demo):
    assert "From HM Inspectorate of Testing" in letter(client, demo)[1]


@pytest.mark.app_config(ORGANISATION_NAME="HM Inspectorate of Testing", LETTER_SENDER="The Chief Inspector's office")
def test_a_sender_line_overrides_the_organisation(client, demo):
    text = letter(client, demo)[1]
    assert "From The Chief Inspector's office" in text and "From HM Inspectorate" not in text


@pytest.mark.app_config(PUBLIC_URL="https://consult.example.org")
def test_every_link_in_the_letter_is_absolute(client, demo):
    html, text = letter(client, demo)
    body = html[html.index('<div class="app-letter">'):]
    body = body[:body.index("</main>")]
    links = re.findall(r'href="([^"]+)"', body)
    assert links and all(link.startswith(("https://", "http://")) for link in links), links
    assert f'href="https://consult.example.org/recommendations/{rec_by_key(demo, "R1").id}"' in body
    assert f'href="https://consult.example.org/consultations/{SLUG}"' in body
    assert f"https://consult.example.org/respondents/{respondent_id(demo, 'Clinks')}" in text


def test_the_letter_counts_what_is_still_under_consideration(client, demo):
    waiting = clinks_waiting(demo)
    assert waiting > 1  # the demo's drafts, approved-but-unpublished and undecided recommendations
    assert f"{waiting} more of your recommendations are still under consideration" in letter(client, demo)[1]
    # Deleting one of them, or its becoming published, changes the count; texts never appear.
    undecided = rec_by_key(demo, "R3")
    soft_delete(undecided)
    demo.commit()
    text = letter(client, demo)[1]
    assert f"{waiting - 1} more of your recommendation" in text and undecided.text not in text


def test_a_letter_with_everything_decided_says_so(client, demo):
    consultation = demo.scalar(select(Consultation).where(Consultation.slug == SLUG))
    respondent = Respondent(name="Howard League", consent="named")
    rec = Recommendation(response=Response(consultation=consultation, respondent=respondent, text="t"),
                         key="R1", sequence=1, text="Abolish short sentences.")
    demo.add(rec)
    publish(demo, rec)
    demo.commit()
    text = text_of(get(client, f"/respondents/{respondent.id}"))
    assert "None of your recommendations is still under consideration" in text


def test_recommendations_in_a_draft_consultation_are_not_counted(client, demo):
    waiting = clinks_waiting(demo)
    clinks = demo.scalar(select(Respondent).where(Respondent.name == "Clinks"))
    draft = Consultation(slug="draft-one", title="Draft", body="B", status="draft")
    demo.add(Recommendation(response=Response(consultation=draft, respondent=clinks, text="t"),
                            key="R1", sequence=1, text="A point in a draft consultation."))
    demo.commit()
    assert f"{waiting} more of your recommendations" in letter(client, demo)[1]


def test_the_letter_links_its_print_style(client, demo):
    html = letter(client, demo)[0]
    assert 'href="/static/public-print.css" media="print"' in html
    with client.get("/static/public-print.css") as response:
        css = response.get_data(as_text=True)
    assert "@page" in css and ".govuk-generic-header" in css and ".app-letter__head" in css


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: `make setup` installs it")
def test_the_letter_prints_as_a_letter(app, demo, chromium_browser):
    """In Chromium with print media: no site furniture, the sender and date at the top, every link
    followed by its absolute address, and a PDF of a few pages."""
    browser = chromium_browser
    with live_server(app) as base:
        context = new_context(browser)
        try:
            page = context.new_page()
            page.goto(f"{base}/respondents/{respondent_id(demo, 'Clinks')}", wait_until="load")
            page.emulate_media(media="print")
            for furniture in (".govuk-generic-header", ".govuk-service-navigation", ".govuk-footer",
                              ".govuk-breadcrumbs", ".app-no-print"):
                assert not page.locator(furniture).first.is_visible(), furniture
            head = page.locator(".app-letter__head")
            assert head.is_visible() and "From Consultation response tracker" in head.inner_text()
            after = page.evaluate("""() => [...document.querySelectorAll('.app-letter a.govuk-link')]
                .map(a => getComputedStyle(a, '::after').content)""")
            assert after and all(content.startswith('" (http') for content in after), after[:3]
            pdf = page.pdf(format="A4")
            assert pdf.startswith(b"%PDF") and 1 <= len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) <= 10
        finally:
            context.close()
