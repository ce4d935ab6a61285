"""The OpenAPI 3.1 document of the service, generated from the pydantic models.

Request and response bodies are the models' own JSON Schemas: the round
(matcher.model.Round, exactly what matcher schema prints), the output
document (matcher.results.Result) and the bodies of matcher.web.schemas.
Titles are unique across the document (the what-if change operations are
called ChangeLock, ChangeForbid, ...), descriptions are plain text, and each
operation has an example taken from the demo round.
"""
from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..version import __version__
from ..model import Round
from ..recommend import RecommendState, recommend
from ..results import Result
from ..service import solve_round
from ..validation import parse_round
from ..whatif import compare
from ..whatif.scenario import Change, apply_changes
from . import schemas as S
from .intake import possible_pairs

REF = "#/components/schemas/{model}"
JSON = "application/json"
PROBLEM = "application/problem+json"
BODIES: tuple[tuple[type[BaseModel], str], ...] = (
    (Round, "validation"), (Result, "serialization"), (S.RoundDetail, "serialization"),
    (S.RoundPage, "serialization"), (S.ProjectList, "serialization"), (S.UnmetList, "serialization"),
    (S.ValidationReply, "serialization"), (S.RoundProgress, "serialization"),
    (S.ProblemDetails, "serialization"), (S.Health, "serialization"), (S.WhatIfRequest, "validation"),
    (S.WhatIfReply, "serialization"), (S.ListEntry, "serialization"), (S.ListEntryPage, "serialization"),
    (S.WithdrawRequest, "validation"), (S.FromListsRequest, "validation"), (S.DecisionBatch, "validation"),
    (S.DecisionReply, "serialization"), (S.ProjectEvent, "validation"), (S.CycleProject, "serialization"),
    (S.ProjectPage, "serialization"), (S.AuditEventPage, "serialization"), (S.Figures, "serialization"),
    (S.ListImportReply, "serialization"), (S.BanList, "serialization"), (S.BanLift, "validation"),
    (S.LiftedBan, "serialization"),
    (S.RecommendRequest, "validation"), (S.RecommendAnswer, "serialization"), (S.RecommendApplyRequest, "validation"),
    (S.RecommendApplied, "serialization"))
_MARKUP = [(re.compile(r":[a-z]+:`~?([^`]+)`"), r"\1"), (re.compile(r"``([^`]+)``"), r"\1")]


def plain(text: str) -> str:
    """Docstring markup (double backticks, :class: roles) as plain text."""
    for pattern, repl in _MARKUP:
        text = pattern.sub(repl, text)
    return text


def plain_schema(schema: dict) -> dict:
    """A schema with plain-text descriptions, as the document shows it."""
    return _walk(schema, {})


