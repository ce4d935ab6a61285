"""Default solver: split into independent parts, solve each exactly and fast.

Two needs or resources are in the same part when a chain of candidate pairs
links them, or when their resources belong to one provider whose
``max_projects`` can bind. Parts share nothing, so the lexicographic optimum
of the round is the sum of the parts' optima, and the round is proven optimal
when every part is.

All plain parts (no binding provider limit, minimum lot or all-or-nothing
need) go to min-cost flow: one call when they are small, else one call per
large part (small parts packed together). Separate flows per part are much
faster than one flow over all of them (figures in ``docs/scale.md``), because
the cost-scaling algorithm works to the widest cost range in its network.
Each other part goes to CP-SAT (large ones first through the heuristics of
:mod:`matcher.solvers.heuristics` and the LP of :mod:`matcher.solvers.lp`)
with a share of the time left proportional to its size; unused time carries
over, and while time is left the parts not proven yet are revisited from
their best result (hint) until every part is proven or the limit is reached.

The list of tasks depends on the round only. :func:`matcher.parallel.choose`
decides how they run: here one after the other, on forked local processes,
or on the workers of a Dask cluster, with the identical result.
"""
from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any, Optional

import numpy as np

from .. import parallel
from ..errors import NotApplicable
from ..problem import Problem, Solution, SolveOptions, Status, components
from . import cpsat, flow
from .greedy import greedy_quantities
from .heuristics import better as _better, polish as _polish, relaxed, repair

NAME = "auto"
FLOW_TASK_PAIRS = 10_000  # up to this many plain pairs: one flow call
FLOW_PART_PAIRS = 10_000  # above: one flow per part at least this large


def compact(p: Problem, sel: np.ndarray) -> Problem:
    """The pairs ``sel`` as a problem of their own: only the resources, needs and
    providers they touch, renumbered in their original order (so every solver
    sees the same network as over :meth:`Problem.restrict`, only smaller to ship)."""
    res, r_loc = np.unique(p.pair_res[sel], return_inverse=True)
    need, n_loc = np.unique(p.pair_need[sel], return_inverse=True)
    grp, g_loc = np.unique(p.group[res], return_inverse=True)
    return Problem(cap=p.cap[res], min_qty=p.min_qty[res], group=g_loc.astype(np.int32),
                   group_limit=p.group_limit[grp], qty=p.qty[need], weight=p.weight[need], aon=p.aon[need],
                   pair_res=r_loc.astype(np.int32), pair_need=n_loc.astype(np.int32),
                   pair_dist=p.pair_dist[sel], pair_lock=p.pair_lock[sel],
                   pair_prev=None if p.pair_prev is None else p.pair_prev[sel],
                   group_target=None if p.group_target is None else p.group_target[grp])


def flow_batches(label: np.ndarray, plain: np.ndarray) -> list[np.ndarray]:
    """Pair indices of each flow call: all plain parts in one call when they have
    at most ``FLOW_TASK_PAIRS`` pairs; otherwise one call per part of at least
    ``FLOW_PART_PAIRS`` pairs, the smaller parts packed in part order into calls
    of about that many pairs."""
    on = label >= 0
    on[on] = plain[label[on]]
    sel = np.flatnonzero(on)
    if sel.size <= FLOW_TASK_PAIRS:
        return [sel] if sel.size else []
    sizes = np.bincount(label[sel], minlength=plain.size)
    batch_of_part = np.zeros(plain.size, dtype=np.int64)
    batch, filled = 0, 0
    for c in np.flatnonzero(plain).tolist():
        if sizes[c] >= FLOW_PART_PAIRS:  # a large part: a flow of its own
            batch_of_part[c] = batch + (filled > 0)
            batch += 1 + (filled > 0)
            filled = 0
            continue
        batch_of_part[c] = batch
        filled += int(sizes[c])
        if filled >= FLOW_PART_PAIRS:
            batch, filled = batch + 1, 0
    of_pair = batch_of_part[label[sel]]
    order = np.argsort(of_pair, kind="stable")
    bounds = np.searchsorted(of_pair[order], np.arange(int(of_pair.max()) + 2))
    return [sel[order[bounds[b]: bounds[b + 1]]] for b in range(bounds.size - 1) if bounds[b + 1] > bounds[b]]


