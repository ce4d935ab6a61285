"""The arrays-only problem handed to solvers, and what they hand back.

Solvers never see ids or JSON: a :class:`Problem` is integer arrays over
resources (``cap``, ``min_qty``, ``group``), needs (``qty``, ``weight``,
``aon``), provider groups (``group_limit``) and candidate pairs (``pair_res``,
``pair_need``, ``pair_dist``, ``pair_lock``). A :class:`Solution` is one
integer quantity per pair plus a :class:`Status` (what was found), a
:class:`StopReason` (why the solver stopped) and typed :class:`SolverStats`.

The helpers every solver shares live on :class:`Problem`: what a pair can
carry (:meth:`Problem.pair_hi`, :meth:`Problem.usable`), loads and the locks'
load, projects per provider (:meth:`Problem.group_count`), the per-provider
group-by against ``max_projects`` (:meth:`Problem.beyond_limit`), the rule
check of a result (:meth:`Problem.is_feasible`), the independent parts of the
round (:meth:`Problem.parts`, from :func:`components`) and a part as a
problem of its own (:meth:`Problem.compact`).

Optional levels: ``pair_prev`` (quantity of each pair in the previous plan,
``None`` = no previous plan; ``prev_outside`` = previous units on pairs that are
no candidates now) and ``group_target`` (projects each provider group should
get, ``NO_LIMIT`` = none; ``None`` = no provider has a target).

The objective is lexicographic: maximize ``sum(weight[need] * x)``, then (with
a previous plan) minimize the churn ``sum |x - pair_prev|``, then (with
targets) the shortfall ``sum_g max(0, target_g - projects_g)``, then minimize
``sum(dist * x)``.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional
from collections.abc import Callable

import numpy as np

NO_LIMIT = -1


def rank_in_runs(keys: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal consecutive ``keys``
    (0 for the first of a run): with keys sorted by group, the rank in the group."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return np.arange(keys.size) - np.repeat(start, np.diff(np.r_[start, keys.size]))


SMALL_GRAPH = 50_000  # nodes + edges up to which components() does without scipy (its import costs ~0.2 s)


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes of the undirected graph with edges ``a[k] - b[k]``:
    components numbered 0, 1, ... in the order of their smallest node (as scipy's ``connected_components``)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if n + a.size <= SMALL_GRAPH:
        return np.unique(_smallest_node(n, a, b), return_inverse=True)[1].astype(np.int32)
    from scipy.sparse import coo_matrix  # lazy: only big rounds need it
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(g, directed=False)[1]


def _smallest_node(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest node of each node's component: every edge hooks the larger of its two ends' roots
    under the smaller, then pointer jumping flattens the trees; until no edge joins two roots."""
    root = np.arange(n, dtype=np.int64)
    while a.size:
        ra, rb = root[a], root[b]
        if (ra == rb).all():
            break
        low = np.minimum(ra, rb)
        np.minimum.at(root, ra, low)
        np.minimum.at(root, rb, low)
        while True:
            up = root[root]
            if (up == root).all():
                break
            root = up
    return root


class Status(str, enum.Enum):
    """One status set for every solver (native codes are mapped onto it)."""

    OPTIMAL = "optimal"  # both objective levels proven
    FEASIBLE = "feasible"  # a valid result, not proven optimal (time limit, greedy)
    INFEASIBLE = "infeasible"  # proven: no result satisfies the rules (locks)
    UNKNOWN = "unknown"  # stopped before any valid result was found

    def __str__(self) -> str:
        return self.value


class StopReason(str, enum.Enum):
    """Why a solver stopped, kept apart from what it found (:class:`Status`), as Pyomo keeps its
    ``TerminationCondition`` apart from the solution status. ``optimal`` goes with ``proven`` and
    ``infeasible`` with ``infeasible``; a ``feasible`` or ``unknown`` result names the limit that ended it."""

    PROVEN = "proven"  # the result is proven optimal on every level
    INFEASIBLE = "infeasible"  # proven: no result satisfies the rules
    TIME_LIMIT = "time_limit"  # the time limit ended the search before a proof
    CANCELLED = "cancelled"  # a stop request (``SolveOptions.should_stop``) ended it
    HEURISTIC = "heuristic"  # the method proves nothing: it ends with its own result (greedy)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, eq=False)