def _walk(node: Any, renames: dict[str, str]) -> Any:
    """Copy of a schema with refs renamed and descriptions made plain."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                name = v.rsplit("/", 1)[-1]
                v = REF.format(model=renames.get(name, name))
            elif k == "description" and isinstance(v, str):
                v = plain(v)
            else:
                v = _walk(v, renames)
            out[k] = v
        return out
    if isinstance(node, list):
        return [_walk(v, renames) for v in node]
    return node


def _clean_name(key: str, ops: set[str]) -> str:
    """Component name of a schema: the change operations prefixed Change, pydantic's module-qualified
    names (two classes of one name) shortened."""
    module, _, name = key.rpartition("__")
    if name in ops and (not module or module.endswith("whatif__scenario")):
        return "Change" + name
    return name


def components() -> dict[str, dict]:
    """Every schema of the document, by unique name (= title)."""
    _, top = models_json_schema(list(BODIES), ref_template=REF)
    defs = top["$defs"]
    ops = {m.__name__ for m in get_args(get_args(Change)[0])}
    renames = {key: _clean_name(key, ops) for key in defs}
    if len(set(renames.values())) != len(renames):
        raise AssertionError(f"schema names collide: {sorted(renames.values())}")
    out = {}
    for key, schema in defs.items():
        name = renames[key]
        schema = _walk(schema, renames)
        schema["title"] = name
        out[name] = schema
    return dict(sorted(out.items()))


@lru_cache(maxsize=1)
def _demo() -> tuple[dict, Any]:
    """The demo round and its result (solved once, without timings)."""
    demo = json.loads(resources.files("matcher.data").joinpath("demo_round.json").read_text(encoding="utf-8"))
    return demo, solve_round(demo, timings=False)


EXAMPLE_ROUND_ID = "k3J9x2mQvT0bWc7sLr4yZp1a"
EXAMPLE_AT = "2026-12-01T09:30:00.000Z"


@lru_cache(maxsize=1)
def _examples() -> dict[str, Any]:
    """Request and response examples from the demo round."""
    demo, result = _demo()
    output = result.document
    rid = EXAMPLE_ROUND_ID
    url = f"/api/v1/rounds/{rid}"
    at = EXAMPLE_AT
    summary = {"id": rid, "name": demo.get("name"), "status": output["status"], "message": None,
               "created_at": at, "updated_at": at, "finished_at": at, "url": url}
    links = {"projects": f"{url}/projects", "unmet": f"{url}/unmet", "input": f"{url}/input", "events": f"{url}/events"}
    detail = {**summary, "started_at": at, "attempts": 1, "cancel_requested": False, "progress": None,
              "history": [{"status": "queued", "at": at, "message": None},
                          {"status": output["status"], "at": at, "message": None}],
              "timings": {"stage_seconds": None, "queued_seconds": 0.0}, "output": output, "links": links}
    progress = {"stage": "LP dive", "elapsed_s": 21.4, "best_value": 224961, "bound": 225670, "parts_done": 0,
                "parts_total": 1}
    running = {**summary, "status": "running", "finished_at": None, "started_at": at, "attempts": 1,
               "cancel_requested": False, "progress": progress,
               "history": [{"status": "queued", "at": at, "message": None},
                           {"status": "running", "at": at, "message": "attempt 1 by worker w-3f9c0d2e5a7b1c4d"}],
               "timings": None, "output": None, "links": links}
    valid = {"valid": True, "name": demo.get("name"), "providers": len(demo["providers"]),
             "resources": len(demo["resources"]), "needs": len(demo["needs"]),
             "possible_pairs": possible_pairs(result.prepared.round),
             "solved_in_request": True, "queue_reason": None}
    projects = [{**p, "approved": False} for p in output["projects"][:3]]
    scenario = {"name": "more parking", "changes": [{"op": "scale_capacity", "category": "parking", "factor": 1.5}]}
    changed = parse_round({**apply_changes(demo, S.WhatIfScenario.model_validate(scenario).changes),
                           "name": scenario["name"]})
    reply = compare.compare([compare.Case("base", result.prepared.round, result),
                             compare.solve_case(scenario["name"], changed, timings=False)])
    return {
        "round": demo, "detail": detail, "running": running, "valid": valid, "progress": progress,
        "page": {"items": [summary], "page": 1, "per_page": 20, "total": 1, "next": None},
        "projects": {"round_id": rid, "status": output["status"], "count": len(projects), "items": projects},
        "unmet": {"round_id": rid, "status": output["status"], "count": len(output["unmet"][:3]),
                  "items": output["unmet"][:3]},
        "whatif": {"base": demo, "scenarios": [scenario]}, "reply": reply,
        "invalid": {"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
                    "detail": "invalid round: 1 problem(s) in the round document",
                    "errors": [{"path": "needs[3].quantity", "message": "must be >= 1"}]},
        "too_many": TOO_MANY, **_ban_examples(rid, at),
    }


def _ban_examples(rid: str, at: str) -> dict:
    ban = {"need_id": "N017", "resource_id": "R004", "project_id": f"{rid}.P-0007", "round_id": rid,
           "rejected_at": at, "reason": "the owner needs the space on weekdays"}
    note = "the owner agreed to evenings"
    return {"bans": {"count": 1, "items": [ban]},
            "lift": {"need_id": ban["need_id"], "resource_id": ban["resource_id"], "note": note},
            "lifted": {**ban, "lifted_at": "2026-12-15T10:00:00.000000Z", "note": note}}


def _ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def _problem(description: str, example: str = "invalid", headers: dict | None = None) -> dict:
    out = {"description": description,
           "content": {PROBLEM: {"schema": _ref("ProblemDetails"), "example": _examples()[example]}}}
    if headers:
        out["headers"] = headers
    return out


RETRY_AFTER = {"Retry-After": {"description": "seconds until the address may try again",
                               "schema": {"type": "integer", "minimum": 1}}}
TOO_MANY = {"type": "about:blank", "title": "Too Many Requests", "status": 429,
            "detail": "too many failed authentications from this address; try again in 42 s"}


def _ok(description: str, model: str, example: Any = None, headers: dict | None = None) -> dict:
    media: dict[str, Any] = {"schema": _ref(model)}
    if example is not None:
        media["example"] = example
    out: dict[str, Any] = {"description": description, "content": {JSON: media}}
    if headers:
        out["headers"] = headers
    return out


def _op(op_id: str, tag: str, summary: str, description: str, responses: dict, **extra) -> dict:
    unauthorized = {} if extra.get("security") == [] else {
        "401": _problem("missing, wrong, expired or revoked bearer token"),
        "429": _problem("too many failed authentications from this address (MATCHER_AUTH_FAILURE_LIMIT per "
                        "MATCHER_AUTH_FAILURE_WINDOW_S); every request from it is refused until Retry-After "
                        "seconds have passed", "too_many", RETRY_AFTER)}
    return {"operationId": op_id, "tags": [tag], "summary": summary, "description": description, **extra,
            "responses": {**responses, **unauthorized}}


ROUND_ID = {"name": "round_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
            "description": "Round id as returned by POST /api/v1/rounds", "example": "k3J9x2mQvT0bWc7sLr4yZp1a"}
LOCATION = {"Location": {"description": "URL of the round", "schema": {"type": "string"}}}


def _round_paths(ex: dict) -> dict:
    created = "Small rounds are solved in the request (201, output included); larger ones are queued for the " \
              "background worker (202 and Location). Prefer: respond-async always queues. With an " \
              "Idempotency-Key, repeating the same body returns the same round (200); the same key with " \
              "another body is refused (422). With " \
              '{"from_lists": true, "params": {...}} the round document is built from the committee\'s active ' \
              "lists and its history (docs/cycle.md) and stored as solved (that body: schema FromListsRequest)."
    headers = [
        {"name": "Idempotency-Key", "in": "header", "required": False,
         "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"}},
        {"name": "Prefer", "in": "header", "required": False, "schema": {"type": "string", "enum": ["respond-async"]}},
    ]
    headers.append({"name": "validate_only", "in": "query", "required": False, "schema": {"type": "boolean"},
                    "description": "true: only check the round (200 ValidationReply, or 422 with every field "
                                   "problem); nothing is stored or solved"})
    created += " With ?validate_only=true the round is only checked: 200 with a ValidationReply, nothing stored."
    replies = {"oneOf": [_ref("RoundDetail"), _ref("ValidationReply")]}
    create = _op("createRound", "rounds", "Validate, store and solve a round", created, {
        "200": {"description": "the round stored earlier under this Idempotency-Key (RoundDetail), or with "
                               "validate_only=true the checks passed (ValidationReply)",
                "headers": LOCATION, "content": {JSON: {"schema": replies, "example": ex["valid"]}}},
        "201": _ok("stored and solved in the request", "RoundDetail", ex["detail"], LOCATION),
        "202": _ok("stored and queued for the background worker", "RoundDetail", None, LOCATION),
        "400": _problem("malformed JSON or bad header"),
        "413": _problem("request body over the size limit"),
        "415": _problem("not application/json"),
        "422": _problem("invalid round (errors lists each field path) or Idempotency-Key reused"),
        "503": _problem("storage unavailable (disk full, read-only database): nothing stored"),
    }, parameters=headers,
        requestBody={"required": True, "content": {JSON: {"schema": _ref("Round"), "example": ex["round"]}}})
    listing = _op("listRounds", "rounds", "List the rounds of the caller's committee",
                  "Rounds of the committee of the bearer token, newest first, one page at a time; "
                  "next is the URL of the following page.", {
                      "200": _ok("one page", "RoundPage", ex["page"]), "400": _problem("invalid query parameter")},
                  parameters=[
                      {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}},
                      {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                      {"name": "status", "in": "query", "schema": _ref("RoundStatus")}])
    get = _op("getRound", "rounds", "Get a round", "A round with its status history and, once solved, its "
              "output document; while a worker solves it, progress shows the stage, the elapsed time and the best "
              "value and bound found so far. Another committee's round answers 404 like a missing one.",
              {"200": _ok("the round (the example: running, with its progress; a solved one is createRound's)",
                          "RoundDetail", ex["running"]), "404": _problem("no such round")})
    cancel = _op("cancelRound", "rounds", "Cancel a round", "Cancels a queued round, or asks the worker to stop "
                 "a running solve: every solver stage polls the stop flag, the round turns cancelled within about "
                 "a second, and its best result so far is attached (output, projects) a moment later.", {
                     "200": _ok("cancelled", "RoundDetail"),
                     "202": _ok("stop requested; the round turns cancelled within about a second", "RoundDetail"),
                     "404": _problem("no such round"), "409": _problem("round already finished")})
    return {"/api/v1/rounds": {"post": create, "get": listing},
            "/api/v1/rounds/{round_id}": {"parameters": [ROUND_ID], "get": get, "delete": cancel},
            **_stream_paths(ex)}


def _stream_paths(ex: dict) -> dict:
    events = _op("streamRoundEvents", "rounds", "Follow a round (server-sent events)",
                 "text/event-stream: a status event at once and at each change of status, a progress event (as in "
                 "RoundDetail.progress) at each change of the figures, a comment line every 10 s, and an end event "
                 "once the round has settled (final status, best result stored). A stream lasts at most "
                 "EVENTS_MAX_S seconds and then sends a reconnect event (EventSource reconnects by itself); each web "
                 "process serves at most EVENTS_MAX_STREAMS streams (503 beyond).", {
                     "200": {"description": "the event stream", "content": {"text/event-stream": {
                         "schema": {"type": "string"},
                         "example": 'retry: 2000\n\nevent: status\ndata: {"status": "running", "message": null, '
                                    '"finished_at": null}\n\nevent: progress\ndata: '
                                    + json.dumps(ex["progress"]) + "\n\n"}}},
                     "404": _problem("no such round"), "503": _problem("too many event streams open")})
    demo = _op("getDemoRound", "rounds", "Get the demo round", "The bundled demo round document (西城 tidal "
               "parking, what matcher demo solves), ready to post to /api/v1/rounds.",
               {"200": {"description": "the demo round",
                        "content": {JSON: {"schema": _ref("Round"), "example": ex["round"]}}}})
    return {"/api/v1/rounds/{round_id}/events": {"parameters": [ROUND_ID], "get": events},
            "/api/v1/demo-round": {"get": demo}}


def _part_paths(ex: dict) -> dict:
    filters = [{"name": n, "in": "query", "schema": {"type": "string"}, "description": f"only this {n} id"
                if n != "category" else "only this category"}
               for n in ("community", "provider", "category", "need", "resource")]
    round_input = _op("getRoundInput", "rounds", "Get a round's input", "The round document as it was received.",
                      {"200": {"description": "the input document",
                               "content": {JSON: {"schema": _ref("Round"), "example": ex["round"]}}},
                       "404": _problem("no such round")})
    projects = _op("listProjects", "results", "List a round's projects", "The projects of a solved round "
                   "(empty until solved), filtered by community, provider, category, need or resource.",
                   {"200": _ok("matching projects", "ProjectList", ex["projects"]), "404": _problem("no such round")},
                   parameters=filters)
    unmet = _op("listUnmet", "results", "List a round's unmet needs", "Needs left short, each with the "
                "quantity missing and its reason (empty until solved).",
                {"200": _ok("unmet needs", "UnmetList", ex["unmet"]), "404": _problem("no such round")})
    return {"/api/v1/rounds/{round_id}/input": {"parameters": [ROUND_ID], "get": round_input},
            "/api/v1/rounds/{round_id}/projects": {"parameters": [ROUND_ID], "get": projects},
            "/api/v1/rounds/{round_id}/unmet": {"parameters": [ROUND_ID], "get": unmet}}


def _whatif_path(ex: dict) -> dict:
    whatif = _op("whatif", "what-if", "Compare a base round with scenarios",
                 "Solves the base round and each scenario (the base with the scenario's changes applied, as in "
                 "scenario files, docs/whatif.md) in the request, stores nothing, and answers what matcher whatif "
                 "--json prints. Each round may have at most SYNC_MAX_PAIRS candidate pairs (else 422); each "
                 "solve is limited to SYNC_BUDGET_S seconds.", {
                     "200": _ok("the comparison", "WhatIfReply", ex["reply"]),
                     "400": _problem("malformed JSON"),
                     "413": _problem("request body over the size limit"),
                     "415": _problem("not application/json"),
                     "422": _problem("invalid base (paths base.), invalid scenario or change (paths "
                                     "scenarios[i].changes[j]), or a round too large for a request")},
                 requestBody={"required": True,
                              "content": {JSON: {"schema": _ref("WhatIfRequest"), "example": ex["whatif"]}}})
    return {"/api/v1/whatif": {"post": whatif}}


def _ops_paths() -> dict:
    def health(op_id: str, summary: str, description: str, example: str, extra: dict) -> dict:
        return {"get": _op(op_id, "operations", summary, description,
                           {"200": _ok(example, "Health", {"status": example}), **extra}, security=[])}

    metrics = _op("metrics", "operations", "Prometheus metrics", "Request counts and latencies in the "
                  "Prometheus text format, for the bearer of MATCHER_METRICS_TOKEN only (not a committee's "
                  "token); its wrong tokens count towards the failed-authentication limit.",
                  {"200": {"description": "Prometheus text format", "content": {
                      "text/plain": {"schema": {"type": "string"}, "example": "# HELP matcher_requests_total"}}},
                   "403": _problem("metrics are off: MATCHER_METRICS_TOKEN is not set")},
                  security=[{"metricsBearer": []}])
    return {"/healthz": health("healthz", "Liveness", "The process is up.", "ok", {}),
            "/readyz": health("readyz", "Readiness", "The database is reachable.", "ready",
                              {"503": _problem("database not reachable")}),
            "/metrics": {"get": metrics}}


def _body(model: str, required: bool = True) -> dict:
    return {"required": required, "content": {JSON: {"schema": _ref(model)}}}


def _json_errors(what: str) -> dict:
    return {"400": _problem("malformed JSON or bad query parameter"), "413": _problem("request body over the "
            "size limit"), "415": _problem("not application/json"), "422": _problem(what)}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "schema": schema or {"type": "string"}, "description": description}


PAGING = [_query("page", "page number", {"type": "integer", "minimum": 1, "maximum": 1000000}),
          _query("per_page", "items per page", {"type": "integer", "minimum": 1, "maximum": 100})]
LIST = {"name": "list_name", "in": "path", "required": True, "description": "which list",
        "schema": {"type": "string", "enum": ["communities", "providers", "resources", "needs"]}}
ENTRY_ID = {"name": "entry_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
            "description": "the entry's id in its list"}
PROJECT_ID = {"name": "project_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
              "description": "the project's id across rounds: ROUND_ID.P-0001"}
PERIOD = [_query("from", "start, ISO 8601 (UTC when no offset)"), _query("to", "end (excluded), ISO 8601")]


def _list_paths() -> dict:
    invalid = "invalid entry (errors lists each field path), or a provider_id / community_id not in the lists"
    listing = _op("listEntries", "lists", "List a list's entries", "Entries of one of the committee's lists "
                  "in id order, one page at a time, filtered by status, category or community.",
                  {"200": _ok("one page", "ListEntryPage"), "400": _problem("invalid query parameter"),
                   "404": _problem("no such list")},
                  parameters=[*PAGING, _query("status", "only active or withdrawn entries", _ref("EntryStatus")),
                              _query("category", "only this category"), _query("community", "only this community")])
    create = _op("createEntry", "lists", "Add an entry to a list", "The entry is validated with the round "
                 "contract's rules for its kind and recorded as a KIND.created audit event.",
                 {"201": _ok("added", "ListEntry"), "404": _problem("no such list"),
                  "409": _problem("an entry with this id is already in the list"), **_json_errors(invalid)},
                 requestBody={"required": True, "content": {JSON: {"schema": {"type": "object"}}}})
    get = _op("getEntry", "lists", "Get an entry", "One entry with its status and timestamps.",
              {"200": _ok("the entry", "ListEntry"), "404": _problem("no such entry")})
    change = _op("changeEntry", "lists", "Change an entry", "The fields given replace the stored ones (null "
                 "removes one); id and status stay. Recorded as a KIND.changed event.",
                 {"200": _ok("changed", "ListEntry"), "404": _problem("no such entry"), **_json_errors(invalid)},
                 requestBody={"required": True, "content": {JSON: {"schema": {"type": "object"}}}})
    withdraw = _op("withdrawEntry", "lists", "Withdraw an entry", "Marks the entry withdrawn: kept for history, "
                   "never in a new round. Recorded as a KIND.withdrawn event.",
                   {"200": _ok("withdrawn", "ListEntry"), "404": _problem("no such entry"),
                    "409": _problem("already withdrawn"), **_json_errors("invalid note")},
                   requestBody=_body("WithdrawRequest", False))
    one = "/api/v1/lists/{list_name}/{entry_id}"
    return {"/api/v1/lists/{list_name}": {"parameters": [LIST], "get": listing, "post": create},
            one: {"parameters": [LIST, ENTRY_ID], "get": get, "patch": change},
            one + "/withdraw": {"parameters": [LIST, ENTRY_ID], "post": withdraw}}


IMPORT_EXAMPLE = {
    "kinds": ["needs"], "unchanged": 3, "errors": [], "notes": [], "applied": False,
    "added": [{"kind": "need", "id": "N-006", "sheet": "需求清单.csv", "row": 7, "entry": {
        "id": "N-006", "community_id": "C-LZY", "category": "课后托管", "quantity": 4, "lat": 39.908, "lon": 116.3475}}],
    "changed": [{"kind": "need", "id": "N-001", "sheet": "需求清单.csv", "row": 2,
                 "fields": [{"field": "quantity", "before": 150, "after": 160}]}],
    "withdrawn": [{"kind": "need", "id": "N-005", "entry": {
        "id": "N-005", "community_id": "C-XJK", "category": "技能服务", "quantity": 1, "lat": 39.94, "lon": 116.34}}],
    "digest": "9f2c64a1d3b5e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
}


def _import_path() -> dict:
    binary = {"type": "string", "format": "binary"}
    form = {"type": "object", "required": ["file"], "properties": {"file": {
        **binary, "description": "an .xlsx workbook (sheets 社区, 提供方, 资源清单, 需求清单) or a .csv file"}}}
    flags = [_query("apply", "false: preview only; true: apply all of it or nothing",
                    {"type": "boolean", "default": False}),
             _query("expect", "with apply=true: the preview's digest; 409 when the lists changed since",
                    {"type": "string", "pattern": "^[0-9a-f]{64}$"})]
    op = _op("importLists", "lists", "Import the lists from an Excel or CSV file (preview, then apply)",
             "Compares the file's lists with the stored ones: entries to add, to change (field by field) and to "
             "withdraw (active entries of a list the file holds that the file leaves out; lists the file does "
             "not hold stay as they are), and how many are unchanged. With apply=true every change is written "
             "with its audit event in one transaction. A file with any bad row answers 422 naming each (sheet, "
             "row, id, column) and changes nothing. The file is the form field file of a multipart body, or "
             "the raw body with Content-Type application/octet-stream, text/csv or "
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (a raw body has no file name: "
             "a CSV file's list is told by its header row).",
             {"200": _ok("what the import would do (applied false) or did (applied true)", "ListImportReply",
                         IMPORT_EXAMPLE),
              "400": _problem("bad query parameter or no form field file"),
              "409": _problem("apply with expect: the lists changed since that preview; nothing changed"),
              "413": _problem("request body over the size limit"),
              "415": _problem("neither multipart/form-data nor a CSV / .xlsx body"),
              "422": _problem("a file that cannot be read or with bad rows (each sheet, row and column)")},
             parameters=flags, requestBody={"required": True, "content": {
                 "multipart/form-data": {"schema": form}, "application/octet-stream": {"schema": binary}}})
    return {"/api/v1/lists/import": {"post": op}}


def _cycle_paths() -> dict:
    decide = _op("decideProjects", "cycle", "Decide on a round's projects", "A batch of decisions (approved, "
                 "rejected with a reason, held) applied all together or not at all; each is a "
                 "project.transition audit event.",
                 {"200": _ok("decided", "DecisionReply"), "404": _problem("no such round or project"),
                  "409": _problem("a transition not in the lifecycle table (each named)"),
                  **_json_errors("malformed decisions (each field path)")}, requestBody=_body("DecisionBatch"))
    event = _op("recordProjectEvent", "cycle", "Record what happened to a project", "in_service, cancelled, "
                "done, failed, or the resident's feedback (resolved); resolved false reopens the project and puts "
                "its units back in the lists as a need.",
                {"200": _ok("recorded", "CycleProject"), "404": _problem("no such project"),
                 "409": _problem("a transition not in the lifecycle table"), **_json_errors("malformed event")},
                requestBody=_body("ProjectEvent"))
    get = _op("getProject", "cycle", "Get a project", "A project with its lifecycle status.",
              {"200": _ok("the project", "CycleProject"), "404": _problem("no such project")})
    projects = _op("listCycleProjects", "cycle", "List the committee's projects", "Projects across rounds, "
                   "filtered by status, community, provider or round.",
                   {"200": _ok("one page", "ProjectPage"), "400": _problem("invalid query parameter")},
                   parameters=[*PAGING, _query("status", "only this status", _ref("ProjectStatus")),
                               *(_query(n, f"only this {n} id") for n in ("community", "provider", "round"))])
    events = _op("listEvents", "cycle", "Read the audit log", "The committee's hash-chained events in seq "
                 "order, filtered by kind, subject, actor and time.",
                 {"200": _ok("one page", "AuditEventPage"), "400": _problem("invalid query parameter")},
                 parameters=[*PAGING, *(_query(n, f"only this {n}") for n in ("kind", "subject", "actor")), *PERIOD])
    figures = _op("getFigures", "cycle", "Figures across rounds", "Coverage, response time, approval, "
                  "completion, failure, satisfaction and reopen rates over a period, recomputed from the audit "
                  "log, and the members' projects this year against min_projects_year.",
                  {"200": _ok("the figures", "Figures"), "400": _problem("invalid query parameter")},
                  parameters=[*PERIOD, _query("by", "group by", {"type": "string", "enum": ["community", "provider"]})])
    return {"/api/v1/rounds/{round_id}/decisions": {"parameters": [ROUND_ID], "post": decide},
            "/api/v1/projects": {"get": projects},
            "/api/v1/projects/{project_id}": {"parameters": [PROJECT_ID], "get": get},
            "/api/v1/projects/{project_id}/events": {"parameters": [PROJECT_ID], "post": event},
            "/api/v1/events": {"get": events}, "/api/v1/figures": {"get": figures}}


def _ban_paths(ex: dict) -> dict:
    listing = _op("listBans", "cycle", "List the committee's bans", "Pairs whose last decision is rejected and "
                  "that were not lifted since: exactly what the next round built from the lists forbids. Each "
                  "names the rejected project, its round, when and why.",
                  {"200": _ok("the bans", "BanList", ex["bans"])})
    lift = _op("liftBan", "cycle", "Lift a ban", "The committee lifts its ban on a pair (a ban.lifted audit "
               "event); the next round built from the lists may pair them again, until a new rejection. "
               "A pair that is not banned, or another committee's, answers 404.",
               {"200": _ok("lifted", "LiftedBan", ex["lifted"]), "404": _problem("no such ban"),
                **_json_errors("malformed body (each field path)")},
               requestBody={"required": True, "content": {JSON: {"schema": _ref("BanLift"), "example": ex["lift"]}}})
    return {"/api/v1/bans": {"get": listing}, "/api/v1/bans/lift": {"post": lift}}


@lru_cache(maxsize=1)
def _recommend_examples() -> dict[str, Any]:
    """A new need next to the demo round's first one: the recommend request and answer, and an applied option."""
    demo, result = _demo()
    need = {**demo["needs"][0], "id": "N-NEW", "name": "微心愿: 周末停车 2 位", "quantity": 2}
    state = RecommendState.from_result(result.prepared, result)
    answer = {"round_id": EXAMPLE_ROUND_ID, **recommend(state, need, 3)}
    option = answer["options"][0]
    choice = {"round_id": EXAMPLE_ROUND_ID, "kind": "need", "need_id": "N-NEW", "resource_id": option["resource_id"],
              "provider_id": option["provider_id"], "quantity": option["quantity"],
              "delta_value": option["delta_served_value"], "delta_distance": option["delta_total_distance_m"],
              "exact": option["exact"], "rank": 1}
    event = {"seq": 58, "at": "2026-12-01T09:31:00.000000Z", "actor": "王主任", "committee": "9f2c4e1ab3d05e67",
             "kind": "recommend.applied", "subject": "N-NEW", "before": None, "after": choice, "note": "电话确认",
             "prev_hash": "3" * 64, "hash": "7" * 64}
    entry = {**need, "status": "active", "created_at": EXAMPLE_AT, "updated_at": EXAMPLE_AT, "origin_project_id": None}
    return {"ask": {"need": need, "k": 3}, "answer": answer,
            "apply": {"need": need, "option": 1, "k": 3, "note": "电话确认"},
            "applied": {"round_id": EXAMPLE_ROUND_ID, "kind": "need", "need": entry, "option": option, "event": event}}


