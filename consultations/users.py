"""Managing staff users: create, change name, role and status, reset a password.

Plain functions taking a session: they check, change and flush, and never commit. A refusal is
a ``UserFieldError`` naming the form field it belongs to, so a page can show it next to that
field. ``create_user`` is the one place that normalises emails and hashes passwords (the command
line uses it); ``add_user`` checks first so each refusal from the admin form has its field.

Who may do what is decided by the role on each route; the rules here are the ones that hold
whatever the route: an admin cannot lock themselves out, so there is always one active admin.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from consultations import user_sessions as sessions
from consultations.workflow import ROLES, User, UserSession

MIN_PASSWORD_LENGTH = 12
# werkzeug's scrypt; the app factory sets PASSWORD_HASH_METHOD here (the tests use a cheap one).
password_hash_method = "scrypt"
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password
# (one per hash method, made when first needed: the same work as checking a real password).
_DUMMY_HASHES: dict[str, str] = {}

# What each role can change, in plain words; everyone can read every staff page.
ROLE_DESCRIPTIONS = {
    "admin": "Manages users and their roles, consultations and their questions, and uploads frameworks.",
    "policy": "Triages responses, edits their recommendations, records respondents' consent and "
              "updates implementation actions.",
    "methodology": "Links recommendations to standards and objectives: confirms, rejects and adds links.",
    "approver": "Records, approves and publishes decisions, and manages implementation actions.",
    "viewer": "Reads every staff page but cannot change anything.",
}


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
    """With ``password_hash_method``: werkzeug's scrypt unless the app was configured otherwise."""
    return generate_password_hash(password, method=password_hash_method)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None; the same work either way."""
    user = session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


def _dummy_hash() -> str:
    method = password_hash_method
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY_HASHES[method]




class UserFieldError(UserError):
    """A refusal that belongs to one form field (``field``), with a message saying what to do."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def email_taken(session: Session, email: str, *, except_user: User | None = None) -> bool:
    query = select(User.id).where(func.lower(User.email) == normalise_email(email))
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return session.scalar(query) is not None


def check_password(password: str | None) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserFieldError("password", f"The password must be at least {MIN_PASSWORD_LENGTH} characters long")


def add_user(session: Session, *, email: str, name: str, role: str, password: str) -> User:
    """Create an active user; refuse a malformed or existing email, an unknown role, a short password."""
    email = normalise_email(email)
    if "@" not in email.strip("@"):
        raise UserFieldError("email", "Enter an email address in the correct format, like name@example.org")
    if email_taken(session, email):
        raise UserFieldError("email", f"A user with the email address {email} already exists")
    _check_role(role)
    check_password(password)
    return create_user(session, email, role, password, (name or "").strip() or None)


def update_user(session: Session, user: User, *, name: str, role: str, active: bool, acting_user: User) -> User:
    """Change a user's name, role and status; the acting admin cannot lock themselves out, and
    deactivating a user ends their sessions at once."""
    name = (name or "").strip()
    if not name:
        raise UserFieldError("name", "Enter the person's name")
    _check_role(role)
    if user.id == acting_user.id:
        if not active:
            raise UserFieldError("active", "You cannot deactivate your own account. Ask another admin to do it")
        if role != "admin" and user.role == "admin":
            raise UserFieldError("role", "You cannot remove your own admin role. Ask another admin to do it")
    if user.active and not active:
        sessions.end_sessions(session, user, sessions.DEACTIVATED, actor=acting_user)
    user.name = name
    user.role = role
    user.active = active
    session.flush()
    return user


def set_password(session: Session, user: User, password: str, *, keep: UserSession | None = None,
                 actor: User | None = None) -> None:
    """Replace a user's password with a hash of ``password`` (the audit log never records it), and
    end every session of theirs but ``keep``: whoever had the old password is signed out."""
    check_password(password)
    user.password_hash = hash_password(password)
    sessions.end_sessions(session, user, sessions.PASSWORD_RESET, keep=keep, actor=actor)
    session.flush()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserFieldError("role", f"Select a role: {', '.join(ROLES)}")
