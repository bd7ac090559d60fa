"""Respondents' personal data: retention, access requests (everything held about one respondent)
and anonymisation or erasure on request.

* **Anonymising** a respondent removes who they are and keeps what they said: their name becomes
  "Anonymised respondent <id>", their contact details go, a "named" consent becomes "anonymous"
  (the public then sees their recommendations under their organisation type), their original
  files are deleted, and every place their name or contact details appear in the text of their
  responses, survey answers, recommendations and campaign notes is blanked out character for
  character (so each recommendation stays anchored to its passage).
* **Erasing** a respondent anonymises them and also blanks out the whole text of their responses
  and recommendations and deletes their responses (soft delete: decisions on other respondents'
  duplicates are untouched).
* Either way the audit log keeps that it happened and why (``field`` "anonymised" or "erased",
  with the request's reference), never the erased values: every earlier audit event that held
  one has it replaced by ``ERASED``.
* **Retention**: a consultation keeps respondents' personal data for ``retention_months`` (the
  installation's default when not set) after it closes (after a response was received, when the
  consultation has no closing date); ``due_for_retention`` lists respondents all of whose
  responses are past it, and ``flask --app tracker retention run`` anonymises them.

Flask-free: services flush, never commit. The search indexes and files outside the database are
the caller's to refresh (the command and the admin page do).
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field

from sqlalchemy import false, func, inspect, or_, select
from sqlalchemy.orm import Session

from consultations.outbox import OutboxMessage
from consultations.models import (
    CampaignMember,
    Consultation,
    Document,
    Link,
    Recommendation,
    Respondent,
    Response,
    ResponseSection,
    utcnow,
)
from consultations.redaction import EMAIL, PHONE, Redaction, contact_names
from consultations.soft_delete import WITH_DELETED
from consultations.understood_checks import UnderstoodAnswer, UnderstoodCheck
from consultations.workflow import AuditEvent, Decision

ERASED = "[erased]"
BLANK = "█"
MIN_VALUE = 3  # shorter fragments of contact details are not looked for (they would blank common words)
MAX_REFERENCE = 200


class PersonalDataError(ValueError):
    """A request about personal data cannot be carried out; the message says why."""


# --- what is personal -------------------------------------------------------------------------

def personal_values(respondent: Respondent) -> list[str]:
    """The values that identify a respondent: their name, their contact details whole, line by
    line and part by part ("Email address: x" gives "x"), and the people, emails and phone
    numbers in them. Longest first."""
    values = {respondent.name or ""}
    details = respondent.contact_details or ""
    values.add(details)
    for line in details.splitlines():
        values.add(line)
        if ":" in line:
            values.add(line.split(":", 1)[1])
        for part in re.split(r"[,;|]", line):
            values.add(part)
    values.update(contact_names(details))
    values.update(m.group() for m in EMAIL.finditer(details))
    values.update(m.group() for m in PHONE.finditer(details))
    return sorted({v.strip() for v in values if len(v.strip()) >= MIN_VALUE}, key=lambda v: (-len(v), v))


def _pattern(values: list[str]) -> re.Pattern | None:
    if not values:
        return None
    parts = []
    for value in values:
        body = r"\s+".join(re.escape(w) for w in value.split())
        if value[:1].isalnum():
            body = r"(?<!\w)" + body
        if value[-1:].isalnum():
            body += r"(?!\w)"
        parts.append(body)
    return re.compile("|".join(parts), re.IGNORECASE)


def blank_out(text: str | None, pattern: re.Pattern | None) -> str | None:
    """Each match replaced by as many BLANK characters (white space kept), so offsets stay valid."""
    if not text or pattern is None:
        return text
    return pattern.sub(lambda m: re.sub(r"\S", BLANK, m.group()), text)


def _scrub(value, pattern: re.Pattern | None, json_pattern: re.Pattern | None):
    if value is None or pattern is None:
        return value
    if json_pattern is not None:  # first: a value inside JSON ("created" events) is escaped
        value = json_pattern.sub(ERASED, value)
    return pattern.sub(ERASED, value)


# --- anonymising and erasing ------------------------------------------------------------------

@dataclass
class Outcome:
    respondent_id: int
    responses: int = 0
    recommendations: int = 0
    files: int = 0
    audit_events: int = 0
    emails: int = 0
    changed: list[str] = field(default_factory=list)


def _responses(session: Session, respondent: Respondent) -> list[Response]:
    return list(session.scalars(select(Response).where(Response.respondent_id == respondent.id)
                                .order_by(Response.id), execution_options=WITH_DELETED))


def anonymise(session: Session, respondent: Respondent, *, reason: str, erase: bool = False,
              now: dt.datetime | None = None) -> Outcome:
    """Anonymise (or with ``erase``, erase) one respondent; ``reason`` is recorded in the audit
    log ("retention period ended", "request ABC-123"). See the module's rules."""
    reason = (reason or "").strip()
    if not reason:
        raise PersonalDataError("Give the request's reference or the reason: the audit log records it.")
    if len(reason) > MAX_REFERENCE:
        raise PersonalDataError(f"The reference must be {MAX_REFERENCE} characters or fewer.")
    if respondent.anonymised_at is not None and not erase:
        raise PersonalDataError("This respondent is already anonymised.")
    now = now or utcnow()
    name, details = (respondent.name or "").strip(), (respondent.contact_details or "").strip()
    values = personal_values(respondent)
    pattern = _pattern(values)
    outcome = Outcome(respondent.id)
    responses = _responses(session, respondent)
    response_ids = [r.id for r in responses]
    recs = list(session.scalars(select(Recommendation).where(Recommendation.response_id.in_(response_ids)),
                                execution_options=WITH_DELETED)) if response_ids else []
    # What the audit log and the index already hold: the text before it is blanked out.
    erased_texts = []
    if erase:
        erased_texts = [r.text for r in responses if r.text] + [rec.text for rec in recs if rec.text]
    for response in responses:
        outcome.responses += 1
        if erase:
            response.text = ""
            response.attributes = None
            if response.deleted_at is None:
                response.deleted_at = now
        else:
            response.text = blank_out(response.text, pattern)
            if response.attributes:
                response.attributes = {k: (ERASED if isinstance(v, str) and pattern and pattern.search(v) else v)
                                       for k, v in response.attributes.items()}
        for section in session.scalars(select(ResponseSection).where(ResponseSection.response_id == response.id)):
            section.text = "" if erase else blank_out(section.text, pattern)
            section.note = None if erase else blank_out(section.note, pattern)
        for member in session.scalars(select(CampaignMember).where(CampaignMember.response_id == response.id)):
            member.added = [] if erase else [blank_out(s, pattern) for s in member.added or []]
        if response.document_id is not None:
            document = session.get(Document, response.document_id)
            response.document_id = None
            session.flush()
            still_used = session.scalar(select(Response.id).where(Response.document_id == document.id),
                                        execution_options=WITH_DELETED)
            if still_used is None:
                session.delete(document)
                outcome.files += 1
        for answer in session.scalars(select(UnderstoodAnswer).where(UnderstoodAnswer.response_id == response.id)):
            answer.comment = ERASED if erase and answer.comment else blank_out(answer.comment, pattern)
            answer.shown_text = ERASED if erase and answer.shown_text else blank_out(answer.shown_text, pattern)
        if erase:
            for redaction in session.scalars(select(Redaction).where(Redaction.response_id == response.id)):
                session.delete(redaction)
    for rec in recs:
        outcome.recommendations += 1
        if erase:
            rec.text = ERASED
            rec.spans = []
            rec.attributes = None
        else:
            rec.text = blank_out(rec.text, pattern)
            if rec.attributes:
                rec.attributes = {k: (ERASED if isinstance(v, str) and pattern and pattern.search(v) else v)
                                  for k, v in rec.attributes.items()}
        for link in session.scalars(select(Link).where(Link.recommendation_id == rec.id)):
            link.evidence = None if erase else blank_out(link.evidence, pattern)
    respondent.name = f"Anonymised respondent {respondent.id}"
    respondent.contact_details = None
    if respondent.consent == "named":
        respondent.consent = "anonymous"
    respondent.anonymised_at = now
    session.flush()  # the audit hook records these changes, with the old values...
    # ... which must not survive: scrub every audit event holding an erased value.
    distinctive = [v for v in values if v != name and (EMAIL.search(v) or PHONE.search(v) or v == details)]
    if erase:
        values = sorted(set(values) | {t for t in erased_texts if len(t) >= MIN_VALUE}, key=lambda v: -len(v))
    owned = _own_entities(session, respondent, response_ids, [rec.id for rec in recs])
    outcome.audit_events = scrub_audit(session, owned, values, distinctive, wholesale=erase)
    outcome.emails = scrub_outbox(session, values, _pattern(values))
    session.add(AuditEvent(at=now, user_id=session.info.get("actor_id"), entity_type="respondent",
                           entity_id=respondent.id, field="erased" if erase else "anonymised", old=None,
                           new=reason, version=respondent.version_id))
    session.flush()
    outcome.changed = [f"{outcome.responses} response(s)", f"{outcome.recommendations} recommendation(s)",
                       f"{outcome.files} original file(s) deleted"]
    return outcome


