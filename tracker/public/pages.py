"""Public pages: what we asked, what you said, what we did. No sign-in.

Every published fact comes from ``consultations.published`` (the one module that decides what
the public may see); this module only groups, counts and charts it. Anything that is not
published, or whose respondent asked to stay confidential, is a plain 404 here, so a page
never reveals that something unpublished exists.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from flask import Blueprint, abort, make_response, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consultations.models import Framework, FrameworkItem

from tracker.public import page_cache
from tracker.web.roles import public
from tracker.db import db
from consultations.workflow import ACTION_STATUSES
from consultations.vocabulary import PUBLIC_DECISION_OUTCOMES
from tracker.public.feeds import OUTCOME_COLUMNS
from tracker.web.paging import page_number
from consultations.progress import public_progress
from consultations.published import (
    public_consultation,
    OutlineRow,
    PublicRecommendation,
    PublicStandard,
    count_public_recommendations,
    count_under_consideration,
    public_action_statuses,
    public_consultations,
    public_outline,
    public_recommendations,
    public_standard_links,
    public_timeline,
)

bp = Blueprint("public", __name__)

OTHER_RECOMMENDATIONS = "Other recommendations"
NO_STANDARD = "Not linked to a standard"
PER_PAGE = 50  # recommendations on one page of an outcome page: readable, and quick to send


# ---------------------------------------------------------------------------
# Charts: plain geometry, so the template only draws rectangles and text
# ---------------------------------------------------------------------------


def bar_chart(data: list[tuple[str, int]], title: str, *, width: int = 640, label_width: int = 190,
              bar_height: int = 28, gap: int = 12) -> dict:
    """Horizontal bars for an accessible SVG chart: one bar per (label, value).

    Bars are scaled to the largest value and leave room on the right for the value text.
    ``desc`` lists every value in words for screen readers (the page also has a table).
    """
    value_room = 60
    largest = max((value for _, value in data), default=0)
    room = width - label_width - value_room
    bars = []
    for index, (label, value) in enumerate(data):
        y = index * (bar_height + gap)
        length = round(room * value / largest) if largest else 0
        bars.append({
            "label": label, "value": value,
            "x": label_width, "y": y, "width": length, "height": bar_height,
            "label_x": label_width - 8, "value_x": label_width + length + 8, "text_y": y + bar_height * 0.65,
        })
    height = len(data) * (bar_height + gap) - gap if data else bar_height
    desc = "; ".join(f"{label}: {value}" for label, value in data) or "No data yet."
    return {"title": title, "desc": desc, "width": width, "height": height, "bars": bars}


# ---------------------------------------------------------------------------
# Grouping and counting published recommendations (plain functions, no queries)
# ---------------------------------------------------------------------------


@dataclass
class Group:
    """Recommendations under one heading: a question, a standard, or "other"."""
    anchor: str  # the id of its heading on the page
    heading: str
    detail: str | None = None  # the question's text, or the standard's framework
    href: str | None = None
    rec_ids: list[int] = field(default_factory=list)
    first_page: int = 1  # the page of the outcome page where the group starts
    continued: bool = False  # this page's part of the group began on an earlier page
    recommendations: list[PublicRecommendation] = field(default_factory=list)  # filled for the page shown


def group_by_question(outline: list[OutlineRow], questions) -> list[Group]:
    """In the consultation's question order; recommendations without a question come last."""
    groups = {q.id: Group(f"question-{q.number}", f"Question {q.number}", q.text) for q in questions}
    other = Group("other", OTHER_RECOMMENDATIONS)
    for row in outline:
        groups.get(row.question_id, other).rec_ids.append(row.id)
    return [g for g in [*groups.values(), other] if g.rec_ids]


def group_by_standard(outline: list[OutlineRow], links: list[tuple[int, PublicStandard]]) -> list[Group]:
    """One group per linked standard (a recommendation linked to two shows under both), by code."""
    groups: dict[tuple, Group] = {}
    linked: set[int] = set()
    for rec_id, standard in links:
        key = (standard.framework_name, _code_key(standard.code), standard.id)
        if key not in groups:
            groups[key] = Group(f"standard-{standard.id}",
                                f"{standard.code}{' ' + standard.title if standard.title else ''}",
                                standard.framework_name, _standard_href(standard))
        groups[key].rec_ids.append(rec_id)
        linked.add(rec_id)
    unlinked = Group("not-linked", NO_STANDARD, rec_ids=[row.id for row in outline if row.id not in linked])
    return [g for g in [*(groups[key] for key in sorted(groups)), unlinked] if g.rec_ids]


def page_of_groups(groups: list[Group], page: int, per_page: int) -> tuple[list[Group], int]:
    """The slices of ``groups`` that fall on ``page``, and the number of pages.

    Recommendations are counted in group order, so a long group runs over several pages
    (its later slices are marked ``continued``); each group learns the page it starts on.
    """
    total = sum(len(g.rec_ids) for g in groups)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    start, stop = (page - 1) * per_page, page * per_page
    shown, position = [], 0
    for group in groups:
        group.first_page = position // per_page + 1
        begin, end = max(start, position), min(stop, position + len(group.rec_ids))
        if begin < end:
            shown.append(replace(group, rec_ids=group.rec_ids[begin - position:end - position],
                                 continued=begin > position))
        position += len(group.rec_ids)
    return shown, pages


