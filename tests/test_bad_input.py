"""Bad input gets a message, never a traceback or a 500, and changes nothing.

Files written by hand (consultation, framework and survey-mapping YAML, framework CSV) are
refused with the file, the line and the reason; ids and page numbers too large for the
database answer 404 (pages) or a JSON 400 (API lists).
"""
from __future__ import annotations

import pytest
from conftest import DEMO_DATA, SUER_FRAMEWORK
from sqlalchemy import select

from consultations.models import Base
from consultations.yamlfile import YamlFileError, load_yaml
from tracker.db import db

IMPOSSIBLE_DATES = ["2019-13-45", "2019-02-30"]


def database_rows(app) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: what 'the database is unchanged' means."""
    with app.app_context():
        db.session.remove()
        rows = {}
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(row) for row in db.session.execute(select(table).order_by(*order))]
        db.session.remove()
        return rows


def refused(result, path, line: int, reason: str) -> None:
    """A refusal as a person reads it: no traceback; the file, the line and the reason."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert str(path) in result.output and f"line {line}: " in result.output and reason in result.output, result.output


# --- YAML: the one loader every reader uses -------------------------------------------------------


@pytest.mark.parametrize(("source", "line", "reason"), [
    ("a: 1\nopens_on: 2019-02-30\n", 2, "2019-02-30 is not a real date (day is out of range for month)"),
    ("opens_on: 2019-13-45\n", 1, "2019-13-45 is not a real date (month must be in 1..12)"),
    ("at: 2019-01-01 25:00:00\n", 1, "is not a real date (hour must be in 0..23)"),
    ("a:\n  b: !!int twelve\n", 2, "'twelve' cannot be read as int"),
    ("a: !!bool perhaps\n", 1, "'perhaps' cannot be read as bool"),
    ("a: !!timestamp soon\n", 1, "soon is not a date"),
    ("a: &x [1, 2]\nb: *x\n", 2, "the alias *x is not accepted here"),
    ("a: [unclosed\n", 2, "YAML syntax error"),
])
def test_yaml_mistakes_are_refused_with_their_line(source, line, reason):
    with pytest.raises(YamlFileError) as caught:
        load_yaml(source)
    assert (caught.value.line, reason in caught.value.reason) == (line, True), str(caught.value)


def test_yaml_nested_too_deeply_is_refused_not_a_recursion_error():
    with pytest.raises(YamlFileError, match="nested too deeply"):
        load_yaml("[" * 20_000)


def test_a_real_date_stays_a_date_and_lines_are_kept():
    import datetime as dt

    data = load_yaml("title: x\nopens_on: 2019-04-01\nquestions:\n  - text: a\n")
    assert data["opens_on"] == dt.date(2019, 4, 1)
    assert data.key_lines["opens_on"] == 2 and data["questions"].lines == [4]


# --- consultations import, frameworks import, import-survey --mapping ----------------------------


@pytest.mark.parametrize("date", IMPOSSIBLE_DATES)
def test_consultation_file_with_an_impossible_date_is_refused_and_nothing_changes(app, runner, tmp_path, date):
    assert runner.invoke(args=["consultations", "import",
                               str(DEMO_DATA / "consultation-probation-inspection-2019.yaml")]).exit_code == 0
    before = database_rows(app)
    path = tmp_path / "consultation.yaml"
    path.write_text(f"slug: probation-inspection-changes-2019\ntitle: Changed\nbody: HMIP\nopens_on: {date}\n"
                    "questions:\n  - {number: '1', text: Changed}\n")
    result = runner.invoke(args=["consultations", "import", str(path)])
    refused(result, path, 4, f"{date} is not a real date")
    assert "nothing was written" in result.output
    assert database_rows(app) == before


def test_consultation_problems_say_their_line(runner, tmp_path):
    path = tmp_path / "consultation.yaml"
    path.write_text("slug: fine-slug\ntitle: [a, list]\nbody: HMIP\nopens_on: 2019-04-01 10:00:00\n"
                    "questions:\n  - number: '1'\n    text: One?\n  - number: '1'\n    text: Again?\n")
    result = runner.invoke(args=["consultations", "import", str(path)])
    assert result.exit_code == 1
    assert "line 2: 'title' must be text, not a list" in result.output
    assert "line 4: 'opens_on' must be a date written YYYY-MM-DD" in result.output
    assert "line 8: question number 1 is used twice" in result.output


