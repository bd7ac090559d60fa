"""Security of the whole app: every staff page needs a signed-in user, sign-in only returns to
pages on this site, CSRF is enforced, session cookies carry the right flags, passwords are only
ever stored hashed, and neither pages nor the audit log show a password hash."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import PASSWORD, database_url
from sqlalchemy import func, select
from test_ingest import row_counts
from werkzeug.security import check_password_hash

from consultations.models import Framework, FrameworkItem, Link, Question, Recommendation, Respondent, Response
from tracker import create_app
from tracker.auth import create_user
from tracker.db import db
from tracker.models import Action, ActionUpdate, AuditEvent, Decision, User

STAFF_BLUEPRINTS = {"browse", "history", "triage", "mapping", "decisions", "implementation", "admin"}
EVIL_NEXT = ["//evil.example", "https://evil.example/", "/\\evil", "javascript:alert(1)", "/\t/evil.example",
             "http:evil.example", "https:/evil.example"]
STAFF_HOME = "/staff/"


def signed_in_user(client) -> int | None:
    with client.session_transaction() as session:
        return session.get("user_id")


def sign_in(client, email: str = "admin@example.org", password: str = PASSWORD, **kwargs):
    return client.post("/sign-in", data={"email": email, "password": password, **kwargs.pop("data", {})}, **kwargs)


def csrf_token(html: str) -> str:
    tag = re.search(r'<input[^>]*name="(?:[\w-]+-)?csrf_token"[^>]*>', html)
    assert tag, "no CSRF token in the form"
    return re.search(r'value="([^"]+)"', tag.group(0)).group(1)


# --- every staff page needs a signed-in user ---------------------------------------------


@pytest.fixture
def demo_ids(runner, users, session) -> dict:
    """Real ids from the demo data for every kind of object a staff URL can name."""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    first = lambda model: session.scalars(select(model).order_by(model.id)).first()  # noqa: E731
    recommendation, framework = first(Recommendation), first(Framework)
    decision = Decision(recommendation_id=recommendation.id, outcome="accepted", public_rationale="Yes.")
    action = Action(decision=decision, description="Publish the schedule", owner="Policy team")
    session.add_all([decision, action, ActionUpdate(action=action, on=dt.date(2024, 1, 1), text="Started")])
    session.commit()
    question = first(Question)
    return {
        "response_id": first(Response).id, "rec_id": recommendation.id, "recommendation_id": recommendation.id,
        "respondent_id": first(Respondent).id, "link_id": first(Link).id, "item_id": first(FrameworkItem).id,
        "framework_id": framework.id, "key": framework.key, "version": framework.version,
        "slug": question.consultation.slug, "consultation_id": question.consultation_id,
        "question_id": question.id, "user_id": users["viewer"], "decision_id": decision.id,
        "action_id": action.id, "entity": "recommendation", "entity_id": recommendation.id,
    }


def staff_urls(app, ids: dict) -> list[tuple[str, str, set[str]]]:
    """(endpoint, url, methods) of every route of a staff blueprint, with real ids filled in.

    A parameter this test does not know yet gets 1 (or "x"): an anonymous visitor must be
    turned away before the object is even looked up.
    """
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in STAFF_BLUEPRINTS and not rule.rule.startswith("/staff/"):
            continue  # a staff area added later is covered by its URL even before it is listed here
        url = rule.rule
        for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule):
            value = ids.get(name, 1 if converter == "int" else "x")
            url = re.sub(rf"<[^>]*\b{name}>", str(value), url)
        routes.append((rule.endpoint, url, {"GET", "POST"} & set(rule.methods)))
    return routes


def test_anonymous_visitors_are_sent_to_sign_in_from_every_staff_page(app, client, session, demo_ids):
    before = row_counts(session)
    routes = staff_urls(app, demo_ids)
    assert {endpoint for endpoint, _, _ in routes} >= {
        "browse.home", "browse.consultations", "browse.response", "browse.recommendation", "history.show",
        "admin.home", "admin.users", "admin.edit_user", "admin.frameworks"}
    for endpoint, url, methods in routes:
        for method in methods:
            response = client.open(url, method=method, data={"name": "x"} if method == "POST" else None)
            assert response.status_code == 302, (endpoint, method, url)
            location = urlsplit(response.location)
            assert location.path == "/sign-in", (endpoint, method)
            assert parse_qs(location.query)["next"] == [url], (endpoint, method)
    session.expire_all()
    assert row_counts(session) == before  # no anonymous POST changed anything


def test_every_staff_url_is_under_staff(app):
    staff = [rule for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in STAFF_BLUEPRINTS]
    assert staff and all(rule.rule.startswith("/staff/") for rule in staff)


@pytest.mark.parametrize("asked_for", ["/staff/admin/users", "/staff/consultations/?status=open"])
def test_signing_in_returns_to_the_page_asked_for(client, users, asked_for):
    response = client.get(asked_for)
    assert response.status_code == 302
    signed_in = client.post(response.location, data={"email": "admin@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.location == asked_for
    assert client.get(asked_for).status_code == 200


@pytest.mark.parametrize("next_url", EVIL_NEXT)
def test_sign_in_never_sends_people_to_another_site(client, users, next_url):
    response = sign_in(client, query_string={"next": next_url})
    assert response.status_code == 302 and response.location == STAFF_HOME
    assert signed_in_user(client) == users["admin"]


def test_without_next_sign_in_goes_to_the_staff_home(client, users):
    assert sign_in(client).location == STAFF_HOME


@pytest.mark.parametrize("email, password", [
    ("admin@example.org", "not the right password"),
    ("nobody@example.org", PASSWORD),
    ("", ""),
])
def test_a_wrong_email_or_password_signs_nobody_in(client, users, email, password):
    response = sign_in(client, email, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and 'class="govuk-error-summary"' in html
    assert password not in html or not password
    assert signed_in_user(client) is None
    assert client.get("/staff/").status_code == 302


def test_signing_in_starts_a_fresh_session(client, users):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client)
    with client.session_transaction() as session:
        assert "planted" not in session and session["user_id"] == users["admin"]


def test_sign_out_clears_the_session(client, users):
    sign_in(client)
    assert client.get("/staff/").status_code == 200
    assert client.get("/sign-out").status_code == 405  # a link or an image cannot sign anyone out
    response = client.post("/sign-out")
    assert response.status_code == 302 and response.location == "/sign-in"
    with client.session_transaction() as session:
        assert "user_id" not in session
    assert client.get("/staff/").status_code == 302
    assert "You have signed out." in client.get("/sign-in").get_data(as_text=True)


def test_a_deactivated_user_cannot_sign_in(client, users, session):
    session.get(User, users["policy"]).active = False
    session.commit()
    response = sign_in(client, "policy@example.org")
    assert response.status_code == 400 and "The email address or password is not right" in response.get_data(as_text=True)
    assert signed_in_user(client) is None


def test_a_signed_in_user_who_is_deactivated_is_signed_out_on_the_next_request(client, users, session):
    sign_in(client, "policy@example.org")
    assert client.get("/staff/").status_code == 200
    session.get(User, users["policy"]).active = False
    session.commit()
    response = client.get("/staff/consultations/")
    assert response.status_code == 302 and response.location.startswith("/sign-in?next=")
    assert client.post("/staff/admin/users/new", data={}).status_code == 302


def test_a_password_reset_ends_the_users_other_sessions(app, client, users, session):
    from tracker.users import set_password

    sign_in(client, "policy@example.org")
    other_device = app.test_client()
    sign_in(other_device, "policy@example.org")
    assert other_device.get("/staff/").status_code == 200
    set_password(session, session.get(User, users["policy"]), "a brand new password")
    session.commit()
    for signed_in in (client, other_device):
        response = signed_in.get("/staff/consultations/")
        assert response.status_code == 302 and response.location.startswith("/sign-in?next=")
        assert signed_in_user(signed_in) is None
    assert sign_in(client, "policy@example.org", "a brand new password").status_code == 302
    assert client.get("/staff/").status_code == 200


def test_an_admin_resetting_their_own_password_stays_signed_in(app, client, users):
    sign_in(client)
    elsewhere = app.test_client()
    sign_in(elsewhere)
    response = client.post(f"/staff/admin/users/{users['admin']}/password", data={
        "reset-password": "a brand new password", "reset-confirm_password": "a brand new password"})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert elsewhere.get("/staff/").status_code == 302


# --- apps built with other settings ------------------------------------------------------


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """Build the app as conftest's ``app`` fixture does, with other settings (one app per test)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for name in ("TRACKER_DEVELOPMENT", "TRACKER_TESTING", "TRACKER_WTF_CSRF_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    made = []

    def _make(**config):
        assert not made, "one app per test: they share the test database"
        app = create_app({
            "SECRET_KEY": "test",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
            **config,
        })
        with app.app_context():
            db.drop_all()
            db.create_all()
            create_user(db.session, "admin@example.org", "admin", PASSWORD, "Admin")
            db.session.commit()
        made.append(app)
        return app

    yield _make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