def _recommend_paths() -> dict:
    ex = _recommend_examples()
    bad = "malformed request (errors lists each field path: need.quantity, k, option, note), a new id already " \
          "in the round, or a reference the round does not know"
    ask = _op("recommendForRound", "recommend", "Best fits for one new need (or resource)",
              "Against the stored round, solved to optimal: the k best ways to serve the new need (or to use the new "
              "resource), each with its resource and provider, quantity, distance, the change in served value and "
              "in total distance if it were added and the round re-optimised, and the displacement chain; best is "
              "the round plus the item with all its pairs (what a full re-solve gives); unmet carries the reason a "
              "solve would give. Stores nothing. The round's state is loaded once per process and kept "
              "(RECOMMEND_CACHE rounds); later calls take milliseconds. Same answer as matcher recommend --json.",
              {"200": _ok("the options", "RecommendAnswer", ex["answer"]), "404": _problem("no such round"),
               "409": _problem("the round is not solved yet or not optimal (its status is named)"),
               **_json_errors(bad)},
              requestBody={"required": True, "content": {JSON: {"schema": _ref("RecommendRequest"),
                                                                "example": ex["ask"]}}})
    apply = _op("applyRecommendation", "recommend", "Apply one option: add the need to the lists",
                "Checks the chosen option again against the round (same engine; a rank as in the answer to the same "
                "k), adds the new need (or resource) to the committee's lists (a need.created event; its "
                "community_id, or a resource's provider_id, must name an entry of the lists) and records the choice "
                "as a recommend.applied event, both in one transaction. The solved round is never changed.",
                {"201": _ok("added and recorded", "RecommendApplied", ex["applied"],
                            {"Location": {"description": "URL of the new list entry", "schema": {"type": "string"}}}),
                 "404": _problem("no such round"),
                 "409": _problem("the round is not optimal, or an entry with this id is already in the lists"),
                 **_json_errors(bad + "; an option rank that does not exist; a community or provider not in "
                                      "the lists")},
                requestBody={"required": True, "content": {JSON: {"schema": _ref("RecommendApplyRequest"),
                                                                  "example": ex["apply"]}}})
    return {"/api/v1/rounds/{round_id}/recommend": {"parameters": [ROUND_ID], "post": ask},
            "/api/v1/rounds/{round_id}/recommend/apply": {"parameters": [ROUND_ID], "post": apply}}


