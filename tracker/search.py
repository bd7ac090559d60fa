"""Keep the search indexes in step with the database.

Two indexes, so that nothing unpublished can leak by construction:

* the staff index holds every live response, recommendation, decision (public rationale
  and internal note), action and framework item;
* the public index holds only what stakeholders may read: recommendations and decisions
  whose decision is published, never from a confidential respondent, an anonymous
  respondent shown by organisation type only, public action updates, and framework items.

Changes are collected as they are flushed and written after the commit (a rollback
drops them, leaving the index untouched). If an index cannot be written (lock held past
the timeout, disk error) the database change still stands and the objects are queued in
``search_dirty`` for ``flask --app tracker search sync``. Each document's ``version`` is a
hash of its content, so ``search check`` finds any drift, not only missing documents.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator

import click
from flask import Flask, current_app, has_app_context
from flask.cli import AppGroup
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session, selectinload

from consultations.models import (
    Consultation,
    utcnow,
    FrameworkItem,
    Link,
    Recommendation,
    Respondent,
    Response,
)
from search_index import IndexBusy, SearchIndex

from .db import db
from .models import Action, ActionUpdate, Decision, SearchDirty
from .published import public_name

log = logging.getLogger(__name__)

KINDS = ("recommendation", "response", "decision", "action", "item")
FINISHED_ACTIONS = {"implemented", "superseded", "withdrawn"}
BATCH = 500


# --- the indexes ----------------------------------------------------------------------


def init_app(app: Flask) -> None:
    app.config.setdefault("SEARCH_INDEX_DIR", os.path.join(app.instance_path, "search_index"))
    app.config.setdefault("SEARCH_WRITE_TIMEOUT", 2.0)
    app.cli.add_command(search_cli)


def indexes() -> dict[str, SearchIndex]:
    """The staff and public indexes of the current app, opened once per process."""
    app = current_app._get_current_object()
    opened = app.extensions.setdefault("search_indexes", {})
    if not opened:
        root = app.config["SEARCH_INDEX_DIR"]
        timeout = app.config["SEARCH_WRITE_TIMEOUT"]
        opened["staff"] = SearchIndex(os.path.join(root, "staff"), write_timeout=timeout)
        opened["public"] = SearchIndex(os.path.join(root, "public"), write_timeout=timeout)
    return opened


# --- documents ------------------------------------------------------------------------


def _with_version(doc: dict) -> dict:
    content = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)
    doc["version"] = hashlib.sha1(content.encode()).hexdigest()[:16]
    return doc


def _when(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return None


def is_overdue(action: Action, today: dt.date) -> bool:
    return action.due_on is not None and action.due_on < today and action.status not in FINISHED_ACTIONS


class _Loader:
    """Builds documents for batches of ids with a fixed number of queries per batch."""

    def __init__(self, session: Session, today: dt.date | None = None):
        self.session = session
        self.today = today or dt.date.today()

    def _decisions_for(self, recommendation_ids: set[int]) -> dict[int, Decision]:
        if not recommendation_ids:
            return {}
        rows = self.session.scalars(
            select(Decision)
            .where(Decision.recommendation_id.in_(recommendation_ids), Decision.deleted_at.is_(None))
            .options(selectinload(Decision.actions))
            .order_by(Decision.id)
        )
        return {decision.recommendation_id: decision for decision in rows}

    def recommendations(self, ids: list[int]) -> dict[int, tuple[dict | None, dict | None]]:
        recs = self.session.scalars(
            select(Recommendation)
            .where(Recommendation.id.in_(ids))
            .options(
                selectinload(Recommendation.response).selectinload(Response.respondent),
                selectinload(Recommendation.response).selectinload(Response.consultation),
                selectinload(Recommendation.links).selectinload(Link.item),
            )
        ).all()
        decisions = self._decisions_for({rec.duplicate_of_id or rec.id for rec in recs})
        found = {rec.id: self._recommendation(rec, decisions.get(rec.duplicate_of_id or rec.id)) for rec in recs}
        return {i: found.get(i, (None, None)) for i in ids}

    def _recommendation(self, rec: Recommendation, decision: Decision | None):
        response = rec.response
        if rec.deleted_at or response.deleted_at:
            return None, None
        respondent, consultation = response.respondent, response.consultation
        standards = sorted({link.item.code for link in rec.links if link.status != "rejected"})
        live_actions = [a for a in (decision.actions if decision else []) if a.deleted_at is None]
        statuses = sorted({a.status for a in live_actions} | ({"overdue"} if any(is_overdue(a, self.today) for a in live_actions) else set()))
        staff = _with_version({
            "id": f"recommendation:{rec.id}", "kind": "recommendation",
            "title": f"{respondent.name} {rec.key}", "body": rec.text,
            "respondent": respondent.name, "consultation": consultation.slug,
            "org_type": respondent.organisation_type or "", "standards": standards,
            "outcome": decision.outcome if decision else "", "status": statuses,
            "date": _when(response.received_on) or rec.created_at, "public": False,
        })
        public = None
        name = public_name(respondent)
        if decision is not None and decision.published_at and name:
            public = _with_version({
                "id": f"recommendation:{rec.id}", "kind": "recommendation",
                "title": name, "body": rec.text, "consultation": consultation.slug,
                "org_type": respondent.organisation_type or "", "standards": standards,
                "outcome": decision.published_outcome or "", "status": statuses,
                "date": decision.published_at, "public": True,
            })
        return staff, public

    def responses(self, ids: list[int]):
        rows = self.session.scalars(
            select(Response).where(Response.id.in_(ids))
            .options(selectinload(Response.respondent), selectinload(Response.consultation))
        ).all()
        found = {}
        for response in rows:
            if response.deleted_at:
                found[response.id] = (None, None)
                continue
            respondent = response.respondent
            found[response.id] = (_with_version({
                "id": f"response:{response.id}", "kind": "response",
                "title": f"Response from {respondent.name}", "body": response.text,
                "respondent": respondent.name, "consultation": response.consultation.slug,
                "org_type": respondent.organisation_type or "", "status": response.status,
                "date": _when(response.received_on) or response.created_at, "public": False,
            }), None)  # whole responses are never published as such
        return {i: found.get(i, (None, None)) for i in ids}

    def decisions(self, ids: list[int]):
        rows = self.session.scalars(
            select(Decision).where(Decision.id.in_(ids)).options(
                selectinload(Decision.recommendation).selectinload(Recommendation.response)
                .selectinload(Response.respondent),
                selectinload(Decision.recommendation).selectinload(Recommendation.response)
                .selectinload(Response.consultation),
                selectinload(Decision.recommendation).selectinload(Recommendation.links).selectinload(Link.item),
            )
        ).all()
        found = {}
        for decision in rows:
            rec = decision.recommendation
            if decision.deleted_at or rec.deleted_at or rec.response.deleted_at:
                found[decision.id] = (None, None)
                continue
            respondent, consultation = rec.response.respondent, rec.response.consultation
            standards = sorted({link.item.code for link in rec.links if link.status != "rejected"})
            staff = _with_version({
                "id": f"decision:{decision.id}", "kind": "decision",
                "title": f"Decision on {respondent.name} {rec.key}", "body": decision.public_rationale or "",
                "extra": decision.internal_note or "", "respondent": respondent.name,
                "consultation": consultation.slug, "org_type": respondent.organisation_type or "",
                "standards": standards, "outcome": decision.outcome, "status": decision.state,
                "date": decision.updated_at, "public": False,
            })
            public = None
            if decision.published_at and public_name(respondent):
                public = _with_version({
                    "id": f"decision:{decision.id}", "kind": "decision",
                    "title": f"Decision on a recommendation from {public_name(respondent)}",
                    "body": decision.published_rationale or "", "consultation": consultation.slug,
                    "org_type": respondent.organisation_type or "", "standards": standards,
                    "outcome": decision.published_outcome or "", "date": decision.published_at, "public": True,
                })
            found[decision.id] = (staff, public)
        return {i: found.get(i, (None, None)) for i in ids}

    def actions(self, ids: list[int]):
        rows = self.session.scalars(
            select(Action).where(Action.id.in_(ids)).options(
                selectinload(Action.updates),
                selectinload(Action.decision).selectinload(Decision.recommendation)
                .selectinload(Recommendation.response).selectinload(Response.respondent),
                selectinload(Action.decision).selectinload(Decision.recommendation)
                .selectinload(Recommendation.response).selectinload(Response.consultation),
            )
        ).all()
        found = {}
        for action in rows:
            decision = action.decision
            rec = decision.recommendation
            if action.deleted_at or decision.deleted_at or rec.deleted_at or rec.response.deleted_at:
                found[action.id] = (None, None)
                continue
            respondent, consultation = rec.response.respondent, rec.response.consultation
            statuses = [action.status] + (["overdue"] if is_overdue(action, self.today) else [])
            updates = [u for u in action.updates]
            staff = _with_version({
                "id": f"action:{action.id}", "kind": "action", "title": action.description[:200],
                "body": "\n".join([action.description, *(u.text for u in updates)]),
                "respondent": respondent.name, "consultation": consultation.slug,
                "org_type": respondent.organisation_type or "", "outcome": decision.outcome,
                "status": statuses, "date": _when(action.due_on) or action.created_at, "public": False,
            })
            public = None
            if decision.published_at and public_name(respondent):
                public = _with_version({
                    "id": f"action:{action.id}", "kind": "action", "title": action.description[:200],
                    "body": "\n".join([action.description, *(u.text for u in updates if u.is_public)]),
                    "consultation": consultation.slug, "org_type": respondent.organisation_type or "",
                    "outcome": decision.published_outcome or "", "status": statuses,
                    "date": _when(action.due_on) or action.created_at, "public": True,
                })
            found[action.id] = (staff, public)
        return {i: found.get(i, (None, None)) for i in ids}

    def items(self, ids: list[int]):
        rows = self.session.scalars(
            select(FrameworkItem).where(FrameworkItem.id.in_(ids)).options(selectinload(FrameworkItem.framework))
        ).all()
        found = {}
        for item in rows:
            if item.retired_at:
                found[item.id] = (None, None)
                continue
            doc = _with_version({
                "id": f"item:{item.id}", "kind": "item", "title": f"{item.code} {item.title or ''}".strip(),
                "body": item.text or "", "standards": [item.code], "outcome": "",
                "consultation": "", "date": item.framework.created_at, "public": True,
            })
            found[item.id] = (doc, doc)  # frameworks are public information
        return {i: found.get(i, (None, None)) for i in ids}

    def build(self, kind: str, ids: list[int]):
        return getattr(self, {"item": "items"}.get(kind, kind + "s"))(ids)


# --- which documents a change touches -------------------------------------------------


def _keys_for(obj) -> set[tuple[str, int]]:
    """The (kind, id) pairs whose documents may change when ``obj`` changes."""
    if isinstance(obj, Recommendation):
        return {("recommendation", obj.id)}
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
    if isinstance(obj, Consultation):
        return {("consultation", obj.id)}
    if isinstance(obj, FrameworkItem):
        return {("item", obj.id)}
    return set()


def expand(session: Session, keys: Iterable[tuple[str, int]]) -> dict[str, set[int]]:
    """Resolve pending keys to the concrete documents to rebuild, by kind."""
    wanted: dict[str, set[int]] = {kind: set() for kind in KINDS}
    by_kind: dict[str, set[int]] = {}
    for kind, entity_id in keys:
        by_kind.setdefault(kind, set()).add(entity_id)
    for kind in KINDS:
        wanted[kind] |= by_kind.get(kind, set())
    if ids := by_kind.get("recommendation-group"):
        wanted["recommendation"] |= ids | set(session.scalars(
            select(Recommendation.id).where(Recommendation.duplicate_of_id.in_(ids))))
    if ids := by_kind.get("decision-of-action"):
        recs = set(session.scalars(select(Decision.recommendation_id).join(Action).where(Action.id.in_(ids))))
        wanted["recommendation"] |= recs | set(session.scalars(
            select(Recommendation.id).where(Recommendation.duplicate_of_id.in_(recs))))
    response_ids = set(by_kind.get("recommendations-of-response", set()))
    if ids := by_kind.get("respondent"):
        response_ids |= set(session.scalars(select(Response.id).where(Response.respondent_id.in_(ids))))
    if ids := by_kind.get("consultation"):
        response_ids |= set(session.scalars(select(Response.id).where(Response.consultation_id.in_(ids))))
    if response_ids:
        wanted["response"] |= response_ids
        rec_ids = set(session.scalars(select(Recommendation.id).where(Recommendation.response_id.in_(response_ids))))
        wanted["recommendation"] |= rec_ids
        wanted["decision"] |= set(session.scalars(select(Decision.id).where(Decision.recommendation_id.in_(rec_ids))))
        wanted["action"] |= set(session.scalars(
            select(Action.id).join(Decision).where(Decision.recommendation_id.in_(rec_ids))))
    return wanted


def write(session: Session, keys: Iterable[tuple[str, int]], today: dt.date | None = None) -> int:
    """Rebuild the documents behind ``keys`` in both indexes. Raises IndexBusy."""
    wanted = expand(session, keys)
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
    found["staff"].update(staff_docs, delete_ids=staff_gone)
    found["public"].update(public_docs, delete_ids=public_gone)
    return len(staff_docs) + len(staff_gone)


# --- after the commit -----------------------------------------------------------------


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    pending = session.info.setdefault("search_pending", set())
    # session.dirty also holds objects whose relationships alone changed (a respondent gains
    # a response): their own documents are unchanged, and re-indexing them would grow with
    # every response they send.
    changed = [obj for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    for obj in (*session.new, *changed, *session.deleted):
        pending |= _keys_for(obj)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop("search_pending", None)


@event.listens_for(Session, "after_commit")
def _index_after_commit(session: Session) -> None:
    keys = session.info.pop("search_pending", None)
    if not keys or not has_app_context() or not current_app.config.get("SEARCH_ENABLED", True):
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


def differences(session: Session) -> list[str]:
    """What differs between the indexes and the database, one line each."""
    lines = []
    for audience, index in indexes().items():
        indexed = index.all_versions()
        expected = {doc["id"]: doc["version"] for doc in all_documents(session, audience)}
        for doc_id in sorted(expected.keys() - indexed.keys()):
            lines.append(f"{audience}: {doc_id} is missing from the index")
        for doc_id in sorted(indexed.keys() - expected.keys()):
            lines.append(f"{audience}: {doc_id} is in the index but not (or no longer) in the database")
        for doc_id in sorted(expected.keys() & indexed.keys()):
            if str(indexed[doc_id]) != expected[doc_id]:
                lines.append(f"{audience}: {doc_id} is out of date")
    return lines


search_cli = AppGroup("search", help="Keep the search indexes in step with the database.")


def rebuild(session: Session, echo=lambda line, nl=True: None) -> dict[str, int]:
    """Write both indexes afresh from the database; searches keep working meanwhile."""
    started = utcnow()
    counts = {}
    for audience, index in indexes().items():
        def progress(n, audience=audience):
            echo(f"\r{audience}: {n} documents", nl=False)
        counts[audience] = index.rebuild(all_documents(session, audience), progress=progress)
        echo(f"\r{audience}: {counts[audience]} documents indexed.")
    # Changes queued while the rebuild held the lock may postdate what it read: keep those.
    session.execute(delete(SearchDirty).where(SearchDirty.created_at < started))
    return counts


def sync(session: Session) -> str:
    """Index what could not be indexed at the time, and refresh actions that became overdue."""
    found = indexes()
    empty_but_data = found["staff"].doc_count() == 0 and session.scalar(select(FrameworkItem.id).limit(1))
    if empty_but_data or any(index.needs_rebuild for index in found.values()):
        counts = rebuild(session)
        return f"The index was missing or out of format, so it was rebuilt: {counts['staff']} documents."
    dirty = session.scalars(select(SearchDirty)).all()
    keys = {(row.entity_type, row.entity_id) for row in dirty}
    keys |= {("action", action_id) for action_id in session.scalars(
        select(Action.id).where(Action.due_on < dt.date.today(), Action.status.not_in(FINISHED_ACTIONS)))}
    count = write(session, keys) if keys else 0
    for row in dirty:
        session.delete(row)
    return f"Search index in step: {len(dirty)} queued changes and {count} documents written."


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Write both indexes afresh from the database; searches keep working meanwhile."""
    rebuild(db.session, echo=click.echo)
    db.session.commit()
    click.echo(sync(db.session))
    db.session.commit()


@search_cli.command("sync")
def sync_command() -> None:
    """Index what could not be indexed at the time, and refresh what became overdue."""
    try:
        message = sync(db.session)
    except IndexBusy as error:
        db.session.rollback()
        raise click.ClickException(f"The index is busy ({error}); try again in a moment.") from None
    db.session.commit()
    click.echo(message)


@search_cli.command("check")
def check_command() -> None:
    """Compare the indexes with the database; exit 1 and list every difference."""
    lines = differences(db.session)
    for line in lines:
        click.echo(line)
    if lines:
        raise click.ClickException(f"{len(lines)} differences; run `flask --app tracker search sync` or `search rebuild`.")
    click.echo("The search indexes match the database.")
