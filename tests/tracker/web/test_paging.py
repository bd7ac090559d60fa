"""The one pagination (tracker.web.paging): db.paginate underneath, the last page past the end,
404 beyond any page a list could reach, and the GOV.UK component's arguments."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from consultations.workflow import User
from tracker.web.paging import MAX_PAGE, paginate, pagination_params


def test_pages_of_a_query_counted_or_not(app, users):
    query = select(User).order_by(User.id)  # five users, one per role
    with app.test_request_context("/?page=2"):
        counted = paginate(query, 2)
        assert (counted.page, counted.pages, counted.total, len(counted.items)) == (2, 3, 5, 2)
        rows = paginate(select(User.id, User.email).order_by(User.id), 2, total=5, rows=True)
        assert rows.items[0].email == counted.items[0].email
    with app.test_request_context("/?page=99"):
        assert [paginate(query, 2).page, paginate(query, 2, total=5).page] == [3, 3]  # the last page
    with app.test_request_context("/?page=nonsense"):
        assert paginate(query, 2).page == 1
    with app.test_request_context(f"/?page={MAX_PAGE + 1}"), pytest.raises(NotFound):
        paginate(query, 2)


def test_pagination_params():
    assert pagination_params(1, 1, str) is None
    params = pagination_params(5, 9, lambda n: f"?page={n}", "Pages of actions")
    assert params["previous"] == {"href": "?page=4"} and params["next"] == {"href": "?page=6"}
    assert [item.get("number") for item in params["items"]] == [1, None, 4, 5, 6, None, 9]
    assert params["landmarkLabel"] == "Pages of actions"
