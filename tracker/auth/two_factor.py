"""Two-factor sign-in pages (the rules are ``consultations.two_factor``).

Signing in: after the right password a user with two-factor sign-in is not signed in yet. The
Flask cookie (signed) remembers who passed the password step and when (``PENDING``, for
``PENDING_MINUTES``), and ``/sign-in/two-factor`` asks for the code; an admin who must use
two-factor sign-in (``TWO_FACTOR_REQUIRED_FOR_ADMINS``) and has not set it up is taken to
``/sign-in/two-factor/set-up`` first. Wrong codes count with wrong passwords in the sign-in
throttle and are audited. Only then does a session start.

Signed in: ``/staff/two-factor`` sets it up (QR code made with segno, or the secret typed into
the app), replaces the recovery codes, or turns it off; an admin resets it for someone on the
user's admin page (``tracker.staff.admin.users``).
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from markupsafe import Markup

from consultations import two_factor
from consultations.models import utcnow
from consultations.workflow import User
from tracker.auth import sign_in as rules
from tracker.auth.forms import CodeForm, TurnOffForm
from tracker.auth.views import account_bp, bp, lock_message, start_cookie
from tracker.db import db
from tracker.web.roles import is_safe_next, login_required, public

PENDING = "two_factor_pending"
PENDING_MINUTES = 5


def remember_pending(user: User, step: str, next_url: str | None) -> None:
    session.clear()
    session[PENDING] = {"user": user.id, "step": step, "at": utcnow().isoformat(),
                        "next": next_url if is_safe_next(next_url) else None}


def pending_user() -> tuple[User | None, dict]:
    """Who passed the password step in this browser in the last few minutes, if anyone."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None, {}
    try:
        started = dt.datetime.fromisoformat(pending["at"])
    except (KeyError, TypeError, ValueError):
        return None, {}
    if utcnow() - started > dt.timedelta(minutes=PENDING_MINUTES):
        session.pop(PENDING, None)
        return None, {}
    user = db.session.get(User, pending.get("user"))
    return (user, pending) if user is not None and user.active else (None, {})


def qr_code(uri: str) -> Markup:
    """The QR code of the otpauth:// address as inline SVG (no script, no style attribute)."""
    import segno  # imported by the set-up page, the one that shows a code, not at start-up

    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#0b0c0c", title="QR code for your authenticator app")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1))


def setup_context(user: User) -> dict:
    settings = two_factor.begin_setup(db.session, user)
    db.session.commit()
    uri = two_factor.provisioning_uri(settings.secret, user.email, current_app.config["SERVICE_NAME"])
    spaced = " ".join(settings.secret[i:i + 4] for i in range(0, len(settings.secret), 4))
    return {"qr": qr_code(uri), "secret": spaced}


def _signed_in(attempt, pending: dict, codes: list[str] | None = None):
    start_cookie(attempt.token)
    if codes:
        return render_template("auth/recovery_codes.html", codes=codes, signing_in=True,
                               next_url=pending.get("next") or url_for("work.home"))
    return redirect(pending.get("next") or url_for("work.home"))


def _locked(form, lock, template: str, **context):
    form.code.errors.append(lock_message(lock))
    return (render_template(template, form=form, **context), 429, {"Retry-After": str(lock.seconds_left())})


@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
@public
def code_step():
    user, pending = pending_user()
    if user is None or pending.get("step") != rules.CODE:
        flash("Sign in again: it is more than 5 minutes since you entered your password.")
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        attempt = rules.attempt_code(db.session, user, form.code.data, address=request.remote_addr,
                                     user_agent=request.user_agent.string, rules=rules.throttle_rules())
        db.session.commit()
        if attempt.token:
            return _signed_in(attempt, pending)
        if attempt.lock is not None:
            return _locked(form, attempt.lock, "auth/two_factor_code.html")
        form.code.errors.append("The code is not right. Enter the code your authenticator app shows now, "
                                "or one of your recovery codes")
    return render_template("auth/two_factor_code.html", form=form), 400 if form.errors else 200


