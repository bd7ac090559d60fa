"""The recommendations list as a file: "Download this list" carries the list's own filters and
sort, read by the same form, so the file holds exactly the rows the list shows. A filter the
list would refuse is refused here (400) rather than exported unfiltered. CSV streams from a
generator; XLSX is written by openpyxl's write-only mode, one row in memory at a time, into a
spooled temporary file (a zip cannot be sent before it is finished). The rows come from
``consultations.exports`` in batches, a fixed number of queries per batch.
"""
from __future__ import annotations

import datetime as dt
import io
import tempfile

from flask import Response, render_template, send_file, stream_with_context

from consultations.exports.rows import COLUMNS, export_rows
from consultations.exports.spreadsheets import csv_chunks
from tracker.db import db
from tracker.staff.recommendations.views import bp, read_filters
from tracker.web.roles import login_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_WIDTHS = (10, 60, 25, 20, 30, 40, 12, 22, 40, 14, 18, 50, 50, 22, 50, 12, 12)
SPOOL_BYTES = 8 * 1024 * 1024  # while openpyxl writes, a larger workbook goes to disk


def _listed_rows():
    """The rows for the list's GET parameters, or a 400 page saying which filter is wrong."""
    _, filters, sort, errors = read_filters()
    if errors:
        return None, (render_template("staff/recommendations/refused.html", problem=errors[0]["text"]), 400)
    return export_rows(db.session, filters, sort), None


def _dated(stem: str, extension: str) -> str:
    return f"{stem}-{dt.date.today().isoformat()}.{extension}"


@bp.route("/recommendations/export.csv")
@login_required
def export_csv():
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
def export_xlsx():
    """The filtered recommendations list as an Excel workbook."""
    from consultations.exports.xlsx import write_xlsx  # openpyxl: imported when a workbook is asked for

    rows, refused = _listed_rows()
    if refused:
        return refused
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        write_xlsx(spool, "Recommendations", COLUMNS, (row.values() for row in rows), XLSX_WIDTHS)
        spool.seek(0)
        workbook = spool.read()
    return send_file(io.BytesIO(workbook), mimetype=XLSX, as_attachment=True,
                     download_name=_dated("recommendations", "xlsx"), max_age=0)
