"""Signing in: the throttle first, then the password, then a server-side session.

The settings (session timeouts, throttle limits) are read once when the app starts and kept in
``app.extensions``; the rules themselves are in ``consultations.user_sessions`` and ``throttle``.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultations import two_factor
from consultations import user_sessions as sessions
from consultations.users import authenticate
from consultations.workflow import User, UserSession
from tracker.auth import throttle


def init_app(app) -> None:
    """Check the session and throttling settings when the app starts, not at the first sign-in."""
    try:
        app.extensions["sign_in"] = (sessions.Limits.from_config(app.config), throttle.Rules.from_config(app.config))
    except (TypeError, ValueError) as error:
        raise RuntimeError(
            "SESSION_IDLE_MINUTES, SESSION_LIFETIME_HOURS, SIGN_IN_LOCKOUT_MINUTES, SIGN_IN_ACCOUNT_LIMIT and "
            f"SIGN_IN_ADDRESS_LIMIT must be numbers (limits: whole numbers): {error}") from None


def session_limits() -> sessions.Limits:
    return current_app.extensions["sign_in"][0]


def throttle_rules() -> throttle.Rules:
    return current_app.extensions["sign_in"][1]


@dataclass
class Attempt:
    """The outcome of a sign-in: a user and their new session (and its token for the cookie),
    or a lock saying how long to wait, or neither (wrong email or password). After the right
    password ``second_step`` says what must come before a session: ``CODE`` (a two-factor code)
    or ``SET_UP`` (an admin who must use two-factor sign-in and has not set it up)."""

    user: User | None = None
    record: UserSession | None = None
    token: str | None = None
    lock: throttle.Lock | None = None
    second_step: str | None = None


CODE, SET_UP = "code", "set-up"


def admins_need_two_factor() -> bool:
    return bool(current_app.config["TWO_FACTOR_REQUIRED_FOR_ADMINS"])


def second_step_for(session: Session, user: User, admins_required: bool) -> str | None:
    if two_factor.is_enabled(session, user.id):
        return CODE
    if two_factor.required_for(user, admins_required=admins_required):
        return SET_UP
    return None


def finish_sign_in(session: Session, user: User, *, address: str | None, user_agent: str) -> Attempt:
    """Every step passed: the account's failures stop counting and a session starts."""
    throttle.clear_account(session, throttle.account_key(user.email))
    record, token = sessions.start(session, user, address=address or "", user_agent=user_agent)
    return Attempt(user=user, record=record, token=token)


def attempt_sign_in(session: Session, email: str, password: str, *, address: str | None, user_agent: str,
                    rules: throttle.Rules, admins_required: bool = False) -> Attempt:
    """Check the throttle first (a locked account or address is refused whatever the password),
    then the password; record a failure (and the audit event), or start a session, or, when the
    user has two-factor sign-in (or must set it up), say so without starting one. The account's
    failures are cleared only when a session starts, so a right password never resets the count
    of wrong codes."""
    account, client = throttle.account_key(email), throttle.address_key(address)
    lock = throttle.lock_for(session, account, client, rules)
    if lock is not None:
        return Attempt(lock=lock)
    user = authenticate(session, email, password)
    if user is None:
        known = session.scalar(select(User.id).where(func.lower(User.email) == account))
        throttle.record_failure(session, account, client)
        sessions.record_event(session, known, "sign-in failed", sessions.describe_client(address or "", user_agent))
        lock = throttle.lock_for(session, account, client, rules)
        if lock is not None and lock.scope == throttle.ACCOUNT and known:
            sessions.record_event(session, known, "account locked", f"until {lock.until:%H:%M} UTC")
        return Attempt(lock=lock)
    step = second_step_for(session, user, admins_required)
    if step is not None:
        return Attempt(user=user, second_step=step)
    return finish_sign_in(session, user, address=address, user_agent=user_agent)


def attempt_code(session: Session, user: User, code: str, *, address: str | None, user_agent: str,
                 rules: throttle.Rules) -> Attempt:
    """The second step: throttled as the password is (the same account and address counts, so
    wrong codes and wrong passwords add up), then the code; a failure is recorded and audited."""
    account, client = throttle.account_key(user.email), throttle.address_key(address)
    lock = throttle.lock_for(session, account, client, rules)
    if lock is not None:
        return Attempt(lock=lock)
    if two_factor.verify(session, user, code) is None:
        throttle.record_failure(session, account, client)
        sessions.record_event(session, user.id, "two-factor code wrong", sessions.describe_client(address or "", user_agent))
        lock = throttle.lock_for(session, account, client, rules)
        if lock is not None and lock.scope == throttle.ACCOUNT:
            sessions.record_event(session, user.id, "account locked", f"until {lock.until:%H:%M} UTC")
        return Attempt(lock=lock)
    return finish_sign_in(session, user, address=address, user_agent=user_agent)


