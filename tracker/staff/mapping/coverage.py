"""Mapping, read-only pages: a framework item with every recommendation linked to it (and the
decision on each) across consultations, and the coverage matrix (items x consultations,
"linked / accepted" per cell, parent items as totals of their branch, shaded by count, each
count a link to the filtered recommendations list). The counting rules are in ``consultations.coverage``.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consultations.coverage import coverage_counts, decisions_for
from consultations.frameworks import frameworks_for
from consultations.models import Consultation, Framework, FrameworkItem, Link, Recommendation, Respondent, Response
from tracker.db import db
from tracker.staff.mapping.views import bp
from tracker.web.ids import parse_id
from tracker.web.roles import login_required
from tracker.web.trees import build_tree


@bp.route("/items/<id:item_id>")
@login_required
def item(item_id: int):
    """A framework item with every recommendation linked to it, by consultation (5 queries)."""
    found = db.one_or_404(
        select(FrameworkItem).where(FrameworkItem.id == item_id).options(joinedload(FrameworkItem.framework))
    )
    # The whole framework, for the parent path and children without a query per level.
    siblings = db.session.scalars(
        select(FrameworkItem)
        .where(FrameworkItem.framework_id == found.framework_id)
        .order_by(FrameworkItem.position, FrameworkItem.code, FrameworkItem.id)
    ).all()
    by_id = {i.id: i for i in siblings}
    path = []
    parent_id = found.parent_id
    while parent_id is not None and parent_id in by_id and len(path) < len(by_id):
        path.insert(0, by_id[parent_id])
        parent_id = by_id[parent_id].parent_id
    children = [i for i in siblings if i.parent_id == found.id]

    rows = db.session.execute(
        select(Link, Recommendation, Response, Respondent, Consultation)
        .join(Recommendation, Recommendation.id == Link.recommendation_id)
        .join(Response, Response.id == Recommendation.response_id)
        .join(Respondent, Respondent.id == Response.respondent_id)
        .join(Consultation, Consultation.id == Response.consultation_id)
        .where(
            Link.item_id == found.id,
            Link.status != "rejected",
        )
        .order_by(
            Consultation.opens_on.is_(None), Consultation.opens_on.desc(), Consultation.title,
            Respondent.name, Response.id, Recommendation.sequence, Recommendation.id,
        )
    ).all()
    decisions = decisions_for(db.session, [row.Recommendation for row in rows])
    by_consultation: dict[int, dict] = {}
    for row in rows:
        group = by_consultation.setdefault(
            row.Consultation.id, {"consultation": row.Consultation, "rows": []}
        )
        group["rows"].append(
            {
                "link": row.Link,
                "rec": row.Recommendation,
                "response": row.Response,
                "respondent": row.Respondent,
                "decision": decisions.get(row.Recommendation.id),
            }
        )
    return render_template(
        "staff/mapping/item.html",
        item=found,
        framework=found.framework,
        path=path,
        path_crumbs=[{"text": a.code, "href": url_for("mapping.item", item_id=a.id)} for a in path],
        children=children,
        groups=list(by_consultation.values()),
        total=len(rows),
    )


SHADES = 4  # shading levels of a non-empty cell, lightest to darkest (mapping.css)


@dataclass
class CoverageRow:
    item: FrameworkItem
    depth: int
    cells: list[tuple[int, int]]
    is_total: bool = False  # an item with sub-items: its cells count the whole branch
    shades: list[int] | None = None

    @property
    def total(self) -> tuple[int, int]:
        # a recommendation belongs to one consultation, so the columns add up without double counting
        return sum(c[0] for c in self.cells), sum(c[1] for c in self.cells)


def shade(linked: int, most: int) -> int:
    """0 for an empty cell, else 1 (fewest) to SHADES (most), in equal steps up to the matrix's largest count."""
    if linked <= 0 or most <= 0:
        return 0
    return max(1, min(SHADES, -(-linked * SHADES // most)))


def _flatten(nodes, depth: int = 0):
    for node in nodes:
        yield node.obj, depth, bool(node.children)
        yield from _flatten(node.children, depth + 1)


def list_url(code: str, consultation_id: int | None = None) -> str:
    """The recommendations list filtered to a standard (and its sub-items), and a consultation:
    the list's own GET filters (tracker/staff/recommendations/forms.py)."""
    params = {"standard": code}
    if consultation_id is not None:
        params["consultation"] = consultation_id
    return url_for("recommendations.index", **params)


def _default_framework(frameworks: list[Framework]) -> Framework | None:
    standards = [f for f in frameworks if (f.kind or "").casefold() == "standards"]
    ordered = sorted(standards or frameworks, key=lambda f: (f.name, f.version, f.id))
    return ordered[0] if ordered else None


@bp.route("/coverage")
@login_required
def coverage():
    """Items x consultations, "linked / accepted" per cell, an item with sub-items counting its
    whole branch (each recommendation once), shaded by count, each count a link to the
    recommendations list so filtered: eight queries whatever the size (six, and a look at the
    publication stamp for each of the two kept counts)."""
    frameworks = sorted(frameworks_for(db.session), key=lambda f: (f.name, f.version, f.id))
    chosen_id = parse_id(request.args.get("framework"))
    if "framework" in request.args and chosen_id is None:
        abort(404)
    if chosen_id is not None:
        framework = next((f for f in frameworks if f.id == chosen_id), None) or db.get_or_404(Framework, chosen_id)
    else:
        framework = _default_framework(frameworks)
    if framework is None:
        return render_template("staff/mapping/coverage.html", framework=None, frameworks=[], rows=[],
                               consultations=[], totals={}, grand_total=(0, 0))
    items = db.session.scalars(
        select(FrameworkItem)
        .where(FrameworkItem.framework_id == framework.id, FrameworkItem.retired_at.is_(None))
        .order_by(FrameworkItem.position, FrameworkItem.code, FrameworkItem.id)
    ).all()
    consultations = db.session.scalars(
        select(Consultation).order_by(
            Consultation.opens_on.is_(None), Consultation.opens_on.desc(), Consultation.title, Consultation.id
        )
    ).all()
    counts = coverage_counts(db.session, framework.id, rolled_up=True)
    totals = coverage_counts(db.session, framework.id, by_item=False)
    rows = [
        CoverageRow(item, depth, [counts.get((item.id, c.id), (0, 0)) for c in consultations], is_total=has_children)
        for item, depth, has_children in _flatten(build_tree(items))
    ]
    most = max((linked for row in rows for linked, _ in row.cells), default=0)
    for row in rows:
        row.shades = [shade(linked, most) for linked, _ in row.cells]
    if framework not in frameworks:
        frameworks = [*frameworks, framework]
    return render_template(
        "staff/mapping/coverage.html",
        framework=framework,
        frameworks=frameworks,
        rows=rows,
        consultations=consultations,
        totals=totals,
        grand_total=(sum(t[0] for t in totals.values()), sum(t[1] for t in totals.values())),
        list_url=list_url,
        shades=SHADES,
    )
