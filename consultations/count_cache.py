"""Counts that list pages show (per state, per status, per cell of the coverage matrix), kept
between requests and recomputed only when the data may have changed.

Counting every row on each request does not scale: with 300,000 recommendations one count per
state costs the list about a second. Every commit that writes recommendations, responses, links,
decisions or clusters gives the publication stamp a new token in the same transaction
(``consultations.publication_stamp``; bulk statements run on a session included), so one
primary-key read says whether a count kept earlier still holds. A session holding uncommitted
changes counts afresh and keeps nothing. A kept count is also dropped after ``MAX_AGE`` seconds,
which bounds how long a change made outside the app (SQL by hand) can go unseen. Counts are kept
per engine (two databases never share them), in memory, per process, at most ``MAX_ENTRIES``.
"""
from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy.orm import Session

from consultations import publication_stamp

MAX_AGE = 600.0
MAX_ENTRIES = 256

T = TypeVar("T")
_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> OrderedDict
_lock = threading.Lock()


def remembered(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or its result from an earlier call with the same ``key`` while nothing has
    changed since. ``key`` must say everything the result depends on (filters, options)."""
    stamp = None if publication_stamp.unsettled(session) else publication_stamp.current(session)
    if stamp is None:
        return compute()
    engine = session.get_bind()
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
    """Drop every count kept for this session's database (for a script that changed rows with
    SQL of its own, which the publication stamp does not see)."""
    with _lock:
        _caches.pop(session.get_bind(), None)
