"""Redaction before publication: one response's passages the public must not read.

Everyone signed in reads the page (the original passages are staff information); policy staff
run the detector, confirm or reject its proposals, redact passages of their own and mark the
response reviewed. The rules are in ``consultations.redaction``.
"""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from sqlalchemy.orm import selectinload

from consultations import redaction as rules
from consultations.models import Response
from consultations.redaction import REASON_HINTS, Redaction

from tracker.db import db
from tracker.staff.triage import bp, policy_required
from tracker.staff.triage.forms import ButtonForm, RedactForm, RedactionDecisionForm
from tracker.web.editing import StaleEdit, apply_edit
from tracker.web.forms import error_list
from tracker.web.loaders import get_or_404, live_response
from tracker.web.roles import login_required

CONTEXT = 40  # characters shown either side of a passage


def _response(response_id: int) -> Response:
    return live_response(response_id, selectinload(Response.respondent), selectinload(Response.consultation),
                         selectinload(Response.recommendations))


def _rows(response: Response, redactions: list[Redaction]) -> list[dict]:
    text = response.text or ""
    return [{
        "redaction": r,
        "before": ("…" if r.start_offset > CONTEXT else "") + text[max(0, r.start_offset - CONTEXT):r.start_offset],
        "passage": r.passage(text),
        "after": text[r.end_offset:r.end_offset + CONTEXT] + ("…" if r.end_offset + CONTEXT < len(text) else ""),
    } for r in redactions]


def render_redactions(response: Response, form: RedactForm | None = None, *, errors: list[dict] | None = None,
                      conflict: StaleEdit | None = None, code: int = 200):
    redactions = rules.redactions_of(db.session, response)
    passages = [(r.passage(response.text or ""), r.reason) for r in redactions if r.status == "confirmed"]
    public = [(rec, rules.public_text(rec.text, passages)) for rec in response.recommendations
              if rec.deleted_at is None]
    form = form or RedactForm(formdata=None)
    return render_template(
        "staff/triage/redactions.html", response=response, rows=_rows(response, redactions), form=form,
        reason_items=[{"hint": {"text": REASON_HINTS[c.value]}} for c in form.reason.choices],
        proposed=sum(r.status == "proposed" for r in redactions),
        confirmed=sum(r.status == "confirmed" for r in redactions),
        public=public, errors=errors or [], conflict=conflict,
    ), code


@bp.route("/responses/<id:response_id>/redactions")
@login_required
def redactions(response_id: int):
    """The response's redactions, what the public would read, and (for policy) the forms."""
    return render_redactions(_response(response_id))


def _refused_on_page(response_id: int, form, anchor: str):
    def render(code: int, conflict: StaleEdit | None = None):
        errors = [] if conflict else [{"text": e["text"], "href": f"#{anchor}"} for e in error_list(form)[:1]]
        return render_redactions(_response(response_id), form if isinstance(form, RedactForm) else None,
                                 errors=errors, conflict=conflict, code=code)
    return render


@bp.route("/responses/<id:response_id>/redactions/add", methods=["POST"])
@policy_required
def redact(response_id: int):
    """Redact every occurrence of the words given."""
    response = _response(response_id)
    form = RedactForm()
    outcome = apply_edit(form, lambda: rules.mark(db.session, response, form.passage.data, form.reason.data,
                                                  _user_id()),
                         _refused_on_page(response_id, form, "passage"), error_field=form.passage)
    if outcome.refused:
        return outcome.page
    count = len(outcome.result)
    flash(f"Redacted {count} place{'s' if count != 1 else ''} in the response. The public pages show "
          f"“{rules.marker(form.reason.data)}” instead.")
    return redirect(url_for("triage.redactions", response_id=response_id))


@bp.route("/responses/<id:response_id>/redactions/detect", methods=["POST"])
@policy_required
def detect_redactions(response_id: int):
    """Run the detector: what it finds is proposed, for staff to confirm or reject."""
    response = _response(response_id)
    form = ButtonForm()
    outcome = apply_edit(form, lambda: rules.propose(db.session, response),
                         _refused_on_page(response_id, form, "detect"), error_field=form.refusal, validate=False)
    if outcome.refused:
        return outcome.page
    count = len(outcome.result)
    flash(f"{count} new passage{'s' if count != 1 else ''} of likely personal data proposed." if count
          else "Nothing new found. Read the text as well: the check finds only common patterns.")
    return redirect(url_for("triage.redactions", response_id=response_id))


@bp.route("/redactions/<id:redaction_id>", methods=["POST"])
@policy_required
def decide_redaction(redaction_id: int):
    """Redact a proposed passage, or publish one after all."""
    item = get_or_404(Redaction, redaction_id)
    response_id = item.response_id
    form = RedactionDecisionForm()
    wanted = {"redact": "confirmed", "publish": "rejected"}.get((form.decision.data or "").strip())
    outcome = apply_edit(form, lambda: rules.decide(item, wanted or "", _user_id()),
                         _refused_on_page(response_id, form, "redactions"), current=item, error_field=form.decision)
    if outcome.refused:
        return outcome.page
    flash("The passage is redacted." if wanted == "confirmed" else "The passage is not redacted: the public may read it.")
    return redirect(url_for("triage.redactions", response_id=response_id) + "#redactions")


@bp.route("/responses/<id:response_id>/redactions/reviewed", methods=["POST"])
@policy_required
def mark_redactions_reviewed(response_id: int):
    """Record that the response has been checked for personal data: its recommendations may be published."""
    response = _response(response_id)
    form = ButtonForm()
    outcome = apply_edit(form, lambda: rules.mark_reviewed(db.session, response),
                         _refused_on_page(response_id, form, "review"), error_field=form.refusal, validate=False)
    if outcome.refused:
        return outcome.page
    flash(f"The response from {response.respondent.name} is reviewed for personal data. "
          "Its recommendations can be published.")
    return redirect(url_for("triage.redactions", response_id=response_id))


def _user_id() -> int | None:
    return g.user.id
