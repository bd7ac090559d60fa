"""The read-only JSON API, version 1, at ``/api/v1/``. No sign-in.

Published outcomes come only from ``consultations.published`` (narrowed to public consultations);
frameworks and consultation questions are public data and are read directly. Lists are
paginated with ``?page=`` and ``?per_page=`` (default 50, at most 200) and answer
``{"data": [...], "page", "per_page", "total", "next"}``. The recommendations' ``next`` link is a
cursor, ``?after=<the last row's id>`` (its ``page`` only numbers the page), so following it
costs the same on the last page as on the first; ``?page=`` still works. Errors are JSON
``{"error": "..."}``: 404 for anything unknown or unpublished, 400 for a bad parameter.
Every request runs a fixed number of queries whatever the page size. The OpenAPI
document describing all of it is at ``/api/v1/openapi.json`` (see ``tracker.public.openapi``).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from consultations import count_cache
from consultations.bulk import shorten
from consultations.models import Consultation, Framework, FrameworkItem

from tracker.public import openapi
from tracker.web.roles import public
from tracker.db import db
from tracker.public.feeds import recommendation_url
from tracker.web.ids import MAX_ID
from tracker.web.paging import MAX_PAGE, whole_number
from consultations.published import (
    public_consultation,
    PublicDecision,
    PublicRecommendation,
    count_public_recommendations,
    public_consultations,
    public_decision_groups,
    public_id_before,
    public_recommendations,
)
from tracker.web.site_url import external_url

bp = Blueprint("api", __name__)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
PAGING = ("page", "per_page")


class BadParameter(ValueError):
    """A query parameter the API cannot use; the message says which and what is allowed."""


@bp.errorhandler(BadParameter)
def bad_parameter(error):
    return jsonify(error=str(error)), 400


def not_found(what: str):
    return jsonify(error=f"{what} was not found or is not published."), 404


def check_parameters(*allowed: str) -> None:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise BadParameter(f"Unknown parameter {unknown[0]!r}. Use "
                           + (", ".join(repr(name) for name in allowed) if allowed else "no parameters") + ".")


def positive_int(name: str, default: int, maximum: int = MAX_PAGE) -> int:
    """A query parameter read by the page-number parser every list uses (``tracker.web.paging``)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return whole_number(raw, maximum)
    except ValueError as rule:
        raise BadParameter(f"{name} must be {rule}, not {shorten(raw, 40)!r}.") from None


