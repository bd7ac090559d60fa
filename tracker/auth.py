"""Signing in, the signed-in user, and role checks on every staff route.

Roles: ``admin`` (users, consultations, frameworks), ``policy`` (triage, implementation),
``methodology`` (links to frameworks), ``approver`` (decisions, implementation) and
``viewer`` (reads everything staff can read, changes nothing). Every role can read the
staff pages; each change is allowed only to the roles named on its route.
"""
from __future__ import annotations

import functools
import hashlib
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

from .db import db
from .forms import Form
from .models import ROLES, User

READ_ROLES = ROLES
MIN_PASSWORD_LENGTH = 12
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")

bp = Blueprint("auth", __name__)


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
    user = session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


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


def password_stamp(user: User) -> str:
    """Changes whenever the user's password does: kept in the session at sign-in, so a
    password reset signs the user out everywhere else (a stolen session ends with it)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def start_session(user: User) -> None:
    session.clear()  # a fresh session on sign-in prevents session fixation
    session["user_id"] = user.id
    session["password_stamp"] = password_stamp(user)


@bp.before_app_request
def load_user() -> None:
    user_id = session.get("user_id")
    user = db.session.get(User, user_id) if user_id else None
    if user is not None and session.get("password_stamp") != password_stamp(user):
        session.clear()  # signed in before the password changed
        user = None
    g.user = user if user is not None and user.active else None


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


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    form = SignInForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            form.email.errors.append("The email address or password is not right")
        else:
            start_session(user)
            return redirect(next_url if is_safe_next(next_url) else url_for("browse.home"))
    return render_template("auth/sign_in.html", form=form), 200 if not form.errors else 400


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


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
