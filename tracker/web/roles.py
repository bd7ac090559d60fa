"""Who may use a route, for every view: ``@role_required``, ``@login_required`` and ``@public``,
``can`` for templates, the staff navigation, and the check that a ``next`` URL stays on this site
(``is_safe_next``, ``return_to``).

Roles: ``admin`` (users, consultations, frameworks), ``policy`` (triage, implementation),
``methodology`` (links to frameworks), ``approver`` (decisions, implementation) and
``viewer`` (reads everything staff can read, changes nothing). Every role can read the
staff pages; each change is allowed only to the roles named on its route.
"""
from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, url_for

from consultations.workflow import ROLES

READ_ROLES = ROLES


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative ``//evil``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def return_to(default: str) -> str:
    """Where to go after a change: the page the form came from (its ``return_to`` field, or
    ``?next=``), if it is on this site; ``default`` otherwise."""
    target = request.form.get("return_to") or request.args.get("next")
    return target if is_safe_next(target) else default


def role_required(*roles: str):
    """Redirect anonymous visitors to sign in; refuse signed-in users without a listed role."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # read by the role x route test matrix
        return wrapped

    return decorator


login_required = role_required(*READ_ROLES)


def public(view):
    """Marks a route anyone may use, signed in or not, so that choice is explicit too."""
    view.allowed_roles = ("anyone",)
    return view


def can(*roles: str) -> bool:
    """For templates: show an action only to the roles that may take it."""
    return g.get("user") is not None and g.user.role in roles



# (endpoint, label, endpoints or blueprints it is active for, roles that see it). Entries whose
# endpoint is not registered are left out, so each blueprint appears once it exists.
STAFF_NAVIGATION = [
    ("work.home", "My work", {"work"}, READ_ROLES),
    ("browse.consultations", "Consultations", {"browse.consultations", "browse.consultation", "browse.response"}, READ_ROLES),
    ("recommendations.index", "Recommendations", {"recommendations", "browse.recommendation"}, READ_ROLES),
    ("triage.queue", "Triage", {"triage", "upload"}, READ_ROLES),
    ("mapping.coverage", "Standards coverage", {"mapping"}, READ_ROLES),
    ("implementation.dashboard", "Implementation", {"implementation", "decisions"}, READ_ROLES),
    ("browse.frameworks", "Frameworks", {"browse.frameworks", "browse.framework"}, READ_ROLES),
    ("admin.home", "Admin", {"admin"}, ("admin",)),
]


def staff_navigation() -> list[dict]:
    if g.get("user") is None:
        return []
    endpoint = request.endpoint or ""
    blueprint = endpoint.split(".")[0]
    return [
        {"href": url_for(target), "text": label, "active": endpoint in active or blueprint in active}
        for target, label, active, roles in STAFF_NAVIGATION
        if target in current_app.view_functions and g.user.role in roles
    ]




def template_context() -> dict:
    """The signed-in user, ``can`` and the navigation in every template
    (registered by ``tracker.web.templating``)."""
    return {"current_user": g.get("user"), "can": can, "staff_navigation": staff_navigation}
