"""Exports for staff: thin views that choose the records, call ``consultations.exports`` and send
the file. Every staff role may read them (they hold internal notes and respondents' names, so
never the public); anonymous visitors are sent to sign in.

The list exports take the recommendations list's own GET parameters, so "Download this list"
carries the current filter and sort; a value the list would refuse is refused here (400) rather
than exported unfiltered. CSV streams from a generator; XLSX is written by openpyxl's write-only
mode, one row in memory at a time, into a spooled temporary file (a zip cannot be sent before
it is finished), and the finished, compressed file is sent (a few MB for 31k recommendations).
"""
from __future__ import annotations

import datetime as dt
import io
import tempfile

from flask import Blueprint, Response, g, render_template, request, send_file, stream_with_context
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consultations.exports import report as reports
from consultations.exports.rows import COLUMNS, FilterProblem, export_rows, filters_from_params
from consultations.exports.spreadsheets import csv_chunks, write_xlsx
from consultations.exports.understood import understood_docx
from consultations.models import Consultation, Recommendation, Response as ConsultationResponse
from tracker.db import db
from tracker.staff.exports.charts import stacked_chart
from tracker.web.headers import download_name
from tracker.web.loaders import live_response
from tracker.web.roles import login_required

bp = Blueprint("exports", __name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_WIDTHS = (10, 60, 25, 20, 30, 40, 12, 22, 40, 14, 18, 50, 50, 22, 50, 12, 12)
SPOOL_BYTES = 8 * 1024 * 1024  # while openpyxl writes, a larger workbook goes to disk


def _listed_rows():
    """The rows for the list's GET parameters, or a 400 page saying which filter is wrong."""
    try:
        filters, sort = filters_from_params(request.args, g.user.id)
    except FilterProblem as problem:
        return None, (render_template("staff/exports/refused.html", problem=str(problem)), 400)
    return export_rows(db.session, filters, sort), None


def _dated(stem: str, extension: str) -> str:
    return f"{stem}-{dt.date.today().isoformat()}.{extension}"


@bp.route("/recommendations/export.csv")
@login_required
def recommendations_csv():
    """The filtered recommendations list as CSV, streamed."""
    rows, refused = _listed_rows()
    if refused:
        return refused
    reply = Response(stream_with_context(csv_chunks(COLUMNS, (row.values() for row in rows))),
                     mimetype="text/csv", headers={"Content-Type": "text/csv; charset=utf-8"})
    reply.headers["Content-Disposition"] = f'attachment; filename="{_dated("recommendations", "csv")}"'
    return reply


@bp.route("/recommendations/export.xlsx")
@login_required
def recommendations_xlsx():
    """The filtered recommendations list as an Excel workbook."""
    rows, refused = _listed_rows()
    if refused:
        return refused
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        write_xlsx(spool, "Recommendations", COLUMNS, (row.values() for row in rows), XLSX_WIDTHS)
        spool.seek(0)
        workbook = spool.read()
    return send_file(io.BytesIO(workbook), mimetype=XLSX, as_attachment=True,
                     download_name=_dated("recommendations", "xlsx"), max_age=0)


@bp.route("/responses/<id:response_id>/understood.docx")
@login_required
def understood(response_id: int):
    """A response as "What we understood you to recommend", to check with the respondent."""
    item = live_response(
        response_id,
        selectinload(ConsultationResponse.consultation),
        selectinload(ConsultationResponse.respondent),
        selectinload(ConsultationResponse.recommendations).selectinload(Recommendation.question),
    )
    name = download_name(f"What we understood - {item.respondent.name}.docx", f"response-{item.id}.docx")
    return send_file(io.BytesIO(understood_docx(item)), mimetype=DOCX, as_attachment=True,
                     download_name=name, max_age=0)


def _consultation(slug: str) -> Consultation:
    return db.one_or_404(select(Consultation).where(Consultation.slug == slug))


@bp.route("/consultations/<slug>/report")
@login_required
def report(slug: str):
    """The consultation report as a page that prints well."""
    report = reports.consultation_report(db.session, _consultation(slug))
    headings = reports.outcome_headings()
    return render_template(
        "staff/exports/report.html", report=report, outcome_headings=headings,
        question_chart=stacked_chart("Outcomes by question", report.by_question, headings),
        standard_chart=stacked_chart("Outcomes by standard (confirmed links)", report.by_standard, headings))


@bp.route("/consultations/<slug>/report.docx")
@login_required
def report_docx(slug: str):
    """The consultation report as a Word document."""
    consultation = _consultation(slug)
    document = reports.report_docx(reports.consultation_report(db.session, consultation))
    return send_file(io.BytesIO(document), mimetype=DOCX, as_attachment=True,
                     download_name=download_name(f"Report - {consultation.title}.docx", f"report-{slug}.docx"),
                     max_age=0)

