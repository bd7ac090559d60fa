"""Triage of responses: queue, assignment, consent, and correcting the extracted recommendations.

One blueprint, ``bp`` (endpoints ``triage.*``), defined here so every module of the package adds
its routes to it; ``views`` imports them all, and the app factory registers ``views.bp``.
"""
from flask import Blueprint

from tracker.web.roles import role_required

bp = Blueprint("triage", __name__)

policy_required = role_required("policy")
