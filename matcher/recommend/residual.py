"""The residual network of an optimal plain flow, its node potentials, and exact
successive shortest paths for one new need or one new resource.

Network (one node ``O`` for source and sink together, so that serving nothing
is free): ``O -> resource`` (room = capacity left after locks, cost 0),
``resource -> need`` per free plain pair (room = what the pair can carry, cost
= metres), ``need -> O`` (room = quantity left after locks, cost
``-weight * M``). Every arc has its reverse (room = its flow, cost negated).
``M`` is one more than twice any total distance a flow change can have, so a
cost compares (value, distance) lexicographically in one int64 (a round whose
costs times the node count reach 2^61 is refused, so no sum can overflow).

Potentials ``pi`` are shortest distances from ``O`` in the residual network
of the stored optimum (Bellman-Ford once per round); the optimum has no
negative cycle, so every reduced cost ``c + pi[u] - pi[v]`` is >= 0, which is
checked exactly in integers (a certificate of the stored optimum).

Adding a need ``v`` with arcs ``r -> v`` (and ``v -> O``) is a min-cost flow
from a new supply: successive shortest ``O ~> r -> v`` paths (Dijkstra on
reduced costs, backwards from the candidate resources), each augmenting while
its cycle cost ``dist - weight_v * M`` is negative. The cycle costs never
decrease (successive shortest paths keep the flow optimal for its amount), so
stopping at the first non-negative one gives exactly the lexicographic optimum
of the round plus the need. A new resource is the mirror image (forward
Dijkstra from its candidate needs to ``O``). Each augmenting path is a
displacement chain. Every call undoes its changes: the network is shared.
The searches and augmentations run compiled (``kernel.py``, numba) on the
network's arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import SolverFailed
from ..problem import Problem

_EXACT_INT = 1 << 61  # |cost| * nodes below this: every distance and sum fits in int64
_UNREACHED = 1 << 62  # = kernel.UNREACHED: no potential


class _Scratch:
    """Per-node work arrays of the kernel's searches, one set per network (kept on it)."""

    def __init__(self, n_nodes: int):
        self.label = np.zeros(n_nodes, dtype=np.int64)
        self.via = np.full(n_nodes, -1, dtype=np.int64)
        self.stamp = np.zeros(1 + n_nodes, dtype=np.int64)
        self.done = np.zeros(n_nodes, dtype=np.int64)


