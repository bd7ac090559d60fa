"""Public pages (issue 5, in progress)."""
from flask import Blueprint

bp = Blueprint("public", __name__)
