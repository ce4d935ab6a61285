"""Sweep steps equal independent full re-solves."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from matcher.cli import main
from matcher.service import prepare, solve_prepared
from matcher.validation import parse_round
from matcher.whatif import scenario, sweep
from matcher.whatif.scenario import ScenarioError

from .rounds import random_round

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_parse_spec():
    s = sweep.parse_spec("params.max_distance_m=400:2000:200")
    assert s.kind == "distance" and s.values[0] == 400 and s.values[-1] == 2000 and len(s.values) == 9
    s = sweep.parse_spec("capacity.parking=1.0:2.0:0.25")
    assert (s.kind, s.category, s.values) == ("capacity", "parking", (1.0, 1.25, 1.5, 1.75, 2.0))
    assert sweep.parse_spec("demand=0.5,1").values == (0.5, 1.0)
    for bad in ("speed=1:2:1", "capacity=2:1:0.5", "capacity=a:b:c", "capacity", "capacity=0,1"):
        with pytest.raises(ScenarioError):
            sweep.parse_spec(bad)


def same_as_full(rnd, spec, solver=None):
    rows = sweep.run(rnd, spec, solver=solver, timings=False)
    sweeper = sweep.Sweeper(rnd, spec)
    for value, row in zip(spec.values, rows):
        full_prep = prepare(sweep.round_at(rnd, spec, value))
        fast_prep = sweeper.prepared(value)
        for a in ("res", "need", "dist", "lock"):
            assert np.array_equal(getattr(full_prep.pairs, a), getattr(fast_prep.pairs, a)), (value, a)
        full = solve_prepared(full_prep, solver=solver, timings=False)
        assert row == sweep.row_of(spec, value, full), value
        # the step's columns (derived from the base's) give the same tables and round digest as a full prepare
        assert fast_prep.digest() == full_prep.digest(), value
        for name in ("res_cap", "need_qty", "need_weight", "res_max_dist", "need_max_dist"):
            assert np.array_equal(getattr(fast_prep.tables, name), getattr(full_prep.tables, name)), (value, name)
        assert fast_prep.tables.max_distance_m == full_prep.tables.max_distance_m
        assert fast_prep.round == sweep.round_at(rnd, spec, value)
    return rows


def test_distance_sweep_equals_full_resolves_xicheng():
    _, rnd = scenario.load(SCENARIOS / "xicheng_tidal_parking.json")
    rows = same_as_full(rnd, sweep.parse_spec("params.max_distance_m=400:2000:400"))
    cov = [r["served_value"] for r in rows]
    assert cov == sorted(cov)  # a wider circle never serves less


@pytest.mark.parametrize("seed", range(6))
def test_sweeps_equal_full_resolves_random(seed):
    rnd = parse_round(random_round(100 + seed, n_res=7, n_need=9, side_rules=seed % 2 == 1))
    same_as_full(rnd, sweep.parse_spec("params.max_distance_m=300:1800:300"))
    same_as_full(rnd, sweep.parse_spec("capacity.parking=0.5:2.0:0.5"))
    same_as_full(rnd, sweep.parse_spec("demand=1.5,1,0.5"))


def test_warm_started_cpsat_sweep_reaches_the_same_optimum():
    rnd = parse_round(random_round(7, n_res=7, n_need=9, side_rules=True))
    spec = sweep.parse_spec("capacity=1:2:0.5")
    rows = sweep.run(rnd, spec, solver="cpsat", timings=False)
    for value, row in zip(spec.values, rows):
        full = solve_prepared(prepare(sweep.round_at(rnd, spec, value)), solver="auto", timings=False).document
        assert row["status"] == "optimal"
        assert (row["served_value"], row["total_distance_m"]) == (
            full["objective"]["served_value"], full["objective"]["total_distance_m"])


def test_carry_and_feasible():
    rnd = parse_round(random_round(3, n_res=6, n_need=8))
    spec = sweep.parse_spec("params.max_distance_m=500,1400")
    sw = sweep.Sweeper(rnd, spec)
    small, big = sw.prepared(500), sw.prepared(1400)
    res = solve_prepared(small, timings=False)
    guess = sweep.carry(small.pairs, res.solution.x, big.pairs, big.tables.n_need)
    assert guess.sum() == res.solution.x.sum() and big.problem.is_feasible(guess)
    too_much = guess.copy()
    if too_much.size:
        too_much[0] += 10_000
        assert not big.problem.is_feasible(too_much)


def test_cli_sweep_writes_csv_and_png(tmp_path):
    csv_path, png = tmp_path / "s.csv", tmp_path / "s.png"
    r = CliRunner().invoke(main, ["whatif", str(SCENARIOS / "xicheng_tidal_parking.json"),
                                  "--sweep", "capacity.parking=1.0:2.0:0.5", "-o", str(csv_path), "--plot", str(png)])
    assert r.exit_code == 0, r.output
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("capacity_factor[parking],status,served_quantity") and len(lines) == 4
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_overflow_sweep_specs_are_field_errors():
    """Issue 10 item 5 (CLI): huge sweep factors or step counts raised OverflowError."""
    from matcher.whatif.scenario import ScenarioError

    for text, message in [("capacity=1e308", "a factor must be <= 1000000"),
                          ("demand=1:1e308:1e-300", "more than 1000 steps")]:
        with pytest.raises(ScenarioError) as e:
            sweep.parse_spec(text)
        assert e.value.problems[0].path == "--sweep" and message in e.value.problems[0].message


@pytest.mark.parametrize("seed", range(3))
def test_fairness_value_floor_sweep_draws_the_frontier(seed):
    doc = random_round(300 + seed, n_res=6, n_need=9, side_rules=seed == 2)
    doc["params"]["fairness"] = {"group": "community", "mode": "leximin", "min_value_ratio": 1.0}
    rnd = parse_round(doc)
    rows = same_as_full(rnd, sweep.parse_spec("params.fairness.min_value_ratio=0.6:1.0:0.1"))
    floors = [r["min_coverage"] for r in rows]
    values = [r["served_value"] for r in rows]
    assert floors == sorted(floors, reverse=True)  # a higher value floor never raises the lowest coverage
    assert values == sorted(values)
    assert rows[-1]["price_of_fairness"] == 0.0
    assert all(r["status"] == "optimal" for r in rows)


def test_fairness_sweep_needs_a_fairness_level():
    rnd = parse_round(random_round(7))
    with pytest.raises(ScenarioError) as e:
        sweep.run(rnd, sweep.parse_spec("params.fairness.min_value_ratio=0.5,1"))
    assert e.value.problems[0].path == "params.fairness"
    with pytest.raises(ScenarioError):
        sweep.parse_spec("params.fairness.min_value_ratio=0.5:1.5:0.5")


def test_a_sweep_step_skips_only_the_round_digest():
    # the rows never show round_sha256; computing it cost a sixth of a sweep on the M round
    _, rnd = scenario.load(SCENARIOS / "xicheng_tidal_parking.json")
    prep = prepare(rnd)
    full = solve_prepared(prep, timings=False).document
    bare = solve_prepared(prep, timings=False, digest=False).document
    assert full["round_sha256"] == prep.digest() and "round_sha256" not in bare
    assert {k: v for k, v in full.items() if k != "round_sha256"} == bare
