"""Admin pages as an admin uses them: users, consultations and questions, framework uploads.

Every workflow goes through the test client; refusals must show the GOV.UK error summary with
HTTP 400 and leave the database exactly as it was; every other role is refused every admin route.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from conftest import PASSWORD, PROBATION_FRAMEWORK
from flask import url_for
from sqlalchemy import func, select
from test_ingest import row_counts
from test_pages import count_statements
from werkzeug.datastructures import FileStorage
from werkzeug.security import check_password_hash
from werkzeug.test import encode_multipart

from consultations.models import (
    Consultation,
    Framework,
    FrameworkItem,
    ImportRun,
    OrganisationType,
    Question,
    Respondent,
    Response,
)
from tracker.db import db
from consultations.workflow import AuditEvent, User

SLUG = "probation-inspection-changes-2019"
ERROR_SUMMARY = "There is a problem"
NON_ADMIN_ROLES = ("policy", "methodology", "approver", "viewer")


# --- helpers -------------------------------------------------------------------


@pytest.fixture
def admin(sign_in):
    return sign_in("admin")


@pytest.fixture
def demo(demo_app, users):
    """The demo data, loaded after the per-role users so their passwords are the test's."""


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


def events(session, entity: str, entity_id: int, field: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.entity_type == entity, AuditEvent.entity_id == entity_id)
    if field:
        query = query.where(AuditEvent.field == field)
    return list(session.scalars(query.order_by(AuditEvent.id)))


def user_by_email(session, email: str) -> User:
    session.expire_all()
    return session.scalars(select(User).where(User.email == email)).one()


def consultation(session, slug: str = SLUG) -> Consultation:
    session.expire_all()
    return session.scalars(select(Consultation).where(Consultation.slug == slug)).one()


def refused(response, *messages: str) -> str:
    """A refusal: HTTP 400, the error summary and each message; returns the page."""
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html
    assert ERROR_SUMMARY in html and 'class="govuk-error-summary"' in html
    for message in messages:
        assert message in html, message
    return html


def consultation_form(**overrides) -> dict:
    data = {
        "title": "Inspecting youth offending services",
        "slug": "youth-offending-2024",
        "body": "HM Inspectorate of Probation",
        "summary": "How we should inspect youth offending services.",
        "status": "open",
        "opens_on": ["1", "3", "2024"],
        "closes_on": ["31", "5", "2024"],
    }
    data.update(overrides)
    return data


# --- access --------------------------------------------------------------------


