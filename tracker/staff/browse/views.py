"""Read-only pages for browsing consultations, responses, recommendations and frameworks.

Views stay thin: they run a fixed number of queries and hand plain data to templates.
The presentation logic worth testing (highlighting spans in the response text, building
trees from parent ids) lives in plain functions that tests call directly, in
``tracker.web.text`` and ``tracker.web.trees`` since other staff pages use them too.
"""
from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, send_file, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from consultations.frameworks import frameworks_with_item_counts
from consultations.progress import consultation_progress
from consultations.readers import format_name
from consultations.models import (
    Consultation,
    Document,
    Framework,
    FrameworkItem,
    Link,
    Recommendation,
    Respondent,
    Response,
    ResponseSection,
)

from tracker.web.roles import login_required
from tracker.web.paging import paginate
from tracker.db import db
from tracker.web.loaders import live_response
from tracker.web.headers import download_name, download_type
from consultations.workflow import Decision
from consultations.decisions import recommendations_left
from tracker.web.search import similar_recommendations
from tracker.web.text import distinct_passages, highlight_paragraphs, text_blocks
from tracker.web.trees import build_tree

bp = Blueprint("browse", __name__)


# ---------------------------------------------------------------------------
# Presentation helpers (plain functions, tested directly)
# ---------------------------------------------------------------------------


def human_size(size: int | None) -> str:
    """File size as people read it, e.g. ``12.3 KB``."""
    if size is None:
        return "Unknown"
    if size < 1024:
        return f"{size} bytes"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}"
    return f"{size} bytes"  # pragma: no cover


# ---------------------------------------------------------------------------
# Queries (one per page section, counts aggregated in SQL)
# ---------------------------------------------------------------------------


def _live_recommendation_counts():
    """Non-deleted recommendations per response, as a subquery to outer-join."""
    return (
        select(Recommendation.response_id, func.count().label("n"))
        .group_by(Recommendation.response_id)
        .subquery()
    )


def item_link_counts(framework_id: int) -> dict[int, int]:
    """Recommendations linked to each item of a framework, in one aggregate query.

    Rejected links and deleted recommendations (or ones on deleted responses) do not count.
    """
    rows = db.session.execute(
        select(Link.item_id, func.count(func.distinct(Link.recommendation_id)))
        .join(FrameworkItem, FrameworkItem.id == Link.item_id)
        .join(Recommendation, Recommendation.id == Link.recommendation_id)
        .join(Response, Response.id == Recommendation.response_id)
        .where(
            FrameworkItem.framework_id == framework_id,
            Link.status != "rejected",
        )
        .group_by(Link.item_id)
    )
    return {item_id: n for item_id, n in rows}


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


@bp.route("/")
@login_required
def home():
    """What the service is for, with counts so staff can see what is loaded."""
    consultations = db.session.scalar(select(func.count()).select_from(Consultation))
    frameworks = db.session.scalar(select(func.count()).select_from(Framework))
    return render_template(
        "staff/browse/home.html", consultation_count=consultations, framework_count=frameworks
    )


@bp.route("/consultations/")
@login_required
def consultations():
    """All consultations with their response counts (one query)."""
    responses = (
        select(Response.consultation_id, func.count().label("n"))
        .group_by(Response.consultation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Consultation, func.coalesce(responses.c.n, 0))
        .outerjoin(responses, responses.c.consultation_id == Consultation.id)
        .order_by(
            Consultation.opens_on.is_(None), Consultation.opens_on.desc(), Consultation.title, Consultation.id
        )
    ).all()
    return render_template("staff/browse/consultations.html", rows=rows)


RESPONSES_PER_PAGE = 100


@bp.route("/consultations/<slug>")
@login_required
def consultation(slug: str):
    """One consultation: its questions and a page of its (non-deleted) responses; a survey
    brings thousands."""
    item = db.one_or_404(
        select(Consultation)
        .where(Consultation.slug == slug)
        .options(selectinload(Consultation.questions))
    )
    progress = consultation_progress(db.session, item.id)  # its response count pages the responses
    total = progress.responses
    counts = _live_recommendation_counts()
    responses = paginate(
        select(Response, func.coalesce(counts.c.n, 0))
        .join(Response.respondent)
        .outerjoin(counts, counts.c.response_id == Response.id)
        .where(Response.consultation_id == item.id)
        .options(contains_eager(Response.respondent))
        .order_by(Respondent.name, Response.id),
        RESPONSES_PER_PAGE, total=total, rows=True)
    return render_template(
        "staff/browse/consultation.html", consultation=item, responses=responses, total=total,
        left=recommendations_left(db.session, item.id),
        progress=progress,
        page_url=lambda number: url_for("browse.consultation", slug=slug, page=number, _anchor="responses"),
    )


