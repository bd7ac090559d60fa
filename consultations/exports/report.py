"""A consultation report for staff: summary counts (responses, recommendations, decided,
published, by outcome), outcomes by question and by standard, and every recommendation with its
decision; as figures (``consultation_report``) that the HTML page renders and as a Word
document (``report_docx``).

The rows are the recommendations list's export rows for the consultation (so the report and
a download of the list filtered to it agree), counted in Python; by standard adds one query for
the confirmed links. A fixed number of queries per batch of rows, whatever the consultation's size.

Words, as staff use them: a recommendation is *decided* when its live decision is approved or
published (a draft is still being written); its *outcome* is the live decision's working outcome
whatever the state, or "No decision"; *by standard* counts confirmed links, so a recommendation
linked to two standards counts under both and one with none under "No confirmed standard".
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultations import recommendation_list as listing
from consultations.exports.rows import ExportRow, export_rows
from consultations.models import Consultation, Framework, FrameworkItem, Link, Question, Recommendation, Response
from consultations.vocabulary import DECISION_OUTCOMES

NO_DECISION_LABEL = "No decision"
NO_QUESTION_LABEL = "Not answering a question"
NO_STANDARD_LABEL = "No confirmed standard"
OUTCOME_COLUMNS = (*DECISION_OUTCOMES.choices(), (listing.NO_DECISION, NO_DECISION_LABEL))


@dataclass
class OutcomeRow:
    """One line of an outcomes table: what it counts and how many of each outcome."""

    label: str
    counts: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def cells(self) -> list[int]:
        return [self.counts.get(value, 0) for value, _ in OUTCOME_COLUMNS]


@dataclass
class Report:
    consultation: Consultation
    responses: int
    recommendations: int
    by_state: dict[str, int]  # listing.DECISION_FILTER_STATES → count
    by_outcome: list[tuple[str, int]]  # (label, count) in OUTCOME_COLUMNS order
    by_question: list[OutcomeRow]
    by_standard: list[OutcomeRow]
    rows: list[ExportRow]

    @property
    def decided(self) -> int:
        return self.by_state.get("approved", 0) + self.by_state.get("published", 0)

    @property
    def published(self) -> int:
        return self.by_state.get("published", 0)

    def summary(self) -> list[tuple[str, int]]:
        return [("Responses", self.responses), ("Recommendations", self.recommendations),
                ("Decided (approved or published)", self.decided), ("Published", self.published),
                ("Draft decisions", self.by_state.get("draft", 0)),
                ("No decision yet", self.by_state.get(listing.NO_DECISION, 0))]


def outcome_headings() -> list[str]:
    return [label for _, label in OUTCOME_COLUMNS]


def consultation_report(session: Session, consultation: Consultation) -> Report:
    rows = list(export_rows(session, listing.RecommendationFilters(consultation_id=consultation.id), "key"))
    responses = session.scalar(select(func.count()).select_from(Response).where(
        Response.consultation_id == consultation.id)) or 0
    outcome_of = {row.recommendation_id: row.outcome_value or listing.NO_DECISION for row in rows}

    by_state = Counter(row.decision_state_value for row in rows)
    by_outcome = Counter(outcome_of.values())

    questions = session.execute(
        select(Question.id, Question.number, Question.text).where(Question.consultation_id == consultation.id)
        .order_by(Question.position, Question.id)).all()
    by_question = {qid: OutcomeRow(f"{number}. {text}") for qid, number, text in questions}
    unanswered = OutcomeRow(NO_QUESTION_LABEL)
    for row in rows:
        by_question.get(row.question_id, unanswered).counts[outcome_of[row.recommendation_id]] += 1

    by_standard: dict[int, OutcomeRow] = {}
    linked: set[int] = set()
    for rec_id, item_id, framework, code, title in session.execute(
            select(Link.recommendation_id, FrameworkItem.id, Framework.name, FrameworkItem.code, FrameworkItem.title)
            .join(FrameworkItem, FrameworkItem.id == Link.item_id)
            .join(Framework, Framework.id == FrameworkItem.framework_id)
            .join(Recommendation, Recommendation.id == Link.recommendation_id)
            .join(Response, Response.id == Recommendation.response_id)
            .where(Link.status == "confirmed", Response.consultation_id == consultation.id)
            .order_by(Framework.name, FrameworkItem.position, FrameworkItem.id, Link.recommendation_id)):
        if rec_id not in outcome_of:  # a deleted recommendation or response
            continue
        label = f"{framework} {code}" + (f": {title}" if title else "")
        by_standard.setdefault(item_id, OutcomeRow(label)).counts[outcome_of[rec_id]] += 1
        linked.add(rec_id)
    no_standard = OutcomeRow(NO_STANDARD_LABEL, Counter(
        outcome for rec_id, outcome in outcome_of.items() if rec_id not in linked))

    return Report(
        consultation=consultation,
        responses=responses,
        recommendations=len(rows),
        by_state={state: by_state.get(state, 0) for state in listing.DECISION_FILTER_STATES},
        by_outcome=[(label, by_outcome.get(value, 0)) for value, label in OUTCOME_COLUMNS],
        by_question=[*by_question.values(), *([unanswered] if unanswered.total else [])],
        by_standard=[*by_standard.values(), *([no_standard] if no_standard.total else [])],
        rows=rows,
    )


def report_docx(report: Report) -> bytes:
    """The report as a Word document: the same sections as the printable page."""
    from docx import Document  # python-docx takes a tenth of a second to import: only this download needs it

    consultation = report.consultation
    document = Document()
    document.core_properties.title = f"Consultation report: {consultation.title}"
    document.add_heading(f"Consultation report: {consultation.title}", level=0)
    document.add_paragraph(consultation.body)

    document.add_heading("Summary", level=1)
    _table(document, ["", "Number"], [[label, n] for label, n in report.summary()])
    document.add_heading("Recommendations by outcome", level=1)
    _table(document, ["Outcome", "Recommendations"], [[label, n] for label, n in report.by_outcome])
    for heading, first, lines in (("Outcomes by question", "Question", report.by_question),
                                  ("Outcomes by standard", "Standard", report.by_standard)):
        document.add_heading(heading, level=1)
        if lines:
            _table(document, [first, *outcome_headings(), "Total"],
                   [[line.label, *line.cells(), line.total] for line in lines], small=True)
        else:
            document.add_paragraph("None.")

    document.add_heading("Every recommendation and its decision", level=1)
    if not report.rows:
        document.add_paragraph("No recommendations have been recorded for this consultation.")
    # python-docx appends each paragraph by scanning the body for its section properties, and
    # resolves a style by scanning every style, so 100k paragraphs took minutes: insert before a
    # marker paragraph and set the heading's style id directly, each in constant time.
    end = document.add_paragraph()
    heading_style_id = document.styles["Heading 2"].style_id
    for row in report.rows:
        end.insert_paragraph_before(f"{row.key} – {row.respondent}")._p.style = heading_style_id
        end.insert_paragraph_before(row.text)
        decision = end.insert_paragraph_before()
        decision.add_run("Decision: ").bold = True
        decision.add_run(row.decision_state + (f", {row.outcome}" if row.outcome else ""))
        if row.public_rationale:
            rationale = end.insert_paragraph_before()
            rationale.add_run("Public rationale: ").bold = True
            rationale.add_run(row.public_rationale)
    end._element.getparent().remove(end._element)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _table(document, header: list[str], rows: list[list], small: bool = False) -> None:
    from docx.shared import Pt

    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = ""
        cell.paragraphs[0].add_run(str(text)).bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values):
            cell.text = str(value)
    if small:
        for line in table.rows:
            for cell in line.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(9)