def admin_routes(app, ids: dict) -> list[tuple[str, str, set[str]]]:
    """(endpoint, url, methods) for every admin route, ids filled in."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("admin."):
                url = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
                routes.append((rule.endpoint, url, {"GET", "POST"} & set(rule.methods)))
    return routes


@pytest.fixture
def demo_ids(demo, session, users):
    question = session.scalars(select(Question).order_by(Question.id)).first()
    type_id = session.scalars(select(OrganisationType.id).order_by(OrganisationType.id)).first()
    return {"user_id": users["viewer"], "consultation_id": question.consultation_id, "question_id": question.id,
            "type_id": type_id, "direction": "down", "run_id": _finished_job(session),
            "respondent_id": session.scalars(select(Respondent.id).order_by(Respondent.id)).first(),
            "message_id": _an_email(session)}


def _an_email(session) -> int:
    from consultations import outbox

    message = outbox.enqueue(session, recipient="someone@example.org", template="message",
                             context={"subject": "Hello", "paragraphs": ["A test message."]})
    session.commit()
    return message.id


def _finished_job(session) -> int:
    job = ImportRun(kind="duplicates", source="every consultation", sha256="", status="finished", options={})
    session.add(job)
    session.commit()
    return job.id


def test_every_admin_view_is_for_admins_only(app):
    endpoints = {name for name in app.view_functions if name.startswith("admin.")}
    assert endpoints >= {
        "admin.home", "admin.users", "admin.new_user", "admin.edit_user", "admin.reset_password",
        "admin.consultations", "admin.new_consultation", "admin.edit_consultation",
        "admin.new_question", "admin.edit_question", "admin.frameworks",
    }
    for name in endpoints:
        assert app.view_functions[name].allowed_roles == ("admin",), name


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_every_other_role_is_refused_every_admin_route(app, client, sign_in, session, demo_ids, role):
    sign_in(role)
    before = row_counts(session)
    routes = admin_routes(app, demo_ids)
    assert len(routes) >= 11
    form = {"name": "Changed", "role": "admin", "active": "yes", "email": f"new-{role}@example.org",
            "password": "a new long password", "confirm_password": "a new long password",
            "reset-password": "a new long password", "reset-confirm_password": "a new long password",
            **consultation_form(), "number": "9", "text": "A question?"}
    for endpoint, url, methods in routes:
        for method in methods:
            response = client.open(url, method=method, data=form if method == "POST" else None)
            assert response.status_code == 403, (endpoint, method)
            assert "You do not have permission to do this" in response.get_data(as_text=True)
    session.expire_all()
    assert row_counts(session) == before
    assert user_by_email(session, f"{role}@example.org").role == role


def test_admin_home_links_to_each_area_with_counts(admin, demo):
    html = admin.get("/staff/admin/").get_data(as_text=True)
    assert html.count("<h1") == 1
    assert "5 active users" in html and "1 consultation." in html and "2 frameworks" in html
    for href in ("/staff/admin/users", "/staff/admin/consultations", "/staff/admin/frameworks"):
        assert f'href="{href}"' in html
    # The admin sees the Admin item in the service navigation; others do not.
    assert 'href="/staff/admin/"' in admin.get("/staff/").get_data(as_text=True)


# --- users ---------------------------------------------------------------------


def test_user_list_shows_each_user_and_never_a_password_hash(admin, session, users):
    viewer = session.get(User, users["viewer"])
    viewer.active = False
    session.commit()
    response = admin.get("/staff/admin/users")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "5 users" in html
    for role in ("admin", "policy", "methodology", "approver", "viewer"):
        assert f"{role}@example.org" in html and role.title() in html
    assert "Deactivated" in html and "Active" in html
    assert dt.date.today().strftime("%B %Y") in html
    for user in session.scalars(select(User)):
        assert user.password_hash not in html
        assert user.password_hash not in admin.get(f"/staff/admin/users/{user.id}/edit").get_data(as_text=True)
    assert "pbkdf2" not in html


def test_add_a_user(app, admin, session, users):
    form = admin.get("/staff/admin/users/new").get_data(as_text=True)
    assert "Reads every staff page but cannot change anything." in form  # each role says what it can do
    assert "At least 12 characters" in form

    response = admin.post("/staff/admin/users/new", data={
        "email": "Sam.Jones@Inspectorate.example", "name": "Sam Jones", "role": "methodology",
        "password": "correct horse battery", "confirm_password": "correct horse battery"})
    assert response.status_code == 302 and response.location.endswith("/staff/admin/users")
    listing = admin.get(response.location).get_data(as_text=True)
    assert "Sam Jones (sam.jones@inspectorate.example) has been added with the role methodology." in listing

    user = user_by_email(session, "sam.jones@inspectorate.example")
    assert (user.name, user.role, user.active) == ("Sam Jones", "methodology", True)
    assert user.password_hash != "correct horse battery" and "correct horse battery" not in user.password_hash
    assert check_password_hash(user.password_hash, "correct horse battery")
    [created] = events(session, "user", user.id)
    assert created.field == "created" and created.user_id == users["admin"]
    assert json.loads(created.new) == {"email": "sam.jones@inspectorate.example", "name": "Sam Jones",
                                       "role": "methodology", "active": "True"}

    newcomer = app.test_client()
    signed_in = newcomer.post("/sign-in", data={"email": "sam.jones@inspectorate.example",
                                                "password": "correct horse battery"})
    assert signed_in.status_code == 302


@pytest.mark.parametrize("changes, message", [
    ({"email": "Policy@Example.org"}, "A user with the email address policy@example.org already exists"),
    ({"email": "not-an-email"}, "Enter an email address in the correct format"),
    ({"email": ""}, "Enter the email address"),
    ({"name": ""}, "Enter the person&#39;s name"),
    ({"role": ""}, "Select a role"),
    ({"role": "superuser"}, "Select a role"),
    ({"password": "too short", "confirm_password": "too short"}, "The password must be at least 12 characters long"),
    ({"confirm_password": "a different long one"}, "The passwords do not match"),
])
def test_add_user_refusals_change_nothing(admin, session, users, changes, message):
    before = row_counts(session)
    data = {"email": "new@example.org", "name": "New Person", "role": "viewer",
            "password": "a secret long password", "confirm_password": "a secret long password", **changes}
    html = refused(admin.post("/staff/admin/users/new", data=data), message)
    assert "a secret long password" not in html and "too short" not in html  # passwords are never echoed
    session.expire_all()
    assert row_counts(session) == before


def edit_user(client, user_id: int, **changes):
    page = client.get(f"/staff/admin/users/{user_id}/edit").get_data(as_text=True)
    data = {"name": re.search(r'id="name" name="name" type="text" value="([^"]*)"', page).group(1),
            "role": re.search(r'name="role" type="radio" value="(\w+)" checked', page).group(1),
            "active": re.search(r'name="active" type="radio" value="(\w+)" checked', page).group(1),
            "version": hidden_value(page, "version"), **changes}
    return client.post(f"/staff/admin/users/{user_id}/edit", data=data)


def test_change_a_users_role_and_name_is_audited(admin, session, users):
    response = edit_user(admin, users["policy"], role="approver", name="Pat Approver")
    assert response.status_code == 302
    assert "The changes to Pat Approver (policy@example.org) have been saved." in admin.get(response.location).get_data(as_text=True)
    user = user_by_email(session, "policy@example.org")
    assert (user.role, user.name, user.active) == ("approver", "Pat Approver", True)
    [role_change] = events(session, "user", user.id, "role")
    assert (role_change.old, role_change.new, role_change.user_id) == ("policy", "approver", users["admin"])
    [name_change] = events(session, "user", user.id, "name")
    assert (name_change.old, name_change.new) == ("Policy", "Pat Approver")
    assert not events(session, "user", user.id, "active")  # unchanged fields are not logged


def test_deactivated_user_cannot_sign_in_and_is_signed_out(app, admin, session, users):
    policy = app.test_client()
    assert policy.post("/sign-in", data={"email": "policy@example.org", "password": PASSWORD}).status_code == 302
    assert edit_user(admin, users["policy"], active="no").status_code == 302
    assert user_by_email(session, "policy@example.org").active is False
    [change] = events(session, "user", users["policy"], "active")
    assert (change.old, change.new) == ("True", "False")
    assert policy.get("/staff/").status_code == 302  # treated as signed out at once
    assert policy.post("/sign-in", data={"email": "policy@example.org", "password": PASSWORD}).status_code == 400
    # Reactivated, they can sign in again.
    assert edit_user(admin, users["policy"], active="yes").status_code == 302
    assert policy.post("/sign-in", data={"email": "policy@example.org", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("changes, message", [
    ({"active": "no"}, "You cannot deactivate your own account"),
    ({"role": "viewer"}, "You cannot remove your own admin role"),
    ({"name": ""}, "Enter the person&#39;s name"),
    ({"role": "root"}, "Select a role"),
    ({"active": "maybe"}, "Select whether the person can sign in"),
])
def test_admin_cannot_lock_themselves_out(admin, session, users, changes, message):
    before = row_counts(session)
    refused(edit_user(admin, users["admin"], **changes), message)
    session.expire_all()
    assert row_counts(session) == before
    me = session.get(User, users["admin"])
    assert (me.role, me.active, me.name) == ("admin", True, "Admin")
    assert admin.get("/staff/admin/").status_code == 200


def test_another_admin_can_be_demoted(admin, session, users):
    other = edit_user(admin, users["viewer"], role="admin")
    assert other.status_code == 302
    assert edit_user(admin, users["viewer"], role="viewer", active="no").status_code == 302
    assert user_by_email(session, "viewer@example.org").role == "viewer"


def test_stale_user_edit_is_not_saved_and_keeps_the_input(admin, session, users):
    page = admin.get(f"/staff/admin/users/{users['methodology']}/edit").get_data(as_text=True)
    seen = hidden_value(page, "version")
    user = session.get(User, users["methodology"])
    user.name = "Renamed Meanwhile"
    session.commit()

    data = {"name": "My New Name", "role": "approver", "active": "yes", "version": seen}
    response = admin.post(f"/staff/admin/users/{users['methodology']}/edit", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this while you were editing" in html
    assert "Renamed Meanwhile" in html and 'value="My New Name"' in html
    assert 'value="approver" checked' in html
    assert user_by_email(session, "methodology@example.org").role == "methodology"
    # Saving again, knowingly, goes through.
    data["version"] = hidden_value(html, "version")
    assert admin.post(f"/staff/admin/users/{users['methodology']}/edit", data=data).status_code == 302
    assert user_by_email(session, "methodology@example.org").name == "My New Name"


def test_reset_a_password(app, admin, session, users):
    before_hash = session.get(User, users["viewer"]).password_hash
    audit_before = session.scalar(select(func.count()).select_from(AuditEvent))
    response = admin.post(f"/staff/admin/users/{users['viewer']}/password", data={
        "reset-password": "a brand new password", "reset-confirm_password": "a brand new password"})
    assert response.status_code == 302
    assert "The password of Viewer (viewer@example.org) has been reset." in admin.get(response.location).get_data(as_text=True)
    user = user_by_email(session, "viewer@example.org")
    assert user.password_hash != before_hash and check_password_hash(user.password_hash, "a brand new password")
    # The audit log never holds a password or its hash.
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_before
    viewer = app.test_client()
    assert viewer.post("/sign-in", data={"email": "viewer@example.org", "password": PASSWORD}).status_code == 400
    assert viewer.post("/sign-in", data={"email": "viewer@example.org",
                                         "password": "a brand new password"}).status_code == 302


@pytest.mark.parametrize("password, confirmation, message", [
    ("short", "short", "The password must be at least 12 characters long"),
    ("a brand new password", "another new password", "The passwords do not match"),
    ("", "", "Enter a password"),
])
def test_reset_password_refusals(admin, session, users, password, confirmation, message):
    before = session.get(User, users["viewer"]).password_hash
    html = refused(admin.post(f"/staff/admin/users/{users['viewer']}/password", data={
        "reset-password": password, "reset-confirm_password": confirmation}), message)
    assert 'href="#reset-password"' in html or 'href="#reset-confirm_password"' in html
    assert user_by_email(session, "viewer@example.org").password_hash == before


def test_unknown_user_is_404(admin):
    assert admin.get("/staff/admin/users/999/edit").status_code == 404
    assert admin.post("/staff/admin/users/999/password", data={}).status_code == 404


# --- consultations and questions -------------------------------------------------


def test_consultation_list(admin, demo):
    html = admin.get("/staff/admin/consultations").get_data(as_text=True)
    assert "Inspection of probation providers: proposed changes 2019" in html
    assert SLUG in html and "Analysing" in html and "25 March 2019" in html and "22 April 2019" in html
    row = re.search(r"<tr class=\"govuk-table__row\">\s*<th[^>]*>.*?</tr>", html.split("<tbody")[1], re.S).group(0)
    cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
    assert cells[5:7] == ["4", "11"]  # questions, responses (Clinks and ten survey answers)


def test_add_a_consultation(admin, session, users):
    response = admin.post("/staff/admin/consultations/new", data=consultation_form())
    assert response.status_code == 302
    created = consultation(session, "youth-offending-2024")
    assert response.location.endswith(f"/staff/admin/consultations/{created.id}/edit")
    assert (created.title, created.body, created.status) == (
        "Inspecting youth offending services", "HM Inspectorate of Probation", "open")
    assert (created.opens_on, created.closes_on) == (dt.date(2024, 3, 1), dt.date(2024, 5, 31))
    page = admin.get(response.location).get_data(as_text=True)
    assert "has been added. Now add its questions." in page and "This consultation has no questions yet." in page
    [event] = events(session, "consultation", created.id)
    assert event.field == "created" and event.user_id == users["admin"]
    assert admin.get(f"/staff/consultations/{created.slug}").status_code == 200


def test_dates_and_summary_are_optional(admin, session, users):
    data = consultation_form(opens_on=["", "", ""], closes_on=["", "", ""], summary="")
    assert admin.post("/staff/admin/consultations/new", data=data).status_code == 302
    created = consultation(session, "youth-offending-2024")
    assert (created.opens_on, created.closes_on, created.summary) == (None, None, None)


@pytest.mark.parametrize("changes, message", [
    ({"slug": SLUG}, f"Another consultation already uses the slug {SLUG}"),
    ({"slug": "Youth Offending"}, "must be lower-case words joined by hyphens"),
    ({"slug": ""}, "Enter a slug"),
    ({"title": ""}, "Enter the title"),
    ({"body": ""}, "Enter the organisation consulting"),
    ({"status": "finished"}, "Status must be one of draft, open, closed"),
    ({"opens_on": ["31", "2", "2024"]}, "Opening date must be a real date"),
    ({"opens_on": ["", "2", ""]}, "Opening date must include a day and year"),
    ({"closes_on": ["1", "5", "24"]}, "The year of the closing date must include 4 numbers"),
    ({"closes_on": ["1", "May", "2024"]}, "Closing date must be a real date"),
    ({"closes_on": ["28", "2", "2024"]}, "The consultation closes before it opens"),
])
def test_consultation_refusals_change_nothing(admin, session, demo, changes, message):
    before = row_counts(session)
    html = refused(admin.post("/staff/admin/consultations/new", data=consultation_form(**changes)), message)
    assert "How we should inspect youth offending services." in html  # the input is kept
    session.expire_all()
    assert row_counts(session) == before


def edit_consultation_form(client, consultation_id: int, **changes) -> dict:
    page = client.get(f"/staff/admin/consultations/{consultation_id}/edit").get_data(as_text=True)
    item = db.session.get(Consultation, consultation_id)
    data = consultation_form(
        title=item.title, slug=item.slug, body=item.body, summary=item.summary or "", status=item.status,
        opens_on=[str(item.opens_on.day), str(item.opens_on.month), str(item.opens_on.year)],
        closes_on=[str(item.closes_on.day), str(item.closes_on.month), str(item.closes_on.year)],
    )
    data["version"] = hidden_value(page, "version")
    data.update(changes)
    return data


def test_edit_a_consultation_is_audited(admin, session, demo, users):
    item = consultation(session)
    data = edit_consultation_form(admin, item.id, title="Probation inspection changes", status="outcome published",
                                  closes_on=["29", "4", "2019"])
    response = admin.post(f"/staff/admin/consultations/{item.id}/edit", data=data)
    assert response.status_code == 302 and response.location.endswith("/staff/admin/consultations")
    item = consultation(session)
    assert (item.title, item.status, item.closes_on) == ("Probation inspection changes", "outcome published",
                                                         dt.date(2019, 4, 29))
    changes = {e.field: (e.old, e.new, e.user_id) for e in events(session, "consultation", item.id) if e.field != "created"}
    assert changes == {
        "title": ("Inspection of probation providers: proposed changes 2019", "Probation inspection changes", users["admin"]),
        "status": ("analysing", "outcome published", users["admin"]),
        "closes_on": ("2019-04-22", "2019-04-29", users["admin"]),
    }
    history = admin.get(f"/staff/history/consultation/{item.id}").get_data(as_text=True)
    assert "Probation inspection changes" in history and "Admin" in history


def test_edit_consultation_refuses_another_ones_slug(admin, session, demo):
    assert admin.post("/staff/admin/consultations/new", data=consultation_form()).status_code == 302
    item = consultation(session)
    before = row_counts(session)
    data = edit_consultation_form(admin, item.id, slug="youth-offending-2024", title="Changed title")
    refused(admin.post(f"/staff/admin/consultations/{item.id}/edit", data=data),
            "Another consultation already uses the slug youth-offending-2024")
    session.expire_all()
    assert row_counts(session) == before
    assert consultation(session).title == "Inspection of probation providers: proposed changes 2019"
    # Keeping its own slug is fine.
    assert admin.post(f"/staff/admin/consultations/{item.id}/edit", data=edit_consultation_form(admin, item.id)).status_code == 302


def test_stale_consultation_edit(admin, session, demo):
    item = consultation(session)
    data = edit_consultation_form(admin, item.id, title="My title")
    item.status = "closed"
    session.commit()
    response = admin.post(f"/staff/admin/consultations/{item.id}/edit", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this while you were editing" in html and "“Analysing” to “Closed”" in html
    assert 'value="My title"' in html
    assert consultation(session).title == "Inspection of probation providers: proposed changes 2019"
    data["version"] = hidden_value(html, "version")
    assert admin.post(f"/staff/admin/consultations/{item.id}/edit", data=data).status_code == 302
    assert consultation(session).title == "My title"


def test_add_a_question(admin, session, demo, users):
    item = consultation(session)
    form = admin.get(f"/staff/admin/consultations/{item.id}/questions/new")
    assert form.status_code == 200 and "Add a question" in form.get_data(as_text=True)
    response = admin.post(f"/staff/admin/consultations/{item.id}/questions/new",
                          data={"number": "5", "text": "Is there anything else?", "topic": "Other", "position": ""})
    assert response.status_code == 302 and response.location.endswith(f"/staff/admin/consultations/{item.id}/edit")
    page = admin.get(response.location).get_data(as_text=True)
    assert "Question 5 has been added." in page and "Is there anything else?" in page
    question = session.scalars(select(Question).where(Question.consultation_id == item.id, Question.number == "5")).one()
    assert (question.text, question.topic, question.position) == ("Is there anything else?", "Other", 4)  # last
    [created] = events(session, "question", question.id)
    assert created.field == "created" and created.user_id == users["admin"]


@pytest.mark.parametrize("data, message", [
    ({"number": "1", "text": "Again?"}, "This consultation already has a question 1"),
    ({"number": "", "text": "No number?"}, "Enter the question number"),
    ({"number": "6", "text": ""}, "Enter the question"),
    ({"number": "6", "text": "Where?", "position": "first"}, "Position must be a whole number"),
    ({"number": "6", "text": "Where?", "position": "-1"}, "Position must be 0 or more"),
])
def test_question_refusals_change_nothing(admin, session, demo, data, message):
    item = consultation(session)
    before = row_counts(session)
    refused(admin.post(f"/staff/admin/consultations/{item.id}/questions/new", data=data), message)
    session.expire_all()
    assert row_counts(session) == before


def question_number(session, number: str) -> Question:
    session.expire_all()
    return session.scalars(select(Question).join(Consultation).where(
        Consultation.slug == SLUG, Question.number == number)).one()


def test_edit_a_question_is_audited(admin, session, demo, users):
    question = question_number(session, "3")
    url = f"/staff/admin/consultations/{question.consultation_id}/questions/{question.id}/edit"
    page = admin.get(url).get_data(as_text=True)
    assert "Are there any disadvantages to inspecting co-terminously?" in page
    data = {"number": "3", "text": "What are the disadvantages of inspecting co-terminously?",
            "topic": "", "position": "0", "version": hidden_value(page, "version")}
    assert admin.post(url, data=data).status_code == 302
    question = question_number(session, "3")
    assert (question.text, question.topic, question.position) == (data["text"], None, 0)
    changes = {e.field: (e.old, e.new, e.user_id) for e in events(session, "question", question.id) if e.field != "created"}
    assert changes == {
        "text": ("Are there any disadvantages to inspecting co-terminously?", data["text"], users["admin"]),
        "topic": ("Co-terminous inspection", None, users["admin"]),
        "position": ("2", "0", users["admin"]),
    }
    # A number another question has is refused; the question is unchanged.
    data.update(number="1", version=hidden_value(admin.get(url).get_data(as_text=True), "version"))
    refused(admin.post(url, data=data), "This consultation already has a question 1")
    assert question_number(session, "3").id == question.id


def test_stale_question_edit(admin, session, demo):
    question = question_number(session, "2")
    url = f"/staff/admin/consultations/{question.consultation_id}/questions/{question.id}/edit"
    seen = hidden_value(admin.get(url).get_data(as_text=True), "version")
    question.topic = "Boundaries"
    session.commit()
    data = {"number": "2", "text": "My wording?", "topic": "", "position": "", "version": seen}
    response = admin.post(url, data=data)
    assert response.status_code == 409 and "My wording?" in response.get_data(as_text=True)
    assert question_number(session, "2").text.startswith("How can we best measure progress")


def test_question_must_belong_to_the_consultation_in_the_address(admin, session, demo):
    other = Consultation(slug="other", title="Other", body="Body")
    session.add(other)
    session.commit()
    question = question_number(session, "1")
    assert admin.get(f"/staff/admin/consultations/{other.id}/questions/{question.id}/edit").status_code == 404
    assert admin.get("/staff/admin/consultations/999/edit").status_code == 404
    assert admin.get("/staff/admin/consultations/999/questions/new").status_code == 404


# --- frameworks ----------------------------------------------------------------


def upload(client, content: bytes, filename: str, **fields):
    """POST a file as a browser does. The body is built in memory: for big files the test client's
    own encoder spools to a temporary file that it never closes."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), filename), **fields})
    return client.post("/staff/admin/frameworks", data=body,
                       content_type=f'multipart/form-data; boundary="{boundary}"')


