"""Tell staff what a change did beyond itself: a consultation that left "outcome published"
because a recommendation waits for a decision again (consultations.decisions.reopened).

One after-request hook for every staff route, so each way of making that happen (withdrawing a
decision, uploading or adding recommendations, restoring one, undoing a duplicate) says it the
same way, on the page the user lands on next.
"""
from __future__ import annotations

from flask import Flask, Response, flash, g

from consultations import decisions
from consultations.models import Consultation
from tracker.db import db


def reopened_message(title: str, left: int) -> str:
    return (f"‘{title}’ is no longer ‘outcome published’: {left} recommendation{'s' if left != 1 else ''} "
            f"{'wait' if left != 1 else 'waits'} for a published decision. It moves back when every one has one.")


def init_app(app: Flask) -> None:
    @app.after_request
    def tell_staff(response: Response) -> Response:
        if "sqlalchemy" not in app.extensions or g.get("user") is None:
            return response
        moved = decisions.reopened(db.session)
        if moved and response.status_code < 400:
            for consultation_id, left in sorted(moved.items()):
                consultation = db.session.get(Consultation, consultation_id)
                flash(reopened_message(consultation.title if consultation else "A consultation", left))
        return response