def paging() -> tuple[int, int]:
    return positive_int("page", 1), positive_int("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)


def page_of(data: list, total: int, page: int, per_page: int, *, after: int | None = None, more: bool | None = None):
    """The pagination envelope; ``next`` keeps every other parameter of this request. With
    ``after`` (the last row's id) ``next`` is a cursor link, ``?after=<id>``, which the list
    seeks to rather than counting off the rows before it; ``more`` says whether it has rows."""
    next_url = None
    if (page * per_page < total) if more is None else more:
        args = request.args.to_dict()
        args["page"] = str(page + 1)
        args["per_page"] = str(per_page)
        if after is not None:
            args["after"] = str(after)
        next_url = external_url(request.endpoint, **request.view_args, **dict(sorted(args.items())))
    return jsonify(data=data, page=page, per_page=per_page, total=total, next=next_url)


def paginate_list(items: list, serialise) -> object:
    page, per_page = paging()
    start = (page - 1) * per_page
    return page_of([serialise(item) for item in items[start:start + per_page]], len(items), page, per_page)


# ---------------------------------------------------------------------------
# Serialisers: the shapes declared in tracker.public.openapi
# ---------------------------------------------------------------------------


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def utc(moment) -> str:
    """Stored datetimes are naive UTC: say so (RFC 3339)."""
    return moment.replace(microsecond=0).isoformat() + "Z"


def consultation_json(consultation: Consultation) -> dict:
    slug = consultation.slug
    return {
        "id": consultation.id, "slug": slug, "title": consultation.title, "body": consultation.body,
        "summary": consultation.summary, "status": consultation.status,
        "opens_on": iso(consultation.opens_on), "closes_on": iso(consultation.closes_on),
        "questions": [{"id": q.id, "number": q.number, "text": q.text, "topic": q.topic}
                      for q in consultation.questions],
        "url": external_url("public.consultation", slug=slug),
        "api_url": external_url("api.consultation", slug=slug),
        "recommendations_url": external_url("api.recommendations", consultation=slug),
        "feed_url": external_url("feeds.consultation_feed", slug=slug),
        "csv_url": external_url("feeds.outcomes_csv", slug=slug),
        "json_url": external_url("feeds.outcomes_json", slug=slug),
    }


def actions_json(decision: PublicDecision) -> list[dict]:
    return [
        {"id": a.id, "description": a.description, "owner": a.owner, "status": a.status, "progress": a.progress,
         "due_on": iso(a.due_on), "overdue": a.overdue,
         "updates": [{"on": iso(u.on), "text": u.text, "evidence_url": u.evidence_url} for u in a.updates]}
        for a in decision.actions
    ]


def recommendation_json(rec: PublicRecommendation) -> dict:
    decision = rec.decision
    return {
        "id": rec.id, "key": rec.key, "text": rec.text, "made_by": rec.made_by,
        "also_made_by": list(rec.also_made_by), "organisation_type": rec.organisation_type,
        "respondent_url": (external_url("public.respondent", respondent_id=rec.respondent_id)
                           if rec.respondent_id else None),
        "consultation": {"id": rec.consultation_id, "slug": rec.consultation_slug, "title": rec.consultation_title,
                         "api_url": external_url("api.consultation", slug=rec.consultation_slug)},
        "question": ({"number": rec.question_number, "text": rec.question_text}
                     if rec.question_number is not None else None),
        "standards": [{"id": s.id, "framework_key": s.framework_key, "framework_name": s.framework_name,
                       "code": s.code, "title": s.title} for s in rec.standards],
        "decision": {"id": decision.id, "outcome": decision.outcome, "rationale": decision.rationale,
                     "published_at": utc(decision.published_at),
                     "withdrawn_at": utc(decision.withdrawn_at) if decision.withdrawn_at else None,
                     "api_url": external_url("api.decision", decision_id=decision.id)},
        "actions": actions_json(decision),
        "url": recommendation_url(rec.id),
        "api_url": external_url("api.recommendation", rec_id=rec.id),
    }


def decision_json(decision: PublicDecision, recs: list[PublicRecommendation]) -> dict:
    return {
        "id": decision.id, "outcome": decision.outcome, "rationale": decision.rationale,
        "published_at": utc(decision.published_at),
        "withdrawn_at": utc(decision.withdrawn_at) if decision.withdrawn_at else None,
        "recommendations": [{"id": r.id, "key": r.key, "made_by": r.made_by,
                             "api_url": external_url("api.recommendation", rec_id=r.id), "url": recommendation_url(r.id)}
                            for r in recs],
        "actions": actions_json(decision),
        "api_url": external_url("api.decision", decision_id=decision.id),
    }


def framework_json(framework: Framework) -> dict:
    return {"id": framework.id, "key": framework.key, "name": framework.name, "version": framework.version,
            "kind": framework.kind, "api_url": external_url("api.framework", key=framework.key)}


# ---------------------------------------------------------------------------
# Reading published outcomes
# ---------------------------------------------------------------------------


def decisions_with_recommendations(**narrow) -> tuple[list[tuple[PublicDecision, list[PublicRecommendation]]], int]:
    """One page of published decisions (by id), each with the public recommendations it answers;
    and how many there are in all."""
    page, per_page = paging()
    groups, total = public_decision_groups(db.session, limit=per_page, offset=(page - 1) * per_page, **narrow)
    pairs: dict[int, tuple[PublicDecision, list[PublicRecommendation]]] = {}
    for rec in (public_recommendations(db.session, groups=groups) if groups else []):
        pairs.setdefault(rec.decision.id, (rec.decision, []))[1].append(rec)
    return [pairs[key] for key in sorted(pairs)], total


# ---------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------


@bp.route("/")
@public
def index():
    check_parameters()
    return jsonify(
        name="Consultation response tracker API", version="1",
        resources={
            "consultations": external_url("api.consultations"),
            "recommendations": external_url("api.recommendations"),
            "decisions": external_url("api.decisions"),
            "frameworks": external_url("api.frameworks"),
        },
        openapi=external_url("api.openapi_document"),
    )


@bp.route("/openapi.json")
@public
def openapi_document():
    check_parameters()
    return jsonify(openapi.document(external_url("api.index").rstrip("/")))


@bp.route("/consultations")
@public
def consultations():
    check_parameters(*PAGING)
    return paginate_list(public_consultations(db.session), consultation_json)


@bp.route("/consultations/<slug>")
@public
def consultation(slug: str):
    check_parameters()
    found = public_consultation(db.session, slug)
    return jsonify(consultation_json(found)) if found else not_found("The consultation")


@bp.route("/recommendations")
@public
def recommendations():
    check_parameters("consultation", "standard", "framework", "after", *PAGING)
    paging()  # reject bad paging before any work
    after = positive_int("after", 0, MAX_ID) if "after" in request.args else None
    narrow = {}
    slug = request.args.get("consultation")
    if slug is not None:
        found = public_consultation(db.session, slug)
        if found is None:
            raise BadParameter(f"No published consultation has the slug {slug!r}; see /api/v1/consultations.")
        narrow["consultation_id"] = found.id
    code, framework_key = request.args.get("standard"), request.args.get("framework")
    if framework_key is not None and code is None:
        raise BadParameter("framework narrows the standard parameter: give standard too.")
    if code is not None:
        query = select(func.count()).select_from(FrameworkItem).where(FrameworkItem.code == code)
        if framework_key is not None:
            query = query.join(Framework).where(Framework.key == framework_key)
        if not db.session.scalar(query):
            raise BadParameter(f"No standard has the code {code!r}"
                               + (f" in framework {framework_key!r}" if framework_key else "")
                               + "; see /api/v1/frameworks.")
    if code is not None:
        narrow.update(standard_code=code, framework_key=framework_key)
    page, per_page = paging()
    # Counting reads every published row: kept until the data change (count_cache).
    total = count_cache.remembered(db.session, ("public-recommendations", tuple(sorted(narrow.items()))),
                                   lambda: count_public_recommendations(db.session, **narrow))
    if after is None and page > 1:  # a page by number: seek to it from the row before it
        before = public_id_before(db.session, (page - 1) * per_page, **narrow)
        recs = public_recommendations(db.session, limit=per_page + 1, after=before, **narrow) if before is not None else []
    else:
        try:  # one row more than the page says whether there is a next one
            recs = public_recommendations(db.session, limit=per_page + 1, after=after, **narrow)
        except LookupError:
            raise BadParameter(f"after must be the id of a recommendation, as in the next link; {after} is not.") from None
    shown = recs[:per_page]
    return page_of([recommendation_json(rec) for rec in shown], total, page, per_page,
                   after=shown[-1].id if shown else None, more=len(recs) > per_page)


@bp.route("/recommendations/<id:rec_id>")
@public
def recommendation(rec_id: int):
    check_parameters()
    found = public_recommendations(db.session, recommendation_id=rec_id)
    return jsonify(recommendation_json(found[0])) if found else not_found("The recommendation")


@bp.route("/decisions")
@public
def decisions():
    check_parameters(*PAGING)
    pairs, total = decisions_with_recommendations()
    page, per_page = paging()
    return page_of([decision_json(*pair) for pair in pairs], total, page, per_page)


@bp.route("/decisions/<id:decision_id>")
@public
def decision(decision_id: int):
    check_parameters()
    pairs, _ = decisions_with_recommendations(decision_id=decision_id)
    return jsonify(decision_json(*pairs[0])) if pairs else not_found("The decision")


@bp.route("/frameworks")
@public
def frameworks():
    check_parameters(*PAGING)
    page, per_page = paging()
    # The API's pages do not move past the end (an empty page says there is no more), so
    # db.paginate directly rather than tracker.web.paging.paginate.
    shown = db.paginate(select(Framework).order_by(Framework.key, Framework.id), page=page, per_page=per_page,
                        max_per_page=None, error_out=False)
    return page_of([framework_json(f) for f in shown.items], shown.total, page, per_page)


@bp.route("/frameworks/<key>")
@public
def framework(key: str):
    """A framework's current items as a flat list in tree order, each with its parent's code.

    The newest version by default; ``?version=`` picks another."""
    check_parameters("version")
    query = select(Framework).where(Framework.key == key)
    if request.args.get("version") is not None:
        query = query.where(Framework.version == request.args["version"])
    found = db.session.scalars(
        query.options(selectinload(Framework.items))
        .order_by(Framework.created_at.desc(), Framework.id.desc()).limit(1)).first()
    if found is None:
        return not_found("The framework")
    versions = db.session.scalars(select(Framework.version).where(Framework.key == key).order_by(Framework.id)).all()
    codes = {item.id: item.code for item in found.items}
    items = [item for item in found.items if item.retired_at is None]
    return jsonify({
        **framework_json(found), "versions": list(versions),
        "items": [{"id": item.id, "code": item.code, "title": item.title, "text": item.text,
                   "parent_code": codes.get(item.parent_id), "depth": item.depth}
                  for item in items],
    })


@bp.route("/<path:unknown>")
@public
def unknown_path(unknown: str):
    return jsonify(error=f"There is no /api/v1/{unknown}; see /api/v1/ for what there is."), 404
