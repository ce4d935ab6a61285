"""The OpenAPI 3.1 document of the service.

The round input schema is ``Round.model_json_schema()`` itself (the contract's
shape: types, ranges, defaults, unknown fields refused), so the API says
exactly what ``matcher schema`` says.
"""
from __future__ import annotations

import copy
from functools import lru_cache

from .. import __version__
from ..model import Round
from ..store import STATUSES

REF = "#/components/schemas/{model}"
JSON = "application/json"
PROBLEM = "application/problem+json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


STR, INT, NUM, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
TIME = _nullable({"type": "string", "format": "date-time"})

OUTPUT = {
    "type": "object",
    "description": "Output document of the round contract (docs/round-format.md).",
    "required": ["status", "solver", "objective", "projects", "unmet", "kpis", "stats"],
    "properties": {
        "status": {"enum": ["optimal", "feasible", "infeasible", "unknown"]},
        "solver": STR,
        "message": STR,
        "objective": {"type": "object", "required": ["served_value", "total_distance_m", "served_quantity"],
                      "properties": {"served_value": INT, "total_distance_m": INT, "served_quantity": INT,
                                     "bound_served_value": _nullable(INT)}},
        "projects": {"type": "array", "items": _ref("Project")},
        "unmet": {"type": "array", "items": _ref("Unmet")},
        "kpis": {"type": "object", "required": ["demand_quantity", "served_quantity", "coverage"],
                 "properties": {"demand_quantity": INT, "served_quantity": INT, "coverage": NUM,
                                "weighted_coverage": NUM, "communities_unserved": INT}},
        "stats": {"type": "object", "properties": {"candidate_pairs": INT}},
    },
}
PROJECT = {
    "type": "object",
    "required": ["project_id", "need_id", "resource_id", "provider_id", "community_id", "category", "quantity",
                 "distance_m", "walk_minutes", "locked"],
    "properties": {"project_id": STR, "need_id": STR, "resource_id": STR, "provider_id": STR,
                   "community_id": STR, "category": STR, "quantity": INT, "distance_m": INT,
                   "walk_minutes": NUM, "locked": BOOL, "approved": BOOL},
}
UNMET = {
    "type": "object", "required": ["need_id", "quantity", "reason"],
    "properties": {"need_id": STR, "quantity": INT,
                   "reason": {"enum": ["no_candidate_category", "no_candidate_distance", "no_candidate_time",
                                       "no_candidate_tags", "capacity_exhausted", "all_or_nothing",
                                       "provider_limit"]}},
}
STATUS = {"enum": list(STATUSES)}
SUMMARY_PROPS = {"id": STR, "name": _nullable(STR), "status": _ref("RoundStatus"), "message": _nullable(STR),
                 "created_at": TIME, "updated_at": TIME, "finished_at": TIME, "url": STR}
SUMMARY = {"type": "object", "required": list(SUMMARY_PROPS), "properties": SUMMARY_PROPS}
DETAIL_PROPS = {
    **SUMMARY_PROPS,
    "started_at": TIME, "attempts": INT, "cancel_requested": BOOL,
    "history": {"type": "array", "items": {"type": "object", "required": ["status", "at"],
                                           "properties": {"status": _ref("RoundStatus"), "at": TIME,
                                                          "message": _nullable(STR)}}},
    "timings": _nullable({"type": "object"}),
    "output": _nullable(_ref("Output")),
    "links": {"type": "object", "required": ["projects", "unmet", "input"],
              "properties": {"projects": STR, "unmet": STR, "input": STR}},
}
DETAIL = {"type": "object", "required": list(DETAIL_PROPS), "properties": DETAIL_PROPS}
PROBLEM_SCHEMA = {
    "type": "object", "description": "RFC 9457 problem details.", "required": ["type", "title", "status"],
    "properties": {"type": STR, "title": STR, "status": INT, "detail": STR,
                   "errors": {"type": "array", "items": {"type": "object", "required": ["path", "message"],
                                                         "properties": {"path": STR, "message": STR}}}},
}


GROUP = {"type": "object", "required": ["demand_quantity", "served_quantity", "coverage"],
         "properties": {"demand_quantity": INT, "served_quantity": INT, "coverage": NUM}}
WHATIF_KPIS = {
    "type": "object",
    "required": ["status", "served_quantity", "demand_quantity", "coverage", "weighted_coverage", "served_value",
                 "total_distance_m", "communities_unserved", "mean_distance_m", "worst_distance_m", "projects",
                 "solve_seconds", "by_category", "by_community"],
    "properties": {"status": {"enum": ["optimal", "feasible", "infeasible", "unknown"]},
                   "served_quantity": INT, "demand_quantity": INT, "coverage": NUM, "weighted_coverage": NUM,
                   "served_value": INT, "total_distance_m": INT, "communities_unserved": INT,
                   "mean_distance_m": NUM, "worst_distance_m": INT, "projects": INT,
                   "solve_seconds": _nullable(NUM),
                   "by_category": {"type": "object", "additionalProperties": GROUP},
                   "by_community": {"type": "object", "additionalProperties": GROUP}},
}
_DIFF_ROW = {"need_id": STR, "resource_id": STR, "community_id": STR, "category": STR, "distance_m": INT,
             "quantity": INT}
