"""Nothing private reaches an anonymous visitor, on any public page, feed, download or API
response there is: the crawl starts at '/' (and every argument-free public route), follows
every link, redirect, JSON URL (API ``next`` links too) and search box, so each page added
later is checked without changing this file.

What must never appear is read from the database, not listed by hand: every internal note,
every unpublished rationale (drafts, approved-but-unpublished, revisions of published
decisions, deleted decisions, the text of withdrawn decisions), every internal update, every contact detail, the names of
confidential and anonymous respondents, the text of every recommendation that is not
published, and every passage of a response redacted before publication.
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from browser import client_fetcher, crawl, links_in, normalise, page_text, public_seeds
from consultations.models import Consultation, FrameworkItem, Recommendation, Respondent, Response
from consultations import actions as action_rules
from consultations import decisions as decision_rules
from consultations import redaction
from consultations.soft_delete import soft_delete
from consultations.workflow import Action, ActionUpdate, Decision
from consultations.published import public_consultations, public_recommendations
from consultations.organisation_types import named as named_type

WINDOW = 7  # words: a snippet this long of a secret counts as a leak
CONFIDENTIAL_NAME = "Harrowgate Confidential Survivors Network"
ANONYMOUS_NAME = "Quillfeather Anonymous Advocacy Trust"
CONFIDENTIAL_TEXT = ("The inspectorate should interview every woman held in the Harrowgate approved premises "
                     "about night-time staffing levels.")
ANONYMOUS_TEXT = "Inspectors should publish how many faith-based mentoring schemes each probation region funds."
DRAFT_TITLE = "Kestrel hostels consultation still in draft"
DRAFT_SLUG = "kestrel-hostels-draft"
DRAFT_NAME = "Kestrel Draft Respondents Alliance"
DELETED_REC_NAME = "Ptarmigan Deleted Voices"
WITHDRAWN_NAME = "Wagtail Withdrawn Decision Trust"
REDACTED_NAME = "Heron Redacted Voices"
REDACTED_PASSAGES = {"Pat Heronsgate": "person", "pat.heronsgate@heron.example": "contact", "943 476 5919": "number",
                     "Heronmoor secure hospital": "sensitive"}
REDACTED_TEXT = ("Inspectors should ask Pat Heronsgate (pat.heronsgate@heron.example, NHS number 943 476 5919), "
                 "who was detained at Heronmoor secure hospital, how probation staff kept in touch.")
CONTACTS = {
    "Clinks": "Jo Bloggs, jo.bloggs.private@clinks.example, 020 7946 0123",
    CONFIDENTIAL_NAME: "Sam Hidden, sam.hidden@harrowgate.example, 0161 496 0999",
    ANONYMOUS_NAME: "Lee Unseen, lee.unseen@quillfeather.example, 0113 496 0777",
    DRAFT_NAME: "Kit Drafted, kit@kestrel.example, 0117 496 0555",
    DELETED_REC_NAME: "Pip Deleted, pip@ptarmigan.example, 0118 496 0444",
    WITHDRAWN_NAME: "Wren Withdrawn, wren@wagtail.example, 0119 496 0333",
    REDACTED_NAME: "Pat Heronsgate, pat.heronsgate@heron.example",
}
REVISION_RATIONALE = "Revised wording under discussion: the partner contract may be renegotiated in 2027."
DELETED_RATIONALE = "We published this by mistake and withdrew it: pilot sites were not yet agreed."


def add_respondent_with_published_decision(session, consultation, name, consent, org_type, text, rationale):
    respondent = Respondent(name=name, organisation_type=named_type(session, org_type), consent=consent, contact_details=CONTACTS[name])
    response = Response(consultation=consultation, respondent=respondent, channel="email", text=text,
                        received_on=dt.date(2019, 4, 20), status="closed")
    rec = Recommendation(response=response, key="R1", sequence=1, text=text, spans=[], origin="manual")
    session.add_all([respondent, response, rec])
    session.flush()
    for passage, reason in (REDACTED_PASSAGES.items() if text == REDACTED_TEXT else ()):
        redaction.mark(session, response, passage, reason, None)
    decision = decision_rules.save_decision(session, rec, "accepted", rationale, f"Internal: {name} asked for care.", None)
    decision_rules.approve(decision, None)
    decision_rules.publish(decision, None)
    # Staff's own words (actions, updates) are theirs to keep free of personal data: redaction covers
    # what is quoted from a response, so the redacted case does not copy its text into them.
    echo = rationale if text == REDACTED_TEXT else text[:70]
    action = action_rules.add_action(session, decision, f"Act on this: {echo}", "Head of policy",
                                 dt.date.today() + dt.timedelta(days=60))
    action_rules.add_update(session, action, dt.date.today(), f"Public progress on: {echo}", None, None, True, None)
    return rec


@pytest.fixture
def private_demo(demo_app, session):
    """The full demo plus the cases the demo lacks: confidential and anonymous respondents with
    published decisions, contact details, a published decision under revision and a deleted one."""
    consultation = session.scalar(select(Consultation).where(Consultation.slug == "probation-inspection-changes-2019"))
    session.scalar(select(Respondent).where(Respondent.name == "Clinks")).contact_details = CONTACTS["Clinks"]
    add_respondent_with_published_decision(session, consultation, CONFIDENTIAL_NAME, "confidential",
                                           "survivors' network", CONFIDENTIAL_TEXT, "We agree to ask about staffing.")
    add_respondent_with_published_decision(session, consultation, ANONYMOUS_NAME, "anonymous", "faith group",
                                           ANONYMOUS_TEXT, "We will ask providers for these figures.")
    # A draft consultation whose named respondent has a published decision: nothing of it is public.
    draft = Consultation(slug=DRAFT_SLUG, title=DRAFT_TITLE, body="Kestrel Inspectorate", status="draft")
    session.add(draft)
    add_respondent_with_published_decision(
        session, draft, DRAFT_NAME, "named", "housing provider",
        "Inspectors should count the empty beds in every Kestrel hostel each quarter.",
        "We will count Kestrel hostel beds quarterly.")
    # Published, then the recommendation is deleted: its decision and action go with it.
    gone = add_respondent_with_published_decision(
        session, consultation, DELETED_REC_NAME, "named", "user-led group",
        "Inspectors should audit the ptarmigan transport vouchers given to people on licence.",
        "We will audit ptarmigan transport vouchers.")
    soft_delete(gone)
    # Published with an action, then the decision is deleted (as installations could before published
    # decisions were only withdrawn: the domain now refuses it): the action goes with it.
    withdrawn = add_respondent_with_published_decision(
        session, consultation, WITHDRAWN_NAME, "named", "mentoring charity",
        "Inspectors should review wagtail mentoring contracts before renewal.",
        "We will review wagtail mentoring contracts.")
    soft_delete(decision_rules.decision_for(session, withdrawn))
    # A named respondent whose published recommendation quotes personal data, redacted before publication.
    add_respondent_with_published_decision(session, consultation, REDACTED_NAME, "named", "user-led group",
                                           REDACTED_TEXT, "We will ask how staff kept in touch.")
    recs = {r.key: r for r in session.scalars(select(Recommendation).join(Response).join(Respondent)
                                             .where(Respondent.name == "Clinks"))}
    # R9 is published; saving a change makes a revision whose working text must stay private.
    r9 = decision_rules.decision_for(session, recs["R9"])
    decision_rules.save_decision(session, recs["R9"], "accepted in part", REVISION_RATIONALE, r9.internal_note, None)
    # R6: published, then withdrawn: the recommendation stays public, the withdrawn text does not.
    r6 = decision_rules.save_decision(session, recs["R6"], "accepted", DELETED_RATIONALE, "", None)
    decision_rules.approve(r6, None)
    decision_rules.publish(r6, None)
    decision_rules.withdraw(r6, "Pilot sites are being chosen again.")
    session.commit()
    return recs


def secrets_in_database(session) -> dict[str, list[str]]:
    """Everything an anonymous visitor must never read, by kind, straight from the database."""
    public = public_recommendations(session)
    public_ids = {p.id for p in public}
    public_decisions = {p.decision.id for p in public}
    public_actions = {a.id for p in public for a in p.decision.actions}
    public_respondents = {p.made_by for p in public}
    public_slugs = {c.slug for c in public_consultations(session)}
    decisions = session.scalars(select(Decision)).all()
    respondents = session.scalars(select(Respondent)).all()
    secrets = {
        "internal note": [d.internal_note for d in decisions if d.internal_note],
        "unpublished rationale": [
            d.public_rationale for d in decisions
            if d.public_rationale and (d.state != "published" or d.public_rationale != d.published_rationale
                                       or d.deleted_at is not None or d.id not in public_decisions)],
        "text of a withdrawn decision": [d.published_rationale for d in decisions
                                         if d.published_rationale and d.withdrawn_at is not None],
        "rationale of a decision nobody may see": [
            d.published_rationale for d in decisions
            if d.published_rationale and (d.deleted_at is not None or d.id not in public_decisions)],
        "internal update": [u.text for u in session.scalars(select(ActionUpdate).where(ActionUpdate.is_public.is_(False)))],
        "contact details": [r.contact_details for r in respondents if r.contact_details],
        "confidential respondent's name": [r.name for r in respondents if r.consent == "confidential"],
        "anonymous respondent's name": [r.name for r in respondents if r.consent == "anonymous"],
        "unpublished recommendation": [
            r.text for r in session.scalars(select(Recommendation)) if r.id not in public_ids],
        "action nobody may see": [a.description for a in session.scalars(select(Action))
                                  if a.id not in public_actions],
        "update of an action nobody may see": [
            u.text for u in session.scalars(select(ActionUpdate)) if u.action_id not in public_actions],
        "draft consultation": [value for c in session.scalars(select(Consultation)) if c.slug not in public_slugs
                               for value in (c.title, c.slug)],
        "redacted passage": [passage for passages in redaction.confirmed_passages(
            session, session.scalars(select(Response.id))).values() for passage, _ in passages],
        "name of a respondent with nothing published": [
            r.name for r in respondents if r.consent == "named" and r.name not in public_respondents],
    }
    return secrets


def public_corpus(session) -> str:
    """Text that may legitimately be public: a secret's phrase found here is not a leak by itself."""
    public = public_recommendations(session)
    parts = [p.text for p in public] + [p.decision.rationale for p in public]
    parts += [a.description for p in public for a in p.decision.actions]
    parts += [u.text for p in public for a in p.decision.actions for u in a.updates]
    consultations = public_consultations(session)
    parts += [f"{c.title} {c.body} {c.summary or ''}" for c in consultations]
    parts += [q.text for c in consultations for q in c.questions]
    parts += [f"{i.title or ''} {i.text or ''}" for i in session.scalars(select(FrameworkItem))]
    return " | ".join(normalise(p) for p in parts)