NEW_USER = {"email": "new@example.org", "name": "New Person", "role": "viewer",
            "password": "a long new password", "confirm_password": "a long new password"}


def test_csrf_is_enforced_on_sign_in_and_on_staff_changes(make_app):
    app = make_app(TESTING=True, WTF_CSRF_ENABLED=True)
    client = app.test_client()

    # Sign-in without a token: refused, nobody signed in.
    response = sign_in(client)
    assert response.status_code == 400 and "The form has expired" in response.get_data(as_text=True)
    assert signed_in_user(client) is None
    # A token from someone else's session does not work either.
    other = app.test_client()
    response = sign_in(client, data={"csrf_token": csrf_token(other.get("/sign-in").get_data(as_text=True))})
    assert response.status_code == 400 and signed_in_user(client) is None
    # With the token from the form, it works.
    response = sign_in(client, data={"csrf_token": csrf_token(client.get("/sign-in").get_data(as_text=True))})
    assert response.status_code == 302 and signed_in_user(client) is not None

    # A staff change without a token: refused, nothing written.
    response = client.post("/staff/admin/users/new", data=NEW_USER)
    assert response.status_code == 400 and "The form has expired" in response.get_data(as_text=True)
    assert user_count(app) == 1
    token = csrf_token(client.get("/staff/admin/users/new").get_data(as_text=True))
    response = client.post("/staff/admin/users/new", data={**NEW_USER, "csrf_token": token})
    assert response.status_code == 302 and user_count(app) == 2

    # A form with a prefix (the password reset) carries its token too.
    page = client.get("/staff/admin/users/1/edit").get_data(as_text=True)
    assert 'name="reset-csrf_token"' in page
    assert client.post("/staff/admin/users/1/password", data={
        "reset-password": "a newer long password", "reset-confirm_password": "a newer long password"}).status_code == 400

    # Signing out needs the token as well, so another site cannot sign staff out.
    assert client.post("/sign-out").status_code == 400 and signed_in_user(client) is not None
    token = csrf_token(client.get("/staff/").get_data(as_text=True))
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert signed_in_user(client) is None