class Problem:
    cap: np.ndarray  # int64 [n_res]
    min_qty: np.ndarray  # int64 [n_res]
    group: np.ndarray  # int32 [n_res] provider index
    group_limit: np.ndarray  # int64 [n_groups], NO_LIMIT = none
    qty: np.ndarray  # int64 [n_need]
    weight: np.ndarray  # int64 [n_need]
    aon: np.ndarray  # bool [n_need]
    pair_res: np.ndarray  # int32 [P]
    pair_need: np.ndarray  # int32 [P]
    pair_dist: np.ndarray  # int64 [P]
    pair_lock: np.ndarray  # int64 [P], 0 = free pair
    pair_prev: Optional[np.ndarray] = None  # int64 [P] previous quantity, None = no previous plan
    prev_outside: int = 0  # previous units on pairs that are not candidates
    group_target: Optional[np.ndarray] = None  # int64 [n_groups], NO_LIMIT = none; None = no targets

    @property
    def n_pairs(self) -> int:
        return int(self.pair_res.size)

    @property
    def locked(self) -> np.ndarray:
        return self.pair_lock > 0

    def pair_hi(self) -> np.ndarray:
        """Largest quantity each pair can carry (its lock for locked pairs, 0 when
        unusable). Computed once per problem; the array is read-only."""
        hi = self.__dict__.get("_pair_hi")
        if hi is None:
            hi = np.minimum(self.cap[self.pair_res], self.qty[self.pair_need])
            hi = np.where(hi >= self.min_qty[self.pair_res], hi, 0)
            hi = np.where(self.locked, self.pair_lock, hi)
            hi.flags.writeable = False
            self.__dict__["_pair_hi"] = hi  # frozen dataclass: a cache beside the fields
        return hi

    def usable(self) -> np.ndarray:
        """Pairs that can carry units: free pairs with room for a lot, and locked pairs."""
        return (self.pair_hi() > 0) | self.locked

    def group_count(self, pairs=slice(None)) -> np.ndarray:
        """Pairs (a mask or indices) per provider group; with the pairs that carry units, its projects."""
        return np.bincount(self.group[self.pair_res[pairs]], minlength=self.group_limit.size).astype(np.int64)

    def beyond_limit(self, order: np.ndarray) -> np.ndarray:
        """The group-by of the provider limits: for pair indices ``order`` sorted by provider group
        (best first within each group), whether each comes after its provider's ``max_projects``."""
        go = self.group[self.pair_res[order]]
        limit = self.group_limit[go]
        return (limit >= 0) & (rank_in_runs(go) >= limit)

    def partly_served(self, got: np.ndarray) -> np.ndarray:
        """All-or-nothing needs that ``got`` (units per need) serves in part only."""
        return self.aon & (got > 0) & (got < self.qty)

    def restrict(self, pairs: np.ndarray) -> Problem:
        """The same resources and needs with only the given pairs (indices or mask)."""
        prev = None if self.pair_prev is None else self.pair_prev[pairs]
        return Problem(self.cap, self.min_qty, self.group, self.group_limit, self.qty, self.weight, self.aon,
                       self.pair_res[pairs], self.pair_need[pairs], self.pair_dist[pairs], self.pair_lock[pairs],
                       prev, 0, self.group_target)

    @property
    def has_previous(self) -> bool:
        return self.pair_prev is not None

    def target_groups(self) -> np.ndarray:
        """Provider groups whose ``target_projects`` can bind: a target above the projects
        their locks already give (a target of 0, or one the locks meet, never binds)."""
        if self.group_target is None:
            return np.zeros(self.group_limit.size, dtype=bool)
        return self.group_target > self.group_count(self.locked)

    def churn(self, x: np.ndarray) -> int:
        """Units added plus units removed against the previous plan (0 without one)."""
        if self.pair_prev is None:
            return 0
        return int(np.abs(np.asarray(x, dtype=np.int64) - self.pair_prev).sum()) + self.prev_outside

    def shortfall(self, x: np.ndarray) -> int:
        """Projects missing to reach the providers' targets (0 without targets)."""
        if self.group_target is None:
            return 0
        return int(np.maximum(0, self.group_target - self.group_count(np.asarray(x) > 0)).sum())

    def binding_groups(self) -> np.ndarray:
        """Provider groups whose project limit can actually bind (more pairs than the limit)."""
        return (self.group_limit >= 0) & (self.group_count(self.usable()) > self.group_limit)

    def side_constrained_pairs(self) -> np.ndarray:
        """Pairs whose feasibility or objective needs more than capacities: a binding
        provider limit or target, a minimum lot, an all-or-nothing need, or a lock those touch."""
        return self._group_pairs(self.binding_groups() | self.target_groups()) | self._lot_or_whole_pairs()

    def _group_pairs(self, groups: np.ndarray) -> np.ndarray:
        """Pairs of the resources of the provider groups ``groups`` (a mask per group)."""
        return groups[self.group[self.pair_res]]

    def _lot_or_whole_pairs(self) -> np.ndarray:
        """Free usable pairs of a resource with a minimum lot, and pairs of an all-or-nothing need of more than one unit."""
        lot = (self.pair_hi() > 0) & ~self.locked & (self.min_qty[self.pair_res] > 1)
        return lot | (self.aon[self.pair_need] & (self.qty[self.pair_need] > 1))

    def is_plain(self) -> bool:
        """True when a min-cost flow over the pair arcs alone models this problem exactly."""
        return not bool(self.side_constrained_pairs().any())

    def unit_groups(self) -> np.ndarray:
        """Provider groups whose limit can bind but every free pair of which carries at most one unit
        (micro-wishes of quantity 1, resources of capacity 1): their projects are their units, so the
        limit is a capacity on the group's total flow, which a flow with a provider node models."""
        hi = self.pair_hi()
        wide = np.zeros(self.group_limit.size, dtype=bool)
        wide[self.group[self.pair_res[(hi > 1) & ~self.locked]]] = True
        return self.binding_groups() & ~self.target_groups() & ~wide

    def beyond_flow_pairs(self) -> np.ndarray:
        """Pairs whose rules a flow with provider nodes for :meth:`unit_groups` cannot model: a minimum
        lot, an all-or-nothing need, a target, a limit over pairs of more than one unit, or (to keep the
        churn scaling's proof per component) any binding limit together with a previous plan."""
        groups = (self.binding_groups() | self.target_groups()) & ~self.unit_groups()
        if self.pair_prev is not None:
            groups = groups | self.binding_groups()
        return self._group_pairs(groups) | self._lot_or_whole_pairs()

    def flow_models(self) -> bool:
        """True when a min-cost flow (with provider nodes for :meth:`unit_groups`) models this problem exactly."""
        return not bool(self.beyond_flow_pairs().any())

    def locked_load(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What the locks take: units per resource, units per need, projects per provider group."""
        lk = self.locked
        return self.res_load(self.pair_lock, lk), self.need_load(self.pair_lock, lk), self.group_count(lk)

    def res_load(self, x: np.ndarray, pairs=slice(None)) -> np.ndarray:
        """Units of ``x`` (over the given pairs) per resource."""
        x = np.asarray(x)
        return np.bincount(self.pair_res[pairs], weights=x[pairs], minlength=self.cap.size).astype(np.int64)

    def need_load(self, x: np.ndarray, pairs=slice(None)) -> np.ndarray:
        """Units of ``x`` (over the given pairs) per need."""
        x = np.asarray(x)
        return np.bincount(self.pair_need[pairs], weights=x[pairs], minlength=self.qty.size).astype(np.int64)

    def is_feasible(self, x: np.ndarray) -> bool:
        """True when quantities ``x`` satisfy every rule of the problem (locks, pair room,
        capacities, quantities, minimum lots, all-or-nothing, provider limits)."""
        x = np.asarray(x)
        if x.size != self.n_pairs or (x < 0).any() or (x > np.maximum(self.pair_hi(), self.pair_lock)).any():
            return False
        lk, on = self.locked, x > 0
        if (x[lk] != self.pair_lock[lk]).any() or (x[on & ~lk] < self.min_qty[self.pair_res[on & ~lk]]).any():
            return False
        got = self.need_load(x)
        if (self.res_load(x) > self.cap).any() or (got > self.qty).any() or self.partly_served(got).any():
            return False
        return not ((self.group_limit >= 0) & (self.group_count(on) > self.group_limit)).any()

    def levels(self, x: np.ndarray) -> tuple[int, int, int, int]:
        """(served value, churn, shortfall, total distance) of ``x``: the key compared lexicographically
        (value maximized, the others minimized)."""
        v, d, _ = self.objective(x)
        return v, self.churn(x), self.shortfall(x), d

    def objective(self, x: np.ndarray) -> tuple[int, int, int]:
        """(served value, total distance, served quantity) of quantities ``x``."""
        x = np.asarray(x, dtype=np.int64)
        return (int(np.dot(self.weight[self.pair_need], x)), int(np.dot(self.pair_dist, x)), int(x.sum()))

    def value_upper_bound(self) -> int:
        """A valid bound on the served value: each need capped by what its pairs can carry."""
        reach = np.bincount(self.pair_need, weights=self.pair_hi(), minlength=self.qty.size).astype(np.int64)
        return int(np.dot(self.weight, np.minimum(self.qty, reach)))

    def parts(self) -> tuple[np.ndarray, np.ndarray]:
        """The independent parts of the problem: a part label per pair (-1 for pairs that can never
        carry anything) and, per part, whether it holds a side rule (so min-cost flow cannot model it).

        Parts are the connected components of the graph whose edges are the usable pairs and, for
        providers whose limit or target can bind, resource-provider links. Parts share nothing, so
        the lexicographic optimum is the sum of the parts' optima. They are numbered in the order of
        their smallest node (as ``np.unique(..., return_inverse=True)`` would)."""
        label = np.full(self.n_pairs, -1, dtype=np.int64)
        idx = np.flatnonzero(self.usable())
        if idx.size == 0:
            return label, np.zeros(0, dtype=bool)
        nr, nn, ng = self.cap.size, self.qty.size, self.group_limit.size
        ri, nj = self.pair_res[idx], self.pair_need[idx]
        binding = self.binding_groups() | self.target_groups()
        res_in = np.unique(ri)
        res_bind = res_in[binding[self.group[res_in]]]
        rows = np.concatenate([ri, res_bind])
        cols = np.concatenate([nr + nj, nr + nn + self.group[res_bind]])
        node_label = components(nr + nn + ng, rows, cols)
        lut = np.full(int(node_label.max()) + 1, -1, dtype=np.int64)
        used = np.unique(node_label[res_in])
        lut[used] = np.arange(used.size)
        label[idx] = lut[node_label[ri]]
        side = np.zeros(used.size, dtype=bool)
        side[label[idx][self.side_constrained_pairs()[idx]]] = True
        return label, side

    def compact(self, sel: np.ndarray) -> Problem:
        """The pairs ``sel`` as a problem of their own: only the resources, needs and providers they
        touch, renumbered in their original order (so every solver sees the same network as over
        :meth:`restrict`, only smaller to ship to another process)."""
        res, r_loc = np.unique(self.pair_res[sel], return_inverse=True)
        need, n_loc = np.unique(self.pair_need[sel], return_inverse=True)
        grp, g_loc = np.unique(self.group[res], return_inverse=True)
        return Problem(cap=self.cap[res], min_qty=self.min_qty[res], group=g_loc.astype(np.int32),
                       group_limit=self.group_limit[grp], qty=self.qty[need], weight=self.weight[need],
                       aon=self.aon[need], pair_res=r_loc.astype(np.int32), pair_need=n_loc.astype(np.int32),
                       pair_dist=self.pair_dist[sel], pair_lock=self.pair_lock[sel],
                       pair_prev=None if self.pair_prev is None else self.pair_prev[sel],
                       group_target=None if self.group_target is None else self.group_target[grp])


PROGRESS_FIELDS = ("stage", "best_value", "bound", "parts_done", "parts_total")


@dataclass
class SolveOptions:
    """How to solve: the time limit, the worker threads, a start, and three callbacks.

    ``progress`` takes text lines (the CLI's live line); ``on_progress`` takes
    structured figures as keywords of :data:`PROGRESS_FIELDS` (``stage``, and for
    the whole round ``best_value`` and ``bound`` of the served value, ``parts_done``
    of ``parts_total``), called from the solving thread, possibly often: keep it
    cheap (the worker stores a throttled copy); ``should_stop`` is polled by every
    long stage, and True makes it end early with the best result so far.
    """

    time_limit_s: float = 60.0
    workers: int = 0  # 0 = all cores
    hint: Optional[np.ndarray] = None  # quantities per pair, a known feasible solution
    progress: Optional[Callable[[str], None]] = None
    should_stop: Optional[Callable[[], bool]] = None  # polled; True asks the solver to stop early
    on_progress: Optional[Callable[..., None]] = None  # structured progress (keywords of PROGRESS_FIELDS)

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def note(self, **fields) -> None:
        """Report structured progress (see :data:`PROGRESS_FIELDS`)."""
        if self.on_progress is not None:
            self.on_progress(**fields)

    def stopped(self) -> bool:
        """Whether a stop was requested."""
        return self.should_stop is not None and self.should_stop()


@dataclass(frozen=True)
class SolverStats:
    """What a solver reports about its run besides the result; ``None`` (or ``()``): not reported.

    The output document's ``stats`` block copies ``components``, ``components_flow`` and
    ``components_cpsat``; its ``fairness`` block reads ``fairness_mode`` and
    ``value_without_fairness`` (:func:`matcher.output.build_output`)."""

    seconds: Optional[float] = None  # the whole solve (greedy, auto)
    build_seconds: Optional[float] = None  # building the model (flow, cpsat)
    solve_seconds: Optional[float] = None  # the min-cost flow itself (flow)
    level_seconds: tuple[float, ...] = ()  # each objective stage, in order (cpsat, fairness)
    components: Optional[int] = None  # auto: independent parts; flow: connected components of its network
    components_flow: Optional[int] = None  # auto: parts planned for min-cost flow
    components_cpsat: Optional[int] = None  # auto: parts planned for CP-SAT
    flow_tasks: Optional[int] = None  # auto: min-cost flow calls
    cpsat_passes: Optional[int] = None  # auto: passes over the CP-SAT parts (revisits included)
    value_without_fairness: Optional[int] = None  # fairness: the plain solve's served value V*
    fairness_mode: Optional[str] = None  # fairness: "maxmin" or "leximin"
    fairness_method: Optional[str] = None  # fairness: "flow", "flow+cpsat", "cpsat" or "none"
    fairness_checks: Optional[int] = None  # fairness by flow: coverage checks (min-cost flows) run
    fairness_stages: Optional[int] = None  # fairness by flow: saturation stages
    fairness_search_seconds: Optional[float] = None  # fairness by flow: the coverage search
    fairness_cpsat_seconds: Optional[float] = None  # fairness: CP-SAT's counting stages and later levels


_STOP_OF = {Status.OPTIMAL: StopReason.PROVEN, Status.INFEASIBLE: StopReason.INFEASIBLE}


@dataclass
class Solution:
    status: Status
    x: np.ndarray  # int64 quantity per pair
    solver: str
    served_value: int = 0
    total_distance: int = 0
    served_quantity: int = 0
    bound_served_value: Optional[int] = None
    message: str = ""
    stats: SolverStats = field(default_factory=SolverStats)
    stop: Optional[StopReason] = None  # None: the one an optimal or infeasible status implies

    def __post_init__(self) -> None:
        implied = _STOP_OF.get(self.status)
        if self.stop is None:
            if implied is None:
                raise ValueError(f"a {self.status} solution needs the reason its solver stopped")
            self.stop = implied
        elif (implied is not None or self.stop in _STOP_OF.values()) and self.stop is not implied:
            raise ValueError(f"a {self.status} solution cannot have stopped as {self.stop}")

    @classmethod
    def of(cls, problem: Problem, status: Status, x: np.ndarray, solver: str, bound: Optional[int] = None,
           message: str = "", stop: Optional[StopReason] = None, stats: Optional[SolverStats] = None) -> Solution:
        x = np.asarray(x, dtype=np.int64)
        v, d, q = problem.objective(x)
        if status is Status.OPTIMAL:
            bound = v
        return cls(status, x, solver, v, d, q, bound, message, stats or SolverStats(), stop)

    @classmethod
    def empty(cls, problem: Problem, status: Status, solver: str, message: str = "",
              stop: Optional[StopReason] = None) -> Solution:
        return cls(status, np.zeros(problem.n_pairs, dtype=np.int64), solver, 0, 0, 0, None, message, stop=stop)
