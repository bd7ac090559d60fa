"""Signing in, the signed-in user, and role checks on every staff route.

Roles: ``admin`` (users, consultations, frameworks), ``policy`` (triage, implementation),
``methodology`` (links to frameworks), ``approver`` (decisions, implementation) and
``viewer`` (reads everything staff can read, changes nothing). Every role can read the
staff pages; each change is allowed only to the roles named on its route.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlsplit

import click
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    has_app_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from . import sessions, throttle
from .db import db
from .forms import Form
from .models import ROLES, User, UserSession

READ_ROLES = ROLES
MIN_PASSWORD_LENGTH = 12
SESSION_TOKEN = "session_token"  # the key of the server-side session's token in Flask's cookie
TIMED_OUT = "timed_out"  # set in the cookie when a timeout ended the session, for the sign-in page
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password
# (one per hash method, made when first needed: the same work as checking a real password).
_DUMMY_HASHES: dict[str, str] = {}

bp = Blueprint("auth", __name__)
account_bp = Blueprint("account", __name__)  # the signed-in user's own pages, under /staff/


def init_app(app) -> None:
    """Check the session and throttling settings when the app starts, not at the first sign-in."""
    try:
        app.extensions["sign_in"] = (sessions.Limits.from_config(app.config), throttle.Rules.from_config(app.config))
    except (TypeError, ValueError) as error:
        raise RuntimeError(
            "SESSION_IDLE_MINUTES, SESSION_LIFETIME_HOURS, SIGN_IN_LOCKOUT_MINUTES, SIGN_IN_ACCOUNT_LIMIT and "
            f"SIGN_IN_ADDRESS_LIMIT must be numbers (limits: whole numbers): {error}") from None
    app.register_blueprint(bp)
    app.register_blueprint(account_bp, url_prefix="/staff")


def session_limits() -> sessions.Limits:
    return current_app.extensions["sign_in"][0]


def throttle_rules() -> throttle.Rules:
    return current_app.extensions["sign_in"][1]


class UserError(ValueError):
    """A user cannot be created or changed; the message says why."""


def create_user(session: Session, email: str, role: str, password: str, name: str | None = None) -> User:
    email = (email or "").strip().lower()
    if "@" not in email:
        raise UserError(f"'{email}' is not an email address.")
    if role not in ROLES:
        raise UserError(f"Role must be one of {', '.join(ROLES)}, not '{role}'.")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if session.scalar(select(User).where(func.lower(User.email) == email)):
        raise UserError(f"A user with the email {email} already exists.")
    user = User(email=email, name=name or email.split("@")[0], role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def hash_password(password: str) -> str:
    """werkzeug's scrypt by default; the test suite configures a cheaper method for speed."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    return generate_password_hash(password, method=method)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None; the same work either way."""
    user = session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


def _dummy_hash() -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY_HASHES[method]


@dataclass
class Attempt:
    """The outcome of a sign-in: a user and their new session (and its token for the cookie),
    or a lock saying how long to wait, or neither (wrong email or password)."""

    user: User | None = None
    record: UserSession | None = None
    token: str | None = None
    lock: throttle.Lock | None = None


def attempt_sign_in(session: Session, email: str, password: str, *, address: str | None, user_agent: str,
                    rules: throttle.Rules) -> Attempt:
    """Check the throttle first (a locked account or address is refused whatever the password),
    then the password; record a failure (and the audit event), or start a session."""
    account, client = throttle.account_key(email), throttle.address_key(address)
    lock = throttle.lock_for(session, account, client, rules)
    if lock is not None:
        return Attempt(lock=lock)
    user = authenticate(session, email, password)
    if user is None:
        known = session.scalar(select(User.id).where(func.lower(User.email) == account))
        throttle.record_failure(session, account, client)
        sessions.record_event(session, known, "sign-in failed", sessions.describe_client(address or "", user_agent))
        lock = throttle.lock_for(session, account, client, rules)
        if lock is not None and lock.scope == throttle.ACCOUNT and known:
            sessions.record_event(session, known, "account locked", f"until {lock.until:%H:%M} UTC")
        return Attempt(lock=lock)
    throttle.clear_account(session, account)
    record, token = sessions.start(session, user, address=address or "", user_agent=user_agent)
    return Attempt(user=user, record=record, token=token)


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative ``//evil``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def role_required(*roles: str):
    """Redirect anonymous visitors to sign in; refuse signed-in users without a listed role."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # read by the role x route test matrix
        return wrapped

    return decorator


login_required = role_required(*READ_ROLES)


def public(view):
    """Marks a route anyone may use, signed in or not, so that choice is explicit too."""
    view.allowed_roles = ("anyone",)
    return view


def can(*roles: str) -> bool:
    """For templates: show an action only to the roles that may take it."""
    return g.get("user") is not None and g.user.role in roles


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


# (endpoint, label, endpoints or blueprints it is active for, roles that see it). Entries whose
# endpoint is not registered are left out, so each blueprint appears once it exists.
STAFF_NAVIGATION = [
    ("browse.consultations", "Consultations", {"browse.consultations", "browse.consultation", "browse.response"}, READ_ROLES),
    ("triage.queue", "Triage", {"triage", "upload"}, READ_ROLES),
    ("mapping.coverage", "Standards coverage", {"mapping"}, READ_ROLES),
    ("implementation.dashboard", "Implementation", {"implementation", "decisions"}, READ_ROLES),
    ("browse.frameworks", "Frameworks", {"browse.frameworks", "browse.framework"}, READ_ROLES),
    ("admin.home", "Admin", {"admin"}, ("admin",)),
]


def staff_navigation() -> list[dict]:
    if g.get("user") is None:
        return []
    endpoint = request.endpoint or ""
    blueprint = endpoint.split(".")[0]
    return [
        {"href": url_for(target), "text": label, "active": endpoint in active or blueprint in active}
        for target, label, active, roles in STAFF_NAVIGATION
        if target in current_app.view_functions and g.user.role in roles
    ]


@bp.app_context_processor
def inject_user():
    return {"current_user": g.get("user"), "can": can, "staff_navigation": staff_navigation}


class SignInForm(Form):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[DataRequired("Enter your password")])


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
                                  user_agent=request.user_agent.string, rules=throttle_rules())
        db.session.commit()
        if attempt.token:
            start_cookie(attempt.token)
            return redirect(next_url if is_safe_next(next_url) else url_for("browse.home"))
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


users_cli = AppGroup("users", help="Create and list staff users.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", help="Display name (default: the part of the email before @).")
@click.password_option(help=f"At least {MIN_PASSWORD_LENGTH} characters; asked for if not given.")
def create_user_command(email: str, role: str, name: str | None, password: str) -> None:
    """Create a staff user with a role."""
    try:
        user = create_user(db.session, email, role, password, name)
        db.session.commit()
    except UserError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email} with the role {user.role}.")


@users_cli.command("list")
def list_users_command() -> None:
    """List users and their roles."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        click.echo(f"{user.email}  {user.role}{'' if user.active else '  (deactivated)'}")
