"""Mapping: link recommendations to framework items (standards and strategic objectives).

Every staff role can read these pages; only ``methodology`` changes links. Three pages:

- a recommendation's links, grouped by status, its unresolved references and ranked
  suggestions (``consultations.suggest``), with the forms that confirm, reject, accept a
  suggestion or add an item by code (the services are in ``consultations.linking``);
- a framework item with every recommendation linked to it, across consultations, and the
  decision on each;
- the coverage matrix: items x consultations, "linked / accepted" in each cell, from aggregate
  queries, so the number of queries does not grow with items or consultations.

"Accepted" and the decision shown follow one rule: a recommendation's own live decision (the
newest not deleted), or else the live decision on the recommendation it duplicates.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovTextInput
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from consultations import linking
from consultations.frameworks import current_items, frameworks_for
from consultations.models import (
    Consultation,
    Framework,
    FrameworkItem,
    Link,
    Recommendation,
    Respondent,
    Response,
)
from consultations.suggest import DEFAULT_LIMIT, SuggestionIndex

from tracker.web.roles import login_required, role_required
from tracker.web.trees import build_tree
from tracker.db import db
from tracker.web.editing import StaleEdit, ensure_current
from tracker.web.forms import Form, VersionedForm
from tracker.web.ids import parse_id
from consultations.workflow import Decision, User

bp = Blueprint("mapping", __name__)

EDIT_ROLES = ("methodology",)
ACCEPTED_OUTCOMES = ("accepted", "accepted in part")
LINK_STATUS_ORDER = ("confirmed", "proposed", "rejected")


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------


class LinkStatusForm(VersionedForm):
    """Confirm or reject one link, at the version the page showed."""


class SuggestionForm(Form):
    item_id = IntegerField(validators=[InputRequired("Choose a suggested item")])
    action = HiddenField(default="accept", validators=[AnyOf(("accept", "reject"))])


class AddLinkForm(Form):
    code = StringField(
        "Code",
        description="For example 4.1.3 or SO2. Words the reference finder understands also work, "
        "such as “standard 1.3” or “strategic objective 2”.",
        widget=GovTextInput(),
        validators=[
            DataRequired("Enter the code of a standard or objective, for example 4.1.3 or SO2"),
            Length(max=100, message="Codes are shorter than 100 characters"),
        ],
    )
    framework = SelectField(
        "Framework",
        description="Only needed when the same code is used in more than one framework.",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
    )

    def set_frameworks(self, frameworks) -> AddLinkForm:
        self.framework.choices = [("", "Any framework")] + [(str(f.id), f.label) for f in frameworks]
        return self

    def framework_id(self) -> int | None:
        value = (self.framework.data or "").strip()
        return parse_id(value)


# ---------------------------------------------------------------------------
# Shared queries
# ---------------------------------------------------------------------------


def live_decision_ids():
    """The newest live decision of each recommendation, as a subquery (recommendation_id, id)."""
    return (
        select(Decision.recommendation_id, func.max(Decision.id).label("decision_id"))
        .where(Decision.deleted_at.is_(None))
        .group_by(Decision.recommendation_id)
        .subquery()
    )


def decisions_for(recommendations: list[Recommendation]) -> dict[int, tuple[Decision, bool]]:
    """``{recommendation id: (decision, decided for its group)}`` in one query.

    A recommendation's own live decision wins; otherwise the live decision on the
    recommendation it duplicates, which is then "decided for the group".
    """
    wanted = {r.id for r in recommendations} | {r.duplicate_of_id for r in recommendations if r.duplicate_of_id}
    if not wanted:
        return {}
    latest = live_decision_ids()
    newest = {
        decision.recommendation_id: decision
        for decision in db.session.scalars(
            select(Decision).join(latest, latest.c.decision_id == Decision.id)
            .where(Decision.recommendation_id.in_(wanted))
        )
    }
    found: dict[int, tuple[Decision, bool]] = {}
    for rec in recommendations:
        if rec.id in newest:
            found[rec.id] = (newest[rec.id], False)
        elif rec.duplicate_of_id in newest:
            found[rec.id] = (newest[rec.duplicate_of_id], True)
    return found


# ---------------------------------------------------------------------------
# A recommendation's links
# ---------------------------------------------------------------------------


def _load_recommendation(rec_id: int) -> Recommendation:
    rec = db.one_or_404(
        select(Recommendation)
        .where(Recommendation.id == rec_id)
        .options(
            selectinload(Recommendation.response).selectinload(Response.respondent),
            selectinload(Recommendation.response).selectinload(Response.consultation),
            selectinload(Recommendation.parent),
            selectinload(Recommendation.links).selectinload(Link.item).selectinload(FrameworkItem.framework),
        )
    )
    if rec.response.deleted_at is not None:
        abort(404)
    return rec


def _ignore_words(rec: Recommendation) -> list[str]:
    """Names that say nothing about a recommendation's topic: who consulted, who responded."""
    return [rec.response.consultation.body or "", rec.response.respondent.name or ""]


