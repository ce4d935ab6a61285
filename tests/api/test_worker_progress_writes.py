"""The worker's progress writes (matcher.worker.Attempt): figures within a stage are throttled to one
write per PROGRESS_EVERY_S, but a new stage is written on the next tick, so a stage shorter than the
throttle (the greedy start of a large member round: about 0.4 s) still shows to the portal.
Regression: CI saw a C-size round go from "solving" to "CP-SAT level 1" without ever showing "greedy"."""
from __future__ import annotations

import types

from matcher import worker as worker_mod
from matcher.store import repo


def attempt(monkeypatch, clock):
    writes = []
    monkeypatch.setattr(repo, "set_progress", lambda db, rid, wid, figures: writes.append(figures))
    monkeypatch.setattr(worker_mod.time, "monotonic", lambda: clock[0])
    fake_worker = types.SimpleNamespace(db=None, id="w-1", settings=None, stopping=types.SimpleNamespace(
        is_set=lambda: False))
    return worker_mod.Attempt(fake_worker, types.SimpleNamespace(id="r-1")), writes


def test_figures_within_a_stage_are_throttled(monkeypatch):
    clock = [100.0]
    a, writes = attempt(monkeypatch, clock)
    a.write_progress()
    a.note(stage="LP dive", best_value=1)
    clock[0] += 0.1
    a.note(best_value=2)
    a.write_progress()  # a new stage ("preparing" -> "LP dive"): written although 0.1 s after the last
    a.note(best_value=3)
    clock[0] += 0.1
    a.write_progress()  # within the stage, 0.1 s after the last write: held back
    clock[0] += worker_mod.PROGRESS_EVERY_S
    a.write_progress()
    assert [w.get("stage") for w in writes] == ["preparing", "LP dive", "LP dive"]
    assert [w.get("best_value") for w in writes] == [None, 2, 3]


def test_a_new_stage_is_written_on_the_next_tick(monkeypatch):
    clock = [100.0]
    a, writes = attempt(monkeypatch, clock)
    a.note(stage="solving (auto)")
    a.write_progress()
    for stage in ("greedy", "relaxed flow"):
        clock[0] += 0.1  # well inside PROGRESS_EVERY_S
        a.note(stage=stage)
        a.write_progress()
    clock[0] += 0.1
    a.note(stage="relaxed flow", best_value=5)  # the same stage again: figures only, throttled
    a.write_progress()
    assert [w["stage"] for w in writes] == ["solving (auto)", "greedy", "relaxed flow"]
