"""Running a bulk import: batches, commits, progress, the report, resuming, indexing.

Rows are stored in batches, each committed on its own, so a crash or a kill loses at most
the batch in hand and leaves the database consistent. Every stored row carries its source
identity (``external_id``), so running the same command again skips what is there and
finishes the job. A bad row is reported with its number and reason and never stops the
others, unless ``strict``: then everything runs in one transaction that is committed only
if no row failed, so a failed strict import writes nothing at all.

Search indexing: a recommendations import builds its rows' documents from the batch in memory
and writes them as it goes (``tracker.jobs.import_index``: one Whoosh writer committed at the end,
or PostgreSQL rows in the batch's transaction). Everything else a batch changed, and on Whoosh the
batch's recommendations too, is recorded in ``search_dirty`` in the same transaction, and what is
still queued at the end is written in large chunks from the database. A crash leaves the queue for
the next run (or ``search sync``) to finish, so the index never silently misses an imported row.

Audit: a recommendations import writes each batch with bulk statements and records it as one
event on its import run listing the ids it created (``consultations.audit.record_import``; the
History pages show each object as created by that run); a survey import does the same for its
responses and recommendations, while its respondents (people, one per row) get the automatic
"created" event. The ``import_run`` row says which file, when, with which options and with what result.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from tqdm import tqdm

from consultations.bulk import ImportReport, RowError, Table, shorten
from consultations.audit import record_import
from consultations.frameworks import current_items
from consultations.models import Consultation, ImportRun, utcnow
from consultations.recommendation_import import RecommendationImporter, RecommendationRow, StoredRecommendation
from consultations.references import ReferenceResolver
from consultations.survey_import import Mapping, SurveyImporter, create_missing_questions, link_placeholders
from search_index import IndexBusy

from tracker import indexing as search
from tracker.jobs.import_index import ImportIndexer, SurveyIndexer
from consultations.workflow import Decision, SearchDirty

BATCH_SIZE = 500
INDEX_CHUNK = search.QUEUE_CHUNK


@dataclass
class Outcome:
    report: ImportReport
    run: ImportRun | None  # None when a strict import wrote nothing
    seconds: float
    index_message: str = ""
    strict_failed: bool = False
    earlier_runs: list[EarlierRun] = field(default_factory=list)  # unfinished earlier runs of the same file
    store_seconds: float = 0.0
    index_seconds: float = 0.0


class DecidingImporter(RecommendationImporter):
    """The recommendation importer, adding each row's decision (a workflow object)."""

    def __init__(self, *args, decision_state: str = "approved", **kwargs):
        super().__init__(*args, **kwargs)
        self.decision_state = decision_state

    def store_batch(self, plans: list[RecommendationRow]) -> list[StoredRecommendation]:
        stored = super().store_batch(plans)
        now = utcnow()
        rows, decided = [], []
        for row in stored:
            plan, recommendation_id = row.plan, row.id
            if not plan.outcome:
                continue
            decided.append(row)
            rationale = self.rationale(plan)
            published = self.decision_state == "published"
            rows.append({
                "recommendation_id": recommendation_id, "outcome": plan.outcome, "public_rationale": rationale,
                "internal_note": self.internal_note(plan), "state": self.decision_state,
                "published_outcome": plan.outcome if published else None,
                "published_rationale": rationale if published else None,
                "published_at": ((dt.datetime.combine(plan.decided_on, dt.time()) if plan.decided_on else now)
                                 if published else None),
                "created_at": now, "updated_at": now, "version_id": 1})
            self.report.count(f"decisions: {plan.outcome}")
        if rows:
            table = Decision.__table__
            ids = self.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                       rows).scalars().all()
            for row, decision_id in zip(decided, ids):
                row.decision_id, row.decided_at = decision_id, now
            self.created.setdefault("decision", []).extend(ids)
        return stored


def start_run(session: Session, kind: str, table: Table, options: dict) -> tuple[ImportRun, list[EarlierRun]]:
    """A new import run, recording this process; and the earlier runs of the same file that
    did not finish since it was last imported in full (see ``settle_earlier_runs``)."""
    earlier = settle_earlier_runs(session, kind, table.sha256)
    run = record_process(ImportRun(kind=kind, source=table.name, sha256=table.sha256, options=options,
                                   status="running"))
    session.add(run)
    session.flush()
    return run, earlier


# --- runs whose process is gone -----------------------------------------------------------
#
# A killed import (kill -9, a lost container) cannot mark its own run, which would otherwise
# say "running" for ever. Each run records the process doing it: its id, host, start time
# and a heartbeat renewed at every committed batch. A later run of the same file asks whether
# that process is still there: on the same host the process table answers (os.kill(pid, 0),
# and /proc tells a reused pid from the original); from another host only the heartbeat can,
# so a run is taken as gone once its heartbeat is older than IMPORT_HEARTBEAT_TIMEOUT_MINUTES.

