"""Respondents check what we understood: a signed link to a page listing the recommendations staff
recorded from their response, where they confirm each, say "that is not what we meant" (with a
comment), or point out one we missed.

A check (``UnderstoodCheck``) belongs to one response. Its link carries, signed with the
installation's secret key (itsdangerous), the response's id and the check's random ``token_id``,
so it opens that response's page and nothing else; it stops working when it expires
(``expires_at``, set from the installation's number of days when staff create it), when staff
revoke it, or when the response is deleted. A tampered link fails its signature. No account is
needed: the link is the respondent's key.

What respondents send is kept as ``UnderstoodAnswer`` rows, shown to staff on the response's
triage page. Nothing changes a recommendation by itself: staff accept a missed point (which adds a
recommendation through the usual triage rule, ``consultations.triage.add_recommendation``) or mark
an answer dealt with. Both models are audited (``consultations.audit``); as everywhere in the
domain, functions flush and never commit.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from consultations.models import Base, Recommendation, Response, utcnow

SALT = "understood-check"  # a link signed for this purpose is refused anywhere else, and vice versa
TITLE = "What we understood you to recommend"
COMMENT_MAX = 2_000  # characters in one "that is not what we meant" comment
MISSED_MAX = 5_000  # characters in "a recommendation we missed"
SUBMISSIONS_MAX = 10  # times one link may send answers; then the page asks them to contact us
DAYS_MAX = 366

CONFIRMED, NOT_MEANT, MISSED = "confirmed", "not meant", "missed"
ANSWER_KINDS = (CONFIRMED, NOT_MEANT, MISSED)
# What staff did with an answer: nothing yet, dealt with, or (a missed point) added as a recommendation.
OPEN, DEALT_WITH, ADDED = None, "dealt with", "added"


class CheckError(ValueError):
    """A check cannot be created or answered, or an answer handled; the message says why."""


class CheckLinkProblem(Exception):
    """A link that opens no check: ``reason`` is ``invalid`` (tampered or not one of ours),
    ``expired``, ``revoked`` or ``gone`` (the response was deleted)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class UnderstoodCheck(Base):
    __tablename__ = "understood_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), index=True)
    token_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    last_answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    response: Mapped[Response] = relationship()
    answers: Mapped[list[UnderstoodAnswer]] = relationship(
        back_populates="check", order_by="[UnderstoodAnswer.id]")

    def state(self, now: dt.datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now or utcnow()) else "active"


class UnderstoodAnswer(Base):
    """One thing a respondent told us through a check: a recommendation confirmed or "not what we
    meant" (with what it said when they read it), or a point we missed."""

    __tablename__ = "understood_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("understood_check.id"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), index=True)
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("recommendation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    shown_key: Mapped[str | None] = mapped_column(String(30))
    shown_text: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(20))
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    added_recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("recommendation.id"))
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    check: Mapped[UnderstoodCheck] = relationship(back_populates="answers")
    recommendation: Mapped[Recommendation | None] = relationship(foreign_keys=[recommendation_id])

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def needs_staff(self) -> bool:
        return self.kind != CONFIRMED and self.outcome is OPEN


# --- links --------------------------------------------------------------------------------


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def sign(secret: str, check: UnderstoodCheck) -> str:
    """The token for this check's link: its response and its token id, signed and timestamped."""
    return _serializer(secret).dumps({"r": check.response_id, "t": check.token_id})


