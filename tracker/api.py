"""The read-only JSON API (issue 5, in progress)."""
from flask import Blueprint

bp = Blueprint("api", __name__)
