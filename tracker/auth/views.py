"""Signing in and out, the signed-in user loaded from the session cookie, and the user's own
sessions page. Who may use which route is in ``tracker.web.roles``."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from consultations import user_sessions as sessions
from tracker.auth import sign_in as sign_in_rules
from tracker.auth import throttle
from tracker.auth.forms import SignInForm
from tracker.auth.sign_in import attempt_sign_in, session_limits, throttle_rules
from tracker.db import db
from tracker.web.roles import is_safe_next, login_required, public

SESSION_TOKEN = "session_token"  # the key of the server-side session's token in Flask's cookie
TIMED_OUT = "timed_out"  # set in the cookie when a timeout ended the session, for the sign-in page

bp = Blueprint("auth", __name__)
account_bp = Blueprint("account", __name__)  # the signed-in user's own pages, under /staff/


def init_app(app) -> None:
    from tracker.auth import two_factor  # noqa: F401 (its routes join bp and account_bp)

    sign_in_rules.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(account_bp, url_prefix="/staff")


def start_cookie(token: str) -> None:
    session.clear()  # a fresh cookie on sign-in prevents session fixation
    session[SESSION_TOKEN] = token


@bp.before_app_request
def load_user() -> None:
    """The signed-in user, from the server-side session the cookie's token names (one query)."""
    g.user = g.user_session = None
    token = session.get(SESSION_TOKEN)
    if not token:
        return
    found = sessions.find(db.session, token, session_limits())
    if found.changed:
        db.session.commit()  # a timeout, or last seen (at most once a minute)
    if found.record is None:
        session.clear()
        if found.timed_out:
            session[TIMED_OUT] = found.timed_out
        return
    g.user, g.user_session = found.user, found.record
    db.session.info["actor_id"] = found.user.id  # the audit log's "who" (consultations.audit)


@bp.teardown_app_request
def forget_actor(error=None) -> None:
    db.session.info.pop("actor_id", None)



def lock_message(lock: throttle.Lock) -> str:
    if lock.scope == throttle.ACCOUNT:
        return (f"There have been too many attempts to sign in to this account. Wait {lock.wait_text()}, "
                "then try again, or ask an admin to unlock the account")
    return (f"There have been too many failed attempts to sign in from your network. "
            f"Wait {lock.wait_text()}, then try again")


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    form = SignInForm()
    next_url = request.args.get("next")
    timed_out = session.pop(TIMED_OUT, None)
    if form.validate_on_submit():
        attempt = attempt_sign_in(db.session, form.email.data, form.password.data, address=request.remote_addr,
                                  user_agent=request.user_agent.string, rules=throttle_rules(),
                                  admins_required=sign_in_rules.admins_need_two_factor())
        db.session.commit()
        if attempt.second_step:
            from tracker.auth.two_factor import remember_pending

            remember_pending(attempt.user, attempt.second_step, next_url)
            return redirect(url_for("auth.code_step" if attempt.second_step == sign_in_rules.CODE
                                    else "auth.set_up_step"))
        if attempt.token:
            start_cookie(attempt.token)
            return redirect(next_url if is_safe_next(next_url) else url_for("work.home"))
        if attempt.lock is not None:
            form.email.errors.append(lock_message(attempt.lock))
            return (render_template("auth/sign_in.html", form=form), 429,
                    {"Retry-After": str(attempt.lock.seconds_left())})
        form.email.errors.append("The email address or password is not right")
    return (render_template("auth/sign_in.html", form=form, timed_out=timed_out, limits=session_limits()),
            400 if form.errors else 200)


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    if g.user_session is not None:
        sessions.sign_out(db.session, g.user_session)
        db.session.commit()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


@account_bp.route("/sessions")
@login_required
def sessions_page():
    """Where the user is signed in, so they can end a session they do not recognise."""
    return render_template("auth/sessions.html",
                           records=sessions.live_sessions(db.session, g.user, session_limits()),
                           limits=session_limits())


@account_bp.route("/sessions/end", methods=["POST"])
@login_required
def end_other_sessions():
    """End one other session of this user (``session_id`` in the form), or all the others."""
    only = request.form.get("session_id", type=int)
    count = sessions.end_sessions(db.session, g.user, sessions.BY_USER, keep=g.user_session, only=only, actor=g.user)
    db.session.commit()
    flash("You have been signed out of that session." if only else
          f"You have been signed out of {count} other session{'s' if count != 1 else ''}.")
    return redirect(url_for("account.sessions_page"))
