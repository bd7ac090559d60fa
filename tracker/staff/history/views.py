"""History pages: every recorded change to one object, newest first."""
from __future__ import annotations

import json

from flask import Blueprint, abort, g, render_template

from consultations.audit import AUDITED, history
from tracker.web.roles import login_required
from tracker.db import db

bp = Blueprint("history", __name__)


@bp.route("/history/<entity>/<id:entity_id>")
@login_required
def show(entity: str, entity_id: int):
    model = AUDITED.get(entity)
    if model is None:
        abort(404)
    if entity == "user" and g.user.role != "admin":
        abort(403)  # staff accounts are administered, and read, by admins only
    obj = db.session.get(model, entity_id)
    if obj is None:
        abort(404)
    events = history(db.session, entity, entity_id)
    created = {e.id: json.loads(e.new or "{}") for e in events if e.field == "created"}
    return render_template("staff/history/show.html", entity=entity, obj=obj, events=events, created=created)