def _erased_in(value, pattern: re.Pattern):
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_erased_in(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _erased_in(v, pattern) for k, v in value.items()}
    return value


def scrub_outbox(session: Session, values: list[str], pattern: re.Pattern | None) -> int:
    """Emails to the respondent are deleted, sent or not (nothing more goes to a person who is
    anonymised); any other email whose contents name them (a staff email listing their response)
    has those values erased. Returns how many emails changed."""
    if pattern is None:
        return 0
    addresses = {m.group().lower() for value in values for m in EMAIL.finditer(value)}
    changed = 0
    for message in session.scalars(select(OutboxMessage)):
        if message.recipient.lower() in addresses:
            session.delete(message)
        elif pattern.search(json.dumps(message.context, ensure_ascii=False)):
            message.context = _erased_in(message.context, pattern)
        else:
            continue
        changed += 1
    return changed


def _is_json(value: str | None) -> bool:
    try:
        json.loads(value or "{}")
        return True
    except ValueError:
        return False


def _erased_created(value: str | None) -> str:
    """A "created" event's fields with every value erased (the history still reads as JSON)."""
    try:
        fields = json.loads(value or "{}")
    except ValueError:
        fields = {}
    return json.dumps({key: ERASED for key in fields} if isinstance(fields, dict) else {}, ensure_ascii=False)


