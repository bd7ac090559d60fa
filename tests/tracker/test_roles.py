"""Every staff route checks the role on the server, and each role gets exactly what it should."""
from __future__ import annotations

import pytest
from conftest import PASSWORD, ROLES
from flask import url_for
from sqlalchemy import func, select

from consultations.models import Consultation, FrameworkItem, Link, OrganisationType, Question, Recommendation
from consultations.redaction import Redaction
from tracker.db import db
from consultations.workflow import Action, AuditEvent, Decision

STAFF_BLUEPRINTS = {"browse", "history", "triage", "mapping", "decisions", "implementation", "admin", "upload", "clusters",
                    "account", "recommendations", "work", "notifications"}
ASSETS = {"static", "govuk_assets"}


def test_every_route_declares_who_may_use_it(app):
    """A new route without @login_required, @role_required or @public fails here before it can leak."""
    unguarded = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ASSETS:
            continue
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "allowed_roles"):
            unguarded.append(rule.endpoint)
    assert unguarded == []
    staff = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in STAFF_BLUEPRINTS]
    assert all(r.rule.startswith("/staff/") for r in staff)


# --- the role x route matrix ------------------------------------------------------------
# Who may use each staff route, written from the product's roles (not read back from the
# decorators). A staff route missing from this table fails the test, so every new route is
# decided here.

ALL = set(ROLES)
POLICY, METHODOLOGY, APPROVER, ADMIN = {"policy"}, {"methodology"}, {"approver"}, {"admin"}
IMPLEMENTERS = {"policy", "approver"}

