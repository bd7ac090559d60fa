"""Server-side sign-in sessions: what makes a cookie sign someone in, and what ends it.

Flask's session cookie is signed, not revocable: a copy saved before signing out would work for
ever. So the cookie holds only a random token, and a ``UserSession`` row (holding the token's
SHA-256, never the token) decides whether it still signs anyone in. Signing out, a password
reset, deactivating the user, an admin, the user themselves (from another browser), and the idle
and absolute timeouts end the row, and with it every copy of the cookie.

Plain functions taking a database session: they change and flush, and only a view commits.
``last_seen_at`` is written at most once a ``TOUCH_INTERVAL``, not on every request.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultations.models import utcnow

from consultations.workflow import AuditEvent, User, UserSession

TOUCH_INTERVAL = dt.timedelta(minutes=1)
USER_AGENT_LENGTH = 300

# Audit events about signing in are recorded on the user (so their history shows them) under
# these field names, which no column has; admin edit forms ignore them when checking for edits.
SIGN_IN_EVENTS = ("signed in", "signed out", "sign-in failed", "account locked", "account unlocked",
                  "sessions ended")

# Why a session ended, as stored in ``UserSession.end_reason``.
SIGNED_OUT, IDLE, EXPIRED, DEACTIVATED, PASSWORD_RESET, BY_ADMIN, BY_USER = (
    "signed out", "timed out", "expired", "deactivated", "password reset", "ended by an admin",
    "ended by the user")


@dataclass(frozen=True)
class Limits:
    """How long a session may stay unused (``idle``) and last in all (``lifetime``)."""

    idle: dt.timedelta
    lifetime: dt.timedelta

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(idle=dt.timedelta(minutes=float(config["SESSION_IDLE_MINUTES"])),
                   lifetime=dt.timedelta(hours=float(config["SESSION_LIFETIME_HOURS"])))

    @property
    def idle_text(self) -> str:
        return duration_text(self.idle)

    @property
    def lifetime_text(self) -> str:
        return duration_text(self.lifetime)


def duration_text(duration: dt.timedelta) -> str:
    """``30 minutes``, ``12 hours``, ``1 hour 30 minutes``: how long, in words."""
    minutes = max(1, round(duration.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


@dataclass
class Found:
    """What a cookie's token is worth: a live session, or none and (after a timeout) why."""

    record: UserSession | None = None
    user: User | None = None
    timed_out: str | None = None  # IDLE or EXPIRED when this request ended the session
    changed: bool = False  # something was written that the caller should commit


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def record_event(session: Session, user_id: int | None, field: str, detail: str, *,
                 actor_id: int | None = None) -> None:
    """An audit event about signing in, on the user it concerns (``user_id`` 0: no such user)."""
    session.add(AuditEvent(user_id=actor_id, entity_type="user", entity_id=user_id or 0, field=field, new=detail))


def describe_client(address: str, user_agent: str) -> str:
    return f"from {address or 'an unknown address'}" + (f" ({user_agent[:120]})" if user_agent else "")


def start(session: Session, user: User, *, address: str, user_agent: str) -> tuple[UserSession, str]:
    """A new session for ``user``: the row, and the token that only the cookie keeps."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = UserSession(token_hash=hash_token(token), user=user, created_at=now, last_seen_at=now,
                         address=address or "", user_agent=(user_agent or "")[:USER_AGENT_LENGTH])
    session.add(record)
    record_event(session, user.id, "signed in", describe_client(address, user_agent), actor_id=user.id)
    session.flush()
    return record, token


def find(session: Session, token: str | None, limits: Limits, now: dt.datetime | None = None) -> Found:
    """The live session a cookie's token belongs to (with its user loaded, in one query). A session
    past its idle or absolute limit, or of a deactivated user, is ended here and not returned."""
    if not token:
        return Found()
    now = now or utcnow()
    row = session.execute(select(UserSession, User).join(User, UserSession.user_id == User.id)
                          .where(UserSession.token_hash == hash_token(token))).first()
    if row is None or row[0].ended_at is not None:
        return Found()
    record, user = row
    if not user.active:
        end(record, DEACTIVATED, now)
        return Found(changed=True)
    if now - record.last_seen_at > limits.idle:
        end(record, IDLE, now)
        return Found(timed_out=IDLE, changed=True)
    if now - record.created_at > limits.lifetime:
        end(record, EXPIRED, now)
        return Found(timed_out=EXPIRED, changed=True)
    if now - record.last_seen_at >= TOUCH_INTERVAL:
        record.last_seen_at = now
        return Found(record, user, changed=True)
    return Found(record, user)


def end(record: UserSession, reason: str, now: dt.datetime | None = None) -> None:
    if record.ended_at is None:
        record.ended_at = now or utcnow()
        record.end_reason = reason


def sign_out(session: Session, record: UserSession) -> None:
    end(record, SIGNED_OUT)
    record_event(session, record.user_id, "signed out", describe_client(record.address, record.user_agent),
                 actor_id=record.user_id)
    session.flush()


def live_sessions(session: Session, user: User, limits: Limits, now: dt.datetime | None = None) -> list[UserSession]:
    """The user's sessions that still sign someone in, most recently used first."""
    now = now or utcnow()
    return list(session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None),
               UserSession.last_seen_at >= now - limits.idle, UserSession.created_at >= now - limits.lifetime)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def end_sessions(session: Session, user: User, reason: str, *, keep: UserSession | None = None,
                 only: int | None = None, actor: User | None = None) -> int:
    """End the user's sessions (all, all but ``keep``, or just the one with id ``only``), with one
    audit event saying how many and why; returns how many were ended."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    if only is not None:
        query = query.where(UserSession.id == only)
    count = session.execute(query.values(ended_at=utcnow(), end_reason=reason)).rowcount
    if count:
        record_event(session, user.id, "sessions ended", f"{count} ended: {reason}",
                     actor_id=actor.id if actor is not None else None)
        session.flush()
    return count