class LinksPage:
    """A recommendation with the current framework items and their index, loaded when needed."""

    def __init__(self, rec: Recommendation):
        self.rec = rec

    @cached_property
    def items(self) -> list[FrameworkItem]:
        # Hold the current frameworks while their items are in use: the session's identity map
        # keeps objects only while something refers to them, and item.framework looks there
        # before it queries.
        self.frameworks = frameworks_for(db.session)
        return current_items(db.session)

    @cached_property
    def framework_choices(self) -> list[Framework]:
        with_items = {item.framework_id for item in self.items}
        return sorted((f for f in self.frameworks if f.id in with_items), key=lambda f: (f.name, f.version, f.id))

    @cached_property
    def index(self) -> SuggestionIndex:
        return SuggestionIndex(self.items)


def _links_context(rec: Recommendation) -> LinksPage:
    return LinksPage(rec)


def _render_links(
    page: LinksPage,
    *,
    add_form: AddLinkForm | None = None,
    conflict: StaleEdit | None = None,
    error: str | None = None,
    status: int = 200,
):
    rec = page.rec
    groups = {state: [] for state in LINK_STATUS_ORDER}
    for link in sorted(rec.links, key=lambda link: (link.item.framework.name, link.item.position, link.item.code)):
        groups.setdefault(link.status, []).append(link)
    confirmers = {link.confirmed_by_id for link in rec.links if link.confirmed_by_id}
    users = (
        {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(confirmers)))}
        if confirmers
        else {}
    )
    suggestions = page.index.suggest(
        rec.text,
        exclude=[link.item_id for link in rec.links],
        limit=DEFAULT_LIMIT,
        ignore_words=_ignore_words(rec),
    )
    frameworks = page.framework_choices
    if add_form is None:
        add_form = AddLinkForm(formdata=None).set_frameworks(frameworks)
    editable = rec.deleted_at is None and g.user is not None and g.user.role in EDIT_ROLES
    return (
        render_template(
            "staff/mapping/links.html",
            rec=rec,
            groups=groups,
            users=users,
            suggestions=suggestions,
            add_form=add_form,
            conflict=conflict,
            error=error,
            editable=editable,
            multiple_frameworks=len(frameworks) > 1,
        ),
        status,
    )


@bp.route("/recommendations/<id:rec_id>/links")
@login_required
def links(rec_id: int):
    """A recommendation's links, unresolved references and suggestions."""
    rec = _load_recommendation(rec_id)
    return _render_links(_links_context(rec))


def _refuse_if_deleted(page: LinksPage):
    if page.rec.deleted_at is not None:
        return _render_links(
            page,
            error=f"Recommendation {page.rec.key} has been deleted. Restore it before changing its links.",
            status=409,
        )
    return None


def _back_to_links(rec: Recommendation):
    return redirect(url_for("mapping.links", rec_id=rec.id))


