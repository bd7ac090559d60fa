"""Who is told what by email, and each staff member's choice of what they are told.

Staff notifications are noted by the domain functions that make the change
(``triage.responses.assign``, ``decisions.save_decision`` and ``decisions.approve``) with
``note``; when the transaction commits, everything noted is turned into one outbox message per
person and kind (``consultations.outbox``), written in that same transaction (a ``before_commit``
hook, installed with the audit hook by ``install``). So a bulk action that approves thirty
decisions sends each approver one email listing thirty, a change rolled back sends nothing, and
nobody is told about their own change.

Kinds (``STAFF_KINDS``), each on unless the person turned it off on their Notifications page:

* ``assigned``: responses assigned to you by someone else;
* ``approval_needed``: a decision became a draft that needs approving (every approver but the
  person who drafted it);
* ``ready_to_publish``: a decision was approved and waits for publication (every approver but
  the one who approved it and, under the two-person rule, its drafter);
* ``action_reminders`` and ``action_digest``: about the actions you own (see
  ``consultations.reminders``).
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from consultations import outbox
from consultations.models import Base
from consultations.workflow import User

STAFF_KINDS = {
    "assigned": "Responses assigned to me",
    "approval_needed": "Draft decisions waiting for approval",
    "ready_to_publish": "Approved decisions waiting to be published",
    "action_reminders": "Reminders about actions I own: a week before they are due, and when they are overdue",
    "action_digest": "A weekly summary of the actions I own",
}
APPROVER_KINDS = ("approval_needed", "ready_to_publish")
PENDING = "pending_notifications"


class NotificationPreference(Base):
    """A staff member's choice for one kind of email (no row: on)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class PreferenceError(ValueError):
    """Preferences cannot be saved; the message says why."""


def kinds_for(user: User) -> list[str]:
    """The kinds this person can receive: approvals only for approvers."""
    return [kind for kind in STAFF_KINDS if kind not in APPROVER_KINDS or user.role == "approver"]


def preferences(session: Session, user: User) -> dict[str, bool]:
    """Each kind this person can receive, and whether they want it."""
    chosen = dict(session.execute(select(NotificationPreference.kind, NotificationPreference.enabled)
                                  .where(NotificationPreference.user_id == user.id)).all())
    return {kind: chosen.get(kind, True) for kind in kinds_for(user)}


def set_preferences(session: Session, user: User, wanted: set[str] | list[str]) -> dict[str, bool]:
    """Turn on exactly the kinds in ``wanted`` (of those this person can receive), the rest off."""
    wanted = set(wanted)
    unknown = wanted - set(STAFF_KINDS)
    if unknown:
        raise PreferenceError(f"There is no kind of email called {', '.join(sorted(unknown))}.")
    rows = {p.kind: p for p in session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for kind in kinds_for(user):
        row = rows.get(kind)
        if row is None:
            row = NotificationPreference(user_id=user.id, kind=kind)
            session.add(row)
        row.enabled = kind in wanted
    session.flush()
    return preferences(session, user)


def wants(session: Session, user_ids, kind: str) -> set[int]:
    """Of these users, the active ones who receive ``kind`` (one query each for users and choices)."""
    user_ids = set(user_ids)
    if not user_ids:
        return set()
    users = session.execute(select(User.id, User.role).where(User.id.in_(user_ids), User.active.is_(True))).all()
    off = set(session.scalars(select(NotificationPreference.user_id).where(
        NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind,
        NotificationPreference.enabled.is_(False))))
    return {uid for uid, role in users
            if uid not in off and (kind not in APPROVER_KINDS or role == "approver")}


def approver_ids(session: Session) -> list[int]:
    return list(session.scalars(select(User.id).where(User.role == "approver", User.active.is_(True))))


# ---------------------------------------------------------------------------
# Noting changes, and turning them into messages when the transaction commits
# ---------------------------------------------------------------------------


def note(session: Session, kind: str, user_ids, item: dict, *, actor_id: int | None = None) -> None:
    """Tell these staff about ``item`` (JSON values: what the email lists) when this transaction
    commits; never the person who made the change (``actor_id``, else the session's actor)."""
    if kind not in STAFF_KINDS:
        raise ValueError(f"Unknown kind of notification: {kind}")
    actor = actor_id if actor_id is not None else session.info.get("actor_id")
    pending = session.info.setdefault(PENDING, [])
    for user_id in user_ids:
        if user_id is not None and user_id != actor:
            pending.append((kind, user_id, item))


def decision_item(decision) -> dict:
    """What a staff email says about a decision: its recommendation, respondent and consultation."""
    rec = decision.recommendation
    text = " ".join((rec.text or "").split())
    return {"rec_id": rec.id, "key": rec.key, "respondent": rec.response.respondent.name,
            "consultation": rec.response.consultation.title, "outcome": decision.outcome,
            "text": text if len(text) <= 200 else text[:197].rstrip() + "..."}


def send_noted(session: Session) -> list[outbox.OutboxMessage]:
    """Enqueue one message per person and kind for everything noted in this transaction."""
    pending = session.info.pop(PENDING, None)
    if not pending:
        return []
    grouped: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for kind, user_id, item in pending:
        items = grouped[(kind, user_id)]
        if item not in items:
            items.append(item)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_({uid for _, uid in grouped})))}
    receiving = {kind: wants(session, {uid for k, uid in grouped if k == kind}, kind)
                 for kind in {k for k, _ in grouped}}
    messages = []
    for (kind, user_id), items in grouped.items():
        if user_id not in receiving[kind]:
            continue
        user = users[user_id]
        message = outbox.enqueue(session, recipient=user.email, template=f"staff_{kind}",
                                 context={"name": user.name, "items": items, "_unsubscribe": {"kind": "staff"}})
        messages.append(message)
    return messages


def _before_commit(session: Session) -> None:
    from consultations import respondent_emails

    if session.info.get(PENDING):
        send_noted(session)
    if session.info.get(respondent_emails.PENDING):
        respondent_emails.send_noted(session)


def _after_rollback(session: Session) -> None:
    from consultations import respondent_emails

    session.info.pop(PENDING, None)
    session.info.pop(respondent_emails.PENDING, None)


def install() -> None:
    """Send what was noted when each session commits, staff emails and respondents' digests
    (``consultations.respondent_emails``); the app factory calls this, like the audit hook."""
    if event.contains(Session, "before_commit", _before_commit):
        return
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_rollback", _after_rollback)