def windows(secret: str, allowed: str) -> list[str]:
    """The secret itself (when short) or each run of WINDOW words not also found in public text."""
    words = normalise(secret).split()
    if len(words) <= WINDOW:
        return [" ".join(words)] if words else []
    runs = {" ".join(words[i : i + WINDOW]) for i in range(len(words) - WINDOW + 1)}
    return sorted(run for run in runs if run not in allowed)


def probe_terms(secrets: dict[str, list[str]]) -> list[str]:
    """Words to type into every public search box: one distinctive word from each kind of secret."""
    terms = ["women", "Clinks", "Harrowgate", "Quillfeather", "staffing", "contract", "jo.bloggs.private"]
    for values in secrets.values():
        for value in values[:3]:
            longest = max(re.findall(r"[A-Za-z]{6,}", value) or [""], key=len)
            if longest and longest not in terms:
                terms.append(longest)
    return terms[:20]


def search_every_marker(fetch, secrets: dict[str, list[str]]) -> dict:
    """Public search for a distinctive word of every secret (the crawl's search box gets a
    sample only), for each kind of document with no words (its facets then count everything),
    and every facet link those pages offer."""
    words = {max(re.findall(r"[A-Za-z]{5,}", value) or [""], key=len)
             for values in secrets.values() for value in values}
    urls = [f"/search?{urlencode({'q': word})}" for word in sorted(words - {""})]
    urls += [f"/search?kind={kind}" for kind in ("recommendation", "decision", "action", "item")]
    pages = {url: fetch(url) for url in urls}
    facet_links = {href for page in pages.values() if page.status == 200 for href in links_in(page)[0]
                   if href.startswith("?") or href.startswith("/search?")}
    for href in sorted(facet_links):
        url = href if href.startswith("/") else "/search" + href
        pages.setdefault(url, fetch(url))
    return pages


