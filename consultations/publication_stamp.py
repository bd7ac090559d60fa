"""The publication stamp: one row that changes, in the same transaction, with anything a public
page could show, so any process (each gunicorn worker, each web host on one PostgreSQL
database) can tell with one primary-key read whether a page it rendered earlier is still right.

Why one row and not "the newest change": ids and timestamps are handed out before commit, so on
PostgreSQL a transaction that started first may commit last, after a reader has already seen a
"newer" change; a row updated by the committing transaction itself is seen exactly when its data is.

What bumps it: every commit that wrote to a table not listed in ``PRIVATE_TABLES``, through the
unit of work (``after_flush``) or a bulk statement run on the session (``do_orm_execute``, as the
imports' ``insert(...)`` are). A new table therefore invalidates public pages until someone lists
it as private: a missed invalidation would show stale facts, an extra one only costs a render.
The stamp is a random token rather than a counter, so a database restored from a backup (or
another installation's) never repeats a token a process has cached pages under.

Readers take the stamp first and the data after it: a page may then be newer than its stamp
(harmless, it is rendered again at the next change), never older.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, Integer, String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from consultations.models import Base, utcnow

STAMP_ID = 1
_CHANGED = "publication_stamp_changed"  # session.info: this transaction wrote something public

# Tables nothing public is ever read from: writing to them leaves public pages as they were.
# (The audit log feeds the public timeline, but only alongside a change to an audited table.)
PRIVATE_TABLES = frozenset({
    "publication_stamp", "audit_event", "user", "user_session", "user_two_factor", "failed_sign_in",
    "notification_preference", "outbox_message", "email_subscription", "search_dirty", "search_document",
    "import_run", "answer_template", "understood_check", "understood_answer",
})


class PublicationStamp(Base):
    """The one row (``id`` 1): a new ``token`` whenever something public may have changed."""
    __tablename__ = "publication_stamp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), nullable=False)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


def new_row() -> dict:
    return {"token": uuid.uuid4().hex, "changed_at": utcnow()}


@event.listens_for(PublicationStamp.__table__, "after_create")
def _first_row(table, connection, **kw) -> None:
    """A database made by ``create_all`` (tests, benchmarks) starts with its row, as a migrated one does."""
    connection.execute(insert(table).values(id=STAMP_ID, **new_row()))


_CURRENT = select(PublicationStamp.token).where(PublicationStamp.id == STAMP_ID)  # built once: read per request


def current(session: Session) -> str | None:
    """The token now (None if the row is missing: then nothing may be cached)."""
    return session.execute(_CURRENT).scalar()


def unsettled(session: Session) -> bool:
    """Whether this session holds public changes not yet committed (its pages must not be cached)."""
    return bool(session.info.get(_CHANGED) or session.new or session.dirty or session.deleted)


def bump(connection) -> None:
    """Give the stamp a new token, in the caller's transaction."""
    table = PublicationStamp.__table__
    if connection.execute(update(table).where(table.c.id == STAMP_ID).values(**new_row())).rowcount == 0:
        connection.execute(insert(table).values(id=STAMP_ID, **new_row()))


def _public(table_names) -> bool:
    return any(name not in PRIVATE_TABLES for name in table_names)


def _note_flush(session: Session, flush_context) -> None:
    if session.info.get(_CHANGED):
        return
    changed = {table.name for obj in (*session.new, *session.dirty, *session.deleted)
               for table in type(obj).__mapper__.tables}
    if _public(changed):
        session.info[_CHANGED] = True


def _note_statement(state) -> None:
    """A bulk insert, update or delete run on the session (no flush sees those)."""
    if not (state.is_insert or state.is_update or state.is_delete) or state.session.info.get(_CHANGED):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and _public({getattr(table, "name", None)}):
        state.session.info[_CHANGED] = True


def _bump_before_commit(session: Session) -> None:
    """Flush first, so the row lock the bump takes is held only for the commit itself."""
    if session.in_nested_transaction():
        return  # the outermost commit bumps, once
    session.flush()
    if session.info.pop(_CHANGED, False):
        bump(session.connection())


def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)


def install() -> None:
    """Bump the stamp in every session's commits (the web app's, commands', import jobs');
    called by the app with the audit log; calling it again changes nothing."""
    if event.contains(Session, "before_commit", _bump_before_commit):
        return
    event.listen(Session, "after_flush", _note_flush)
    event.listen(Session, "do_orm_execute", _note_statement)
    event.listen(Session, "before_commit", _bump_before_commit)
    event.listen(Session, "after_transaction_end", _forget)