# endpoint: (roles that may GET, roles that may POST)
MATRIX = {
    "browse.home": (ALL, None), "browse.consultations": (ALL, None), "browse.consultation": (ALL, None),
    "browse.response": (ALL, None), "browse.response_original": (ALL, None),
    "browse.recommendation": (ALL, None), "browse.frameworks": (ALL, None), "browse.framework": (ALL, None),
    "history.show": (ALL, None), "search.staff_search": (ALL, None),
    "recommendations.index": (ALL, None), "work.home": (ALL, None),
    "recommendations.export_csv": (ALL, None), "recommendations.export_xlsx": (ALL, None),
    "recommendations.bulk_confirm_links": (METHODOLOGY, METHODOLOGY), "recommendations.bulk_assign": (POLICY, POLICY),
    "recommendations.bulk_draft": (APPROVER, APPROVER), "recommendations.bulk_approve": (APPROVER, APPROVER),
    "recommendations.bulk_publish": (APPROVER, APPROVER), "recommendations.answer_templates": (ALL, APPROVER),
    "triage.queue": (ALL, None), "triage.manage": (ALL, None), "triage.assign": (None, POLICY),
    "triage.set_status": (None, POLICY), "triage.add_recommendation": (POLICY, POLICY),
    "triage.edit_recommendation": (POLICY, POLICY), "triage.split_recommendation": (None, POLICY),
    "triage.merge_recommendations": (None, POLICY), "triage.move_recommendation": (None, POLICY),
    "triage.mark_duplicate": (None, POLICY), "triage.clear_duplicate": (None, POLICY),
    "triage.delete_recommendation": (None, POLICY), "triage.restore_recommendation": (None, POLICY),
    "triage.delete_response": (None, POLICY), "triage.restore_response": (None, POLICY),
    "triage.edit_consent": (POLICY, POLICY), "triage.edit_outcome_emails": (POLICY, POLICY),
    "triage.redactions": (ALL, None), "triage.redact": (None, POLICY), "triage.detect_redactions": (None, POLICY),
    "triage.decide_redaction": (None, POLICY), "triage.mark_redactions_reviewed": (None, POLICY),
    "triage.create_check": (None, POLICY), "triage.understood_check": (ALL, None),
    "triage.revoke_check": (None, POLICY), "triage.answer_dealt_with": (None, POLICY),
    "triage.email_check": (None, POLICY),
    "triage.accept_missed": (POLICY, POLICY),
    "upload.upload": (POLICY, POLICY),
    "mapping.links": (ALL, None), "mapping.item": (ALL, None), "mapping.coverage": (ALL, None),
    "mapping.confirm_link": (None, METHODOLOGY), "mapping.reject_link": (None, METHODOLOGY),
    "mapping.accept_suggestion": (None, METHODOLOGY), "mapping.add_link": (None, METHODOLOGY),
    "decisions.decision": (ALL, APPROVER), "decisions.approve": (None, APPROVER),
    "decisions.publish": (APPROVER, APPROVER), "decisions.withdraw": (APPROVER, APPROVER),
    "decisions.delete": (None, APPROVER), "decisions.restore": (None, APPROVER),
    "implementation.dashboard": (ALL, None), "implementation.action": (ALL, None),
    "implementation.new_action": (IMPLEMENTERS, IMPLEMENTERS), "implementation.edit_action": (IMPLEMENTERS, IMPLEMENTERS),
    "implementation.add_update": (IMPLEMENTERS, IMPLEMENTERS),
    "implementation.delete_action": (None, IMPLEMENTERS), "implementation.restore_action": (None, IMPLEMENTERS),
    **{f"admin.{name}": (ADMIN, ADMIN if name in posts else None) for name, posts in [
        ("home", ()), ("users", ()), ("consultations", ()), ("frameworks", ("frameworks",)),
        ("new_user", ("new_user",)), ("edit_user", ("edit_user",)), ("new_consultation", ("new_consultation",)),
        ("edit_consultation", ("edit_consultation",)), ("new_question", ("new_question",)),
        ("edit_question", ("edit_question",)), ("organisation_types", ()),
        ("new_organisation_type", ("new_organisation_type",)), ("edit_organisation_type", ("edit_organisation_type",)),
        ("move_organisation_type", ("move_organisation_type",)),
        ("add_default_organisation_types", ("add_default_organisation_types",)),
        ("outbox_messages", ()), ("outbox_message", ()), ("outbox_message_eml", ()),
        ("jobs", ()), ("job", ()), ("start_duplicates", ("start_duplicates",)), ("survey_import", ("survey_import",)),
        ("respondents", ()), ("respondent", ()), ("export_respondent", ())]},
    "admin.retry_outbox_message": (None, ADMIN),
    "admin.survey_import_start": (None, ADMIN),
    "admin.erase_respondent": (None, ADMIN),
    "admin.reset_password": (None, ADMIN), "admin.end_user_sessions": (None, ADMIN), "admin.unlock_user": (None, ADMIN),
    "notifications.preferences": (ALL, ALL),
    "account.sessions_page": (ALL, None), "account.end_other_sessions": (None, ALL),
    "account.settings_page": (ALL, None), "account.set_up": (ALL, ALL), "account.new_recovery_codes": (None, ALL),
    "account.turn_off": (None, ALL), "admin.reset_two_factor": (None, ADMIN),
    "clusters.overview": (ALL, None), "clusters.cluster": (ALL, None), "clusters.campaign": (ALL, None),
    "clusters.confirm": (None, POLICY), "clusters.reject": (None, POLICY), "clusters.remove_member": (None, POLICY),
    "clusters.confirm_campaign": (None, POLICY), "clusters.reject_campaign": (None, POLICY),
}


@pytest.fixture
def demo_ids(demo_app, users):
    app = demo_app
    with app.app_context():
        r4 = db.session.scalar(select(Recommendation).where(Recommendation.key == "R4"))
        decision = db.session.scalar(select(Decision).where(Decision.recommendation_id == r4.id))
        consultation = db.session.scalar(select(Consultation))
        return {
            "rec_id": r4.id, "response_id": r4.response_id, "respondent_id": r4.response.respondent_id,
            "decision_id": decision.id, "action_id": db.session.scalar(select(Action.id)),
            "link_id": db.session.scalar(select(Link.id)), "item_id": db.session.scalar(select(FrameworkItem.id)),
            "consultation_id": consultation.id, "slug": consultation.slug,
            "question_id": db.session.scalar(select(Question.id).where(Question.consultation_id == consultation.id)),
            "user_id": _bystander(), "key": "hmip-probation-2019", "version": "2019",
            "entity": "recommendation", "entity_id": r4.id,
            "type_id": db.session.scalar(select(OrganisationType.id)), "direction": "down",
            "redaction_id": db.session.scalar(select(Redaction.id)),
            **_duplicate_groups(r4), **_understood_check(r4), "message_id": _outbox_message(), "run_id": _finished_job(),
        }


