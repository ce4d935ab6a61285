"""Comparison: identity, project diffs, monotonicity, the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import main
from matcher.validation import parse_round
from matcher.whatif import compare
from matcher.whatif.scenario import apply_changes, parse_scenario

from .rounds import random_round

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_scenario_against_itself_shows_no_difference():
    path = SCENARIOS / "xicheng_50_more_spaces.json"
    a = compare.load_case(path, timings=False)
    b = compare.load_case(path, timings=False)
    out = compare.compare([a, b])
    assert out["cases"][1]["diff"] == {"new": [], "dropped": [], "changed": []}
    ka, kb = out["cases"][0]["kpis"], out["cases"][1]["kpis"]
    assert ka == kb


def test_project_diff_new_dropped_changed():
    base = {"projects": [
        {"need_id": "N1", "resource_id": "R1", "community_id": "C", "category": "x", "quantity": 3, "distance_m": 10},
        {"need_id": "N2", "resource_id": "R1", "community_id": "C", "category": "x", "quantity": 2, "distance_m": 20}]}
    other = {"projects": [
        {"need_id": "N1", "resource_id": "R1", "community_id": "C", "category": "x", "quantity": 5, "distance_m": 10},
        {"need_id": "N3", "resource_id": "R2", "community_id": "D", "category": "x", "quantity": 1, "distance_m": 30}]}
    d = compare.project_diff(base, other)
    assert [(p["need_id"], p["quantity"]) for p in d["new"]] == [("N3", 1)]
    assert [(p["need_id"], p["quantity"]) for p in d["dropped"]] == [("N2", 2)]
    assert [(p["need_id"], p["base_quantity"], p["quantity"]) for p in d["changed"]] == [("N1", 3, 5)]


@pytest.mark.parametrize("seed", range(12))
def test_capacity_increase_never_lowers_coverage(seed):
    doc = random_round(seed, n_res=6, n_need=9, side_rules=seed % 2 == 1)
    base = compare.solve_case("base", parse_round(doc), timings=False)
    for change in ({"op": "scale_capacity", "factor": 1.5}, {"op": "add_capacity", "resource_id": "R0", "amount": 3}):
        more = apply_changes(doc, parse_scenario({"base": "-", "changes": [change]}).changes)
        case = compare.solve_case("more", parse_round(more), timings=False)
        kb, km = base.result.document, case.result.document
        assert km["objective"]["served_value"] >= kb["objective"]["served_value"]
        assert km["kpis"]["weighted_coverage"] >= kb["kpis"]["weighted_coverage"]


def test_cli_table_and_json(tmp_path):
    runner = CliRunner()
    base = str(SCENARIOS / "xicheng_tidal_parking.json")
    sc = str(SCENARIOS / "xicheng_50_more_spaces.json")
    r = runner.invoke(main, ["whatif", base, sc])
    assert r.exit_code == 0, r.output
    assert "served / demand" in r.output and "xicheng_50_more_spaces.json" in r.output and "new" in r.output
    out = tmp_path / "cmp.json"
    r = runner.invoke(main, ["whatif", base, sc, "--json", "--no-timings", "-o", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["base"] == "xicheng_tidal_parking.json" and len(data["cases"]) == 2
    assert data["cases"][1]["kpis"]["served_quantity"] > data["cases"][0]["kpis"]["served_quantity"]
    assert all(p["resource_id"] == "R-016" for p in data["cases"][1]["diff"]["new"])


def test_cli_refuses_unknown_ids_with_paths(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"base": str(SCENARIOS / "xicheng_tidal_parking.json"), "changes": [
        {"op": "scale_capacity", "category": "parking", "factor": 1.2},
        {"op": "remove", "list": "providers", "id": "U-404"},
        {"op": "add_capacity", "resource_id": "R-999", "amount": 50}]}), encoding="utf-8")
    r = CliRunner().invoke(main, ["whatif", str(SCENARIOS / "xicheng_tidal_parking.json"), str(bad)])
    assert r.exit_code == 2
    assert "changes[1].id: unknown provider 'U-404'" in r.output
    assert "changes[2].resource_id: unknown resource 'R-999'" in r.output


def test_request_path_equals_the_cli_comparison():
    """whatif.run (the API's path) gives what compare.solve_case + compare.compare (the CLI's) give."""
    import copy as _copy

    from matcher.validation import parse_round as _parse
    from matcher.whatif import run
    from matcher.whatif.scenario import apply_changes as _apply
    from matcher.whatif.scenario import parse_scenario as _ps

    from .rounds import random_round

    doc = random_round(7)
    changes = [{"op": "scale_capacity", "factor": 2}, {"op": "add_demand", "need_id": "N0", "amount": 3}]
    got = run.compare_request({"base": _copy.deepcopy(doc), "scenarios": [{"name": "s", "changes": changes}]})
    more = _apply(doc, _ps({"base": "-", "changes": changes}).changes)
    more["name"] = "s"
    from matcher.whatif import compare as _cmp
    want = _cmp.compare([_cmp.solve_case("base", _parse(doc)), _cmp.solve_case("s", _parse(more))])
    for c in got["cases"] + want["cases"]:
        c["kpis"].pop("solve_seconds")
    assert got == want
