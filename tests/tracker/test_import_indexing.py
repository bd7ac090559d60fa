"""A recommendations import indexes its rows from what it has just inserted
(``tracker.jobs.import_index``): the documents must be exactly those the database gives (so
``search check`` agrees), nothing is read back, and a failed index write leaves the rows queued."""
from __future__ import annotations

from sqlalchemy import func, select

from consultations.workflow import SearchDirty
from search_index.bulk import BulkWriter
from tracker import indexing as search
from tracker.search_documents import _Loader

from test_imports import REC_HEADERS, REC_ROWS, recommendations, write_csv

DATED = REC_HEADERS + ["Date"]


def test_documents_built_from_the_rows_match_the_database_also_for_a_response_that_grows(app, runner, session,
                                                                                          tmp_path):
    first = write_csv(tmp_path / "inquiry.csv", DATED, [row + ["2023-05-02"] for row in REC_ROWS[:2]], ",")
    assert recommendations(runner, first, "--org-type", "Parliamentary committee").exit_code == 0
    # Same consultation, the committee's name in other letters: its response grows, its type and the
    # response's date (from the first file) are the stored ones, not this file's.
    later = [["5", "justice-inquiry-2023", "JUSTICE COMMITTEE", "Ministry of Justice",
              "The Ministry should publish reoffending data by region.", "Data", "Accepted",
              "We will from next year."],
             ["6", "justice-inquiry-2023", "Home Affairs Committee", "Home Office",
              "The Home Office should fund victim support.", "Victims", "Rejected", ""]]
    second = write_csv(tmp_path / "inquiry-2.csv", DATED, [row + ["2024-01-09"] for row in later], ",")
    result = recommendations(runner, second, "--org-type", "Select committee")
    assert result.exit_code == 0, result.output
    assert search.differences(session) == []
    assert session.scalar(select(func.count()).select_from(SearchDirty)) == 0
    hits = search.indexes()["staff"].search("reoffending")
    assert len(hits.ids) == 1 and hits.ids[0].startswith("recommendation:")
    assert search.indexes()["staff"].search("next year", filters={"kind": "decision"}).total == 1, (
        "a decision whose rationale came from the file has its own document")


def test_an_import_reads_none_of_its_rows_back_to_index_them(app, runner, session, tmp_path, monkeypatch):
    read_back = []
    loader_recommendations = _Loader.recommendations

    def counting(self, ids):
        read_back.extend(ids)
        return loader_recommendations(self, ids)

    monkeypatch.setattr(_Loader, "recommendations", counting)
    result = recommendations(runner, write_csv(tmp_path / "inquiry.csv", REC_HEADERS, REC_ROWS, ","))
    assert result.exit_code == 0, result.output
    assert "Search indexes updated" in result.output
    assert read_back == []
    monkeypatch.undo()
    assert search.differences(session) == []


def test_when_the_index_cannot_be_committed_the_rows_stay_queued_and_are_indexed(app, runner, session, tmp_path,
                                                                                 monkeypatch):
    if search.in_database():
        return  # PostgreSQL: the documents commit with each batch; there is no writer to fail
    from search_index import IndexBusy

    def busy(self):
        self.cancel()
        raise IndexBusy("the disk is full (simulated)")

    monkeypatch.setattr(BulkWriter, "commit", busy)
    result = recommendations(runner, write_csv(tmp_path / "inquiry.csv", REC_HEADERS, REC_ROWS, ","))
    assert result.exit_code == 0, result.output
    # The import's own queue rows stand for the lost writer: indexed from the database at once.
    assert "Search indexes updated" in result.output
    assert session.scalar(select(func.count()).select_from(SearchDirty)) == 0
    assert search.differences(session) == []


def test_a_long_queue_is_written_a_chunk_per_commit(app, runner, session, tmp_path):
    path = write_csv(tmp_path / "inquiry.csv", REC_HEADERS, REC_ROWS, ",")
    app.config["SEARCH_ENABLED"] = False  # the import only queues its rows
    try:
        assert recommendations(runner, path).exit_code == 0
    finally:
        app.config["SEARCH_ENABLED"] = True
    queued = session.scalar(select(func.count()).select_from(SearchDirty))
    assert queued >= len(REC_ROWS)
    chunks = []
    changes, _ = search.write_queued(session, chunk=2, progress=chunks.append)
    assert changes == queued and chunks == [2] * (queued // 2) + ([queued % 2] if queued % 2 else [])
    assert session.scalar(select(func.count()).select_from(SearchDirty)) == 0
    assert search.differences(session) == []


def test_decisions_imported_published_are_indexed_for_the_public_through_the_queue(app, runner, session, tmp_path):
    path = write_csv(tmp_path / "inquiry.csv", REC_HEADERS, REC_ROWS, ",")
    result = recommendations(runner, path, "--consent", "named", "--decision-state", "published")
    assert result.exit_code == 0, result.output
    assert search.differences(session) == [], "public documents too: built from the database, not the rows"
    assert search.indexes()["public"].search("caseload", public_only=True).total == 1
