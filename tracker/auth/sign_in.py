"""Signing in: the throttle first, then the password, then a server-side session.

The settings (session timeouts, throttle limits) are read once when the app starts and kept in
``app.extensions``; the rules themselves are in ``consultations.user_sessions`` and ``throttle``.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
    or a lock saying how long to wait, or neither (wrong email or password)."""

    user: User | None = None
    record: UserSession | None = None
    token: str | None = None
    lock: throttle.Lock | None = None


def attempt_sign_in(session: Session, email: str, password: str, *, address: str | None, user_agent: str,
                    rules: throttle.Rules) -> Attempt:
    """Check the throttle first (a locked account or address is refused whatever the password),
    then the password; record a failure (and the audit event), or start a session."""
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
    throttle.clear_account(session, account)
    record, token = sessions.start(session, user, address=address or "", user_agent=user_agent)
    return Attempt(user=user, record=record, token=token)


