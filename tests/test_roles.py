"""Every staff route checks the role on the server, and each role gets exactly what it should."""
from __future__ import annotations

STAFF_BLUEPRINTS = {"browse", "history", "triage", "mapping", "decisions", "implementation", "admin"}
PUBLIC_ENDPOINTS = {"static", "govuk_assets", "index", "auth.sign_in", "auth.sign_out", "public_search.public_search"}


def test_every_route_declares_who_may_use_it(app):
    """A new route without @login_required or @role_required fails here before it can leak."""
    unguarded = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "allowed_roles"):
            unguarded.append(rule.endpoint)
    assert unguarded == []
    staff = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in STAFF_BLUEPRINTS]
    assert all(r.rule.startswith("/staff/") for r in staff)
