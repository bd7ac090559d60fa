"""Loading the record a URL names, or 404.

Deleted records are hidden from every query (``consultations.soft_delete``); the pages that
must see them say so with ``include_deleted=True``: restore buttons, the management page's
list of deleted recommendations, a decision or action page that offers a restore.
"""
from __future__ import annotations

from flask import abort

from consultations.soft_delete import WITH_DELETED
from sqlalchemy import select

from consultations.models import Response
from tracker.db import db


def get_or_404(model, ident, *, include_deleted: bool = False):
    """``model`` by primary key, or 404 (a deleted one too when ``include_deleted``)."""
    found = db.session.get(model, ident, execution_options=WITH_DELETED if include_deleted else {})
    if found is None:
        abort(404)
    return found


def one_or_404(statement, *, include_deleted: bool = False):
    """The one row ``statement`` selects, or 404. With ``include_deleted`` nothing is hidden, so
    the statement filters deleted rows itself where it must (and what it loads, lazily or
    eagerly, comes with its deleted members)."""
    if include_deleted:
        statement = statement.execution_options(**WITH_DELETED)
    return db.one_or_404(statement)


def live_response(response_id: int, *loaders, with_deleted_recommendations: bool = False) -> Response:
    """A response that has not been deleted, or 404: deleted ones are only restored. With
    ``with_deleted_recommendations`` its recommendations include the deleted ones (the
    response pages list them apart, or say what was merged into what)."""
    return one_or_404(
        select(Response).where(Response.id == response_id, Response.deleted_at.is_(None)).options(*loaders),
        include_deleted=with_deleted_recommendations,
    )
