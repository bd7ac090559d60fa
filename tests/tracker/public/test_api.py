"""The JSON API: a valid OpenAPI document every response conforms to, pagination, filters,
JSON errors, a fixed number of queries, and nothing unpublished or private leaks."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from conftest import count_statements
from test_feeds import (  # noqa: F401 (fixtures)
    SECRETS,
    SLUG,
    add_published,
    assert_nothing_leaks,
    demo,
    leaky,
)

from consultations.models import Consultation, Framework, FrameworkItem, Recommendation
from tracker.db import db
from consultations.workflow import Decision
from consultations.published import public_recommendations
from tracker.commands.demo_workflow import demo_date

# --- a small JSON Schema (2020-12 subset) validator for the keywords tracker.public.openapi uses ------
# jsonschema / openapi-spec-validator are not installed in the project's virtualenv.

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
KNOWN_KEYWORDS = {"type", "properties", "required", "additionalProperties", "items", "enum", "minimum", "maximum",
                  "format", "$ref", "oneOf", "description", "default"}


def type_matches(value, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, TYPES[name])


def resolve(document: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def validate(value, schema: dict, document: dict, path: str = "$") -> None:
    """Raise AssertionError naming the path of the first value that does not fit ``schema``."""
    assert set(schema) <= KNOWN_KEYWORDS, f"validator does not know {set(schema) - KNOWN_KEYWORDS}"
    if "$ref" in schema:
        validate(value, resolve(document, schema["$ref"]), document, path)
    if "oneOf" in schema:
        fits = 0
        for option in schema["oneOf"]:
            try:
                validate(value, option, document, path)
                fits += 1
            except AssertionError:
                pass
        assert fits == 1, f"{path}: {value!r} fits {fits} of the oneOf options"
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(type_matches(value, t) for t in types), f"{path}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r} not in {schema['enum']}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert value >= schema.get("minimum", value) and value <= schema.get("maximum", value), f"{path}: {value}"
    if isinstance(value, str) and "format" in schema:
        fmt = schema["format"]
        if fmt == "date":
            assert DATE.match(value) and dt.date.fromisoformat(value), f"{path}: {value!r} is not a date"
        elif fmt == "date-time":
            assert DATE_TIME.match(value), f"{path}: {value!r} is not an RFC 3339 date-time"
        elif fmt == "uri":
            assert urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc, f"{path}: {value!r}"
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            assert name in value, f"{path}: missing {name!r}"
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(properties)
            assert not extra, f"{path}: undeclared properties {extra}"
        for name, sub in properties.items():
            if name in value:
                validate(value[name], sub, document, f"{path}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            validate(item, schema["items"], document, f"{path}[{index}]")


def test_the_validator_catches_what_it_should():
    schema = {"type": "object", "properties": {"a": {"type": ["string", "null"], "format": "date"}},
              "required": ["a"], "additionalProperties": False}
    validate({"a": "2020-01-31"}, schema, {})
    validate({"a": None}, schema, {})
    for bad in [{}, {"a": 1}, {"a": "31/01/2020"}, {"a": None, "b": 1}]:
        with pytest.raises(AssertionError):
            validate(bad, schema, {})


# --- the OpenAPI document ----------------------------------------------------------------------


@pytest.fixture
def spec(client, demo):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def all_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from all_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_refs(value)


def test_openapi_document_is_valid_and_describes_every_route(app, spec):
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert spec["servers"] == [{"url": "http://localhost/api/v1"}]
    for ref in all_refs(spec):
        resolve(spec, ref)  # every reference resolves
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    routes.discard("/{unknown}")  # the catch-all that answers unknown paths with a JSON 404
    assert routes == set(spec["paths"])
    for path, item in spec["paths"].items():
        assert set(item) == {"get"}, path
        operation = item["get"]
        assert operation["summary"] and "200" in operation["responses"]
        parameters = [resolve(spec, p["$ref"]) if "$ref" in p else p for p in operation["parameters"]]
        for parameter in parameters:
            assert parameter["in"] in ("path", "query") and "schema" in parameter and parameter["name"]
        declared = {p["name"] for p in parameters if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path
        for status, response in operation["responses"].items():
            assert re.fullmatch(r"[1-5]\d\d", status) and response["description"]
            for media in response.get("content", {}).values():
                assert "schema" in media
    for name, schema in spec["components"]["schemas"].items():
        validate_schema_shape(schema, name)


def validate_schema_shape(schema: dict, where: str) -> None:
    """Every schema uses only keywords the validator understands, so the checks below mean something."""
    assert set(schema) <= KNOWN_KEYWORDS, f"{where}: {set(schema) - KNOWN_KEYWORDS}"
    for name, sub in schema.get("properties", {}).items():
        validate_schema_shape(sub, f"{where}.{name}")
    if "items" in schema:
        validate_schema_shape(schema["items"], f"{where}[]")
    for option in schema.get("oneOf", []):
        validate_schema_shape(option, f"{where}|")
    if schema.get("type") == "object" and "properties" in schema:
        assert set(schema.get("required", [])) <= set(schema["properties"]), where


def check_response(client, spec, url: str, status: int = 200):
    """GET url, check the status, and validate the body against the schema declared for it."""
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True))
    assert response.content_type == "application/json"
    path = urlsplit(url).path.removeprefix("/api/v1")
    template = next((p for p in spec["paths"]
                     if re.fullmatch(re.sub(r"{\w+}", r"[^/]+", p), path)), None)
    body = response.get_json()
    if template is None:
        assert status == 404
        validate(body, spec["components"]["schemas"]["Error"], spec, url)
        return body
    declared = spec["paths"][template]["get"]["responses"][str(status)]
    validate(body, declared["content"]["application/json"]["schema"], spec, url)
    return body


def every_api_url(session) -> list[str]:
    """Every API URL with real ids: published and unpublished, public and not."""
    urls = ["/api/v1/", "/api/v1/consultations", "/api/v1/recommendations", "/api/v1/decisions",
            "/api/v1/frameworks", "/api/v1/openapi.json", "/api/v1/recommendations?per_page=200",
            "/api/v1/decisions?per_page=200"]
    urls += [f"/api/v1/consultations/{slug}" for slug in session.scalars(select(Consultation.slug))]
    urls += [f"/api/v1/recommendations/{rec_id}" for rec_id in session.scalars(select(Recommendation.id))]
    urls += [f"/api/v1/decisions/{decision_id}" for decision_id in session.scalars(select(Decision.id))]
    urls += [f"/api/v1/frameworks/{key}" for key in session.scalars(select(Framework.key))]
    urls += [f"/api/v1/recommendations?consultation={slug}" for slug in session.scalars(select(Consultation.slug))]
    urls += ["/api/v1/recommendations?standard=4.1.1", "/api/v1/recommendations?standard=SO1&framework=hmip-suer-2019"]
    return urls


def test_every_response_fits_its_declared_schema(client, spec, leaky):
    ok = 0
    for url in every_api_url(db.session):
        status = client.get(url).status_code
        assert status in (200, 400, 404), url
        check_response(client, spec, url, status)
        ok += status == 200
    assert ok > 15


@pytest.mark.parametrize("url, status", [
    ("/api/v1/recommendations/999999", 404), ("/api/v1/decisions/999999", 404),
    ("/api/v1/consultations/nope", 404), ("/api/v1/frameworks/nope", 404),
    ("/api/v1/frameworks/hmip-probation-2019?version=1066", 404), ("/api/v1/nothing/here", 404),
    ("/api/v1/recommendations?page=0", 400), ("/api/v1/recommendations?page=x", 400),
    ("/api/v1/recommendations?per_page=201", 400), ("/api/v1/recommendations?per_page=-1", 400),
    ("/api/v1/recommendations?consultation=nope", 400), ("/api/v1/recommendations?standard=99.99", 400),
    ("/api/v1/recommendations?framework=hmip-suer-2019", 400), ("/api/v1/recommendations?colour=red", 400),
    ("/api/v1/decisions?page=1.5", 400), ("/api/v1/frameworks?per_page=0", 400),
])
def test_errors_are_json(client, spec, url, status):
    body = check_response(client, spec, url, status)
    assert body["error"]


def test_unpublished_and_confidential_are_404(client, spec, leaky):
    recs = leaky["recs"]
    for rec in (recs["R3"], recs["R8"], recs["R2"], leaky["secret"], leaky["duplicate"], leaky["hidden"]):
        assert check_response(client, spec, f"/api/v1/recommendations/{rec.id}", 404)["error"]
    for key in ("R3", "R8"):
        decision = db.session.scalar(select(Decision).where(Decision.recommendation_id == recs[key].id))
        check_response(client, spec, f"/api/v1/decisions/{decision.id}", 404)
    secret_decision = db.session.scalar(select(Decision).where(Decision.recommendation_id == leaky["secret"].id))
    check_response(client, spec, f"/api/v1/decisions/{secret_decision.id}", 404)
    check_response(client, spec, "/api/v1/consultations/draft-consultation", 404)
    check_response(client, spec, "/api/v1/recommendations?consultation=draft-consultation", 400)


# --- content ---------------------------------------------------------------------------------


def test_index_lists_the_resources(client, spec):
    body = check_response(client, spec, "/api/v1/")
    for url in body["resources"].values():
        check_response(client, spec, urlsplit(url).path)


def test_recommendations_are_the_published_ones(client, spec, leaky):
    body = check_response(client, spec, "/api/v1/recommendations")
    public = [r for r in public_recommendations(db.session) if r.consultation_slug != "draft-consultation"]
    assert [r["id"] for r in body["data"]] == [r.id for r in public]
    assert body["total"] == len(public) and body["next"] is None
    r4 = next(r for r in body["data"] if r["key"] == "R4")
    assert r4["decision"]["outcome"] == "accepted"  # the published snapshot, not the revision
    assert r4["decision"]["published_at"] == f"{demo_date(dt.date(2019, 7, 1)):%Y-%m-%d}T10:00:00Z"
    assert [s["code"] for s in r4["standards"]] == ["4.1.1"]
    assert r4["also_made_by"] == []  # the confidential duplicate is not credited by name
    anonymous = check_response(client, spec, f"/api/v1/recommendations/{leaky['anonymous'].id}")
    assert anonymous["made_by"] == "A voluntary sector organisation" and anonymous["respondent_url"] is None
    assert anonymous["actions"][0]["updates"] == [
        {"on": "2020-06-01", "text": "Handbook section drafted.", "evidence_url": "https://example.org/e"}]
    r5 = next(r for r in body["data"] if r["key"] == "R5")
    assert [u["text"] for u in r5["actions"][0]["updates"]] == ["Draft guidance shared with women's centres for comment."]


def test_filters(client, spec, demo):
    other = Consultation(slug="other", title="Other", body="Inspectorate", status="closed")
    from test_feeds import add_response, publish
    rec = add_response(demo, other, "Prison Reform Trust", "named", "Publish easy read reports.")
    publish(demo, rec, "accepted", "We will.")
    demo.commit()
    by_consultation = check_response(client, spec, f"/api/v1/recommendations?consultation={SLUG}")
    assert rec.id not in [r["id"] for r in by_consultation["data"]] and by_consultation["total"] == 4
    assert [r["id"] for r in check_response(client, spec, "/api/v1/recommendations?consultation=other")["data"]] == [
        rec.id]
    item = demo.scalar(select(FrameworkItem).where(FrameworkItem.code == "4.1.1"))
    by_standard = check_response(client, spec, "/api/v1/recommendations?standard=4.1.1")
    assert [r["id"] for r in by_standard["data"]] == [r.id for r in public_recommendations(demo, item_id=item.id)]
    both = check_response(client, spec, "/api/v1/recommendations?standard=4.1.1&consultation=other")
    assert both["data"] == [] and both["total"] == 0
    so1 = check_response(client, spec, "/api/v1/recommendations?standard=SO1&framework=hmip-suer-2019")
    assert [r["key"] for r in so1["data"]] == ["R9"]


def test_pagination(client, spec, demo):
    add_published(demo, 5)
    total = len(public_recommendations(demo))
    assert total == 9
    seen, url, pages = [], "/api/v1/recommendations?per_page=4", 0
    while url:
        body = check_response(client, spec, url)
        pages += 1
        assert body["per_page"] == 4 and body["page"] == pages and body["total"] == total
        assert len(body["data"]) == (4 if pages < 3 else 1)
        seen += [r["id"] for r in body["data"]]
        url = body["next"] and urlsplit(body["next"]).path + "?" + urlsplit(body["next"]).query
    assert pages == 3 and seen == [r.id for r in public_recommendations(demo)]
    beyond = check_response(client, spec, "/api/v1/recommendations?page=9&per_page=4")
    assert beyond["data"] == [] and beyond["next"] is None and beyond["total"] == total
    default = check_response(client, spec, "/api/v1/recommendations")
    assert default["per_page"] == 50 and default["page"] == 1
    # next keeps the filters
    filtered = check_response(client, spec, "/api/v1/recommendations?standard=4.1.1&per_page=1")
    assert "standard=4.1.1" in filtered["next"] and "page=2" in filtered["next"]
    decisions = check_response(client, spec, "/api/v1/decisions?per_page=2")
    assert len(decisions["data"]) == 2 and decisions["total"] == 9
    assert check_response(client, spec, "/api/v1/frameworks?per_page=1")["next"].endswith("page=2&per_page=1")


def test_a_page_by_number_lists_the_rows_at_its_offset(client, spec, demo):
    """page=N seeks from the row before it: the same rows as counting them off."""
    add_published(demo, 5)
    everything = [r.id for r in public_recommendations(demo)]
    for page in (1, 2, 3, 4):
        body = check_response(client, spec, f"/api/v1/recommendations?page={page}&per_page=3")
        assert [r["id"] for r in body["data"]] == everything[(page - 1) * 3:page * 3]
        assert body["total"] == len(everything)
    linked = [r.id for r in public_recommendations(demo, standard_code="4.1.1")]
    assert len(linked) > 1
    body = check_response(client, spec, "/api/v1/recommendations?standard=4.1.1&page=2&per_page=1")
    assert [r["id"] for r in body["data"]] == linked[1:2]


def test_the_next_link_is_a_cursor_that_loses_and_repeats_nothing(client, spec, demo):
    """``next`` carries ``after=<the last row's id>``: each page starts just after the last one,
    even when a row of an earlier page stops being public in between; ``page=`` still works."""
    add_published(demo, 5)
    everything = [r.id for r in public_recommendations(demo)]
    first = check_response(client, spec, "/api/v1/recommendations?per_page=4")
    assert f"after={first['data'][-1]['id']}" in first["next"] and "page=2" in first["next"]
    by_number = check_response(client, spec, "/api/v1/recommendations?per_page=4&page=2")
    second = check_response(client, spec, first["next"])
    assert second["page"] == 2 and [r["id"] for r in second["data"]] == [r["id"] for r in by_number["data"]]
    # a recommendation of the first page is withdrawn from publication: page 3 by number would
    # now skip a row; the cursor does not
    decision = demo.scalar(select(Decision).where(Decision.recommendation_id == first["data"][0]["id"]))
    decision.published_at = None
    demo.commit()
    third = check_response(client, spec, second["next"])
    seen = [r["id"] for r in first["data"] + second["data"] + third["data"]]
    assert seen == everything and third["next"] is None
    assert third["total"] == len(everything) - 1  # the kept count follows the change


@pytest.mark.parametrize("after", ["0", "x", "2147483648", "999999"])
def test_a_bad_cursor_is_a_400(client, spec, demo, after):
    body = check_response(client, spec, f"/api/v1/recommendations?after={after}", 400)
    assert "after" in body["error"]


def test_decisions_group_their_recommendations(client, spec, leaky):
    body = check_response(client, spec, "/api/v1/decisions?per_page=200")
    ids = [d["id"] for d in body["data"]]
    assert ids == sorted(ids)
    r4_decision = next(d for d in body["data"] if [r["key"] for r in d["recommendations"]] == ["R4"])
    assert r4_decision["outcome"] == "accepted"  # the confidential duplicate is not listed
    one = check_response(client, spec, f"/api/v1/decisions/{r4_decision['id']}")
    assert one == r4_decision


def test_consultations_and_frameworks(client, spec, leaky):
    consultations = check_response(client, spec, "/api/v1/consultations")
    assert [c["slug"] for c in consultations["data"]] == [SLUG]  # not the draft one
    consultation = check_response(client, spec, f"/api/v1/consultations/{SLUG}")
    assert consultation == consultations["data"][0] and consultation["questions"]
    for key in ("csv_url", "json_url", "feed_url", "recommendations_url"):
        assert client.get(consultation[key]).status_code == 200, key
    framework = check_response(client, spec, "/api/v1/frameworks/hmip-probation-2019")
    codes = {item["code"]: item for item in framework["items"]}
    count = db.session.scalar(select(func.count()).select_from(FrameworkItem).join(Framework)
                              .where(Framework.key == "hmip-probation-2019"))
    assert len(codes) == count
    assert codes["4.1.1"]["parent_code"] == "4.1" and codes["4.1"]["parent_code"] == "4"
    assert codes["4"]["parent_code"] is None and codes["4.1.1"]["depth"] == 2
    assert framework["versions"] == ["2019"]
    same = check_response(client, spec, "/api/v1/frameworks/hmip-probation-2019?version=2019")
    assert same == framework


# --- queries and leaks ---------------------------------------------------------------------------


LISTS = ["/api/v1/recommendations", "/api/v1/decisions", "/api/v1/consultations", "/api/v1/frameworks",
         "/api/v1/recommendations?standard=4.1.1", f"/api/v1/recommendations?consultation={SLUG}"]


def test_a_fixed_number_of_queries_whatever_the_page_size(app, client, demo):
    add_published(demo, 1)
    rec_id = public_recommendations(demo)[0].id
    urls = LISTS + [f"/api/v1/recommendations/{rec_id}", "/api/v1/frameworks/hmip-probation-2019"]
    few = {}
    for url in urls:
        with count_statements(app) as statements:
            assert client.get(url + ("&" if "?" in url else "?") + "per_page=1"
                              if url in LISTS else url).status_code == 200
        few[url] = len(statements)
    add_published(demo, 6, start=1)
    for url in urls:
        with count_statements(app) as statements:
            assert client.get(url + ("&" if "?" in url else "?") + "per_page=200"
                              if url in LISTS else url).status_code == 200
        assert len(statements) == few[url], url


def test_nothing_leaks_from_the_api(client, leaky):
    urls = every_api_url(db.session)
    assert len(urls) > 40
    assert_nothing_leaks(client, urls)
    assert all(text not in client.get("/api/v1/openapi.json").get_data(as_text=True) for text in SECRETS.values())
