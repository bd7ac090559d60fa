"""Counts that list pages show (per state, per status, per cell of the coverage matrix), kept
between requests and recomputed only when the data may have changed.

Counting every row on each request does not scale: with 300,000 recommendations one count per
state costs the list about a second. Every change the app makes to the rows these counts read
(recommendations, responses, respondents, links, decisions, clusters) writes an audit event in
the same transaction (``consultations.audit``; a bulk import writes one per batch), so the audit
log's newest ids say cheaply whether anything changed: a cached result is used while

- the largest ``audit_event`` id is the same (a committed change adds one),
- as many events have ids in the last ``WINDOW`` ids (on PostgreSQL an id is taken before its
  transaction commits, so a change can become visible under an id below the largest: it then
  adds one to this count),
- the largest ``cluster_member`` id is the same (members are added without an audit event),

and it is younger than ``MAX_AGE`` seconds, which bounds how long a change made outside the app
(SQL by hand) can go unseen. The check is three index lookups. Results are kept per engine (so
two databases never share them), in memory, per process, at most ``MAX_ENTRIES``.
"""
from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultations.models import ClusterMember
from consultations.workflow import AuditEvent

WINDOW = 1000
MAX_AGE = 600.0
MAX_ENTRIES = 256

T = TypeVar("T")
_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> OrderedDict
_lock = threading.Lock()


def change_stamp(session: Session) -> tuple:
    """What a cached count is valid for: changes by the app alter it (see the module's docstring)."""
    newest = select(func.max(AuditEvent.id)).scalar_subquery()
    recent = select(func.count()).where(AuditEvent.id > func.coalesce(newest, 0) - WINDOW).scalar_subquery()
    members = select(func.max(ClusterMember.id)).scalar_subquery()
    return tuple(session.execute(select(newest, recent, members)).one())


def remembered(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or its result from an earlier call with the same ``key`` while nothing has
    changed since. ``key`` must say everything the result depends on (filters, options)."""
    engine = session.get_bind()
    stamp = change_stamp(session)
    now = time.monotonic()
    with _lock:
        cache = _caches.setdefault(engine, OrderedDict())
        found = cache.get(key)
        if found is not None and found[0] == stamp and now - found[1] < MAX_AGE:
            cache.move_to_end(key)
            return found[2]
    value = compute()
    with _lock:
        cache[key] = (stamp, now, value)
        cache.move_to_end(key)
        while len(cache) > MAX_ENTRIES:
            cache.popitem(last=False)
    return value


def forget(session: Session) -> None:
    """Drop every count kept for this session's database (for a script that changed rows in bulk
    without audit events)."""
    with _lock:
        _caches.pop(session.get_bind(), None)
