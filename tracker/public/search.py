"""Public search: published decisions and the recommendations they answer, respecting consent."""
from flask import Blueprint

from tracker.web.roles import public
from tracker.web.search import render_search

bp = Blueprint("public_search", __name__)


@bp.route("/search")
@public
def public_search():
    """Published decisions and the recommendations they answer, respecting consent."""
    return render_search("public", "public/search.html")
