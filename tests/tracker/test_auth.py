"""Security of the whole app: every staff page needs a signed-in user, sign-in only returns to
pages on this site, CSRF is enforced, session cookies carry the right flags, passwords are only
ever stored hashed, and neither pages nor the audit log show a password hash."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import PASSWORD, count_statements, cpu_time, database_url
from sqlalchemy import func, select, update
from test_ingest import row_counts
from werkzeug.security import check_password_hash

from consultations.models import Framework, FrameworkItem, Link, Question, Recommendation, Respondent, Response
from tracker import create_app
from consultations.models import utcnow
from consultations import user_sessions as sessions
from tracker.auth import throttle
from tracker.auth.views import SESSION_TOKEN
from consultations.users import create_user
from tracker.db import db
from consultations.workflow import Action, ActionUpdate, AuditEvent, Decision, FailedSignIn, User, UserSession
from consultations.user_sessions import hash_token

STAFF_BLUEPRINTS = {"browse", "history", "triage", "mapping", "decisions", "implementation", "admin", "account"}
EVIL_NEXT = ["//evil.example", "https://evil.example/", "/\\evil", "javascript:alert(1)", "/\t/evil.example",
             "http:evil.example", "https:/evil.example"]
STAFF_HOME = "/staff/my-work"  # My work: what waits on the user (issue 14)


def signed_in_user(client) -> int | None:
    """The user whom the client's cookie signs in, as the server sees it (a live session's user)."""
    with client.session_transaction() as cookie:
        token = cookie.get(SESSION_TOKEN)
    if not token:
        return None
    with client.application.app_context():
        return db.session.scalar(select(UserSession.user_id).where(
            UserSession.token_hash == hash_token(token), UserSession.ended_at.is_(None)))


def sign_in(client, email: str = "admin@example.org", password: str = PASSWORD, **kwargs):
    return client.post("/sign-in", data={"email": email, "password": password, **kwargs.pop("data", {})}, **kwargs)


def csrf_token(html: str) -> str:
    tag = re.search(r'<input[^>]*name="(?:[\w-]+-)?csrf_token"[^>]*>', html)
    assert tag, "no CSRF token in the form"
    return re.search(r'value="([^"]+)"', tag.group(0)).group(1)


# --- every staff page needs a signed-in user ---------------------------------------------


@pytest.fixture
def demo_ids(demo_app, users, session) -> dict:
    """Real ids from the demo data for every kind of object a staff URL can name."""
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
            value = ids.get(name, 1 if converter in ("int", "id") else "x")
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
        assert "planted" not in session
    assert signed_in_user(client) == users["admin"]


def test_sign_out_clears_the_session(client, users):
    sign_in(client)
    assert client.get("/staff/").status_code == 200
    assert client.get("/sign-out").status_code == 405  # a link or an image cannot sign anyone out
    response = client.post("/sign-out")
    assert response.status_code == 302 and response.location == "/sign-in"
    assert signed_in_user(client) is None
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
    from consultations.users import set_password

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


# --- server-side sessions ------------------------------------------------------------------


def session_row(session, user_id: int) -> UserSession:
    session.expire_all()
    return session.scalars(select(UserSession).where(UserSession.user_id == user_id)
                           .order_by(UserSession.id.desc())).first()


def age_session(session, user_id: int, *, idle=dt.timedelta(0), age=dt.timedelta(0)) -> None:
    """Make the user's newest session look unused for ``idle`` and started ``age`` ago."""
    record = session_row(session, user_id)
    now = utcnow()
    record.last_seen_at, record.created_at = now - idle, now - max(age, idle)
    session.commit()


def test_a_cookie_saved_before_signing_out_no_longer_signs_in(app, client, users):
    sign_in(client)
    saved = client.get_cookie("session").value
    assert client.post("/sign-out").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", saved)
    response = replay.get("/staff/")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
    assert replay.post("/staff/admin/users/new", data=NEW_USER).status_code == 302


