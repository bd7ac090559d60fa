"""The scale-out configuration: two web hosts (gunicorn processes, each with an instance folder of
its own, no shared disk) on one PostgreSQL database. What staff change through one host is found
at once by a search through the other: the postgres search backend keeps its documents in the
database, written in the same transaction as the change. Runs in `make test-postgres`."""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import PASSWORD, PROJECT
from consultations.models import Recommendation
from consultations.workflow import Decision
from tracker.db import db

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def needs_postgres():
    if not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres"):
        pytest.skip("two hosts need one shared PostgreSQL database: set TEST_DATABASE_URL (`make test-postgres`)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Host:
    """One gunicorn process serving the app, as a separate machine would, and a browser whose
    cookies (``jar``) a load balancer may send to either host."""

    def __init__(self, url: str, folder: Path, jar: http.cookiejar.CookieJar):
        self.folder = folder
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "TRACKER_INSTANCE_PATH": str(folder),
               "TRACKER_SECRET_KEY": "one key for every host", "TRACKER_DEVELOPMENT": "1",
               "PYTHONPATH": str(PROJECT)}
        env.pop("TRACKER_SEARCH_INDEX_DIR", None)
        self.log = open(folder.parent / f"{folder.name}.log", "w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "tracker:create_app()"],
            cwd=PROJECT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def wait_until_serving(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"gunicorn exited with status {self.process.returncode}: {self.log.read()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {seconds:.0f} s")

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(f"http://127.0.0.1:{self.port}{path}", data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post_form(self, path: str, data: dict) -> int:
        """POST ``data`` with the CSRF token of the form at ``path`` (as a browser would)."""
        status, page = self.request(path)
        assert status == 200, (path, status)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page)
        assert token, f"no CSRF token on {path}"
        status, _ = self.request(path, {**data, "csrf_token": token.group(1)})
        return status

    def sign_in(self, role: str) -> None:
        assert self.post_form("/sign-in", {"email": f"{role}@example.org", "password": PASSWORD}) == 302

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is returned as it is, as the tests' client does


@pytest.fixture
def hosts(demo_app, users, tmp_path):
    url = demo_app.config["SQLALCHEMY_DATABASE_URI"]
    started, browser = [], http.cookiejar.CookieJar()
    try:
        for name in ("host-a", "host-b"):
            folder = tmp_path / name
            folder.mkdir()
            started.append(Host(url, folder, browser))
        for host in started:
            host.wait_until_serving()
        yield started
    finally:
        for host in started:
            host.stop()


def test_a_change_through_one_host_is_found_by_search_through_the_other(demo_app, hosts):
    one, other = hosts
    with demo_app.app_context():
        rec = db.session.scalar(select(Recommendation).where(Recommendation.key == "R7"))
        rec_id, version = rec.id, rec.version_id
        db.session.remove()
    one.sign_in("policy")  # one browser: signed in through one host, it is signed in on both
    assert "0 results" in other.request("/staff/search?q=platypus")[1]

    status = one.post_form(f"/staff/recommendations/{rec_id}/edit",
                           {"text": "Give every platypus keeper a written plan.", "question": "", "version": version})
    assert status == 302

    status, page = other.request("/staff/search?q=platypus")
    assert status == 200
    assert "1 result" in page and "<mark>platypus</mark>" in page and "Recommendation R7" in page
    status, page = other.request("/staff/search?q=%22platypus+keeper%22")
    assert "1 result" in page
    for host in hosts:  # no search index on either host's disk: it is in the database
        assert not (host.folder / "search_index").exists()


def anonymous_get(host: Host, path: str, **headers) -> tuple[int, str, dict]:
    """A visitor who never signed in (no cookies): status, page and headers."""
    request = urllib.request.Request(f"http://127.0.0.1:{host.port}{path}", headers=headers)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def test_an_edit_through_one_host_shows_at_once_on_the_others_cached_outcome_page(demo_app, hosts):
    """Each host keeps the outcome page for anonymous visitors (tracker/public/page_cache.py); the
    publication stamp, changed in the edit's own transaction, tells the other host at once."""
    one, other = hosts
    with demo_app.app_context():
        rec = db.session.scalar(select(Recommendation).join(Decision, Decision.recommendation_id == Recommendation.id)
                                .where(Decision.published_at.is_not(None), Decision.withdrawn_at.is_(None))
                                .order_by(Recommendation.id))
        rec_id, version, slug = rec.id, rec.version_id, rec.response.consultation.slug
        db.session.remove()
    page = f"/consultations/{slug}"
    status, before, headers = anonymous_get(other, page)
    assert status == 200 and "platypus" not in before
    tag = headers["ETag"]
    assert anonymous_get(other, page, **{"If-None-Match": tag})[0] == 304  # kept: nothing changed
    assert anonymous_get(one, page, **{"If-None-Match": tag})[0] == 304  # either host knows that copy

    one.sign_in("policy")
    status = one.post_form(f"/staff/recommendations/{rec_id}/edit",
                           {"text": "Give every platypus keeper a written plan.", "question": "", "version": version})
    assert status == 302

    status, after, headers = anonymous_get(other, page, **{"If-None-Match": tag})
    assert status == 200 and "Give every platypus keeper a written plan." in after and headers["ETag"] != tag
