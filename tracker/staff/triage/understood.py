"""Asking a respondent to check what we understood, and handling what they say.

Policy staff create a check link for a response (signed, expiring after
``UNDERSTOOD_CHECK_DAYS``, revocable), copy it with its message (``tracker.understood_links``;
the outbox will send it), and later read the answers on the response's triage page: accept a
missed point as a new recommendation, or mark an answer dealt with. Nothing respondents send
changes a recommendation by itself. Every change is audited (``consultations.audit``).
"""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import TextAreaField
from wtforms.validators import InputRequired

from consultations import understood_checks as checks
from consultations.models import Response
from consultations.understood_checks import UnderstoodAnswer, UnderstoodCheck
from consultations.workflow import User
from tracker.db import db
from tracker.staff.triage import bp, policy_required
from tracker.staff.triage.responses import press_button
from tracker.understood_links import check_days, invitation
from tracker.web.editing import apply_edit
from tracker.web.forms import Form, error_list
from tracker.web.loaders import get_or_404, live_response, one_or_404
from tracker.web.roles import login_required


class AcceptMissedForm(Form):
    text = TextAreaField("Text of the new recommendation", widget=GovTextArea(),
                         description="Start from the respondent's words; write it as the recommendation they make.",
                         validators=[InputRequired("Enter the text of the recommendation")])


@bp.route("/responses/<id:response_id>/understood-checks", methods=["POST"])
@policy_required
def create_check(response_id: int):
    response = live_response(response_id)
    outcome = press_button(response_id, lambda: checks.create_check(db.session, response, user_id=g.user.id,
                                                                     days=check_days()), "understood")
    if outcome.refused:
        return outcome.page
    flash("Check link created. Copy it and its message below and send them to the respondent.")
    return redirect(url_for("triage.understood_check", check_id=outcome.result.id))


def _check(check_id: int) -> UnderstoodCheck:
    return one_or_404(select(UnderstoodCheck).where(UnderstoodCheck.id == check_id).options(
        selectinload(UnderstoodCheck.answers),
        selectinload(UnderstoodCheck.response).selectinload(Response.respondent),
        selectinload(UnderstoodCheck.response).selectinload(Response.consultation)))


@bp.route("/understood-checks/<id:check_id>")
@login_required
def understood_check(check_id: int):
    """One check: its state, the link and message to send (while it works), and its answers."""
    check = _check(check_id)
    people = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(
        {check.created_by_id, check.revoked_by_id} | {a.handled_by_id for a in check.answers})))}
    active = check.state() == "active"
    return render_template("staff/triage/understood_check.html", check=check, response=check.response,
                           message=invitation(check) if active else None, people=people)


@bp.route("/understood-checks/<id:check_id>/revoke", methods=["POST"])
@policy_required
def revoke_check(check_id: int):
    check = get_or_404(UnderstoodCheck, check_id)
    outcome = press_button(check.response_id, lambda: checks.revoke_check(check, user_id=g.user.id), "understood")
    if outcome.refused:
        return outcome.page
    flash("The check link was revoked: it no longer opens the respondent's page.")
    return redirect(url_for("triage.understood_check", check_id=check_id))


@bp.route("/understood-answers/<id:answer_id>/dealt-with", methods=["POST"])
@policy_required
def answer_dealt_with(answer_id: int):
    answer = get_or_404(UnderstoodAnswer, answer_id)
    outcome = press_button(answer.response_id, lambda: checks.mark_dealt_with(answer, user_id=g.user.id),
                           "understood")
    if outcome.refused:
        return outcome.page
    flash("The respondent's answer is marked as dealt with.")
    return redirect(url_for("triage.manage", response_id=answer.response_id) + "#understood")


@bp.route("/understood-answers/<id:answer_id>/accept", methods=["GET", "POST"])
@policy_required
def accept_missed(answer_id: int):
    """Add a point the respondent said we missed as a recommendation of their response."""
    answer = get_or_404(UnderstoodAnswer, answer_id)
    response = live_response(answer.response_id)
    form = AcceptMissedForm(data={"text": answer.comment} if answer.kind == checks.MISSED else None)

    def render(code: int, conflict=None, error: str | None = None):
        errors = error_list(form) or ([{"text": error, "href": "#text"}] if error else [])
        return render_template("staff/triage/understood_accept.html", form=form, answer=answer, response=response,
                               errors=errors), code

    if not form.is_submitted():
        return render(200)
    outcome = apply_edit(form, lambda: checks.accept_missed(db.session, answer, form.text.data, user_id=g.user.id),
                         render, error_field=form.text)
    if outcome.refused:
        return outcome.page
    flash(f"Recommendation {outcome.result.key} was added from what the respondent told us.")
    return redirect(url_for("triage.manage", response_id=response.id) + f"#rec-{outcome.result.id}")