def test_signing_in_and_out_and_failing_are_in_the_audit_log(client, users, session):
    sign_in(client, "policy@example.org", "wrong password here", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    sign_in(client, "nobody@example.org", "wrong password here", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    sign_in(client, "policy@example.org", headers={"User-Agent": "Firefox/130"})
    client.post("/sign-out")
    events = session.scalars(select(AuditEvent).where(AuditEvent.field.in_(sessions.SIGN_IN_EVENTS))
                             .order_by(AuditEvent.id)).all()
    assert [(e.entity_id, e.field, e.user_id) for e in events] == [
        (users["policy"], "sign-in failed", None), (0, "sign-in failed", None),
        (users["policy"], "signed in", users["policy"]), (users["policy"], "signed out", users["policy"])]
    assert events[0].new.startswith("from 192.0.2.7 (") and events[2].new == "from 127.0.0.1 (Firefox/130)"
    assert "nobody@example.org" not in str([e.new for e in events])  # what was typed for an unknown account


def test_a_session_unused_for_the_idle_time_ends_and_the_sign_in_page_says_why(client, users, session):
    sign_in(client)
    age_session(session, users["admin"], idle=dt.timedelta(minutes=31))
    response = client.get("/staff/consultations/")
    assert response.status_code == 302 and response.location.startswith("/sign-in?next=")
    html = " ".join(client.get(response.location).get_data(as_text=True).split())
    assert "For your security, we signed you out" in html
    assert "you had not used the service for 30 minutes" in html
    assert "For your security" not in client.get("/sign-in").get_data(as_text=True)  # said once
    assert session_row(session, users["admin"]).end_reason == "timed out"
    assert signed_in_user(client) is None


def test_a_session_ends_after_its_absolute_lifetime_however_busy(client, users, session):
    sign_in(client)
    age_session(session, users["admin"], idle=dt.timedelta(minutes=5), age=dt.timedelta(hours=12, minutes=1))
    assert client.get("/staff/").status_code == 302
    assert "you had been signed in for 12 hours" in " ".join(client.get("/sign-in").get_data(as_text=True).split())
    assert session_row(session, users["admin"]).end_reason == "expired"


def test_session_limits_are_settings(make_app):
    app = make_app(TESTING=True, WTF_CSRF_ENABLED=False, SESSION_IDLE_MINUTES=5, SESSION_LIFETIME_HOURS=1)
    limits = sessions.Limits.from_config(app.config)
    later = lambda minutes: utcnow() + dt.timedelta(minutes=minutes)  # noqa: E731
    with app.app_context():
        _, token = sessions.start(db.session, db.session.get(User, 1), address="192.0.2.1", user_agent="")
        db.session.commit()
        assert sessions.find(db.session, token, limits, now=later(4)).record is not None  # last seen: now + 4
        assert sessions.find(db.session, token, limits, now=later(10)).timed_out == sessions.IDLE
        _, token = sessions.start(db.session, db.session.get(User, 1), address="192.0.2.1", user_agent="")
        for minutes in range(3, 58, 3):
            assert sessions.find(db.session, token, limits, now=later(minutes)).record is not None
        assert sessions.find(db.session, token, limits, now=later(61)).timed_out == sessions.EXPIRED
    assert (limits.idle_text, limits.lifetime_text) == ("5 minutes", "1 hour")
    assert sessions.duration_text(dt.timedelta(minutes=90)) == "1 hour 30 minutes"


@pytest.mark.parametrize("setting", ["SESSION_IDLE_MINUTES", "SIGN_IN_ACCOUNT_LIMIT", "TRUSTED_PROXIES", "PUBLIC_URL"])
def test_a_bad_setting_stops_the_app_from_starting_with_its_name(make_app, setting):
    with pytest.raises(RuntimeError, match=setting):
        make_app(TESTING=True, **{setting: "ten"})


def test_last_seen_is_written_at_most_once_a_minute(app, client, users, session):
    sign_in(client)
    with count_statements(app) as statements:
        for _ in range(3):
            assert client.get("/staff/").status_code == 200
    assert not [s for s in statements if s.startswith("UPDATE")]
    age_session(session, users["admin"], idle=dt.timedelta(minutes=2))
    with count_statements(app) as statements:
        for _ in range(3):
            assert client.get("/staff/").status_code == 200
    assert len([s for s in statements if s.startswith("UPDATE user_session")]) == 1
    assert utcnow() - session_row(session, users["admin"]).last_seen_at < dt.timedelta(minutes=1)


def test_deactivating_a_user_ends_their_sessions(client, users, session):
    from consultations.users import update_user

    sign_in(client, "policy@example.org")
    admin = session.get(User, users["admin"])
    update_user(session, session.get(User, users["policy"]), name="Policy", role="policy", active=False,
                acting_user=admin)
    session.commit()
    assert session_row(session, users["policy"]).end_reason == "deactivated"
    assert client.get("/staff/").status_code == 302


def test_users_see_their_sessions_and_sign_out_of_the_others(app, client, users):
    sign_in(client, "policy@example.org", headers={"User-Agent": "Laptop browser"})
    phone = app.test_client()
    sign_in(phone, "policy@example.org", headers={"User-Agent": "Phone browser"})
    page = client.get("/staff/sessions").get_data(as_text=True)
    assert "2 sessions" in page and "Laptop browser" in page and "Phone browser" in page
    assert re.search(r"Laptop browser <strong[^>]*>This session</strong>", page)
    assert client.post("/staff/sessions/end").status_code == 302
    assert phone.get("/staff/").status_code == 302  # signed out there
    assert client.get("/staff/").status_code == 200  # but not here
    assert "1 session" in client.get("/staff/sessions").get_data(as_text=True)


def test_one_cannot_end_another_users_session_from_ones_own_page(app, client, users, session):
    other = app.test_client()
    sign_in(other, "viewer@example.org")
    victim = session_row(session, users["viewer"]).id
    sign_in(client, "policy@example.org")
    client.post("/staff/sessions/end", data={"session_id": victim})
    assert other.get("/staff/").status_code == 200


def test_an_admin_signs_a_user_out_everywhere(app, client, users, session):
    policy = app.test_client()
    sign_in(policy, "policy@example.org")
    sign_in(client)
    page = client.get(f"/staff/admin/users/{users['policy']}/edit").get_data(as_text=True)
    assert "Policy is signed in 1 time" in page
    response = client.post(f"/staff/admin/users/{users['policy']}/sessions/end", follow_redirects=True)
    assert "has been signed out of 1 session." in response.get_data(as_text=True)
    assert policy.get("/staff/").status_code == 302
    assert session_row(session, users["policy"]).end_reason == "ended by an admin"
    assert sign_in(app.test_client(), "viewer@example.org").status_code == 302
    viewer_client = app.test_client()
    sign_in(viewer_client, "viewer@example.org")
    assert viewer_client.post(f"/staff/admin/users/{users['policy']}/sessions/end").status_code == 403


def test_signing_in_does_not_count_as_someone_editing_the_user(app, client, users):
    sign_in(client)
    page = client.get(f"/staff/admin/users/{users['policy']}/edit").get_data(as_text=True)
    seen = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    sign_in(app.test_client(), "policy@example.org")  # recorded on the user meanwhile
    response = client.post(f"/staff/admin/users/{users['policy']}/edit", data={
        "name": "Policy Person", "role": "policy", "active": "yes", "version": seen})
    assert response.status_code == 302


# --- sign-in throttling ---------------------------------------------------------------------


def fail(client, email="policy@example.org", address="192.0.2.10", times=1):
    for _ in range(times):
        response = sign_in(client, email, "not the right password", environ_base={"REMOTE_ADDR": address})
    return response


def visible(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_wrong_passwords_lock_the_account_and_then_even_the_right_one_is_refused(client, users, session):
    assert [fail(client).status_code for _ in range(4)] == [400] * 4
    response = fail(client)  # the fifth
    assert response.status_code == 429
    assert 890 <= int(response.headers["Retry-After"]) <= 900
    assert "There have been too many attempts to sign in to this account. Wait 15 minutes" in visible(response)
    assert 'class="govuk-error-summary"' in response.get_data(as_text=True)
    right = sign_in(client, "policy@example.org", environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert right.status_code == 429 and signed_in_user(client) is None
    elsewhere = sign_in(client, "policy@example.org", environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert elsewhere.status_code == 429  # the account is locked, wherever the attempt comes from
    assert sign_in(client, "viewer@example.org", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 302
    fields = session.scalars(select(AuditEvent.field).where(AuditEvent.entity_id == users["policy"])).all()
    assert fields.count("sign-in failed") == 5 and fields.count("account locked") == 1


def test_a_locked_account_unlocks_after_the_lockout_period(client, users, session):
    fail(client, times=5)
    session.execute(update(FailedSignIn).values(at=FailedSignIn.at - dt.timedelta(minutes=15, seconds=1)))
    session.commit()
    assert sign_in(client, "policy@example.org").status_code == 302


def test_an_admin_unlocks_an_account(app, client, users, session):
    fail(client, times=5)
    admin = app.test_client()
    sign_in(admin)
    page = admin.get(f"/staff/admin/users/{users['policy']}/edit").get_data(as_text=True)
    assert "This account is locked after too many failed attempts to sign in" in page
    response = admin.post(f"/staff/admin/users/{users['policy']}/unlock", follow_redirects=True)
    assert "has been unlocked" in response.get_data(as_text=True)
    assert "This account is locked" not in response.get_data(as_text=True)
    assert sign_in(client, "policy@example.org", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 302
    assert session.scalar(select(AuditEvent).where(AuditEvent.field == "account unlocked")).user_id == users["admin"]


def test_an_unknown_email_locks_the_same_way_so_a_lock_reveals_nothing(client, users):
    fail(client, "nobody@example.org", times=4)
    response = fail(client, "Nobody@Example.org ")
    assert response.status_code == 429
    assert "too many attempts to sign in to this account" in visible(response)


def test_too_many_failures_from_one_address_lock_that_address_only(client, users):
    for number in range(20):
        response = fail(client, f"guess{number}@example.org", address="2001:db8::1")
    assert response.status_code == 429
    assert "too many failed attempts to sign in from your network" in visible(response)
    # The same /64 counts as the same client; another address is not slowed down.
    assert sign_in(client, environ_base={"REMOTE_ADDR": "2001:db8::ffff"}).status_code == 429
    assert sign_in(client, environ_base={"REMOTE_ADDR": "2001:db8:1::1"}).status_code == 302


def test_only_failures_count_and_a_success_clears_the_accounts(client, users):
    for _ in range(30):
        assert sign_in(client, "policy@example.org").status_code == 302
    fail(client, times=4)
    assert sign_in(client, "policy@example.org", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 302
    assert fail(client, times=4).status_code == 400


def test_throttle_keys():
    assert throttle.address_key("2001:db8:0:0:aaaa::1") == "2001:db8::/64"
    assert throttle.address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert throttle.address_key(None) == throttle.address_key("garbage") == "unknown"
    assert throttle.account_key("  Pat@Example.ORG ") == "pat@example.org"


@pytest.mark.parametrize("proxies, counted", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_behind_a_trusted_proxy_the_forwarded_client_address_is_throttled(make_app, proxies, counted):
    app = make_app(TESTING=True, WTF_CSRF_ENABLED=False, TRUSTED_PROXIES=proxies)
    sign_in(app.test_client(), password="wrong password", headers={"X-Forwarded-For": "203.0.113.9"})
    with app.app_context():
        assert db.session.scalars(select(FailedSignIn.address)).all() == [counted]


def test_an_unknown_email_takes_as_long_as_a_wrong_password(make_app):
    app = make_app(TESTING=True, WTF_CSRF_ENABLED=False, PASSWORD_HASH_METHOD="pbkdf2:sha256:300000")
    client = app.test_client()

    def duration(email):  # the work done, in CPU time: a busy machine must not decide the test
        started = cpu_time()
        assert sign_in(client, email, "a wrong password").status_code == 400
        return cpu_time() - started

    duration("nobody@example.org")  # the first check makes the stand-in hash
    unknown, wrong = duration("nobody@example.org"), duration("admin@example.org")
    assert unknown > wrong / 2 and wrong > unknown / 2, (unknown, wrong)


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
    app = make_app(WTF_CSRF_ENABLED=False, PUBLIC_URL="https://consult.example.org", **config)
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
    seen = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert admin.post(f"/staff/admin/users/{users['policy']}/edit", data={
        "name": "Policy", "role": "approver", "active": "yes", "version": seen}, follow_redirects=True).status_code == 200
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