@pytest.mark.parametrize("config, environment, secure", [
    ({"TESTING": False}, {}, True),
    ({"TESTING": False, "DEVELOPMENT": True}, {}, False),
    ({"TESTING": False}, {"TRACKER_DEVELOPMENT": "1"}, False),  # what `make run` sets
    ({"TESTING": True}, {}, False),
])
def test_session_cookie_flags(make_app, monkeypatch, config, environment, secure):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = make_app(WTF_CSRF_ENABLED=False, **config)
    response = sign_in(app.test_client())
    assert response.status_code == 302
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert ("secure" in attributes) is secure


# --- passwords and the users command -----------------------------------------------------


def test_users_command_creates_users_with_hashed_passwords(runner, session):
    result = runner.invoke(args=["users", "create", "Pat.Smith@Inspectorate.example", "--role", "policy",
                                 "--name", "Pat Smith", "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    assert "Created pat.smith@inspectorate.example with the role policy." in result.output
    user = session.scalars(select(User)).one()
    assert (user.email, user.name, user.role, user.active) == ("pat.smith@inspectorate.example", "Pat Smith", "policy", True)
    assert "a long enough password" not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:sha256:") and check_password_hash(user.password_hash, "a long enough password")
    # Without --password it asks twice, without echoing.
    result = runner.invoke(args=["users", "create", "sam@example.org", "--role", "viewer"],
                           input="another long password\nanother long password\n")
    assert result.exit_code == 0, result.output
    assert "another long password" not in result.output


@pytest.mark.parametrize("arguments, message", [
    (["new@example.org", "--role", "boss", "--password", "a long enough password"], "Invalid value for '--role'"),
    (["new@example.org", "--role", "viewer", "--password", "short"],
     "The password must be at least 12 characters long."),
    (["Admin@Example.org", "--role", "viewer", "--password", "a long enough password"],
     "A user with the email admin@example.org already exists."),
    (["not-an-email", "--role", "viewer", "--password", "a long enough password"], "is not an email address"),
])
def test_users_command_refusals(runner, users, session, arguments, message):
    result = runner.invoke(args=["users", "create", *arguments])
    assert result.exit_code != 0 and message in result.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(User)) == len(users)


def test_users_command_lists_users_and_roles(runner, users, session):
    session.get(User, users["viewer"]).active = False
    session.commit()
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "admin@example.org  admin" in lines and "policy@example.org  policy" in lines
    assert "viewer@example.org  viewer  (deactivated)" in lines


def test_user_history_shows_role_changes_but_never_a_password_hash(client, sign_in, users, session):
    admin = sign_in("admin")
    page = admin.get(f"/staff/admin/users/{users['policy']}/edit").get_data(as_text=True)
    seen = re.search(r'name="seen_event" type="hidden" value="(\d+)"', page).group(1)
    assert admin.post(f"/staff/admin/users/{users['policy']}/edit", data={
        "name": "Policy", "role": "approver", "active": "yes", "seen_event": seen}, follow_redirects=True).status_code == 200
    assert admin.post(f"/staff/admin/users/{users['policy']}/password", data={
        "reset-password": "a fresh long password", "reset-confirm_password": "a fresh long password"},
        follow_redirects=True).status_code == 200

    html = admin.get(f"/staff/history/user/{users['policy']}").get_data(as_text=True)
    assert re.search(r"Role</td>\s*<td[^>]*>policy</td>\s*<td[^>]*>approver</td>", html)
    session.expire_all()
    for user in session.scalars(select(User)):
        assert user.password_hash not in html
    assert "pbkdf2" not in html and "password" not in html.lower().replace("sign out", "")
    # Nor does the audit log itself hold one.
    assert not session.scalars(select(AuditEvent).where(
        (AuditEvent.field == "password_hash") | AuditEvent.new.contains("pbkdf2") | AuditEvent.old.contains("pbkdf2"))).all()