HEURISTIC_PAIRS = 20_000  # CP-SAT parts at least this large also get a flow bound and a repaired-flow start
# ... and, when a provider limit binds, the LP bound and the LP dive (matcher/solvers/lp.py)
DIVE_NEAREST = 10  # the dive's LPs use each need's this many nearest pairs (plus the LP's and the start's)
DIVE_SHARE = 0.8  # the bound LP and the dive end by this share of the part's time limit
CPSAT_PAIRS_PER_S = 2_000  # after the dive, CP-SAT runs on the whole part only with >= 1 s per this many pairs


class _Start:
    """The best result of a part found so far by the heuristics, and the bounds proven."""

    def __init__(self, sub: Problem, options: SolveOptions):
        self.sub, self.options = sub, options
        self.x: Optional[np.ndarray] = None
        self.relax_value: Optional[int] = None
        self.relax_x: Optional[np.ndarray] = None
        self.lp_value: Optional[int] = None

    def bounds(self) -> list[int]:
        return [b for b in (self.lp_value, self.relax_value, self.sub.value_upper_bound()) if b is not None]

    def take(self, x: Optional[np.ndarray]) -> None:
        """Keep ``x`` when it is better; report the part's best value and bound."""
        self.x = _better(self.sub, self.x, x)
        if self.x is not None:
            self.options.note(best_value=self.sub.objective(self.x)[0], bound=min(self.bounds()))

    def stopped(self) -> Solution:
        """The part's result when a stop request ended the heuristics."""
        if self.x is None:
            return _unsolved(self.sub, STOPPED_MESSAGE)
        return Solution.of(self.sub, Status.FEASIBLE, self.x, NAME, bound=min(self.bounds()), message=STOPPED_MESSAGE)


STOPPED_MESSAGE = "stopped on request; kept the best result found so far"


def _unsolved(sub: Problem, message: str) -> Solution:
    """A part no stage has solved (a stop came first): its locks alone when they keep every rule
    (all-or-nothing needs), else the greedy result; bound: what the part's pairs can carry."""
    got = sub.need_load(sub.pair_lock)
    if not (sub.aon & (got > 0) & (got < sub.qty)).any():
        x: Optional[np.ndarray] = sub.pair_lock.copy()
    else:
        x = greedy_quantities(sub)
    if x is None:
        return Solution.empty(sub, Status.UNKNOWN, NAME, message)
    return Solution.of(sub, Status.FEASIBLE, x, NAME, bound=sub.value_upper_bound(), message=message)


def _heuristics(sub: Problem, options: SolveOptions, st: _Start, t0: float) -> None:
    """The relaxed flow (bound, repaired start) and, when a provider limit binds, the LP bound and dive."""
    from . import lp  # lazy: only large side-constrained parts need it

    stop = options.should_stop
    options.note(stage="relaxed flow")
    try:
        r = flow.solve(relaxed(sub), SolveOptions(workers=options.workers, should_stop=stop))
        if r.status is Status.OPTIMAL:
            st.relax_value, st.relax_x = r.served_value, r.x
            st.take(repair(sub, r.x, stop))
            st.take(_polish(sub, st.x, should_stop=stop))
    except NotApplicable:
        pass
    if st.x is None or not sub.binding_groups().any():
        return
    lp_end = t0 + DIVE_SHARE * options.time_limit_s
    options.note(stage="LP bound")
    st.lp_value, res = lp.lp_bound(sub, time_limit_s=max(0.1, 0.5 * (lp_end - time.perf_counter())),
                                   should_stop=stop)
    if res is None:
        return
    st.take(None)  # the new bound
    options.say(f"auto: LP bound {st.lp_value} (relaxed flow {st.relax_value}) in {res.seconds:.1f} s")
    cols = lp.nearest_pairs(sub, DIVE_NEAREST) | (res.x > 1e-6) | (st.x > 0) | sub.locked
    if st.relax_x is not None:
        cols |= st.relax_x > 0
    options.note(stage="LP dive")
    rounded = lp.dive(sub, cols, lp_end, say=options.say, should_stop=stop)
    if rounded is not None:
        st.take(_polish(sub, repair(sub, rounded, stop), should_stop=stop))
    options.say(f"auto: LP dive result {sub.objective(st.x)[0]}")


