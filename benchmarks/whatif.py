"""What-if benchmark: a 9-step sweep against one solve, and ``matcher whatif --marginal`` as a process.

    python -m benchmarks.run --whatif [--repeat 3]     # writes results/whatif.json and RESULTS.md
    python -m benchmarks.run --whatif --check          # a bounded smoke run (3 steps, S round), writes nothing

Issue 14's targets:

* a 9-step sweep <= 3x one solve of the same round. Both start from the same
  validated :class:`matcher.model.Round` in one process (parsed once, outside
  the timing) and both compute their candidate pairs: the sweep is
  ``matcher.whatif.sweep.run`` (pairs once at the widest step, 9 verified
  solves), the solve is ``matcher.service.solve_round`` (pairs, solve, verify,
  output document). Interleaved A B A B after one untimed warm-up of each; the
  figure is the median of the per-round ratios (min-max), wall and CPU (CPU
  includes waited-for children: matcher's forked solver processes).
* ``matcher whatif scenarios/zunyi_building_needs.json --marginal`` <= 2 s as a
  whole process (wall, from start to exit), interleaved with ``matcher solve``
  of the same round (the base solve the marginal values start from).

The load average is read before and after each measurement: the machine has 2
cores shared with other jobs, so the figures are indicative.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from . import generate
from .contenders import cpu_now, load_average, spread

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SWEEP_TARGET = 3.0  # x one solve
MARGINAL_TARGET_S = 2.0
MARGINAL_ROUND = ROOT / "scenarios" / "zunyi_building_needs.json"
# (label, round: a generated size or a path, sweep spec): 9 steps each
SWEEPS = (("M generated round, widening circle", "M", "params.max_distance_m=600:3000:300"),
          ("scenarios/xicheng_tidal_parking.json, growing capacity", ROOT / "scenarios" / "xicheng_tidal_parking.json",
           "capacity=1.0:2.0:0.125"))
CHECK_SWEEPS = (("S generated round, widening circle (check)", "S", "params.max_distance_m=1000:3000:1000"),)
CHECK_MARGINAL = ROOT / "scenarios" / "xicheng_tidal_parking.json"


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def _round_path(where) -> Path:
    return generate.ensure(where, 1, "plain") if isinstance(where, str) else Path(where)


def _timed(fn) -> tuple[float, float, object]:
    t0, c0 = time.perf_counter(), cpu_now()
    out = fn()
    return time.perf_counter() - t0, cpu_now() - c0, out


def sweep_pairs(round_path: Path, spec_text: str, repeat: int) -> dict:
    """In this process: the sweep (A) and one solve (B) of the same validated round, interleaved."""
    from matcher.service import solve_round
    from matcher.whatif import sweep
    from matcher.whatif.scenario import load

    rnd = load(str(round_path))[1]  # a plain round or a scenario file, validated once, outside the timing
    spec = sweep.parse_spec(spec_text)
    one = lambda: solve_round(rnd, timings=False)  # noqa: E731
    many = lambda: sweep.run(rnd, spec, timings=False)  # noqa: E731
    one(), many()  # warm-up: imports, first-call caches
    out = {"round": _shown(round_path),
           "sweep": spec_text, "steps": len(spec.values), "load_before": load_average(), "sweep_runs": [],
           "solve_runs": []}
    for _ in range(max(1, repeat)):
        w, c, rows = _timed(many)
        out["sweep_runs"].append({"wall_seconds": w, "cpu_seconds": c, "statuses": sorted({r["status"] for r in rows})})
        w, c, res = _timed(one)
        out["solve_runs"].append({"wall_seconds": w, "cpu_seconds": c, "status": res.result.status,
                                  "candidate_pairs": res.result.stats.candidate_pairs})
    out["load_after"] = load_average()
    return out


def ratios(a: list[dict], b: list[dict], key: str) -> dict | None:
    """Median and range of the per-round ratios ``a[i][key] / b[i][key]``."""
    return spread([x[key] / y[key] for x, y in zip(a, b) if y.get(key)])


def marginal_runs(round_path: Path, repeat: int, work: Path, say=print) -> dict:
    """``matcher whatif ROUND --marginal`` and ``matcher solve ROUND`` as whole processes, interleaved."""
    from .run import MATCHER, measure

    cmds = {"whatif --marginal": [*MATCHER, "whatif", str(round_path), "--marginal", "--json",
                                  "-o", str(work / "marginal.json")],
            "solve": [*MATCHER, "solve", str(round_path), "-o", str(work / "solve.json"), "-q"]}
    out = {"round": _shown(round_path), "load_before": load_average(), "runs": {k: [] for k in cmds}}
    for i in range(max(1, repeat)):
        for name, cmd in cmds.items():
            m = measure(cmd, 600.0, work / "marginal.log")
            if m["rc"] != 0:
                m["error"] = (work / "marginal.log").read_text(errors="replace")[-300:]
            out["runs"][name].append(m)
            say(f"  {name:<18} round {i + 1}: {m['wall_seconds']:6.2f} s wall, {m['cpu_seconds']:6.2f} s CPU")
    doc = json.loads((work / "marginal.json").read_text(encoding="utf-8"))
    out["method"] = doc.get("method")
    out["full_resources"] = len(doc.get("resources", []))
    out["exact"] = all(r.get("exact") for r in doc.get("resources", []))
    out["load_after"] = load_average()
    return out


def measure_all(repeat: int, work: Path, say=print, sweeps=SWEEPS, marginal_round: Path = MARGINAL_ROUND,
                plain_round: str | None = "M") -> dict:
    from .run import PY, measure

    res = {"harness": 2, "kind": "whatif", "repeat": repeat, "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
           "sweeps": [], "marginal": None}
    for label, where, spec in sweeps:
        path = _round_path(where)
        say(f"[whatif] sweep {spec} on {label} vs one solve, x {repeat} interleaved (load {load_average()})")
        out = work / "sweep.json"
        m = measure([PY, "-m", "benchmarks.whatif", "pairs", str(path), spec, str(out), "--repeat", str(repeat)],
                    1800.0, work / "sweep.log")
        entry = json.loads(out.read_text(encoding="utf-8")) if m["rc"] == 0 else {
            "error": (work / "sweep.log").read_text(errors="replace")[-300:]}
        entry["label"] = label
        res["sweeps"].append(entry)
    say(f"[whatif] --marginal on {marginal_round.name}, whole processes x {repeat} (load {load_average()})")
    res["marginal"] = marginal_runs(marginal_round, repeat, work, say)
    if plain_round:  # for comparison: a plain round, answered from the flow's potentials
        path = _round_path(plain_round)
        say(f"[whatif] --marginal on the {plain_round} generated round (plain parts), whole processes x {repeat}")
        res["marginal_plain"] = marginal_runs(path, repeat, work, say)
    return res


def _f(x: dict | None, unit: str = "") -> str:
    return "-" if not x else f"{x['median']:.2f}{unit} ({x['min']:.2f}–{x['max']:.2f})"


def section(r: dict) -> list[str]:
    """The RESULTS.md section of a what-if run."""
    L = [f"## What-if ({r['when']}; {r['repeat']} interleaved rounds)", "",
         "Sweep (A) and one solve (B) of the same validated round in one process, both computing their pairs "
         "(`matcher.whatif.sweep.run` vs `matcher.service.solve_round`), A B A B after a warm-up of each.", "",
         "| round | sweep | steps | sweep wall s | solve wall s | wall x solve | CPU x solve | load before -> after |",
         "|---|---|---:|---:|---:|---:|---:|---|"]
    for s in r["sweeps"]:
        if "error" in s:
            L.append(f"| {s['label']} | error: {s['error'][-120:]} | | | | | | |")
            continue
        L.append(f"| {s['label']} | `{s['sweep']}` | {s['steps']} | "
                 f"{_f(spread([x['wall_seconds'] for x in s['sweep_runs']]))} | "
                 f"{_f(spread([x['wall_seconds'] for x in s['solve_runs']]))} | "
                 f"{_f(ratios(s['sweep_runs'], s['solve_runs'], 'wall_seconds'), 'x')} | "
                 f"{_f(ratios(s['sweep_runs'], s['solve_runs'], 'cpu_seconds'), 'x')} | "
                 f"{s['load_before']} -> {s['load_after']} |")
    for key in ("marginal", "marginal_plain"):
        if r.get(key):
            L += _marginal_table(r[key])
    return L


def _marginal_table(m: dict) -> list[str]:
    L = ["", f"`matcher whatif {m['round']} --marginal --json -o OUT` and `matcher solve` of the same round, "
         f"whole processes ({m['full_resources']} full resources, all exact: {m['exact']}; method: {m['method']}):", "",
         "| command | wall s | CPU s |", "|---|---:|---:|"]
    for name, rs in m["runs"].items():
        ok = [x for x in rs if "error" not in x]
        L.append(f"| {name} | {_f(spread([x['wall_seconds'] for x in ok]))} | "
                 f"{_f(spread([x['cpu_seconds'] for x in ok]))} |")
    return L + ["", f"load average (1, 5, 15 min) before {m['load_before']}, after {m['load_after']}", ""]


def targets(r: dict) -> list[str]:
    out = []
    for s in r["sweeps"]:
        w = None if "error" in s else ratios(s["sweep_runs"], s["solve_runs"], "wall_seconds")
        if not w:
            out.append(f"what-if sweep ({s['label']}) <= {SWEEP_TARGET:g}x one solve: not measured ({s.get('error')})")
            continue
        c = ratios(s["sweep_runs"], s["solve_runs"], "cpu_seconds")
        out.append(f"what-if {s['steps']}-step sweep `{s['sweep']}` on {s['label']} <= {SWEEP_TARGET:g}x one solve "
                   f"(wall): measured {_f(w, 'x')}, CPU {_f(c, 'x')} (load average {s['load_before']} -> "
                   f"{s['load_after']}): " + ("met" if w["median"] <= SWEEP_TARGET else "NOT met"))
    m = r["marginal"]
    ok = [x["wall_seconds"] for x in m["runs"]["whatif --marginal"] if "error" not in x]
    if ok:
        med = statistics.median(ok)
        out.append(f"`matcher whatif {m['round']} --marginal` <= {MARGINAL_TARGET_S:g} s (whole process, wall): "
                   f"measured {_f(spread(ok), ' s')} (load average {m['load_before']} -> {m['load_after']}): "
                   + ("met" if med <= MARGINAL_TARGET_S else "NOT met"))
    else:
        out.append(f"`--marginal` on {m['round']}: failed ({m['runs']['whatif --marginal'][-1].get('error')})")
    pm = r.get("marginal_plain")
    if pm:
        w = spread([x["wall_seconds"] for x in pm["runs"]["whatif --marginal"] if "error" not in x])
        base = spread([x["wall_seconds"] for x in pm["runs"]["solve"] if "error" not in x])
        out.append(f"for comparison, `--marginal` on {pm['round']} ({pm['full_resources']} full resources, "
                   f"{pm['method']}): {_f(w, ' s')} whole process, `matcher solve` {_f(base, ' s')} — not a target")
    return out


def check_problems(r: dict) -> list[str]:
    """The smoke run must produce every figure, every step optimal, the marginal values exact."""
    out = [f"sweep {s['label']}: {s['error']}" for s in r["sweeps"] if "error" in s]
    for s in r["sweeps"]:
        if "error" not in s and any(x["statuses"] != ["optimal"] for x in s["sweep_runs"]):
            out.append(f"sweep {s['label']}: a step not optimal")
    for m in (r["marginal"], r.get("marginal_plain")):
        if m:
            out += [f"{m['round']} {name}: {x['error']}" for name, rs in m["runs"].items() for x in rs if "error" in x]
            if not m.get("exact"):
                out.append(f"{m['round']}: marginal values not all exact")
    return out


def run_mode(a, out_dir: Path) -> int:
    """``benchmarks.run --whatif`` (with ``--check``: the bounded smoke run, nothing written)."""
    with tempfile.TemporaryDirectory(prefix="bench-whatif-") as work:
        if a.check:
            r = measure_all(1, Path(work), sweeps=CHECK_SWEEPS, marginal_round=CHECK_MARGINAL, plain_round="S")
        else:
            r = measure_all(max(1, a.repeat), Path(work))
    print("\n".join(section(r) + targets(r)))
    if a.check:
        problems = check_problems(r)
        for p in problems:
            print(f"CHECK FAILED: {p}")
        print("whatif check passed" if not problems else f"whatif check failed: {len(problems)} problem(s)")
        return 1 if problems else 0
    (out_dir / "results").mkdir(parents=True, exist_ok=True)
    (out_dir / "results" / "whatif.json").write_text(json.dumps(r, indent=1), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="one what-if sweep against one solve, in this process")
    ap.add_argument("mode", choices=("pairs",))
    ap.add_argument("round")
    ap.add_argument("sweep")
    ap.add_argument("out")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args(argv)
    r = sweep_pairs(Path(a.round).resolve(), a.sweep, a.repeat)
    Path(a.out).write_text(json.dumps(r, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
