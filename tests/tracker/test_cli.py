"""The command line as a user runs it: extract, ingest, consultations and demo load."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import CLINKS_RESPONSE, DEMO_DATA, FIXTURES, PROBATION_FRAMEWORK, PROJECT, SUER_FRAMEWORK
from test_ingest import SLUG, row_counts

from tracker.db import db

RESPONSES = FIXTURES / "responses"


@pytest.fixture
def frameworks(runner):
    for path in (PROBATION_FRAMEWORK, SUER_FRAMEWORK):
        assert runner.invoke(args=["frameworks", "import", str(path)]).exit_code == 0


@pytest.fixture
def consultation(runner, frameworks):
    path = DEMO_DATA / "consultation-probation-inspection-2019.yaml"
    result = runner.invoke(args=["consultations", "import", str(path)])
    assert result.exit_code == 0, result.output


def counts(app):
    with app.app_context():
        return row_counts(db.session)


def test_extract_json_has_exactly_the_documented_shape_and_writes_nothing(app, runner, frameworks):
    before = counts(app)
    result = runner.invoke(args=["extract", str(CLINKS_RESPONSE), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["recommendations"]
    assert len(data["recommendations"]) == 18
    for rec in data["recommendations"]:
        assert list(rec) == ["key", "text", "parent", "spans", "references", "unresolved_references"]
        assert isinstance(rec["key"], str) and isinstance(rec["text"], str)
        assert rec["parent"] is None or isinstance(rec["parent"], str)
        assert all(isinstance(s, list) and len(s) == 2 and all(isinstance(n, int) for n in s) for s in rec["spans"])
    by_key = {rec["key"]: rec for rec in data["recommendations"]}
    assert by_key["R3"]["references"] == ["4.1.3"]
    assert by_key["R2.5"]["references"] == ["2", "4"]
    assert counts(app) == before


def test_extract_readable_list(runner, frameworks):
    result = runner.invoke(args=["extract", str(CLINKS_RESPONSE)])
    assert result.exit_code == 0
    assert result.output.startswith("9 recommendations found in clinks-2019.txt, with 9 sub-points.")
    assert "\nR1. Clinks recommends that HMI Probation include" in result.output
    assert "\n    R1.1. Standard 1.1 on leadership" in result.output
    assert "References: 4.1.3" in result.output


def test_extract_shows_unresolved_references(runner, frameworks):
    result = runner.invoke(args=["extract", str(RESPONSES / "numbered-list.txt")])
    assert "Not found in any framework: standard 9.9" in result.output


def test_extract_without_frameworks_says_references_cannot_be_matched(runner):
    result = runner.invoke(args=["extract", str(CLINKS_RESPONSE), "--json"])
    data = json.loads(result.output)
    assert all(rec["references"] == [] for rec in data["recommendations"])
    by_key = {rec["key"]: rec for rec in data["recommendations"]}
    assert by_key["R4"]["unresolved_references"] == ["domain three", "standard 4.1.1"]
    readable = runner.invoke(args=["extract", str(CLINKS_RESPONSE)])
    assert "No framework is imported" in readable.output


def test_extract_says_plainly_when_there_are_none(runner):
    result = runner.invoke(args=["extract", str(RESPONSES / "no-recommendations.txt")])
    assert result.exit_code == 0
    assert result.output.strip() == "No recommendations found in no-recommendations.txt."
    result = runner.invoke(args=["extract", str(RESPONSES / "no-recommendations.txt"), "--json"])
    assert json.loads(result.output) == {"recommendations": []}


def test_extract_with_one_framework_and_an_unknown_one(runner, frameworks):
    result = runner.invoke(args=["extract", str(CLINKS_RESPONSE), "--json", "--framework", "hmip-suer-2019"])
    assert all(rec["references"] == [] for rec in json.loads(result.output)["recommendations"])
    result = runner.invoke(args=["extract", str(CLINKS_RESPONSE), "--framework", "nope"])
    assert result.exit_code == 1
    assert "nope" in result.output and "hmip-probation-2019" in result.output


def test_extract_refuses_a_file_it_cannot_read(runner, tmp_path):
    path = tmp_path / "response.txt"
    path.write_bytes("We recommend caf\u00e9s".encode("cp1252"))
    result = runner.invoke(args=["extract", str(path)])
    assert result.exit_code == 1
    assert "is not UTF-8 text" in result.output


def test_ingest_then_ingest_again(app, runner, consultation):
    args = ["ingest", str(CLINKS_RESPONSE), "--consultation", SLUG, "--respondent", "Clinks",
            "--org-type", "voluntary sector", "--consent", "named", "--received", "2019-04-12"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Ingested clinks-2019.txt as response #" in result.output
    assert "18 recommendations, 16 standard links" in result.output
    before = counts(app)
    again = runner.invoke(args=args)
    assert again.exit_code == 0
    assert "already ingested" in again.output
    assert counts(app) == before


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--consultation", "nope"], "There is no consultation 'nope'. Known consultations: " + SLUG),
        (["--consultation", SLUG, "--consent", "public"], "Invalid value for '--consent'"),
        (["--consultation", SLUG, "--received", "12/04/2019"], "Invalid value for '--received'"),
    ],
)
def test_ingest_refusals_change_nothing(app, runner, consultation, extra, message):
    before = counts(app)
    result = runner.invoke(args=["ingest", str(CLINKS_RESPONSE), "--respondent", "Clinks", *extra])
    assert result.exit_code != 0
    assert message in result.output
    assert counts(app) == before


def test_ingest_of_a_missing_file(runner, consultation, tmp_path):
    result = runner.invoke(args=["ingest", str(tmp_path / "missing.txt"), "--consultation", SLUG, "--respondent", "X"])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_consultations_import_rejects_a_bad_file_and_lists(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("slug: Not A Slug\ntitle: x\nquestions:\n  - number: 1\n")
    result = runner.invoke(args=["consultations", "import", str(bad)])
    assert result.exit_code == 1
    assert "'body' is missing" in result.output and "slug 'Not A Slug'" in result.output
    assert "question 1 has no text" in result.output
    assert "No consultations yet" in runner.invoke(args=["consultations", "list"]).output


def test_demo_load_twice_changes_nothing(app, runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Response from Clinks to probation-inspection-changes-2019: ingested, 18 recommendations." in first.output
    assert "Demo survey: 10 survey responses imported; 1 campaign (1 new)" in first.output
    before = counts(app)
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    assert "already ingested" in second.output and "0 new, 0 updated" in second.output
    assert "survey responses already imported; 1 campaign (0 new)" in second.output
    assert "(0 new) found" in second.output
    assert counts(app) == before
    listing = runner.invoke(args=["consultations", "list"]).output
    assert "probation-inspection-changes-2019  [analysing]  11 responses  " in listing


def test_demo_shows_every_decision_state_and_an_overdue_action(demo_app, runner):
    import datetime as dt

    from sqlalchemy import select

    from consultations.workflow import Action, Decision
    from consultations.actions import is_overdue

    with demo_app.app_context():
        decisions = db.session.scalars(select(Decision)).all()
        assert {d.state for d in decisions} == {"draft", "approved", "published"}
        assert any(d.internal_note for d in decisions if d.state == "published")
        actions = db.session.scalars(select(Action)).all()
        assert {a.status for a in actions} >= {"implemented", "in progress", "not started"}
        assert any(is_overdue(a, dt.date.today()) for a in actions)
        assert any(not u.is_public for a in actions for u in a.updates), "an internal update, never published"
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    listing = runner.invoke(args=["users", "list"]).output
    assert "approver@example.org  approver" in listing


def test_the_migration_commands_are_listed_and_run_as_flask_migrate_s(tmp_path):
    """``db`` is listed by a stand-in (so listing the commands does not import Alembic) and, run,
    is Flask-Migrate's own group, its options and subcommands included: the real command line."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "TRACKER_INSTANCE_PATH": str(tmp_path)}
    env.pop("DATABASE_URL", None)

    def flask(*args):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "tracker", *args], env=env, cwd=PROJECT,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert re.search(r"^  db +Perform database migrations\.$", flask("--help"), re.M)
    assert "--directory" in flask("db", "--help")
    assert "(head)" in flask("db", "heads")
