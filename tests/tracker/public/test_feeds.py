"""Atom feeds and open-data downloads: valid, filtered, round-trip, fixed queries, and nothing leaks."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from conftest import count_statements
from test_auth import make_app  # noqa: F401 (a fixture)
from consultations.models import Consultation, Framework, FrameworkItem, Link, Recommendation, Respondent, Response
from tracker.public import feeds
from consultations import actions as action_rules
from consultations import decisions as decision_rules
from tracker.db import db
from tracker.public.feeds import CSV_COLUMNS
from consultations.workflow import Action, ActionUpdate, Decision
from consultations.published import public_recommendations
from consultations.organisation_types import named as named_type
from tracker.commands.demo_workflow import demo_date

A = "{http://www.w3.org/2005/Atom}"
SLUG = "probation-inspection-changes-2019"

# Text that must never reach the public, whatever the route.
SECRETS = {
    "R4 internal note": "Raised at the methodology board",
    "R5 internal note": "Legal advice on a separate standard",
    "R1 internal note": "Check with the Chief Inspector",
    "R8 approved, unpublished rationale": "Domain one already asks how well providers work together",
    "R8 internal note": "Approved at the board; publish with the autumn",
    "R3 draft internal note": "Need data from providers",
    "R5 internal update": "Waiting for the unpaid work lead",
    "R4 unpublished revision": "REVISEDBUTNOTPUBLISHED",
    "R4 revision internal note": "REVISIONNOTE",
    "confidential respondent": "Secret Sisters Trust",
    "confidential text": "CONFIDENTIALPOINT",
    "confidential rationale": "CONFIDENTIALRATIONALE",
    "confidential duplicate": "CONFIDENTIALDUPLICATE",
    "anonymous respondent": "Quiet Helpers Charity",
    "anonymous internal note": "ANONYMOUSNOTE",
    "contact details": "contact-me@example.org",
    "other contact details": "07700 900123",
    "draft consultation": "DRAFTCONSULTATIONPOINT",
}


def publish(session, rec, outcome, rationale, note="", on=dt.datetime(2020, 5, 1, 9)):
    decision = decision_rules.save_decision(session, rec, outcome, rationale, note, None)
    decision_rules.approve(decision, None)
    decision_rules.publish(decision, None, now=on)
    return decision


def add_response(session, consultation, name, consent, rec_text, key="R1", **respondent):
    if isinstance(respondent.get("organisation_type"), str):
        respondent["organisation_type"] = named_type(session, respondent["organisation_type"])
    respondent = Respondent(name=name, consent=consent, **respondent)
    rec = Recommendation(response=Response(consultation=consultation, respondent=respondent, text=rec_text),
                         key=key, sequence=1, text=rec_text)
    session.add(rec)
    session.flush()
    return rec


@pytest.fixture
def demo(demo_app, session):
    return session


@pytest.fixture
def leaky(demo):
    """The demo (draft R3, approved R8, internal notes, an internal update) plus a confidential and an
    anonymous respondent with published decisions and contact details, a confidential duplicate of R4,
    an unpublished revision of R4 and a draft consultation with a published decision."""
    session = demo
    consultation = session.scalar(select(Consultation).where(Consultation.slug == SLUG))
    recs = {r.key: r for r in session.scalars(select(Recommendation).join(Response).join(Respondent)
                                             .where(Respondent.name == "Clinks"))}
    secret = add_response(session, consultation, "Secret Sisters Trust", "confidential",
                          "CONFIDENTIALPOINT: inspect women's services.", organisation_type="charity",
                          contact_details="contact-me@example.org")
    publish(session, secret, "accepted", "CONFIDENTIALRATIONALE", "internal")
    anonymous = add_response(session, consultation, "Quiet Helpers Charity", "anonymous",
                             "Inspectors should talk to families of people on probation.", key="R2",
                             organisation_type="charity", contact_details="07700 900123")
    decision = publish(session, anonymous, "accepted", "We will meet families during inspections.", "ANONYMOUSNOTE")
    action = action_rules.add_action(session, decision, "Add family interviews to the inspection handbook",
                                 "Inspection team", dt.date(2020, 9, 1), today=dt.date(2020, 5, 1))
    action_rules.add_update(session, action, dt.date(2020, 6, 1), "Handbook section drafted.", "https://example.org/e",
                        "in progress", True, None, today=dt.date(2020, 6, 1))
    duplicate = add_response(session, consultation, "Secret Sisters Trust", "confidential",
                             "CONFIDENTIALDUPLICATE of the gendered needs point.", key="R9",
                             contact_details="contact-me@example.org")
    duplicate.duplicate_of = recs["R4"]
    r4_decision = decision_rules.decision_for(session, recs["R4"])
    decision_rules.save_decision(session, recs["R4"], "not accepted", "REVISEDBUTNOTPUBLISHED", "REVISIONNOTE", None)
    assert r4_decision.state == "draft" and r4_decision.published_at is not None
    draft = Consultation(slug="draft-consultation", title="Draft consultation", body="Inspectorate", status="draft")
    hidden = add_response(session, draft, "Named Org", "named", "DRAFTCONSULTATIONPOINT")
    publish(session, hidden, "accepted", "Published in a draft consultation.")
    session.commit()
    return {"anonymous": anonymous, "secret": secret, "duplicate": duplicate, "hidden": hidden, "recs": recs}


def atom(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.content_type.startswith("application/atom+xml")
    return ET.fromstring(response.data)


def check_atom(feed):
    """The elements Atom 1.0 requires (RFC 4287), plus a link on every entry; returns the entries."""
    assert feed.tag == f"{A}feed"
    assert feed.findtext(f"{A}id").startswith("tag:")
    assert feed.findtext(f"{A}title")
    dt.datetime.fromisoformat(feed.findtext(f"{A}updated").replace("Z", "+00:00"))
    rels = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert rels["self"].startswith("http://localhost/") and rels["alternate"].startswith("http://localhost/")
    entries = feed.findall(f"{A}entry")
    for entry in entries:
        assert entry.findtext(f"{A}id").startswith("tag:localhost,2019:")
        assert entry.findtext(f"{A}title")
        dt.datetime.fromisoformat(entry.findtext(f"{A}updated").replace("Z", "+00:00"))
        assert entry.find(f"{A}link[@rel='alternate']").get("href").startswith("http://localhost/recommendations/")
        assert entry.findtext(f"{A}summary") is not None or entry.findtext(f"{A}content") is not None
        assert entry.findtext(f"{A}author/{A}name")
    ids = [e.findtext(f"{A}id") for e in entries]
    assert len(ids) == len(set(ids))
    updated = [e.findtext(f"{A}updated") for e in entries]
    assert updated == sorted(updated, reverse=True)  # newest first
    if entries:
        assert feed.findtext(f"{A}updated") == updated[0]
    return entries


def linked_rec_ids(entries) -> set[int]:
    return {int(e.find(f"{A}link[@rel='alternate']").get("href").rsplit("/", 1)[1]) for e in entries}


def test_site_feed_has_published_decisions_and_public_updates(client, demo):
    entries = check_atom(atom(client, "/feeds/decisions.atom"))
    titles = [e.findtext(f"{A}title") for e in entries]
    published = {r.id: r for r in public_recommendations(demo)}
    assert linked_rec_ids(entries) == set(published)
    # R1, R4, R5, R9 decisions; the public updates: two on R4's action, one on R5's, one on R9's.
    assert len([t for t in titles if not t.startswith("Update: ")]) == 4
    assert len([t for t in titles if t.startswith("Update: ")]) == 4
    r4 = next(r for r in published.values() if r.key == "R4")
    entry = next(e for e in entries if e.findtext(f"{A}id").endswith(f"recommendation/{r4.id}"))
    assert entry.findtext(f"{A}title").startswith("Accepted: Clinks recommends, under domain three")
    assert entry.findtext(f"{A}summary") == r4.decision.rationale.replace("**", "")  # Markdown's marks gone
    content = entry.find(f"{A}content")
    assert content.get("type") == "html" and "<strong>childcare responsibilities</strong>" in content.text
    assert "**" not in content.text
    assert entry.findtext(f"{A}updated") == f"{demo_date(dt.date(2019, 7, 1)):%Y-%m-%d}T10:00:00Z"
    assert entry.findtext(f"{A}author/{A}name") == "HM Inspectorate of Probation"
    assert "Draft guidance shared with women's centres for comment." in [e.findtext(f"{A}summary") for e in entries]


def test_feeds_carry_the_newest_entries_only(client, demo, monkeypatch):
    """A feed is what is new: the newest FEED_SIZE decisions and updates, whichever kind they are."""
    everything = [e.findtext(f"{A}id") for e in check_atom(atom(client, "/feeds/decisions.atom"))]
    updated = [e.findtext(f"{A}updated") for e in check_atom(atom(client, "/feeds/decisions.atom"))]
    assert updated == sorted(updated, reverse=True) and len(everything) == 8
    monkeypatch.setattr(feeds, "FEED_SIZE", 3)
    newest = [e.findtext(f"{A}id") for e in check_atom(atom(client, "/feeds/decisions.atom"))]
    assert newest == everything[:3]


def test_feed_text_is_escaped_and_control_characters_dropped(client, demo):
    consultation = demo.scalar(select(Consultation).where(Consultation.slug == SLUG))
    rec = add_response(demo, consultation, "Named & Co", "named", "Use <b>bold</b> & \x0cpage breaks.")
    publish(demo, rec, "not accepted", "We <script>alert(1)</script> & disagree.")
    demo.commit()
    response = client.get(f"/consultations/{SLUG}/feed.atom")
    assert b"<script>" not in response.data
    entries = check_atom(ET.fromstring(response.data))
    entry = next(e for e in entries if e.findtext(f"{A}id").endswith(f"recommendation/{rec.id}"))
    assert entry.findtext(f"{A}title") == "Not accepted: Use <b>bold</b> & page breaks."
    assert entry.findtext(f"{A}summary") == "We & disagree."  # as the public page shows it: no script
    content = entry.find(f"{A}content")
    assert content.get("type") == "html" and "<script" not in content.text and "alert(1)" not in content.text
    assert "Use &lt;b&gt;bold&lt;/b&gt; &amp; page breaks." in content.text  # the respondent's words stay text


def test_consultation_feed_shows_only_that_consultation(client, demo):
    other = Consultation(slug="other", title="Other consultation", body="HM Inspectorate of Prisons", status="closed")
    rec = add_response(demo, other, "Prison Reform Trust", "named", "Publish every report in easy read.")
    publish(demo, rec, "accepted", "We will.")
    demo.commit()
    ours = check_atom(atom(client, f"/consultations/{SLUG}/feed.atom"))
    theirs = check_atom(atom(client, "/consultations/other/feed.atom"))
    assert rec.id not in linked_rec_ids(ours)
    demo_consultation = demo.scalar(select(Consultation).where(Consultation.slug == SLUG))
    assert linked_rec_ids(ours) == {r.id for r in public_recommendations(demo, consultation_id=demo_consultation.id)}
    assert linked_rec_ids(theirs) == {rec.id}
    assert [e.findtext(f"{A}author/{A}name") for e in theirs] == ["HM Inspectorate of Prisons"]
    everything = check_atom(atom(client, "/feeds/decisions.atom"))
    assert linked_rec_ids(everything) == linked_rec_ids(ours) | {rec.id}


def test_standard_feed_shows_only_recommendations_linked_to_it(client, demo):
    item = demo.scalar(select(FrameworkItem).join(Framework)
                       .where(Framework.key == "hmip-probation-2019", FrameworkItem.code == "4.1.1"))
    expected = {r.id for r in public_recommendations(demo, item_id=item.id)}
    assert expected
    feed = atom(client, "/standards/hmip-probation-2019/4.1.1/feed.atom")
    entries = check_atom(feed)
    assert linked_rec_ids(entries) == expected
    assert feed.find(f"{A}link[@rel='alternate']").get("href") == "http://localhost/standards/hmip-probation-2019/4.1.1"
    # A standard nothing published is linked to: a valid, empty feed.
    assert check_atom(atom(client, "/standards/hmip-probation-2019/1.2.5/feed.atom")) == []


@pytest.mark.parametrize("url", [
    "/consultations/nope/feed.atom", "/standards/nope/4.1.1/feed.atom", "/standards/hmip-probation-2019/9.9/feed.atom",
    "/consultations/nope/outcomes.csv", "/consultations/nope/outcomes.json"])
def test_unknown_feed_or_download_is_404(client, demo, url):
    assert client.get(url).status_code == 404


def test_draft_consultation_has_no_feed_or_downloads(client, leaky):
    for url in ["/consultations/draft-consultation/feed.atom", "/consultations/draft-consultation/outcomes.csv",
                "/consultations/draft-consultation/outcomes.json"]:
        assert client.get(url).status_code == 404, url


# --- downloads -----------------------------------------------------------------------------


def expected_rows(session):
    consultation = session.scalar(select(Consultation).where(Consultation.slug == SLUG))
    return public_recommendations(session, consultation_id=consultation.id)


def test_csv_download_round_trips(client, leaky):
    response = client.get(f"/consultations/{SLUG}/outcomes.csv")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{SLUG}-outcomes.csv"'
    reader = csv.DictReader(io.StringIO(response.data.decode("utf-8"), newline=""))
    assert reader.fieldnames == CSV_COLUMNS
    rows = list(reader)
    expected = expected_rows(db.session)
    assert [int(row["recommendation_id"]) for row in rows] == [r.id for r in expected]
    for row, rec in zip(rows, expected):
        actions = rec.decision.actions
        assert row == {
            "recommendation_id": str(rec.id), "recommendation_key": rec.key, "recommendation_text": rec.text,
            "made_by": rec.made_by, "also_made_by": "; ".join(rec.also_made_by),
            "organisation_type": rec.organisation_type or "", "question_number": rec.question_number or "",
            "question_text": rec.question_text or "", "standards": "; ".join(s.code for s in rec.standards),
            "outcome": rec.decision.outcome, "rationale": rec.decision.rationale,
            "decided_on": rec.decision.published_at.date().isoformat(),
            "implementation_status": "; ".join(a.status for a in actions),
            "implementation_progress": str(round(sum(a.progress for a in actions) / len(actions))) if actions else "",
            "url": f"http://localhost/recommendations/{rec.id}",
        }
    anonymous = next(row for row in rows if row["recommendation_id"] == str(leaky["anonymous"].id))
    assert anonymous["made_by"] == "A voluntary sector organisation" and \
        anonymous["organisation_type"] == "Voluntary sector organisation"
    r4 = next(row for row in rows if row["recommendation_key"] == "R4")
    assert r4["standards"] == "4.1.1" and r4["implementation_status"] == "implemented"
    assert r4["outcome"] == "accepted"  # the published snapshot, not the unpublished revision


def test_csv_cells_that_a_spreadsheet_would_run_are_made_text(client, demo):
    """A recommendation that starts like a formula opens as text in a spreadsheet; the JSON keeps it as is."""
    rec = demo.scalar(select(Recommendation).where(Recommendation.key == "R4"))
    rec.text = '=HYPERLINK("http://evil.example","Click")'
    demo.commit()
    rows = list(csv.DictReader(io.StringIO(client.get(f"/consultations/{SLUG}/outcomes.csv").data.decode(), newline="")))
    row = next(row for row in rows if row["recommendation_key"] == "R4")
    assert row["recommendation_text"] == "'" + rec.text
    document = client.get(f"/consultations/{SLUG}/outcomes.json").get_json()
    assert next(r for r in document["recommendations"] if r["recommendation_key"] == "R4")["recommendation_text"] == rec.text


def test_json_download_round_trips(client, leaky):
    response = client.get(f"/consultations/{SLUG}/outcomes.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{SLUG}-outcomes.json"'
    document = json.loads(response.data.decode("utf-8"))
    assert document["consultation"]["slug"] == SLUG
    assert document["consultation"]["body"] == "HM Inspectorate of Probation"
    rows = document["recommendations"]
    expected = expected_rows(db.session)
    assert [row["recommendation_id"] for row in rows] == [r.id for r in expected]
    for row, rec in zip(rows, expected):
        assert row == {
            "recommendation_id": rec.id, "recommendation_key": rec.key, "recommendation_text": rec.text,
            "made_by": rec.made_by, "also_made_by": rec.also_made_by, "organisation_type": rec.organisation_type,
            "question_number": rec.question_number, "question_text": rec.question_text,
            "standards": [s.code for s in rec.standards], "outcome": rec.decision.outcome,
            "rationale": rec.decision.rationale, "decided_on": rec.decision.published_at.date().isoformat(),
            "actions": [{"description": a.description, "owner": a.owner, "status": a.status, "progress": a.progress,
                         "due_on": a.due_on.isoformat() if a.due_on else None, "overdue": a.overdue}
                        for a in rec.decision.actions],
            "url": f"http://localhost/recommendations/{rec.id}",
        }
    r5 = next(row for row in rows if row["recommendation_key"] == "R5")
    assert r5["outcome"] == "accepted in part" and r5["actions"][0]["progress"] == 60


# --- a fixed number of queries ---------------------------------------------------------------


def add_published(session, count: int, start: int = 0) -> None:
    """More published recommendations, each linked to 4.1.1 with an action and a public update."""
    consultation = session.scalar(select(Consultation).where(Consultation.slug == SLUG))
    item = session.scalar(select(FrameworkItem).where(FrameworkItem.code == "4.1.1"))
    for n in range(start, start + count):
        rec = add_response(session, consultation, f"Respondent {n}", "named", f"Point number {n}.")
        session.add(Link(recommendation=rec, item=item, origin="manual", status="confirmed"))
        decision = publish(session, rec, "accepted", f"Reason {n}.")
        action = action_rules.add_action(session, decision, f"Do {n}", "Team", dt.date(2030, 1, 1))
        action_rules.add_update(session, action, dt.date(2020, 6, 1), f"Started {n}.", None, None, True, None,
                            today=dt.date(2020, 6, 1))
    session.commit()


FIXED_URLS = ["/feeds/decisions.atom", f"/consultations/{SLUG}/feed.atom",
              "/standards/hmip-probation-2019/4.1.1/feed.atom", f"/consultations/{SLUG}/outcomes.csv",
              f"/consultations/{SLUG}/outcomes.json"]


def test_feeds_and_downloads_run_a_fixed_number_of_queries(app, client, demo):
    add_published(demo, 1)
    few = {}
    for url in FIXED_URLS:
        with count_statements(app) as statements:
            assert client.get(url).status_code == 200
        few[url] = len(statements)
    add_published(demo, 6, start=1)
    for url in FIXED_URLS:
        with count_statements(app) as statements:
            assert client.get(url).status_code == 200
        assert len(statements) == few[url], url


# --- nothing leaks -----------------------------------------------------------------------------


def public_urls_of_feeds(session) -> list[str]:
    codes = [(key, code) for key, code in session.execute(
        select(Framework.key, FrameworkItem.code).join(FrameworkItem.framework)
        .where(FrameworkItem.id.in_(select(Link.item_id))))]
    return ["/feeds/decisions.atom", f"/consultations/{SLUG}/feed.atom", f"/consultations/{SLUG}/outcomes.csv",
            f"/consultations/{SLUG}/outcomes.json"] + [f"/standards/{key}/{code}/feed.atom" for key, code in codes]


def assert_nothing_leaks(client, urls):
    for url in urls:
        response = client.get(url)
        body = response.get_data(as_text=True)
        for what, text in SECRETS.items():
            assert text not in body, f"{what} leaks at {url}"


def test_nothing_leaks_from_feeds_or_downloads(client, leaky):
    # The secrets are really in the database, and the added respondents are really published.
    assert db.session.scalar(select(Decision).where(Decision.internal_note.like("Legal advice%")))
    assert db.session.scalar(select(Decision).where(Decision.public_rationale.like("Domain one already%")))
    assert db.session.scalar(select(Action).where(Action.updates.any(ActionUpdate.text.like("Waiting for%"))))
    urls = public_urls_of_feeds(db.session)
    assert len(urls) > 5
    assert_nothing_leaks(client, urls)
    body = client.get(f"/consultations/{SLUG}/outcomes.csv").get_data(as_text=True)
    assert "A voluntary sector organisation" in body and "Handbook section drafted." in client.get(
        "/feeds/decisions.atom").get_data(as_text=True)


# --- absolute URLs come from the configured public address, never from the Host header ------

PUBLIC_URL = "https://consult.example.org"
FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def absolute_urls(client, demo) -> dict[str, str]:
    """Every public response that carries absolute URLs, fetched with a forged Host header."""
    rec_id = public_recommendations(demo)[0].id
    urls = public_urls_of_feeds(demo) + [
        "/api/v1/", "/api/v1/openapi.json", "/api/v1/consultations", f"/api/v1/consultations/{SLUG}",
        "/api/v1/recommendations?per_page=1", "/api/v1/decisions?per_page=1", f"/recommendations/{rec_id}"]
    return {url: client.get(url, headers=FORGED).get_data(as_text=True) for url in urls}


@pytest.mark.app_config(PUBLIC_URL=PUBLIC_URL)
def test_absolute_urls_never_follow_a_forged_host_header(client, demo):
    bodies = absolute_urls(client, demo)
    for url, body in bodies.items():
        assert "evil.example" not in body, url
        assert f"{PUBLIC_URL}/" in body, url
    feed = ET.fromstring(client.get("/feeds/decisions.atom", headers=FORGED).data)
    assert feed.findtext(f"{A}id") == "tag:consult.example.org,2019:feed/decisions"
    assert {link.get("href") for link in feed.findall(f"{A}link")} == {
        f"{PUBLIC_URL}/feeds/decisions.atom", f"{PUBLIC_URL}/consultations/"}
    page = client.get("/api/v1/recommendations?per_page=1&consultation=" + SLUG, headers=FORGED).get_json()
    assert page["next"].startswith(f"{PUBLIC_URL}/api/v1/recommendations?after=")  # the cursor past page 1
    assert page["next"].endswith(f"&consultation={SLUG}&page=2&per_page=1")
    assert client.get("/api/v1/openapi.json", headers=FORGED).get_json()["servers"] == [{"url": f"{PUBLIC_URL}/api/v1"}]
    rows = list(csv.DictReader(io.StringIO(bodies[f"/consultations/{SLUG}/outcomes.csv"])))
    assert rows and all(row["url"].startswith(f"{PUBLIC_URL}/recommendations/") for row in rows)


@pytest.mark.app_config(PUBLIC_URL="https://example.org/consult/")
def test_a_public_url_with_a_path_puts_every_link_under_it(client, demo):
    feed = ET.fromstring(client.get("/feeds/decisions.atom").data)
    entry_links = [e.find(f"{A}link[@rel='alternate']").get("href") for e in feed.findall(f"{A}entry")]
    assert entry_links and all(link.startswith("https://example.org/consult/recommendations/") for link in entry_links)
    assert client.get("/api/v1/").get_json()["openapi"] == "https://example.org/consult/api/v1/openapi.json"
    assert 'href="/consult/consultations/"' in client.get("/").get_data(as_text=True)  # pages link under it too


def test_without_a_public_url_tests_and_development_use_the_request_host(client):
    assert "http://other.example/" in client.get("/api/v1/", headers={"Host": "other.example"}).get_data(as_text=True)


def test_production_without_a_public_url_refuses_to_serve_and_says_what_to_set(make_app, caplog):
    app = make_app()  # neither TESTING nor DEVELOPMENT
    for url in ("/", "/feeds/decisions.atom", "/sign-in"):
        response = app.test_client().get(url, headers=FORGED)
        assert response.status_code == 503 and "Set TRACKER_PUBLIC_URL" in response.get_data(as_text=True)
    assert caplog.text.count("Set TRACKER_PUBLIC_URL") == 1  # in the server's log, once
    result = app.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code == 0 and "admin@example.org" in result.output  # commands still work


def test_server_name_and_scheme_serve_as_the_public_address(make_app):
    app = make_app(SERVER_NAME="consult.example.org", PREFERRED_URL_SCHEME="https")
    response = app.test_client().get("/api/v1/", headers=FORGED)
    assert response.status_code == 200
    assert response.get_json()["openapi"] == "https://consult.example.org/api/v1/openapi.json"


def test_a_feed_opened_in_a_browser_is_styled_into_a_readable_page(client, demo):
    """Browsers apply the feed's XSLT stylesheet (served from static) instead of showing raw XML."""
    body = client.get("/feeds/decisions.atom").data
    assert body.split(b"\n")[1] == b'<?xml-stylesheet type="text/xsl" href="/static/feed.xsl"?>'
    with client.get("/static/feed.xsl") as stylesheet:
        assert stylesheet.status_code == 200
        xsl = stylesheet.data
    from lxml import etree  # noqa: PLC0415 (only this test needs an XSLT processor)
    page = str(etree.XSLT(etree.fromstring(xsl))(etree.fromstring(body)))
    assert "<h1" in page and "Published decisions and progress on recommendations" in page
    assert 'href="/data#feeds"' in page and "Draft guidance shared with women's centres for comment." in page


