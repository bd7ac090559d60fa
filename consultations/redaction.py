"""Redaction before publication: passages of a response's text the public must not read.

Staff mark passages of a response's text to redact, each with a reason from a short list; a
detector (``detect``) proposes likely personal data for them to confirm or reject. The rules:

* a **redaction** is a span of ``Response.text`` (its characters ``start_offset:end_offset``),
  proposed (by the detector or a person), confirmed, or rejected;
* every public text taken from a response (a recommendation's text on public pages, feeds,
  downloads, the API and the public search index) shows each occurrence of a confirmed passage
  as ``[redacted: <reason>]`` (``public_text``); ``consultations.published`` and the public search
  documents apply it, so every public surface does. Staff pages show the original;
* a decision is published only when every response its public recommendations come from has been
  **reviewed for redaction** (``Response.redaction_reviewed_at``) and has no proposal left
  undecided (``publication_blocker``). Marking a response reviewed is refused while proposals wait.

The passage's words are read from the response's text, never copied into the redaction row, so
the audit log of a redaction records where and why, not the personal data itself.

Flask-free: services flush, never commit.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import DateTime, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from consultations.models import Base, Response, utcnow

# Why a passage is redacted: the key is stored, the words are shown to staff and the public.
REASONS = {
    "person": "names a person",
    "contact": "contact details",
    "number": "identifying number",
    "sensitive": "health or criminal information",
    "other": "other personal data",
}
REASON_HINTS = {
    "person": "A private person's name, or words that would identify them.",
    "contact": "An email address, phone number or postal address.",
    "number": "An NHS number, National Insurance number or similar reference.",
    "sensitive": "Someone's health, disability, offending or criminal record.",
    "other": "Anything else that should not be published.",
}
STATUSES = ("proposed", "confirmed", "rejected")
# What found a passage: the detector's kinds, or a person.
KINDS = {
    "email": "email address",
    "phone": "phone number",
    "postcode": "postcode",
    "nhs-number": "NHS number",
    "ni-number": "National Insurance number",
    "contact-name": "name of a contact",
    "staff": "marked by staff",
}
MIN_PASSAGE = 2
MAX_PASSAGE = 2000


class RedactionError(ValueError):
    """A redaction cannot be made or changed; the message says why."""


class Redaction(Base):
    __tablename__ = "redaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), index=True)
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="staff")
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    response: Mapped[Response] = relationship()

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def reason_text(self) -> str:
        return REASONS.get(self.reason, self.reason)

    @property
    def kind_text(self) -> str:
        return KINDS.get(self.kind, self.kind)

    def passage(self, text: str) -> str:
        return text[self.start_offset:self.end_offset]


def marker(reason: str) -> str:
    """What the public reads instead of a redacted passage."""
    return f"[redacted: {REASONS.get(reason, REASONS['other'])}]"


# --- the detector ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Found:
    start: int
    end: int
    kind: str
    reason: str


EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# A UK number: +44 or 0, then 9 or 10 more digits with spaces, hyphens or brackets between.
PHONE = re.compile(r"(?<![\w+])(?:\+44[\s-]?(?:\(0\)[\s-]?)?|\(0|0)\d(?:[\s-]?\)?[\s-]?\d){8,9}(?!\d)")
POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b")
NHS = re.compile(r"(?<![\d-])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d-])")
NI = re.compile(r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
NAME = re.compile(r"^(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame)\.?\s+)?"
                  r"[A-Z][a-z'’-]+(?:\s+(?:[A-Z]\.?|[A-Z][a-z'’-]+|(?:van|de|der|von|du|la|le)\s+[A-Z][a-z'’-]+)){1,3}$")


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's modulus 11 check: weights 10 down to 2 on the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _uk_phone(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    if digits.startswith("44"):
        digits = "0" + digits[2:]
        if digits.startswith("00"):  # +44 (0) 20 ...
            digits = digits[1:]
    return len(digits) in (10, 11) and digits[0] == "0" and digits[1] in "1235789"


def contact_names(contact_details: str | None) -> list[str]:
    """People's names among a respondent's contact details ("Jo Bloggs, jo@x.example, 020 ...")."""
    names = []
    for part in re.split(r"[,;\n|/]+", contact_details or ""):
        part = re.sub(r"^\s*(?:contact|name|attn|for the attention of)\s*[:\-]\s*", "", part, flags=re.I).strip(" .:\t")
        if NAME.match(part) and part not in names:
            names.append(part)
    return names


def _flexible(passage: str) -> re.Pattern:
    """A passage as a pattern: any run of white space matches any other, case is ignored, and a
    passage that starts or ends with a letter or digit matches only whole words."""
    body = r"\s+".join(re.escape(word) for word in passage.split())
    if passage.strip()[:1].isalnum():
        body = r"(?<!\w)" + body
    if passage.strip()[-1:].isalnum():
        body += r"(?!\w)"
    return re.compile(body, re.IGNORECASE)


def detect(text: str, contacts: str | None = None) -> list[Found]:
    """Likely personal data in ``text``: email addresses, UK phone numbers and postcodes, NHS
    numbers (passing the modulus 11 check), National Insurance numbers, and the names of people
    in ``contacts`` (the respondent's contact details). Overlaps keep the first found, in that order."""
    found: list[Found] = []
    for match in EMAIL.finditer(text):
        found.append(Found(match.start(), match.end(), "email", "contact"))
    for match in NHS.finditer(text):
        if nhs_number_valid(re.sub(r"\D", "", match.group())):
            found.append(Found(match.start(), match.end(), "nhs-number", "number"))
    for match in PHONE.finditer(text):
        if _uk_phone(match.group()):
            found.append(Found(match.start(), match.end(), "phone", "contact"))
    for match in POSTCODE.finditer(text):
        found.append(Found(match.start(), match.end(), "postcode", "contact"))
    for match in NI.finditer(text):
        found.append(Found(match.start(), match.end(), "ni-number", "number"))
    for name in contact_names(contacts):
        for match in _flexible(name).finditer(text):
            found.append(Found(match.start(), match.end(), "contact-name", "person"))
    kept: list[Found] = []
    for candidate in found:
        if not any(candidate.start < other.end and other.start < candidate.end for other in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda f: (f.start, f.end))


# --- applying confirmed redactions ------------------------------------------------------------

def public_text(text: str, passages: list[tuple[str, str]]) -> str:
    """``text`` with every occurrence of each (passage, reason) replaced by its marker (longest
    passage first where two could match at one place)."""
    wanted = tuple(sorted({(p.strip(), r) for p, r in passages if len(p.strip()) >= MIN_PASSAGE},
                          key=lambda pr: (-len(pr[0]), pr)))
    if not text or not wanted:
        return text
    pattern, reasons = _combined(wanted)
    return pattern.sub(lambda m: marker(reasons[m.lastgroup]), text)


@lru_cache(maxsize=512)
def _combined(wanted: tuple[tuple[str, str], ...]) -> tuple[re.Pattern, dict[str, str]]:
    """One pattern for a response's passages (a page quotes the same response many times)."""
    pattern = "|".join(f"(?P<g{i}>{_flexible(p).pattern})" for i, (p, _) in enumerate(wanted))
    return re.compile(pattern, re.IGNORECASE), {f"g{i}": r for i, (_, r) in enumerate(wanted)}


def confirmed_passages(session: Session, response_ids) -> dict[int, list[tuple[str, str]]]:
    """The confirmed (passage, reason) pairs of each of these responses, in one query; the
    passage's characters are read from the response's text by the database."""
    ids = list({i for i in response_ids if i is not None})
    if not ids:
        return {}
    passage = func.substr(Response.text, Redaction.start_offset + 1, Redaction.end_offset - Redaction.start_offset)
    rows = session.execute(
        select(Redaction.response_id, passage, Redaction.reason)
        .join(Response, Redaction.response_id == Response.id)
        .where(Redaction.response_id.in_(ids), Redaction.status == "confirmed")
        .execution_options(include_deleted=True)
        .order_by(Redaction.id)
    ).all()
    found: dict[int, list[tuple[str, str]]] = {}
    for response_id, text, reason in rows:
        found.setdefault(response_id, []).append((text or "", reason))
    return found


# --- staff services ---------------------------------------------------------------------------

def redactions_of(session: Session, response: Response) -> list[Redaction]:
    return list(session.scalars(select(Redaction).where(Redaction.response_id == response.id)
                                .order_by(Redaction.start_offset, Redaction.id)))


def propose(session: Session, response: Response) -> list[Redaction]:
    """Run the detector over a response and add what it finds as proposals; a span already
    proposed, confirmed or rejected is not proposed again."""
    existing = {(r.start_offset, r.end_offset) for r in redactions_of(session, response)}
    added = []
    for found in detect(response.text or "", response.respondent.contact_details if response.respondent else None):
        if (found.start, found.end) in existing:
            continue
        redaction = Redaction(response_id=response.id, start_offset=found.start, end_offset=found.end,
                              reason=found.reason, kind=found.kind, status="proposed")
        session.add(redaction)
        added.append(redaction)
    session.flush()
    return added


def _check_reason(reason: str) -> None:
    if reason not in REASONS:
        raise RedactionError("Choose why the passage is redacted from the list.")


def mark(session: Session, response: Response, passage: str, reason: str, user_id: int | None) -> list[Redaction]:
    """Redact every occurrence of ``passage`` in the response's text (confirmed at once: a
    person chose it). White space and case need not match exactly."""
    _check_reason(reason)
    passage = (passage or "").strip()
    if len(passage) < MIN_PASSAGE:
        raise RedactionError(f"Enter the words to redact: at least {MIN_PASSAGE} characters, copied from the response.")
    if len(passage) > MAX_PASSAGE:
        raise RedactionError(f"The passage must be {MAX_PASSAGE:,} characters or fewer: redact it in parts.")
    matches = list(_flexible(passage).finditer(response.text or ""))
    if not matches:
        raise RedactionError("Those words are not in this response's text. Copy them exactly from the text below.")
    existing = {(r.start_offset, r.end_offset): r for r in redactions_of(session, response)}
    made = []
    for match in matches:
        redaction = existing.get((match.start(), match.end()))
        if redaction is None:
            redaction = Redaction(response_id=response.id, start_offset=match.start(), end_offset=match.end(),
                                  kind="staff")
            session.add(redaction)
        redaction.reason = reason
        redaction.status = "confirmed"
        redaction.decided_at = utcnow()
        redaction.decided_by_id = user_id
        made.append(redaction)
    session.flush()
    return made


def decide(redaction: Redaction, status: str, user_id: int | None, reason: str | None = None) -> Redaction:
    """Confirm a proposal (optionally with another reason), reject it, or undo a confirmed one
    (rejected: the passage is published again)."""
    if status not in ("confirmed", "rejected"):
        raise RedactionError("Choose whether to redact the passage or not.")
    if reason is not None:
        _check_reason(reason)
        redaction.reason = reason
    if redaction.status == status and reason is None:
        raise RedactionError(f"This passage is already {'redacted' if status == 'confirmed' else 'not redacted'}.")
    redaction.status = status
    redaction.decided_at = utcnow()
    redaction.decided_by_id = user_id
    _flush(redaction)
    return redaction


def open_proposals(session: Session, response_ids) -> dict[int, int]:
    """How many undecided proposals each of these responses has (responses with none are absent)."""
    ids = list(set(response_ids))
    if not ids:
        return {}
    return dict(session.execute(
        select(Redaction.response_id, func.count(Redaction.id))
        .where(Redaction.response_id.in_(ids), Redaction.status == "proposed")
        .group_by(Redaction.response_id)).all())


def mark_reviewed(session: Session, response: Response, now: dt.datetime | None = None) -> Response:
    """Record that staff have checked the response for personal data (who: the audit log)."""
    waiting = open_proposals(session, [response.id]).get(response.id, 0)
    if waiting:
        raise RedactionError(
            f"Confirm or reject the {waiting} proposed redaction{'s' if waiting != 1 else ''} first: "
            "the response is reviewed once nothing is left undecided.")
    response.redaction_reviewed_at = now or utcnow()
    session.flush()
    return response


def unreviewed_responses(session: Session, recommendations) -> list[Response]:
    """The responses these recommendations would quote in public that are not reviewed for
    redaction or have proposals undecided. Confidential respondents' responses are never quoted."""
    responses = {rec.response for rec in recommendations
                 if rec.deleted_at is None and rec.response.deleted_at is None
                 and rec.response.respondent.consent != "confidential"}
    waiting = open_proposals(session, [r.id for r in responses])
    return sorted((r for r in responses if waiting.get(r.id) or r.redaction_reviewed_at is None), key=lambda r: r.id)


def publication_blocker(session: Session, recommendations) -> str | None:
    """Why a decision answering these recommendations may not be published yet, or None: each
    response that a public recommendation would quote must be reviewed for redaction, with no
    proposal left undecided."""
    blocked = unreviewed_responses(session, recommendations)
    waiting = open_proposals(session, [r.id for r in blocked])
    if not blocked:
        return None
    names = ", ".join(f"{r.respondent.name}" + (f" ({waiting[r.id]} proposed redaction{'s' if waiting[r.id] != 1 else ''} "
                                                 "to confirm or reject)" if waiting.get(r.id) else " (not reviewed)")
                      for r in blocked[:5])
    more = f" and {len(blocked) - 5} more" if len(blocked) > 5 else ""
    return ("Check the response for personal data before publishing: the public pages would quote "
            f"{'a response' if len(blocked) == 1 else 'responses'} not yet reviewed for redaction: {names}{more}. "
            "Open the response's Redactions page in triage, confirm or reject each proposal and mark it reviewed.")


def _flush(obj) -> None:
    from sqlalchemy.orm import object_session

    session = object_session(obj)
    if session is not None:
        session.flush()
