"""One response: its management page (its recommendations in order, with every triage
action), moving its review status on or back, and deleting or restoring it.

``on_manage_page`` and ``press_button`` are how a change refused here is shown; the
recommendation buttons (``corrections``) use them too.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from sqlalchemy.orm import selectinload

from consultations import anchoring
from consultations import published
from consultations import understood_checks
from consultations import triage as service
from consultations.models import Recommendation, Response
from consultations.triage import STATUS_FLOW
from consultations.workflow import User

from tracker.db import db
from tracker.staff.triage import bp, policy_required
from tracker.staff.triage.common import confirm_public_removal
from tracker.web.loaders import live_response
from tracker.staff.triage.forms import ButtonForm, StatusForm
from tracker.web.editing import StaleEdit, apply_edit
from tracker.web.forms import error_list
from tracker.web.loaders import get_or_404
from tracker.web.roles import login_required, return_to
from tracker.web.trees import build_tree

STATUS_MOVE_LABELS = {
    ("received", "in review"): "Start review",
    ("in review", "recommendations confirmed"): "Confirm recommendations",
    ("recommendations confirmed", "closed"): "Close the response",
    ("in review", "received"): "Move back to received",
    ("recommendations confirmed", "in review"): "Reopen review",
    ("closed", "recommendations confirmed"): "Reopen: back to recommendations confirmed",
}


def triage_status_moves(status: str) -> list[dict]:
    """The status buttons a response page offers: the next step first, then the step back."""
    return [
        {"status": target, "label": STATUS_MOVE_LABELS.get((status, target), f"Change to {target}"),
         "forward": STATUS_FLOW.index(target) > STATUS_FLOW.index(status) if status in STATUS_FLOW else True}
        for target in service.allowed_statuses(status)
    ]


def _manage_response(response_id: int) -> Response:
    return live_response(
        response_id,
        selectinload(Response.respondent),
        selectinload(Response.consultation),
        selectinload(Response.recommendations).selectinload(Recommendation.question),
        selectinload(Response.recommendations)
        .selectinload(Recommendation.duplicate_of)
        .selectinload(Recommendation.response)
        .selectinload(Response.respondent),
        with_deleted_recommendations=True,
    )


def checks_panel(response_id: int) -> dict:
    """The response's "what we understood" checks (newest first) and the answers waiting for staff."""
    found = understood_checks.checks_of_response(db.session, response_id)
    return {"checks": found, "waiting": [answer for check in found for answer in check.answers if answer.needs_staff]}


def render_manage(response: Response, errors: list[dict] | None = None, conflict: StaleEdit | None = None,
                  code: int = 200):
    """The recommendations of one response in order, with every triage action."""
    live = [rec for rec in response.recommendations if rec.deleted_at is None]
    deleted = [rec for rec in response.recommendations if rec.deleted_at is not None]
    rows = []

    length = len(response.text or "")

    def anchored(node) -> bool:
        return anchoring.primary_start(node.obj.spans, length) is not None

    def walk(nodes, depth):
        # Two recommendations with passages keep the order of the text: no move between them.
        for index, node in enumerate(nodes):
            up = index > 0 and not (anchored(node) and anchored(nodes[index - 1]))
            down = index < len(nodes) - 1 and not (anchored(node) and anchored(nodes[index + 1]))
            rows.append({"rec": node.obj, "depth": depth, "up": up, "down": down, "children": len(node.children)})
            walk(node.children, depth + 1)

    walk(build_tree(live), 0)
    assignee = db.session.get(User, response.assignee_id) if response.assignee_id else None
    return render_template(
        "staff/triage/manage.html",
        response=response,
        rows=rows,
        deleted=deleted,
        assignee=assignee,
        errors=errors or [],
        conflict=conflict,
        understood=checks_panel(response.id),
    ), code


@bp.route("/responses/<id:response_id>/recommendations")
@login_required
def manage(response_id: int):
    """Manage a response's recommendations (read by everyone, changed by policy staff)."""
    return render_manage(_manage_response(response_id))


def on_manage_page(response_id: int, form, anchor: str):
    """How an edit refused on a response's management page is shown: the form's first error,
    linked to ``anchor``, or the stale-edit conflict (for ``apply_edit``'s ``render``)."""

    def render(code: int, conflict: StaleEdit | None):
        errors = [] if conflict else [{"text": error_list(form)[0]["text"], "href": f"#{anchor}"}]
        return render_manage(_manage_response(response_id), errors=errors, conflict=conflict, code=code)

    return render


def press_button(response_id: int, change, anchor: str):
    """A button press (no form to fill in, no version): ``change`` through the one edit flow,
    or its refusal shown on the response's management page, linked to ``anchor``."""
    form = ButtonForm()
    return apply_edit(form, change, on_manage_page(response_id, form, anchor),
                      error_field=form.refusal, validate=False)


@bp.route("/responses/<id:response_id>/status", methods=["POST"])
@policy_required
def set_status(response_id: int):
    """Move a response one step on (or back) in triage, if nobody changed it meanwhile."""
    response = live_response(response_id)
    form = StatusForm()
    old = response.status
    outcome = apply_edit(form, lambda: service.set_status(response, form.status.data.strip()),
                         on_manage_page(response_id, form, "status"), current=response, error_field=form.status)
    if outcome.refused:
        return outcome.page
    flash(f"The response from {response.respondent.name} moved from ‘{old}’ to ‘{response.status}’.")
    return redirect(return_to(url_for("triage.manage", response_id=response_id)))


@bp.route("/responses/<id:response_id>/delete", methods=["POST"])
@policy_required
def delete_response(response_id: int):
    response = live_response(response_id)
    name = response.respondent.name
    confirm = confirm_public_removal(
        published.public_ids_that_would_go(db.session, response_id=response.id),
        what=f"Delete the response from {name}", action=url_for("triage.delete_response", response_id=response_id),
        fields={}, cancel=url_for("triage.manage", response_id=response_id))
    if confirm:
        return confirm
    outcome = press_button(response_id, lambda: service.delete_response(db.session, response), "response")
    if outcome.refused:
        return outcome.page
    flash(f"The response from {name} was deleted. It can be restored from the triage queue "
          "(show deleted responses).")
    return redirect(url_for("triage.queue"))


@bp.route("/responses/<id:response_id>/restore", methods=["POST"])
@policy_required
def restore_response(response_id: int):
    response = get_or_404(Response, response_id, include_deleted=True)
    outcome = press_button(response_id, lambda: service.restore_response(db.session, response), "response")
    if outcome.refused:
        return outcome.page
    flash(f"The response from {response.respondent.name} was restored.")
    return redirect(url_for("triage.manage", response_id=response_id))

