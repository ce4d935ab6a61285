"""Fairness (ROUND.md level 1) against the plain solve of the same round, interleaved.

    python -m benchmarks.fairness [--size M] [--seed 1] [--repeat 3] [--ratio 0.9] [--time-limit 300]

Three contenders on one generated plain round (``benchmarks/generate.py``):
``plain`` (no fairness), ``maxmin`` and ``leximin`` (``params.fairness`` with
``group: community`` and ``min_value_ratio`` = ``--ratio``). Each run is the
whole in-process solve from the round document (``service.solve_round``:
validation, candidate pairs, solve, verification, output document), after one
untimed warm-up of each; runs alternate (plain, maxmin, leximin, plain, ...),
and each ratio is the median (min–max) of the per-round ratios to the plain
run of the same round. Issue 12's targets on M: maxmin <= 5x, leximin <= 20x.

Writes ``benchmarks/results/fairness-SIZE.json`` and ``benchmarks/results/fairness.md``
(appended to ``benchmarks/RESULTS.md``, which is rebuilt).
"""
from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

from . import generate
from .contenders import load_average, spread

HERE = Path(__file__).resolve().parent
MODES = ("plain", "maxmin", "leximin")
TARGETS = {"maxmin": 5.0, "leximin": 20.0}


def variant(doc: dict, mode: str, ratio: float, time_limit: float) -> dict:
    out = copy.deepcopy(doc)
    out["params"]["time_limit_s"] = time_limit
    if mode != "plain":
        out["params"]["fairness"] = {"group": "community", "mode": mode, "min_value_ratio": ratio}
    return out


def run_once(doc: dict) -> dict:
    from matcher.service import solve_round

    t0 = time.perf_counter()
    rr = solve_round(doc)
    wall = time.perf_counter() - t0
    res, stats = rr.result, rr.solution.stats
    row = {"wall_s": wall, "solve_s": res.stats.solve_seconds, "status": res.status,
           "served_value": res.objective.served_value, "total_distance_m": res.objective.total_distance_m}
    if res.fairness is not None:
        row.update(min_coverage=res.fairness.min_coverage, price_of_fairness=res.fairness.price_of_fairness,
                   binding=len(res.fairness.binding_communities),
                   **{k: getattr(stats, k) for k in ("fairness_method", "fairness_checks", "fairness_stages")
                      if getattr(stats, k) is not None})
    return row


def measure(doc: dict, repeat: int, ratio: float, time_limit: float, say=print) -> dict:
    docs = {m: variant(doc, m, ratio, time_limit) for m in MODES}
    for m in MODES:  # warm-up: imports, first-call costs
        run_once(docs[m])
    runs: dict[str, list[dict]] = {m: [] for m in MODES}
    load_before = load_average()
    for k in range(repeat):
        for m in MODES:
            row = run_once(docs[m])
            runs[m].append(row)
            say(f"round {k + 1} {m}: {row['wall_s']:.2f} s, {row['status']}"
                + (f", min coverage {row['min_coverage']}, checks {row.get('fairness_checks')}" if m != "plain" else ""))
    ratios = {m: spread([f["wall_s"] / p["wall_s"] for f, p in zip(runs[m], runs["plain"])]) for m in MODES[1:]}
    solve_ratios = {m: spread([f["solve_s"] / p["solve_s"] for f, p in zip(runs[m], runs["plain"])]) for m in MODES[1:]}
    return {"runs": runs, "ratios": ratios, "solve_ratios": solve_ratios, "load_before": load_before,
            "load_after": load_average()}


def _f(s: dict, unit: str = "") -> str:
    return f"{s['median']:.2f}{unit} ({s['min']:.2f}–{s['max']:.2f})"


def section(res: dict) -> list[str]:
    L = [f"## Fairness on {res['size']}: {res['pairs']:,} pairs (plain, seed {res['seed']}, "
         f"min_value_ratio {res['ratio']}; {res['when']}; {res['repeat']} interleaved rounds)", "",
         "Written by `python -m benchmarks.fairness` (whole in-process solve from the round document: "
         "validation, pairs, solve, verification, output).", "",
         "| run | wall s | solve s | x plain (wall) | x plain (solve) | status | served value | min coverage "
         "| price | method | checks | stages |",
         "|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---:|"]
    for m in MODES:
        rows = res["runs"][m]
        last = rows[-1]
        ratio = "-" if m == "plain" else _f(res["ratios"][m], "x")
        solve = "-" if m == "plain" else _f(res["solve_ratios"][m], "x")
        L.append(f"| {m} | {_f(spread([r['wall_s'] for r in rows]))} | {_f(spread([r['solve_s'] for r in rows]))} "
                 f"| {ratio} | {solve} | {last['status']} | {last['served_value']} | {last.get('min_coverage', '-')} "
                 f"| {last.get('price_of_fairness', '-')} | {last.get('fairness_method', '-')} "
                 f"| {last.get('fairness_checks', '-')} | {last.get('fairness_stages', '-')} |")
    L += ["", f"load average (1, 5, 15 min) before {res['load_before']}, after {res['load_after']}", ""]
    for m, limit in TARGETS.items():
        for basis, key in (("wall, end to end", "ratios"), ("solve stage only", "solve_ratios")):
            got = res[key][m]
            L.append(f"- {m} <= {limit:g}x the plain solve ({basis}): measured {_f(got, 'x')}: "
                     + ("met" if got["median"] <= limit else "NOT met"))
    return L + [""]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="fairness vs the plain solve, interleaved")
    ap.add_argument("--size", choices=list(generate.SIZES), default="M")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ratio", type=float, default=0.9)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--out-dir", default=str(HERE))
    a = ap.parse_args(argv)
    path = generate.ensure(a.size, a.seed, "plain")
    doc = json.loads(path.read_text(encoding="utf-8"))
    res = measure(doc, a.repeat, a.ratio, a.time_limit)
    from matcher.service import prepare
    res.update(size=a.size, seed=a.seed, ratio=a.ratio, repeat=a.repeat, pairs=len(prepare(doc).pairs),
               when=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    out = Path(a.out_dir) / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"fairness-{a.size}.json").write_text(json.dumps(res, indent=1), encoding="utf-8")
    lines = section(res)
    (out / "fairness.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    from .run import write_results_md
    write_results_md(out, Path(a.out_dir) / "RESULTS.md")
    return 0 if all(res["ratios"][m]["median"] <= t for m, t in TARGETS.items()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
