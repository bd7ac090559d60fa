"""The outbox: every email the service sends is first a row here, written in the same
transaction as the change that causes it, and sent later by ``flask --app tracker notify send``.

So a change that is rolled back sends nothing, and a change that is committed is never
without its message, whatever happens to the web process afterwards.

``enqueue`` is the one way in (domain code calls it; it adds the row and flushes, never
commits). A ``dedupe_key`` makes enqueueing idempotent: a second message with the same key
is not added (a daily reminder job run twice sends one reminder).

Sending (``claim_next`` → deliver → ``mark_sent`` / ``mark_failed``) is built for several
senders at once and for a sender killed at any moment:

* A sender *claims* one message at a time: on PostgreSQL the candidate row is locked with
  ``FOR UPDATE SKIP LOCKED`` (another sender skips it instead of waiting), and everywhere the
  claim is a conditional ``UPDATE ... WHERE state = <what we saw>``, which only one sender can
  win (SQLite serialises writes). The claim is committed before anything is sent: it sets the
  state to ``sending``, a random claim token, a lease (``claimed_until``) and counts the attempt.
* Only the holder of the token can mark the message sent or failed, and only a message that
  is ``pending`` and due, or ``sending`` with an expired lease, can be claimed. The lease is
  much longer than the SMTP timeout, so a live sender's message is never taken by another.
* A sender killed after claiming leaves the message ``sending``; when the lease expires the
  next run claims it again. Messages claimed but not yet handed to the SMTP server are thus
  retried without harm. The one exception, and the honest limit of any SMTP client: if the
  sender dies after the server accepted the message but before ``mark_sent`` is committed,
  that one message is sent again (at-least-once). Claiming one message at a time means at
  most one message per killed sender can be duplicated this way, and it keeps its
  ``Message-ID`` (``message_id``), so mail clients and servers that collapse duplicates by
  Message-ID show it once.
* A failed attempt is retried with exponential back-off (``retry_delay``) until
  ``max_attempts``, after which the message is ``failed`` with its last error (the admin page
  lists it). Attempts are counted at claim time, so a message that keeps killing its sender
  also ends up ``failed`` instead of looping for ever.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from consultations.models import Base, utcnow

STATES = ("pending", "sending", "sent", "failed")
MAX_RECIPIENT = 254
MAX_DEDUPE_KEY = 200
TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,79}$")
EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")

# Back-off: 1 minute, 2, 4, ... capped at 6 hours; a message is given up after 8 attempts
# (about 4 hours of retries). The sender passes the installation's settings.
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 6 * 3600
MAX_ATTEMPTS = 8
LEASE_SECONDS = 300


class OutboxError(ValueError):
    """A message cannot be enqueued; the message says why."""


class OutboxMessage(Base):
    """One email to one recipient: which template, with what context, and where it is."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(MAX_RECIPIENT))
    template: Mapped[str] = mapped_column(String(80))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Set for messages that must exist once (a reminder per action per day); unique when set.
    dedupe_key: Mapped[str | None] = mapped_column(String(MAX_DEDUPE_KEY), unique=True)
    # The Message-ID header, the same on every attempt.
    message_id: Mapped[str] = mapped_column(String(200))


def enqueue(session: Session, *, recipient: str, template: str, context: dict[str, Any] | None = None,
            dedupe_key: str | None = None, send_after: dt.datetime | None = None) -> OutboxMessage | None:
    """Add a message to the outbox in the caller's transaction (flushes, never commits).

    ``template`` names the pair ``templates/email/<template>.txt`` / ``.html`` the sender
    renders with ``context`` (JSON-serialisable values only). With ``dedupe_key``, a message
    with that key already in the outbox (in any state) means nothing is added and None is
    returned. ``send_after`` delays the first attempt.
    """
    recipient = (recipient or "").strip()
    if not EMAIL.match(recipient) or len(recipient) > MAX_RECIPIENT:
        raise OutboxError(f"'{recipient}' is not an email address a message can be sent to.")
    if not TEMPLATE_NAME.match(template or ""):
        raise OutboxError(f"'{template}' is not a template name (lower case letters, digits and _).")
    if dedupe_key is not None:
        if not dedupe_key or len(dedupe_key) > MAX_DEDUPE_KEY:
            raise OutboxError(f"A dedupe key is 1 to {MAX_DEDUPE_KEY} characters long.")
        # Also one pending in this very session (autoflush is not relied upon).
        for obj in session.new:
            if isinstance(obj, OutboxMessage) and obj.dedupe_key == dedupe_key:
                return None
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
            return None
    now = utcnow()
    message = OutboxMessage(
        recipient=recipient, template=template, context=dict(context or {}), state="pending", attempts=0,
        next_attempt_at=send_after or now, created_at=now, dedupe_key=dedupe_key,
        message_id=f"{secrets.token_hex(16)}",
    )
    session.add(message)
    session.flush()
    return message


