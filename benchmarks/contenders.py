"""The contenders the harness runs, each in its own process.

    python -m benchmarks.contenders pairs   ROUND.json PAIRS.npz RESULT.json
    python -m benchmarks.contenders service ROUND.json OUT.json RESULT.json
    python -m benchmarks.contenders bareflow PAIRS.npz RESULT.json
    python -m benchmarks.contenders highs    PAIRS.npz RESULT.json [--time-limit S]
    python -m benchmarks.contenders cbc      PAIRS.npz RESULT.json [--time-limit S]

``pairs`` validates the round, computes its candidate pairs with matcher and
saves the plain problem as arrays (capacities, quantities, weights, pairs with
their rounded distances). The other contenders start from those arrays, so
they get parsing and pairs for free; their time is model building plus
solving only (``seconds``), which is the conservative comparison for matcher.

``service`` is matcher itself as a running service (the API worker's path):
timed after imports and one warm-up solve, from reading the round file to
writing the output document, like the baselines, which are timed after their
imports too.

* ``bareflow``: one OR-Tools ``SimpleMinCostFlow`` over all pairs, with the
  same lexicographic scaling as ``matcher.solvers.flow`` (one ``M`` per
  connected component), built straight from numpy arrays: the floor for an
  exact monolithic solve.
* ``highs``: HiGHS through ``scipy.optimize.milp`` in two phases (maximize the
  served value; then fix it and minimize the distance).
* ``cbc``: the same two phases with PuLP and its bundled CBC.

Each writes a JSON result: seconds, served value, distance, quantity, status.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np


def _load(npz: str) -> dict:
    with np.load(npz) as z:
        return {k: z[k] for k in z.files}


def _result(path: str, **kw) -> None:
    Path(path).write_text(json.dumps(kw, indent=1))


PARTIAL: list[str] = []  # where to note phase 1 as soon as it ends (read when phase 2 is stopped)


def _partial(**kw) -> None:
    if PARTIAL:
        _result(PARTIAL[0], **kw)


def _objective(a: dict, x: np.ndarray) -> dict:
    x = np.rint(np.asarray(x, dtype=float)).astype(np.int64)
    return {"served_value": int(np.dot(a["weight"][a["need"]], x)), "total_distance_m": int(np.dot(a["dist"], x)),
            "served_quantity": int(x.sum())}


def run_pairs(round_path: str, npz: str, out: str) -> None:
    from matcher.service import prepare

    t0 = time.perf_counter()
    data = Path(round_path).read_bytes()
    prep = prepare(data, source=round_path)
    t1 = time.perf_counter()
    p = prep.problem
    if not p.is_plain() or p.locked.any():
        raise SystemExit("the baselines compare plain rounds only (no provider limits, lots, locks)")
    np.savez(npz, cap=p.cap, qty=p.qty, weight=p.weight, res=p.pair_res, need=p.pair_need, dist=p.pair_dist)
    _result(out, seconds=t1 - t0, parse_validate=prep.seconds["parse_validate"],
            candidates=prep.seconds["candidates"], pairs=int(p.n_pairs), resources=int(p.cap.size),
            needs=int(p.qty.size))


def run_service(round_path: str, out_path: str, out: str) -> None:
    """matcher as a running service solves a round (the API worker's path):
    imports and one warm-up solve of the bundled demo round first (a service
    pays those once), then timed: read the file, parse + validate, pairs, solve,
    verify, output document, JSON text, write the file."""
    from matcher.cli import DEMO_ROUND
    from matcher.service import solve_round

    solve_round(DEMO_ROUND.read_bytes())
    t0 = time.perf_counter()
    result = solve_round(Path(round_path).read_bytes(), source=round_path)
    Path(out_path).write_text(result.json(), encoding="utf-8")
    seconds = time.perf_counter() - t0
    doc = result.document
    _result(out, seconds=seconds, status=doc["status"], stage_seconds=doc["stats"].get("stage_seconds"),
            **{k: doc["objective"][k] for k in ("served_value", "total_distance_m", "served_quantity")})


def bare_flow(a: dict) -> tuple[np.ndarray, dict]:
    """Monolithic exact lexicographic min-cost flow, straight from the arrays."""
    from ortools.graph.python import min_cost_flow
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    t0 = time.perf_counter()
    cap, qty, weight, pr, pn, dist = a["cap"], a["qty"], a["weight"], a["res"], a["need"], a["dist"]
    nr, nn = cap.size, qty.size
    hi = np.minimum(cap[pr], qty[pn])
    n = nr + nn
    g = coo_matrix((np.ones(pr.size, dtype=np.int8), (pr, nr + pn)), shape=(n, n))
    _, label = connected_components(g, directed=False)
    reach = np.bincount(pn, weights=hi, minlength=nn).astype(np.int64)
    far = np.zeros(nn, dtype=np.int64)
    np.maximum.at(far, pn, dist)
    units = np.minimum(qty, reach)
    need_comp = label[nr:]
    bound = np.zeros(int(label.max()) + 1, dtype=np.int64)
    np.add.at(bound, need_comp, units * far)
    sink_cost = -weight * (bound[need_comp] + 1)
    if float(np.abs(sink_cost).max(initial=0)) * (n + 3) >= 2.0 ** 62:
        raise SystemExit("scaled costs overflow")
    source, sink = n, n + 1
    supply = int(min(cap.sum(), qty.sum()))
    tails = np.concatenate([np.full(nr, source), pr, nr + np.arange(nn), [source]]).astype(np.int32)
    heads = np.concatenate([np.arange(nr), nr + pn, np.full(nn, sink), [sink]]).astype(np.int32)
    caps = np.concatenate([cap, hi, qty, [supply]]).astype(np.int64)
    costs = np.concatenate([np.zeros(nr, dtype=np.int64), dist, sink_cost, [0]]).astype(np.int64)
    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    mcf.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([supply, -supply], dtype=np.int64))
    t1 = time.perf_counter()
    status = mcf.solve()
    t2 = time.perf_counter()
    if status != mcf.OPTIMAL:
        raise SystemExit(f"min-cost flow status {status}")
    x = mcf.flows(arcs[nr: nr + pr.size])
    t3 = time.perf_counter()
    return x, {"build_seconds": t1 - t0, "solve_seconds": t2 - t1, "seconds": t3 - t0,
               "components": int(label.max()) + 1, "status": "optimal"}


def _matrices(a: dict):
    from scipy.sparse import csr_matrix

    P = a["res"].size
    cols = np.arange(P)
    A_res = csr_matrix((np.ones(P), (a["res"], cols)), shape=(a["cap"].size, P))
    A_need = csr_matrix((np.ones(P), (a["need"], cols)), shape=(a["qty"].size, P))
    return A_res, A_need


def highs(a: dict, time_limit: float) -> tuple[np.ndarray, dict]:
    from scipy.optimize import Bounds, LinearConstraint, milp

    t0 = time.perf_counter()
    w = a["weight"][a["need"]].astype(float)
    hi = np.minimum(a["cap"][a["res"]], a["qty"][a["need"]]).astype(float)
    A_res, A_need = _matrices(a)
    cons = [LinearConstraint(A_res, -np.inf, a["cap"].astype(float)),
            LinearConstraint(A_need, -np.inf, a["qty"].astype(float))]
    integ = np.ones(w.size)
    bounds = Bounds(np.zeros(w.size), hi)
    r1 = milp(-w, integrality=integ, bounds=bounds, constraints=cons, options={"time_limit": time_limit})
    t1 = time.perf_counter()
    if r1.x is None or r1.status != 0:
        return np.zeros(w.size), {"seconds": t1 - t0, "status": f"phase 1: {r1.message}"}
    value = float(np.rint(-r1.fun))
    _partial(phase1_seconds=t1 - t0, phase1_served_value=int(value))
    left = max(1.0, time_limit - (t1 - t0))
    r2 = milp(a["dist"].astype(float), integrality=integ, bounds=bounds,
              constraints=cons + [LinearConstraint(w[None, :], value, np.inf)], options={"time_limit": left})
    t2 = time.perf_counter()
    if r2.x is None or r2.status != 0:
        return r1.x, {"seconds": t2 - t0, "phase1_seconds": t1 - t0, "status": f"phase 2: {r2.message}"}
    return r2.x, {"seconds": t2 - t0, "phase1_seconds": t1 - t0, "phase2_seconds": t2 - t1, "status": "optimal"}


def cbc(a: dict, time_limit: float) -> tuple[np.ndarray, dict]:
    import pulp

    t0 = time.perf_counter()
    P = a["res"].size
    hi = np.minimum(a["cap"][a["res"]], a["qty"][a["need"]]).tolist()
    w = a["weight"][a["need"]].tolist()
    dist = a["dist"].tolist()
    x = [pulp.LpVariable(f"x{k}", lowBound=0, upBound=hi[k], cat="Integer") for k in range(P)]
    prob = pulp.LpProblem("phase1", pulp.LpMaximize)
    value = pulp.lpSum(wk * xk for wk, xk in zip(w, x))
    prob += value
    by_res: dict[int, list] = {}
    by_need: dict[int, list] = {}
    for k, (i, j) in enumerate(zip(a["res"].tolist(), a["need"].tolist())):
        by_res.setdefault(i, []).append(x[k])
        by_need.setdefault(j, []).append(x[k])
    cap, qty = a["cap"].tolist(), a["qty"].tolist()
    for i, xs in by_res.items():
        prob += pulp.lpSum(xs) <= cap[i]
    for j, xs in by_need.items():
        prob += pulp.lpSum(xs) <= qty[j]
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1)
    prob.solve(solver)
    t1 = time.perf_counter()
    if pulp.LpStatus[prob.status] != "Optimal":
        return np.zeros(P), {"seconds": t1 - t0, "status": f"phase 1: {pulp.LpStatus[prob.status]}"}
    best = round(pulp.value(prob.objective))
    _partial(phase1_seconds=t1 - t0, phase1_served_value=int(best))
    prob.sense = pulp.LpMinimize
    prob.setObjective(pulp.lpSum(dk * xk for dk, xk in zip(dist, x)))
    prob += value >= best
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=max(1.0, time_limit - (t1 - t0)), threads=1)
    prob.solve(solver)
    t2 = time.perf_counter()
    xs = np.array([v.varValue or 0.0 for v in x])
    status = "optimal" if pulp.LpStatus[prob.status] == "Optimal" else f"phase 2: {pulp.LpStatus[prob.status]}"
    return xs, {"seconds": t2 - t0, "phase1_seconds": t1 - t0, "phase2_seconds": t2 - t1, "status": status}


def main(argv: list[str]) -> int:
    kind = argv[0]
    if kind == "pairs":
        run_pairs(argv[1], argv[2], argv[3])
        return 0
    if kind == "service":
        run_service(argv[1], argv[2], argv[3])
        return 0
    npz, out = argv[1], argv[2]
    limit = float(argv[argv.index("--time-limit") + 1]) if "--time-limit" in argv else 600.0
    a = _load(npz)
    PARTIAL.append(out + ".partial")
    if kind == "bareflow":
        x, info = bare_flow(a)
    elif kind == "highs":
        x, info = highs(a, limit)
    elif kind == "cbc":
        x, info = cbc(a, limit)
    else:
        raise SystemExit(f"unknown contender {kind!r}")
    _result(out, **info, **_objective(a, x))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
