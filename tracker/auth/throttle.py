"""Sign-in throttling: too many wrong passwords for one account, or from one client address,
and further attempts wait; during the wait even the right password does not sign in.

Each refused sign-in is a ``FailedSignIn`` row, so every web process (and every gunicorn
worker) sees the same count, and the embedded default needs no other server. Inserting a row per
failure never conflicts between processes; two attempts racing can each get past the check, so
at worst a limit is exceeded by the number of requests served at the same moment.

A key is locked while at least ``limit`` failures of the last ``period`` count, that is until
the oldest of those ``limit`` failures is ``period`` old. Attempts while locked are not
recorded (the password is not even checked), so a lock ends ``period`` after it began unless
new failures follow it. A successful sign-in and an admin unlocking the account clear the
account's failures; an address's failures expire by themselves. Only failures count: staff
signing in many times from one office address (or the test suite from 127.0.0.1) are never
slowed down.

Accounts are keyed by the email as typed (normalised), whether or not such a user exists, so
a lock says nothing about which emails are real. Addresses are ``request.remote_addr`` (behind
a proxy, set ``TRACKER_TRUSTED_PROXIES``); an IPv6 address counts as its /64, which one
client usually holds whole.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from consultations.models import utcnow

from consultations.workflow import FailedSignIn

ACCOUNT, ADDRESS = "account", "address"
KEEP_FAILURES = dt.timedelta(days=1)  # older rows are deleted as new ones arrive (the audit log keeps them)


@dataclass(frozen=True)
class Rules:
    """How many failures lock an account (``per_account``) or an address (``per_address``)
    within ``period``; 0 turns that limit off."""

    per_account: int
    per_address: int
    period: dt.timedelta

    @classmethod
    def from_config(cls, config) -> Rules:
        return cls(per_account=int(config["SIGN_IN_ACCOUNT_LIMIT"]),
                   per_address=int(config["SIGN_IN_ADDRESS_LIMIT"]),
                   period=dt.timedelta(minutes=float(config["SIGN_IN_LOCKOUT_MINUTES"])))


@dataclass(frozen=True)
class Lock:
    """Attempts for this account or from this address wait until ``until``."""

    scope: str  # ACCOUNT or ADDRESS
    until: dt.datetime

    def seconds_left(self, now: dt.datetime | None = None) -> int:
        return max(1, math.ceil((self.until - (now or utcnow())).total_seconds()))

    def wait_text(self, now: dt.datetime | None = None) -> str:
        minutes = math.ceil(self.seconds_left(now) / 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"


def account_key(email: str | None) -> str:
    return (email or "").strip().lower()[:254]


def address_key(address: str | None) -> str:
    """The client address as throttled: IPv4 as is, IPv6 as its /64 network."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _locked_until(session: Session, column: InstrumentedAttribute, key: str, limit: int, period: dt.timedelta,
                  now: dt.datetime) -> dt.datetime | None:
    """When ``key`` may try again, or None: the ``limit``-th newest failure that counts, plus ``period``."""
    if limit <= 0:
        return None
    oldest_counting = session.scalar(
        select(FailedSignIn.at)
        .where(column == key, FailedSignIn.cleared_at.is_(None), FailedSignIn.at > now - period)
        .order_by(FailedSignIn.at.desc(), FailedSignIn.id.desc())
        .offset(limit - 1).limit(1))
    return None if oldest_counting is None else oldest_counting + period


def account_lock(session: Session, account: str, rules: Rules, now: dt.datetime | None = None) -> Lock | None:
    now = now or utcnow()
    until = _locked_until(session, FailedSignIn.account, account, rules.per_account, rules.period, now)
    return Lock(ACCOUNT, until) if until is not None and until > now else None


def address_lock(session: Session, address: str, rules: Rules, now: dt.datetime | None = None) -> Lock | None:
    now = now or utcnow()
    until = _locked_until(session, FailedSignIn.address, address, rules.per_address, rules.period, now)
    return Lock(ADDRESS, until) if until is not None and until > now else None


def lock_for(session: Session, account: str, address: str, rules: Rules, now: dt.datetime | None = None) -> Lock | None:
    """The lock on this account or this address (the longer, if both), or None."""
    locks = [lock for lock in (account_lock(session, account, rules, now), address_lock(session, address, rules, now))
             if lock is not None]
    return max(locks, key=lambda lock: lock.until) if locks else None


def record_failure(session: Session, account: str, address: str, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    session.execute(delete(FailedSignIn).where(FailedSignIn.at < now - KEEP_FAILURES))
    session.add(FailedSignIn(at=now, account=account, address=address))
    session.flush()


def clear_account(session: Session, account: str, now: dt.datetime | None = None) -> int:
    """Failures for this account stop counting (a successful sign-in, an admin unlocking it)."""
    return session.execute(
        update(FailedSignIn).where(FailedSignIn.account == account, FailedSignIn.cleared_at.is_(None))
        .values(cleared_at=now or utcnow())).rowcount
