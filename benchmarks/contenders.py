"""The contenders the harness measures: baselines a competent user would write.

    python -m benchmarks.contenders ready ROUND.json RESULT.json --names A,B,... [--repeat N] [--warmup ROUND]
                                    [--lp-max-pairs P] [--time-limit S]
    python -m benchmarks.contenders whole NAME ROUND.json RESULT.json [--time-limit S]

Every baseline starts from the same ready arrays: the round validated and
its candidate pairs computed by matcher (``matcher.service.prepare``), kept as
capacities, quantities, weights and the pairs with their rounded distances.

* ``flow``: OR-Tools ``SimpleMinCostFlow`` solved ONE CONNECTED COMPONENT AT A
  TIME (one network per component of the pair graph, one process), with the
  lexicographic multiplier of ``matcher.solvers.flow``: in component ``c``,
  ``M_c`` = 1 + the sum over its needs of min(quantity, what its arcs carry)
  x its farthest arc, and each served unit of need ``j`` costs
  ``-weight_j * M_c``; every pair costs its metres.
* ``flow_mono``: the same arcs and multipliers in one network (for
  reference: the widest component's cost range then governs the whole solve).
* ``highs``: HiGHS (``scipy.optimize.linprog``) as ONE LP over the same arcs
  with the same lexicographic costs. A transportation LP with integer data
  has integral vertices, so no integrality constraint is needed (adding the
  phase-1 value row to a MILP would break that and start branch and bound).
* ``cbc``: the same LP through PuLP and its bundled CBC.
* ``greedy``: pairs by weight (highest first), then distance (nearest first),
  each given what is left of its resource and its need.

``ready`` times the named contenders in one process, interleaved (A B A B
...), after one untimed warm-up round of each on ``--warmup`` (imports and
first calls paid), with the prepared round's objects frozen out of the cyclic
garbage collector (``gc.freeze``, as ``matcher solve`` pauses it), so that no
contender pays for rescanning them. ``matcher`` there is ``matcher.service.solve_prepared`` on
the prepared round (solve, verify, output document). ``whole`` is one
contender as a whole process from the round file (the harness times the
process); it also reports the time of its own build and solve from the ready
arrays (``inside``), imports done beforehand. Each run's result carries its
served value, distance and quantity, and whether it respects every capacity,
quantity and pair bound (``feasible``).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import time
from pathlib import Path
from collections.abc import Callable

import numpy as np

BASELINES = ("flow", "flow_mono", "highs", "cbc", "greedy")


def preload() -> None:
    """Import every backend now, so that no timing pays an import."""
    import pulp  # noqa: F401
    from ortools.graph.python import min_cost_flow  # noqa: F401
    from scipy.optimize import linprog  # noqa: F401
    from scipy.sparse.csgraph import connected_components  # noqa: F401

    from matcher.service import prepare, solve_prepared  # noqa: F401


def arrays(prep) -> dict:
    """The plain problem of a prepared round as arrays (plain rounds only)."""
    p = prep.problem
    if not p.is_plain() or p.locked.any():
        raise SystemExit("the baselines compare plain rounds only (no provider limits, lots, locks)")
    return {"cap": p.cap.astype(np.int64), "qty": p.qty.astype(np.int64), "weight": p.weight.astype(np.int64),
            "res": p.pair_res.astype(np.int64), "need": p.pair_need.astype(np.int64),
            "dist": p.pair_dist.astype(np.int64)}


def objective(a: dict, x) -> dict:
    """Served value, distance and quantity of a solution, and whether it is feasible."""
    x = np.asarray(x, dtype=float)
    xi = np.rint(x).astype(np.int64)
    hi = np.minimum(a["cap"][a["res"]], a["qty"][a["need"]])
    ok = bool(np.abs(x - xi).max(initial=0) < 1e-6 and (xi >= 0).all() and (xi <= hi).all()
              and (np.bincount(a["res"], weights=xi, minlength=a["cap"].size) <= a["cap"]).all()
              and (np.bincount(a["need"], weights=xi, minlength=a["qty"].size) <= a["qty"]).all())
    return {"served_value": int(np.dot(a["weight"][a["need"]], xi)), "total_distance_m": int(np.dot(a["dist"], xi)),
            "served_quantity": int(xi.sum()), "feasible": ok}


# ---------------------------------------------------------------- the baselines

def lex_scale(a: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair bounds, the component of each pair and each need's multiplier ``M_c`` (see the module doc)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    cap, qty, pr, pn, dist = a["cap"], a["qty"], a["res"], a["need"], a["dist"]
    nr, nn = cap.size, qty.size
    hi = np.minimum(cap[pr], qty[pn])
    g = coo_matrix((np.ones(pr.size, dtype=np.int8), (pr, nr + pn)), shape=(nr + nn, nr + nn))
    _, label = connected_components(g, directed=False)
    reach = np.bincount(pn, weights=hi, minlength=nn).astype(np.int64)
    far = np.zeros(nn, dtype=np.int64)
    np.maximum.at(far, pn, dist)
    need_comp = label[nr:]
    bound = np.zeros(int(label.max(initial=0)) + 1, dtype=np.int64)
    np.add.at(bound, need_comp, np.minimum(qty, reach) * far)
    M = bound[need_comp] + 1
    if float((a["weight"] * M).max(initial=0)) * (nr + nn + 3) >= 2.0 ** 62:
        raise SystemExit("scaled costs overflow 64-bit integers")
    return hi, label[pr], M


def _network(a: dict, idx: np.ndarray, hi: np.ndarray, M: np.ndarray) -> tuple[np.ndarray, float, float]:
    """One min-cost flow over the pairs ``idx``: their flows, build and solve seconds."""
    from ortools.graph.python import min_cost_flow

    t0 = time.perf_counter()
    r_nodes, rl = np.unique(a["res"][idx], return_inverse=True)
    n_nodes, nl = np.unique(a["need"][idx], return_inverse=True)
    nr, nn = r_nodes.size, n_nodes.size
    source, sink = nr + nn, nr + nn + 1
    supply = int(min(a["cap"][r_nodes].sum(), a["qty"][n_nodes].sum()))
    tails = np.concatenate([np.full(nr, source), rl, nr + np.arange(nn), [source]]).astype(np.int32)
    heads = np.concatenate([np.arange(nr), nr + nl, np.full(nn, sink), [sink]]).astype(np.int32)
    caps = np.concatenate([a["cap"][r_nodes], hi[idx], a["qty"][n_nodes], [supply]]).astype(np.int64)
    costs = np.concatenate([np.zeros(nr, dtype=np.int64), a["dist"][idx],
                            -a["weight"][n_nodes] * M[n_nodes], [0]]).astype(np.int64)
    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    mcf.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([supply, -supply], dtype=np.int64))
    t1 = time.perf_counter()
    status = mcf.solve()
    t2 = time.perf_counter()
    if status != mcf.OPTIMAL:
        raise SystemExit(f"min-cost flow status {status}")
    return mcf.flows(arcs[nr: nr + idx.size]), t1 - t0, t2 - t1


def flow(a: dict, time_limit: float) -> tuple[np.ndarray, dict]:
    """Per-component exact lexicographic min-cost flow."""
    hi, comp, M = lex_scale(a)
    order = np.argsort(comp, kind="stable")
    sc = comp[order]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]]) if sc.size else np.zeros(0, dtype=np.int64)
    ends = np.r_[starts[1:], sc.size]
    x = np.zeros(comp.size, dtype=np.int64)
    build = solve = 0.0
    for s, e in zip(starts.tolist(), ends.tolist()):
        idx = order[s:e]
        x[idx], b, v = _network(a, idx, hi, M)
        build, solve = build + b, solve + v
    return x, {"status": "optimal", "components": int(starts.size), "build_seconds": build, "solve_seconds": solve}


def flow_mono(a: dict, time_limit: float) -> tuple[np.ndarray, dict]:
    """The same arcs and multipliers in one network."""
    hi, comp, M = lex_scale(a)
    x, b, v = _network(a, np.arange(comp.size), hi, M)
    return x, {"status": "optimal", "build_seconds": b, "solve_seconds": v}


def _lex_costs(a: dict) -> tuple[np.ndarray, np.ndarray]:
    hi, _, M = lex_scale(a)
    return hi, (a["dist"] - a["weight"][a["need"]] * M[a["need"]]).astype(float)


def highs(a: dict, time_limit: float) -> tuple[np.ndarray, dict]:
    """One LP with lexicographic costs, HiGHS through scipy."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    hi, c = _lex_costs(a)
    P = c.size
    rows = np.concatenate([a["res"], a["cap"].size + a["need"]])
    A = csr_matrix((np.ones(2 * P), (rows, np.tile(np.arange(P), 2))), shape=(a["cap"].size + a["qty"].size, P))
    b = np.concatenate([a["cap"], a["qty"]]).astype(float)
    r = linprog(c, A_ub=A, b_ub=b, bounds=np.column_stack([np.zeros(P), hi.astype(float)]), method="highs",
                options={"time_limit": time_limit})
    if r.x is None or r.status != 0:
        return np.zeros(P), {"status": f"HiGHS: {r.message}"}
    return r.x, {"status": "optimal"}


