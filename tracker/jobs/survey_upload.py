"""Importing a survey export uploaded in the browser, as a background job (``tracker.jobs.background``).

Two steps, as on the command line: the upload is checked and its columns mapped (``prepare``:
quick, in the request: the file is read for its header and a sample of rows), the admin sees
the mapping and confirms it; then the import itself runs in the job's own process
(``run_survey_upload``), the same ``imports.import_survey`` as ``import-survey``, so rows
already imported are skipped and a bad row is reported with its number and never stops the
others. A file that cannot be imported at all is refused at the first step and nothing is kept.

The upload waits in ``instance/jobs/upload-TOKEN/`` with the mapping (saved as the command's
``--save-mapping`` would) and a small ``upload.json``; the folder is removed when its import
ends, and a folder nobody confirmed is removed after a day.
"""
from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from consultations.bulk import TableError, open_table
from consultations.models import Consultation, ImportRun
from consultations.survey_import import SAMPLE_ROWS, SurveyError, load_mapping, propose_mapping, save_mapping
from consultations.survey_import.mapping import Mapping

from tracker import limits
from tracker.jobs import background, imports
from tracker.jobs.background import JobRefused

SURVEY_SUFFIXES = (".csv", ".xlsx")
MAPPING_SUFFIXES = (".yaml", ".yml", ".json")
MAX_MAPPING_BYTES = 1024 * 1024
WEB_BATCH_SIZE = 100  # rows per committed batch: the progress page moves every 100 rows
TOKEN = re.compile(r"^[0-9a-f]{32}$")
STALE_UPLOAD_SECONDS = 24 * 3600


class UploadRefused(ValueError):
    """The upload cannot be imported; the message says why. Nothing was kept."""

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message)
        self.field = field


@dataclass
class Prepared:
    token: str
    filename: str
    consultation: str  # slug
    create_questions: bool
    rows: int
    mapping: Mapping
    from_mapping_file: bool


def _folder(token: str) -> Path:
    if not TOKEN.match(token or ""):
        raise UploadRefused("This upload is not known. Upload the file again", field="token")
    return background.jobs_folder() / f"upload-{token}"


def _read_upload(upload, suffixes: tuple[str, ...], limit: int, what: str) -> tuple[str, bytes]:
    filename = upload.filename or ""
    suffix = Path(filename).suffix.lower()
    if suffix not in suffixes:
        raise UploadRefused(what)
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(f"The selected file must be smaller than {limits.megabytes(limit)}")
    if not data:
        raise UploadRefused("The selected file is empty")
    safe = secure_filename(filename)
    if Path(safe).suffix.lower() != suffix or not Path(safe).stem:
        safe = "upload" + suffix
    return safe, data


def _clear_stale_uploads() -> None:
    now = time.time()
    for folder in background.jobs_folder().glob("upload-*"):
        try:
            if now - folder.stat().st_mtime > STALE_UPLOAD_SECONDS and not (folder / "started").exists():
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def prepare(session: Session, consultation: Consultation, upload, mapping_upload=None, *,
            create_questions: bool = False) -> Prepared:
    """Check an uploaded export and map its columns; keep it for ``start``. Raises
    ``UploadRefused`` (with nothing kept) if the file cannot be imported."""
    _clear_stale_uploads()
    name, data = _read_upload(upload, SURVEY_SUFFIXES, limits.max_file_bytes(),
                              "The selected file must be a CSV (.csv) or Excel (.xlsx) file")
    mapping_name = mapping_data = None
    if mapping_upload is not None and mapping_upload.filename:
        try:
            mapping_name, mapping_data = _read_upload(
                mapping_upload, MAPPING_SUFFIXES, MAX_MAPPING_BYTES,
                "The column mapping must be a YAML (.yaml or .yml) or JSON (.json) file")
        except UploadRefused as error:
            error.field = "mapping"
            raise
    token = secrets.token_hex(16)
    folder = _folder(token)
    folder.mkdir(parents=True)
    try:
        path = folder / name
        path.write_bytes(data)
        try:
            table = open_table(path)
            questions = list(consultation.questions)
            if mapping_data is not None:
                given = folder / ("given-" + mapping_name)
                given.write_bytes(mapping_data)
                mapping = load_mapping(given, table.headers, questions, create_questions=create_questions)
            else:
                sample = [row.values for row in islice(open_table(path).rows, SAMPLE_ROWS) if row.values]
                mapping = propose_mapping(table.headers, sample, questions, create_questions=create_questions)
        except TableError as error:
            raise UploadRefused(_plain(str(error), path)) from None
        except SurveyError as error:
            raise UploadRefused(_plain(str(error), folder), field="mapping" if mapping_data else "file") from None
        if not table.count:
            raise UploadRefused("The file has a header row but no answers")
        if not mapping.answers:
            raise UploadRefused("No column of the file matches a question of this consultation. Tick “Create a "
                                "question from each column that matches none”, or upload a column mapping")
        save_mapping(mapping, folder / "mapping.yaml", table.name)
        prepared = Prepared(token, upload.filename or name, consultation.slug, create_questions, table.count, mapping,
                            mapping_data is not None)
        (folder / "upload.json").write_text(json.dumps({
            "file": name, "filename": prepared.filename, "consultation": consultation.slug,
            "create_questions": create_questions, "rows": table.count, "sha256": table.sha256,
            "from_mapping_file": prepared.from_mapping_file}))
        return prepared
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _plain(message: str, where: Path) -> str:
    """A reader's message without the temporary folder it was read from or command-line options."""
    message = message.replace(str(where) + "/", "").replace(str(where), "the file")
    message = message.replace("(save one with --save-mapping to start from)", "")
    message = message.replace("(add --create-questions to create it from the header)",
                              "(tick “Create a question from each column that matches none” to create it)")
    return " ".join(message.replace("\n- ", " ").split()).rstrip(".")