_DIFF_ITEM = {"type": "object", "required": list(_DIFF_ROW), "properties": _DIFF_ROW}
_CHANGED_ITEM = {"type": "object", "required": [*_DIFF_ROW, "base_quantity"],
                 "properties": {**_DIFF_ROW, "base_quantity": INT}}
WHATIF_RESULT = {
    "type": "object",
    "description": "What `matcher whatif --json` prints: the first case is the base (label `base`), then one "
                   "case per scenario (label = its name) with its project diff against the base.",
    "required": ["base", "cases"],
    "properties": {
        "base": STR,
        "cases": {"type": "array", "minItems": 2, "items": {
            "type": "object", "required": ["label", "name", "kpis"],
            "properties": {"label": STR, "name": _nullable(STR), "kpis": _ref("WhatIfKpis"),
                           "diff": {"type": "object", "required": ["new", "dropped", "changed"],
                                    "properties": {"new": {"type": "array", "items": _DIFF_ITEM},
                                                   "dropped": {"type": "array", "items": _DIFF_ITEM},
                                                   "changed": {"type": "array", "items": _CHANGED_ITEM}}}}}},
    },
}


def _whatif_schemas() -> dict:
    """Request schemas of POST /whatif; the change operations are ScenarioDoc's own (``Change*``)."""
    from ..whatif.scenario import ScenarioDoc
    from .whatif import MAX_SCENARIOS

    scenario = ScenarioDoc.model_json_schema(ref_template="#/components/schemas/Change{model}")
    defs = {f"Change{k}": v for k, v in scenario.pop("$defs", {}).items()}
    scenario["properties"].pop("base", None)
    scenario["properties"]["name"] = {"type": "string", "minLength": 1, "maxLength": 500,
                                      "description": "label of the scenario in the comparison (unique, not 'base')"}
    scenario["required"] = ["name"]
    scenario["title"] = "WhatIfScenario"
    request = {"type": "object", "title": "WhatIfRequest", "additionalProperties": False,
               "required": ["base", "scenarios"],
               "properties": {"base": _ref("Round"),
                              "scenarios": {"type": "array", "minItems": 1, "maxItems": MAX_SCENARIOS,
                                            "items": _ref("WhatIfScenario")}}}
    return {**defs, "WhatIfScenario": scenario, "WhatIfRequest": request, "WhatIfKpis": WHATIF_KPIS,
            "WhatIfResult": WHATIF_RESULT}


def _problem(description: str) -> dict:
    return {"description": description, "content": {PROBLEM: {"schema": _ref("Problem")}}}


def _ok(description: str, schema: dict, headers: dict | None = None) -> dict:
    out = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


COMMON = {"401": _problem("missing or invalid bearer token")}
ROUND_ID = {"name": "round_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
            "description": "Round id as returned by POST /rounds"}
LOCATION = {"Location": {"description": "URL of the round", "schema": {"type": "string"}}}


def _items(schema: dict) -> dict:
    return {"type": "object", "required": ["round_id", "status", "count", "items"],
            "properties": {"round_id": STR, "status": _ref("RoundStatus"), "count": INT,
                           "items": {"type": "array", "items": schema}}}