THEIRS = {"respondent", "response", "recommendation", "redaction", "understood-check", "understood-answer"}  # what they wrote; decisions and links are staff's


def _own_entities(session: Session, respondent: Respondent, response_ids: list[int], rec_ids: list[int]):
    """(entity type, ids) of the audited objects that belong to this respondent."""
    links = list(session.scalars(select(Link.id).where(Link.recommendation_id.in_(rec_ids or [-1]))))
    decisions = list(session.scalars(select(Decision.id).where(Decision.recommendation_id.in_(rec_ids or [-1])),
                                     execution_options=WITH_DELETED))
    redactions = list(session.scalars(select(Redaction.id).where(Redaction.response_id.in_(response_ids or [-1]))))
    checks = list(session.scalars(select(UnderstoodCheck.id).where(UnderstoodCheck.response_id.in_(response_ids or [-1]))))
    answers = list(session.scalars(select(UnderstoodAnswer.id).where(UnderstoodAnswer.response_id.in_(response_ids or [-1]))))
    return [("respondent", [respondent.id]), ("response", response_ids), ("recommendation", rec_ids),
            ("link", links), ("decision", decisions), ("redaction", redactions), ("understood-check", checks),
            ("understood-answer", answers)]


def scrub_audit(session: Session, owned, values: list[str], distinctive: list[str], *, wholesale: bool = False) -> int:
    """Replace erased values in the audit log's old and new values by ERASED: every value in the
    events of the respondent's own objects (``owned``; with ``wholesale``, on erasure, their whole
    old and new values: everything they wrote goes), and the distinctive ones (contact details,
    email addresses, phone numbers: never someone else's) in every other event. A name is not
    looked for in other objects' history: another respondent may share it."""
    changed = 0

    def scrub(query, wanted):
        nonlocal changed
        if wholesale and wanted is values:
            for event in session.scalars(query):
                if event.old is not None or event.new is not None:
                    event.old = ERASED if event.old is not None else None
                    event.new = _erased_created(event.new) if event.field == "created" else (
                        ERASED if event.new is not None else None)
                    changed += 1
            return
        pattern = _pattern(wanted)
        json_pattern = _pattern([json.dumps(v, ensure_ascii=False)[1:-1] for v in wanted])
        if pattern is None:
            return
        for event in session.scalars(query):
            old, new = _scrub(event.old, pattern, json_pattern), _scrub(event.new, pattern, json_pattern)
            if event.field == "created" and new != event.new and not _is_json(new):
                new = _erased_created(event.new)
            if (old, new) != (event.old, event.new):
                event.old, event.new = old, new
                changed += 1

    def of(kinds):
        return or_(false(), *[(AuditEvent.entity_type == kind) & AuditEvent.entity_id.in_(ids)
                              for kind, ids in owned if ids and kind in kinds])

    theirs, related = of(THEIRS), of({kind for kind, _ in owned} - THEIRS)
    own = or_(theirs, related)
    scrub(select(AuditEvent).where(theirs), values)
    scrub(select(AuditEvent).where(related), list(values))  # staff's decisions: only the values go
    if distinctive:
        fragments = or_(*[c for v in distinctive for c in (AuditEvent.old.contains(v[:40], autoescape=True),
                                                             AuditEvent.new.contains(v[:40], autoescape=True))])
        scrub(select(AuditEvent).where(fragments, ~own), distinctive)
    session.flush()
    return changed


# --- retention --------------------------------------------------------------------------------

