"""A survey import writes each batch with bulk statements (``SurveyImporter.store_batch``): one
audit record per batch on its run, a fixed number of queries per batch however many rows,
search documents built from the rows it has just inserted (the same as the database gives), and
new recommendations move a consultation back from "outcome published"."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import event, func, select

from consultations import audit
from consultations.models import Consultation, ImportRun, Recommendation, Respondent, Response
from consultations.workflow import AuditEvent, SearchDirty
from tracker import indexing as search
from tracker.db import db
from tracker.search_documents import _Loader

from test_imports import HEADERS, ROWS, SLUG, consultation, survey, write_csv  # noqa: F401 (a fixture)


def test_each_batch_is_one_audit_record_and_the_history_names_the_run(app, runner, session, consultation, sign_in,
                                                                     tmp_path):
    result = survey(runner, write_csv(tmp_path / "survey.csv", HEADERS, ROWS), "--batch-size", "2")
    assert result.exit_code == 0, result.output
    session.expire_all()
    run = session.scalar(select(ImportRun))
    records = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "import-run",
                                                       AuditEvent.entity_id == run.id)).all()
    assert len(records) == 2
    assert not session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type.in_(["response", "recommendation"])))
    rec = session.scalar(select(Recommendation).order_by(Recommendation.id).limit(1))
    for entity, entity_id in (("recommendation", rec.id), ("response", rec.response_id)):
        created = [e for e in audit.history(session, entity, entity_id) if e.field == "created"]
        assert [json.loads(e.new) for e in created] == [{"import_run_id": str(run.id)}], entity
    clinks = session.scalar(select(Respondent).where(Respondent.name == "Clinks"))
    assert any(e.field == "created" for e in audit.history(session, "respondent", clinks.id)), (
        "respondents are people: each still gets its own event")
    page = sign_in("viewer").get(f"/staff/history/response/{rec.response_id}").get_data(as_text=True)
    assert f"#{run.id}, survey.csv" in page


def _rows(first: int, n: int) -> list[list[str]]:
    """``n`` distinct respondents, each an organisation with its own name and free-text answers."""
    template = ROWS[0]
    return [[f"G{first + i}", template[1], template[2], f"Organisation number {first + i}", *template[4:]]
            for i in range(n)]


def test_the_queries_a_batch_runs_do_not_grow_with_its_rows(app, runner, session, consultation, tmp_path):
    survey(runner, write_csv(tmp_path / "warm.csv", HEADERS, _rows(0, 2)))  # organisation types, questions
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):  # (SQLite runs an INSERT ... RETURNING per row)
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert survey(runner, write_csv(tmp_path / "few.csv", HEADERS, _rows(100, 3))).exit_code == 0
        few, statements[:] = len(statements), []
        assert survey(runner, write_csv(tmp_path / "many.csv", HEADERS, _rows(200, 30))).exit_code == 0
        many = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert many <= few, f"{few} queries for 3 rows, {many} for 30"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Response)) == 35


def test_search_documents_come_from_the_rows_and_match_the_database(app, runner, session, consultation, tmp_path,
                                                                   monkeypatch):
    read_back = []
    for kind in ("responses", "recommendations"):
        original = getattr(_Loader, kind)
        monkeypatch.setattr(_Loader, kind, lambda self, ids, original=original: read_back.extend(ids)
                            or original(self, ids))
    result = survey(runner, write_csv(tmp_path / "survey.csv", HEADERS, ROWS))
    assert result.exit_code == 0, result.output
    assert "Search indexes updated" in result.output
    monkeypatch.undo()
    session.expire_all()
    rec_ids = set(session.scalars(select(Recommendation.id)))
    response_ids = set(session.scalars(select(Response.id)))
    assert not (set(read_back) & (rec_ids | response_ids)), "nothing the import wrote was read back to index it"
    assert session.scalar(select(func.count()).select_from(SearchDirty)) == 0
    assert search.differences(session) == []
    hits = search.indexes()["staff"].search("caseloads", filters={"kind": "recommendation"})
    assert len(hits.ids) == 1


def test_when_the_index_cannot_be_committed_the_responses_stay_queued_and_are_indexed(app, runner, session,
                                                                                     consultation, tmp_path,
                                                                                     monkeypatch):
    if search.in_database():
        return  # PostgreSQL: the documents commit with each batch; there is no writer to fail
    from search_index import IndexBusy
    from search_index.bulk import BulkWriter

    def busy(self):
        self.cancel()
        raise IndexBusy("the disk is full (simulated)")

    monkeypatch.setattr(BulkWriter, "commit", busy)
    result = survey(runner, write_csv(tmp_path / "survey.csv", HEADERS, ROWS))
    assert result.exit_code == 0, result.output
    # The import's own queue rows (responses and recommendations) stand for the lost writer.
    assert "Search indexes updated" in result.output
    assert session.scalar(select(func.count()).select_from(SearchDirty)) == 0
    assert search.differences(session) == []
    assert search.indexes()["staff"].search("caseloads", filters={"kind": "response"}).total == 1


def test_new_survey_recommendations_move_an_outcome_published_consultation_back(app, runner, session, consultation,
                                                                               tmp_path):
    assert survey(runner, write_csv(tmp_path / "first.csv", HEADERS, ROWS[:1])).exit_code == 0
    session.expire_all()
    settled = session.scalar(select(Consultation).where(Consultation.slug == SLUG))
    settled.status, settled.outcome_published_on = "outcome published", dt.date(2026, 11, 1)
    session.commit()
    result = survey(runner, write_csv(tmp_path / "later.csv", HEADERS, ROWS[1:]))
    assert result.exit_code == 0, result.output
    session.expire_all()
    settled = session.get(Consultation, settled.id)
    assert settled.status != "outcome published" and settled.outcome_published_on is None