@lru_cache(maxsize=1)
def _document() -> dict:
    round_schema = Round.model_json_schema(ref_template=REF)
    defs = round_schema.pop("$defs", {})
    schemas = {**defs, "Round": round_schema, "Output": OUTPUT, "Project": PROJECT, "Unmet": UNMET,
               "RoundStatus": STATUS, "RoundSummary": SUMMARY, "RoundDetail": DETAIL, "Problem": PROBLEM_SCHEMA,
               **_whatif_schemas()}
    paths = {
        "/api/v1/rounds": {
            "post": {
                "operationId": "createRound", "summary": "Validate, store and solve a round",
                "description": "Small rounds are solved in the request (201, output included); larger ones are "
                               "queued for the background worker (202 + Location). `Prefer: respond-async` "
                               "always queues. With `Idempotency-Key`, repeating the same body returns the "
                               "same round (200); the same key with another body is refused (422).",
                "parameters": [
                    {"name": "Idempotency-Key", "in": "header", "required": False,
                     "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"}},
                    {"name": "Prefer", "in": "header", "required": False,
                     "schema": {"type": "string", "enum": ["respond-async"]}},
                ],
                "requestBody": {"required": True, "content": {JSON: {"schema": _ref("Round")}}},
                "responses": {
                    "200": _ok("the round stored earlier under this Idempotency-Key", _ref("RoundDetail"), LOCATION),
                    "201": _ok("stored and solved in the request", _ref("RoundDetail"), LOCATION),
                    "202": _ok("stored and queued for the background worker", _ref("RoundDetail"), LOCATION),
                    "400": _problem("malformed JSON or bad header"),
                    "413": _problem("request body over the size limit"),
                    "415": _problem("not application/json"),
                    "422": _problem("invalid round (errors lists each field path) or Idempotency-Key reused"),
                    **COMMON,
                },
            },
            "get": {
                "operationId": "listRounds", "summary": "Rounds of the caller's committee, newest first",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                    {"name": "status", "in": "query", "schema": _ref("RoundStatus")},
                ],
                "responses": {
                    "200": _ok("one page", {"type": "object", "required": ["items", "page", "per_page", "total", "next"],
                                            "properties": {"items": {"type": "array", "items": _ref("RoundSummary")},
                                                           "page": INT, "per_page": INT, "total": INT,
                                                           "next": _nullable(STR)}}),
                    "400": _problem("invalid query parameter"), **COMMON,
                },
            },
        },
        "/api/v1/rounds/{round_id}": {
            "parameters": [ROUND_ID],
            "get": {"operationId": "getRound", "summary": "A round with its status history and output document",
                    "responses": {"200": _ok("the round", _ref("RoundDetail")), "404": _problem("no such round"),
                                  **COMMON}},
            "delete": {"operationId": "cancelRound",
                       "summary": "Cancel a queued round, or stop a running solve keeping its best result so far",
                       "responses": {"200": _ok("cancelled", _ref("RoundDetail")),
                                     "202": _ok("stop requested; the worker stops within seconds", _ref("RoundDetail")),
                                     "404": _problem("no such round"),
                                     "409": _problem("round already finished"), **COMMON}},
        },
        "/api/v1/rounds/{round_id}/input": {
            "parameters": [ROUND_ID],
            "get": {"operationId": "getRoundInput", "summary": "The stored input document",
                    "responses": {"200": _ok("the input document", {"type": "object"}),
                                  "404": _problem("no such round"), **COMMON}},
        },
        "/api/v1/rounds/{round_id}/projects": {
            "parameters": [ROUND_ID],
            "get": {"operationId": "listProjects", "summary": "Projects of a round, filterable",
                    "parameters": [{"name": n, "in": "query", "schema": {"type": "string"}}
                                   for n in ("community", "provider", "category", "need", "resource")],
                    "responses": {"200": _ok("matching projects (empty until solved)", _items(_ref("Project"))),
                                  "404": _problem("no such round"), **COMMON}},
        },
        "/api/v1/rounds/{round_id}/unmet": {
            "parameters": [ROUND_ID],
            "get": {"operationId": "listUnmet", "summary": "Needs left short, each with its reason",
                    "responses": {"200": _ok("unmet needs (empty until solved)", _items(_ref("Unmet"))),
                                  "404": _problem("no such round"), **COMMON}},
        },
        "/api/v1/whatif": {
            "post": {
                "operationId": "whatif", "summary": "Compare a base round with scenarios (nothing stored)",
                "description": "Solves the base round and each scenario (the base with the scenario's changes "
                               "applied, as in scenario files: docs/whatif.md) in the request and answers what "
                               "`matcher whatif --json` prints. Each round may have at most `SYNC_MAX_PAIRS` "
                               "candidate pairs (else 422); each solve is limited to `SYNC_BUDGET_S` seconds.",
                "requestBody": {"required": True, "content": {JSON: {"schema": _ref("WhatIfRequest")}}},
                "responses": {
                    "200": _ok("the comparison", _ref("WhatIfResult")),
                    "400": _problem("malformed JSON"),
                    "413": _problem("request body over the size limit"),
                    "415": _problem("not application/json"),
                    "422": _problem("invalid base (paths `base.`), invalid scenario or change (paths "
                                    "`scenarios[i].changes[j]...`), or a round too large for a request"),
                    **COMMON,
                },
            },
        },
        "/healthz": {"get": {"operationId": "healthz", "summary": "Process is up", "security": [],
                             "responses": {"200": _ok("up", {"type": "object", "required": ["status"],
                                                             "properties": {"status": STR}})}}},
        "/readyz": {"get": {"operationId": "readyz", "summary": "Database reachable", "security": [],
                            "responses": {"200": _ok("ready", {"type": "object", "required": ["status"],
                                                               "properties": {"status": STR}}),
                                          "503": _problem("database not reachable")}}},
        "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics", "security": [],
                             "responses": {"200": {"description": "Prometheus text format",
                                                   "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "matcher API", "version": __version__,
                 "description": "Resource lists matched to need lists (三单) as stored, solved rounds. "
                                "Every /api/v1 request needs `Authorization: Bearer <token>` "
                                "(`matcher token create --committee NAME`). Errors are RFC 9457 problem details."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def openapi_document() -> dict:
    return copy.deepcopy(_document())
