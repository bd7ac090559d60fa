"""The site's public address, and the proxies in front of it.

Absolute URLs (feeds, the API's links and ``next`` pages, the OpenAPI ``servers``, the ``url``
columns of downloads, citations on printed pages) never follow a request's ``Host`` header:
anyone can send ``Host: evil.example``, and a cache in front of the site could then hand links
to another site to everyone. Every URL is built with ``url_for`` (``_external=True`` for
absolute ones) from configuration:

* ``PUBLIC_URL`` (``TRACKER_PUBLIC_URL``): the address people use, such as
  ``https://consult.example.org`` or ``https://example.org/consult``: the scheme, host and
  path prefix of every URL the site builds; or else
* Flask's ``SERVER_NAME`` with ``PREFERRED_URL_SCHEME`` (and ``APPLICATION_ROOT``).

Without either, development (``DEVELOPMENT``) and tests (``TESTING``) use the request's host.
A production app without it fails closed: it answers every request with 503 saying what to set
(and logs that once); commands (migrations, users, imports) still work. Links to
a forged host are worse than a site that says it is not set up yet.

``TRUSTED_PROXIES`` (``TRACKER_TRUSTED_PROXIES``, default 0): how many reverse proxies in
front of the app add ``X-Forwarded-For`` and ``X-Forwarded-Proto``. With 0 the client address
(``request.remote_addr``, which sign-in throttling counts) is the connection's peer; behind one
proxy set 1, so werkzeug's ProxyFix takes it from that proxy's header. Never set more than
there are: a client could then choose its own address.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, Response, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

NOT_CONFIGURED = (
    "This site is not set up yet: its public address is not configured. Set TRACKER_PUBLIC_URL to the "
    "address people use to reach it, such as https://consult.example.org (see 'Security model' in the README).")


@dataclass(frozen=True)
class PublicURL:
    scheme: str
    host: str  # with the port, if any
    root: str  # the path prefix without a trailing slash: "" or "/consult"


def parse_public_url(value: str) -> PublicURL:
    parts = urlsplit((value or "").strip())
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment
            or parts.username or parts.password):
        raise ValueError(f"TRACKER_PUBLIC_URL must be the address people use to reach the site, such as "
                         f"https://consult.example.org, not {value!r}")
    return PublicURL(parts.scheme, parts.netloc.lower(), parts.path.rstrip("/"))


def configured_public_url(config) -> PublicURL | None:
    if config.get("PUBLIC_URL"):
        return parse_public_url(config["PUBLIC_URL"])
    if config.get("SERVER_NAME"):
        return PublicURL(config["PREFERRED_URL_SCHEME"], config["SERVER_NAME"].lower(),
                         (config.get("APPLICATION_ROOT") or "").rstrip("/"))
    return None


class TrackerFlask(Flask):
    """Flask, building every URL for the configured public address instead of the request's."""

    def create_url_adapter(self, request):
        public = self.extensions.get("public_url")
        if public is None:
            return super().create_url_adapter(request)
        if request is None:  # commands and app contexts can build absolute URLs too
            return self.url_map.bind(public.host, script_name=public.root or "/", url_scheme=public.scheme)
        adapter = super().create_url_adapter(request)
        adapter.server_name, adapter.url_scheme, adapter.script_name = public.host, public.scheme, public.root + "/"
        return adapter


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on this site, from the configured public address."""
    return url_for(endpoint, _external=True, **values)


def init_app(app: Flask) -> None:
    """Read the public address and the trusted proxies; refuse bad values when the app starts."""
    try:
        app.extensions["public_url"] = configured_public_url(app.config)
    except ValueError as error:
        raise RuntimeError(str(error)) from None
    proxies = app.config["TRUSTED_PROXIES"]
    if not str(proxies).isdigit():
        raise RuntimeError(f"TRACKER_TRUSTED_PROXIES must be the number of proxies in front of the app "
                           f"(0 or more), not {proxies!r}")
    proxies = int(proxies)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    if app.extensions["public_url"] is None and not (app.config["DEVELOPMENT"] or app.config.get("TESTING")):
        logged = []

        @app.before_request
        def refuse_without_public_url():
            if not logged:  # once per process, in the server's log; commands never get here
                app.logger.error(NOT_CONFIGURED)
                logged.append(True)
            return Response(NOT_CONFIGURED, 503, mimetype="text/plain")
