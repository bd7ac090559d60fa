"""Work an admin starts from the browser that runs outside the web request: looking for
duplicates and importing a survey export.

A web request must never do long work (a worker is killed after its timeout), so the admin
page only records the job as an ``import_run`` row ("queued") and starts a separate process,
``flask --app tracker jobs run ID``, detached from the server: it outlives the request (and a
restart of a web worker), works the same under gunicorn and the development server, and needs
nothing but the database. The process puts itself on the row (``imports.record_process``: its
id, host and start, and a heartbeat), then records its progress and its result on the row as it
goes; the progress page reads the row. A job whose process is gone is marked "interrupted" by
the next look (the same liveness test as the command-line imports).

The row's ``options`` hold what the job was asked to do, plus ``progress`` (``stage``, ``done``,
``total``) and ``result`` (plain sentences), so no new table is needed.

``BACKGROUND_JOBS`` in the configuration: ``"process"`` (the default) starts the process;
``"manual"`` only records the job, for tests that run it themselves with ``run_job``.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultations.models import ImportRun, utcnow

from tracker.jobs import imports

KINDS = ("duplicates", "survey")
ACTIVE = ("queued", "running")
QUEUED_TIMEOUT = dt.timedelta(minutes=2)  # a queued job whose process never started it
PROGRESS_EVERY_SECONDS = 1.0


class JobRefused(ValueError):
    """The job cannot start (one of its kind is already running); the message says why."""

    def __init__(self, message: str, running: ImportRun | None = None):
        super().__init__(message)
        self.running = running


def jobs_folder() -> Path:
    """Where uploaded files wait for their job, and where each job's output is logged."""
    folder = Path(current_app.instance_path) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- which jobs are running --------------------------------------------------------------


def settle(session: Session, run: ImportRun, now: dt.datetime | None = None) -> ImportRun:
    """Mark ``run`` interrupted if it says it is queued or running but nothing is doing it."""
    now = now or utcnow()
    if run.status == "queued" and now - run.started_at > QUEUED_TIMEOUT:
        run.status, run.finished_at = "interrupted", now
    elif run.status == "running" and not imports.process_alive(run, now, imports.heartbeat_timeout()):
        run.status, run.finished_at = "interrupted", now
    return run


def active_run(session: Session, kind: str) -> ImportRun | None:
    """The job of this kind that is queued or running, if any (dead ones are marked interrupted)."""
    now = utcnow()
    for run in session.scalars(select(ImportRun).where(ImportRun.kind == kind, ImportRun.status.in_(ACTIVE))
                               .order_by(ImportRun.id)):
        if settle(session, run, now).status in ACTIVE:
            return run
    return None


def _lock(session: Session, kind: str) -> None:
    """Serialise starting jobs of one kind. PostgreSQL: an advisory lock held to the commit.
    SQLite: the insert that follows takes the database's one write lock, and the check after
    it sees every committed job."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 7_340_000 + KINDS.index(kind)})


def create(session: Session, kind: str, *, source: str, sha256: str = "", options: dict) -> ImportRun:
    """Record a queued job, or raise ``JobRefused`` if one of its kind is queued or running.
    Commits (the job must be on record before its process starts)."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    _lock(session, kind)
    run = ImportRun(kind=kind, source=source[:300], sha256=sha256, options=dict(options), status="queued")
    session.add(run)
    session.flush()
    now = utcnow()
    for other in session.scalars(select(ImportRun).where(
            ImportRun.kind == kind, ImportRun.status.in_(ACTIVE), ImportRun.id != run.id).order_by(ImportRun.id)):
        if settle(session, other, now).status in ACTIVE:
            session.rollback()
            raise JobRefused(_already_running(kind), session.get(ImportRun, other.id))
    session.commit()
    return run


def _already_running(kind: str) -> str:
    if kind == "duplicates":
        return "Duplicate detection is already running. Wait for it to finish before starting it again"
    return "A survey import is already running. Wait for it to finish before starting another"


