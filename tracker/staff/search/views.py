"""Staff search: one box over responses, recommendations, decisions, actions and framework items."""
from flask import Blueprint

from tracker.web.roles import login_required
from tracker.web.search import render_search

bp = Blueprint("search", __name__)


@bp.route("/search")
@login_required
def staff_search():
    """One box over responses, recommendations, decisions, actions and framework items."""
    return render_search("staff", "staff/search/search.html")