def cbc(a: dict, time_limit: float) -> tuple[np.ndarray, dict]:
    """The same LP through PuLP and CBC."""
    import pulp

    hi, c = _lex_costs(a)
    x = [pulp.LpVariable(f"x{k}", lowBound=0, upBound=int(h)) for k, h in enumerate(hi.tolist())]
    prob = pulp.LpProblem("lexicographic", pulp.LpMinimize)
    prob.setObjective(pulp.LpAffineExpression(list(zip(x, c.tolist()))))
    for key, limit in (("res", a["cap"]), ("need", a["qty"])):
        rows: dict[int, list] = {}
        for k, i in enumerate(a[key].tolist()):
            rows.setdefault(i, []).append((x[k], 1))
        for i, terms in rows.items():
            prob += pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintLE, rhs=int(limit[i]))
    prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1))
    xs = np.array([v.varValue or 0.0 for v in x])
    st = pulp.LpStatus[prob.status]
    return xs, {"status": "optimal" if st == "Optimal" else f"CBC: {st}"}


def greedy(a: dict, time_limit: float) -> tuple[np.ndarray, dict]:
    """Highest weight first, then nearest: each pair gets what is left."""
    order = np.lexsort((a["dist"], -a["weight"][a["need"]])).tolist()
    cap, qty = a["cap"].tolist(), a["qty"].tolist()
    pr, pn = a["res"].tolist(), a["need"].tolist()
    x = [0] * len(pr)
    for k in order:
        r, n = pr[k], pn[k]
        q = min(cap[r], qty[n])
        if q > 0:
            x[k], cap[r], qty[n] = q, cap[r] - q, qty[n] - q
    return np.array(x, dtype=np.int64), {"status": "feasible"}