@lru_cache(maxsize=1)
def _document() -> dict:
    ex = _examples()
    return {
        "openapi": "3.1.0",
        "info": {"title": "matcher API", "version": __version__,
                 "description": "Resource lists matched to need lists (三单) as stored, solved rounds. "
                                "Every /api/v1 request needs Authorization: Bearer <token> "
                                "(matcher token create --committee NAME); an expired or revoked token answers "
                                "401 like a wrong one, and an address with too many failed authentications "
                                "gets 429 with Retry-After. Errors are RFC 9457 problem details."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": [{"name": "rounds", "description": "Store, solve, read and cancel rounds"},
                 {"name": "results", "description": "Projects and unmet needs of a solved round"},
                 {"name": "what-if", "description": "Compare scenarios without storing anything"},
                 {"name": "operations", "description": "Health, readiness and metrics"},
                 {"name": "lists", "description": "The committee's lists between rounds"},
                 {"name": "cycle", "description": "Decisions, the project lifecycle, bans, the audit log, figures"},
                 {"name": "recommend", "description": "Best fits for one new need against a solved round"}],
        "paths": {**_round_paths(ex), **_part_paths(ex), **_whatif_path(ex), **_ops_paths(), **_list_paths(),
                  **_import_path(), **_cycle_paths(), **_ban_paths(ex), **_recommend_paths()},
        "components": {"schemas": components(),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                           "metricsBearer": {"type": "http", "scheme": "bearer",
                                                             "description": "MATCHER_METRICS_TOKEN"}}},
    }


def openapi_document() -> dict:
    return copy.deepcopy(_document())