CSV = (
    "code,title,text,parent code\n"
    "1,Leadership,,\n"
    "1.1,Vision,Leaders set a clear vision.,1\n"
    "1.2,Staffing,,1\n"
)


def test_framework_list(admin, demo):
    html = admin.get("/staff/admin/frameworks").get_data(as_text=True)
    assert "2 frameworks" in html
    assert "hmip-probation-2019" in html and "hmip-suer-2019" in html and "2019-2022" in html
    assert "Strategic objectives" in html and 'href="/staff/frameworks/hmip-probation-2019/2019"' in html
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html


def test_upload_a_yaml_framework_then_the_same_file_again(admin, session, users):
    response = upload(admin, PROBATION_FRAMEWORK.read_bytes(), "hmip-probation-standards-2019.yaml")
    assert response.status_code == 302
    page = admin.get(response.location).get_data(as_text=True)
    assert "(hmip-probation-2019 version 2019, standards): 48 items — 48 new, 0 updated, 0 unchanged, 0 retired." in page
    framework = session.scalars(select(Framework)).one()
    assert session.scalar(select(func.count()).where(FrameworkItem.framework_id == framework.id)) == 48
    assert events(session, "framework", framework.id)[0].user_id == users["admin"]

    again = upload(admin, PROBATION_FRAMEWORK.read_bytes(), "hmip-probation-standards-2019.yml")
    assert "48 items — 0 new, 0 updated, 48 unchanged, 0 retired." in admin.get(again.location).get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Framework)) == 1


