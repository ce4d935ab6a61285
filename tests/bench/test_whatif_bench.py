"""The what-if benchmark mode: its in-process sweep pair, its verdicts, and the bounded --whatif --check run."""
from __future__ import annotations

import pytest

from benchmarks import generate, run, whatif


def test_sweep_pair_on_a_small_round_interleaves_and_times_both():
    r = whatif.sweep_pairs(generate.ensure("S", 1, "plain"), "params.max_distance_m=1500,3000", 2)
    assert r["steps"] == 2 and len(r["sweep_runs"]) == len(r["solve_runs"]) == 2
    assert all(x["wall_seconds"] > 0 and x["cpu_seconds"] > 0 for x in r["sweep_runs"] + r["solve_runs"])
    assert all(x["statuses"] == ["optimal"] for x in r["sweep_runs"])
    assert len(r["load_before"]) == 3 and len(r["load_after"]) == 3
    assert whatif.ratios(r["sweep_runs"], r["solve_runs"], "wall_seconds")["median"] > 0


def _fake(sweep_s: float, solve_s: float, marginal_s: float) -> dict:
    runs = lambda t: [{"wall_seconds": t, "cpu_seconds": t}] * 3  # noqa: E731
    return {"when": "now", "repeat": 3, "sweeps": [
        {"label": "X", "round": "x.json", "sweep": "capacity=1:2:0.125", "steps": 9, "load_before": [1, 1, 1],
         "load_after": [1, 1, 1], "sweep_runs": [{**x, "statuses": ["optimal"]} for x in runs(sweep_s)],
         "solve_runs": runs(solve_s)}],
        "marginal": {"round": "z.json", "load_before": [1, 1, 1], "load_after": [1, 1, 1], "full_resources": 3,
                     "exact": True, "method": "m", "runs": {"whatif --marginal": runs(marginal_s), "solve": runs(1.0)}}}


def test_verdicts_follow_the_targets():
    met = whatif.targets(_fake(2.9, 1.0, 1.9))
    assert "3x one solve (wall): measured 2.90x" in met[0] and met[0].endswith(": met")
    assert "<= 2 s" in met[1] and met[1].endswith(": met")
    missed = whatif.targets(_fake(9.0, 1.0, 20.6))
    assert all(line.endswith("NOT met") for line in missed)
    text = "\n".join(whatif.section(_fake(9.0, 1.0, 20.6)))
    assert "## What-if" in text and "| whatif --marginal | 20.60" in text and "9.00x" in text
    assert whatif.check_problems(_fake(9.0, 1.0, 20.6)) == []


@pytest.mark.slow
def test_whatif_check_mode_passes():
    """A bounded smoke run of `python -m benchmarks.run --whatif --check` (what keeps the mode from rotting)."""
    assert run.main(["--whatif", "--check"]) == 0