@bp.route("/sign-in/two-factor/set-up", methods=["GET", "POST"])
@public
def set_up_step():
    """An admin who must use two-factor sign-in sets it up before their first session."""
    user, pending = pending_user()
    if user is None or pending.get("step") != rules.SET_UP:
        flash("Sign in again: it is more than 5 minutes since you entered your password.")
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    context = {"action": url_for("auth.set_up_step"), "signing_in": True}
    if form.validate_on_submit():
        from tracker.auth import throttle

        account, client = throttle.account_key(user.email), throttle.address_key(request.remote_addr)
        lock = throttle.lock_for(db.session, account, client, rules.throttle_rules())
        if lock is not None:
            return _locked(form, lock, "auth/two_factor_set_up.html", **context, **setup_context(user))
        try:
            codes = two_factor.confirm_setup(db.session, user, form.code.data)
        except two_factor.TwoFactorError as refusal:
            db.session.rollback()
            throttle.record_failure(db.session, account, client)
            db.session.commit()
            form.code.errors.append(str(refusal))
        else:
            attempt = rules.finish_sign_in(db.session, user, address=request.remote_addr,
                                           user_agent=request.user_agent.string)
            db.session.commit()
            return _signed_in(attempt, pending, codes)
    return (render_template("auth/two_factor_set_up.html", form=form, **context, **setup_context(user)),
            400 if form.errors else 200)


# --- the signed-in user's own two-factor settings ------------------------------------------


@account_bp.route("/two-factor")
@login_required
def settings_page():
    return render_template("auth/two_factor.html", enabled=two_factor.is_enabled(db.session, g.user.id),
                           codes_left=two_factor.recovery_codes_left(db.session, g.user.id),
                           required=two_factor.required_for(g.user, admins_required=rules.admins_need_two_factor()),
                           turn_off_form=TurnOffForm(prefix="off"))


@account_bp.route("/two-factor/set-up", methods=["GET", "POST"])
@login_required
def set_up():
    if two_factor.is_enabled(db.session, g.user.id):
        return redirect(url_for("account.settings_page"))
    form = CodeForm()
    context = {"action": url_for("account.set_up"), "signing_in": False}
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_setup(db.session, g.user, form.code.data)
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes, signing_in=False)
        except two_factor.TwoFactorError as refusal:
            db.session.rollback()
            form.code.errors.append(str(refusal))
    return (render_template("auth/two_factor_set_up.html", form=form, **context, **setup_context(g.user)),
            400 if form.errors else 200)


@account_bp.route("/two-factor/recovery-codes", methods=["POST"])
@login_required
def new_recovery_codes():
    try:
        codes = two_factor.regenerate_recovery_codes(db.session, g.user)
    except two_factor.TwoFactorError as refusal:
        db.session.rollback()
        flash(str(refusal))
        return redirect(url_for("account.settings_page"))
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes, signing_in=False)


@account_bp.route("/two-factor/turn-off", methods=["POST"])
@login_required
def turn_off():
    form = TurnOffForm(prefix="off")
    problem = None
    if form.validate_on_submit():
        if two_factor.verify(db.session, g.user, form.code.data) != two_factor.TOTP:
            problem = "The code is not right. Enter the code your authenticator app shows now"
        else:
            try:
                two_factor.turn_off(db.session, g.user, actor=g.user, admins_required=rules.admins_need_two_factor())
                db.session.commit()
                flash("Two-factor sign-in is off. You now sign in with your password alone.")
                return redirect(url_for("account.settings_page"))
            except two_factor.TwoFactorError as refusal:
                problem = str(refusal)
        db.session.rollback()
        form.code.errors.append(problem)
    return (render_template("auth/two_factor.html", enabled=two_factor.is_enabled(db.session, g.user.id),
                            codes_left=two_factor.recovery_codes_left(db.session, g.user.id),
                            required=two_factor.required_for(g.user, admins_required=rules.admins_need_two_factor()),
                            turn_off_form=form), 400)
