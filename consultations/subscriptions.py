"""Public email subscriptions to a consultation or a standard: no account, double opt-in,
one-click unsubscribe, a digest when new decisions are published there.

* ``subscribe`` records (or reuses) the subscription as ``pending`` and enqueues a confirmation
  email with a signed, expiring link; an address already subscribed gets "you are already
  subscribed" instead, so the page that asked shows the same thing whoever typed the address and
  reveals nothing. At most one such email per subscription per day (a dedupe key), so the form
  cannot be used to flood someone's inbox.
* ``confirm`` (from the link) makes it ``confirmed``; ``unsubscribe`` (the link in every email
  and its List-Unsubscribe header) makes it ``unsubscribed``. Nothing is deleted, so the
  history of consent stays; subscribing again starts a new double opt-in.
* ``enqueue_digests`` (``notify reminders``, daily) sends each confirmed subscription the
  decisions published on its consultation or standard since its last digest, once a day at most.

What a subscription may show comes from ``consultations.published`` only, like the feeds.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import DateTime, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from consultations import outbox
from consultations.models import Base, Consultation, FrameworkItem, utcnow
from consultations.published import public_consultations, public_recommendations

TARGETS = ("consultation", "standard")
STATES = ("pending", "confirmed", "unsubscribed")
MAX_EMAIL = 254
EMAIL = re.compile(r"^[^@\s<>,;\"()\[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
DIGEST_SIZE = 50


class SubscriptionError(ValueError):
    """The address or the target cannot be subscribed; the message says what to correct."""


class EmailSubscription(Base):
    __tablename__ = "email_subscription"
    __table_args__ = (UniqueConstraint("email", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Decisions published after this are in the next digest.
    last_digest_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


def clean_email(value: str) -> str:
    email = (value or "").strip()
    if not email:
        raise SubscriptionError("Enter your email address")
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        raise SubscriptionError("Enter an email address in the correct format, like name@example.com")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def target_title(session: Session, target_type: str, target_id: int) -> str:
    if target_type == "consultation":
        consultation = session.get(Consultation, target_id)
        return consultation.title if consultation else ""
    item = session.get(FrameworkItem, target_id)
    return f"Standard {item.label}" if item else ""


def subscribe(session: Session, email: str, target_type: str, target_id: int,
              now: dt.datetime | None = None) -> EmailSubscription:
    """Ask to subscribe ``email``: a confirmation email for a new (or lapsed) subscription, an
    "already subscribed" one otherwise (flushes, never commits)."""
    email = clean_email(email)
    if target_type not in TARGETS:
        raise SubscriptionError("Choose a consultation or a standard to get emails about")
    now = now or utcnow()
    found = session.scalar(select(EmailSubscription).where(
        EmailSubscription.email == email, EmailSubscription.target_type == target_type,
        EmailSubscription.target_id == target_id))
    if found is None:
        found = EmailSubscription(email=email, target_type=target_type, target_id=target_id, state="pending",
                                  created_at=now)
        session.add(found)
        session.flush()
    elif found.state == "unsubscribed":
        found.state, found.unsubscribed_at = "pending", None
        session.flush()
    title = target_title(session, target_type, target_id)
    if found.state == "confirmed":
        outbox.enqueue(session, recipient=email, template="subscription_already",
                       context={"subscription_id": found.id, "title": title,
                                "_unsubscribe": {"kind": "subscription", "id": found.id, "one_click": True}},
                       dedupe_key=f"subscription-already:{found.id}:{now.date().isoformat()}")
    else:
        outbox.enqueue(session, recipient=email, template="subscription_confirm",
                       context={"subscription_id": found.id, "title": title, "email": email},
                       dedupe_key=f"subscription-confirm:{found.id}:{now.date().isoformat()}")
    return found


def confirm(session: Session, subscription: EmailSubscription, now: dt.datetime | None = None) -> bool:
    """Confirm from the link in the confirmation email; True when it changed anything."""
    if subscription.state == "confirmed":
        return False
    now = now or utcnow()
    subscription.state, subscription.confirmed_at, subscription.unsubscribed_at = "confirmed", now, None
    subscription.last_digest_at = now
    session.flush()
    return True


def unsubscribe(session: Session, subscription: EmailSubscription, now: dt.datetime | None = None) -> None:
    if subscription.state != "unsubscribed":
        subscription.state, subscription.unsubscribed_at = "unsubscribed", now or utcnow()
        session.flush()


def enqueue_digests(session: Session, now: dt.datetime | None = None) -> int:
    """A digest for each confirmed subscription with decisions published since its last one;
    how many were enqueued. Each target is read once, whatever its number of subscribers."""
    now = now or utcnow()
    subscriptions = session.scalars(select(EmailSubscription).where(EmailSubscription.state == "confirmed")
                                    .order_by(EmailSubscription.id)).all()
    public_ids = {c.id for c in public_consultations(session)}
    newest: dict[tuple[str, int], list] = {}
    count = 0
    for sub in subscriptions:
        key = (sub.target_type, sub.target_id)
        if key not in newest:
            narrow = {"consultation_id": sub.target_id} if sub.target_type == "consultation" else {"item_id": sub.target_id}
            newest[key] = [rec for rec in public_recommendations(session, newest_first=True, limit=DIGEST_SIZE * 4,
                                                                 **narrow)
                           if rec.consultation_id in public_ids]
        since = sub.last_digest_at or sub.confirmed_at or sub.created_at
        fresh = [rec for rec in newest[key] if rec.decision.published_at and rec.decision.published_at > since]
        if not fresh:
            continue
        made = outbox.enqueue(
            session, recipient=sub.email, template="subscription_digest",
            context={"subscription_id": sub.id, "title": target_title(session, *key), "total": len(fresh),
                     "items": [{"rec_id": rec.id, "key": rec.key, "text": rec.text, "made_by": rec.made_by,
                                "outcome": rec.decision.outcome, "rationale": rec.decision.rationale,
                                "consultation": rec.consultation_title}
                               for rec in fresh[:DIGEST_SIZE]],
                     "_unsubscribe": {"kind": "subscription", "id": sub.id, "one_click": True}},
            dedupe_key=f"subscription-digest:{sub.id}:{now.date().isoformat()}")
        if made is not None:
            sub.last_digest_at = now
            count += 1
    session.flush()
    return count
