"""Two-factor sign-in: optional per user, set up from a QR code or the typed secret, a second
step after the password (throttled with it, audited), single-use codes and recovery codes, an
admin reset, and the installation's rule that admins must use it."""
from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from conftest import PASSWORD
from sqlalchemy import func, select

from consultations import two_factor
from consultations.two_factor import UserTwoFactor
from consultations.workflow import AuditEvent, FailedSignIn
from test_auth import signed_in_user

HOME = "/staff/my-work"


def password_step(client, role: str, **kwargs):
    return client.post("/sign-in", data={"email": f"{role}@example.org", "password": PASSWORD}, **kwargs)


def secret_of(session, user_id: int) -> str:
    session.expire_all()
    return session.scalar(select(UserTwoFactor.secret).where(UserTwoFactor.user_id == user_id))


def events(session, user_id: int) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent.field).where(AuditEvent.entity_type == "user",
                                                               AuditEvent.entity_id == user_id)
                                .order_by(AuditEvent.id)))


def next_code(secret: str) -> str:
    """The code of the next 30-second step (accepted: clocks drift), unused so far."""
    return pyotp.TOTP(secret).at(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30))


def set_up(client, session, user_id: int) -> tuple[str, list[str]]:
    """Set up two-factor sign-in as the signed-in user; the secret and the recovery codes."""
    page = client.get("/staff/two-factor/set-up")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg role="img" aria-label="QR code for your authenticator app"' in html
    secret = secret_of(session, user_id)
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in html  # the key to type instead
    done = client.post("/staff/two-factor/set-up", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.get_data(as_text=True))
    assert len(codes) == two_factor.RECOVERY_CODES
    return secret, codes


def test_a_user_sets_it_up_and_then_needs_a_code_after_the_password(client, sign_in, users, session):
    sign_in("policy")
    assert "Off" in client.get("/staff/two-factor").get_data(as_text=True)
    # A wrong code while setting up is explained and turns nothing on.
    client.get("/staff/two-factor/set-up")
    wrong = client.post("/staff/two-factor/set-up", data={"code": "000000"})
    assert wrong.status_code == 400 and "The code is not right" in wrong.get_data(as_text=True)
    assert not two_factor.is_enabled(session, users["policy"])
    secret, codes = set_up(client, session, users["policy"])
    assert two_factor.is_enabled(session, users["policy"])
    assert "two-factor set up" in events(session, users["policy"])
    assert secret not in " ".join(str(e) for e in session.scalars(select(AuditEvent.new)))  # never logged
    client.post("/sign-out")

    first = password_step(client, "policy")
    assert first.status_code == 302 and first.headers["Location"] == "/sign-in/two-factor"
    assert signed_in_user(client) is None  # the password alone signs nobody in
    assert client.get(HOME).status_code == 302
    wrong = client.post("/sign-in/two-factor", data={"code": "123456"})
    assert wrong.status_code == 400 and "The code is not right" in wrong.get_data(as_text=True)
    assert signed_in_user(client) is None
    assert "two-factor code wrong" in events(session, users["policy"])
    assert session.scalar(select(func.count()).select_from(FailedSignIn)) == 1
    code = pyotp.TOTP(secret).now()
    assert client.post("/sign-in/two-factor", data={"code": code}).status_code == 400  # used to set it up
    code = next_code(secret)
    right = client.post("/sign-in/two-factor", data={"code": code})
    assert right.status_code == 302 and right.headers["Location"] == HOME
    assert signed_in_user(client) == users["policy"]
    assert session.scalar(select(func.count()).select_from(FailedSignIn).where(FailedSignIn.cleared_at.is_(None))) == 0

    # The same code cannot be used twice.
    client.post("/sign-out")
    password_step(client, "policy")
    again = client.post("/sign-in/two-factor", data={"code": code})
    assert again.status_code == 400 and signed_in_user(client) is None

    # A recovery code works once, written with or without its dash and in capitals.
    assert client.post("/sign-in/two-factor", data={"code": codes[0].upper().replace("-", " ")}).status_code == 302
    assert signed_in_user(client) == users["policy"]
    assert "recovery code used" in events(session, users["policy"])
    assert two_factor.recovery_codes_left(session, users["policy"]) == two_factor.RECOVERY_CODES - 1
    client.post("/sign-out")
    password_step(client, "policy")
    assert client.post("/sign-in/two-factor", data={"code": codes[0]}).status_code == 400


def test_the_code_step_keeps_where_the_user_was_going(client, sign_in, users, session):
    sign_in("policy")
    secret, _ = set_up(client, session, users["policy"])
    client.post("/sign-out")
    client.post("/sign-in?next=/staff/triage/", data={"email": "policy@example.org", "password": PASSWORD})
    # A later step than the one used while setting up.
    later = next_code(secret)
    signed = client.post("/sign-in/two-factor", data={"code": later})
    assert signed.status_code == 302 and signed.headers["Location"] == "/staff/triage/"