@dataclass
class Network:
    """Residual arcs in pairs (``a`` and ``a ^ 1`` are reverses) as int64 arrays; node 0 is ``O``,
    resources are ``1..R``, needs ``R+1..R+N``. ``in_ptr``/``in_arc`` and ``out_ptr``/``out_arc``
    list the arcs entering and leaving each node (CSR, in arc order). ``pi``: potentials,
    ``_UNREACHED`` where a node is unreachable from ``O`` (see :meth:`pi_of`). Changes made
    through :meth:`set_room` and the kernel are journalled; :meth:`undo` takes them all back."""

    n_res: int
    head: np.ndarray
    cost: np.ndarray
    room: np.ndarray
    pair: np.ndarray  # pair index of a pair arc (forward and reverse), -1 otherwise
    in_ptr: np.ndarray
    in_arc: np.ndarray
    out_ptr: np.ndarray
    out_arc: np.ndarray
    pi: np.ndarray
    M: int
    journal: list = field(default_factory=list)  # (array, log, length) chunks, oldest first
    scratch: Optional[_Scratch] = field(default=None, repr=False)  # the searches' work arrays, made at first use

    @classmethod
    def from_arcs(cls, n_res: int, n_nodes: int, head, cost, room, pair, M: int) -> Network:
        """A network of the given arcs (pairs of reverses), its adjacency built, no potentials yet."""
        head = np.asarray(head, dtype=np.int64)
        tail = head[np.arange(head.size) ^ 1]
        in_ptr, in_arc = _csr(head, n_nodes)
        out_ptr, out_arc = _csr(tail, n_nodes)
        return cls(n_res, head, np.asarray(cost, dtype=np.int64), np.asarray(room, dtype=np.int64),
                   np.asarray(pair, dtype=np.int64), in_ptr, in_arc, out_ptr, out_arc,
                   np.full(n_nodes, _UNREACHED, dtype=np.int64), M)

    @property
    def n_nodes(self) -> int:
        return int(self.pi.size)

    def res_node(self, i: int) -> int:
        return 1 + i

    def need_node(self, j: int) -> int:
        return 1 + self.n_res + j

    def pi_of(self, v: int) -> int | None:
        """The potential of node ``v`` as a Python int, None when unreachable from ``O``."""
        d = int(self.pi[v])
        return None if d == _UNREACHED else d

    def adjacency(self, backward: bool) -> tuple[np.ndarray, np.ndarray]:
        """``(ptr, arcs)``: the CSR lists of the arcs entering (``backward``) or leaving each node."""
        return (self.in_ptr, self.in_arc) if backward else (self.out_ptr, self.out_arc)

    def arcs_of(self, v: int, backward: bool) -> np.ndarray:
        """The arcs entering (``backward``) or leaving node ``v``."""
        ptr, adj = self.adjacency(backward)
        return adj[ptr[v]:ptr[v + 1]]

    def work(self) -> _Scratch:
        """The per-node work arrays of this network's searches (made once)."""
        if self.scratch is None:
            self.scratch = _Scratch(self.n_nodes)
        return self.scratch

    def set_room(self, a: int, value: int) -> None:
        self.journal.append((self.room, np.array([a, self.room[a]], dtype=np.int64), 1))
        self.room[a] = value

    def undo(self) -> None:
        from .kernel import restore

        for values, log, n in reversed(self.journal):
            restore(values, log, n)
        self.journal.clear()