def test_no_private_text_reaches_an_anonymous_visitor(app, client, session, private_demo):
    secrets = secrets_in_database(session)
    for kind, values in secrets.items():
        assert values, f"the test data has no {kind}: the check would prove nothing"
    assert CONFIDENTIAL_TEXT in secrets["unpublished recommendation"]
    assert set(REDACTED_PASSAGES) <= set(secrets["redacted passage"])
    assert {DRAFT_TITLE, DRAFT_SLUG} <= set(secrets["draft consultation"])
    assert {DRAFT_NAME, DELETED_REC_NAME, WITHDRAWN_NAME} <= set(secrets["name of a respondent with nothing published"])
    allowed = public_corpus(session)
    needles = {(kind, value, run) for kind, values in secrets.items() for value in values
               for run in windows(value, allowed)}
    assert {kind for kind, _, _ in needles} == set(secrets), "each kind of secret is checked"
    session.expire_all()

    fetch = client_fetcher(client)
    pages = crawl(fetch, public_seeds(app), terms=probe_terms(secrets))
    pages.update(search_every_marker(fetch, secrets))
    print(f"\ncrawled {len(pages)} URLs as an anonymous visitor")
    for url, page in sorted(pages.items()):
        print(f"  {page.status} {url}")

    assert "/" in pages and pages["/"].status == 200, "the crawl starts at the public home page"
    assert "/search" in pages and pages["/search"].status == 200, "the public search page is reached"
    server_errors = [f"{url} (linked from {page.found_on}): {page.error or page.body[:300]}"
                     for url, page in pages.items() if page.status >= 500]
    assert not server_errors, "server errors:\n" + "\n".join(server_errors)

    texts = {url: normalise(page_text(page) + " " + page.body) for url, page in pages.items()}
    assert any(normalise(ANONYMOUS_TEXT) in text for text in texts.values()), \
        "published text is found (the reading works), here the anonymous respondent's recommendation"
    assert any(normalise("[redacted: names a person] ([redacted: contact details]") in text for text in texts.values()), \
        "the redacted recommendation is public, with its markers"
    leaks = []
    for url, text in texts.items():
        for kind, value, run in needles:
            if run in text:
                leaks.append(f"{url}: {kind}: {run!r} (from {value[:80]!r})")
    assert not leaks, f"{len(leaks)} leaks:\n" + "\n".join(sorted(set(leaks)))


