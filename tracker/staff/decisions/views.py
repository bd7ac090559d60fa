"""Decisions: approvers record, approve and publish the inspectorate's answer to a
recommendation (and to every duplicate of it); every staff role can read them.

Views are thin: ``apply_edit`` validates the form, checks the version the page was loaded at,
calls the services in ``consultations.decisions`` and commits, or rolls back and shows the page
again with the problem (400) or with what someone else changed meanwhile (409).

Publishing goes through a confirmation page that previews exactly what the public will see;
a published decision is withdrawn with a public reason (its own page), never deleted.
"""
from __future__ import annotations

import datetime as dt
from functools import partial

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consultations.soft_delete import WITH_DELETED
from consultations.models import FrameworkItem, Link, Recommendation, Response

from consultations import actions as action_rules
from consultations import decisions as decision_rules
from consultations import published, redaction
from tracker.web.roles import login_required, role_required
from tracker.db import db
from tracker.web.loaders import get_or_404, one_or_404
from tracker.web.editing import StaleEdit, apply_edit, apply_state_change
from tracker.staff.decisions.forms import DecisionForm, WithdrawForm
from tracker.web.forms import EditForm
from consultations.workflow import Action, Decision, User

bp = Blueprint("decisions", __name__)

DECIDERS = ("approver",)


def two_person_rule() -> bool:
    """Whether this installation needs two people for publication (on unless configured off)."""
    return bool(current_app.config.get("DECISION_TWO_PERSON_RULE", True))


def redaction_review() -> bool:
    """Whether publishing waits for the quoted responses to be reviewed for redaction (on unless configured off)."""
    return bool(current_app.config.get("REDACTION_REVIEW_REQUIRED", True))


# ---------------------------------------------------------------------------
# Loading and rendering
# ---------------------------------------------------------------------------


def _recommendation_or_404(rec_id: int) -> Recommendation:
    """The recommendation, deleted or not (its page says it was deleted)."""
    return one_or_404(
        select(Recommendation)
        .where(Recommendation.id == rec_id)
        .options(
            selectinload(Recommendation.response).selectinload(Response.respondent),
            selectinload(Recommendation.response).selectinload(Response.consultation),
            selectinload(Recommendation.duplicate_of)
            .selectinload(Recommendation.response)
            .selectinload(Response.respondent),
        ),
        include_deleted=True,
    )


def _describe(rec: Recommendation) -> str:
    return f"{rec.key} from {rec.response.respondent.name}"


def decision_form_for(decision: Decision | None, formdata=None) -> DecisionForm:
    """The edit form filled from the saved decision (or empty, at version 0)."""
    if decision is None:
        return DecisionForm(formdata=formdata, version=0)
    return DecisionForm(formdata=formdata, obj=decision, version=decision.version_id)


