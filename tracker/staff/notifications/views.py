"""Your notifications: each signed-in person chooses which emails they get. The kinds and who
receives them are in ``consultations.notifications``; every staff email links here."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import SelectMultipleField

from consultations import notifications
from tracker.db import db
from tracker.web.forms import Form, options
from tracker.web.roles import login_required

bp = Blueprint("notifications", __name__)


class PreferencesForm(Form):
    kinds = SelectMultipleField("Email me about", widget=GovCheckboxesInput(), validate_choice=True,
                                description="Select all that apply. Unselect them all to get no emails.")


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    form = PreferencesForm()
    form.kinds.choices = options((kind, notifications.STAFF_KINDS[kind]) for kind in notifications.kinds_for(g.user))
    if request.method == "POST":
        if form.validate_on_submit():
            chosen = notifications.set_preferences(db.session, g.user, form.kinds.data or [])
            db.session.commit()
            on = sum(chosen.values())
            flash("Your choices have been saved: " + (f"you get {on} kind{'s' if on != 1 else ''} of email."
                                                      if on else "you get no emails."))
            return redirect(url_for("notifications.preferences"))
        return render_template("staff/notifications/preferences.html", form=form), 400
    form.kinds.data = [kind for kind, on in notifications.preferences(db.session, g.user).items() if on]
    return render_template("staff/notifications/preferences.html", form=form)
