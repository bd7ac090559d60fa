"""Writing many documents at once: the bulk writer a bulk import keeps open across its batches
(``SearchIndex.bulk_writer``), and the pieces it shares with ``SearchIndex.update``."""
from __future__ import annotations

import marshal
from collections.abc import Iterable, Mapping

from whoosh.writing import PostingPool

from .errors import IndexUnwritable
from .schema import whoosh_fields


def delete_where_present(writer, doc_ids: Iterable[str], searcher=None) -> None:
    """Delete the documents with these ids from the writer's committed segments (``searcher``:
    one already open on them)."""
    if searcher is None:
        with writer.searcher() as searcher:
            delete_where_present(writer, doc_ids, searcher)
        return
    reader = searcher.reader()
    for doc_id in doc_ids:
        if ("id", doc_id) in reader:
            for docnum in searcher.document_numbers(id=doc_id):
                writer.delete_document(docnum)


def cancel_writer(writer) -> None:
    """Cancel a Whoosh writer that may be half-open, ignoring a second failure."""
    if writer is not None and not writer.is_closed:
        try:
            writer.cancel()
        except Exception:  # already failing; the caller releases the lock anyway
            pass


class BlockPool(PostingPool):
    """Whoosh's posting pool, writing the sorted runs it spills to disk (a bulk import's postings
    outgrow ``limitmb``) a block of postings per ``marshal`` call instead of one ``pickle`` call per
    posting: writing and reading the runs back was a fifth of a bulk import's indexing.
    (``IndexWriter`` takes a ``poolclass`` argument but ignores it: the writer's pool is replaced.)"""

    BLOCK = 10_000

    def _write_run(self, f, items):
        block = []
        for item in items:
            block.append(item)
            if len(block) >= self.BLOCK:
                marshal.dump(block, f)
                block = []
        if block:
            marshal.dump(block, f)
        f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while True:
                try:
                    block = marshal.load(f)
                except EOFError:
                    return
                yield from block
        finally:
            f.close()
            self._remove_run(path)


class Held:
    """A lock taken by ``SearchIndex`` whose release is handed on (to a ``BulkWriter``)."""

    def __init__(self, lock):
        self.lock, self.released = lock, False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.lock.release()


class BulkWriter:
    """Documents added batch by batch into one uncommitted segment (see ``SearchIndex.bulk_writer``).
    Nothing is searchable until ``commit``; ``cancel`` (or the process dying) drops it all."""

    def __init__(self, writer, lock: Held):
        self._writer, self._lock = writer, lock
        self._searcher = writer.searcher()  # the committed segments, for replacing documents by id
        self.added = 0

    def add(self, docs: Iterable[Mapping] = (), delete_ids: Iterable[str] = ()) -> None:
        """As ``SearchIndex.update``, without the commit."""
        prepared = {}
        for doc in docs:
            fields = whoosh_fields(doc)
            prepared[fields["id"]] = fields
        try:
            delete_where_present(self._writer, [*(str(i) for i in delete_ids), *prepared], self._searcher)
            for fields in prepared.values():
                self._writer.add_document(**fields)
        except OSError as error:
            self.cancel()
            raise IndexUnwritable(f"The search index could not be written: {error}") from error
        self.added += len(prepared)

    def commit(self) -> None:
        try:
            self._searcher.close()
            self._writer.commit()
        except OSError as error:
            self.cancel()
            raise IndexUnwritable(f"The search index could not be written: {error}") from error
        except BaseException:
            self.cancel()
            raise
        finally:
            self._lock.release()

    def cancel(self) -> None:
        try:
            self._searcher.close()
            cancel_writer(self._writer)
        finally:
            self._lock.release()
