"""The typed output document (matcher.results): built by output.py, read back, its JSON Schema."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest

from matcher.errors import InputError
from matcher.jsontext import to_json
from matcher.results import Churn, FairnessOutcome, Result, as_result, output_schema
from matcher.service import solve_round
from matcher.store.models import ProjectRow
from matcher.store.repo import PROJECT_FIELDS

from .builders import make_round, need, resource

DATA = Path(__file__).resolve().parents[1] / "data"
ROUNDS = sorted(p for p in DATA.glob("*.json") if p.name != "expected.json")
DEMO = Path(__file__).resolve().parents[2] / "matcher" / "data" / "demo_round.json"


def _infeasible() -> Result:
    doc = make_round([resource("R0", capacity=1)], [need("N0", quantity=2)], locked=[("N0", "R0", 2)])
    return solve_round(doc, timings=False).result


@pytest.mark.parametrize("path", ROUNDS, ids=lambda p: p.stem)
def test_document_round_trips_through_the_model(path):
    result = solve_round(path.read_bytes(), timings=False)
    assert isinstance(result.result, Result)
    again = Result.model_validate(json.loads(result.json()))
    assert again == result.result
    assert to_json(again) == result.json()


@pytest.mark.parametrize("path", ROUNDS, ids=lambda p: p.stem)
def test_typed_fields_say_what_the_document_says(path):
    result = solve_round(path.read_bytes(), timings=False)
    typed, doc = result.result, result.document
    assert typed.status == doc["status"] and typed.objective.served_value == doc["objective"]["served_value"]
    assert [p.project_id for p in typed.projects] == [p["project_id"] for p in doc["projects"]]
    assert [u.reason for u in typed.unmet] == [u["reason"] for u in doc["unmet"]]
    assert typed.kpis.by_community.keys() == doc["kpis"]["by_community"].keys()
    assert typed.stats.candidate_pairs == doc["stats"]["candidate_pairs"]


def test_a_v1_round_has_no_v1_1_fields():
    doc = solve_round(DEMO.read_bytes(), timings=False).document
    assert list(doc) == ["status", "solver", "objective", "projects", "unmet", "kpis", "stats", "round_sha256"]
    assert list(doc["objective"]) == ["served_value", "total_distance_m", "served_quantity", "bound_served_value"]
    assert all(len(p) == 10 for p in doc["projects"])
    assert list(doc["stats"]) == ["providers", "resources", "needs", "candidate_pairs", "locked_pairs",
                                  "components", "components_flow", "components_cpsat"]


def test_timings_follow_the_sizes_in_stats():
    result = solve_round(DEMO.read_bytes())
    stats = result.document["stats"]
    assert list(stats)[-3:] == ["solve_seconds", "total_seconds", "stage_seconds"]
    assert result.result.stats.total_seconds >= result.result.stats.solve_seconds >= 0
    assert set(result.result.stats.stage_seconds) == {"parse_validate", "candidates", "solve", "verify", "output"}


def test_message_is_written_only_when_there_is_one():
    result = _infeasible()
    assert result.status == "infeasible" and "R0" in result.message
    assert result.document()["message"] == result.message
    assert list(result.document())[:3] == ["status", "solver", "message"]
    result.message = None
    assert "message" not in result.document()


def test_optional_blocks_and_fields_are_written_in_contract_order():
    result = _infeasible()
    result.objective.churn_units = 12
    result.objective.participation_shortfall = 0
    result.fairness = FairnessOutcome(mode="leximin", min_coverage=0.5, binding_communities=["C1"],
                               coverage_by_community={"C1": 0.5}, value_without_fairness=10, price_of_fairness=0.1)
    result.churn = Churn.model_validate({
        "units": 12, "pairs_kept": 40, "added": [{"need_id": "N-9", "resource_id": "R-4", "quantity": 6}],
        "removed": [{"need_id": "N-3", "resource_id": "R-4", "quantity": 6}],
        "changed": [{"need_id": "N-1", "resource_id": "R-1", "previous_quantity": 3, "quantity": 2}]})
    doc = json.loads(to_json(result))
    assert list(doc) == ["status", "solver", "message", "objective", "projects", "unmet", "kpis", "fairness",
                         "churn", "stats", "round_sha256"]
    assert doc["objective"]["churn_units"] == 12 and doc["objective"]["participation_shortfall"] == 0
    assert doc["churn"]["changed"][0]["previous_quantity"] == 3
    assert Result.model_validate(doc) == result


def test_project_fields_of_v1_1_are_omitted_when_absent():
    project = solve_round(DEMO.read_bytes(), timings=False).result.projects[0]
    project.priority, project.effective_priority = 4, 5
    dumped = project.model_dump()
    assert dumped["priority"] == 4 and dumped["effective_priority"] == 5 and "previous_quantity" not in dumped


def test_as_result_names_the_fields_of_a_broken_document():
    doc = solve_round(DEMO.read_bytes(), timings=False).document
    assert as_result(doc) == Result.model_validate(doc)
    broken = json.loads(json.dumps(doc))
    broken["projects"][1]["quantity"] = "many"
    broken["status"] = "done"
    broken["kpis"]["extra"] = 1
    with pytest.raises(InputError) as info:
        as_result(broken, "r.json")
    paths = {p.path for p in info.value.problems}
    assert paths == {"status", "projects[1].quantity", "kpis.extra"}
    assert "r.json" in info.value.title


@pytest.mark.parametrize("path", [DEMO, *ROUNDS], ids=lambda p: p.stem)
def test_schema_accepts_real_documents(path):
    validator = jsonschema_rs.validator_for(output_schema())
    validator.validate(json.loads(solve_round(path.read_bytes()).json()))
    validator.validate(json.loads(solve_round(path.read_bytes(), timings=False).json()))


def test_schema_refuses_null_for_an_omitted_field_and_unknown_fields():
    validator = jsonschema_rs.validator_for(output_schema())
    doc = _infeasible().document()
    assert validator.is_valid(doc)
    assert not validator.is_valid({**doc, "message": None})
    assert not validator.is_valid({**doc, "surprise": 1})
    assert not validator.is_valid({**doc, "status": "done"})
    schema = output_schema()
    assert schema["title"] == "Result"
    assert set(schema["required"]) == {"status", "solver", "objective", "projects", "unmet", "kpis", "stats"}
    assert {"Project", "Unmet", "Objective", "Kpis", "Stats", "FairnessOutcome", "Churn"} <= set(schema["$defs"])


def test_store_keeps_the_fields_every_project_has():
    lifecycle = ("status", "decided_at", "reason")  # the committee cycle's columns (docs/cycle.md, "API")
    columns = [c.name for c in ProjectRow.__table__.columns if c.name not in ("id", "round_id", "approved", *lifecycle)]
    assert list(PROJECT_FIELDS) == columns
