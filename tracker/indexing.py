"""Keep the search indexes in step with the database.

Two indexes, so that nothing unpublished can leak by construction:

* the staff index holds every live response, recommendation, decision (public rationale
  and internal note), action and framework item;
* the public index holds only what stakeholders may read: recommendations and decisions
  whose decision is published, never from a confidential respondent, an anonymous
  respondent shown by organisation type only, public action updates, and framework items.

Two backends (``SEARCH_BACKEND``): "whoosh", index folders under ``SEARCH_INDEX_DIR``, the
default on SQLite; "postgres", the ``search_document`` table (search_index/postgres.py), the
default on PostgreSQL and chosen with ``TRACKER_SEARCH_BACKEND=postgres``.

Whoosh: changes are collected as they are flushed and written after the commit (a rollback
drops them, leaving the index untouched). If an index cannot be written (lock held past
the timeout, disk error) the database change still stands and the objects are queued in
``search_dirty`` for ``flask --app tracker search sync``.

PostgreSQL: the collected changes are written just before the commit, through the session's
own connection, so the documents commit (or roll back) with the change: nothing to sync, and
every web host sees the same results at once. ``sync`` still refreshes actions that became
overdue with the date.

Each document's ``version`` is a hash of its content, so ``search check`` finds any drift, not
only missing documents, on either backend.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import click
from flask import Flask, current_app, has_app_context
from flask.cli import AppGroup
from sqlalchemy import delete, event, func, inspect, select
from sqlalchemy.orm import Session

from consultations.models import (
    Consultation,
    utcnow,
    FrameworkItem,
    Link,
    OrganisationType,
    Recommendation,
    Respondent,
    Response,
)
from search_index import IndexBusy, IndexUnwritable, SearchIndex
from search_index.postgres import PostgresSearchIndex

from consultations.queries import ids_in_batches
from consultations.redaction import Redaction
from tracker.db import db
from consultations.workflow import Action, ActionUpdate, Decision, SearchDirty
from consultations.actions import overdue_clause
from tracker.search_documents import KINDS, _Loader  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

BATCH = 500
QUEUE_CHUNK = 10_000  # queued changes written (and committed) at a time by ``write_queued``


# --- the indexes ----------------------------------------------------------------------


BACKENDS = ("whoosh", "postgres")


def init_app(app: Flask) -> None:
    app.config.setdefault("SEARCH_INDEX_DIR", os.path.join(app.instance_path, "search_index"))
    app.config.setdefault("SEARCH_WRITE_TIMEOUT", 2.0)
    on_postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    backend = str(app.config.get("SEARCH_BACKEND") or ("postgres" if on_postgres else "whoosh")).lower()
    if backend not in BACKENDS:
        raise RuntimeError(f"SEARCH_BACKEND (TRACKER_SEARCH_BACKEND) is {backend!r}; use one of {', '.join(BACKENDS)}.")
    if backend == "postgres" and not on_postgres:
        raise RuntimeError("The postgres search backend keeps its documents in the database, which is not "
                           "PostgreSQL here: set DATABASE_URL to a PostgreSQL database or use TRACKER_SEARCH_BACKEND=whoosh.")
    app.config["SEARCH_BACKEND"] = backend
    app.cli.add_command(search_cli)
    install()


def install() -> None:
    """Index what every session changes once it commits (web requests, commands and imports all
    write through sessions of their own). Called by ``init_app``; calling it again changes nothing."""
    if event.contains(Session, "after_commit", _index_after_commit):
        return
    event.listen(Session, "after_flush", _collect)
    event.listen(Session, "before_commit", _index_before_commit)
    event.listen(Session, "after_rollback", _forget)
    event.listen(Session, "after_commit", _index_after_commit)


def indexes() -> dict[str, SearchIndex]:
    """The staff and public indexes of the current app, opened once per process."""
    app = current_app._get_current_object()
    opened = app.extensions.setdefault("search_indexes", {})
    if not opened and in_database():
        opened["staff"] = PostgresSearchIndex(db.engine, "staff")
        opened["public"] = PostgresSearchIndex(db.engine, "public")
    elif not opened:
        root = app.config["SEARCH_INDEX_DIR"]
        timeout = app.config["SEARCH_WRITE_TIMEOUT"]
        opened["staff"] = SearchIndex(os.path.join(root, "staff"), write_timeout=timeout)
        opened["public"] = SearchIndex(os.path.join(root, "public"), write_timeout=timeout)
    return opened


# --- which documents a change touches -------------------------------------------------


def _keys_for(obj) -> set[tuple[str, int]]:
    """The (kind, id) pairs whose documents may change when ``obj`` changes.

    Besides the object's own documents: a recommendation decides whether its group's decision
    and actions are public ("group-decisions", also for the group it left), a decision decides
    its whole group ("recommendation-group"), an action's status shows on its group's
    recommendations ("decision-of-action"), and a response, respondent (consent) or
    consultation (status) decides everything under it; an organisation type, its respondents' (facet).
    """
    if isinstance(obj, Recommendation):
        keys = {("recommendation", obj.id)}
        left = inspect(obj).attrs.duplicate_of_id.history.deleted
        keys |= {("group-decisions", primary) for primary in left if primary is not None}
        return keys
    if isinstance(obj, Link):
        return {("recommendation", obj.recommendation_id)}
    if isinstance(obj, Decision):
        return {("decision", obj.id), ("recommendation-group", obj.recommendation_id)}
    if isinstance(obj, Action):
        return {("action", obj.id), ("decision-of-action", obj.id)}
    if isinstance(obj, ActionUpdate):
        return {("action", obj.action_id)}
    if isinstance(obj, Response):
        return {("response", obj.id), ("recommendations-of-response", obj.id)}
    if isinstance(obj, Respondent):
        return {("respondent", obj.id)}
    if isinstance(obj, OrganisationType):  # renamed: the organisation type facet of its respondents' documents
        return {("respondents-of-type", obj.id)}
    if isinstance(obj, Consultation):
        return {("consultation", obj.id)}
    if isinstance(obj, FrameworkItem):
        return {("item", obj.id), ("recommendations-of-item", obj.id)}
    if isinstance(obj, Redaction):  # the public text of the response's recommendations
        return {("recommendations-of-response", obj.response_id)}
    return set()


def expand(session: Session, keys: Iterable[tuple[str, int]]) -> dict[str, set[int]]:
    """Resolve pending keys to the concrete documents to rebuild, by kind: every document
    whose content or visibility depends on what changed (see ``_keys_for``)."""
    by_kind: dict[str, set[int]] = {}
    for kind, entity_id in keys:
        by_kind.setdefault(kind, set()).add(entity_id)
    wanted: dict[str, set[int]] = {kind: set(by_kind.get(kind, ())) for kind in KINDS}

    def ids(query_for, among) -> set[int]:
        # Deleted rows included: a deletion must take the documents that depended on it out.
        return ids_in_batches(session, lambda batch: query_for(batch).execution_options(include_deleted=True),
                              among) if among else set()

    # Everything under a response, a respondent or a consultation.
    responses = by_kind.get("recommendations-of-response", set())
    respondents = by_kind.get("respondent", set()) | ids(
        lambda b: select(Respondent.id).where(Respondent.organisation_type_id.in_(b)), by_kind.get("respondents-of-type"))
    responses |= ids(lambda b: select(Response.id).where(Response.respondent_id.in_(b)), respondents)
    responses |= ids(lambda b: select(Response.id).where(Response.consultation_id.in_(b)), by_kind.get("consultation"))
    wanted["response"] |= responses
    recs = wanted["recommendation"]
    recs |= ids(lambda b: select(Recommendation.id).where(Recommendation.response_id.in_(b)), responses)
    recs |= ids(lambda b: select(Link.recommendation_id).where(Link.item_id.in_(b)), by_kind.get("recommendations-of-item"))

    # A changed decision (or one of its actions) changes every member of its group.
    groups = set(by_kind.get("recommendation-group", set()))
    groups |= ids(lambda b: select(Decision.recommendation_id).where(Decision.id.in_(b)), wanted["decision"])
    groups |= ids(lambda b: select(Decision.recommendation_id).join(Action).where(Action.id.in_(b)),
                  by_kind.get("decision-of-action"))
    recs |= groups | ids(lambda b: select(Recommendation.id).where(Recommendation.duplicate_of_id.in_(b)), groups)

    # Whether a group's decision and actions are public depends on each member's visibility.
    primaries = groups | by_kind.get("group-decisions", set())
    primaries |= ids(lambda b: select(func.coalesce(Recommendation.duplicate_of_id, Recommendation.id))
                     .where(Recommendation.id.in_(b)), recs)
    wanted["decision"] |= ids(lambda b: select(Decision.id).where(Decision.recommendation_id.in_(b)), primaries)
    wanted["action"] |= ids(lambda b: select(Action.id).where(Action.decision_id.in_(b)), wanted["decision"])
    return wanted


def write(session: Session, keys: Iterable[tuple[str, int]], today: dt.date | None = None) -> int:
    """Rebuild the documents behind ``keys`` in both indexes. Raises IndexBusy."""
    return _write_documents(session, expand(session, keys), today)


def _write_documents(session: Session, wanted: dict[str, set[int]], today: dt.date | None = None) -> int:
    """Write the staff and public documents of these objects, removing those that should not exist."""
    loader = _Loader(session, today)
    staff_docs, staff_gone, public_docs, public_gone = [], [], [], []
    for kind, ids in wanted.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), BATCH):
            for entity_id, (staff, public) in loader.build(kind, ordered[start : start + BATCH]).items():
                doc_id = f"{kind}:{entity_id}"
                (staff_docs.append(staff) if staff else staff_gone.append(doc_id))
                (public_docs.append(public) if public else public_gone.append(doc_id))
    found = indexes()
    found["staff"].update(staff_docs, delete_ids=staff_gone, **_through(session))
    found["public"].update(public_docs, delete_ids=public_gone, **_through(session))
    return len(staff_docs) + len(staff_gone)


def in_database() -> bool:
    """True when the search documents live in the database (the postgres backend)."""
    return current_app.config.get("SEARCH_BACKEND") == "postgres"


def _through(session: Session) -> dict:
    """With the postgres backend, write and read through ``session``'s connection, so documents
    change in its transaction; Whoosh has no transaction to join."""
    return {"connection": session.connection()} if in_database() else {}


# --- after the commit -----------------------------------------------------------------


def _collect(session: Session, flush_context) -> None:
    pending = session.info.setdefault("search_pending", set())
    # session.dirty also holds objects whose relationships alone changed (a respondent gains
    # a response): their own documents are unchanged, and re-indexing them would grow with
    # every response they send.
    changed = [obj for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    for obj in (*session.new, *changed, *session.deleted):
        pending |= _keys_for(obj)


def _forget(session: Session) -> None:
    session.info.pop("search_pending", None)


def _index_before_commit(session: Session) -> None:
    """The postgres backend: write the documents in the committing transaction."""
    if not has_app_context() or not in_database() or not current_app.config.get("SEARCH_ENABLED", True):
        return
    session.flush()  # the commit's own flush comes after this event: collect its changes now
    keys = session.info.pop("search_pending", None)
    if keys:
        write(session, keys)


def _index_after_commit(session: Session) -> None:
    keys = session.info.pop("search_pending", None)
    if not keys or not has_app_context() or in_database() or not current_app.config.get("SEARCH_ENABLED", True):
        return
    # The committed session cannot run SQL inside this event: read through a fresh one.
    with Session(bind=session.get_bind()) as reader:
        try:
            write(reader, keys)
        except Exception as error:  # noqa: BLE001 - the database change must stand whatever the index does
            log.warning("search index not updated (%s); %d changes queued for `search sync`", error, len(keys))
            reader.rollback()
            mark_dirty(reader, keys)
            reader.commit()


def mark_dirty(session: Session, keys: Iterable[tuple[str, int]]) -> None:
    existing = {(kind, entity_id) for kind, entity_id in session.execute(
        select(SearchDirty.entity_type, SearchDirty.entity_id))}
    for key in set(keys) - existing:
        session.add(SearchDirty(entity_type=key[0], entity_id=key[1]))
    session.flush()


# --- whole-index operations (CLI) -------------------------------------------------------


def all_documents(session: Session, audience: str, today: dt.date | None = None) -> Iterator[dict]:
    """Every document of one index, streamed in batches."""
    loader = _Loader(session, today)
    models = {"recommendation": Recommendation, "response": Response, "decision": Decision,
              "action": Action, "item": FrameworkItem}
    position = 0 if audience == "staff" else 1
    for kind, model in models.items():
        ids = session.scalars(select(model.id).order_by(model.id)).all()
        for start in range(0, len(ids), BATCH):
            for staff_and_public in loader.build(kind, ids[start : start + BATCH]).values():
                if doc := staff_and_public[position]:
                    yield doc
            session.expunge_all()


@dataclass(frozen=True)
class Difference:
    audience: str  # "staff" or "public"
    doc_id: str  # "recommendation:12"
    problem: str

    def __str__(self) -> str:
        return f"{self.audience}: {self.doc_id} {self.problem}"


def find_differences(session: Session) -> list[Difference]:
    """Every document that differs between an index and what the database says it should hold.
    The public index is held to ``published.py``'s rules, so a document the public may not see
    is reported even while its object exists."""
    found = []
    expected = {audience: {doc["id"]: doc["version"] for doc in all_documents(session, audience)}
                for audience in ("staff", "public")}
    for audience, index in indexes().items():
        indexed, wanted = index.all_versions(**_through(session)), expected[audience]
        for doc_id in sorted(wanted.keys() - indexed.keys()):
            found.append(Difference(audience, doc_id, "is missing from the index"))
        for doc_id in sorted(indexed.keys() - wanted.keys()):
            live = audience == "public" and doc_id in expected["staff"]
            found.append(Difference(audience, doc_id, "is in the index but should not be public" if live
                                    else "is in the index but not (or no longer) in the database"))
        for doc_id in sorted(wanted.keys() & indexed.keys()):
            if str(indexed[doc_id]) != wanted[doc_id]:
                found.append(Difference(audience, doc_id, "is out of date"))
    return found


def differences(session: Session) -> list[str]:
    """What differs between the indexes and the database, one line each."""
    return [str(difference) for difference in find_differences(session)]


def repair_differences(session: Session, found: Iterable[Difference]) -> int:
    """Rewrite (or remove) exactly the documents that differ; returns how many objects."""
    wanted: dict[str, set[int]] = {kind: set() for kind in KINDS}
    for difference in found:
        kind, _, entity_id = difference.doc_id.partition(":")
        if kind in wanted and entity_id.isdigit():
            wanted[kind].add(int(entity_id))
    _write_documents(session, wanted)
    return sum(len(ids) for ids in wanted.values())


search_cli = AppGroup("search", help="Keep the search indexes in step with the database.")


def rebuild(session: Session, echo=lambda line, nl=True: None) -> dict[str, int]:
    """Write both indexes afresh from the database; searches keep working meanwhile."""
    started = utcnow()
    counts = {}
    for audience, index in indexes().items():
        def progress(n, audience=audience):
            echo(f"\r{audience}: {n} documents", nl=False)
        counts[audience] = index.rebuild(all_documents(session, audience), progress=progress, **_through(session))
        echo(f"\r{audience}: {counts[audience]} documents indexed.")
    # Changes queued while the rebuild held the lock may postdate what it read: keep those.
    session.execute(delete(SearchDirty).where(SearchDirty.created_at < started))
    return counts


def write_queued(session: Session, *, chunk: int = QUEUE_CHUNK, progress=None) -> tuple[int, int]:
    """Write every change in ``search_dirty``, a chunk at a time, each chunk taken off the queue
    and committed with its documents (so memory stays flat however long the queue, and an
    interruption keeps only the unwritten chunks queued). Returns (changes, documents written);
    raises IndexBusy (the chunks written so far stay written)."""
    changes = documents = 0
    while True:
        rows = session.execute(select(SearchDirty.id, SearchDirty.entity_type, SearchDirty.entity_id)
                               .order_by(SearchDirty.id).limit(chunk)).all()
        if not rows:
            return changes, documents
        documents += write(session, {(kind, entity_id) for _, kind, entity_id in rows})
        session.execute(delete(SearchDirty).where(SearchDirty.id.in_([row[0] for row in rows])))
        session.commit()
        session.expunge_all()
        changes += len(rows)
        if progress:
            progress(len(rows))


def sync(session: Session) -> str:
    """Index what could not be indexed at the time, and refresh actions that became overdue."""
    found = indexes()
    empty_but_data = found["staff"].doc_count(**_through(session)) == 0 and session.scalar(select(FrameworkItem.id).limit(1))
    if empty_but_data or any(index.needs_rebuild for index in found.values()):
        counts = rebuild(session)
        return f"The index was missing or out of format, so it was rebuilt: {counts['staff']} documents."
    changes, documents = write_queued(session)
    overdue = {("action", action_id) for action_id in session.scalars(
        select(Action.id).where(overdue_clause(dt.date.today())))}
    documents += write(session, overdue) if overdue else 0
    return (f"Search index in step: {changes} queued change{'' if changes == 1 else 's'} and "
            f"{documents} document{'' if documents == 1 else 's'} written.")


def _index_error(error: IndexBusy) -> click.ClickException:
    """What to tell someone at the command line when an index cannot be written."""
    if isinstance(error, IndexUnwritable):
        folder = current_app.config["SEARCH_INDEX_DIR"]
        return click.ClickException(
            f"The search index cannot be written ({error}). Check that {folder} exists, that this user may "
            "write to it and that the disk is not full or read-only, then run the command again.")
    return click.ClickException(f"The index is busy ({error}); try again in a moment.")


def vacuum() -> None:
    """After rewriting every document: fold the GIN indexes' pending entries in and refresh the
    planner's statistics, or the first searches scan the whole table (VACUUM runs outside a transaction)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE search_document")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Write both indexes afresh from the database; searches keep working meanwhile."""
    try:
        rebuild(db.session, echo=click.echo)
        db.session.commit()
        if in_database():
            vacuum()
        click.echo(sync(db.session))
    except IndexBusy as error:
        db.session.rollback()
        raise _index_error(error) from None
    db.session.commit()


@search_cli.command("sync")
def sync_command() -> None:
    """Index what could not be indexed at the time, and refresh what became overdue."""
    try:
        message = sync(db.session)
    except IndexBusy as error:
        db.session.rollback()
        raise _index_error(error) from None
    db.session.commit()
    click.echo(message)


@search_cli.command("check")
@click.option("--repair", is_flag=True, help="Rewrite or remove exactly the documents that differ.")
def check_command(repair: bool) -> None:
    """Compare the indexes with the database (the public index with what the public may see);
    exit 1 and list every difference, or repair them with --repair."""
    found = find_differences(db.session)
    for difference in found:
        click.echo(str(difference))
    if found and repair:
        try:
            count = repair_differences(db.session, found)
        except IndexBusy as error:
            raise _index_error(error) from None
        db.session.commit()  # the postgres backend writes in the session's transaction
        click.echo(f"{count} document{'s' if count != 1 else ''} repaired.")
        found = find_differences(db.session)
    if found:
        raise click.ClickException(f"{len(found)} differences; run `flask --app tracker search check --repair` "
                                   "or `search rebuild`.")
    click.echo("The search indexes match the database.")