def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def retention_ends(consultation: Consultation, response: Response, default_months: int) -> dt.date:
    """When a response's personal data is due for anonymisation."""
    months = consultation.retention_months if consultation.retention_months is not None else default_months
    start = consultation.closes_on or response.received_on or response.created_at.date()
    return add_months(start, months)


@dataclass
class Due:
    respondent: Respondent
    ended_on: dt.date  # the latest end of retention among their responses
    responses: int


def due_for_retention(session: Session, default_months: int, today: dt.date | None = None) -> list[Due]:
    """Respondents not yet anonymised all of whose responses are past their consultation's
    retention period (deleted responses count too: their data is still held)."""
    today = today or dt.date.today()
    rows = session.execute(
        select(Respondent, Response, Consultation)
        .join(Response, Response.respondent_id == Respondent.id)
        .join(Consultation, Response.consultation_id == Consultation.id)
        .where(Respondent.anonymised_at.is_(None))
        .order_by(Respondent.id, Response.id), execution_options=WITH_DELETED).all()
    latest: dict[int, tuple[Respondent, dt.date, int]] = {}
    for respondent, response, consultation in rows:
        ends = retention_ends(consultation, response, default_months)
        _, known, count = latest.get(respondent.id, (respondent, ends, 0))
        latest[respondent.id] = (respondent, max(known, ends), count + 1)
    return [Due(respondent, ends, count) for respondent, ends, count in latest.values() if ends <= today]


# --- access requests --------------------------------------------------------------------------

def _row(obj, skip=("content",)) -> dict:
    out = {}
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in skip:
            continue
        value = getattr(obj, attr.key)
        out[attr.key] = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
    return out


def export(session: Session, respondent: Respondent) -> dict:
    """Everything held about one respondent, as plain data (the original files apart)."""
    responses = _responses(session, respondent)
    response_ids = [r.id for r in responses]
    recs = list(session.scalars(select(Recommendation).where(Recommendation.response_id.in_(response_ids))
                                .order_by(Recommendation.response_id, Recommendation.sequence, Recommendation.id),
                                execution_options=WITH_DELETED)) if response_ids else []
    rec_ids = [r.id for r in recs]
    decisions = list(session.scalars(select(Decision).where(Decision.recommendation_id.in_(rec_ids)),
                                     execution_options=WITH_DELETED)) if rec_ids else []
    audit = list(session.scalars(select(AuditEvent).where(or_(
        (AuditEvent.entity_type == "respondent") & (AuditEvent.entity_id == respondent.id),
        (AuditEvent.entity_type == "response") & AuditEvent.entity_id.in_(response_ids or [-1]),
        (AuditEvent.entity_type == "recommendation") & AuditEvent.entity_id.in_(rec_ids or [-1]),
    )).order_by(AuditEvent.id)))
    sections = list(session.scalars(select(ResponseSection).where(ResponseSection.response_id.in_(response_ids or [-1]))
                                    .order_by(ResponseSection.response_id, ResponseSection.position)))
    answers = list(session.scalars(select(UnderstoodAnswer).where(UnderstoodAnswer.response_id.in_(response_ids or [-1]))
                                   .order_by(UnderstoodAnswer.id)))
    addresses = {m.group().lower() for m in EMAIL.finditer(respondent.contact_details or "")}
    emails = list(session.scalars(select(OutboxMessage).where(func.lower(OutboxMessage.recipient).in_(addresses))
                                  .order_by(OutboxMessage.id))) if addresses else []
    return {
        "exported_at": utcnow().isoformat(),
        "respondent": {**_row(respondent),
                       "organisation_type": respondent.organisation_type.name if respondent.organisation_type else None},
        "responses": [{**_row(r), "consultation": r.consultation.slug,
                       "original_file": _file_name(r),
                       "sections": [_row(s) for s in sections if s.response_id == r.id]} for r in responses],
        "recommendations": [_row(r) for r in recs],
        "decisions": [_row(d) for d in decisions],
        "answers_to_what_we_understood": [_row(a) for a in answers],
        "emails_to_them": [{"to": m.recipient, "kind": m.template, "state": m.state, "queued_at": m.created_at,
                            "sent_at": m.sent_at, "contents": m.context} for m in emails],
        "history": [_row(e) for e in audit],
    }


def export_zip(session: Session, respondent: Respondent) -> bytes:
    """The access-request download: ``respondent.json`` and each original file under ``files/``."""
    data = export(session, respondent)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("respondent.json", json.dumps(data, indent=2, ensure_ascii=False, default=str))
        for response in _responses(session, respondent):
            if response.document is not None:
                archive.writestr(_file_name(response), response.document.content)
    return buffer.getvalue()


def _file_name(response: Response) -> str | None:
    if response.document is None:
        return None
    return f"files/{response.id}-" + (re.sub(r"[^\w.-]+", "_", response.document.filename)[:150] or "original")
