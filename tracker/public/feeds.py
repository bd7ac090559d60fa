"""Atom feeds and open-data downloads of published outcomes. No sign-in.

Everything here comes from ``consultations.published`` (the one module that decides what the
public may see), narrowed to consultations that are themselves public, so a feed or a
download can never show more than the public pages do.

Feeds (``application/atom+xml``, newest first, at most ``FEED_SIZE`` entries): one entry per
published decision on a recommendation and one per public update on an action under it.

* ``/feeds/decisions.atom``: everything published
* ``/consultations/<slug>/feed.atom``: one consultation
* ``/standards/<framework_key>/<code>/feed.atom``: recommendations linked to one standard

Browsers show a feed as raw XML (current Chromium no longer applies XSLT), so the pages' visible
"subscribe" links go to ``/feeds/subscribe?feed=<feed path>``: a page that says what a feed is and
gives the address to copy into a feed reader. ``<link rel="alternate">`` still points at the feed.

Downloads, one row per published recommendation of a consultation:
``/consultations/<slug>/outcomes.csv`` and ``/consultations/<slug>/outcomes.json``, with
the columns documented in ``OUTCOME_COLUMNS`` (shown on the public /data page and in the
README). The CSV is UTF-8 with a header row; the JSON is ``{"consultation": {...},
"recommendations": [rows]}``; both are attachments named ``<slug>-outcomes.csv`` / ``.json``.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consultations.models import Consultation, Framework, FrameworkItem
from consultations.vocabulary import PUBLIC_DECISION_OUTCOMES

from tracker.web.roles import public
from tracker.db import db
from consultations.published import (
    public_consultation,
    PublicRecommendation,
    PublicUpdateEntry,
    public_consultations,
    public_recommendations,
    public_updates,
)
from tracker.web.markdown import markdown_as_text, render_markdown
from tracker.web.site_url import external_url
from markupsafe import escape

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
TAG_YEAR = "2019"

TITLE_WORDS = 12
FEED_SIZE = 50  # entries per feed: what is new; the pages and downloads hold everything
# Characters XML 1.0 cannot carry (text extracted from PDFs sometimes has form feeds).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# The download columns, documented once: the public data page and the README show this table.
OUTCOME_COLUMNS = [
    ("recommendation_id", "both", "Our stable id for the recommendation; its page is /recommendations/<id>."),
    ("recommendation_key", "both", "Its number within the response, such as R4."),
    ("recommendation_text", "both", "What the respondent recommended, as they wrote it."),
    ("made_by", "both", "The organisation's name if it agreed to be named, otherwise its type "
                        "(for example \"A voluntary sector organisation\")."),
    ("also_made_by", "both", "Others who made the same point (CSV: separated by \"; \"; JSON: a list)."),
    ("organisation_type", "both", "The kind of organisation that made it."),
    ("question_number", "both", "The consultation question it answers, if any."),
    ("question_text", "both", "The text of that question."),
    ("standards", "both", "Codes of the linked standards (CSV: separated by \"; \"; JSON: a list)."),
    ("outcome", "both", "What we decided: accepted, accepted in part, not accepted, already in place "
                        "or under consideration."),
    ("rationale", "both", "Why, as published (Markdown)."),
    ("decided_on", "both", "The date we published the decision (YYYY-MM-DD)."),
    ("implementation_status", "CSV", "The status of each action we are taking, separated by \"; \"."),
    ("implementation_progress", "CSV", "The average progress of those actions, 0 to 100; empty with no actions."),
    ("actions", "JSON", "The actions: description, owner, status, progress, due_on, overdue."),
    ("url", "both", "The recommendation's public page."),
]
CSV_COLUMNS = [name for name, where, _ in OUTCOME_COLUMNS if where != "JSON"]
# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


def recommendation_url(rec_id: int) -> str:
    return external_url("public.recommendation", rec_id=rec_id)


def public_consultation_or_404(slug: str) -> Consultation:
    return public_consultation(db.session, slug) or abort(404)


def current_standard(framework_key: str, code: str) -> FrameworkItem | None:
    """The item with this code in the newest version of the framework (as the public page does)."""
    return db.session.scalars(
        select(FrameworkItem).join(Framework)
        .where(Framework.key == framework_key, FrameworkItem.code == code)
        .options(selectinload(FrameworkItem.framework))
        .order_by(FrameworkItem.retired_at.is_not(None), Framework.created_at.desc(), Framework.id.desc())
        .limit(1)).first()


def first_words(text: str, count: int = TITLE_WORDS) -> str:
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


# ---------------------------------------------------------------------------
# Atom
# ---------------------------------------------------------------------------


@dataclass
class Entry:
    id: str
    title: str
    updated: dt.datetime
    link: str
    author: str
    summary: str
    content: str
    sort_key: tuple
    related: str | None = None


def atom_time(moment: dt.datetime | dt.date) -> str:
    """RFC 3339 in UTC: stored datetimes are naive UTC; a date is taken as midnight UTC."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def tag(specific: str) -> str:
    """A stable tag: URI (RFC 4151) on this site's configured host name, without any port."""
    return f"tag:{urlsplit(external_url('public.home')).hostname},{TAG_YEAR}:{specific}"


