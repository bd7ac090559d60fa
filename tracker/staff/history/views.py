"""History pages: every recorded change to one object, newest first, as people read it
(names, not ids: ``consultations.change_display``)."""
from __future__ import annotations

from flask import Blueprint, abort, g, render_template

from consultations.audit import AUDITED, history
from consultations.change_display import readable
from consultations.soft_delete import WITH_DELETED
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
    obj = db.session.get(model, entity_id, execution_options=WITH_DELETED)  # a deleted one has a history too
    if obj is None:
        abort(404)
    changes = readable(db.session, history(db.session, entity, entity_id))
    return render_template("staff/history/show.html", entity=entity, obj=obj, changes=changes)
