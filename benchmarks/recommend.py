"""Recommend on a stored district round: per-call latency (state loaded once) against the full re-solve.

    python -m benchmarks.recommend [--resources 10000] [--needs 10000] [--calls 300] [--resolves 5]

The round comes from :func:`benchmarks.generate.generate` (size ``M``'s city
model, rules ``plain``, resized to the given counts). The state is loaded
once; then each call answers one random new need (a copy of a random need of
the round at a jittered place, under a new id) with ``k = 5``. A few calls are
interleaved with the full re-solve of the round plus that need
(``service.solve_round``), whose Δ served value and Δ distance must equal the
answer's; p50/p95/p99 are printed side by side with the re-solve times.
"""
from __future__ import annotations

import argparse
import copy
import random
import time

import numpy as np

from benchmarks.generate import generate
from matcher.recommend import RecommendState, recommend
from matcher.service import solve_round


def percentiles(seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return " ".join(f"p{q}={np.percentile(ms, q):8.1f} ms" for q in (50, 95, 99))


def new_need(doc: dict, rng: random.Random, n: int) -> dict:
    base = copy.deepcopy(rng.choice(doc["needs"]))
    base.update(id=f"NEW-{n}", lat=base["lat"] + rng.uniform(-0.005, 0.005), lon=base["lon"] + rng.uniform(-0.005, 0.005))
    return base


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--resources", type=int, default=10_000)
    ap.add_argument("--needs", type=int, default=10_000)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--resolves", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    doc = generate("M", a.seed, "plain", resources=a.resources, needs=a.needs)
    t0 = time.perf_counter()
    base = solve_round(doc, timings=False)
    t1 = time.perf_counter()
    state = RecommendState.from_result(base.prepared, base)
    t2 = time.perf_counter()
    print(f"round {a.resources:,} x {a.needs:,}: solve {t1 - t0:.2f} s, state load {t2 - t1:.2f} s")
    rng = random.Random(a.seed)
    calls, resolves, every = [], [], max(1, a.calls // max(1, a.resolves))
    for n in range(a.calls):
        extra = new_need(doc, rng, n)
        s = time.perf_counter()
        ans = recommend(state, extra, k=5)
        calls.append(time.perf_counter() - s)
        if n % every == 0 and len(resolves) < a.resolves:  # A B A B: the re-solve that gives the same answer
            d2 = copy.deepcopy(doc)
            d2["needs"].append(extra)
            s = time.perf_counter()
            full = solve_round(d2, timings=False)
            resolves.append(time.perf_counter() - s)
            want = (full.solution.served_value - base.solution.served_value,
                    full.solution.total_distance - base.solution.total_distance)
            got = (ans["best"]["delta_served_value"], ans["best"]["delta_total_distance_m"])
            assert got == want, (n, got, want)
    print(f"recommend ({len(calls)} calls, k=5): {percentiles(calls)}")
    print(f"full re-solve ({len(resolves)} runs):   {percentiles(resolves)}")
    print(f"ratio re-solve p50 / recommend p50: {np.median(resolves) / np.median(calls):.0f}x; "
          f"re-solve p50 / recommend p95: {np.median(resolves) / np.percentile(calls, 95):.0f}x")


if __name__ == "__main__":
    main()