def test_subscribe_links_lead_to_a_page_that_explains_the_feed(client, demo):
    """Browsers show a feed as raw XML, so the visible links go to a page with the address to copy."""
    outcome = client.get(f"/consultations/{SLUG}").get_data(as_text=True)
    subscribe = f"/feeds/subscribe?feed=/consultations/{SLUG}/feed.atom"
    assert f'href="{subscribe}">subscribe to updates (Atom feed)</a>' in outcome.replace("%2F", "/")
    assert f'rel="alternate" type="application/atom+xml"' in outcome  # feed readers still find the feed
    page = client.get(subscribe)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "text/html" in page.content_type
    assert ": decisions and progress</h1>" in html
    assert f'<code id="feed-address">http://localhost/consultations/{SLUG}/feed.atom</code>' in html
    everything = client.get("/feeds/subscribe?feed=/feeds/decisions.atom").get_data(as_text=True)
    assert "Published decisions and progress on recommendations" in everything
    standard = client.get("/feeds/subscribe?feed=/standards/hmip-probation-2019/4.1.1/feed.atom")
    assert standard.status_code == 200 and "Standard 4.1.1" in standard.get_data(as_text=True)
    for bad in ("", "/data", "/consultations/nope/feed.atom", "https://evil.example/feed.atom",
                "/standards/hmip-probation-2019/9.9/feed.atom", "/staff/"):
        assert client.get("/feeds/subscribe", query_string={"feed": bad}).status_code == 404, bad
