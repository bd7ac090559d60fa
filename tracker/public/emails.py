"""Public email pages, no account: stopping respondents' outcome emails and (below) email
subscriptions to a consultation or a standard. Every link here is signed for one purpose
(``tracker.mail.sign``); a page never says whether an address is subscribed.

The stop and unsubscribe addresses take a POST without a CSRF token: email programs send one
(``List-Unsubscribe-Post: List-Unsubscribe=One-Click``, RFC 8058) and the signed token in the
address is what authorises it. Their GET only shows a button, so a link scanner that follows
links changes nothing.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from consultations import respondent_emails, subscriptions
from consultations.models import Respondent
from consultations.subscriptions import EmailSubscription
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


# ---------------------------------------------------------------------------
# Email subscriptions to a consultation or a standard
# ---------------------------------------------------------------------------


def feed_target(feed: str):
    """(target type, id, title, feed endpoint and args) for the feed path a subscribe page is about;
    None for a feed that cannot be subscribed to by email (all decisions) or is not ours."""
    from tracker.public.feeds import current_standard, public_consultation_or_404

    try:
        endpoint, args = current_app.url_map.bind_to_environ(request.environ).match(feed or "", method="GET")
    except HTTPException:
        return None
    if endpoint == "feeds.consultation_feed":
        consultation = public_consultation_or_404(args["slug"])
        return "consultation", consultation.id, consultation.title, endpoint, args
    if endpoint == "feeds.standard_feed":
        item = current_standard(args["framework_key"], args["code"])
        if item is None:
            return None
        return "standard", item.id, f"Standard {item.label}", endpoint, args
    return None


@bp.route("/emails/subscribe", methods=["POST"])
@public
def subscribe():
    """Ask for emails about a consultation or standard; the answer is the same page whoever asks."""
    target = feed_target(request.form.get("feed", ""))
    if target is None:
        abort(404)
    target_type, target_id, title, endpoint, args = target
    try:
        subscriptions.subscribe(db.session, request.form.get("email", ""), target_type, target_id)
    except subscriptions.SubscriptionError as error:
        db.session.rollback()
        from tracker.public.feeds import render_subscribe_page

        return render_subscribe_page(endpoint, args, email_error=str(error), email=request.form.get("email", "")), 400
    db.session.commit()
    return render_template("public/emails/check_your_email.html", title=title)


def _subscription(purpose: str, token: str):
    value = mail.unsign(purpose, token)
    found = db.session.get(EmailSubscription, value) if isinstance(value, int) else None
    if found is None:
        abort(404)
    return found


@bp.route("/emails/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_subscription(token: str):
    """The link in the confirmation email: a button (a GET changes nothing, so link checkers in
    email systems do not subscribe anyone), then confirmed."""
    try:
        value = mail.unsign_timed("subscription-confirm", token, mail.CONFIRM_DAYS * 86400)
    except mail.Expired:
        return render_template("public/emails/link_expired.html"), 410
    found = db.session.get(EmailSubscription, value[0]) if isinstance(value, list) and len(value) == 2 else None
    if found is None or found.email != value[1]:
        abort(404)
    title = subscriptions.target_title(db.session, found.target_type, found.target_id)
    if request.method == "POST":
        subscriptions.confirm(db.session, found)
        db.session.commit()
        return render_template("public/emails/confirmed.html", title=title,
                               unsubscribe_url=url_for("emails.unsubscribe", token=mail.sign("subscription-stop", found.id)))
    return render_template("public/emails/confirm.html", title=title)


@bp.route("/emails/unsubscribe/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str):
    """One click from any subscription email (or its List-Unsubscribe header)."""
    found = _subscription("subscription-stop", token)
    title = subscriptions.target_title(db.session, found.target_type, found.target_id)
    if request.method == "POST":
        subscriptions.unsubscribe(db.session, found)
        db.session.commit()
        return render_template("public/emails/unsubscribed.html", title=title)
    return render_template("public/emails/unsubscribe.html", title=title)


def init_app(app) -> None:
    app.register_blueprint(bp)
    csrf = app.extensions["csrf"]
    # One-click (RFC 8058) posts carry no CSRF token: the signed token authorises them. Subscribing
    # needs none either: anyone may ask, and nothing happens until the address's owner confirms;
    # without it the public pages set no session cookie and stay cacheable.
    for view in (stop_outcome_emails, unsubscribe, subscribe, confirm_subscription):
        csrf.exempt(view)