def test_wrong_codes_are_throttled_with_wrong_passwords(client, sign_in, users, session):
    sign_in("policy")
    secret, _ = set_up(client, session, users["policy"])
    client.post("/sign-out")
    password_step(client, "policy")
    for _ in range(4):
        assert client.post("/sign-in/two-factor", data={"code": "000000"}).status_code == 400
    # The right password again does not reset the count of wrong codes.
    password_step(client, "policy")
    locked = client.post("/sign-in/two-factor", data={"code": "000000"})
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    refused = client.post("/sign-in/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 429 and signed_in_user(client) is None
    assert "too many attempts" in refused.get_data(as_text=True)
    assert "account locked" in events(session, users["policy"])


def test_the_code_step_needs_a_recent_password(client, sign_in, users, session):
    assert client.get("/sign-in/two-factor").status_code == 302  # nobody passed the password step
    sign_in("policy")
    set_up(client, session, users["policy"])
    client.post("/sign-out")
    password_step(client, "policy")
    with client.session_transaction() as cookie:
        pending = dict(cookie["two_factor_pending"])
        pending["at"] = (dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=6)).isoformat()
        cookie["two_factor_pending"] = pending
    stale = client.get("/sign-in/two-factor")
    assert stale.status_code == 302 and stale.headers["Location"] == "/sign-in"


def test_users_replace_recovery_codes_and_turn_it_off_with_a_code(client, sign_in, users, session):
    sign_in("policy")
    secret, codes = set_up(client, session, users["policy"])
    page = client.post("/staff/two-factor/recovery-codes")
    new_codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page.get_data(as_text=True))
    assert len(new_codes) == two_factor.RECOVERY_CODES and not set(new_codes) & set(codes)
    wrong = client.post("/staff/two-factor/turn-off", data={"off-code": "000000"})
    assert wrong.status_code == 400 and two_factor.is_enabled(session, users["policy"])
    later = next_code(secret)
    off = client.post("/staff/two-factor/turn-off", data={"off-code": later})
    assert off.status_code == 302
    assert not two_factor.is_enabled(session, users["policy"])
    assert "two-factor turned off" in events(session, users["policy"])
    client.post("/sign-out")
    assert password_step(client, "policy").headers["Location"] == HOME


def test_an_admin_resets_it_for_someone_who_lost_their_phone(app, users, session):
    policy, admin = app.test_client(), app.test_client()
    password_step(policy, "policy")
    set_up(policy, session, users["policy"])
    password_step(admin, "admin")
    page = admin.get(f"/staff/admin/users/{users['policy']}/edit").get_data(as_text=True)
    assert "Policy uses two-factor sign-in" in page
    assert admin.post(f"/staff/admin/users/{users['policy']}/two-factor/reset").status_code == 302
    assert not two_factor.is_enabled(session, users["policy"])
    assert signed_in_user(policy) is None  # their sessions ended with it
    session.expire_all()
    reset = session.scalars(select(AuditEvent).where(AuditEvent.entity_id == users["policy"],
                                                     AuditEvent.field == "two-factor reset")).one()
    assert reset.user_id == users["admin"]
    fresh = app.test_client()
    assert password_step(fresh, "policy").headers["Location"] == HOME
    # Only admins reset it.
    assert policy.post(f"/staff/admin/users/{users['admin']}/two-factor/reset").status_code in (302, 403)
    password_step(policy, "policy")
    assert policy.post(f"/staff/admin/users/{users['admin']}/two-factor/reset").status_code == 403


@pytest.mark.app_config(TWO_FACTOR_REQUIRED_FOR_ADMINS=True)
def test_admins_must_set_it_up_when_the_installation_requires_it(client, users, session):
    first = password_step(client, "admin")
    assert first.status_code == 302 and first.headers["Location"] == "/sign-in/two-factor/set-up"
    assert signed_in_user(client) is None
    page = client.get("/sign-in/two-factor/set-up")
    assert "Admins must use two-factor sign-in" in page.get_data(as_text=True)
    wrong = client.post("/sign-in/two-factor/set-up", data={"code": "000000"})
    assert wrong.status_code == 400 and signed_in_user(client) is None
    secret = secret_of(session, users["admin"])
    done = client.post("/sign-in/two-factor/set-up", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "Your recovery codes" in done.get_data(as_text=True)
    assert signed_in_user(client) == users["admin"]
    # An admin who must use it cannot turn it off themselves.
    assert "cannot be turned off" in client.get("/staff/two-factor").get_data(as_text=True)
    later = next_code(secret)
    refused = client.post("/staff/two-factor/turn-off", data={"off-code": later})
    assert refused.status_code == 400 and "Admins must use two-factor sign-in" in refused.get_data(as_text=True)
    assert two_factor.is_enabled(session, users["admin"])
    # Other roles still sign in with their password alone.
    other = client.application.test_client()
    assert password_step(other, "policy").headers["Location"] == HOME


def test_codes_are_checked_for_the_right_time_only():
    secret = pyotp.random_base32()
    now = dt.datetime(2026, 12, 2, 12, 0, 0)
    totp = pyotp.TOTP(secret)
    at = now.replace(tzinfo=dt.timezone.utc)
    assert two_factor._matching_step(secret, totp.at(at), now) is not None
    assert two_factor._matching_step(secret, totp.at(at - dt.timedelta(seconds=30)), now) is not None
    assert two_factor._matching_step(secret, totp.at(at - dt.timedelta(minutes=5)), now) is None
    assert two_factor._matching_step(secret, "abcdef", now) is None
