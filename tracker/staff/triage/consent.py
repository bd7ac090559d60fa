"""What may be published about a respondent (named, anonymous or confidential) and their
organisation type, with stale-edit detection."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consultations import triage as service
from consultations.models import Respondent, Response
from consultations import published
from consultations.published import CONSENT_HINTS

from tracker.db import db
from tracker.staff.triage import bp, policy_required
from tracker.staff.triage.common import confirm_public_removal
from tracker.staff.triage.forms import ConsentForm
from tracker.web.editing import StaleEdit, apply_edit
from tracker.web.forms import error_list
from tracker.web.roles import return_to


@bp.route("/respondents/<id:respondent_id>/consent", methods=["GET", "POST"])
@policy_required
def edit_consent(respondent_id: int):
    """What may be published about a respondent, with stale-edit detection."""
    respondent = db.get_or_404(Respondent, respondent_id)
    responses = db.session.scalars(
        select(Response)
        .where(Response.respondent_id == respondent.id)
        .options(selectinload(Response.consultation))
        .order_by(Response.received_on, Response.id)
    ).all()
    default_return = (url_for("triage.manage", response_id=responses[0].id) if len(responses) == 1
                      else url_for("triage.queue"))
    if request.method == "GET":
        form = ConsentForm(formdata=None, data={
            "consent": respondent.consent, "organisation_type": respondent.organisation_type or "",
            "version": respondent.version_id, "return_to": return_to(default_return),
        })
        return render_template("staff/triage/consent.html", respondent=respondent, responses=responses, form=form,
                               errors=[], conflict=None, consent_items=_consent_items(form))
    form = ConsentForm()

    def page(code: int, conflict: StaleEdit | None):
        return render_template("staff/triage/consent.html", respondent=respondent, responses=responses, form=form,
                               errors=error_list(form) if not conflict else [], conflict=conflict,
                               consent_items=_consent_items(form)), code

    if form.validate() and form.consent.data != respondent.consent:
        # Confidential takes their recommendations' pages down; leaving "named" takes down their own page.
        going = published.public_ids_that_would_go(db.session, respondent_id=respondent.id)
        own_page = ([url_for("public.respondent", respondent_id=respondent.id, _external=True)]
                    if going and respondent.consent == "named" else [])
        confirm = confirm_public_removal(
            going if form.consent.data == "confidential" else [], other_urls=own_page,
            what=f"Make {respondent.name} {form.consent.data}",
            action=url_for("triage.edit_consent", respondent_id=respondent.id),
            fields={"consent": form.consent.data, "organisation_type": form.organisation_type.data or "",
                    "version": form.version.data, "return_to": form.return_to.data or ""},
            cancel=url_for("triage.edit_consent", respondent_id=respondent.id))
        if confirm:
            return confirm
    outcome = apply_edit(form, lambda: service.set_consent(respondent, form.consent.data, form.organisation_type.data),
                         page, current=respondent, error_field=form.consent)
    if outcome.refused:
        return outcome.page
    flash(f"Publication consent for {respondent.name} is now ‘{respondent.consent}’.")
    return redirect(return_to(default_return))


def _consent_items(form: ConsentForm) -> list[dict]:
    """A hint under each radio saying what that level publishes (in the radios' order)."""
    return [{"hint": {"text": CONSENT_HINTS[choice.value]}} for choice in form.consent.choices]
