"""Recommendations already listed one per row elsewhere (inquiry or review trackers, the UN
Universal Periodic Review), with the decision on each when there is one.

Columns are found by their header (see ``COLUMNS``; case and punctuation do not matter);
any other column is kept with the recommendation as given. Each row becomes one
recommendation in the response of the one who made it ("from") to its consultation; the
response's text is its recommendations one per paragraph, each anchored by its span. The
decision column becomes a decision: its value is mapped to one of the tracker's outcomes
and kept word for word in the rationale.

Consultations come from a ``consultation`` column, or from ``--consultation``: a slug, or a
template such as ``upr-{session}-{to}`` giving one consultation per review. Consultations
that do not exist are created. Rows are identified by their ``id`` column, or else by what
they say (with a count for identical rows), so importing the same file again stores nothing
twice.
"""
from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from . import decisions as decision_rules
from .bulk import ImportReport, Row, RowError, check_length, normalise, parse_date, row_key, slugify
from .models import Consultation, OrganisationType, Recommendation, Respondent, Response, utcnow
from .organisation_types import ImportMatcher
from .soft_delete import WITH_DELETED
from consultations.vocabulary import DECISION_STATES  # noqa: F401 (re-exported)

CHANNEL = "import"

#: Canonical column -> the headers that name it (normalised: lower-case words).
COLUMNS = {
    "text": ("text", "recommendation", "recommendation text", "recommendations"),
    "id": ("id", "reference", "ref", "recommendation id", "recommendation number", "recommendation no", "number",
           "no"),
    "consultation": ("consultation", "consultation slug", "slug"),
    "from": ("from", "respondent", "made by", "recommended by", "recommending state", "author", "source"),
    "to": ("to", "recipient", "addressed to", "state under review", "directed to"),
    "org_type": ("org type", "organisation type", "organization type", "respondent type"),
    "theme": ("theme", "themes", "issue", "issues", "topic", "topics", "tags"),
    "session": ("session", "cycle", "round"),
    "decision": ("decision", "response", "outcome", "government response", "accepted"),
    "rationale": ("rationale", "reason", "reasons", "comment", "comments", "explanation", "response text",
                  "decision rationale"),
    "date": ("date", "decision date", "decided on", "response date"),
    "question": ("question", "question number"),
}
_HEADER_TO_COLUMN = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}

#: Decision values (normalised) -> the tracker's outcomes. "Noted" is the UN's word for a
#: recommendation the state under review did not accept (it "does not enjoy its support");
#: the final answer, not a pending one, so "not accepted" rather than "under consideration".
OUTCOME_WORDS = {
    "accepted": "accepted", "accept": "accepted", "agreed": "accepted", "agree": "accepted",
    "supported": "accepted", "support": "accepted", "yes": "accepted",
    "accepted in part": "accepted in part", "partially accepted": "accepted in part",
    "partly accepted": "accepted in part", "accepted in principle": "accepted in part",
    "partially supported": "accepted in part", "agreed in part": "accepted in part", "partially agreed": "accepted in part",
    "not accepted": "not accepted", "rejected": "not accepted", "reject": "not accepted", "declined": "not accepted",
    "not agreed": "not accepted", "disagree": "not accepted", "not supported": "not accepted", "no": "not accepted",
    "noted": "not accepted",
    "under consideration": "under consideration", "pending": "under consideration", "considering": "under consideration",
    "under review": "under consideration", "to be considered": "under consideration", "deferred": "under consideration",
    "already in place": "already in place", "already implemented": "already in place", "in place": "already in place",
    "already done": "already in place",
}
MAX_TEXT = 100_000
_CHAR_REF = re.compile(r"&#(\d{1,6});")


#: The rationale and internal note an import writes when the file gives no rationale
#: (``RecommendationImporter.rationale`` and ``internal_note``): they say where the decision came
#: from, and nothing anyone searches for.
_GENERATED_RATIONALE = re.compile(r"Imported from [^\n]{1,300}: [^\n]{1,200}")
_GENERATED_NOTE = re.compile(r"Imported from [^\n]{1,300}, row \d+ \(import run #\d+\)\.")


