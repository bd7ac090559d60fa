"""Soft delete: nothing is hard-deleted; a deleted object is marked, so it can be restored and its
history stays in the audit log.

Once ``install`` has run, deleted rows are invisible by default: one ``do_orm_execute`` listener
adds ``deleted_at IS NULL`` to every ORM select (joins and aliases included, and collections
loaded later), so no query can forget the filter. Code that must see deleted rows says so
with the execution option ``include_deleted=True``: restore, soft-delete cascades, history and
audit, "show deleted" lists, backup and export, and removing deleted documents from the search
index. The objects such a query returns load their relationships unfiltered too. A reference to
one parent is never hidden: see ``hide_deleted``.
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria
from sqlalchemy.orm.interfaces import UserDefinedOption

from consultations.models import Base, utcnow

INCLUDE_DELETED = "include_deleted"
"""The execution option that opts a statement out of the filter."""

WITH_DELETED = {INCLUDE_DELETED: True}
"""Ready to pass as ``execution_options=`` (``session.get``, ``session.scalars``...)."""


def soft_delete(obj) -> None:
    """Mark ``obj`` deleted (once: deleting again keeps the first time)."""
    if obj.deleted_at is None:
        obj.deleted_at = utcnow()


def restore(obj) -> None:
    obj.deleted_at = None


def soft_deletable_models() -> tuple[type, ...]:
    """Every mapped class with a ``deleted_at`` column (the models are all defined by then)."""
    return _soft_deletable_models()


@cache
def _soft_deletable_models() -> tuple[type, ...]:
    from consultations import workflow  # noqa: F401 (its models must be mapped before the list is made)

    return tuple(sorted((mapper.class_ for mapper in Base.registry.mappers
                   if "deleted_at" in mapper.columns), key=lambda cls: cls.__name__))


def _not_deleted(cls):
    return cls.deleted_at.is_(None)


class _ShowDeleted(UserDefinedOption):
    """Rides along with a statement that opted out, and with the lazy loads of what it returned."""

    propagate_to_loaders = True


@cache
def _criteria() -> tuple:
    """One option per soft-deletable model, made once, so a statement's own can be recognised."""
    return tuple(with_loader_criteria(model, _not_deleted, include_aliases=True)
                 for model in soft_deletable_models())


def _loads_a_collection(state: ORMExecuteState) -> bool:
    path = state.loader_strategy_path
    prop = getattr(path, "prop", None) if path is not None else None
    return bool(getattr(prop, "uselist", False))


def _without_criteria(statement):
    """The statement without the options ``_criteria`` made. Relationship loaders copy the
    options of the query that loaded the parent; SQLAlchemy has no public way to drop one, so
    this replaces the tuple the loaders themselves set (``tests/consultations/test_soft_delete.py`` pins it)."""
    ours = {id(option) for option in _criteria()}
    kept = tuple(option for option in statement._with_options if id(option) not in ours)
    if len(kept) == len(statement._with_options):
        return statement
    statement = statement._generate()
    statement._with_options = kept
    return statement


def hide_deleted(state: ORMExecuteState) -> None:
    """Filter deleted rows out of an ORM select, unless it asked for ``include_deleted``.

    Top-level selects are filtered everywhere: the entities, joins, aliases, subqueries and
    collections loaded with them. A collection loaded later (``response.recommendations``, lazily
    or by ``selectinload``) hides its deleted members unless its parent was loaded with the
    opt-out. A reference to one object (``recommendation.response``, ``decision.recommendation``)
    loaded later is never hidden, so a row can always reach its parent and ask whether it is
    deleted, rather than find ``None`` where the schema promises a row. (A ``joinedload`` of
    such a reference is part of the filtered statement: it gives ``None`` for a deleted parent;
    use ``selectinload`` where the parent may be deleted.)"""
    if not state.is_select or state.is_column_load:
        return
    opted_out = state.execution_options.get(INCLUDE_DELETED, False) or any(
        isinstance(option, _ShowDeleted) for option in state.user_defined_options)
    if opted_out:
        if not state.is_relationship_load:
            state.statement = state.statement.options(_ShowDeleted())
        return
    if state.is_relationship_load and not _loads_a_collection(state):
        state.statement = _without_criteria(state.statement)
        return
    state.statement = _without_criteria(state.statement).options(*_criteria())


def install(target: type[Session] | sessionmaker | Session = Session) -> None:
    """Hide deleted rows from every query of ``target`` (a session class, a sessionmaker or one
    session; by default every session of the process, as the app factory does, since its
    commands and the search indexer open sessions of their own). A script using the domain may
    call it too. Calling it again changes nothing."""
    if not event.contains(target, "do_orm_execute", hide_deleted):
        event.listen(target, "do_orm_execute", hide_deleted)


def uninstall(target: type[Session] | sessionmaker | Session = Session) -> None:
    """Undo ``install`` (for tests that need the unfiltered behaviour)."""
    if event.contains(target, "do_orm_execute", hide_deleted):
        event.remove(target, "do_orm_execute", hide_deleted)


def installed(target: type[Session] | sessionmaker | Session = Session) -> bool:
    return event.contains(target, "do_orm_execute", hide_deleted)
