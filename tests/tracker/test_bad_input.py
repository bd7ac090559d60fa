"""Bad input gets a message, never a traceback or a 500, and changes nothing.

Files written by hand (consultation, framework and survey-mapping YAML, framework CSV) are
refused with the file, the line and the reason; ids and page numbers too large for the
database answer 404 (pages) or a JSON 400 (API lists).
"""
from __future__ import annotations

import re

import pytest
from conftest import DEMO_DATA, SUER_FRAMEWORK
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from consultations.models import Base
from consultations.yamlfile import YamlFileError, load_yaml
from tracker.db import db
from tracker.web.ids import MAX_ID, IdConverter
from tracker.web.paging import MAX_PAGE

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
    path.write_text(f'framework:\n  key: dated\n  name: Dated\n  version: {date}\n'
                    'items:\n  - {code: "1", title: One}\n')
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
    ("standards.csv", b'code,title\n1,"Unclosed\n2,Two\n',
     "line 2: a quote (&#34;) opened in this row is never closed"),
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


# --- ids and page numbers too large for the database ---------------------------------------------

# Past SQLite's 64-bit integers; past PostgreSQL's bigint; past PostgreSQL's integer (the id columns).
TOO_LARGE = ["99999999999999999999", str(2**63), str(2**31)]


def id_routes(app) -> list[tuple[str, str, list[str]]]:
    """(endpoint, rule, methods) of every route with an id in its path."""
    return sorted((rule.endpoint, rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}))
                  for rule in app.url_map.iter_rules()
                  if any(isinstance(c, IntegerConverter) for c in rule._converters.values()))


def test_every_integer_in_a_route_is_a_bounded_database_id(app):
    routes = id_routes(app)
    assert len(routes) > 40, "every staff, public and API route with an id"
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                assert isinstance(converter, IdConverter) and converter.max == MAX_ID, (
                    f"{rule.rule}: declare <id:{name}>, not <int:{name}>")


def clients_by_role(app, users) -> dict[str, object]:
    from conftest import PASSWORD

    clients = {"anyone": app.test_client()}
    for role in users:
        clients[role] = app.test_client()
        response = clients[role].post("/sign-in", data={"email": f"{role}@example.org", "password": PASSWORD})
        assert response.status_code == 302
    return clients


def test_an_id_too_large_for_the_database_is_a_404_on_every_route(app, users):
    clients = clients_by_role(app, users)
    wrong = []
    for endpoint, rule, methods in id_routes(app):
        role = app.view_functions[endpoint].allowed_roles[0]  # a role that may use the route
        for number in TOO_LARGE:
            url = re.sub(r"<id:[a-z_]+>", number, rule)
            for method in methods:
                response = clients[role].open(url, method=method)
                if response.status_code != 404 or (url.startswith("/api/") and "error" not in response.get_json()):
                    wrong.append((method, url, role, response.status_code))
    assert wrong == []


@pytest.mark.parametrize("url", [
    "/consultations/probation-inspection-changes-2019?page={n}",
    "/standards/hmip-probation-2019/1?page={n}",
    "/search?q=probation&page={n}",
    "/staff/search?q=probation&page={n}",
    "/staff/triage/?page={n}",
    "/staff/implementation?page={n}",
    "/staff/consultations/probation-inspection-changes-2019?page={n}",
    "/staff/consultations/probation-inspection-changes-2019/duplicates?page={n}",
    "/staff/coverage?framework={n}",
])
def test_a_page_number_or_id_too_large_in_a_query_is_a_404(demo_content_app, sign_in, url):
    client = sign_in("viewer")
    for number in TOO_LARGE[:2]:
        assert client.get(url.format(n=number)).status_code == 404, url.format(n=number)
    if "page=" in url:
        assert client.get(url.format(n=MAX_PAGE)).status_code == 200, "the largest page number: the last page"


@pytest.mark.parametrize("path", ["/api/v1/recommendations", "/api/v1/decisions", "/api/v1/frameworks",
                                  "/api/v1/consultations"])
def test_an_api_page_number_too_large_is_a_json_400(client, path):
    for number in TOO_LARGE[:2]:
        response = client.get(f"{path}?page={number}")
        assert response.status_code == 400
        assert response.get_json() == {"error": f"page must be at most {MAX_PAGE}, not '{number}'."}
    assert client.get(f"{path}?page={MAX_PAGE}").get_json()["data"] == []
    assert client.get(f"{path}?page=%C2%B2").status_code == 400, "a superscript two is a digit to isdigit()"


def test_ids_too_large_in_forms_are_refused_not_a_500(demo_content_app, sign_in, session):
    from consultations.models import Recommendation

    rec = session.scalars(select(Recommendation).order_by(Recommendation.id).limit(1)).one()
    policy = sign_in("policy")
    huge = TOO_LARGE[0]
    assign = policy.post("/staff/triage/assign", data={"response_ids": [huge], "assign-assignee": "unassigned"})
    assert assign.status_code < 500
    duplicate = policy.post(f"/staff/recommendations/{rec.id}/duplicate",
                            data={"duplicate-target_id": huge, "duplicate-version": rec.version_id})
    assert duplicate.status_code == 400
    assert "The reference number must be a number" in duplicate.get_data(as_text=True)
    links = sign_in("methodology").post(f"/staff/recommendations/{rec.id}/links", data={"framework": huge, "code": "1"})
    assert links.status_code < 500


@pytest.mark.parametrize("limit", [1, 9, 10, 205, 1000])
def test_the_id_pattern_matches_exactly_one_to_the_limit(limit):
    from tracker.web.ids import numbers_up_to

    pattern = re.compile(numbers_up_to(limit))
    assert [n for n in range(3 * limit + 20) if pattern.fullmatch(str(n))] == list(range(1, limit + 1))
    assert not pattern.fullmatch(f"0{limit}"), "no leading zeros"


def test_the_id_pattern_stops_at_the_largest_id():
    from tracker.web.ids import numbers_up_to

    pattern = re.compile(numbers_up_to(MAX_ID))
    assert all(pattern.fullmatch(str(n)) for n in (1, 1999999999, 2099999999, 2147483599, MAX_ID - 1, MAX_ID))
    assert not any(pattern.fullmatch(str(n)) for n in (0, MAX_ID + 1, 2147483650, 2200000000, 10**10, 10**20))