def render_decision_page(
    primary: Recommendation,
    *,
    decision: Decision | None = None,
    form: DecisionForm | None = None,
    conflict: StaleEdit | None = None,
    problem: str | None = None,
    status: int = 200,
):
    """The decision page of a group's primary recommendation, with any problem to show."""
    if decision is None:
        decision = decision_rules.decision_for(db.session, primary)
    if form is None:
        form = decision_form_for(decision)
    group = decision_rules.decision_group(db.session, primary)
    links = db.session.scalars(
        select(Link)
        .where(Link.recommendation_id == primary.id, Link.status != "rejected")
        .options(selectinload(Link.item).selectinload(FrameworkItem.framework))
        .order_by(Link.id)
    ).all()
    deleted = None
    actions: list[Action] = []
    if decision is not None:
        actions = db.session.scalars(
            select(Action)
            .where(Action.decision_id == decision.id)
            .order_by(Action.due_on.is_(None), Action.due_on, Action.id)
        ).all()
    else:
        deleted = db.session.scalar(
            select(Decision)
            .where(Decision.recommendation_id == primary.id, Decision.deleted_at.is_not(None))
            .order_by(Decision.deleted_at.desc(), Decision.id.desc()),
            execution_options=WITH_DELETED,
        )
    shown = decision or deleted
    people = {}
    if shown is not None:
        ids = {shown.decided_by_id, shown.approved_by_id} - {None}
        if ids:
            people = {u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    today = dt.date.today()
    return (
        render_template(
            "staff/decisions/decision.html",
            rec=primary,
            group=group,
            links=links,
            decision=decision,
            deleted=deleted,
            actions=actions,
            overdue={a.id: action_rules.days_overdue(a, today) for a in actions if action_rules.is_overdue(a, today)},
            people=people,
            form=form,
            state_form=EditForm(formdata=None, version=shown.version_id if shown else 0),
            conflict=conflict,
            problem=problem,
            second_person=(decision_rules.second_person_needed(decision, g.user.id, two_person_rule=two_person_rule())
                           if decision is not None and decision.state in ("draft", "approved") else None),
        ),
        status,
    )


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


@bp.route("/recommendations/<id:rec_id>/decision", methods=["GET", "POST"])
@login_required
def decision(rec_id: int):
    """Read (every role) or record and edit (approvers) the decision of a recommendation's group."""
    rec = _recommendation_or_404(rec_id)
    primary = decision_rules.primary_of(rec)
    if request.method == "POST" and g.user.role not in DECIDERS:
        abort(403)
    if primary.id != rec.id and request.method == "GET":
        flash(f"Recommendation {_describe(rec)} is a duplicate of {_describe(primary)}. "
              "One decision answers them all: this is it.")
        return redirect(url_for(".decision", rec_id=primary.id))

    current = decision_rules.decision_for(db.session, primary)
    if request.method == "GET":
        return render_decision_page(primary, decision=current)

    form = DecisionForm()
    was = current.state if current is not None else None
    outcome = apply_edit(
        form,
        lambda: decision_rules.save_decision(db.session, primary, form.outcome.data, form.public_rationale.data or "",
                                             form.internal_note.data or "", g.user.id),
        lambda code, conflict, error=None: render_decision_page(primary, decision=current, form=form,
                                                                conflict=conflict, problem=error, status=code),
        current=current,
    )
    if outcome.refused:
        return outcome.page
    saved = outcome.result
    if was is None:
        flash("Decision recorded as a draft. It needs approving before it can be published.")
    elif was == "published" and saved.state == "draft":
        flash("Revision saved as a draft. The public still sees the published version until this "
              "revision is approved and published.")
    elif was == "approved" and saved.state == "draft":
        flash("Decision saved. It has changed since it was approved, so it needs approving again.")
    else:
        flash("Decision saved.")
    return redirect(url_for(".decision", rec_id=primary.id))


def _change_state(decision_id: int, change, done: str):
    """Approve, publish, delete and restore: the one state-change flow, back to the decision page."""
    item = get_or_404(Decision, decision_id, include_deleted=True)  # restore needs the deleted one
    primary = get_or_404(Recommendation, item.recommendation_id, include_deleted=True)
    return apply_state_change(item, lambda: change(item), partial(render_decision_page, primary),
                              done=done, then=url_for(".decision", rec_id=primary.id))


@bp.route("/decisions/<id:decision_id>/approve", methods=["POST"])
@role_required(*DECIDERS)
def approve(decision_id: int):
    return _change_state(
        decision_id, lambda d: decision_rules.approve(d, g.user.id, two_person_rule=two_person_rule()),
        "Decision approved. It can now be published.",
    )


def render_publish_page(decision: Decision, primary: Recommendation, *, conflict: StaleEdit | None = None,
                        problem: str | None = None, status: int = 200):
    """The confirmation page: exactly what publishing will show the public, and the button."""
    group = decision_rules.decision_group(db.session, primary)
    redaction_problem = redaction.publication_blocker(db.session, group) if redaction_review() else None
    return render_template(
        "staff/decisions/publish.html", decision=decision, rec=primary,
        redaction_problem=redaction_problem, unreviewed=redaction.unreviewed_responses(db.session, group),
        preview=published.publication_preview(db.session, decision, group),
        state_form=EditForm(formdata=None, version=decision.version_id), conflict=conflict, problem=problem,
        second_person=decision_rules.second_person_needed(decision, g.user.id, two_person_rule=two_person_rule()),
    ), status


@bp.route("/decisions/<id:decision_id>/publish", methods=["GET", "POST"])
@role_required(*DECIDERS)
def publish(decision_id: int):
    """GET: preview what the public will see and ask for confirmation; POST: publish."""
    if request.method == "GET":
        item = get_or_404(Decision, decision_id)
        primary = get_or_404(Recommendation, item.recommendation_id, include_deleted=True)
        return render_publish_page(item, primary)
    return _change_state(
        decision_id, lambda d: decision_rules.publish(d, g.user.id, two_person_rule=two_person_rule(),
                                                      redaction_review=redaction_review()),
        "Decision published. The public now sees this outcome and rationale.",
    )


def render_withdraw_page(decision: Decision, primary: Recommendation, form: WithdrawForm, *,
                         conflict: StaleEdit | None = None, problem: str | None = None, status: int = 200):
    group = decision_rules.decision_group(db.session, primary)
    return render_template(
        "staff/decisions/withdraw.html", decision=decision, rec=primary, form=form, conflict=conflict,
        problem=problem, preview=published.publication_preview(db.session, decision, group),
    ), status


@bp.route("/decisions/<id:decision_id>/withdraw", methods=["GET", "POST"])
@role_required(*DECIDERS)
def withdraw(decision_id: int):
    """Withdraw a published decision with a reason the public pages show."""
    item = get_or_404(Decision, decision_id)
    primary = get_or_404(Recommendation, item.recommendation_id, include_deleted=True)
    if request.method == "GET":
        return render_withdraw_page(item, primary, WithdrawForm(formdata=None, version=item.version_id))
    form = WithdrawForm()
    outcome = apply_edit(
        form, lambda: decision_rules.withdraw(item, form.reason.data or ""),
        lambda code, conflict, error=None: render_withdraw_page(item, primary, form, conflict=conflict,
                                                                problem=error, status=code),
        current=item, error_field=form.reason,
    )
    if outcome.refused:
        return outcome.page
    flash("Decision withdrawn. The public pages now say it was withdrawn, when, and why.")
    return redirect(url_for(".decision", rec_id=primary.id))


@bp.route("/decisions/<id:decision_id>/delete", methods=["POST"])
@role_required(*DECIDERS)
def delete(decision_id: int):
    return _change_state(
        decision_id, decision_rules.delete_decision,
        "Decision deleted. It no longer appears anywhere, and you can restore it from this page.",
    )


@bp.route("/decisions/<id:decision_id>/restore", methods=["POST"])
@role_required(*DECIDERS)
def restore(decision_id: int):
    return _change_state(
        decision_id, lambda d: decision_rules.restore_decision(db.session, d), "Decision restored."
    )
