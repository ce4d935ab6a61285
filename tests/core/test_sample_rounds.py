"""The sample rounds of tests/data reproduce their proven optima (tests/data/expected.json)
with every exact solver that can model them, through the service and through the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import main
from matcher.errors import UnsupportedSolverError
from matcher.service import prepare, solve_prepared
from matcher.verify import verify

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SAMPLE_ROUNDS = sorted(p.name for p in DATA_DIR.glob("*.json") if p.name != "expected.json")

_PREPARED: dict = {}


def prepared(name: str):
    if name not in _PREPARED:
        _PREPARED[name] = prepare((DATA_DIR / name).read_bytes(), source=name)
    return _PREPARED[name]


def test_every_sample_has_an_expected_optimum(expected_optima):
    assert SAMPLE_ROUNDS and set(SAMPLE_ROUNDS) == set(expected_optima)


@pytest.mark.parametrize("solver", ["auto", "cpsat", "flow"])
@pytest.mark.parametrize("name", SAMPLE_ROUNDS)
def test_sample_round_optimum(name, solver, expected_optima):
    prep = prepared(name)
    if solver == "flow" and not prep.problem.flow_models():
        with pytest.raises(UnsupportedSolverError):
            solve_prepared(prep, solver="flow", workers=1)
        return
    result = solve_prepared(prep, solver=solver, workers=1, timings=False)
    want = expected_optima[name]
    obj = result.document["objective"]
    assert result.document["status"] == "optimal"
    assert obj["served_value"] == want["served_value"]
    assert obj["total_distance_m"] == want["total_distance_m"]
    on = result.solution.x > 0
    assert verify(prep.tables, prep.pairs.res[on], prep.pairs.need[on], result.solution.x[on],
                  obj["served_value"], obj["total_distance_m"]) == []


@pytest.mark.parametrize("name", SAMPLE_ROUNDS)
def test_sample_round_greedy_is_feasible_and_not_better(name, expected_optima):
    result = solve_prepared(prepared(name), solver="greedy", workers=1)
    obj, want = result.document["objective"], expected_optima[name]
    assert result.document["status"] == "feasible"
    assert (obj["served_value"], -obj["total_distance_m"]) <= (want["served_value"], -want["total_distance_m"])


@pytest.mark.parametrize("name", SAMPLE_ROUNDS)
def test_sample_round_through_the_cli(name, expected_optima, tmp_path):
    out = tmp_path / "result.json"
    run = CliRunner().invoke(main, ["solve", str(DATA_DIR / name), "-o", str(out), "--no-timings", "--workers", "1",
                                    "-q"])
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["status"] == "optimal"
    assert doc["objective"]["served_value"] == expected_optima[name]["served_value"]
    assert doc["objective"]["total_distance_m"] == expected_optima[name]["total_distance_m"]
    assert sum(p["quantity"] * p["distance_m"] for p in doc["projects"]) == doc["objective"]["total_distance_m"]