HEARTBEAT_TIMEOUT_MINUTES = 10


@dataclass
class EarlierRun:
    id: int
    status: str  # "interrupted" (found gone now, or before), "failed", or "running" (still alive)
    pid: int | None = None
    host: str | None = None
    marked_now: bool = False  # this run found the process gone and marked the run interrupted

    def describe(self) -> str:
        where = f" (process {self.pid} on {self.host})" if self.pid else ""
        if self.status == "running":
            return f"import run #{self.id} of this file is still running{where}"
        if self.marked_now:
            return f"import run #{self.id}{where} stopped without finishing: it is now marked interrupted"
        if self.status == "failed":
            return f"import run #{self.id} stopped with an error"
        return f"import run #{self.id} was {self.status}"


def record_process(run: ImportRun) -> ImportRun:
    """Put this process on the run's record, with a first heartbeat."""
    run.pid, run.host = os.getpid(), socket.gethostname()
    run.process_started, run.heartbeat_at = _process_start(os.getpid()), utcnow()
    return run


def _process_start(pid: int) -> str | None:
    """When the process started (Linux: clock ticks after boot, field 22 of /proc/PID/stat), to
    tell a reused pid from the process that recorded it; None where /proc is not available."""
    fields = _proc_stat(pid)
    return fields[19] if fields else None