def launch(run: ImportRun) -> None:
    """Start the process that does ``run`` (see the module docstring)."""
    mode = current_app.config.get("BACKGROUND_JOBS", "process")
    if mode == "manual":
        return
    if mode == "inline":  # only for tests that want the whole flow in one process
        run_job(run.id)
        return
    from tracker import PROJECT_ROOT
    from tracker.db import db

    env = dict(os.environ)
    env["DATABASE_URL"] = db.engine.url.render_as_string(hide_password=False)
    env["TRACKER_INSTANCE_PATH"] = current_app.instance_path
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    # What the job's own app must agree on when it was set in code rather than in config.py or TRACKER_*
    for name in ("SEARCH_ENABLED", "SEARCH_INDEX_DIR", "SEARCH_WRITE_TIMEOUT", "IMPORT_HEARTBEAT_TIMEOUT_MINUTES"):
        if current_app.config.get(name) is not None:
            env[f"TRACKER_{name}"] = _env_value(current_app.config[name])
    try:
        with (jobs_folder() / f"job-{run.id}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "tracker", "jobs", "run", str(run.id)],
                cwd=str(PROJECT_ROOT), env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True,  # not in the web server's process group: a signal to it is not for the job
                close_fds=True)
    except OSError as error:
        current_app.logger.error("Background job %s could not be started: %s", run.id, error)
        session = db.session
        current = session.get(ImportRun, run.id)
        finish(session, current, ["The job could not be started on the server, so nothing was done. "
                                  "Try again; if it happens again, the server's log says why."], status="failed")
        return
    # Reap it when it ends, so it leaves no zombie behind while the server lives on.
    threading.Thread(target=process.wait, daemon=True, name=f"job-{run.id}-reaper").start()


def _env_value(value) -> str:
    import json

    return json.dumps(value) if isinstance(value, (bool, int, float, list, dict)) else str(value)


# --- the job's own process ---------------------------------------------------------------


class Progress:
    """Records a job's progress on its row, at most once a second (and at every change of stage)."""

    def __init__(self, session: Session, run: ImportRun):
        self.session, self.run = session, run
        self.last = 0.0
        self.stage: str | None = None

    def __call__(self, stage: str, done: int, total: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and stage == self.stage and now - self.last < PROGRESS_EVERY_SECONDS and done < total:
            return
        self.stage, self.last = stage, now
        self.run.options = {**self.run.options, "progress": {"stage": stage, "done": done, "total": total}}
        self.run.heartbeat_at = utcnow()
        self.session.commit()


def finish(session: Session, run: ImportRun, result: list[str], status: str = "finished") -> None:
    options = {**run.options, "result": result}
    options.pop("progress", None)
    run.options, run.status, run.finished_at = options, status, utcnow()
    session.commit()


def run_job(run_id: int) -> ImportRun:
    """Do the job recorded as ``run_id`` in this process (``flask jobs run``)."""
    from tracker.db import db

    with Session(db.engine, expire_on_commit=False) as session:
        run = session.get(ImportRun, run_id)
        if run is None:
            raise JobRefused(f"There is no job {run_id}")
        if run.status != "queued":
            raise JobRefused(f"Job {run_id} is {run.status}, not waiting to start")
        imports.record_process(run)
        run.status = "running"
        session.commit()
        try:
            if run.kind == "duplicates":
                from tracker.jobs.duplicates import run_duplicates

                run_duplicates(session, run)
            else:
                from tracker.jobs.survey_upload import run_survey_upload

                run_survey_upload(session, run)
        except BaseException as error:
            session.rollback()
            current = session.get(ImportRun, run_id)
            if current is not None and (current.status in ACTIVE or "result" not in current.options):
                message = str(error) if isinstance(error, JobRefused) else (
                    "The job stopped because of an unexpected error. What it had finished is kept; "
                    "the details are in the server's log.")
                finish(session, current, [message], status="failed")
            if not isinstance(error, JobRefused):
                raise
        return run
