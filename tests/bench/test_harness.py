"""The benchmark harness: `--check` keeps every contender honest; a small full run writes RESULTS.md."""
from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import contenders, run


@pytest.mark.slow
def test_check_mode_passes():
    """S and M: every exact contender reaches matcher's optimum on both bases (what .ci/run relies on)."""
    assert run.main(["--check"]) == 0


@pytest.mark.slow
def test_harness_size_s_interleaved(tmp_path):
    assert run.main(["--size", "S", "--repeat", "2", "--out-dir", str(tmp_path), "--timeout", "300"]) == 0
    res = json.loads((tmp_path / "results" / "S.json").read_text())
    assert res["harness"] == run.HARNESS and res["pairs"] > 0
    for basis in ("ready", "whole"):
        runs = res[basis]["runs"]
        assert set(runs) >= {"matcher", *contenders.BASELINES}
        assert all(len(r) == 2 for r in runs.values())
        assert len(res[basis]["load_before"]) == 3 and len(res[basis]["load_after"]) == 3
        for name, rs in runs.items():
            assert all(r["wall_seconds"] > 0 and r["cpu_seconds"] >= 0 for r in rs), name
    whole = res["whole"]["runs"]
    assert all(r["max_rss_mb"] > 0 for rs in whole.values() for r in rs)
    # a baseline's whole process includes its own build and solve from the ready arrays
    assert all(r["wall_seconds"] > r["inside_wall_seconds"] for r in whole["flow"])
    s = res["summary"]
    assert s["ready"]["flow"]["same_optimum"] and s["whole"]["highs"]["same_optimum"]
    assert s["matcher_whole_x_flow_ready"]["wall"]["median"] > 0
    text = (tmp_path / "RESULTS.md").read_text()
    assert "## S:" in text and "Basis: ready arrays" in text and "Basis: whole process" in text
    assert "load average" in text and "## Targets of issue 14" in text


def _run(value, dist, status="optimal", **kw):
    return {"served_value": value, "total_distance_m": dist, "status": status, "wall_seconds": 1.0,
            "cpu_seconds": 1.0, "feasible": True, **kw}


def test_check_flags_a_different_optimum_an_error_and_a_greedy_above_the_optimum():
    res = {"size": "X", "ready": {"runs": {"matcher": [_run(10, 5)], "flow": [_run(10, 5)], "highs": [_run(10, 6)],
                                           "greedy": [_run(11, 1, "feasible")]}},
           "whole": {"runs": {"matcher": [_run(10, 5)], "cbc": [{"error": "boom", "wall_seconds": 1.0}],
                              "flow": [_run(10, 5, feasible=False)]}}}
    problems = run.check_problems(res)
    assert len(problems) == 4
    assert any("ready highs" in p for p in problems) and any("ready greedy" in p for p in problems)
    assert any("whole cbc: boom" in p for p in problems) and any("whole flow: infeasible" in p for p in problems)
    good = {"size": "X", "ready": {"runs": {"matcher": [_run(10, 5)], "flow": [_run(10, 5)],
                                            "greedy": [_run(9, 1, "feasible")]}}}
    assert run.check_problems(good) == []


def test_ratios_are_per_round_medians_with_their_range():
    num = [{"wall_seconds": t} for t in (2.0, 3.0, 10.0)]
    den = [{"wall_seconds": t} for t in (1.0, 1.0, 2.0)]
    assert run._ratios(num, den, "wall_seconds", "wall_seconds") == {"median": 3.0, "min": 2.0, "max": 5.0}
    assert run._ratios(num[:1] + [{"error": "x"}], den[:2], "wall_seconds", "wall_seconds")["max"] == 2.0


def test_baselines_agree_with_a_brute_force_optimum():
    """A tiny round where the lexicographic optimum is known by enumeration."""
    a = {"cap": np.array([2, 1]), "qty": np.array([1, 2]), "weight": np.array([3, 1]),
         "res": np.array([0, 0, 1]), "need": np.array([0, 1, 0]), "dist": np.array([50, 10, 5])}
    best = None
    for x in np.ndindex(2, 3, 2):
        o = contenders.objective(a, x)
        if o["feasible"] and (best is None or (-o["served_value"], o["total_distance_m"]) < best[0]):
            best = ((-o["served_value"], o["total_distance_m"]), o)
    for name in ("flow", "flow_mono", "highs", "cbc"):
        x, info = contenders.SOLVE[name](a, 30.0)
        o = contenders.objective(a, x)
        assert info["status"] == "optimal" and o == best[1], name
    g = contenders.objective(a, contenders.greedy(a, 30.0)[0])
    assert g["feasible"] and g["served_value"] <= best[1]["served_value"]


@pytest.mark.slow
def test_latency_smoke_run_answers_the_optimum_and_picks_up_queued_rounds():
    """``--latency --check``: gunicorn + worker and `matcher serve` on loopback, a few posts (what .ci/run runs)."""
    assert run.main(["--latency", "--check"]) == 0


def test_latency_percentiles_are_nearest_rank_and_targets_name_the_figure():
    from benchmarks import latency

    p = latency.percentiles([float(x) for x in range(1, 101)])
    assert (p["p50"], p["p95"], p["p99"], p["min"], p["max"], p["n"]) == (50.0, 95.0, 99.0, 1.0, 100.0, 100)
    assert latency.percentiles([7.0])["p99"] == 7.0 and latency.percentiles([]) is None
    fast, slow = latency.percentiles([10.0] * 20), latency.percentiles([10.0] * 18 + [70.0, 80.0])
    part = {"http": {"all": fast, "load_before": [0.1, 0.1, 0.1]},
            "pickup_gunicorn": {"from_202": slow}, "pickup_serve": {"from_202": fast}}
    res = {"sqlite": part, "in_process": {"batch_ratio": {"median": 1.5, "min": 1.2, "max": 1.9}}}
    lines = latency.targets(res)
    assert any("p50 <= 15 ms: measured 10.0 ms" in x and x.endswith(": met") for x in lines)
    assert any("gunicorn + matcher worker" in x and "p95 70.0 ms" in x and "max 80.0 ms" in x and "NOT met" in x for x in lines)
    assert any("matcher serve" in x and "met (judged on p95)" in x and "NOT" not in x for x in lines)
    assert any("1.50x (1.20–1.90): NOT met" in x for x in lines)
    assert any("PostgreSQL: not measured" in x for x in lines)