def feed_entries(recs: list[PublicRecommendation], updates: list[PublicUpdateEntry],
                 consultations: dict[int, Consultation]) -> list[Entry]:
    """One entry per published decision on a recommendation and one per public update, newest
    first, at most FEED_SIZE: a feed reader needs what is new, the pages and downloads hold the rest."""
    entries = []
    for rec in recs:
        decision = rec.decision
        outcome = PUBLIC_DECISION_OUTCOMES.label(decision.outcome) if decision.outcome else "Decided"
        entries.append(Entry(
            id=tag(f"decision/{decision.id}/recommendation/{rec.id}"),
            title=f"{outcome}: {first_words(rec.text)}",
            updated=decision.withdrawn_at or decision.published_at,  # a withdrawal is news too
            link=recommendation_url(rec.id),
            author=consultations[rec.consultation_id].body,
            summary=markdown_as_text(decision.rationale),
            content=(f"<p>{escape(rec.consultation_title)}</p>"
                     f"<p>Recommendation {escape(rec.key)} from {escape(rec.made_by)}: {escape(rec.text)}</p>"
                     f"<p>Our decision: {escape(decision.outcome)}</p>{render_markdown(decision.rationale)}"),
            sort_key=(decision.withdrawn_at or decision.published_at, 1, rec.id),
        ))
    for found in updates:
        update = found.update
        moment = dt.datetime.combine(update.on, dt.time())
        entries.append(Entry(
            id=tag(f"action/{found.action_id}/update/{found.update_id}"),
            title=f"Update: {first_words(found.action_description)}",
            updated=moment,
            link=recommendation_url(found.recommendation_id),
            author=consultations[found.consultation_id].body,
            summary=update.text,
            content=(f"<p>{escape(found.action_description)}</p><p>{escape(update.text)}</p>"
                     + (f'<p>Evidence: <a href="{escape(update.evidence_url)}">{escape(update.evidence_url)}</a></p>'
                        if update.evidence_url else "")),
            sort_key=(moment, 0, found.update_id),
            related=update.evidence_url,
        ))
    entries.sort(key=lambda entry: entry.sort_key, reverse=True)
    return entries[:FEED_SIZE]


def newest_entries(**narrow) -> list[Entry]:
    consultations = {c.id: c for c in public_consultations(db.session)}
    recs = public_recommendations(db.session, newest_first=True, limit=FEED_SIZE, **narrow)
    updates = public_updates(db.session, limit=FEED_SIZE, **narrow)
    return feed_entries(recs, updates, consultations)


def clean(text: str) -> str:
    return NOT_XML.sub("", text or "")


