"""Two-factor sign-in: a time-based one-time code (TOTP, RFC 6238, with pyotp) from an
authenticator app after the password, and single-use recovery codes for a lost phone.

Optional for every user; an installation can require it for admins (``required_for``). The
secret and the recovery codes' hashes live in ``UserTwoFactor``, a row of its own rather than
columns of ``User``: signing in changes ``last_step`` every time, and that must neither bump the
user's version (an admin's edit form would see a conflict) nor fill the audit log. Nothing
secret is ever logged; each event (set up, turned off, reset by an admin, recovery code used,
wrong code) is an audit event on the user (``user_sessions.record_event``).

A code is accepted for the current 30-second step and one either side (clocks drift), and once
only: a step at or before the last one used is refused, so a code seen over someone's shoulder
cannot be used again. Recovery codes are random (50 bits each), stored as SHA-256 hashes, and
each works once.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Any

import pyotp
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from consultations import user_sessions as sessions
from consultations.models import Base, utcnow
from consultations.workflow import User

RECOVERY_CODES = 10
WINDOW = 1  # steps either side of now that are accepted
TOTP, RECOVERY = "authenticator code", "recovery code"


class TwoFactorError(ValueError):
    """Two-factor sign-in cannot be set up or changed; the message says why."""


class UserTwoFactor(Base):
    __tablename__ = "user_two_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    # None while being set up: the user has not yet shown a code from their app.
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_step: Mapped[int | None] = mapped_column(Integer)
    recovery_hashes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def settings(session: Session, user_id: int) -> UserTwoFactor | None:
    return session.scalar(select(UserTwoFactor).where(UserTwoFactor.user_id == user_id))


def is_enabled(session: Session, user_id: int) -> bool:
    found = settings(session, user_id)
    return found is not None and found.confirmed_at is not None


def required_for(user: User, *, admins_required: bool) -> bool:
    return admins_required and user.role == "admin"


def begin_setup(session: Session, user: User) -> UserTwoFactor:
    """A new secret for the user to add to their app (replacing an unconfirmed one). Refused when
    two-factor sign-in is already on: turn it off first, so a secret is never silently replaced."""
    found = settings(session, user.id)
    if found is not None and found.confirmed_at is not None:
        raise TwoFactorError("Two-factor sign-in is already set up")
    if found is None:
        found = UserTwoFactor(user_id=user.id, secret=pyotp.random_base32(), recovery_hashes=[])
        session.add(found)
    else:
        found.secret = pyotp.random_base32()
    session.flush()
    return found


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def _clean_code(code: str | None) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step whose code this is (now, or one either side), or None."""
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    timestamp = int(now.replace(tzinfo=dt.timezone.utc).timestamp())
    step = timestamp // totp.interval
    for candidate in range(step - WINDOW, step + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _hash(code: str) -> str:
    return hashlib.sha256(_clean_code(code).encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread

    def one() -> str:
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        return f"{raw[:5]}-{raw[5:]}"

    return [one() for _ in range(RECOVERY_CODES)]


def confirm_setup(session: Session, user: User, code: str, *, now: dt.datetime | None = None) -> list[str]:
    """Turn two-factor sign-in on once the user shows a code from their app; returns the recovery
    codes to show them, once (only their hashes are kept)."""
    found = settings(session, user.id)
    if found is None:
        raise TwoFactorError("Start setting up two-factor sign-in again")
    if found.confirmed_at is not None:
        raise TwoFactorError("Two-factor sign-in is already set up")
    step = _matching_step(found.secret, _clean_code(code), now or utcnow())
    if step is None:
        raise TwoFactorError("The code is not right. Enter the 6-digit code your authenticator app shows now")
    codes = new_recovery_codes()
    found.confirmed_at, found.last_step = now or utcnow(), step
    found.recovery_hashes = [_hash(code) for code in codes]
    sessions.record_event(session, user.id, "two-factor set up", "authenticator app", actor_id=user.id)
    session.flush()
    return codes


def verify(session: Session, user: User, code: str, *, now: dt.datetime | None = None) -> str | None:
    """TOTP or RECOVERY when ``code`` is a right, unused code (a recovery code is then used up),
    else None. Records nothing on failure: the caller throttles and audits."""
    found = settings(session, user.id)
    if found is None or found.confirmed_at is None:
        return None
    cleaned = _clean_code(code)
    step = _matching_step(found.secret, cleaned, now or utcnow())
    if step is not None:
        if found.last_step is not None and step <= found.last_step:
            return None  # used already
        found.last_step = step
        session.flush()
        return TOTP
    hashed = _hash(cleaned)
    if len(cleaned) == 10 and any(hmac.compare_digest(hashed, kept) for kept in found.recovery_hashes):
        found.recovery_hashes = [kept for kept in found.recovery_hashes if kept != hashed]
        left = len(found.recovery_hashes)
        sessions.record_event(session, user.id, "recovery code used", f"{left} left", actor_id=user.id)
        session.flush()
        return RECOVERY
    return None


def recovery_codes_left(session: Session, user_id: int) -> int:
    found = settings(session, user_id)
    return len(found.recovery_hashes) if found is not None and found.confirmed_at is not None else 0


def regenerate_recovery_codes(session: Session, user: User) -> list[str]:
    found = settings(session, user.id)
    if found is None or found.confirmed_at is None:
        raise TwoFactorError("Set up two-factor sign-in first")
    codes = new_recovery_codes()
    found.recovery_hashes = [_hash(code) for code in codes]
    sessions.record_event(session, user.id, "recovery codes replaced", "the old ones no longer work",
                          actor_id=user.id)
    session.flush()
    return codes


def turn_off(session: Session, user: User, *, actor: User, admins_required: bool) -> None:
    """Remove the user's two-factor sign-in: by themselves (not an admin who must have it), or
    reset by an admin for someone who lost their phone and their recovery codes."""
    found = settings(session, user.id)
    if found is None:
        raise TwoFactorError("Two-factor sign-in is not set up")
    if actor.id == user.id and required_for(user, admins_required=admins_required):
        raise TwoFactorError("Admins must use two-factor sign-in here, so you cannot turn it off. "
                             "To move it to a new phone, ask another admin to reset it")
    session.delete(found)
    sessions.record_event(session, user.id, "two-factor turned off" if actor.id == user.id else "two-factor reset",
                          "by the user" if actor.id == user.id else "by an admin", actor_id=actor.id)
    session.flush()
