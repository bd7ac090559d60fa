"""Search indexing of a recommendations import from the rows it has just inserted.

Reading each batch back from the database to build its search documents, and committing the
Whoosh index chunk by chunk (a flush and a merge of segments each time), cost two thirds of an
import. The import knows what each document says the moment it inserts the row (a new
recommendation has no links, actions or published decision yet), so ``ImportIndexer`` builds
the staff documents from the batch in memory with the same builders as ``tracker.search_documents``
(same content, same version: ``search check`` agrees), and:

* **PostgreSQL**: writes them to ``search_document`` in the batch's own transaction, so they
  commit or roll back with the rows: nothing is queued, nothing is left to do after a kill;
* **Whoosh**: adds each committed batch to one writer per index, committed once at the end
  (one segment, no merging as it grows). The batch's recommendations are still queued in
  ``search_dirty`` in its transaction, as before: if the import dies, the writer's uncommitted
  segment is lost but the queue is not, and the next run (or ``search sync``) indexes those rows
  from the database. Once the writers are committed, the import deletes exactly the queue rows
  it added (by id). While the import holds the writer's lock, edits elsewhere are queued
  (IndexBusy after ``SEARCH_WRITE_TIMEOUT``) and indexed when it finishes.

Documents that depend on more than the batch (a public document, when decisions are imported
already published; a consultation an import moved back from "outcome published") go through the
queue and the database as before (``tracker.jobs.imports.index_queued``).
"""
from __future__ import annotations

import time
from array import array

from flask import current_app
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from consultations.recommendation_import import StoredRecommendation, says_only_where_it_came_from
from consultations.survey_import.importer import StoredResponse
from consultations.models import utcnow
from consultations.workflow import SearchDirty
from search_index import IndexBusy

from tracker import indexing as search
from tracker.search_documents import (
    _when, decision_staff_document, recommendation_staff_document, response_staff_document,
)

DELETE_CHUNK = 5000
#: Postings the staff index's writer sorts in memory before spilling a sorted run to disk (Whoosh's
#: own estimate; the real size is about twice): the UPR file's 31k recommendations spill once, ten
#: times as many ten times, and the runs are merged at the commit, so memory stays flat. 48 MB cost
#: 15% more CPU than 128, 256 MB 6% less for 100 MB more.
BULK_LIMIT_MB = 128