def retry_delay(attempts: int, base: int = RETRY_BASE_SECONDS, cap: int = RETRY_MAX_SECONDS) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt: base, 2 x base, 4 x base, ..., at most ``cap``."""
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _claimable(now: dt.datetime):
    return or_(
        (OutboxMessage.state == "pending") & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.state == "sending") & (OutboxMessage.claimed_until < now),
    )


def claim_next(session: Session, now: dt.datetime | None = None, *, lease_seconds: int = LEASE_SECONDS,
               max_attempts: int = MAX_ATTEMPTS) -> tuple[OutboxMessage, str] | None:
    """Claim the next due message for this sender: (message, claim token), or None when none is due.

    The caller commits straight after, before sending. A message found ``sending`` with an
    expired lease that has used up its attempts is marked ``failed`` instead (its sender died
    with it every time) and the next one is tried.
    """
    now = now or utcnow()
    postgres = session.get_bind().dialect.name == "postgresql"
    while True:
        query = select(OutboxMessage.id, OutboxMessage.state, OutboxMessage.attempts).where(
            _claimable(now)).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1 if postgres else 20)
        if postgres:
            query = query.with_for_update(skip_locked=True, of=OutboxMessage)
        candidates = session.execute(query).all()
        if not candidates:
            return None
        for message_id, state, attempts in candidates:
            if state == "sending" and attempts >= max_attempts:
                done = session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message_id, OutboxMessage.state == "sending",
                           OutboxMessage.claimed_until < now)
                    .values(state="failed", claim_token=None, claimed_until=None,
                            last_error=(f"Gave up after {attempts} attempts: the sender stopped while sending "
                                        "(killed or crashed) each time."))
                    .execution_options(synchronize_session=False))
                continue
            token = secrets.token_hex(16)
            done = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, _claimable(now))
                .values(state="sending", claim_token=token, claimed_until=now + dt.timedelta(seconds=lease_seconds),
                        attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False))
            if done.rowcount == 1:
                message = session.get(OutboxMessage, message_id, populate_existing=True)
                return message, token
        # every candidate was taken by another sender meanwhile: look again


def mark_sent(session: Session, message_id: int, token: str, now: dt.datetime | None = None) -> bool:
    """Record that the message went; False if this sender no longer holds it (nothing changes)."""
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token, OutboxMessage.state == "sending")
        .values(state="sent", sent_at=now or utcnow(), claim_token=None, claimed_until=None, last_error=None)
        .execution_options(synchronize_session=False))
    return done.rowcount == 1


def mark_failed(session: Session, message_id: int, token: str, error: str, now: dt.datetime | None = None, *,
                permanent: bool = False, max_attempts: int = MAX_ATTEMPTS, base: int = RETRY_BASE_SECONDS,
                cap: int = RETRY_MAX_SECONDS) -> str | None:
    """Record a failed attempt: back to ``pending`` after the back-off, or ``failed`` when
    ``permanent`` (the server refused the address) or out of attempts. The new state, or None
    if this sender no longer holds the message."""
    now = now or utcnow()
    attempts = session.scalar(select(OutboxMessage.attempts).where(
        OutboxMessage.id == message_id, OutboxMessage.claim_token == token))
    if attempts is None:
        return None
    state = "failed" if permanent or attempts >= max_attempts else "pending"
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token, OutboxMessage.state == "sending")
        .values(state=state, claim_token=None, claimed_until=None, last_error=(error or "")[:2000],
                next_attempt_at=now + retry_delay(attempts, base, cap))
        .execution_options(synchronize_session=False))
    return state if done.rowcount == 1 else None


def retry(session: Session, message: OutboxMessage, now: dt.datetime | None = None) -> None:
    """An admin sends a failed message again: pending now, with fresh attempts."""
    if message.state != "failed":
        raise OutboxError("Only a message that failed can be sent again.")
    message.state = "pending"
    message.attempts = 0
    message.next_attempt_at = now or utcnow()
    session.flush()


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each state."""
    from sqlalchemy import func

    found = dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
    return {state: found.get(state, 0) for state in STATES}