def test_upload_a_csv_framework_with_its_header_fields(admin, session, users):
    response = upload(admin, CSV.encode(), "leadership.csv", key="lead", name="Leadership standards",
                      version="2024", kind="themes")
    assert response.status_code == 302
    assert "Imported Leadership standards (lead version 2024, themes): 3 items — 3 new" in admin.get(response.location).get_data(as_text=True)
    # A corrected file: one item reworded, one gone (retired, not deleted).
    corrected = CSV.replace("Leaders set a clear vision.", "Leaders set and share a vision.").replace("1.2,Staffing,,1\n", "")
    response = upload(admin, corrected.encode(), "leadership.csv", key="lead", name="Leadership standards",
                      version="2024", kind="themes")
    assert "2 items — 0 new, 1 updated, 1 unchanged, 1 retired." in admin.get(response.location).get_data(as_text=True)
    session.expire_all()
    items = {i.code: i for i in session.scalars(select(FrameworkItem))}
    assert items["1.2"].retired_at is not None and items["1.1"].text == "Leaders set and share a vision."


def test_csv_key_defaults_to_the_file_name(admin, session, users):
    response = upload(admin, CSV.encode(), "../../core standards.csv")
    assert response.status_code == 302
    framework = session.scalars(select(Framework)).one()
    assert (framework.key, framework.name, framework.version, framework.kind) == (
        "core_standards", "core_standards", "1", "standards")