class ImportIndexer:
    """Indexes an import's batches as they are stored (see the module docstring). ``enabled`` is
    False when search is off or decisions are published at once: then everything is queued."""

    queued_kinds = ("recommendation",)  # Whoosh: the documents a batch queues until the writers commit

    def __init__(self, session: Session, importer):
        self.session = session
        self.importer = importer
        self.enabled = (current_app.config.get("SEARCH_ENABLED", True)
                        and getattr(importer, "decision_state", "approved") != "published")
        self.postgres = search.in_database()
        self.writers: dict | None = None  # Whoosh: a BulkWriter per index, opened at the first batch
        self.pending: tuple[list, list] = ([], [])  # Whoosh: the batch in hand's documents and deletions
        self.pending_queued: list[int] = []  # ... and the search_dirty rows standing for them
        self.queued = array("q")  # search_dirty rows standing for documents in the writers
        self.seconds = 0.0
        self.written = 0

    # -- each batch ---------------------------------------------------------------------------

    def stored(self, stored: list[StoredRecommendation], responses=()) -> dict[str, set[int]]:
        """Build the batch's documents (in the batch's transaction): which documents they cover,
        {kind: ids}, so the caller does not queue them. ``responses``: those the batch created,
        which have no document (each of their recommendations has its own)."""
        if not self.enabled or not stored:
            return {}
        started = time.perf_counter()
        docs, gone, covered = self._documents(stored, responses)
        if self.postgres:
            connection = self.session.connection()
            found = search.indexes()
            found["staff"].update(docs, delete_ids=gone, connection=connection)
            found["public"].update((), delete_ids=gone + [doc["id"] for doc in docs], connection=connection)
            self.written += len(docs) + len(gone)
        else:
            self.pending = (docs, gone)
            self.pending_queued = [i for kind in self.queued_kinds for i in self._queue(kind, covered[kind])]
        self.seconds += time.perf_counter() - started
        return covered

    def _documents(self, stored: list[StoredRecommendation], responses=()):
        rationale, note = self.importer.rationale, self.importer.internal_note
        state = getattr(self.importer, "decision_state", "approved")
        docs, gone = [], [f"response:{i}" for i in responses]
        covered: dict[str, set[int]] = {"recommendation": set(), "decision": set(), "response": set(responses)}
        for row in stored:
            if row.response_deleted:
                continue  # its documents depend on more than the batch: the queue's business
            plan = row.plan
            covered["recommendation"].add(row.id)
            docs.append(recommendation_staff_document(
                row.id, row.key, plan.text, row.respondent, row.consultation, row.org_type, [],
                plan.outcome or "", [], _when(row.received_on) or row.created_at))
            if row.decision_id is None:
                continue
            covered["decision"].add(row.decision_id)
            public_rationale, internal_note = rationale(plan), note(plan)
            if says_only_where_it_came_from(public_rationale, internal_note):
                gone.append(f"decision:{row.decision_id}")  # as the loader: no document of its own
                continue
            docs.append(decision_staff_document(
                row.decision_id, row.key, row.respondent, row.consultation, row.org_type, [], public_rationale,
                internal_note, plan.outcome, state, row.decided_at))
        return docs, gone, covered

    def _queue(self, kind: str, ids: set[int]) -> list[int]:
        """Queue these documents in ``search_dirty`` (this transaction): the promise that they
        get indexed even if the writer never commits. Returns the new queue rows' ids."""
        ordered = sorted(ids)
        present = set()
        for start in range(0, len(ordered), 500):
            present.update(self.session.scalars(select(SearchDirty.entity_id).where(
                SearchDirty.entity_type == kind, SearchDirty.entity_id.in_(ordered[start:start + 500]))))
        now = utcnow()
        rows = [{"entity_type": kind, "entity_id": i, "created_at": now}
                for i in ordered if i not in present]
        if not rows:
            return []
        table = SearchDirty.__table__
        return list(self.session.execute(insert(table).returning(table.c.id), rows).scalars())

    def committed(self) -> None:
        """The batch is in the database: add its documents to the writers (Whoosh). If the index
        is busy, the batch (and every later one) stays queued for the end of the import."""
        docs, gone = self.pending
        queued, self.pending, self.pending_queued = self.pending_queued, ([], []), []
        if not self.enabled or self.postgres or not (docs or gone):
            return
        started = time.perf_counter()
        try:
            if self.writers is None:
                found = search.indexes()
                self.writers = {"staff": found["staff"].bulk_writer(limitmb=BULK_LIMIT_MB)}
                try:
                    self.writers["public"] = found["public"].bulk_writer()
                except BaseException:
                    self.writers.pop("staff").cancel()
                    raise
            self.writers["staff"].add(docs, delete_ids=gone)
            self.writers["public"].add((), delete_ids=gone + [doc["id"] for doc in docs])
        except IndexBusy:
            self.cancel()
            self.enabled = False  # what is queued is indexed at the end, from the database
            return
        self.queued.extend(queued)
        self.written += len(docs) + len(gone)
        self.seconds += time.perf_counter() - started

    def rolled_back(self) -> None:
        """The batch did not reach the database: forget its documents."""
        self.pending, self.pending_queued = ([], []), []

    # -- the end ------------------------------------------------------------------------------

    def finish(self) -> None:
        """Commit the writers, then take the queue rows they stand for off the queue (Whoosh).
        IndexBusy (the writers cancelled) leaves the queue to ``index_queued`` or ``search sync``."""
        if not self.writers:
            return
        started = time.perf_counter()
        writers, self.writers = self.writers, None
        try:
            for audience in ("staff", "public"):
                writers.pop(audience).commit()
        finally:
            for writer in writers.values():
                writer.cancel()
        queued, self.queued = self.queued, array("q")
        for start in range(0, len(queued), DELETE_CHUNK):
            self.session.execute(delete(SearchDirty).where(SearchDirty.id.in_(queued[start:start + DELETE_CHUNK].tolist())))
        self.session.commit()
        self.seconds += time.perf_counter() - started

    def cancel(self) -> None:
        """Drop what the writers hold (the queue still has it) and release their locks."""
        writers, self.writers = self.writers or {}, None
        for writer in writers.values():
            writer.cancel()
        self.queued = array("q")


class SurveyIndexer(ImportIndexer):
    """A survey import's batches (``SurveyImporter.store_batch``): each new response's staff
    document and its extracted recommendations' (none has a decision yet, none is public)."""

    queued_kinds = ("response", "recommendation")

    def _documents(self, stored: list[StoredResponse], responses=()):
        slug = self.importer.consultation.slug
        docs = []
        covered: dict[str, set[int]] = {"response": set(), "recommendation": set()}
        for response in stored:
            date = _when(response.received_on) or response.created_at
            covered["response"].add(response.id)
            docs.append(response_staff_document(response.id, response.text, response.respondent, slug,
                                                response.org_type, "received", date))
            for rec in response.recommendations:
                covered["recommendation"].add(rec["id"])
                docs.append(recommendation_staff_document(
                    rec["id"], rec["key"], rec["text"], response.respondent, slug, response.org_type,
                    sorted({item.code for item, _ in rec["items"]}), "", [], date))
        return docs, [], covered