def _code_key(code: str) -> tuple:
    """Sort "1.10" after "1.9"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in code.split("."))


def _standard_href(standard) -> str:
    return url_for("public.standard", framework_key=standard.framework_key, code=standard.code)


def outcome_counts(outcomes: Iterable[str]) -> list[tuple[str, int]]:
    """How many of each published outcome, in the usual order of outcomes, zeros left out."""
    counts = Counter(outcomes)
    known = [(PUBLIC_DECISION_OUTCOMES.label(outcome), counts.pop(outcome))
             for outcome in PUBLIC_DECISION_OUTCOMES if counts.get(outcome)]
    return known + [(outcome.capitalize(), n) for outcome, n in sorted(counts.items())]


def action_status_counts(statuses: Iterable[str]) -> list[tuple[str, int]]:
    counts = Counter(statuses)
    known = [(ACTION_STATUSES.label(status), counts.pop(status)) for status in ACTION_STATUSES if counts.get(status)]
    return known + [(status.capitalize(), n) for status, n in sorted(counts.items())]


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


@bp.route("/")
@public
def home():
    return render_template("public/home.html")


@bp.route("/consultations/")
@public
def consultations():
    return render_template("public/consultations.html", consultations=public_consultations(db.session))


@bp.route("/consultations/<slug>")
@public
def consultation(slug: str):
    """The outcome page of one consultation: counts and charts over every published
    recommendation, then one page of them, in a fixed number of queries whatever its size.
    Its content is kept for anonymous visitors while nothing public changes (``page_cache``)."""
    by = "standard" if request.args.get("by") == "standard" else "question"
    requested = page_number(request.args.get("page"))
    html, tag = page_cache.cached(("consultation", slug, by, requested), lambda: _outcome_page(slug, by, requested))
    unchanged = page_cache.not_modified(tag)
    return unchanged if unchanged is not None else page_cache.with_validators(make_response(html), tag)


def _outcome_page(slug: str, by: str, requested: int) -> str:
    """The outcome page for one grouping and page, rendered."""
    item = public_consultation(db.session, slug) or abort(404)
    outline = public_outline(db.session, item.id)
    groups = (group_by_standard(outline, public_standard_links(db.session, item.id)) if by == "standard"
              else group_by_question(outline, item.questions))
    shown, pages = page_of_groups(groups, requested, PER_PAGE)
    page = min(max(requested, 1), pages)
    wanted = [rec_id for group in shown for rec_id in group.rec_ids]
    loaded = {rec.id: rec for rec in public_recommendations(db.session, ids=wanted)} if wanted else {}
    for group in shown:
        group.recommendations = [loaded[rec_id] for rec_id in group.rec_ids if rec_id in loaded]
    actions = public_action_statuses(db.session, item.id)
    outcomes = outcome_counts(row.outcome for row in outline)
    statuses = action_status_counts(status for status, _ in actions)
    listed = sum(len(group.rec_ids) for group in groups)
    return render_template(
        "public/consultation.html", consultation=item, total=len(outline), groups=groups, shown=shown, by=by,
        progress=public_progress(db.session, item.id),
        page=page, pages=pages, listed=listed,
        first_shown=(page - 1) * PER_PAGE + 1, last_shown=min(page * PER_PAGE, listed),
        outcomes=outcomes, statuses=statuses, action_count=len(actions),
        overdue_count=sum(overdue for _, overdue in actions),
        outcome_chart=bar_chart(outcomes, "Recommendations by what we decided"),
        status_chart=bar_chart(statuses, "Actions by how far they have got"),
    )


@bp.route("/recommendations/<id:rec_id>")
@public
def recommendation(rec_id: int):
    found = public_recommendations(db.session, recommendation_id=rec_id)
    if not found:
        abort(404)
    rec = found[0]
    return render_template("public/recommendation.html", rec=rec, timeline=public_timeline(db.session, rec))


@bp.route("/standards/<framework_key>/<code>")
@public
def standard(framework_key: str, code: str):
    """A standard and what was published about it; the newest version of the framework wins."""
    item = db.session.scalars(
        select(FrameworkItem).join(Framework)
        .where(Framework.key == framework_key, FrameworkItem.code == code)
        .options(selectinload(FrameworkItem.framework))
        .order_by(FrameworkItem.retired_at.is_not(None), Framework.created_at.desc(), Framework.id.desc())
        .limit(1)).first()
    if item is None:
        abort(404)
    total = count_public_recommendations(db.session, item_id=item.id)
    pages = max(1, -(-total // PER_PAGE))
    page = page_number(request.args.get("page"), pages)
    recs = public_recommendations(db.session, item_id=item.id, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    by_consultation: dict[str, list[PublicRecommendation]] = {}
    for rec in recs:
        by_consultation.setdefault(rec.consultation_slug, []).append(rec)
    return render_template("public/standard.html", item=item, recommendations=recs, by_consultation=by_consultation,
                           total=total, page=page, pages=pages,
                           first_shown=(page - 1) * PER_PAGE + 1, last_shown=min(page * PER_PAGE, total))


@bp.route("/data")
@public
def data():
    """How to reuse what we publish: downloads and their columns, feeds and the API."""
    return render_template("public/data.html", columns=OUTCOME_COLUMNS, consultations=public_consultations(db.session))


@bp.route("/respondents/<id:respondent_id>")
@public
def respondent(respondent_id: int):
    """A named respondent's outcome letter, dated and from the installation's sender (LETTER_SENDER,
    tracker.web.branding), with absolute links so it works on paper, and how many of their
    recommendations are still under consideration. Anyone else, or nothing published yet: 404."""
    recs = public_recommendations(db.session, respondent_id=respondent_id)
    if not recs:
        abort(404)
    return render_template("public/respondent.html", name=recs[0].made_by, recommendations=recs,
                           outcomes=outcome_counts(rec.decision.outcome for rec in recs), today=dt.date.today(),
                           under_consideration=count_under_consideration(db.session, respondent_id))