def load(token: str) -> dict:
    """What ``prepare`` kept for ``token``; ``UploadRefused`` if there is no such upload."""
    folder = _folder(token)
    try:
        return json.loads((folder / "upload.json").read_text())
    except (OSError, ValueError):
        raise UploadRefused("This upload is not known or has already been imported. Upload the file again",
                            field="token") from None


def start(session: Session, token: str, started_by: str) -> ImportRun:
    """Record the import of a prepared upload as a job and start it. ``JobRefused`` if a survey
    import is already running."""
    meta = load(token)
    folder = _folder(token)
    run = background.create(session, "survey", source=meta["filename"], sha256=meta["sha256"], options={
        "consultation": meta["consultation"], "upload": token, "file": meta["file"],
        "create_questions": meta["create_questions"], "total": meta["rows"], "started_by": started_by,
        "from_browser": True, "mapping": "uploaded mapping" if meta.get("from_mapping_file") else None,
        "strict": False})
    (folder / "started").write_text(str(run.id))
    background.launch(run)
    if run.status == "failed":  # the process could not be started: the job page says so
        shutil.rmtree(folder, ignore_errors=True)
    return run


def cancel(token: str) -> None:
    folder = _folder(token)
    if not (folder / "started").exists():
        shutil.rmtree(folder, ignore_errors=True)


# --- the job ------------------------------------------------------------------------------

CLI_WORDS = {
    "Use --create-questions or a mapping file to import them.":
        "Tick “Create a question from each column that matches none”, or upload a column mapping, to import them.",
}


def _web_words(text: str) -> str:
    for cli, web in CLI_WORDS.items():
        text = text.replace(cli, web)
    return text


def run_survey_upload(session: Session, run: ImportRun) -> None:
    token = run.options.get("upload") or ""
    folder = _folder(token)
    try:
        consultation = session.scalar(select(Consultation).where(Consultation.slug == run.options["consultation"]))
        if consultation is None:
            raise JobRefused("The consultation was deleted before the import started. Nothing was imported")
        try:
            table = open_table(folder / run.options["file"])
            mapping = load_mapping(folder / "mapping.yaml", table.headers, list(consultation.questions),
                                   create_questions=bool(run.options.get("create_questions")))
        except (TableError, SurveyError) as error:
            raise JobRefused(f"Nothing was imported: {_plain(str(error), folder)}") from None
        except OSError:
            raise JobRefused("The uploaded file is no longer there. Nothing was imported; upload it again") from None
        run.options = {**run.options, "total": table.count}
        outcome = imports.import_survey(session, table, consultation, mapping, options=run.options,
                                        batch_size=WEB_BATCH_SIZE, run=run)
        report = outcome.report
        result = [f"{report.imported:,} response{'s' if report.imported != 1 else ''} imported into "
                  f"{consultation.title}."]
        if report.skipped:
            result.append(f"{report.skipped:,} row{'s were' if report.skipped != 1 else ' was'} skipped because "
                          f"{'they were' if report.skipped != 1 else 'it was'} imported before.")
        if report.failed:
            result.append(f"{report.failed:,} row{'s' if report.failed != 1 else ''} could not be imported: "
                          "each is listed below with the reason. Correct them in the file and upload it again; "
                          "the rows already imported will be skipped.")
        if any(earlier.status != "running" for earlier in outcome.earlier_runs):
            result.append("An earlier import of this file did not finish; the rows it had stored were skipped.")
        if any(earlier.status == "running" for earlier in outcome.earlier_runs):
            result.append("Another import of this same file was still running at the same time: check that no "
                          "response was stored twice.")
        shown = {k: v for k, v in report.counts.items() if v}
        if shown:
            result.append("Also: " + "; ".join(f"{name} {n:,}" for name, n in shown.items()) + ".")
        result.extend(_web_words(note) for note in report.notes)
        if outcome.index_message and "flask" in outcome.index_message:
            result.append("The search index could not be updated now; search will find these responses "
                          "once it is next brought up to date.")
        current = session.get(ImportRun, run.id)
        background.finish(session, current, result)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
