"""Helpers every edit view uses: stale-form detection.

A form carries the version of the object it was loaded with. If the object has moved on
since, the view must not save: it shows what changed meanwhile (from the audit log) and
the user's own input, and the next save, made knowingly, goes through.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

from flask import flash, redirect
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from consultations.audit import changes_since
from consultations.change_display import readable
from tracker.db import db
from tracker.web.forms import EditForm


class StaleEdit(Exception):
    """The object changed after the form was loaded; ``changes`` lists what changed."""

    def __init__(self, obj, changes):
        super().__init__(f"{type(obj).__name__} {obj.id} changed since version you edited")
        self.obj = obj
        self.changes = changes


def ensure_current(session: Session, obj, submitted_version: int | None) -> None:
    """Raise ``StaleEdit`` unless the form was loaded at the object's current version."""
    if submitted_version != obj.version_id:
        raise StaleEdit(obj, readable(session, changes_since(session, obj, submitted_version or 0)))


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
    409 with the ``StaleEdit`` when ``current`` moved on since the form's ``version``. A refusal
    that names its fields (``errors``, field name to message, or ``field``) shows on those
    fields. Nothing is saved unless the whole change succeeds.
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
        named = _named_errors(form, refusal)
        if named:
            for name, message in named.items():
                add_error(form[name], message)
        elif error_field is None:
            return EditOutcome(None, render(code=400, conflict=None, error=str(refusal)))
        else:
            add_error(error_field, str(refusal))
        return EditOutcome(None, render(code=400, conflict=None))
    return EditOutcome(result, None)


def apply_state_change(current, change: Callable[[], Any], render_page: Callable[..., ResponseReturnValue], *,
                       done: str, then: str) -> ResponseReturnValue:
    """The buttons that move ``current`` to another state (approve, publish, delete, restore):
    ``apply_edit`` with a version-only ``EditForm``; on success flash ``done`` and go to ``then``.

    The page shows no form to correct, so ``render_page(status=..., conflict=..., problem=...)``
    shows the object again with the conflict, or with why not as the page's problem.
    """
    form = EditForm()

    def render(code, conflict, error=None):
        if conflict is None and error is None:
            error = next((field.errors[0] for field in form if field.errors), None)
        return render_page(status=code, conflict=conflict, problem=error)

    outcome = apply_edit(form, change, render, current=current)
    if outcome.refused:
        return outcome.page
    flash(done)
    return redirect(then)


def _named_errors(form, refusal: ValueError) -> dict[str, str]:
    """The refusal's messages by form field, when it names fields the form has (else none)."""
    named = getattr(refusal, "errors", None)
    if not isinstance(named, dict):
        field = getattr(refusal, "field", None)
        named = {field: str(refusal)} if isinstance(field, str) else {}
    return named if all(name in form for name in named) else {}