def cpsat_part(sub: Problem, options: SolveOptions) -> Solution:
    """One side-constrained part by CP-SAT, started from the greedy result.

    Large parts (``HEURISTIC_PAIRS``) first get the relaxed flow (a bound and,
    repaired, a start) and, when a provider limit binds, the LP relaxation of
    :mod:`matcher.solvers.lp` (a much tighter proven bound) and its dive (a
    near-optimal start). CP-SAT then runs on the whole part with the time left,
    unless that is too short for its presolve (``CPSAT_PAIRS_PER_S``). When
    CP-SAT does not prove the optimum, the best result found is kept, with the
    tightest bound at hand. Every stage polls ``options.should_stop``; a stop
    keeps the best result so far."""
    t0 = time.perf_counter()
    deadline = t0 + options.time_limit_s
    st = _Start(sub, options)
    try:
        options.note(stage="greedy")
        st.take(greedy_quantities(sub, options.should_stop))
        if sub.n_pairs >= HEURISTIC_PAIRS:
            _heuristics(sub, options, st, t0)
    except parallel.Stopped:
        return st.stopped()
    if options.stopped():
        return st.stopped()
    start, bounds = st.x, st.bounds()
    heuristic_bound = min(bounds)
    left = deadline - time.perf_counter()
    if start is not None and st.lp_value is not None and left * CPSAT_PAIRS_PER_S < sub.n_pairs:
        proven = sub.objective(start)[0] >= heuristic_bound
        return Solution.of(sub, Status.FEASIBLE, start, NAME, bound=heuristic_bound,
                           message="part too large for CP-SAT in the time left; kept the LP dive result ("
                                   + ("served value proven by the LP bound, the later levels not proven)" if proven
                                      else "bound: the LP relaxation)"))
    sol = cpsat.solve(sub, replace(options, time_limit_s=max(0.05, left), hint=start))
    if sol.status in (Status.OPTIMAL, Status.INFEASIBLE) or start is None:
        return sol
    found = sol.x if sol.status is Status.FEASIBLE else None
    best = _better(sub, found, start)
    if found is not None and sol.bound_served_value is not None:
        bounds.append(sol.bound_served_value)
    message = sol.message if found is not None and best is found else (
        "CP-SAT found no better result within the time limit; kept the best heuristic result")
    return Solution.of(sub, Status.FEASIBLE, best, NAME, bound=min(bounds), message=message)


