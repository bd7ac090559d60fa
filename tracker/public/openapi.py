"""The OpenAPI 3.1 document of the JSON API (``/api/v1/openapi.json``).

Written by hand next to ``tracker.public.api`` so the contract is readable in one place; the tests
validate every API response against the schema declared here. Objects forbid properties
that are not declared, so a field added to a response without being documented (or one
that should never be public) fails the tests.
"""
from __future__ import annotations

from consultations.vocabulary import ACTION_STATUSES, PUBLIC_CONSULTATION_STATUSES, PUBLIC_DECISION_OUTCOMES
from tracker.web.ids import MAX_ID
from tracker.web.paging import MAX_PAGE


def _nullable(type_: str, **more) -> dict:
    return {"type": [type_, "null"], **more}


def _object(properties: dict, *, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties),
            "additionalProperties": False}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name: str) -> dict:
    return {"type": "array", "items": _ref(name)}


def _enum(vocabulary) -> dict:
    """A status field: its values from consultations.vocabulary, in their order."""
    return {"type": "string", "enum": list(vocabulary)}


URL = {"type": "string", "format": "uri"}
ID = {"type": "integer", "minimum": 1}
WITHDRAWN_AT = _nullable("string", format="date-time", description="When the decision was withdrawn (the outcome then reads \"withdrawn\" and the rationale says why); null while it stands.")
DATE = {"type": "string", "format": "date"}

SCHEMAS = {
    "Error": _object({"error": {"type": "string", "description": "What was wrong and what to do."}}),
    "Index": _object({
        "name": {"type": "string"}, "version": {"type": "string"},
        "resources": _object({name: URL for name in ("consultations", "recommendations", "decisions", "frameworks")}),
        "openapi": URL,
    }),
    "Question": _object({"id": ID, "number": {"type": "string"}, "text": {"type": "string"},
                         "topic": _nullable("string")}),
    "Consultation": _object({
        "id": ID, "slug": {"type": "string"}, "title": {"type": "string"},
        "body": {"type": "string", "description": "The organisation consulting."},
        "summary": _nullable("string"),
        "status": _enum(PUBLIC_CONSULTATION_STATUSES),
        "opens_on": _nullable("string", format="date"), "closes_on": _nullable("string", format="date"),
        "questions": _list_of("Question"),
        "url": URL, "api_url": URL, "recommendations_url": URL, "feed_url": URL, "csv_url": URL, "json_url": URL,
    }),
    "Update": _object({"on": DATE, "text": {"type": "string"}, "evidence_url": _nullable("string")}),
    "Action": _object({
        "id": ID, "description": {"type": "string"}, "owner": {"type": "string"},
        "status": _enum(ACTION_STATUSES),
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "due_on": _nullable("string", format="date"),
        "overdue": {"type": "boolean", "description": "Past its due date and not finished."},
        "updates": _list_of("Update"),
    }),
    "Standard": _object({"id": ID, "framework_key": {"type": "string"}, "framework_name": {"type": "string"},
                         "code": {"type": "string"}, "title": _nullable("string")}),
    "Recommendation": _object({
        "id": ID, "key": {"type": "string", "description": "Its label within the response, such as R1.2."},
        "text": {"type": "string"},
        "made_by": {"type": "string", "description": "The respondent's name, or their organisation type if anonymous."},
        "also_made_by": {"type": "array", "items": {"type": "string"}},
        "organisation_type": _nullable("string"),
        "respondent_url": _nullable("string", format="uri",
                                    description="The respondent's public page (named respondents only)."),
        "consultation": _object({"id": ID, "slug": {"type": "string"}, "title": {"type": "string"}, "api_url": URL}),
        "question": {"oneOf": [{"type": "null"}, _object({"number": {"type": "string"}, "text": _nullable("string")})]},
        "standards": _list_of("Standard"),
        "decision": _object({
            "id": ID, "outcome": _enum(PUBLIC_DECISION_OUTCOMES),
            "rationale": {"type": "string", "description": "Markdown."},
            "published_at": {"type": "string", "format": "date-time"}, "withdrawn_at": WITHDRAWN_AT, "api_url": URL,
        }),
        "actions": _list_of("Action"),
        "url": URL, "api_url": URL,
    }),
    "Decision": _object({
        "id": ID, "outcome": _enum(PUBLIC_DECISION_OUTCOMES), "rationale": {"type": "string", "description": "Markdown."},
        "published_at": {"type": "string", "format": "date-time"}, "withdrawn_at": WITHDRAWN_AT,
        "recommendations": {"type": "array", "items": _object(
            {"id": ID, "key": {"type": "string"}, "made_by": {"type": "string"}, "api_url": URL, "url": URL})},
        "actions": _list_of("Action"),
        "api_url": URL,
    }),
    "Framework": _object({"id": ID, "key": {"type": "string"}, "name": {"type": "string"},
                          "version": {"type": "string"}, "kind": {"type": "string"}, "api_url": URL}),
    "FrameworkItem": _object({"id": ID, "code": {"type": "string"}, "title": _nullable("string"),
                              "text": _nullable("string"), "parent_code": _nullable("string"),
                              "depth": {"type": "integer", "minimum": 0}}),
}
SCHEMAS["FrameworkDetail"] = _object({
    **SCHEMAS["Framework"]["properties"],
    "versions": {"type": "array", "items": {"type": "string"}},
    "items": _list_of("FrameworkItem"),
})