def _change_status(link_id: int, new_status: str):
    link = db.get_or_404(Link, link_id)
    rec = _load_recommendation(link.recommendation_id)
    form = LinkStatusForm()
    page = _links_context(rec)
    if not form.validate_on_submit():
        return _render_links(page, error="The form was incomplete: reload the page and try again.", status=400)
    refused = _refuse_if_deleted(page)
    if refused:
        return refused
    try:
        ensure_current(db.session, link, form.version.data)
    except StaleEdit as conflict:
        return _render_links(page, conflict=conflict, status=409)
    changed = linking.confirm(link, g.user.id) if new_status == "confirmed" else linking.reject(link)
    db.session.commit()
    verb = "confirmed" if new_status == "confirmed" else "rejected"
    if changed:
        flash(f"The link from {rec.key} to {link.item.code} is {verb}.")
    else:
        flash(f"The link from {rec.key} to {link.item.code} was already {verb}.")
    return _back_to_links(rec)


@bp.route("/links/<id:link_id>/confirm", methods=["POST"])
@role_required(*EDIT_ROLES)
def confirm_link(link_id: int):
    return _change_status(link_id, "confirmed")


@bp.route("/links/<id:link_id>/reject", methods=["POST"])
@role_required(*EDIT_ROLES)
def reject_link(link_id: int):
    return _change_status(link_id, "rejected")


def _linked_at_the_same_moment(rec_id: int):
    """The unique constraint caught a link someone else made meanwhile: a conflict, not an error."""
    db.session.rollback()
    return _render_links(
        _links_context(_load_recommendation(rec_id)),
        error="Someone linked the same item at the same moment. Nothing was added twice: check the links below.",
        status=409,
    )


@bp.route("/recommendations/<id:rec_id>/suggestions", methods=["POST"])
@role_required(*EDIT_ROLES)
def accept_suggestion(rec_id: int):
    """Accept a suggested item as a confirmed link (or, with action=reject, dismiss it).

    The score and matched words are computed again here, never taken from the form.
    """
    rec = _load_recommendation(rec_id)
    page = _links_context(rec)
    form = SuggestionForm()
    if not form.validate_on_submit():
        return _render_links(page, error="Choose a suggested item.", status=400)
    refused = _refuse_if_deleted(page)
    if refused:
        return refused
    suggestion = page.index.score(rec.text, form.item_id.data, ignore_words=_ignore_words(rec))
    if suggestion is None:
        return _render_links(
            page,
            error="That item is not in the current version of any framework. Reload the page for new suggestions.",
            status=400,
        )
    try:
        if form.action.data == "reject":
            linking.dismiss_suggestion(db.session, rec, suggestion)
            message = f"{suggestion.item.code} will not be suggested for {rec.key} again."
        else:
            linking.accept_suggestion(db.session, rec, suggestion, g.user.id)
            message = f"{rec.key} is linked to {suggestion.item.code}."
        db.session.commit()
    except linking.LinkError as error:
        db.session.rollback()
        return _render_links(_links_context(_load_recommendation(rec_id)), error=str(error), status=400)
    except IntegrityError:
        return _linked_at_the_same_moment(rec_id)
    flash(message)
    return _back_to_links(rec)


@bp.route("/recommendations/<id:rec_id>/links", methods=["POST"])
@role_required(*EDIT_ROLES)
def add_link(rec_id: int):
    """Link an item by its code, confirmed; a rejected link to it is confirmed again."""
    rec = _load_recommendation(rec_id)
    page = _links_context(rec)
    form = AddLinkForm().set_frameworks(page.framework_choices)
    if not form.validate_on_submit():
        return _render_links(page, add_form=form, status=400)
    refused = _refuse_if_deleted(page)
    if refused:
        return refused
    try:
        link, created = linking.add_by_code(
            db.session, rec, form.code.data, page.items, framework_id=form.framework_id(), user_id=g.user.id
        )
        message = f"{rec.key} is {'linked' if created else 'linked again'} to {link.item.code} ({link.item.framework.name})."
        db.session.commit()
    except linking.LinkError as error:
        db.session.rollback()
        form.code.errors.append(str(error))
        return _render_links(_links_context(_load_recommendation(rec_id)), add_form=form, status=400)
    except IntegrityError:
        return _linked_at_the_same_moment(rec_id)
    flash(message)
    return _back_to_links(rec)


