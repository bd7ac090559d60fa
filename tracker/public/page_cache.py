"""Rendered public pages, kept for anonymous visitors while nothing public changes.

A page is rendered once per process and variant, and reused while the publication stamp
(``consultations.publication_stamp``: one primary-key read per request, seen by every worker and
host) and the date (actions become overdue) are the ones it was rendered under. It is rendered
with a placeholder for the CSP nonce, which each response replaces with a nonce of its own.

Only anonymous visitors are served or recorded: a signed-in user's request neither reads nor fills
the cache, nor does a visitor with a flashed message waiting, nor a request whose session holds
changes not yet committed. Anonymous responses
carry a weak ``ETag`` over the same stamp, with ``Cache-Control: no-cache`` (revalidate every
time) and ``Vary: Cookie``; a conditional request that still matches gets ``304 Not Modified``.
No ``Last-Modified``: it counts whole seconds, so two changes in one second could answer 304
for a page that changed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from jinja2 import FileSystemLoader

from consultations import publication_stamp
from tracker.db import db
from tracker.web import headers

ENTRIES = 256  # pages kept per process: ~100 kB each, so a few tens of MB at most
_HASHED_TYPES = (str, int, float, bool, type(None), dict, list, tuple)  # a repr that is the same in every process
# Settings left out of the ETag: secrets, and what differs between the hosts of one installation
# (their folders, the database address), so every host answers 304 to the same copy.
_NOT_HASHED = ("SECRET", "PASSWORD", "DATABASE", "_DIR", "_PATH", "_FOLDER")


class FragmentCache:
    """Least recently used values by key, each valid for one version (stamp and date)."""

    def __init__(self, size: int = ENTRIES):
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable) -> Any | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != version:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, version: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def _cache(app: Flask) -> FragmentCache:
    return app.extensions.setdefault("public_page_cache", FragmentCache())


def _template_folders(loader) -> list[str]:
    """The folders of the app's own templates (``FileSystemLoader`` folders, in a ``ChoiceLoader``)."""
    if isinstance(loader, FileSystemLoader):
        return list(loader.searchpath)
    return [folder for inner in getattr(loader, "loaders", ()) for folder in _template_folders(inner)]


def build_digest(app: Flask) -> str:
    """What else shapes a page, once per process: the templates and the settings (the wording of
    outcomes and statuses, branding). In the ETag, so a release or a new setting is never answered 304 from an older page;
    the same on every host of an installation."""
    if "public_page_build" not in app.extensions:
        digest = hashlib.sha256()
        for folder in _template_folders(app.jinja_loader):
            for root, folders, files in os.walk(folder):
                folders.sort()
                for name in sorted(files):
                    with open(os.path.join(root, name), "rb") as file:
                        digest.update(name.encode() + file.read())
        for key, value in sorted(app.config.items()):
            if isinstance(value, _HASHED_TYPES) and not any(word in key for word in _NOT_HASHED):
                digest.update(f"{key}={value!r}".encode())
        app.extensions["public_page_build"] = digest.hexdigest()[:16]
    return app.extensions["public_page_build"]


def cacheable() -> bool:
    """An anonymous visitor without flashed messages, and nothing uncommitted a page could show."""
    return (g.get("user") is None and not session.get("_flashes")
            and not publication_stamp.unsettled(db.session))


def _rendered_for_cache(app: Flask, render: Callable[[], str]) -> str:
    """``render()`` with the process's placeholder as the CSP nonce (replaced in each response)."""
    g.csp_nonce = _placeholder(app)
    try:
        return render()
    finally:
        headers.forget_nonce()


def _placeholder(app: Flask) -> str:
    return app.extensions.setdefault("public_page_nonce_placeholder", secrets.token_urlsafe(18))


def cached(variant: tuple, render: Callable[[], str]) -> tuple[str, str | None]:
    """The page ``render()`` renders for this variant (every query parameter the page reads
    belongs in ``variant``), from the cache when still valid; and the ETag to send, or None
    (see ``cacheable``, or no stamp) when the response must not be cached."""
    if not cacheable():
        return render(), None
    stamp = publication_stamp.current(db.session)  # before any data is read: see publication_stamp
    if stamp is None:
        return render(), None
    app = current_app._get_current_object()
    key = (request.script_root, *variant)
    version = (stamp, dt.date.today())
    html = _cache(app).get(key, version)
    if html is None:
        html = _rendered_for_cache(app, render)
        _cache(app).put(key, version, html)
    tag = hashlib.sha256(repr((key, version, build_digest(app))).encode()).hexdigest()[:32]
    return html.replace(_placeholder(app), headers.csp_nonce()), tag


def not_modified(tag: str | None) -> Response | None:
    """304 when the visitor's copy (``If-None-Match``) is still this one."""
    if tag is None or not request.if_none_match.contains_weak(tag):
        return None
    return with_validators(Response(status=304), tag)


def with_validators(response: Response, tag: str | None) -> Response:
    """The ETag and revalidation headers of an anonymous response (none for anyone signed in)."""
    if tag is not None:
        response.set_etag(tag, weak=True)
        response.headers["Cache-Control"] = "no-cache"
        response.vary.add("Cookie")
    return response