def test_a_bad_framework_file_lists_every_problem_and_writes_nothing(admin, session, demo):
    before = row_counts(session)
    bad = CSV + "1.1,Duplicate,,1\n3.1,Orphan,,3\n10,Not a child,,1\n"
    html = refused(upload(admin, bad.encode(), "bad.csv"), "bad.csv was not imported and nothing was changed",
                   "Fix these 3 problems in the file")
    assert "line 5: code &#39;1.1&#39; is used twice (first at line 3)" in html
    assert "line 6: item &#39;3.1&#39; has parent code &#39;3&#39;, which is not a code in this file" in html
    assert "line 7: item &#39;10&#39; is under &#39;1&#39; but its code does not extend it" in html
    assert html.count('href="#file"') == 3
    session.expire_all()
    assert row_counts(session) == before


@pytest.mark.parametrize("content, filename, message", [
    (b"code,title\n1,A\n", "standards.txt", "The selected file must be a YAML (.yaml or .yml) or CSV (.csv) file"),
    (b"code,title\n1,A\n", "standards", "The selected file must be a YAML (.yaml or .yml) or CSV (.csv) file"),
    (b"code,title\n" + b"1,A\n" * 600_000, "huge.csv", "The selected file must be smaller than 2 MB"),
    (b"framework: [unclosed\n", "broken.yaml", "YAML syntax error"),
    (b"\xff\xfe code,title\n", "latin.csv", "the file is not UTF-8 text"),
    (b"", "empty.yaml", "the file is empty"),
])
def test_framework_upload_refusals(admin, session, users, content, filename, message):
    before = row_counts(session)
    refused(upload(admin, content, filename), message)
    session.expire_all()
    assert row_counts(session) == before


