"""``SearchIndex.bulk_writer``: a bulk import's documents, added batch by batch, become searchable
at one commit; the lock is held meanwhile; a cancel (or a failure) leaves the index as it was."""
from __future__ import annotations

import pytest

from search_index import IndexBusy, SearchIndex

from test_search_index import CORPUS, doc


@pytest.fixture
def index(tmp_path):
    index = SearchIndex(tmp_path / "index", write_timeout=0.2)
    index.update(CORPUS[:2])
    yield index
    index.close()


def test_batches_are_searchable_after_the_one_commit(index):
    writer = index.bulk_writer()
    writer.add([doc("recommendation:10", "Fund reentry housing programmes.")])
    writer.add([doc("recommendation:11", "Publish reentry statistics yearly.")])
    assert index.search("reentry").total == 0, "nothing is visible before the commit"
    writer.commit()
    assert {*index.search("reentry").ids} == {"recommendation:10", "recommendation:11"}
    assert index.doc_count() == 4
    assert len(index._ix.reader().leaf_readers()) <= 2, "one new segment for every batch, not one per batch"


def test_a_document_already_indexed_is_replaced_and_deletions_apply(index):
    writer = index.bulk_writer()
    writer.add([doc("recommendation:1", "Quarterly caseload data.")], delete_ids=["recommendation:2"])
    writer.commit()
    assert index.search("caseload").ids == ["recommendation:1"]
    assert index.search("housing").total == 0, "the old text of recommendation:1 and recommendation:2 are gone"
    assert index.doc_count() == 1


def test_the_lock_is_held_until_the_commit_and_a_cancel_changes_nothing(index):
    writer = index.bulk_writer()
    writer.add([doc("recommendation:10", "Fund reentry housing programmes.")])
    with pytest.raises(IndexBusy):
        index.update([doc("recommendation:12", "Another writer waits.")])
    with pytest.raises(IndexBusy):
        index.bulk_writer()
    writer.cancel()
    assert index.search("reentry").total == 0 and index.doc_count() == 2
    index.update([doc("recommendation:12", "Another writer now writes.")])  # the lock was released
    assert index.doc_count() == 3
