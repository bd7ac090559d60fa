"""Schemathesis against the OpenAPI document, in-process: generated requests to every operation
of the API on a small demo database find no 500 and no response that breaks the document.

Examples are bounded (MAX_EXAMPLES per operation, no deadline: the machine is shared) so the
whole run stays well under a minute. It runs on SQLite whatever TEST_DATABASE_URL says: what
it tests is the contract, and test_bad_input.py covers the database-specific limits on both.
Operations are parametrized from tracker.public.openapi.PATHS rather than with
schemathesis.pytest.from_fixture, which fails under pytest 9 (it sets a Node attribute pytest
no longer has).
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tracker import create_app
from tracker.public import openapi
from tracker.db import db

MAX_EXAMPLES = 30


pytestmark = pytest.mark.slow  # hundreds of generated requests per API path


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory, database_templates):
    """The API of a copy of the session's demo (tests/conftest.py), for this module alone: it only reads."""
    folder = tmp_path_factory.mktemp("api-fuzz")
    url = database_templates.copy("demo", False, folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATABASE_URL", raising=False)
        patch.setenv("TRACKER_INSTANCE_PATH", str(folder / "instance"))
        app = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "SQLALCHEMY_DATABASE_URI": url})
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    database_templates.drop(url)


@pytest.mark.parametrize("path", sorted(openapi.PATHS))
def test_the_api_keeps_its_contract(api_schema, path):
    """Every GET operation of the document (known before the app exists: the document is data)."""
    operation = api_schema[path]["GET"]

    # /recommendations answers 400 to a well-formed filter that names nothing (an unknown
    # consultation slug or standard code), as its document declares; schemathesis's "schema-valid
    # data is accepted" check assumes every well-formed value names something. Every other check,
    # and that one on every other operation, stands.
    excluded = [positive_data_acceptance] if path == "/recommendations" else []

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def keeps_its_contract(case):
        case.call_and_validate(excluded_checks=excluded)

    keeps_its_contract()