def _finished_job() -> int:
    """A finished background job, for its page (tracker/staff/admin/jobs.py)."""
    from consultations.models import ImportRun

    job = ImportRun(kind="duplicates", source="every consultation", sha256="", status="finished",
                    options={"result": ["Done."]})
    db.session.add(job)
    db.session.commit()
    return job.id


def _duplicate_groups(rec) -> dict:
    """A proposed cluster holding ``rec`` and a campaign of its response, for the clusters routes."""
    from consultations.models import Campaign, CampaignMember, Cluster, ClusterMember

    other = db.session.scalar(select(Recommendation).where(Recommendation.response_id == rec.response_id,
                                                           Recommendation.id != rec.id))
    cluster = Cluster(consultation_id=rec.response.consultation_id, primary_id=rec.id, threshold=0.7, method="test",
                      members=[ClusterMember(recommendation_id=rec.id, score=1.0),
                               ClusterMember(recommendation_id=other.id, score=0.8)])
    campaign = Campaign(consultation_id=rec.response.consultation_id, canonical_response_id=rec.response_id,
                        threshold=0.5, method="test",
                        members=[CampaignMember(response_id=rec.response_id, similarity=1.0, added=[], omitted=0)])
    db.session.add_all([cluster, campaign])
    db.session.commit()
    return {"cluster_id": cluster.id, "campaign_id": campaign.id}


def _understood_check(rec) -> dict:
    """A check link of the response with a missed point, for the "what we understood" routes."""
    from consultations import understood_checks

    check = understood_checks.create_check(db.session, rec.response, user_id=None, days=28)
    answer, = understood_checks.record_answers(db.session, check, {}, "A point we missed.")
    db.session.commit()
    return {"check_id": check.id, "answer_id": answer.id}


def _bystander() -> int:
    """The user the admin routes act on (reset, sign out everywhere...): not one of the signed-in
    clients, whose later requests would otherwise find themselves signed out."""
    from consultations.users import create_user

    user = create_user(db.session, "bystander@example.org", "viewer", PASSWORD, "Bystander")
    db.session.commit()
    return user.id


def _outbox_message() -> int:
    """A failed email in the outbox, for the admin Outbox routes."""
    from consultations import outbox

    message = outbox.enqueue(db.session, recipient="someone@example.org", template="message",
                             context={"subject": "Hello", "paragraphs": ["A test message."]})
    message.state = "failed"
    db.session.commit()
    return message.id


def staff_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in STAFF_BLUEPRINTS),
                  key=lambda r: r.endpoint)


def url(app, rule, ids):
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})


def test_the_matrix_covers_every_staff_route(app):
    missing = {rule.endpoint for rule in staff_rules(app)} - set(MATRIX)
    assert missing == set(), "decide who may use these routes in MATRIX"


@pytest.mark.slow  # every staff route, as every role
def test_each_role_gets_exactly_what_it_should(app, demo_ids):
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        assert clients[role].post("/sign-in", data={"email": f"{role}@example.org", "password": PASSWORD}).status_code == 302
    rules = [(rule, url(app, rule, demo_ids)) for rule in staff_rules(app)]

    for rule, address in rules:
        readers, _ = MATRIX[rule.endpoint]
        if "GET" in rule.methods and readers is not None:
            for role, client in clients.items():
                status = client.get(address).status_code
                assert status == (200 if role in readers else 403), (rule.endpoint, role, status)
        elif "GET" in rule.methods:
            for role, client in clients.items():
                assert client.get(address).status_code == 405, (rule.endpoint, role)

    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for rule, address in rules:
        _, writers = MATRIX[rule.endpoint]
        if "POST" not in rule.methods:
            continue
        for role, client in clients.items():
            if writers is None or role not in writers:
                assert client.post(address, data={}).status_code == 403, (rule.endpoint, role)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before, \
            "a refused request changed something"

    for rule, address in rules:
        _, writers = MATRIX[rule.endpoint]
        if "POST" in rule.methods and writers:
            for role in writers:
                response = clients[role].post(address, data={})
                assert response.status_code != 403, (rule.endpoint, role)
                assert "/sign-in" not in response.headers.get("Location", ""), (rule.endpoint, role)


def test_user_history_is_for_admins(app, client, sign_in, users):
    sign_in("viewer")
    assert client.get(f"/staff/history/user/{users['admin']}").status_code == 403
    sign_in("admin")
    assert client.get(f"/staff/history/user/{users['viewer']}").status_code == 200