def atom_feed(*, feed_id: str, title: str, alternate: str, entries: list[Entry], empty_updated: dt.datetime,
              author: str) -> Response:
    """Serialise an Atom 1.0 feed; ElementTree escapes every text."""
    feed = ET.Element("feed", xmlns=ATOM)

    def add(parent, name, text=None, **attributes):
        element = ET.SubElement(parent, name, attributes)
        if text is not None:
            element.text = clean(text)
        return element

    add(feed, "id", feed_id)
    add(feed, "title", title)
    add(feed, "updated", atom_time(max((e.updated for e in entries), default=empty_updated)))
    add(feed, "link", rel="self", type="application/atom+xml", href=external_url(request.endpoint, **request.view_args))
    add(feed, "link", rel="alternate", type="text/html", href=alternate)
    add(add(feed, "author"), "name", author)
    for item in entries:
        entry = add(feed, "entry")
        add(entry, "id", item.id)
        add(entry, "title", item.title, type="text")
        add(entry, "updated", atom_time(item.updated))
        add(entry, "published", atom_time(item.updated))
        add(add(entry, "author"), "name", item.author)
        add(entry, "link", rel="alternate", type="text/html", href=item.link)
        if item.related:
            add(entry, "link", rel="related", href=clean(item.related))
        add(entry, "summary", item.summary, type="text")
        add(entry, "content", item.content, type="html")  # sanitised HTML, escaped once more by ElementTree
    # A person who opens the feed in a browser sees a readable page (tracker/static/feed.xsl);
    # feed readers ignore the instruction.
    stylesheet = f'<?xml-stylesheet type="text/xsl" href="{url_for("static", filename="feed.xsl")}"?>'
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True).replace(
        b"?>", b"?>\n" + stylesheet.encode(), 1)
    return Response(body, content_type=ATOM_TYPE)


DECISIONS_FEED_TITLE = "Published decisions and progress on recommendations"


def consultation_feed_title(consultation: Consultation) -> str:
    return f"{consultation.title}: decisions and progress"


def standard_feed_title(item: FrameworkItem) -> str:
    return f"Standard {item.label}: decisions and progress"


def _feed_title(endpoint: str, args: dict) -> str:
    """The title of the feed at ``endpoint``; 404 when it is not one of ours or shows nothing public."""
    if endpoint == "feeds.decisions_feed":
        return DECISIONS_FEED_TITLE
    if endpoint == "feeds.consultation_feed":
        return consultation_feed_title(public_consultation_or_404(args["slug"]))
    if endpoint == "feeds.standard_feed":
        item = current_standard(args["framework_key"], args["code"])
        return standard_feed_title(item) if item is not None else abort(404)
    abort(404)


@bp.route("/feeds/subscribe")
@public
def subscribe():
    """Where a "subscribe" link leads a person: what a feed is, and its address to copy."""
    try:
        endpoint, args = request.url_rule.map.bind_to_environ(request.environ).match(
            request.args.get("feed", ""), method="GET")
    except HTTPException:
        abort(404)
    return render_subscribe_page(endpoint, args)


def render_subscribe_page(endpoint: str, args: dict, *, email_error: str | None = None, email: str = ""):
    """The subscribe page of one feed; for a consultation or a standard it also offers emails
    (tracker/public/emails.py), with ``email_error`` when the address typed was refused."""
    title = _feed_title(endpoint, args)
    return render_template("public/subscribe.html", title=title, feed_url=external_url(endpoint, **args),
                           feed_path=url_for(endpoint, **args), email_error=email_error, email=email,
                           offers_email=endpoint in ("feeds.consultation_feed", "feeds.standard_feed"))


@bp.route("/feeds/decisions.atom")
@public
def decisions_feed():
    return atom_feed(
        feed_id=tag("feed/decisions"), title=DECISIONS_FEED_TITLE,
        alternate=external_url("public.consultations"), entries=newest_entries(),
        empty_updated=dt.datetime(2019, 1, 1), author="Published decisions",
    )