@pytest.mark.parametrize("date", IMPOSSIBLE_DATES)
def test_framework_yaml_with_an_impossible_date_is_refused_and_nothing_changes(app, runner, tmp_path, date):
    assert runner.invoke(args=["frameworks", "import", str(SUER_FRAMEWORK)]).exit_code == 0
    before = database_rows(app)
    path = tmp_path / "framework.yaml"
    path.write_text(f'framework:\n  key: dated\n  name: Dated\n  version: {date}\nitems:\n  - {{code: "1", title: One}}\n')
    result = runner.invoke(args=["frameworks", "import", str(path)])
    refused(result, path, 4, f"{date} is not a real date")
    assert database_rows(app) == before


@pytest.mark.parametrize(("content", "line", "reason"), [
    # The old reader took the rest of the file as item 1's title and imported one item.
    ("code,title\n1,\"Unclosed\n2,Two\n3,Three\n", 2, "a quote (\") opened in this row is never closed, "
                                                      "so lines 2 to 4 would become one value"),
    ("code,title,text\n1,\"One\n2,Two\",\n", 2, "the title runs on over lines 2 to 3"),
    ("code,title\n1,\"One\"x\n", 2, "the quotes in this row cannot be read"),
])
def test_framework_csv_with_a_broken_quote_is_refused_and_nothing_changes(app, runner, tmp_path, content, line,
                                                                           reason):
    before = database_rows(app)
    path = tmp_path / "framework.csv"
    path.write_text(content)
    result = runner.invoke(args=["frameworks", "import", str(path)])
    refused(result, path, line, reason)
    assert database_rows(app) == before


def test_a_multi_line_text_in_a_framework_csv_is_still_fine(runner, tmp_path):
    path = tmp_path / "framework.csv"
    path.write_text('code,title,text\n1,One,"First line,\nsecond line, with commas"\n2,Two,\n')
    result = runner.invoke(args=["frameworks", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 items" in result.output


@pytest.mark.parametrize("date", IMPOSSIBLE_DATES)
def test_survey_mapping_with_an_impossible_date_is_refused_and_nothing_changes(app, runner, tmp_path, date):
    from test_imports import HEADERS, ROWS, write_csv

    assert runner.invoke(args=["consultations", "import",
                               str(DEMO_DATA / "consultation-probation-inspection-2019.yaml")]).exit_code == 0
    survey = write_csv(tmp_path / "survey.csv", HEADERS, ROWS)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(f"columns:\n  - column: 1\n    field: reference\n  - column: 2\n    header: {date}\n")
    before = database_rows(app)
    for slug, extra in (("probation-inspection-changes-2019", []), ("a-new-survey", ["--create-questions"])):
        result = runner.invoke(args=["import-survey", str(survey), "--consultation", slug, "--mapping", str(mapping),
                                     *extra])
        refused(result, mapping, 5, f"{date} is not a real date")
        assert "Nothing was imported" in result.output
        assert database_rows(app) == before


def test_survey_mapping_problems_say_their_line(app, runner, tmp_path):
    from test_imports import HEADERS, ROWS, write_csv

    runner.invoke(args=["consultations", "import", str(DEMO_DATA / "consultation-probation-inspection-2019.yaml")])
    survey = write_csv(tmp_path / "survey.csv", HEADERS, ROWS)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  - column: 1\n    field: [reference]\n  - column: 7\n"
                       "    question: a-question-number-far-too-long\n")
    result = runner.invoke(args=["import-survey", str(survey), "--consultation", "probation-inspection-changes-2019",
                                 "--mapping", str(mapping)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "line 2: column 1: field '['reference']' is not one of" in result.output
    assert "line 4: column 7: question must be a question number (at most 20 characters)" in result.output


def test_survey_mapping_json_mistake_says_its_line(app, runner, tmp_path):
    from test_imports import HEADERS, ROWS, write_csv

    runner.invoke(args=["consultations", "import", str(DEMO_DATA / "consultation-probation-inspection-2019.yaml")])
    survey = write_csv(tmp_path / "survey.csv", HEADERS, ROWS)
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"columns": [\n  {"column": 1,}\n]}\n')
    result = runner.invoke(args=["import-survey", str(survey), "--consultation", "probation-inspection-changes-2019",
                                 "--mapping", str(mapping)])
    assert result.exit_code == 1 and "is not valid JSON: line 2:" in result.output


@pytest.mark.parametrize(("filename", "content", "reason"), [
    ("standards.csv", b'code,title\n1,"Unclosed\n2,Two\n', "line 2: a quote (&#34;) opened in this row is never closed"),
    ("standards.yaml", b'framework: {key: k, name: K, version: 2019-02-30}\nitems: []\n',
     "line 1: 2019-02-30 is not a real date"),
])
def test_admin_framework_upload_with_a_broken_file_names_the_line(app, sign_in, filename, content, reason):
    from test_admin import upload

    admin = sign_in("admin")  # signing in may write (sessions, the audit log): before the snapshot
    before = database_rows(app)
    response = upload(admin, content, filename)
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    assert database_rows(app) == before
