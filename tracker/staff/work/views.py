"""My work: counts of what waits on the signed-in user's role, each a link to the list that
shows exactly those items. The counts come from ``consultations.my_work`` (a fixed number of
queries); the view builds the links."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, g, render_template, url_for

from consultations import my_work as work
from consultations.recommendation_list import NO_DECISION

from tracker.db import db
from tracker.web.roles import login_required

bp = Blueprint("work", __name__)


def today() -> dt.date:
    return dt.date.today()


@bp.route("/my-work")
@login_required
def home():
    """What waits on me: responses to triage, links to confirm, decisions to make, approve and
    publish, and my actions due soon or overdue."""
    now = today()
    counts = work.my_work(db.session, g.user, now)
    triage = [
        {"who": "Assigned to you", "statuses": [
            {"status": status, "count": n, "href": url_for("triage.queue", assignee=g.user.id, status=status)}
            for status, n in counts.assigned_to_me.items()]},
        {"who": "Not assigned to anyone", "statuses": [
            {"status": status, "count": n, "href": url_for("triage.queue", assignee="none", status=status)}
            for status, n in counts.unassigned.items()]},
    ]

    def listed(**filters) -> str:
        return url_for("recommendations.index", **filters)

    links = [
        {"text": "with no links to standards", "count": counts.by_link_state.get("none", 0),
         "href": listed(link_state="none")},
        {"text": "with only unconfirmed suggestions", "count": counts.by_link_state.get("suggested", 0),
         "href": listed(link_state="suggested")},
    ]
    decisions = [
        {"text": "with no decision", "count": counts.by_decision_state.get(NO_DECISION, 0),
         "href": listed(decision_state=NO_DECISION)},
        {"text": "with a draft decision waiting for approval", "count": counts.by_decision_state.get("draft", 0),
         "href": listed(decision_state="draft")},
        {"text": "with an approved decision waiting to be published",
         "count": counts.by_decision_state.get("approved", 0), "href": listed(decision_state="approved")},
    ]
    return render_template(
        "staff/work/home.html",
        counts=counts,
        parts=work.parts_for(g.user.role),
        triage=triage,
        links=links,
        decisions=decisions,
        due_soon_days=work.DUE_SOON_DAYS,
        today=now,
        overdue_url=url_for("implementation.dashboard", overdue="y"),
    )
