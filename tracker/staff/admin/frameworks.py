"""Admin: framework uploads (YAML or CSV), checked in full and imported, or refused with every problem."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from consultations.frameworks import (
    FrameworkFileError, ImportReport, frameworks_with_item_counts, import_framework, load_framework_file,
)
from tracker.db import db
from tracker.staff.admin.forms import FrameworkUploadForm
from tracker.staff.admin.views import bp
from tracker.web.editing import apply_edit
from tracker.web.roles import role_required

MAX_FRAMEWORK_FILE_BYTES = 2 * 1024 * 1024
FRAMEWORK_SUFFIXES = (".yaml", ".yml", ".csv")


class UploadRefused(ValueError):
    """The upload is not a framework file this page takes (wrong type, too big); nothing was read."""


def import_uploaded_framework(session: Session, upload, **header: str | None) -> ImportReport:
    """Check and import an uploaded YAML or CSV framework file; flush, never commit.

    The loader reads a path, so the upload is written to a temporary folder under its own
    (made safe) name: a CSV file's key defaults to its file name. Raises ``UploadRefused``, or
    ``FrameworkFileError`` listing every problem in the file, with nothing written.
    """
    filename = upload.filename or ""
    suffix = Path(filename).suffix.lower()
    if suffix not in FRAMEWORK_SUFFIXES:
        raise UploadRefused("The selected file must be a YAML (.yaml or .yml) or CSV (.csv) file")
    data = upload.stream.read(MAX_FRAMEWORK_FILE_BYTES + 1)
    if len(data) > MAX_FRAMEWORK_FILE_BYTES:
        raise UploadRefused("The selected file must be smaller than 2 MB")
    safe_name = secure_filename(filename)
    if Path(safe_name).suffix.lower() != suffix or not Path(safe_name).stem:
        safe_name = "framework" + suffix
    with tempfile.TemporaryDirectory(prefix="framework-upload-") as folder:
        path = Path(folder) / safe_name
        path.write_bytes(data)
        spec = load_framework_file(path, **{k: (v or "").strip() or None for k, v in header.items()})
    return import_framework(session, spec)


def describe_import(report: ImportReport) -> str:
    framework = report.framework
    return (
        f"Imported {framework.name} ({framework.key} version {framework.version}, {framework.kind}): "
        f"{report.items} items — {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.retired} retired."
    )


@bp.route("/admin/frameworks", methods=["GET", "POST"])
@role_required("admin")
def frameworks():
    """Imported frameworks, and a form to upload a new one or a corrected file."""
    form = FrameworkUploadForm()
    problems: list[str] = []

    def upload():
        try:
            return import_uploaded_framework(db.session, form.file.data, key=form.key.data, name=form.name.data,
                                             version=form.version.data, kind=form.kind.data)
        except FrameworkFileError as error:  # every problem is listed at the top of the page
            problems.extend(error.problems)
            raise UploadRefused(problems[0] if len(problems) == 1 else
                                f"The file has {len(problems)} problems, listed at the top of the page") from None

    def render(code=200, conflict=None):
        return render_template("staff/admin/frameworks.html", form=form, rows=frameworks_with_item_counts(db.session), problems=problems,
                               filename=form.file.data.filename if form.file.data else None), code

    if request.method == "GET":
        return render()
    outcome = apply_edit(form, upload, render, error_field=form.file)
    if outcome.refused:
        return outcome.page
    flash(describe_import(outcome.result))
    return redirect(url_for("admin.frameworks"))