def _csr(node_of_arc: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(node_of_arc, kind="stable").astype(np.int64)
    ptr = np.searchsorted(node_of_arc[order], np.arange(n_nodes + 1)).astype(np.int64)
    return ptr, order


def scale_for(p: Problem, plain: np.ndarray, max_distance_m: float) -> int:
    """``M``: one more than twice the distance any flow change can move (stored pairs
    at their largest, plus a new item of 1,000,000 units at the global distance cap)."""
    hi = p.pair_hi()[plain].astype(object)
    stored = int(np.dot(hi, p.pair_dist[plain].astype(object))) if plain.any() else 0
    return 1 + 2 * (stored + 1_000_000 * (int(max_distance_m) + 1))


def build_network(p: Problem, x: np.ndarray, plain: np.ndarray, max_distance_m: float) -> Network:
    """The residual network of quantities ``x`` over the free pairs ``plain`` (a mask)."""
    R, N = p.cap.size, p.qty.size
    res_locked, need_locked, _ = p.locked_load()
    free = plain & ~p.locked & (p.pair_hi() > 0)
    idx = np.flatnonzero(free)
    M = scale_for(p, free, max_distance_m)
    n_nodes = 1 + R + N
    top = max([M * int(p.weight.max()) if N else 0] + ([int(p.pair_dist[idx].max())] if idx.size else []))
    if top * n_nodes >= _EXACT_INT:
        raise SolverFailed("recommend", "the scaled costs of this round are too large for exact potentials")
    x = np.asarray(x, dtype=np.int64)
    res_used = np.bincount(p.pair_res[idx], weights=x[idx], minlength=R).astype(np.int64)
    need_got = np.bincount(p.pair_need[idx], weights=x[idx], minlength=N).astype(np.int64)
    pr, pn = p.pair_res[idx].astype(np.int64), p.pair_need[idx].astype(np.int64)
    pair_hi = np.minimum(np.minimum((p.cap - res_locked)[pr], (p.qty - need_locked)[pn]), p.pair_hi()[idx])
    res_all, need_all = np.arange(R, dtype=np.int64), np.arange(N, dtype=np.int64)  # an idle resource starts too
    tails = np.concatenate([np.zeros(R, dtype=np.int64), 1 + pr, 1 + R + need_all])
    heads = np.concatenate([1 + res_all, 1 + R + pn, np.zeros(N, dtype=np.int64)])
    caps = np.concatenate([p.cap - res_locked, pair_hi, p.qty - need_locked]).astype(np.int64)
    flows = np.concatenate([res_used, x[idx], need_got])
    costs = np.concatenate([np.zeros(R, dtype=np.int64), p.pair_dist[idx].astype(np.int64),
                            -p.weight.astype(np.int64) * np.int64(M)])
    pairs = np.concatenate([np.full(R, -1, dtype=np.int64), idx.astype(np.int64), np.full(N, -1, dtype=np.int64)])
    net = Network.from_arcs(R, n_nodes, _interleave(heads, tails), _interleave(costs, -costs),
                            _interleave(caps - flows, flows), _interleave(pairs, pairs), M)
    net.pi = potentials(net, n_nodes)
    return net


def _interleave(forward: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """Arc ``2i`` from ``forward[i]``, arc ``2i + 1`` (its reverse) from ``reverse[i]``."""
    out = np.empty(2 * forward.size, dtype=np.int64)
    out[0::2], out[1::2] = forward, reverse
    return out


def potentials(net: Network, n_nodes: int) -> np.ndarray:
    """Shortest distances from ``O`` on the residual arcs (``_UNREACHED`` where none), checked
    exactly (reduced costs >= 0).

    Label-correcting rounds in exact int64 arithmetic, vectorised: each round relaxes the arcs
    out of the nodes whose distance fell in the round before (Bellman-Ford's bound: a distance
    still falling after ``n_nodes`` rounds means a negative cycle, i.e. the stored result is
    not optimal). Rounds are as many as the longest shortest path has arcs, not ``n_nodes``.
    """
    arcs = np.flatnonzero(net.room > 0)
    dist = np.full(n_nodes, _UNREACHED, dtype=np.int64)
    dist[0] = 0
    if arcs.size == 0:
        return dist
    tails, heads, costs = net.head[arcs ^ 1], net.head[arcs], net.cost[arcs]
    if max(abs(int(costs.max())), abs(int(costs.min()))) * n_nodes >= _EXACT_INT:
        raise SolverFailed("recommend", "the scaled costs of this round are too large for exact potentials")
    dist = _label_correcting(tails, heads, costs, n_nodes)
    reached = dist < _UNREACHED
    t_ok = reached[tails]
    if (t_ok & (~reached[heads] | (costs + dist[tails] - dist[heads] < 0))).any():
        raise SolverFailed("recommend", "the stored result is not optimal (negative reduced cost)")
    return dist


def _label_correcting(tails: np.ndarray, heads: np.ndarray, costs: np.ndarray, n_nodes: int) -> np.ndarray:
    """Distances from node 0 (``_UNREACHED`` where none); ``SolverFailed`` on a negative cycle."""
    order = np.argsort(tails, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    starts = np.searchsorted(tails, np.arange(n_nodes + 1))
    dist = np.full(n_nodes, _UNREACHED, dtype=np.int64)
    dist[0] = 0
    active = np.array([0], dtype=np.int64)
    for _ in range(n_nodes + 1):
        if active.size == 0:
            return dist
        lo, hi = starts[active], starts[active + 1]
        counts = hi - lo
        sel = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(counts.sum())
        cand = dist[tails[sel]] + costs[sel]
        better = cand < dist[heads[sel]]
        if not better.any():
            return dist
        h, c = heads[sel][better], cand[better]
        before = dist.copy()
        np.minimum.at(dist, h, c)
        active = np.flatnonzero(dist < before)
    raise SolverFailed("recommend", "the stored result is not optimal (negative cycle)")


@dataclass
class Added:
    """What adding one new item changed: units it got per candidate, changed pairs, and the objective change."""

    sent: dict  # candidate node -> units on its new arc
    dx: dict  # pair index -> change of quantity
    d_value: int = 0
    d_dist: int = 0


def add_item(net: Network, arcs: dict, weight_m: int, quantity: int, backward: bool) -> Added:
    """Successive shortest paths for a new need (``backward``; ``arcs``: resource node ->
    (metres, room)) or a new resource (``arcs``: need node -> (metres, room), ``weight_m``
    unused: the value comes from the needs' own arcs). Leaves the network changed; call ``undo``."""
    from . import kernel

    out = Added({v: 0 for v in arcs}, {})
    if not arcs or quantity <= 0:
        return out
    nodes = np.fromiter(arcs, dtype=np.int64, count=len(arcs))
    dist = np.array([d for d, _ in arcs.values()], dtype=np.int64)
    cap = np.array([c for _, c in arcs.values()], dtype=np.int64)
    w = net.work()
    ptr, adj = net.adjacency(backward)
    sent, dx, room_log, n_room, pi_log, n_pi = kernel.add_item(
        net.pi, net.room, net.head, net.cost, net.pair, ptr, adj, backward, nodes, dist, cap,
        np.int64(weight_m), np.int64(quantity), w.label, w.via, w.stamp, w.done)
    net.journal += [(net.room, room_log, n_room), (net.pi, pi_log, n_pi)]
    out.sent = {int(v): int(u) for v, u in zip(nodes.tolist(), sent.tolist())}
    rows = dx.tolist()
    for k, d in zip(rows[0::2], rows[1::2]):
        out.dx[k] = out.dx.get(k, 0) + d
    return out


def one_more_unit(net: Network, p: Problem, i: int) -> Added | None:
    """Exact change of the lexicographic optimum when resource ``i`` (in the network, with
    ``min_qty <= 1``) gets one more unit: the cheapest cycle ``O -> i ~> O`` through the new
    unit (one Dijkstra on reduced costs). ``None`` when ``i`` has no potential (unreachable).

    The stored optimum has no negative cycle, so any one the new unit opens passes through
    its arc ``O -> i``; augmenting one unit along the cheapest such cycle is optimal again
    (the successive-shortest-path argument). Arcs out of ``i`` whose room the capacity capped
    gain one unit too; they leave the start node, which Dijkstra allows to be negative. The
    network is left unchanged."""
    from . import kernel

    v = net.res_node(i)
    if net.pi_of(v) is None:
        return None
    res_locked, need_locked, _ = p.locked_load()
    hi = p.pair_hi()
    cap = int(p.cap[i] - res_locked[i])
    try:
        for a in net.arcs_of(v, backward=True).tolist():
            if a % 2 == 0 and net.pair[a] < 0:  # O -> i
                net.set_room(a, net.room[a] + 1)
        for a in net.arcs_of(v, backward=False).tolist():
            k = int(net.pair[a])
            if a % 2 == 0 and k >= 0:  # i -> need: its room grows where the capacity capped it
                j = int(p.pair_need[k])
                left = int(p.qty[j] - need_locked[j])
                old = min(cap, left, int(hi[k]))
                new = min(cap + 1, left, min(int(p.cap[i]) + 1, int(p.qty[j])))
                net.set_room(a, net.room[a] + new - old)
        w = net.work()
        D, _ = kernel.search(net.pi, net.room, net.head, net.cost, *net.adjacency(False), False,
                             np.array([v], dtype=np.int64), np.array([-net.pi[v]], dtype=np.int64),
                             w.label, w.via, w.stamp, w.done)
        out = Added({}, {})
        if D == _UNREACHED or D >= 0:
            return out
        u = 0
        while w.via[u] >= 0:
            a = int(w.via[u])
            k = int(net.pair[a])
            if k >= 0:
                out.dx[k] = out.dx.get(k, 0) + (1 if a % 2 == 0 else -1)
            u = int(net.head[a ^ 1])
        out.d_value = sum(int(p.weight[p.pair_need[k]]) * d for k, d in out.dx.items())
        out.d_dist = sum(int(p.pair_dist[k]) * d for k, d in out.dx.items())
        if out.d_dist - out.d_value * net.M != int(D):
            raise SolverFailed("marginal", "the cheapest cycle's cost does not match its pairs (internal error)")
        return out
    finally:
        net.undo()