# ---------------------------------------------------------------------------
# A framework item and every recommendation linked to it
# ---------------------------------------------------------------------------


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
            Recommendation.deleted_at.is_(None),
            Response.deleted_at.is_(None),
        )
        .order_by(
            Consultation.opens_on.is_(None), Consultation.opens_on.desc(), Consultation.title,
            Respondent.name, Response.id, Recommendation.sequence, Recommendation.id,
        )
    ).all()
    decisions = decisions_for([row.Recommendation for row in rows])
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


# ---------------------------------------------------------------------------
# Coverage matrix
# ---------------------------------------------------------------------------


@dataclass
class CoverageRow:
    item: FrameworkItem
    depth: int
    cells: list[tuple[int, int]]

    @property
    def total(self) -> tuple[int, int]:
        return sum(c[0] for c in self.cells), sum(c[1] for c in self.cells)


def _flatten(nodes, depth: int = 0):
    for node in nodes:
        yield node.obj, depth
        yield from _flatten(node.children, depth + 1)


def coverage_counts(framework_id: int, by_item: bool = True) -> dict:
    """Linked and accepted recommendations, in one aggregate query.

    Grouped by (item id, consultation id), or by consultation id alone with ``by_item=False``
    (a recommendation linked to several items then counts once). Linked: distinct live
    recommendations on live responses with a proposed or confirmed link to a current
    (non-retired) item of the framework. Accepted: those whose live decision, or the live
    decision of the recommendation they duplicate, is "accepted" or "accepted in part".
    """
    latest = live_decision_ids()
    own_latest, group_latest = latest.alias("own_latest"), latest.alias("group_latest")
    own, group = aliased(Decision, name="own_decision"), aliased(Decision, name="group_decision")
    outcome = func.coalesce(own.outcome, group.outcome)
    accepted = case((outcome.in_(ACCEPTED_OUTCOMES), Recommendation.id), else_=None)
    keys = [Link.item_id, Response.consultation_id] if by_item else [Response.consultation_id]
    query = (
        select(
            *keys,
            func.count(func.distinct(Recommendation.id)),
            func.count(func.distinct(accepted)),
        )
        .select_from(Link)
        .join(FrameworkItem, FrameworkItem.id == Link.item_id)
        .join(Recommendation, Recommendation.id == Link.recommendation_id)
        .join(Response, Response.id == Recommendation.response_id)
        .outerjoin(own_latest, own_latest.c.recommendation_id == Recommendation.id)
        .outerjoin(own, own.id == own_latest.c.decision_id)
        .outerjoin(group_latest, group_latest.c.recommendation_id == Recommendation.duplicate_of_id)
        .outerjoin(group, group.id == group_latest.c.decision_id)
        .where(
            FrameworkItem.framework_id == framework_id,
            FrameworkItem.retired_at.is_(None),
            Link.status != "rejected",
            Recommendation.deleted_at.is_(None),
            Response.deleted_at.is_(None),
        )
        .group_by(*keys)
    )
    if by_item:
        return {(item_id, cid): (linked, ok) for item_id, cid, linked, ok in db.session.execute(query)}
    return {cid: (linked, ok) for cid, linked, ok in db.session.execute(query)}


def _default_framework(frameworks: list[Framework]) -> Framework | None:
    standards = [f for f in frameworks if (f.kind or "").casefold() == "standards"]
    ordered = sorted(standards or frameworks, key=lambda f: (f.name, f.version, f.id))
    return ordered[0] if ordered else None


@bp.route("/coverage")
@login_required
def coverage():
    """Items x consultations, "linked / accepted" per cell: six queries whatever the size."""
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
    counts = coverage_counts(framework.id)
    totals = coverage_counts(framework.id, by_item=False)
    rows = [
        CoverageRow(item, depth, [counts.get((item.id, c.id), (0, 0)) for c in consultations])
        for item, depth in _flatten(build_tree(items))
    ]
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
    )