def _page_of(name: str) -> dict:
    return _object({
        "data": _list_of(name), "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
        "total": {"type": "integer", "minimum": 0},
        "next": _nullable("string", format="uri", description="The next page, or null on the last."),
    })


for _name in ("Consultation", "Recommendation", "Decision", "Framework"):
    SCHEMAS[f"{_name}Page"] = _page_of(_name)

PARAMETERS = {
    "page": {"name": "page", "in": "query", "required": False, "description": "Page number, from 1.",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
    "per_page": {"name": "per_page", "in": "query", "required": False, "description": "Rows per page.",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
}


def _path_parameter(name: str, type_: str, description: str) -> dict:
    schema = {"type": type_, **({"minimum": 1, "maximum": MAX_ID} if type_ == "integer" else {})}
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def _json(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema_name)}}}


BAD_REQUEST = _json("Error", "A parameter is not valid; the error says which.")
NOT_FOUND = _json("Error", "Not found, or not published.")
PAGING = [{"$ref": "#/components/parameters/page"}, {"$ref": "#/components/parameters/per_page"}]


def _get(summary: str, ok: dict, *, parameters: list | None = None, not_found: bool = False) -> dict:
    responses = {"200": ok, "400": BAD_REQUEST}
    if not_found:
        responses["404"] = NOT_FOUND
    return {"get": {"summary": summary, "parameters": parameters or [], "responses": responses}}


PATHS = {
    "/": _get("What the API offers", _json("Index", "Links to each resource.")),
    "/openapi.json": _get("This document", {"description": "The OpenAPI document.",
                                            "content": {"application/json": {"schema": {"type": "object"}}}}),
    "/consultations": _get("Public consultations with their questions",
                           _json("ConsultationPage", "A page of consultations, newest first."), parameters=PAGING),
    "/consultations/{slug}": _get(
        "One public consultation", _json("Consultation", "The consultation."),
        parameters=[_path_parameter("slug", "string", "The consultation's slug.")], not_found=True),
    "/recommendations": _get(
        "Recommendations with a published decision",
        _json("RecommendationPage", "A page of recommendations, in consultation and response order."),
        parameters=[
            {"name": "consultation", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "Only this consultation (its slug)."},
            {"name": "standard", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "Only recommendations linked to the standard with this code, such as 4.1.1."},
            {"name": "framework", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "With standard: only that code in this framework (its key)."},
            {"name": "after", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
             "description": "Only the recommendations after the one with this id, in the list's order: the "
                            "cursor the next link carries (page then only numbers the page)."},
            *PAGING,
        ]),
    "/recommendations/{rec_id}": _get(
        "One recommendation with its published decision", _json("Recommendation", "The recommendation."),
        parameters=[_path_parameter("rec_id", "integer", "The recommendation's id.")], not_found=True),
    "/decisions": _get("Published decisions", _json("DecisionPage", "A page of decisions, by id."),
                       parameters=PAGING),
    "/decisions/{decision_id}": _get(
        "One published decision", _json("Decision", "The decision as published."),
        parameters=[_path_parameter("decision_id", "integer", "The decision's id.")], not_found=True),
    "/frameworks": _get("Standards frameworks and strategic objectives",
                        _json("FrameworkPage", "A page of frameworks."), parameters=PAGING),
    "/frameworks/{key}": _get(
        "A framework's items, a flat list in tree order with each item's parent code",
        _json("FrameworkDetail", "The framework (its newest version unless version is given)."),
        parameters=[_path_parameter("key", "string", "The framework's key."),
                    {"name": "version", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "A version other than the newest."}],
        not_found=True),
}


def document(server_url: str) -> dict:
    """The OpenAPI document, with this site's API address as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Consultation response tracker API",
            "version": "1",
            "description": "Published outcomes of consultations: what was recommended, what was decided and "
                           "how implementation is going. Read-only; no sign-in. Lists take page and per_page "
                           "(at most 200). Errors are JSON {\"error\": \"...\"}.",
        },
        "servers": [{"url": server_url}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "parameters": PARAMETERS},
    }
