"""Helpers every edit view uses: stale-form detection.

A form carries the version of the object it was loaded with. If the object has moved on
since, the view must not save: it shows what changed meanwhile (from the audit log) and
the user's own input, and the next save, made knowingly, goes through.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from consultations.audit import changes_since
from tracker.db import db


class StaleEdit(Exception):
    """The object changed after the form was loaded; ``changes`` lists what changed."""

    def __init__(self, obj, changes):
        super().__init__(f"{type(obj).__name__} {obj.id} changed since version you edited")
        self.obj = obj
        self.changes = changes


def ensure_current(session: Session, obj, submitted_version: int | None) -> None:
    """Raise ``StaleEdit`` unless the form was loaded at the object's current version."""
    if submitted_version != obj.version_id:
        raise StaleEdit(obj, changes_since(session, obj, submitted_version or 0))


class EditOutcome(NamedTuple):
    """What ``apply_edit`` did: the change's ``result``, or the ``page`` to send back instead."""

    result: Any
    page: ResponseReturnValue | None

    @property
    def refused(self) -> bool:
        return self.page is not None


def add_error(field, message: str) -> None:
    """Show ``message`` against ``field`` (WTForms keeps errors as a list per field)."""
    field.errors = [*field.errors, message]


def apply_edit(form, change: Callable[[], Any], render: Callable[..., ResponseReturnValue], *,
               current=None, error_field=None, validate: bool = True) -> EditOutcome:
    """The one edit flow every view uses: validate the form, refuse a stale one, run the change,
    commit; or roll back and re-render with why not.

    ``render(code=..., conflict=...)`` re-renders the page with ``form`` in it: 400 when the form
    is invalid or the domain refuses (its ``ValueError``, shown on ``error_field``; with no
    ``error_field`` the message comes as ``render(..., error=message)`` for the page to show),
    409 with the ``StaleEdit`` when ``current`` moved on since the form's ``version``. Nothing is
    saved unless the whole change succeeds.
    """
    if validate and not form.validate():
        return EditOutcome(None, render(code=400, conflict=None))
    try:
        if current is not None:
            ensure_current(db.session, current, form.version.data)
        result = change()
        db.session.commit()
    except StaleEdit as conflict:
        db.session.rollback()
        form.accept_current_version(conflict.obj)
        return EditOutcome(None, render(code=409, conflict=conflict))
    except ValueError as refusal:  # every domain refusal (TriageError, DecisionError, ...) is one
        db.session.rollback()
        if error_field is None:
            return EditOutcome(None, render(code=400, conflict=None, error=str(refusal)))
        add_error(error_field, str(refusal))
        return EditOutcome(None, render(code=400, conflict=None))
    return EditOutcome(result, None)