def test_the_crawl_reaches_and_catches_a_planted_leak(session, private_demo):
    """The check above is only as good as the crawl and the matching: a note planted two links
    and an API ``next`` away, highlighted in a search snippet and escaped in a feed, is found."""
    from browser import Page

    note = secrets_in_database(session)["internal note"][0]
    first, rest = note.split(" ", 1)
    site = {
        "/": Page("/", 200, "text/html", '<a href="/search?q=x">Search</a><link href="/feed.atom">'),
        "/search?q=x": Page("", 200, "text/html", f'<p><mark>{first}</mark> {rest}</p><a href="/api/items">API</a>'),
        "/feed.atom": Page("", 200, "application/atom+xml",
                           f"<feed><entry><content type='html'>&lt;p&gt;{note}&lt;/p&gt;</content></entry></feed>"),
        "/api/items": Page("", 200, "application/json", '{"data": [], "next": "http://localhost/api/items?page=2"}'),
        "/api/items?page=2": Page("", 200, "application/json", f'{{"data": [{{"note": "{note}"}}], "next": null}}'),
    }
    pages = crawl(lambda url: site[url], ["/"])
    assert set(pages) == set(site)
    runs = windows(note, "")
    for url in ("/search?q=x", "/feed.atom", "/api/items?page=2"):
        text = normalise(page_text(pages[url]))
        assert runs and all(run in text for run in runs), url
