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


def test_postings_spilled_to_disk_in_blocks_are_all_indexed(index):
    words = ["housing", "probation", "caseload", "victims", "prisons", "courts", "training", "data"]
    docs = [doc(f"recommendation:{n}", f"Recommendation {n}: {words[n % 8]} {words[n * 3 % 8]} and "
                                       f"more funding for {words[n * 5 % 8]} services in region {n % 97}.")
            for n in range(100, 3100)]
    writer = index.bulk_writer(limitmb=1)  # about six thousand postings per run: several runs
    for start in range(0, len(docs), 500):
        writer.add(docs[start:start + 500])
    assert len(writer._writer.pool.runs) > 3, "the runs went to disk"
    writer.commit()
    assert index.doc_count() == 2 + 3000
    assert index.search("caseload").total == sum(1 for d in docs if "caseload" in d["body"])
    assert index.search('"region 42"').total == sum(1 for d in docs if d["body"].endswith("region 42."))