def parts(p: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Part label per pair (-1 for pairs that can never carry anything) and
    whether each part needs CP-SAT. A provider whose limit or target can bind
    joins its resources into one part."""
    usable = (p.pair_hi() > 0) | p.locked
    nr, nn, ng = p.cap.size, p.qty.size, p.group_limit.size
    label = np.full(p.n_pairs, -1, dtype=np.int64)
    idx = np.flatnonzero(usable)
    if idx.size == 0:
        return label, np.zeros(0, dtype=bool)
    ri, nj = p.pair_res[idx], p.pair_need[idx]
    binding = p.binding_groups() | p.target_groups()
    res_in = np.unique(ri)
    res_bind = res_in[binding[p.group[res_in]]]
    rows = np.concatenate([ri, res_bind])
    cols = np.concatenate([nr + nj, nr + nn + p.group[res_bind]])
    node_label = components(nr + nn + ng, rows, cols)
    # parts numbered in the order of their labels (as np.unique(..., return_inverse) would)
    lut = np.full(int(node_label.max()) + 1, -1, dtype=np.int64)
    used = np.unique(node_label[res_in])
    lut[used] = np.arange(used.size)
    compact = lut[node_label[ri]]
    label[idx] = compact
    side = p.side_constrained_pairs()[idx]
    needs_cpsat = np.zeros(int(compact.max()) + 1, dtype=bool)
    needs_cpsat[compact[side]] = True
    return label, needs_cpsat


class _Merge:
    """The round's result, assembled part by part (x, and per part status, bound and message),
    and the round's progress figures as the parts come in (``options.note``)."""

    def __init__(self, p: Problem, options: Optional[SolveOptions] = None):
        self.x = np.zeros(p.n_pairs, dtype=np.int64)
        self.status: dict[int, Status] = {}  # per part (flow batches under negative keys)
        self.bound: dict[int, int] = {}
        self.message: dict[int, str] = {}
        self.value: dict[int, int] = {}
        self.ub: dict[int, int] = {}  # what each part's pairs can carry
        self.parts: dict[int, int] = {}  # how many parts each key holds
        self.options = options or SolveOptions()
        self.total_ub = p.value_upper_bound() if self.options.on_progress is not None else 0
        self.parts_total = 0

    def add(self, key: int, sel: np.ndarray, sub: Problem, sol: Solution, zero_if_unknown: bool = True,
            parts: int = 1) -> Solution:
        """Take one part's solution (replacing an earlier one of the same part; ``parts``: how many parts
        ``sel`` holds, for the progress figures)."""
        if zero_if_unknown and sol.status is Status.UNKNOWN and not sub.locked.any():
            # nothing found in time, but serving nothing is always valid here
            sol = Solution.of(sub, Status.FEASIBLE, np.zeros(sub.n_pairs, dtype=np.int64), NAME,
                              bound=sub.value_upper_bound(), message=sol.message)
        self.x[sel] = sol.x
        self.status[key] = sol.status
        self.bound[key] = sol.bound_served_value if sol.bound_served_value is not None else sub.value_upper_bound()
        self.message[key] = sol.message
        self.value[key] = sol.served_value
        if self.options.on_progress is not None:
            self.ub[key], self.parts[key] = sub.value_upper_bound(), parts
            done = sum(self.parts.values())
            self.options.note(parts_done=done, parts_total=max(self.parts_total, done), **self._figures(None))
        return sol

    def _figures(self, without: Optional[int]) -> dict[str, int]:
        """The round's served value and bound from the parts in hand (``without`` one of them)."""
        keys = [k for k in self.status if k != without]
        value = sum(self.value[k] for k in keys)
        bound = self.total_ub - sum(self.ub[k] - self.bound[k] for k in keys)
        return {"best_value": value, "bound": bound}

    def part_options(self, key: int, sub: Problem, options: SolveOptions) -> SolveOptions:
        """``options`` for solving one part: its progress figures become the round's."""
        if options.on_progress is None:
            return options
        part_ub = sub.value_upper_bound()

        def note(**fields) -> None:
            base = self._figures(key)
            base["bound"] -= part_ub
            for name in ("best_value", "bound"):
                if name in fields:
                    fields[name] = int(fields[name]) + base[name]
            options.note(**fields)

        return replace(options, on_progress=note)

    def solution(self, p: Problem, stats: dict) -> Solution:
        statuses = set(self.status.values())
        status = next((s for s in (Status.INFEASIBLE, Status.UNKNOWN, Status.FEASIBLE) if s in statuses),
                      Status.OPTIMAL)
        messages: list[str] = []
        for m in self.message.values():
            if m and m not in messages:
                messages.append(m)
        if status in (Status.INFEASIBLE, Status.UNKNOWN):
            return Solution.empty(p, status, NAME, "; ".join(messages))
        return Solution.of(p, status, self.x, NAME, bound=sum(self.bound.values()),
                           message="; ".join(messages), **stats)


def _run_flows(p: Problem, label: np.ndarray, needs_cpsat: np.ndarray, options: SolveOptions,
               merged: _Merge, stats: dict) -> list[int]:
    """Solve the plain parts by min-cost flow; the parts flow cannot model (cost range) go back to CP-SAT.
    Flows a stop request left unsolved keep their locks only."""
    batches = flow_batches(label, ~needs_cpsat)
    stats["flow_tasks"] = len(batches)
    merged.parts_total += len(batches)
    subs = [compact(p, sel) for sel in batches]
    runner = parallel.current()
    mode = parallel.choose(runner, len(subs), sum(sub.n_pairs for sub in subs), options.workers)
    order = sorted(range(len(subs)), key=lambda b: -subs[b].n_pairs)  # longest first
    tasks = [("flow", subs[b], options.time_limit_s, options.workers, None) for b in order]
    flow.preload()
    options.note(stage="min-cost flow")
    if mode == "dask":
        done = runner.map(run_task, tasks)
    elif mode == "fork":
        cores = min(options.workers or os.cpu_count() or 1, len(tasks))
        options.say(f"auto: {len(tasks)} flows on {cores} local processes")
        done = parallel.local_map(run_task, tasks, cores, costs=[t[1].n_pairs for t in tasks],
                                  should_stop=options.should_stop)
    else:
        done = parallel.local_map(lambda t: _flow_or_none(t[1], options), tasks, 1, should_stop=options.should_stop)
    back: list[int] = []
    for b, sol in zip(order, done):
        if sol is parallel.STOPPED:
            sol = _unsolved(subs[b], STOPPED_MESSAGE)
        elif sol is None:  # cost range too wide for one flow: let CP-SAT take those parts
            back += np.unique(label[batches[b]]).tolist()
            merged.parts_total -= 1  # counted again as CP-SAT parts
            continue
        merged.add(-1 - b, batches[b], subs[b], sol, zero_if_unknown=False)
    return back


def _flow_or_none(sub: Problem, options: SolveOptions) -> Any:
    """The flow's solution; ``None`` when flow cannot model it; ``parallel.STOPPED`` on a stop request."""
    try:
        return flow.solve(sub, options)
    except NotApplicable:
        return None
    except parallel.Stopped:
        return parallel.STOPPED


def run_task(task: tuple) -> Optional[Solution]:
    """Solve one task (``kind, problem, time limit, workers, hint``) on a worker;
    ``None`` when flow cannot model it."""
    kind, sub, time_limit, workers, hint = task
    options = SolveOptions(time_limit_s=time_limit, workers=workers, hint=hint)
    return _flow_or_none(sub, options) if kind == "flow" else cpsat_part(sub, options)


REVISIT_MIN_S = 0.2  # unproven parts are revisited while at least this much of the limit is left


def _run_cpsat_remote(p: Problem, label: np.ndarray, parts_: list[int], sizes: dict, deadline: float,
                      options: SolveOptions, merged: _Merge) -> None:
    """CP-SAT parts side by side on a cluster: each gets its share of the time left times the parallelism."""
    runner = parallel.current()
    total = sum(sizes[c] for c in parts_)
    remaining = max(0.0, deadline - time.perf_counter())
    fan = max(1, min(runner.workers, len(parts_)))
    sels = [np.flatnonzero(label == c) for c in parts_]
    subs = [compact(p, sel) for sel in sels]
    tasks = [("cpsat", sub, max(0.05, min(remaining, remaining * fan * sizes[c] / max(1, total))),
              options.workers, None) for c, sub in zip(parts_, subs)]
    options.say(f"auto: {len(tasks)} cpsat parts on {runner.workers} workers")
    for c, sel, sub, sol in zip(parts_, sels, subs, runner.map(run_task, tasks)):
        merged.add(c, sel, sub, sol)


def _revisit(sub: Problem, best: np.ndarray, options: SolveOptions) -> tuple[bool, Optional[Solution]]:
    """CP-SAT again on an unproven part, from its best result: (whether CP-SAT ran, its
    solution when it proved the part or found a better result). It does not run when the
    slice is too short for a large part (``CPSAT_PAIRS_PER_S``)."""
    if sub.n_pairs >= HEURISTIC_PAIRS and options.time_limit_s * CPSAT_PAIRS_PER_S < sub.n_pairs:
        return False, None
    sol = cpsat.solve(sub, replace(options, hint=best))
    if sol.status is Status.OPTIMAL or (sol.status is Status.FEASIBLE and _better(sub, sol.x, best) is sol.x):
        return True, sol
    return True, None


def _run_cpsat_here(p: Problem, label: np.ndarray, parts_: list[int], sizes: dict, deadline: float,
                    options: SolveOptions, merged: _Merge, stats: dict) -> None:
    """CP-SAT parts one after the other, each with a share of the time left in proportion to its
    size (unused time carries over). While time is left, the parts not proven yet are revisited,
    each continuing from its best result as a hint, until all are proven or the limit is reached.
    A stop request ends the loop at once: parts not reached keep their locks only (:func:`_unsolved`)."""
    todo, passes = list(parts_), 0
    while todo:
        passes += 1
        left = sum(sizes[c] for c in todo)
        unproven = []
        for k, c in enumerate(todo):
            if options.stopped():
                if passes == 1:  # the parts not reached, together (they share nothing)
                    sel = np.flatnonzero(np.isin(label, todo[k:]))
                    merged.add(c, sel, p.restrict(sel), _unsolved(p.restrict(sel), STOPPED_MESSAGE),
                               parts=len(todo) - k)
                break
            sel = np.flatnonzero(label == c)
            sub = p.restrict(sel)
            share = max(0.0, deadline - time.perf_counter()) * sizes[c] / max(1, left)
            left -= sizes[c]
            options.say(f"auto: pass {passes}, part {k + 1}/{len(todo)} with {sel.size} pairs by cpsat")
            opts = merged.part_options(c, sub, replace(options, time_limit_s=max(0.05, share)))
            if passes == 1:
                sol = merged.add(c, sel, sub, cpsat_part(sub, opts))
                if sol.status in (Status.INFEASIBLE, Status.UNKNOWN):
                    stats["cpsat_passes"] = passes
                    return
            else:
                ran, sol = _revisit(sub, merged.x[sel].copy(), opts)
                if sol is None:  # nothing better within the slice: the earlier result (and bound) stay
                    unproven += [c] if ran else []
                    continue
                bound = merged.bound[c]
                merged.add(c, sel, sub, sol)
                merged.bound[c] = min(bound, merged.bound[c])
            if merged.status[c] is Status.FEASIBLE:
                unproven.append(c)
        todo = unproven if not options.stopped() and deadline - time.perf_counter() >= REVISIT_MIN_S else []
    stats["cpsat_passes"] = passes


def solve(problem: Problem, options: SolveOptions) -> Solution:
    t0 = time.perf_counter()
    deadline = t0 + options.time_limit_s
    p = problem
    label, needs_cpsat = parts(p)
    merged = _Merge(p, options)
    n_flow = int((~needs_cpsat).sum())
    stats = {"components": int(needs_cpsat.size), "components_flow": n_flow,
             "components_cpsat": int(needs_cpsat.sum())}
    cpsat_parts = np.flatnonzero(needs_cpsat).tolist()
    if n_flow:
        cpsat_parts = sorted(set(cpsat_parts) | set(_run_flows(p, label, needs_cpsat, options, merged, stats)))
    sizes = dict(enumerate(np.bincount(label[label >= 0], minlength=needs_cpsat.size).tolist()))
    ordered = sorted(cpsat_parts, key=lambda c: (-sizes.get(c, 0), c))
    merged.parts_total += len(ordered)
    if ordered and parallel.choose(parallel.current(), len(ordered), 0, options.workers) == "dask":
        _run_cpsat_remote(p, label, ordered, sizes, deadline, options, merged)
    elif ordered:
        _run_cpsat_here(p, label, ordered, sizes, deadline, options, merged, stats)
    stats["seconds"] = time.perf_counter() - t0
    return merged.solution(p, stats)
