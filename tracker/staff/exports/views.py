"""Exports for staff: thin views that choose the records, call ``consultations.exports`` and send
the file: a response as "What we understood you to recommend" and a consultation's report. Every
staff role may read them (they hold internal notes and respondents' names, so never the public);
anonymous visitors are sent to sign in. The recommendations list as a file is the list's own
(``tracker.staff.recommendations.downloads``), so it reads the list's filters with the list's form.
"""
from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, render_template, send_file
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consultations.exports import report as reports
from consultations.exports.understood import understood_docx
from consultations.models import Consultation, Recommendation, Response as ConsultationResponse
from tracker.db import db
from tracker.staff.exports.charts import stacked_chart
from tracker.web.headers import download_name
from tracker.web.loaders import live_response
from tracker.web.roles import login_required

bp = Blueprint("exports", __name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _dated(stem: str, extension: str) -> str:
    return f"{stem}-{dt.date.today().isoformat()}.{extension}"


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

