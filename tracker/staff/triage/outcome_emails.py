"""Whether a respondent gets emails about what was decided on their recommendations
(``consultations.respondent_emails``): staff record that a confidential respondent asked for
them, or that someone does not want them; the respondent's own one-click link sets "no"."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from consultations import respondent_emails
from consultations.models import Respondent
from tracker.db import db
from tracker.staff.triage import bp, policy_required
from tracker.staff.triage.forms import OutcomeEmailsForm
from tracker.web.editing import apply_edit
from tracker.web.forms import error_list


@bp.route("/respondents/<id:respondent_id>/outcome-emails", methods=["GET", "POST"])
@policy_required
def edit_outcome_emails(respondent_id: int):
    respondent = db.get_or_404(Respondent, respondent_id)
    if request.method == "GET":
        form = OutcomeEmailsForm(formdata=None, data={"choice": respondent.outcome_emails or "default",
                                                      "version": respondent.version_id})
    else:
        form = OutcomeEmailsForm()

    def page(code: int = 200, conflict=None):
        return render_template("staff/triage/outcome_emails.html", respondent=respondent, form=form,
                               errors=error_list(form) if not conflict else [], conflict=conflict,
                               address=respondent_emails.contact_email(respondent),
                               will_email=respondent_emails.may_email(respondent)), code

    if request.method == "GET":
        return page()
    outcome = apply_edit(form, lambda: respondent_emails.set_outcome_emails(respondent, form.choice.data), page,
                         current=respondent, error_field=form.choice)
    if outcome.refused:
        return outcome.page
    flash(f"{respondent.name} " + ("will get" if respondent_emails.may_email(respondent) else "will not get")
          + " emails about what we decided on their recommendations.")
    return redirect(url_for("triage.edit_consent", respondent_id=respondent.id))