@bp.route("/consultations/<slug>/feed.atom")
@public
def consultation_feed(slug: str):
    consultation = public_consultation_or_404(slug)
    return atom_feed(
        feed_id=tag(f"feed/consultation/{consultation.id}"), title=consultation_feed_title(consultation),
        alternate=external_url("public.consultation", slug=consultation.slug),
        entries=newest_entries(consultation_id=consultation.id),
        empty_updated=consultation.created_at, author=consultation.body,
    )


@bp.route("/standards/<framework_key>/<code>/feed.atom")
@public
def standard_feed(framework_key: str, code: str):
    item = current_standard(framework_key, code)
    if item is None:
        abort(404)
    return atom_feed(
        feed_id=tag(f"feed/standard/{framework_key}/{code}"),
        title=standard_feed_title(item),
        alternate=external_url("public.standard", framework_key=framework_key, code=code),
        entries=newest_entries(item_id=item.id),
        empty_updated=item.framework.updated_at, author=item.framework.name,
    )


# ---------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------


def outcome_row(rec: PublicRecommendation) -> dict:
    """One download row in its JSON form; the CSV flattens the lists."""
    decision = rec.decision
    return {
        "recommendation_id": rec.id,
        "recommendation_key": rec.key,
        "recommendation_text": rec.text,
        "made_by": rec.made_by,
        "also_made_by": list(rec.also_made_by),
        "organisation_type": rec.organisation_type,
        "question_number": rec.question_number,
        "question_text": rec.question_text,
        "standards": [s.code for s in rec.standards],
        "outcome": decision.outcome,
        "rationale": decision.rationale,
        "decided_on": decision.published_at.date().isoformat(),
        "actions": [
            {"description": a.description, "owner": a.owner, "status": a.status, "progress": a.progress,
             "due_on": a.due_on.isoformat() if a.due_on else None, "overdue": a.overdue}
            for a in decision.actions
        ],
        "url": recommendation_url(rec.id),
    }


def csv_row(row: dict) -> dict:
    actions = row["actions"]
    flat = {key: value for key, value in row.items() if key != "actions"}
    flat["also_made_by"] = "; ".join(row["also_made_by"])
    flat["standards"] = "; ".join(row["standards"])
    flat["implementation_status"] = "; ".join(a["status"] for a in actions)
    flat["implementation_progress"] = (
        round(sum(a["progress"] for a in actions) / len(actions)) if actions else "")
    return {key: spreadsheet_safe(flat[key]) for key in CSV_COLUMNS}


def spreadsheet_safe(value):
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe (OWASP's
    advice), so opening the download never runs anything; the JSON download keeps the text as is."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def attachment(body: str, content_type: str, filename: str) -> Response:
    response = Response(body.encode("utf-8"), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def consultation_rows(slug: str) -> tuple[Consultation, list[dict]]:
    consultation = public_consultation_or_404(slug)
    recs = public_recommendations(db.session, consultation_id=consultation.id)
    return consultation, [outcome_row(rec) for rec in recs]


@bp.route("/consultations/<slug>/outcomes.csv")
@public
def outcomes_csv(slug: str):
    consultation, rows = consultation_rows(slug)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(csv_row(row) for row in rows)
    return attachment(out.getvalue(), "text/csv; charset=utf-8", f"{consultation.slug}-outcomes.csv")


@bp.route("/consultations/<slug>/outcomes.json")
@public
def outcomes_json(slug: str):
    consultation, rows = consultation_rows(slug)
    document = {
        "consultation": {
            "slug": consultation.slug, "title": consultation.title, "body": consultation.body,
            "url": external_url("public.consultation", slug=consultation.slug),
        },
        "recommendations": rows,
    }
    return attachment(json.dumps(document, ensure_ascii=False, indent=2), "application/json",
                      f"{consultation.slug}-outcomes.json")