def _proc_stat(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{int(pid)}/stat").read_text()
    except (OSError, ValueError):
        return None
    return stat.rsplit(")", 1)[1].split()  # after the command name: field 3 (state) onwards


def process_alive(run: ImportRun, now: dt.datetime, timeout: dt.timedelta) -> bool:
    """Whether the process doing ``run`` (see ``record_process``) may still be running."""
    if run.pid is None:  # recorded before runs had a process: only its age can tell
        return now - run.started_at < timeout
    if run.host == socket.gethostname():
        pid = run.pid
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # someone else's process: it exists
        except (OverflowError, TypeError, ValueError):
            return False
        fields = _proc_stat(pid)
        if fields and (fields[0] == "Z" or (run.process_started and fields[19] != run.process_started)):
            return False  # a zombie (killed, not yet reaped), or the pid now belongs to another process
        return True
    return run.heartbeat_at is not None and now - run.heartbeat_at < timeout


def heartbeat_timeout() -> dt.timedelta:
    minutes = current_app.config.get("IMPORT_HEARTBEAT_TIMEOUT_MINUTES", HEARTBEAT_TIMEOUT_MINUTES)
    return dt.timedelta(minutes=float(minutes))


def settle_earlier_runs(session: Session, kind: str, sha256: str, exclude: int | None = None) -> list[EarlierRun]:
    """Earlier runs of this file that did not finish, since the last one that did; any still
    marked "running" whose process is gone is marked "interrupted" (in ``session``: it is
    committed with the new run)."""
    last_finished = session.scalar(select(func.max(ImportRun.id)).where(
        ImportRun.kind == kind, ImportRun.sha256 == sha256, ImportRun.status == "finished")) or 0
    unfinished = session.scalars(select(ImportRun).where(
        ImportRun.kind == kind, ImportRun.sha256 == sha256, ImportRun.status != "finished",
        ImportRun.id > last_finished, ImportRun.id != (exclude or 0)).order_by(ImportRun.id)).all()
    now, timeout = utcnow(), heartbeat_timeout()
    earlier = []
    for run in unfinished:
        found = EarlierRun(run.id, run.status, run.pid, run.host)
        if run.status == "running":
            if not process_alive(run, now, timeout):
                run.status = found.status = "interrupted"
                run.finished_at = now
                found.marked_now = True
        earlier.append(found)
    session.flush()
    return earlier


def import_survey(session: Session, table: Table, consultation: Consultation, mapping: Mapping, *,
                  options: dict, strict: bool = False, batch_size: int = BATCH_SIZE,
                  progress: bool = False, run: ImportRun | None = None) -> Outcome:
    """Import a survey export with a confirmed mapping: questions the mapping creates, then
    every row, then placeholders linked to written responses (see ``run_import``).

    ``run``: a run already recorded (a job started from the browser, ``tracker.jobs.background``)
    to carry on with, instead of a new one."""
    report = ImportReport()
    created = create_missing_questions(session, consultation, mapping)
    if created:
        report.counts["questions created"] = created
    if mapping.unmatched:
        count = len(mapping.unmatched)
        columns, were = ("column", "was") if count == 1 else ("columns", "were")
        report.note(f"{count} {columns} matched no question and {were} not imported: "
                    + "; ".join(f"column {c.column} '{shorten(c.header, 60)}'" for c in mapping.unmatched)
                    + ". Use --create-questions or a mapping file to import them.")
    if run is None:
        run, earlier = start_run(session, "survey", table, options)
    else:
        earlier = settle_earlier_runs(session, "survey", table.sha256, exclude=run.id)
        run.sha256 = table.sha256
    importer = SurveyImporter(session, consultation, mapping, ReferenceResolver(current_items(session)), report)

    def finish():
        linked = link_placeholders(session, consultation.id)
        if linked:
            report.count("placeholders linked to a written response", linked)

    outcome = run_import(session, importer, table, run, strict=strict, batch_size=batch_size, progress=progress,
                         finish=finish)
    outcome.earlier_runs = earlier
    return outcome


def run_import(
    session: Session,
    importer,
    table: Table,
    run: ImportRun,
    *,
    strict: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    after_batch: Callable[[int], None] | None = None,
    finish: Callable[[], None] | None = None,
) -> Outcome:
    """Import every row of ``table`` with ``importer`` (see the module docstring).

    ``session`` should not expire objects on commit (the importer caches consultations,
    respondents and responses across batches). ``after_batch(n)`` is called after each
    committed batch (tests use it to simulate a crash); ``finish`` runs before the final
    commit (linking placeholders, for instance).
    """
    started = time.perf_counter()
    report = importer.report
    importer.import_run_id = run.id
    indexer = (SurveyIndexer if isinstance(importer, SurveyImporter) else ImportIndexer)(session, importer)
    if not strict:
        session.commit()  # the run is on record even if the import dies
    batch: list = []
    batches = 0
    bar = tqdm(total=table.count, unit=" rows", disable=not progress, file=sys.stderr, dynamic_ncols=True,
               mininterval=0.5, desc=f"Importing {table.name}")

    def store(plans: list) -> None:
        nonlocal batches
        if not plans:
            return
        try:
            _store(session, importer, plans, run, indexer)
        except SQLAlchemyError:
            if strict:
                raise
            session.rollback()
            importer.reset()
            if indexer:
                indexer.rolled_back()
            _store_one_by_one(session, importer, plans, run, indexer)
        else:
            report.imported += len(plans)
            _record(run, report)
            if not strict:
                session.commit()
                importer.release()
            if indexer:
                indexer.committed()  # strict: the writers are cancelled if the transaction is not committed
        batches += 1
        if after_batch:
            after_batch(batches)

    try:
        for row in table.rows:
            bar.update(1)
            if row.error:
                report.failures.append((row.number, row.error))
                continue
            try:
                plan = importer.prepare(row)
            except RowError as error:
                report.failures.append((row.number, str(error)))
                continue
            with session.no_autoflush:
                stored = importer.is_stored(plan)
            if stored:
                report.skipped += 1
                continue
            if strict and report.failures:
                continue  # nothing will be written: only look for more problems
            batch.append(plan)
            if len(batch) >= batch_size:
                store(batch)
                batch = []
                bar.set_postfix(imported=report.imported, skipped=report.skipped, failed=report.failed, refresh=False)
        store(batch)
        bar.close()
        if strict and report.failures:
            session.rollback()
            if indexer:
                indexer.cancel()
            return Outcome(report, None, time.perf_counter() - started, strict_failed=True)
        importer.finish()
        if finish:
            finish()
        _record(run, report)
        run.status = "finished"
        run.finished_at = utcnow()
        _queue_for_search(session)
        session.commit()
    except BaseException:
        bar.close()
        session.rollback()
        if indexer:
            indexer.cancel()
        if not strict:
            _mark_failed(session, run, report)
        raise
    stored = time.perf_counter()
    if hasattr(importer, "close"):
        importer.close()
    index_message = ""
    in_batches = indexer.seconds if indexer else 0.0  # indexing done while storing
    if indexer:
        try:
            indexer.finish()
        except IndexBusy as error:
            session.rollback()
            index_message = (f"The search index could not be written ({error}); the imported rows are queued: "
                             "run `flask --app tracker search sync` to index them.")
    written = indexer.written if indexer and not index_message else 0
    index_message = index_queued(session, progress=progress, written=written) or index_message
    done = time.perf_counter()
    return Outcome(report, run, done - started, index_message, store_seconds=stored - started - in_batches,
                   index_seconds=done - stored + in_batches)


def _store(session: Session, importer, plans: list, run: ImportRun, indexer: ImportIndexer | None = None) -> None:
    """Store one batch and queue it for the search index, in the session's transaction.

    The importer writes the batch with bulk statements, and the batch goes on the import run's
    audit trail as one record listing the ids it created. A recommendations import indexes its
    rows itself (``indexer``); a survey import queues what it created (``queued_kinds``)."""
    with session.no_autoflush:
        stored = importer.store_batch(plans)
    created, extended = importer.take_changes()
    record_import(session, run.id, created, extended)
    covered = indexer.stored(stored, created.get("response", ())) if indexer else {}
    kinds = getattr(importer, "queued_kinds", ("recommendation",))
    _queue_for_search(session, {kind: created.get(kind, ()) for kind in kinds}, covered)


def _store_one_by_one(session: Session, importer, plans: list, run: ImportRun,
                      indexer: ImportIndexer | None = None) -> None:
    """After a batch failed in the database, find the rows responsible: each row is stored
    and committed alone, and a row the database refuses is reported as failed."""
    report = importer.report
    for plan in plans:
        try:
            _store(session, importer, [plan], run, indexer)
            report.imported += 1
            _record(run, report)
            session.commit()
        except SQLAlchemyError as error:
            session.rollback()
            importer.reset()
            if indexer:
                indexer.rolled_back()
            reason = " ".join(str(getattr(error, "orig", error)).split())[:300]
            report.failures.append((plan.number, f"the database refused it ({reason})"))
        else:
            if indexer:
                indexer.committed()


def _record(run: ImportRun, report: ImportReport) -> None:
    """The run's counts and heartbeat, committed with each batch."""
    run.imported, run.skipped, run.failed = report.imported, report.skipped, report.failed
    run.failures = [list(f) for f in report.failures]
    run.heartbeat_at = utcnow()


def _mark_failed(session: Session, run: ImportRun, report: ImportReport) -> None:
    """Say on the run's record that it stopped (the rows already committed stay)."""
    try:
        current = session.get(ImportRun, run.id)
        if current is not None:
            current.status = "failed"
            current.finished_at = utcnow()
            current.failures = [list(f) for f in report.failures]
            session.commit()
    except SQLAlchemyError:
        session.rollback()


def _queue_for_search(session: Session, new: dict[str, Iterable[int]] | None = None,
                      covered: dict[str, set[int]] | None = None) -> None:
    """Move what this flush changed from the after-commit indexing to ``search_dirty``, in the
    same transaction (see the module docstring), with ``new``: documents stored in bulk
    ({kind: ids}), which no flush saw; less ``covered``: those the import indexes itself
    (``ImportIndexer``)."""
    pending = session.info.pop("search_pending", None)
    wanted: dict[str, set[int]] = {}
    if pending:
        # Resolved to concrete documents now, while the batch is small, so that the final
        # indexing writes each document once (a respondent's key would otherwise expand to
        # every one of its recommendations, in every chunk that holds it).
        wanted = {kind: set(ids) for kind, ids in search.expand(session, pending).items() if ids}
    for kind, ids in (new or {}).items():
        wanted.setdefault(kind, set()).update(ids)
    for kind, ids in (covered or {}).items():
        if kind in wanted:
            wanted[kind] -= ids
    now = utcnow()
    rows = []
    for kind, ids in wanted.items():
        ordered = sorted(ids)
        present: set[int] = set()
        for start in range(0, len(ordered), 500):
            # One kind at a time: ``entity_type = ? AND entity_id IN (...)`` is a look-up in the
            # queue's unique index, where a row-value IN scanned the whole queue per batch.
            chunk = ordered[start:start + 500]
            present.update(session.scalars(select(SearchDirty.entity_id).where(
                SearchDirty.entity_type == kind, SearchDirty.entity_id.in_(chunk))))
        rows.extend({"entity_type": kind, "entity_id": entity_id, "created_at": now}
                    for entity_id in ordered if entity_id not in present)
    if rows:
        session.execute(insert(SearchDirty.__table__), rows)


def index_queued(session: Session, *, progress: bool = False, chunk: int = INDEX_CHUNK, written: int = 0) -> str:
    """Write every queued change to the search indexes, a chunk per Whoosh commit. With
    search switched off (``SEARCH_ENABLED = False``) the queue is left for ``search sync``.
    ``written``: documents the import wrote itself, for the message."""
    if not current_app.config.get("SEARCH_ENABLED", True):
        return "Search indexing is switched off; run `flask --app tracker search sync` to index the import."
    total = session.scalar(select(func.count()).select_from(SearchDirty))
    if not total:
        return f"Search indexes updated: {written:,} documents." if written else ""
    bar = tqdm(total=total, unit=" changes", disable=not progress, file=sys.stderr, dynamic_ncols=True,
               mininterval=0.5, desc="Indexing")
    try:
        _, documents = search.write_queued(session, chunk=chunk, progress=bar.update)
    except IndexBusy as error:
        session.rollback()
        return (f"The search index is busy ({error}); the imported rows are queued: run "
                "`flask --app tracker search sync` to index them.")
    finally:
        bar.close()
    return f"Search indexes updated: {written + documents:,} documents."