def test_framework_upload_without_a_file(admin, users):
    refused(admin.post("/staff/admin/frameworks", data={"key": "x"}, content_type="multipart/form-data"),
            "Select a framework file")


# --- queries do not grow with rows -------------------------------------------------


def test_admin_lists_run_a_fixed_number_of_queries(app, admin, session, users):
    def measure() -> dict[str, int]:
        sizes = {}
        for url in ("/staff/admin/", "/staff/admin/users", "/staff/admin/consultations", "/staff/admin/frameworks",
                    "/staff/admin/organisation-types"):
            with count_statements(app) as statements:
                assert admin.get(url).status_code == 200
            sizes[url] = len(statements)
        return sizes

    def add_rows(start: int, stop: int) -> None:
        for n in range(start, stop):
            item = Consultation(slug=f"c{n}", title=f"Consultation {n}", body="Body")
            session.add_all([
                User(email=f"user{n}@example.org", name=f"User {n}", role="viewer", password_hash="x"),
                Question(consultation=item, number="1", text="Q?"),
                Response(consultation=item, respondent=Respondent(
                    name=f"R{n}", organisation_type=OrganisationType(name=f"Type {n}", public_name=f"a type {n}")),
                    text="t"),
                FrameworkItem(framework=Framework(key=f"f{n}", name=f"F{n}", version="1"), code="1"),
            ])
        session.commit()

    add_rows(0, 2)
    few = measure()
    add_rows(2, 12)
    many = measure()
    assert many == few
    assert max(few.values()) <= 4  # the signed-in user, then the page's own queries
