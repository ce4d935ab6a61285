"""Issue 10 item 11 at the solver level: every long stage polls ``should_stop``, so a stop request
ends the solve within a second with a verified result (the best so far), whatever stage it hits:
auto's loop over many CP-SAT parts, CP-SAT itself, the fairness level; and the process helpers of
matcher.parallel kill their children at once. Also the structured progress of ``on_progress``."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from matcher import parallel
from matcher.service import prepare, solve_prepared
from matcher.solvers import coverage

from .test_time_policy import twenty

STOP_WITHIN_S = 1.0
SEARCHING = ("CP-SAT level 1", "CP-SAT all levels")  # the stages of CP-SAT's search for the served value


class StopAt:
    """``should_stop`` that turns true once the progress reports a stage starting with ``stage``."""

    def __init__(self, stage: str | tuple[str, ...], delay_s: float = 0.0):
        self.stage, self.delay_s = stage, delay_s
        self.seen = self.at = None
        self.figures: list[dict] = []

    def note(self, **fields) -> None:
        self.figures.append(fields)
        if self.seen is None and str(fields.get("stage", "")).startswith(self.stage):
            self.seen = time.monotonic()

    def __call__(self) -> bool:
        if self.at is None and self.seen is not None and time.monotonic() - self.seen >= self.delay_s:
            self.at = time.monotonic()
        return self.at is not None


def _solve(doc: dict, stop: StopAt, **kwargs):
    prep = prepare(doc)
    result = solve_prepared(prep, time_limit_s=120, should_stop=stop, on_progress=stop.note, timings=False, **kwargs)
    return result, time.monotonic() - stop.at


def test_stop_in_the_loop_over_many_cpsat_parts():
    whole, _ = twenty()
    stop = StopAt(SEARCHING, delay_s=0.3)
    result, took = _solve(whole, stop)
    assert took < STOP_WITHIN_S, took
    assert result.status.value == "feasible"  # verified by the service like any result
    assert "stopped on request" in result.solution.message
    parts = [f for f in stop.figures if "parts_done" in f]
    assert parts and parts[-1]["parts_total"] == 20 and parts[-1]["parts_done"] == 20  # the rest: locks only
    first = next(f for f in stop.figures if "best_value" in f)
    assert first["best_value"] == 0 and first["bound"] >= result.solution.served_value


def test_progress_figures_of_a_whole_solve_end_at_its_result():
    whole, _ = twenty()
    seen: list[dict] = []
    result = solve_prepared(prepare(whole), time_limit_s=30, on_progress=lambda **f: seen.append(f), timings=False)
    stages = [f["stage"] for f in seen if "stage" in f]
    assert stages[0] == "solving (auto)" and stages[-2:] == ["verifying", "output"]
    assert "greedy" in stages and any(s.startswith(SEARCHING) for s in stages)
    last = [f for f in seen if "parts_done" in f][-1]
    assert (last["parts_done"], last["parts_total"]) == (20, 20)
    assert last["best_value"] == result.solution.served_value <= last["bound"]
    values = [f["best_value"] for f in seen if "best_value" in f]
    assert max(values) <= result.solution.served_value


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["maxmin", "leximin"])
def test_stop_in_the_fairness_level(mode):
    whole, _ = twenty()
    for k, n in enumerate(whole["needs"]):
        n["community_id"] = f"C{k % 6}"
    whole["params"]["fairness"] = {"group": "community", "mode": mode, "min_value_ratio": 0.9}
    stop = StopAt("CP-SAT fairness", delay_s=0.2)
    result, took = _solve(whole, stop)
    assert any(f.get("stage") == "fairness model" for f in stop.figures)
    assert took < STOP_WITHIN_S, took
    assert result.status.value == "feasible"
    assert "stopped on request" in result.solution.message


def test_stop_while_cpsat_builds_its_model_keeps_the_start():
    whole, _ = twenty()
    stop = StopAt("CP-SAT model")
    result, took = _solve(whole, stop, solver="cpsat")
    assert took < STOP_WITHIN_S, took
    assert result.status.value == "feasible" and result.solution.served_value > 0  # the greedy start
    assert "kept the start result" in result.solution.message


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_call_stoppable_kills_its_child_at_once():
    flag = threading.Event()
    threading.Timer(0.3, flag.set).start()
    began = time.monotonic()
    with pytest.raises(parallel.Stopped):
        parallel.call_stoppable(_sleep, (30.0,), flag.is_set)
    assert time.monotonic() - began < 0.3 + STOP_WITHIN_S
    assert parallel.call_stoppable(_sleep, (0.01,), lambda: False) == 0.01  # the result comes back
    assert parallel.call_stoppable(_sleep, (0.01,), None) == 0.01  # nothing to stop it: here


def test_local_map_stopped_leaves_the_rest_unsolved():
    flag = threading.Event()
    threading.Timer(0.5, flag.set).start()
    began = time.monotonic()
    out = parallel.local_map(_sleep, [0.01, 30.0], 2, should_stop=flag.is_set)
    assert time.monotonic() - began < 0.5 + STOP_WITHIN_S
    assert out == [0.01, parallel.STOPPED]
    assert parallel.local_map(_sleep, [0.01, 0.02], 2, should_stop=lambda: False) == [0.01, 0.02]


def _plain_fair_round(mode: str, resources: int, needs: int) -> dict:
    from benchmarks.generate import generate
    doc = generate("S", 3, "plain", resources=resources, needs=needs)
    doc["params"].update(fairness={"group": "community", "mode": mode, "min_value_ratio": 0.9})
    return doc


@pytest.mark.parametrize("mode", ["maxmin", "leximin"])
def test_stop_in_the_flow_fairness_search_keeps_the_fairest_so_far(mode):
    # a plain round: fairness by flows (solvers/fairflow.py), whose search polls the stop request
    doc = _plain_fair_round(mode, 400, 300)
    plain = solve_prepared(prepare({**doc, "params": {k: v for k, v in doc["params"].items() if k != "fairness"}}),
                           timings=False)
    calls = {"n": 0}

    def stop() -> bool:  # turns true on the search's third poll: some floors are settled, not all
        calls["n"] += 1 if stop.searching else 0
        return calls["n"] >= 3

    stop.searching = False

    def note(**fields) -> None:
        stop.searching = stop.searching or str(fields.get("stage", "")).startswith("fairness search (flow")

    prep = prepare(doc)
    result = solve_prepared(prep, time_limit_s=60, should_stop=stop, on_progress=note, timings=False)
    assert stop.searching and calls["n"] >= 3
    assert result.status.value == "feasible"  # verified by the service like any result
    assert "stopped on request" in result.solution.message
    assert result.solution.stats.fairness_method == "flow"
    assert result.solution.served_value >= -(-9 * plain.solution.served_value // 10)  # the value floor holds
    t, n_comm = prep.tables, len(prep.tables.communities)
    demand = coverage.servable_demand(prep.problem, t.need_comm, n_comm)
    comms = np.flatnonzero(demand > 0).tolist()
    start = coverage.min_coverage(coverage.served(prep.problem, t.need_comm, n_comm, plain.solution.x), demand, comms)
    assert result.result.fairness.min_coverage >= round(float(start), 4)  # no less fair than the plain result