def says_only_where_it_came_from(rationale: str | None, internal_note: str | None) -> bool:
    """Whether an imported decision's texts are only what the import wrote for it (no rationale
    in the file, no note added since): its outcome is on the recommendation's own search
    document, so a document of its own would be boilerplate matching every search for the file."""
    return ((not rationale or _GENERATED_RATIONALE.fullmatch(rationale) is not None)
            and (not internal_note or _GENERATED_NOTE.fullmatch(internal_note) is not None))


class RecommendationFileError(ValueError):
    """The file or the options cannot be used; the message says why and what to do."""


def columns_of(headers: list[str]) -> dict[str, int]:
    """Canonical column -> 0-based index, for the headers that name one (first wins)."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = _HEADER_TO_COLUMN.get(normalise(header))
        if name and name not in found:
            found[name] = index
    return found


def template_fields(template: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        raise RecommendationFileError(f"The consultation template '{template}' is malformed: {error}.") from None


def _decode(value: str) -> str:
    """Numeric character references left by an HTML export (``&#40;Unknown&#41;``)."""
    return _CHAR_REF.sub(lambda m: chr(int(m.group(1))) if int(m.group(1)) < 0x110000 else m.group(0), value) \
        if "&#" in value else value


@dataclass
class Options:
    source: str  # shown in the rationale: "Imported from <source>: Accepted"
    filename: str
    consultation: str | None = None  # slug or template
    respondent: str | None = None  # when there is no "from" column
    org_type: str | None = None
    consent: str = "anonymous"
    decision_state: str = "approved"
    outcomes: dict[str, str] | None = None  # extra decision value -> outcome


@dataclass
class StoredRecommendation:
    """A row as ``store_batch`` inserted it: what its search documents say, without reading it back."""

    plan: RecommendationRow
    id: int
    key: str
    consultation: str  # slug
    respondent: str  # the stored respondent's name
    org_type: str  # the respondent's organisation type's name, or ""
    received_on: dt.date | None  # its response's
    created_at: dt.datetime
    response_deleted: bool = False  # added to a response deleted since: no search document
    decision_id: int | None = None  # set by whoever adds the row's decision (``tracker.jobs.imports``),
    decided_at: dt.datetime | None = None  # with its creation time


@dataclass
class RecommendationRow:
    number: int
    external_id: str
    slug: str
    context: dict[str, str]  # canonical column -> value, for titles
    respondent: str
    org_type: str | None
    text: str
    question: str | None
    outcome: str | None
    decision_value: str
    rationale: str | None
    decided_on: dt.date | None
    attributes: dict


class RecommendationImporter:
    """Rows to recommendations. ``prepare`` checks a row without touching the database;
    ``store`` adds its recommendation to the session (the caller flushes and commits).
    Decisions are workflow objects: ``tracker.jobs.imports`` adds them from ``row.outcome``."""

    kind = "recommendations"

    def __init__(self, session: Session, headers: list[str], options: Options, report: ImportReport,
                 import_run_id: int | None = None):
        self.session = session
        self.headers = headers
        self.options = options
        self.report = report
        self.organisation_type = ImportMatcher(session, report)
        self.import_run_id = import_run_id
        self.columns = columns_of(headers)
        if "text" not in self.columns:
            raise RecommendationFileError(
                f"{options.filename} has no column for the recommendation's text. Name it 'text' or "
                f"'recommendation' (its columns are: {', '.join(h or '(blank)' for h in headers)}).")
        if "from" not in self.columns and not options.respondent:
            raise RecommendationFileError(
                f"{options.filename} does not say who made the recommendations: add a 'from' column, "
                "or give --respondent NAME.")
        self.outcomes = dict(OUTCOME_WORDS)
        self.outcomes.update({normalise(k): v for k, v in (options.outcomes or {}).items()})
        self.template = self._template()
        self.extra = [i for i in range(len(headers)) if i not in self.columns.values()]
        self.occurrences: dict[str, int] = {}
        self.seen_ids: dict[tuple[str, str], int] = {}
        self.reset()

    def _template(self) -> str:
        if self.options.consultation:
            template = self.options.consultation
        elif "consultation" in self.columns:
            template = "{consultation}"
        else:
            stem = slugify(self.options.filename.rsplit(".", 1)[0]) or "imported"
            template = stem + "".join(f"-{{{name}}}" for name in ("session", "to") if name in self.columns)
        unknown = [name for name in template_fields(template) if name not in self.columns]
        if unknown:
            raise RecommendationFileError(
                f"The consultation template '{template}' names {', '.join(unknown)}, which "
                f"{'is not a column' if len(unknown) == 1 else 'are not columns'} of {self.options.filename} "
                f"(its recognised columns: {', '.join(sorted(self.columns))}).")
        return template

    def reset(self) -> None:
        """Forget cached objects (after a rollback they may no longer exist)."""
        self.consultations: dict[str, Consultation] = {}
        self.absent: set[str] = set()
        self.respondents: dict[str, Respondent] = {}
        self.responses: dict[int, dict[str, _ResponseState]] = {}
        self.existing: dict[int, set[str]] = {}
        self.created: dict[str, list[int]] = {}
        self.extended: dict[str, list[int]] = {}

    def close(self) -> None:
        """Once every row is stored: drop what was kept to recognise rows already stored (a key
        per row of the file), so the search indexing that follows reuses that memory."""
        self.reset()
        self.occurrences.clear()
        self.seen_ids.clear()

    def release(self) -> None:
        """After a commit: drop the collections the cached objects grew, so memory stays flat
        however long the file (rows are inserted in bulk: no ORM object per row is kept)."""
        for obj in (*self.consultations.values(), *self.respondents.values()):
            self.session.expire(obj, ["responses"])

    # -- checking a row ------------------------------------------------------------------

    def _get(self, values: list[str], name: str) -> str:
        index = self.columns.get(name)
        return _decode(values[index].strip()) if index is not None else ""

    def prepare(self, row: Row) -> RecommendationRow:
        values = row.values
        text = self._get(values, "text")
        if not text:
            raise RowError(f"{self.headers[self.columns['text']]} is empty; every row needs the recommendation's text")
        check_length(text, MAX_TEXT, self.headers[self.columns["text"]])
        context = {name: self._get(values, name) for name in self.columns}
        filled = self.template.format(**context) if "{" in self.template else self.template
        slug = slugify(filled)
        if not slug:
            raise RowError(f"the consultation for this row would be '{filled}', which has no letters or digits")
        respondent = " ".join((self._get(values, "from") or self.options.respondent or "").split())
        if not respondent:
            raise RowError(f"{self.headers[self.columns['from']]} is empty; say who made the recommendation")
        check_length(respondent, 300, "The respondent's name")
        org_type = self._get(values, "org_type") or self.options.org_type
        check_length(org_type or "", 100, "The organisation type")

        decision_value = self._get(values, "decision")
        outcome = None
        if decision_value:
            outcome = self.outcomes.get(normalise(decision_value))
            if outcome is None:
                raise RowError(
                    f"the decision '{decision_value}' is not one the tracker knows (accepted, accepted in part, "
                    f"not accepted, already in place, under consideration); map it with "
                    f"--outcome '{decision_value}=under consideration' or another outcome")
        decided_on = parse_date(self._get(values, "date"), self.headers[self.columns["date"]]) \
            if "date" in self.columns else None

        given_id = self._get(values, "id")
        if given_id:
            check_length(given_id, 190, self.headers[self.columns["id"]])
            external_id = "id:" + given_id
            first = self.seen_ids.get((slug, external_id))
            if first is not None:
                raise RowError(f"{self.headers[self.columns['id']]} '{given_id}' is also used by row {first} "
                               f"in the same consultation")
            self.seen_ids[(slug, external_id)] = row.number
        else:
            key = row_key(slug, respondent, text)
            self.occurrences[key] = self.occurrences.get(key, 0) + 1
            external_id = f"row:{key}:{self.occurrences[key]}"
        attributes = {self.headers[i] or f"column {i + 1}": _decode(values[i].strip())
                      for i in self.extra if values[i].strip()}
        for name in ("to", "theme", "session"):
            if context.get(name):
                attributes[self.headers[self.columns[name]]] = context[name]
        return RecommendationRow(
            number=row.number, external_id=external_id, slug=slug, context=context, respondent=respondent,
            org_type=org_type or None, text=text, question=self._get(values, "question") or None, outcome=outcome,
            decision_value=decision_value, rationale=self._get(values, "rationale") or None, decided_on=decided_on,
            attributes=attributes,
        )

    # -- storing -------------------------------------------------------------------------

    def is_stored(self, plan: RecommendationRow) -> bool:
        consultation = self._consultation(plan, create=False)
        return consultation is not None and plan.external_id in self._existing(consultation)

    def _existing(self, consultation: Consultation) -> set[str]:
        if consultation.id is None:
            return self.existing.setdefault(-id(consultation), set())
        if consultation.id not in self.existing:
            self.existing[consultation.id] = set(self.session.scalars(
                select(Recommendation.external_id).join(Response)
                .where(Response.consultation_id == consultation.id, Recommendation.external_id.is_not(None)),
                execution_options=WITH_DELETED))  # a deleted recommendation's id stays taken
        return self.existing[consultation.id]

    def _consultation(self, plan: RecommendationRow, *, create: bool) -> Consultation | None:
        consultation = self.consultations.get(plan.slug)
        if consultation is None and plan.slug not in self.absent:
            consultation = self.session.scalar(select(Consultation).where(Consultation.slug == plan.slug))
            if consultation is None:
                self.absent.add(plan.slug)  # until this run creates it: one query per slug, not per row
        if consultation is None and create:
            to, session = plan.context.get("to"), plan.context.get("session")
            title = f"Recommendations to {to}" if to else f"Recommendations imported from {self.options.filename}"
            if session:
                title += f", session {session}"
            consultation = Consultation(slug=plan.slug, title=title[:300], body=(to or self.options.source)[:300],
                                        status="closed")
            self.session.add(consultation)
            self.report.count("consultations created")
        if consultation is not None:
            self.consultations[plan.slug] = consultation
        return consultation

    def _respondent(self, plan: RecommendationRow) -> Respondent:
        key = plan.respondent.lower()
        respondent = self.respondents.get(key)
        if respondent is None:
            respondent = self.session.scalar(
                select(Respondent).where(func.lower(Respondent.name) == key).order_by(Respondent.id))
            if respondent is None:
                respondent = Respondent(name=plan.respondent, organisation_type=self.organisation_type(plan.org_type),
                                        consent=self.options.consent)
                self.session.add(respondent)
                self.report.count("respondents created")
            self.respondents[key] = respondent
        return respondent

    def _response(self, consultation: Consultation, plan: RecommendationRow) -> _ResponseState:
        external_id = "from:" + plan.respondent.lower()[:190]
        states = self._responses_of(consultation)
        state = states.get(external_id)
        if state is None:
            respondent = self._respondent(plan)
            state = states[external_id] = _ResponseState(
                None, 0, 0, consultation=consultation, respondent=respondent, external_id=external_id,
                received_on=plan.decided_on, respondent_name=respondent.name,
                org_type=respondent.organisation_type.name if respondent.organisation_type else "")
        return state

    def _responses_of(self, consultation: Consultation) -> dict[str, _ResponseState]:
        """The consultation's imported responses by external id, loaded once (two queries):
        their ids, text lengths and last sequence numbers, never their text (and what their
        recommendations' search documents say of them)."""
        key = id(consultation)
        if key not in self.responses:
            states = self.responses[key] = {}
            if consultation.id is not None:
                responses = self.session.execute(select(
                    Response.id, Response.external_id, func.length(func.coalesce(Response.text, "")),
                    Response.received_on, Respondent.name, OrganisationType.name, Response.deleted_at)
                    .join(Respondent, Response.respondent_id == Respondent.id)
                    .outerjoin(OrganisationType, Respondent.organisation_type_id == OrganisationType.id)
                    .where(Response.consultation_id == consultation.id, Response.external_id.like("from:%")),
                    execution_options=WITH_DELETED).all()
                last = dict(self.session.execute(
                    select(Recommendation.response_id, func.max(Recommendation.sequence))
                    .where(Recommendation.response_id.in_([r.id for r in responses]))
                    .group_by(Recommendation.response_id), execution_options=WITH_DELETED).all()) if responses else {}
                for response_id, external_id, length, received_on, name, org_type, deleted_at in responses:
                    states[external_id] = _ResponseState(response_id, length or 0, last.get(response_id) or 0,
                                                         received_on=received_on, respondent_name=name,
                                                         org_type=org_type or "", deleted=deleted_at is not None)
        return self.responses[key]

    def store_batch(self, plans: list[RecommendationRow]) -> list[StoredRecommendation]:
        """Store a batch of rows with a few bulk statements, not one ORM object per row.

        New consultations and respondents (a few per file) go through the ORM and its audit as
        usual; responses and recommendations are inserted with one multi-row INSERT ... RETURNING
        each, and responses that already existed grow with one UPDATE per response. Returns each
        each row as stored (its id, and what its search documents need). The caller records the batch on the import run's audit
        trail (``audit.record_import``) and commits."""
        now = utcnow()
        placed = []
        for plan in plans:
            consultation = self._consultation(plan, create=True)
            state = self._response(consultation, plan)
            start = state.length + (2 if state.length else 0)
            state.length = start + len(plan.text)
            state.pieces.append(plan.text)
            state.sequence += 1
            placed.append((plan, consultation, state, state.sequence, start))
        self.session.flush()  # new consultations and respondents get their ids

        touched = list({id(state): state for _, _, state, _, _ in placed}.values())
        new = [state for state in touched if state.id is None]
        if new:
            table = Response.__table__
            ids = self.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), [
                {"consultation_id": state.consultation.id, "respondent_id": state.respondent.id, "channel": CHANNEL,
                 "external_id": state.external_id, "import_run_id": self.import_run_id,
                 "text": "\n\n".join(state.pieces), "received_on": state.received_on, "status": "received",
                 "created_at": now, "version_id": 1} for state in new]).scalars().all()
            for state, response_id in zip(new, ids):
                state.id = response_id
                state.consultation = state.respondent = None  # only needed once
            self.created.setdefault("response", []).extend(ids)
        grown = [state for state in touched if state not in new]
        if grown:
            table = Response.__table__
            self.session.execute(
                update(table).where(table.c.id == bindparam("response_id"))
                .values(text=func.coalesce(table.c.text, "") + bindparam("suffix"), version_id=table.c.version_id + 1),
                [{"response_id": state.id, "suffix": "".join("\n\n" + piece for piece in state.pieces)}
                 for state in grown])
            self.extended.setdefault("response", []).extend(state.id for state in grown)
        for state in touched:
            state.pieces = []

        rows, stored = [], []
        for plan, consultation, state, sequence, start in placed:
            question_id = None
            if plan.question:
                question = next((q for q in consultation.questions if q.number == plan.question), None)
                if question is None:
                    self.report.note(f"Some rows name a question their consultation does not have (for example "
                                     f"question {plan.question} in {consultation.slug}); they were imported without one.")
                else:
                    question_id = question.id
            rows.append({"response_id": state.id, "key": f"R{sequence}", "sequence": sequence, "text": plan.text,
                         "spans": [[start, start + len(plan.text)]], "unresolved_references": [],
                         "origin": "imported", "external_id": plan.external_id, "import_run_id": self.import_run_id,
                         "attributes": plan.attributes or None, "question_id": question_id, "created_at": now,
                         "version_id": 1})
            self._existing(consultation).add(plan.external_id)
            stored.append(StoredRecommendation(plan, 0, f"R{sequence}", consultation.slug, state.respondent_name,
                                               state.org_type, state.received_on, now, state.deleted))
        table = Recommendation.__table__
        ids = self.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                   rows).scalars().all()
        for row, recommendation_id in zip(stored, ids):
            row.id = recommendation_id
        self.created.setdefault("recommendation", []).extend(ids)
        decision_rules.note_new_recommendations(self.session, {row["response_id"] for row in rows})
        self.report.count("recommendations", len(plans))
        return stored

    def take_changes(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """The ids created and extended since the last call (for the import run's audit trail)."""
        changes = self.created, self.extended
        self.created, self.extended = {}, {}
        return changes

    def rationale(self, plan: RecommendationRow) -> str:
        return plan.rationale or f"Imported from {self.options.source}: {plan.decision_value}"

    def internal_note(self, plan: RecommendationRow) -> str:
        return f"Imported from {self.options.filename}, row {plan.number} (import run #{self.import_run_id})."

    def finish(self) -> None:
        pass


@dataclass
class _ResponseState:
    """An imported response as a batch sees it: its id once stored, its text's length (for the
    next recommendation's span), its last sequence number, and this batch's new texts."""

    id: int | None
    length: int
    sequence: int
    consultation: Consultation | None = None  # until it is stored
    respondent: Respondent | None = None
    external_id: str = ""
    received_on: dt.date | None = None
    respondent_name: str = ""
    org_type: str = ""
    deleted: bool = False
    pieces: list[str] = field(default_factory=list)

