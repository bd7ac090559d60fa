"""Admin pages: staff users and their roles, consultations and their questions, framework uploads,
the list of organisation types.

Every route, reading ones included, is for the ``admin`` role: the pages show staff details.
One blueprint, ``admin``, with its routes in one module per subject: ``users``,
``consultations`` (with their questions), ``frameworks`` and ``organisation_types``; the forms are in ``forms``.
Views are thin: a form checks what was typed, a service function (in ``consultations.users``,
or next to the views for consultations, questions and framework uploads) checks the rules that
need the database and flushes, and ``apply_edit`` commits, or rolls back and shows the refusal
next to its field with HTTP 400, or what changed meanwhile with HTTP 409.
"""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from consultations.models import Consultation, Framework, OrganisationType
from consultations.workflow import User
from tracker.db import db
from tracker.web.roles import role_required

bp = Blueprint("admin", __name__)


@bp.route("/admin/")
@role_required("admin")
def home():
    """Where admins start: users, consultations, frameworks and organisation types, with how many there are."""
    def count(model, *where):
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    counts = db.session.execute(select(  # one query for every count
        count(User, User.active.is_(True)).label("users"),
        count(Consultation).label("consultations"),
        count(Framework).label("frameworks"),
        count(OrganisationType, OrganisationType.active.is_(True)).label("organisation_types"),
    )).one()._asdict()
    return render_template("staff/admin/home.html", counts=counts)


# The subjects' routes register themselves on ``bp`` when their modules load.
from tracker.staff.admin import consultations, frameworks, jobs, organisation_types, outbox, respondents, users  # noqa: E402,F401
