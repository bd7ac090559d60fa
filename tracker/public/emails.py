"""Public email pages, no account: stopping respondents' outcome emails and (below) email
subscriptions to a consultation or a standard. Every link here is signed for one purpose
(``tracker.mail.sign``); a page never says whether an address is subscribed.

The stop and unsubscribe addresses take a POST without a CSRF token: email programs send one
(``List-Unsubscribe-Post: List-Unsubscribe=One-Click``, RFC 8058) and the signed token in the
address is what authorises it. Their GET only shows a button, so a link scanner that follows
links changes nothing.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from consultations import respondent_emails
from consultations.models import Respondent
from tracker import mail
from tracker.db import db
from tracker.web.roles import public

bp = Blueprint("emails", __name__)


@bp.route("/emails/stop/<token>", methods=["GET", "POST"])
@public
def stop_outcome_emails(token: str):
    """A respondent stops the emails about what was decided on their recommendations."""
    respondent_id = mail.unsign("respondent-stop", token)
    respondent = db.session.get(Respondent, respondent_id) if isinstance(respondent_id, int) else None
    if respondent is None:
        abort(404)
    if request.method == "POST":
        respondent_emails.set_outcome_emails(respondent, "no")
        db.session.commit()
        return render_template("public/emails/stopped.html")
    return render_template("public/emails/stop.html")


def init_app(app) -> None:
    app.register_blueprint(bp)
    csrf = app.extensions["csrf"]
    csrf.exempt(stop_outcome_emails)