def open_check(session: Session, secret: str, token: str, *, max_age: dt.timedelta,
               now: dt.datetime | None = None) -> UnderstoodCheck:
    """The live check a link's token names, or ``CheckLinkProblem`` saying why not."""
    now = now or utcnow()
    if not token or len(token) > 300:
        raise CheckLinkProblem("invalid")
    try:
        payload = _serializer(secret).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise CheckLinkProblem("expired") from None
    except BadData:
        raise CheckLinkProblem("invalid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), str) or not isinstance(payload.get("r"), int):
        raise CheckLinkProblem("invalid")
    check = session.scalar(select(UnderstoodCheck).where(UnderstoodCheck.token_id == payload["t"]))
    if check is None or check.response_id != payload["r"]:
        raise CheckLinkProblem("invalid")
    if check.revoked_at is not None:
        raise CheckLinkProblem("revoked")
    if check.expires_at <= now:
        raise CheckLinkProblem("expired")
    if check.response is None or check.response.deleted_at is not None:  # deleted responses are hidden
        raise CheckLinkProblem("gone")
    return check


def create_check(session: Session, response: Response, *, user_id: int | None, days: int,
                 now: dt.datetime | None = None) -> UnderstoodCheck:
    if response.deleted_at is not None:
        raise CheckError("This response has been deleted. Restore it before asking the respondent to check it.")
    if not 1 <= days <= DAYS_MAX:
        raise CheckError(f"A check link must last between 1 and {DAYS_MAX} days")
    now = now or utcnow()
    check = UnderstoodCheck(response=response, response_id=response.id, token_id=secrets.token_urlsafe(16),
                            created_by_id=user_id, created_at=now, expires_at=now + dt.timedelta(days=days))
    session.add(check)
    session.flush()
    return check


def revoke_check(check: UnderstoodCheck, *, user_id: int | None) -> UnderstoodCheck:
    if check.revoked_at is not None:
        raise CheckError("This link was already revoked")
    check.revoked_at = utcnow()
    check.revoked_by_id = user_id
    return check


def invitation(response: Response, link: str, expires_at: dt.datetime) -> tuple[str, str]:
    """The subject and plain-text body of the message that sends a respondent their link."""
    subject = f"{TITLE}: your response to {response.consultation.title}"
    received = f" on {response.received_on.day} {response.received_on:%B %Y}" if response.received_on else ""
    body = (
        f"Thank you for your response to {response.consultation.title}, which we received{received}.\n\n"
        "We have read it and recorded the recommendations we understood it to make. Please check them: "
        "for each one you can confirm it, or tell us that it is not what you meant, and you can tell us "
        "about anything we missed.\n\n"
        f"{link}\n\n"
        f"The link works until {expires_at.day} {expires_at:%B %Y}. It is for you alone: anyone with it "
        "can see the recommendations we recorded from your response, so please do not share it.\n\n"
        "Nothing is changed until our staff have read your answers.\n")
    return subject, body


# --- the respondent's page ------------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    rec: Recommendation
    quote: str | None  # the respondent's own words it comes from, or None when unanchored


def check_items(response: Response) -> list[CheckItem]:
    """The live recommendations of the response in their order, each with the words it comes from."""
    from consultations.exports.understood import passage

    text = response.text or ""
    recs = sorted((rec for rec in response.recommendations if rec.deleted_at is None),
                  key=lambda rec: (rec.sequence, rec.id))
    items = []
    for rec in recs:
        found = passage(text, rec.spans)
        items.append(CheckItem(rec=rec, quote=found.quote if found else None))
    return items


@dataclass
class Reply:
    """What one recommendation's answer says: ``kind`` CONFIRMED or NOT_MEANT, and the comment."""

    kind: str
    comment: str = ""


def record_answers(session: Session, check: UnderstoodCheck, replies: dict[int, Reply], missed: str,
                   now: dt.datetime | None = None) -> list[UnderstoodAnswer]:
    """Keep what the respondent sent. ``replies`` maps recommendation ids to their answers (ids
    that are not live recommendations of this response are refused); ``missed`` is free text.
    Raises ``CheckError`` (changing nothing) for an empty submission, a "not what we meant"
    without a comment, text over the limits, or too many submissions."""
    now = now or utcnow()
    if check.submissions >= SUBMISSIONS_MAX:
        raise CheckError("You have already sent us your answers several times. "
                         "Contact us if there is anything else you want to tell us")
    live = {rec.id: rec for rec in check.response.recommendations if rec.deleted_at is None}
    missed = (missed or "").strip()
    if any(rec_id not in live for rec_id in replies):
        raise CheckError("One of the recommendations has changed since you opened this page. Reload the page")
    if not replies and not missed:
        raise CheckError("Answer at least one question, or tell us about a recommendation we missed")
    if len(missed) > MISSED_MAX:
        raise CheckError(f"What we missed must be {MISSED_MAX:,} characters or fewer")
    answers = []
    for rec_id, reply in replies.items():
        comment = (reply.comment or "").strip()
        if reply.kind not in (CONFIRMED, NOT_MEANT):
            raise CheckError(f"Choose whether recommendation {live[rec_id].key} is what you meant")
        if reply.kind == NOT_MEANT and not comment:
            raise CheckError(f"Tell us what you meant by recommendation {live[rec_id].key}")
        if len(comment) > COMMENT_MAX:
            raise CheckError(f"What you tell us about recommendation {live[rec_id].key} must be "
                             f"{COMMENT_MAX:,} characters or fewer")
        answers.append(UnderstoodAnswer(check=check, response_id=check.response_id, recommendation_id=rec_id,
                                        kind=reply.kind, shown_key=live[rec_id].key, shown_text=live[rec_id].text,
                                        comment=comment if reply.kind == NOT_MEANT else "", created_at=now))
    if missed:
        answers.append(UnderstoodAnswer(check=check, response_id=check.response_id, kind=MISSED, comment=missed,
                                        created_at=now))
    session.add_all(answers)
    check.submissions += 1
    check.last_answered_at = now
    session.flush()
    return answers


# --- staff handling answers -----------------------------------------------------------------


def checks_of_response(session: Session, response_id: int) -> list[UnderstoodCheck]:
    """Every check of a response, newest first, with their answers (two queries)."""
    return list(session.scalars(
        select(UnderstoodCheck).where(UnderstoodCheck.response_id == response_id)
        .options(selectinload(UnderstoodCheck.answers))
        .order_by(UnderstoodCheck.id.desc())))


def _check_open(answer: UnderstoodAnswer) -> None:
    if answer.outcome is not OPEN:
        raise CheckError("This answer has already been dealt with")


def mark_dealt_with(answer: UnderstoodAnswer, *, user_id: int | None) -> UnderstoodAnswer:
    if answer.kind == CONFIRMED:
        raise CheckError("A confirmation needs nothing doing")
    _check_open(answer)
    answer.outcome, answer.handled_at, answer.handled_by_id = DEALT_WITH, utcnow(), user_id
    return answer


def accept_missed(session: Session, answer: UnderstoodAnswer, text: str, *, user_id: int | None) -> Recommendation:
    """Add the point a respondent said we missed as a recommendation of their response (the text
    staff settled on; the usual rule anchors it if the words are in the response)."""
    from consultations.triage import add_recommendation

    if answer.kind != MISSED:
        raise CheckError("Only a point we missed can be added as a recommendation")
    _check_open(answer)
    response = session.get(Response, answer.response_id)
    if response is None:
        raise CheckError("This response has been deleted. Restore it first")
    rec = add_recommendation(session, response, text)
    answer.outcome, answer.handled_at, answer.handled_by_id = ADDED, utcnow(), user_id
    answer.added_recommendation_id = rec.id
    session.flush()
    return rec
