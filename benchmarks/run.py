"""Side-by-side benchmark of one generated round size; writes benchmarks/RESULTS.md.

    python -m benchmarks.run --size L [--seed 1] [--milp-max-pairs 200000] [--dask 2] [--repeat 3]

In ONE run, on the very same round, each contender in its own process (peak
memory from ``os.wait4`` = max RSS, plus the sampled sum over its process
tree):

* ``matcher solve`` end to end (JSON file in, JSON file out), split by stage;
* ``matcher solve --scheduler local --workers N`` (with ``--dask N``);
* the time to compute the candidate pairs alone (parse + pairs, no solve);
* a bare OR-Tools min-cost flow over the same pairs, monolithic, with the same
  lexicographic scaling, built straight from arrays (the floor for an exact
  monolithic solve);
* HiGHS (scipy.optimize.milp) and PuLP + CBC, two phases, on the same pairs
  (only up to ``--milp-max-pairs``; skipped with a note above);
* ``matcher solve --solver greedy`` with its quality gap.

The baselines get parsing and pairs for free (they start from the saved
arrays), so their ratios are conservative for matcher. Results of each size
are kept in ``benchmarks/results/SIZE.json``; RESULTS.md is rebuilt from all of
them (with the growth exponent of time over pairs across M, L, XL).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import generate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
# the `matcher` command as installed next to this Python (else the same entry point through -c)
_SCRIPT = Path(PY).parent / "matcher"
MATCHER = [str(_SCRIPT)] if _SCRIPT.exists() else [PY, "-c", "import sys; from matcher.cli import main; sys.exit(main())"]


def measure(cmd: list[str], timeout: float, log: Path) -> dict:
    """Run ``cmd``; wall seconds, exit code, peak memory (max RSS and sampled tree sum)."""
    import psutil

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            try:
                root = psutil.Process(proc.pid)
            except psutil.Error:
                return
            def used(proc) -> int:
                # PSS (shared pages split between sharers, e.g. forked workers); RSS where unavailable
                try:
                    return int(getattr(proc.memory_full_info(), "pss", 0)) or proc.memory_info().rss
                except psutil.AccessDenied:
                    return proc.memory_info().rss

            while not done.wait(0.1):
                try:
                    total = used(root)
                    for c in root.children(recursive=True):
                        try:
                            total += used(c)
                        except psutil.Error:
                            pass
                except psutil.Error:
                    return
                peak[0] = max(peak[0], total)

        killed = []

        def kill() -> None:
            killed.append(True)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        timer.cancel()
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_seconds": wall, "rc": proc.returncode, "timed_out": bool(killed),
            "max_rss_mb": usage.ru_maxrss / 1024.0, "tree_peak_mb": peak[0] / 2**20}


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace").strip().splitlines()[-1][:300]
    except (OSError, IndexError):
        return ""


TIMED_INSIDE = ("bareflow", "highs", "cbc", "pairs", "matcher_service")  # contenders that report their own seconds


def run_size(size: str, seed: int = 1, rules: str | None = None, milp_max_pairs: int = 200_000,
             timeout: float = 1800.0, dask_workers: int = 0, work: Path | None = None,
             say=print, repeat: int = 1) -> dict:
    work = Path(work or tempfile.mkdtemp(prefix=f"bench-{size}-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    round_path = generate.ensure(size, seed, rules)
    rules = rules or generate.SIZES[size].get("default_rules", "plain")
    say(f"[{size}] round {round_path.name} ({round_path.stat().st_size / 2**20:.1f} MiB, "
        f"generated/cached in {time.perf_counter() - t:.1f} s)")
    res: dict = {"size": size, "rules": rules, "seed": seed, "round_mib": round_path.stat().st_size / 2**20,
                 "when": time.strftime("%Y-%m-%d %H:%M:%S"), "contenders": {}, "notes": [], "repeat": repeat}
    C = res["contenders"]

    def contender(name: str, cmd: list[str], out: Path | None = None) -> dict:
        log = work / f"{name}.log"
        runs = []
        for _ in range(max(1, repeat)):
            m = measure(cmd, timeout, log)
            m["result"] = _read(out) if out is not None else {}
            runs.append(m)
            if m["rc"] != 0 or m["timed_out"]:
                break  # a failed or stopped run is reported as it is, not repeated
        if len(runs) > 1:
            def secs(r: dict) -> float:
                return (r["result"] or {}).get("seconds", r["wall_seconds"]) if name in TIMED_INSIDE else r["wall_seconds"]
            ordered = sorted(runs, key=secs)
            m = ordered[len(ordered) // 2]  # the median run (of an odd number)
            m["runs_seconds"] = [round(secs(r), 3) for r in runs]
        if m["rc"] != 0 or m["timed_out"]:
            m["error"] = "timed out" if m["timed_out"] else _tail(log)
            partial = _read(Path(str(out) + ".partial")) if out is not None else {}
            if partial:  # how far it got: phase 1 (served value) finished
                m["partial"] = partial
                m["error"] += (f" in phase 2 (phase 1, max served value {partial['phase1_served_value']}, "
                               f"took {partial['phase1_seconds']:.1f} s)")
        C[name] = m
        say(f"[{size}] {name:<16} {m['wall_seconds']:8.2f} s  peak {m['max_rss_mb']:7.0f} MiB"
            + (f"  ERROR {m['error']}" if "error" in m else ""))
        return m

    # matcher end to end, as a committee runs it
    out = work / "matcher.json"
    m = contender("matcher", [*MATCHER, "solve", str(round_path), "-o", str(out), "-q"], out)
    doc = m["result"]
    m["result"] = {k: doc.get(k) for k in ("status", "objective", "stats")}
    if doc.get("stats"):
        res["pairs"] = doc["stats"]["candidate_pairs"]
        res["resources"], res["needs"] = doc["stats"]["resources"], doc["stats"]["needs"]
    out = work / "service.json"
    contender("matcher_service", [PY, "-m", "benchmarks.contenders", "service", str(round_path),
                                  str(work / "service-out.json"), str(out)], out)
    if dask_workers:
        out = work / "matcher-dask.json"
        d = contender("matcher_dask", [*MATCHER, "solve", str(round_path), "-o", str(out), "-q",
                                       "--scheduler", "local", "--workers", str(dask_workers)], out)
        d["result"] = {k: d["result"].get(k) for k in ("status", "objective", "stats")}
    out = work / "greedy.json"
    g = contender("greedy", [*MATCHER, "solve", str(round_path), "-o", str(out), "-q",
                             "--solver", "greedy"], out)
    g["result"] = {k: g["result"].get(k) for k in ("status", "objective", "stats")}

    if rules == "plain":
        npz = work / "pairs.npz"
        contender("pairs", [PY, "-m", "benchmarks.contenders", "pairs", str(round_path), str(npz),
                            str(work / "pairs.json")], work / "pairs.json")
        out = work / "bareflow.json"
        contender("bareflow", [PY, "-m", "benchmarks.contenders", "bareflow", str(npz), str(out)], out)
        pairs = res.get("pairs", 0)
        for name in ("highs", "cbc"):
            if pairs <= milp_max_pairs:
                out = work / f"{name}.json"
                contender(name, [PY, "-m", "benchmarks.contenders", name, str(npz), str(out),
                                 "--time-limit", str(timeout)], out)
            else:
                res["notes"].append(f"{name} skipped: {pairs:,} pairs > --milp-max-pairs {milp_max_pairs:,}")
        try:
            npz.unlink()
        except OSError:
            pass
    else:
        res["notes"].append(f"rules {rules!r}: flow/HiGHS/CBC baselines compare plain rounds only")
    res["summary"] = summarize(res)
    for line in summary_lines(res):
        say(f"[{size}] {line}")
    return res


def _obj(c: dict) -> tuple:
    r = c.get("result") or {}
    o = r.get("objective") or r
    return (o.get("served_value"), o.get("total_distance_m"))


def summarize(res: dict) -> dict:
    C = res["contenders"]
    s: dict = {}
    m = C.get("matcher", {})
    mt = m.get("wall_seconds")
    if not mt or "error" in m:
        return s
    base = _obj(m)
    sv = C.get("matcher_service", {})
    st = (sv.get("result") or {}).get("seconds") if "error" not in sv else None
    if st:
        s["service_seconds"] = st
        s["service_same_result"] = _obj(sv) == base
    for name in ("bareflow", "highs", "cbc"):
        c = C.get(name)
        if c and "error" not in c:
            t = c["result"].get("seconds", c["wall_seconds"])
            s[f"{name}_seconds"] = t
            s[f"{name}_over_matcher"] = t / mt
            if st:
                s[f"{name}_over_service"] = t / st
            s[f"{name}_same_optimum"] = _obj(c) == base
        elif c and c.get("timed_out"):
            s[f"{name}_timeout_seconds"] = c["wall_seconds"]
    g = C.get("greedy")
    if g and "error" not in g:
        gv, gq = g["result"]["objective"]["served_value"], g["result"]["objective"]["served_quantity"]
        mv, mq = m["result"]["objective"]["served_value"], m["result"]["objective"]["served_quantity"]
        s["greedy_value_gap_pct"] = 100.0 * (mv - gv) / mv if mv else 0.0
        s["greedy_units_gap_pct"] = 100.0 * (mq - gq) / mq if mq else 0.0
    d = C.get("matcher_dask")
    if d and "error" not in d:
        s["dask_same_result"] = _obj(d) == base
    ob = m["result"]["objective"]
    if ob.get("bound_served_value"):
        s["gap_pct"] = 100.0 * (ob["bound_served_value"] - ob["served_value"]) / ob["bound_served_value"]
    return s


def summary_lines(res: dict) -> list[str]:
    s, C = res["summary"], res["contenders"]
    lines = []
    if "bareflow_over_matcher" in s:
        lines.append(f"matcher end to end vs bare monolithic flow: {1 / s['bareflow_over_matcher']:.2f}x the flow's time "
                     f"(same optimum: {s['bareflow_same_optimum']})"
                     + (f"; as a running service {1 / s['bareflow_over_service']:.2f}x" if "bareflow_over_service" in s else ""))
    for name in ("highs", "cbc"):
        if f"{name}_over_matcher" in s:
            lines.append(f"{name} takes {s[f'{name}_over_matcher']:.1f}x matcher's end-to-end time"
                         + (f" ({s[f'{name}_over_service']:.1f}x matcher's as a running service)"
                            if f"{name}_over_service" in s else "")
                         + f" (same optimum: {s[f'{name}_same_optimum']})")
        elif f"{name}_timeout_seconds" in s:
            t = s[f"{name}_timeout_seconds"]
            mt = C["matcher"]["wall_seconds"]
            lines.append(f"{name} did not finish within {t:.0f} s, stopped there: more than {t / mt:.0f}x "
                         f"matcher's end-to-end time")
    if "service_same_result" in s:
        lines.append(f"matcher as a running service: {s['service_seconds']:.2f} s from reading the file to writing the "
                     f"result, same served value and distance as the command: {s['service_same_result']}")
    if "dask_same_result" in s:
        lines.append(f"local Dask cluster: same served value and distance as the single process: {s['dask_same_result']}")
    if "greedy_value_gap_pct" in s:
        lines.append(f"greedy: value {s['greedy_value_gap_pct']:.2f} % less, units {s['greedy_units_gap_pct']:.2f} % fewer")
    if "gap_pct" in s:
        st = C["matcher"]["result"].get("status")
        lines.append(f"matcher status {st}, gap to bound {s['gap_pct']:.3f} %")
    lines.extend(res.get("notes", []))
    return lines


# ---------------------------------------------------------------- RESULTS.md

def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("ortools", "numpy", "scipy", "pydantic", "PuLP", "dask", "distributed"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "-"
    return out


def _machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil
        mem = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:
        mem = "?"
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), {mem} RAM"


def fit_exponent(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(time) over log(pairs)."""
    pts = [(math.log(p), math.log(t)) for p, t in points if p and t and p > 0 and t > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None


def write_results_md(results_dir: Path, target: Path) -> None:
    runs = []
    for f in sorted(results_dir.glob("*.json")):
        r = _read(f)
        if r.get("contenders"):
            runs.append(r)
    order = {k: i for i, k in enumerate(generate.SIZES)}
    runs.sort(key=lambda r: order.get(r["size"], 99))
    v = _versions()
    L = ["# Benchmark results", "",
         "Written by `python -m benchmarks.run --size SIZE` (one size per run; every contender of a size is",
         "measured side by side in that one run, each in its own process). Do not edit by hand.", "",
         f"- machine: {_machine()} (shared with other jobs while measured: treat times as ±30 %)",
         "- memory: max RSS of the contender's process (os.wait4) and the peak of the summed PSS of its process",
         "  tree sampled every 0.1 s (forked workers share pages; PSS counts them once)",
         "- libraries: " + ", ".join(f"{k} {val}" for k, val in v.items()), "",
         "Rounds come from `benchmarks/generate.py` (seeded). The flow, HiGHS and CBC baselines start from",
         "matcher's saved pair arrays: their time is model building plus solving only, no parsing and no",
         "pairs, so every ratio below is conservative for matcher. `matcher` is `matcher solve ROUND -o OUT`",
         "end to end (process start, imports, read, parse+validate, pairs, solve, verify, output, write).",
         "`matcher_service` is the same work in a running process (the API worker's path), timed like the",
         "baselines after its imports (and one warm-up solve of the demo round): from reading the round file",
         "to writing the output document.", ""]
    for r in runs:
        C = r["contenders"]
        r["summary"] = summarize(r)
        L.append(f"## {r['size']}: {r.get('resources', '?'):,} resources x {r.get('needs', '?'):,} needs, "
                 f"{r.get('pairs', 0):,} pairs ({r['rules']}, seed {r['seed']}, {r['round_mib']:.1f} MiB JSON; {r['when']})"
                 if isinstance(r.get('resources'), int) else f"## {r['size']}")
        if r.get("repeat", 1) > 1:
            L += ["", f"Each contender ran {r['repeat']} times, one after the other; the table shows its median run "
                      "(all runs in the last column)."]
        reps = r.get("repeat", 1) > 1
        L += ["", "| contender | seconds | x matcher | max RSS MiB | tree PSS peak MiB | served value | distance m | status |"
              + (" runs (s) |" if reps else ""),
              "|---|---:|---:|---:|---:|---:|---:|---|" + ("---|" if reps else "")]
        mt = C.get("matcher", {}).get("wall_seconds") or float("nan")
        for name, c in C.items():
            rr = c.get("result") or {}
            ob = rr.get("objective") or rr
            secs = rr.get("seconds") if name in TIMED_INSIDE else c["wall_seconds"]
            secs = secs if secs is not None else c["wall_seconds"]
            status = c.get("error") or rr.get("status") or ("ok" if name == "pairs" else "")
            L.append(f"| {name} | {secs:.2f} | {secs / mt:.2f} | {c['max_rss_mb']:.0f} | {c['tree_peak_mb']:.0f} | "
                     f"{ob.get('served_value', '')} | {ob.get('total_distance_m', '')} | {status} |"
                     + (f" {', '.join(f'{x:.2f}' for x in c.get('runs_seconds', [secs]))} |" if reps else ""))
        st = (C.get("matcher", {}).get("result") or {}).get("stats") or {}
        if st.get("stage_seconds"):
            stages = dict(st["stage_seconds"])
            rest = C["matcher"]["wall_seconds"] - sum(stages.values())
            L += ["", "matcher stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
                  + f", start+read+write {rest:.2f}"
                  + (f"; parts {st.get('components')}" if "components" in st else "")]
        p = C.get("pairs", {}).get("result") or {}
        if p:
            L.append(f"pairs alone (separate process): parse+validate {p['parse_validate']:.2f} s, "
                     f"candidate pairs {p['candidates']:.2f} s")
        b = C.get("bareflow", {}).get("result") or {}
        if b.get("solve_seconds") is not None:
            L.append(f"bare flow: build {b['build_seconds']:.2f} s, solve {b['solve_seconds']:.2f} s")
        L += [""] + [f"- {line}" for line in summary_lines(r)] + [""]
    pts = [(r.get("pairs"), C["matcher"]["wall_seconds"]) for r in runs
           if r["size"] in ("M", "L", "XL") and r["rules"] == "plain" and "error" not in (C := r["contenders"]).get("matcher", {"error": 1})]
    fpts = [(r.get("pairs"), r["contenders"]["bareflow"]["result"].get("seconds")) for r in runs
            if r["size"] in ("M", "L", "XL") and "error" not in r["contenders"].get("bareflow", {"error": 1})]
    e, ef = fit_exponent(pts), fit_exponent(fpts)
    L += ["## Growth with pairs", ""]
    L.append("time ~ pairs^k fitted over " + ", ".join(f"{p:,} pairs: {t:.1f} s" for p, t in pts) + ": "
             + (f"matcher k = {e:.2f}" if e is not None else "matcher k = n/a (needs two sizes)")
             + (f", bare monolithic flow k = {ef:.2f}" if ef is not None else ""))
    L.append("(each size from its own run, at the time shown in its heading)")
    L += ["", "## Targets", ""] + [f"- {line}" for line in targets(runs)] + [""]
    target.write_text("\n".join(L) + "\n", encoding="utf-8")


def targets(runs: list[dict]) -> list[str]:
    """The issue's targets, judged from the stored runs."""
    by = {r["size"]: r for r in runs if r["size"] != "C" or r["rules"] == "members"}
    out = []

    def mt(r):
        return r["contenders"]["matcher"]["wall_seconds"]

    if "L" in by and "bareflow_over_matcher" in by["L"]["summary"]:
        s = by["L"]["summary"]
        ratio = 1 / s["bareflow_over_matcher"]
        out.append(f"L: matcher end to end {mt(by['L']):.2f} s = {ratio:.2f}x the bare monolithic flow "
                   f"({s['bareflow_seconds']:.2f} s), same optimum {s['bareflow_same_optimum']}: "
                   + ("met" if ratio <= 1.0 and s["bareflow_same_optimum"] else "NOT met (target <= 1.0x)"))
    if "M" in by:
        s = by["M"]["summary"]
        for name, want in (("cbc", 20), ("highs", 3)):
            if f"{name}_over_matcher" in s:
                k = s[f"{name}_over_matcher"]
                ks = s.get(f"{name}_over_service")
                best = max(k, ks or 0)
                out.append(f"M: {name} {k:.1f}x slower than the matcher command end to end"
                           + (f", {ks:.1f}x slower than matcher as a running service (both timed after imports, "
                              f"{name} from ready pairs, matcher from the JSON file)" if ks else "")
                           + f" (target >= {want}x, same optimum {s[f'{name}_same_optimum']}): "
                           + ("met" + (" as a service; the command's interpreter start and imports alone take "
                                       "about 0.5 s" if k < want else "") if best >= want and s[f"{name}_same_optimum"]
                              else "NOT met"))
            elif f"{name}_timeout_seconds" in s:
                k = s[f"{name}_timeout_seconds"] / mt(by["M"])
                out.append(f"M: {name} stopped unfinished after more than {k:.0f}x matcher's time (target >= {want}x): met")
    if "XL" in by:
        m = by["XL"]["contenders"]["matcher"]
        st = (m.get("result") or {}).get("status")
        peak = max(m["max_rss_mb"], m["tree_peak_mb"]) / 1024
        out.append(f"XL: {st} in {m['wall_seconds']:.0f} s, peak memory {peak:.2f} GiB (target: exact, < 8 GiB): "
                   + ("met" if st == "optimal" and peak < 8 else "NOT met"))
    if "C" in by and "gap_pct" in by["C"]["summary"]:
        m = by["C"]["contenders"]["matcher"]
        gap = by["C"]["summary"]["gap_pct"]
        st = m["result"].get("status")
        out.append(f"C (20k members, max_projects 1-2): {st}, gap {gap:.2f} % in {m['wall_seconds']:.0f} s "
                   f"(target: optimal or gap < 0.5 % within 60 s): " + ("met" if st == "optimal" or gap < 0.5 else "NOT met"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="side-by-side benchmark of one round size")
    ap.add_argument("--size", choices=list(generate.SIZES), default="S")
    ap.add_argument("--rules", choices=("plain", "members", "full"), default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--milp-max-pairs", type=int, default=200_000,
                    help="run HiGHS and CBC only up to this many pairs (they take minutes to hours above)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per contender, seconds")
    ap.add_argument("--dask", type=int, default=0, metavar="N", help="also solve on a local Dask cluster of N workers")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run each contender N times (odd) and keep its median run (a stopped run is not repeated)")
    ap.add_argument("--out-dir", default=str(HERE), help="where results/SIZE.json and RESULTS.md go")
    a = ap.parse_args(argv)
    out = Path(a.out_dir)
    (out / "results").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"bench-{a.size}-") as work:
        res = run_size(a.size, a.seed, a.rules, a.milp_max_pairs, a.timeout, a.dask, Path(work), repeat=a.repeat)
    res["machine"], res["versions"] = _machine(), _versions()
    name = a.size if (a.rules is None) else f"{a.size}-{a.rules}"
    (out / "results" / f"{name}.json").write_text(json.dumps(res, indent=1), encoding="utf-8")
    write_results_md(out / "results", out / "RESULTS.md")
    print(f"written {out / 'RESULTS.md'}")
    return 0 if "error" not in res["contenders"].get("matcher", {}) else 1


if __name__ == "__main__":
    raise SystemExit(main())