SOLVE: dict[str, Callable[[dict, float], tuple[np.ndarray, dict]]] = {
    "flow": flow, "flow_mono": flow_mono, "highs": highs, "cbc": cbc, "greedy": greedy}


# ---------------------------------------------------------------- timing

def cpu_now() -> float:
    """CPU seconds of this process and its waited-for children (forked solvers, the CBC binary)."""
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def spread(xs: list[float]) -> dict | None:
    """Median, minimum and maximum of ``xs`` (None when empty)."""
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)} if xs else None


def timed(fn: Callable[[], dict]) -> dict:
    """Run ``fn`` (returning a result dict); add its wall and CPU seconds."""
    t0, c0 = time.perf_counter(), cpu_now()
    out = fn()
    out.update(wall_seconds=time.perf_counter() - t0, cpu_seconds=cpu_now() - c0)
    return out


def runner(name: str, prep, time_limit: float) -> Callable[[], dict]:
    """A no-argument run of contender ``name`` on a prepared round (matcher or a baseline)."""
    if name == "matcher":
        from matcher.service import solve_prepared

        def run_matcher() -> dict:
            doc = solve_prepared(prep).document
            return {"status": doc["status"], **{k: doc["objective"][k] for k in
                                                ("served_value", "total_distance_m", "served_quantity")}}
        return run_matcher
    a = arrays(prep)

    def run_baseline() -> dict:
        x, info = SOLVE[name](a, time_limit)
        return {**info, **objective(a, x)}
    return run_baseline


def run_ready(round_path: str, out: str, names: list[str], repeat: int, time_limit: float, warmup: str,
              lp_max_pairs: int) -> None:
    from matcher.service import prepare

    preload()
    t0 = time.perf_counter()
    prep = prepare(Path(round_path).read_bytes(), source=round_path)
    result = {"prepare_seconds": time.perf_counter() - t0, "pairs": int(prep.problem.n_pairs), "skipped": []}
    if prep.problem.n_pairs > lp_max_pairs:
        result["skipped"] = [n for n in names if n in ("highs", "cbc")]
        names = [n for n in names if n not in ("highs", "cbc")]
    if warmup:
        warm = prepare(Path(warmup).read_bytes(), source=warmup)
        for name in names:
            runner(name, warm, time_limit)()
    result.update(load_before=load_average(), runs={name: [] for name in names})
    fns = {name: runner(name, prep, time_limit) for name in names}
    gc.collect()
    gc.freeze()  # the prepared round's millions of objects are not rescanned by whichever contender allocates next
    for _ in range(max(1, repeat)):
        for name in names:  # interleaved: every contender once per round, in the same order
            result["runs"][name].append(timed(fns[name]))
    result["load_after"] = load_average()
    Path(out).write_text(json.dumps(result, indent=1))


def run_whole(name: str, round_path: str, out: str, time_limit: float) -> None:
    from matcher.service import prepare

    preload()
    prep = prepare(Path(round_path).read_bytes(), source=round_path)
    fn = runner(name, prep, time_limit)
    gc.collect()
    gc.freeze()
    inside = timed(fn)
    inside["inside_wall_seconds"], inside["inside_cpu_seconds"] = inside.pop("wall_seconds"), inside.pop("cpu_seconds")
    Path(out).write_text(json.dumps({**inside, "prepare_seconds": prep.seconds}, indent=1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="one benchmark contender process")
    ap.add_argument("mode", choices=("ready", "whole"))
    ap.add_argument("args", nargs="+")
    ap.add_argument("--names", default="matcher," + ",".join(BASELINES))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--warmup", default="")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--lp-max-pairs", type=int, default=200_000, help="ready: skip highs and cbc above this many pairs")
    a = ap.parse_args(argv)
    if a.mode == "ready":
        round_path, out = a.args
        run_ready(round_path, out, a.names.split(","), a.repeat, a.time_limit, a.warmup, a.lp_max_pairs)
    else:
        name, round_path, out = a.args
        if name not in SOLVE:
            raise SystemExit(f"unknown contender {name!r} (matcher's whole process is `matcher solve`)")
        run_whole(name, round_path, out, a.time_limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
