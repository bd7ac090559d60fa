"""Feeds and downloads (issue 5, in progress)."""
from flask import Blueprint

bp = Blueprint("feeds", __name__)