@bp.route("/responses/<id:response_id>")
@login_required
def response(response_id: int):
    """A response with its recommendations and the text they were found in."""
    item = live_response(
        response_id,
        selectinload(Response.consultation),
        selectinload(Response.respondent),
        selectinload(Response.document),
        selectinload(Response.import_run),
        selectinload(Response.recommendations).selectinload(Recommendation.question),
        selectinload(Response.recommendations)
        .selectinload(Recommendation.links)
        .selectinload(Link.item)
        .selectinload(FrameworkItem.framework),
        with_deleted_recommendations=True,  # the page says which were merged into which
    )
    recommendations = [r for r in item.recommendations if r.deleted_at is None]
    tree = build_tree(recommendations)
    spans_by_key = {r.key: r.spans for r in recommendations}
    paragraphs = highlight_paragraphs(item.text or "", spans_by_key)
    located = {key for segments in paragraphs for s in segments for key in s.anchors}
    return render_template(
        "staff/browse/response.html",
        response=item,
        placeholders=_placeholder_answers(ResponseSection.response_id == item.id),
        referring=_placeholder_answers(ResponseSection.written_response_id == item.id),
        tree=tree,
        recommendation_count=len(recommendations),
        paragraphs=text_blocks(paragraphs),
        located=located,
        size=human_size(item.document.size) if item.document else None,
        file_type=format_name(item.document.media_type) if item.document else None,
    )


def _placeholder_answers(condition) -> list[ResponseSection]:
    """Survey answers such as "See written response" (of this response, or pointing at it),
    with their questions and the responses at both ends: one query each."""
    return list(db.session.scalars(
        select(ResponseSection).where(condition, ResponseSection.kind == "placeholder")
        .options(selectinload(ResponseSection.question),
                 selectinload(ResponseSection.response).selectinload(Response.respondent),
                 selectinload(ResponseSection.written_response))
        .order_by(ResponseSection.response_id, ResponseSection.position, ResponseSection.id)))


@bp.route("/responses/<id:response_id>/original")
@login_required
def response_original(response_id: int):
    """The original file exactly as received, as an attachment that never renders as a page of this
    site: a type a browser could run (HTML, SVG, ...) goes as application/octet-stream, and every
    download gets a sandboxing Content-Security-Policy (``tracker.web.headers``)."""
    item = live_response(response_id)
    if item.document_id is None:
        abort(404)
    document = db.get_or_404(Document, item.document_id)
    reply = send_file(
        io.BytesIO(document.content or b""),
        mimetype=download_type(document.media_type),
        as_attachment=True,
        download_name=download_name(document.filename, f"response-{item.id}"),
        etag=document.sha256,
        max_age=0,
    )
    reply.headers["X-Content-Type-Options"] = "nosniff"
    return reply


@bp.route("/frameworks/")
@login_required
def frameworks():
    """All frameworks with current and retired item counts (one query)."""
    rows = frameworks_with_item_counts(db.session)
    return render_template("staff/browse/frameworks.html", rows=rows)


@bp.route("/frameworks/<key>/<version>")
@login_required
def framework(key: str, version: str):
    """A framework as a tree, with linked-recommendation counts from one aggregate query."""
    item = db.one_or_404(
        select(Framework).where(Framework.key == key, Framework.version == version)
    )
    items = db.session.scalars(
        select(FrameworkItem)
        .where(FrameworkItem.framework_id == item.id)
        .order_by(FrameworkItem.position, FrameworkItem.code, FrameworkItem.id)
    ).all()
    counts = item_link_counts(item.id)
    return render_template(
        "staff/browse/framework.html",
        framework=item,
        tree=build_tree(items, counts),
        item_count=len(items),
        retired_count=sum(1 for i in items if i.retired_at is not None),
        linked_items=len(counts),
    )


@bp.route("/recommendations/<id:rec_id>")
@login_required
def recommendation(rec_id: int):
    """One recommendation: where it came from, its links, duplicates, decision and actions."""
    rec = db.one_or_404(
        select(Recommendation)
        .where(Recommendation.id == rec_id)
        .options(
            selectinload(Recommendation.response).selectinload(Response.respondent),
            selectinload(Recommendation.response).selectinload(Response.consultation),
            selectinload(Recommendation.parent),
            selectinload(Recommendation.children),
            selectinload(Recommendation.question),
            selectinload(Recommendation.duplicate_of).selectinload(Recommendation.response)
            .selectinload(Response.respondent),
            selectinload(Recommendation.links).selectinload(Link.item).selectinload(FrameworkItem.framework),
        )
    )
    duplicates = db.session.scalars(
        select(Recommendation)
        .where(Recommendation.duplicate_of_id == rec.id)
        .options(selectinload(Recommendation.response).selectinload(Response.respondent))
        .order_by(Recommendation.id)
    ).all()
    decided_on = rec.duplicate_of_id or rec.id  # a duplicate shares the decision of its group
    decision = db.session.scalar(
        select(Decision)
        .where(Decision.recommendation_id == decided_on)
        .options(selectinload(Decision.actions))
        .order_by(Decision.id.desc())
    )
    sources = distinct_passages(rec.response.text, rec.spans)
    return render_template(
        "staff/browse/recommendation.html",
        rec=rec,
        sources=sources,
        duplicates=duplicates,
        decision=decision,
        similar=similar_recommendations(rec),
        links=[link for link in rec.links if link.status != "rejected"],
    )
