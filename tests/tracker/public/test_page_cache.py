"""The outcome page's cache for anonymous visitors (tracker/public/page_cache.py): a change made
through another app instance on the same database (another worker or host, with a cache of its
own) shows at the next request; signed-in staff never read or fill it; ETags answer 304 only
while nothing changed."""
from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from consultations import decisions, redaction
from consultations.models import Recommendation, Respondent
from consultations.workflow import Decision
from tracker import create_app
from tracker.db import db
from tracker.public import page_cache

SLUG = "probation-inspection-changes-2019"
PAGE = f"/consultations/{SLUG}"
R8_RATIONALE = "Domain one already asks how well providers work together"  # approved in the demo, not published


@pytest.fixture
def other_instance(demo_app):
    """A second app on the same database, as another gunicorn worker or web host: its own cache."""
    other = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                        "SQLALCHEMY_DATABASE_URI": demo_app.config["SQLALCHEMY_DATABASE_URI"]})
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def change(instance, edit) -> None:
    """``edit(session)`` through ``instance``'s own session, committed."""
    with instance.app_context():
        edit(db.session)
        db.session.commit()


def demo_decision(session, key: str) -> Decision:
    rec = session.scalar(select(Recommendation).where(Recommendation.key == key, Recommendation.origin != "test"))
    return decisions.decision_for(session, rec)


def page(client, url: str = PAGE, **headers) -> tuple[str, object]:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return html_lib.unescape(response.get_data(as_text=True)), response


def cached_entries(app) -> int:
    return len(app.extensions.get("public_page_cache", page_cache.FragmentCache())._entries)


def test_publishing_and_withdrawing_show_at_once_though_made_by_another_instance(demo_app, client, other_instance):
    before, _ = page(client)
    assert R8_RATIONALE not in before and cached_entries(demo_app) == 1

    change(other_instance, lambda s: decisions.publish(demo_decision(s, "R8"), None, two_person_rule=False))
    published, _ = page(client)
    assert R8_RATIONALE in published

    change(other_instance, lambda s: decisions.withdraw(demo_decision(s, "R8"), "Overtaken by the new framework."))
    withdrawn, _ = page(client)
    assert "Overtaken by the new framework." in withdrawn and R8_RATIONALE not in withdrawn


def test_a_respondent_turning_confidential_leaves_the_page_at_once(demo_app, client, other_instance):
    assert "Clinks" in page(client)[0]

    def confidential(session):
        session.scalar(select(Respondent).where(Respondent.name.like("Clinks%"))).consent = "confidential"

    change(other_instance, confidential)
    assert "Clinks" not in page(client)[0]


def test_a_redaction_made_by_another_instance_shows_at_once(demo_app, client, other_instance):
    def r9(session) -> Recommendation:
        return session.scalar(select(Recommendation).where(Recommendation.key == "R9", Recommendation.origin != "test"))

    with other_instance.app_context():
        passage = r9(db.session).text.split(".")[0].strip()  # R9's first sentence, quoted on the page
    assert passage in page(client)[0]

    change(other_instance, lambda s: redaction.mark(s, r9(s).response, passage, "other", None))
    after, _ = page(client)
    assert passage not in after and "[redacted" in after


def test_staff_neither_read_nor_fill_the_anonymous_cache(demo_app, client, users, sign_in):
    anonymous, response = page(client)
    assert response.headers["Cache-Control"] == "no-cache" and "Cookie" in response.headers["Vary"]
    tag = response.headers["ETag"]
    # Poison the cached content: anonymous visitors get it (the cache is really used), staff never.
    cache = demo_app.extensions["public_page_cache"]
    (key, (version, html)), = cache._entries.items()
    cache.put(key, version, html.replace("What you said, what we did", "POISONED CONTENT"))
    assert "POISONED CONTENT" in page(client)[0]

    sign_in("viewer")
    staff, response = page(client, If_None_Match=tag)
    assert "POISONED CONTENT" not in staff and "What you said, what we did" in staff
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers
    assert cached_entries(demo_app) == 1 and "POISONED CONTENT" in cache._entries[key][1]


def test_each_response_has_its_own_csp_nonce_in_page_and_header(demo_app, client):
    first, response = page(client)
    second, again = page(client)
    assert cached_entries(demo_app) == 1
    assert nonce(first) != nonce(second)
    for html, response in ((first, response), (second, again)):
        assert f"'nonce-{nonce(html)}'" in response.headers["Content-Security-Policy"]
        assert html.count(f'nonce="{nonce(html)}"') == html.count("nonce=")
    assert second.replace(nonce(second), nonce(first)) == first


def test_a_visitor_with_a_flashed_message_gets_it_and_nothing_is_cached(demo_app, client):
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "You are subscribed.")]
    assert "You are subscribed." in page(client)[0]
    assert cached_entries(demo_app) == 0
    assert "You are subscribed." not in page(client)[0]  # shown once
    assert cached_entries(demo_app) == 1


def test_a_staff_visit_caches_nothing(demo_app, client, users, sign_in):
    sign_in("approver")
    page(client)
    page(client, f"{PAGE}?by=standard")
    assert cached_entries(demo_app) == 0


def test_conditional_get_is_304_until_something_public_changes(demo_app, client, other_instance):
    _, first = page(client)
    tag = first.headers["ETag"]
    assert tag.startswith('W/"')
    again = client.get(PAGE, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == tag
    assert again.headers["X-Frame-Options"] == "DENY"  # the security headers as on every response
    # Another variant of the page has its own tag.
    assert client.get(f"{PAGE}?by=standard", headers={"If-None-Match": tag}).status_code == 200

    change(other_instance, lambda s: decisions.publish(demo_decision(s, "R8"), None, two_person_rule=False))
    changed = client.get(PAGE, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert R8_RATIONALE in html_lib.unescape(changed.get_data(as_text=True))


def test_a_change_to_a_private_table_keeps_the_cache(demo_app, client, other_instance, users, sign_in):
    """Signing in writes sessions and users only: anonymous visitors keep the cached page."""
    tag = page(client)[1].headers["ETag"]
    sign_in("viewer")
    client.post("/sign-out", follow_redirects=True)  # and read the "signed out" message
    assert client.get(PAGE, headers={"If-None-Match": tag}).status_code == 304


def nonce(html: str) -> str:
    """The page's CSP nonce (each response has its own)."""
    return re.search(r'nonce="([^"]+)"', html).group(1)
