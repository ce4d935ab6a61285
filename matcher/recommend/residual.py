"""The residual network of an optimal plain flow, its node potentials, and exact
successive shortest paths for one new need or one new resource.

Network (one node ``O`` for source and sink together, so that serving nothing
is free): ``O -> resource`` (room = capacity left after locks, cost 0),
``resource -> need`` per free plain pair (room = what the pair can carry, cost
= metres), ``need -> O`` (room = quantity left after locks, cost
``-weight * M``). Every arc has its reverse (room = its flow, cost negated).
``M`` is one more than twice any total distance a flow change can have, so a
cost compares (value, distance) lexicographically in one Python integer.

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
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from ..errors import SolverFailed
from ..problem import Problem

INF = float("inf")
_EXACT_INT = 1 << 61  # |cost| * nodes below this: every distance and sum fits in int64
_UNREACHED = 1 << 62


@dataclass
class Network:
    """Residual arcs in pairs (``a`` and ``a ^ 1`` are reverses); node 0 is ``O``,
    resources are ``1..R``, needs ``R+1..R+N``."""

    n_res: int
    head: list
    cost: list
    room: list
    pair: list  # pair index of a pair arc (forward and reverse), -1 otherwise
    out_arcs: list  # arc indices leaving each node
    in_arcs: list  # arc indices entering each node
    pi: list  # potentials (Python ints); None = unreachable from O
    M: int
    journal_room: dict = field(default_factory=dict)
    journal_pi: dict = field(default_factory=dict)

    def res_node(self, i: int) -> int:
        return 1 + i

    def need_node(self, j: int) -> int:
        return 1 + self.n_res + j

    def set_room(self, a: int, value: int) -> None:
        self.journal_room.setdefault(a, self.room[a])
        self.room[a] = value

    def set_pi(self, v: int, value: int) -> None:
        self.journal_pi.setdefault(v, self.pi[v])
        self.pi[v] = value

    def undo(self) -> None:
        for a, value in self.journal_room.items():
            self.room[a] = value
        for v, value in self.journal_pi.items():
            self.pi[v] = value
        self.journal_room.clear()
        self.journal_pi.clear()


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
    res_used = np.bincount(p.pair_res[idx], weights=x[idx], minlength=R).astype(np.int64)
    need_got = np.bincount(p.pair_need[idx], weights=x[idx], minlength=N).astype(np.int64)
    pr, pn = p.pair_res[idx], p.pair_need[idx]
    pair_hi = np.minimum(np.minimum((p.cap - res_locked)[pr], (p.qty - need_locked)[pn]), p.pair_hi()[idx])
    used_res, used_need = np.arange(R), np.arange(N)  # every node: an idle resource is a start too
    tails = np.concatenate([np.zeros(used_res.size, dtype=np.int64), 1 + pr.astype(np.int64),
                            1 + R + used_need.astype(np.int64)])
    heads = np.concatenate([1 + used_res.astype(np.int64), 1 + R + pn.astype(np.int64),
                            np.zeros(used_need.size, dtype=np.int64)])
    caps = np.concatenate([(p.cap - res_locked)[used_res], pair_hi, (p.qty - need_locked)[used_need]])
    flows = np.concatenate([res_used[used_res], x[idx], need_got[used_need]])
    costs = [0] * used_res.size + p.pair_dist[idx].tolist() + [-int(w) * M for w in p.weight[used_need].tolist()]
    pairs = [-1] * used_res.size + idx.tolist() + [-1] * used_need.size
    n_nodes = 1 + R + N
    head, cost, room, pair = [], [], [], []
    out_arcs = [[] for _ in range(n_nodes)]
    in_arcs = [[] for _ in range(n_nodes)]
    for t, h, c, cp, f, pi_ in zip(tails.tolist(), heads.tolist(), costs, caps.tolist(), flows.tolist(), pairs):
        a = len(head)
        head += [h, t]
        cost += [c, -c]
        room += [cp - f, f]
        pair += [pi_, pi_]
        out_arcs[t].append(a)
        in_arcs[h].append(a)
        out_arcs[h].append(a + 1)
        in_arcs[t].append(a + 1)
    net = Network(R, head, cost, room, pair, out_arcs, in_arcs, [None] * n_nodes, M)
    net.pi = potentials(net, n_nodes)
    return net


def potentials(net: Network, n_nodes: int) -> list:
    """Shortest distances from ``O`` on the residual arcs, checked exactly (reduced costs >= 0).

    Label-correcting rounds in exact int64 arithmetic, vectorised: each round relaxes the arcs
    out of the nodes whose distance fell in the round before (Bellman-Ford's bound: a distance
    still falling after ``n_nodes`` rounds means a negative cycle, i.e. the stored result is
    not optimal). Rounds are as many as the longest shortest path has arcs, not ``n_nodes``.
    """
    room = np.asarray(net.room, dtype=np.int64)
    arcs = np.flatnonzero(room > 0)
    if arcs.size == 0:
        return [0] + [None] * (n_nodes - 1)
    head = np.asarray(net.head, dtype=np.int64)
    tails, heads = head[arcs ^ 1], head[arcs]
    costs = np.asarray(net.cost, dtype=object)[arcs]
    if max(abs(int(c)) for c in (costs.max(), costs.min())) * n_nodes >= _EXACT_INT:
        raise SolverFailed("recommend", "the scaled costs of this round are too large for exact potentials")
    costs = costs.astype(np.int64)
    dist = _label_correcting(tails, heads, costs, n_nodes)
    reached = dist < _UNREACHED
    pi = [int(d) if r else None for d, r in zip(dist.tolist(), reached.tolist())]
    t_ok = reached[tails]
    if (t_ok & (~reached[heads] | (costs + dist[tails] - dist[heads] < 0))).any():
        raise SolverFailed("recommend", "the stored result is not optimal (negative reduced cost)")
    return pi


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


def _search(net: Network, starts: dict, backward: bool):
    """Dijkstra on reduced costs from ``starts`` (node -> label) to ``O``; backwards over
    in-arcs (new need) or forwards over out-arcs (new resource). Returns (D, labels, via)."""
    label, via, done = dict(starts), {}, set()
    heap = [(b, v) for v, b in starts.items()]
    heapq.heapify(heap)
    pi, room, head, cost = net.pi, net.room, net.head, net.cost
    while heap:
        b, v = heapq.heappop(heap)
        if v in done or b > label[v]:
            continue
        done.add(v)
        if v == 0:
            return b, label, via, done
        for a in (net.in_arcs[v] if backward else net.out_arcs[v]):
            if room[a] <= 0:
                continue
            u = head[a ^ 1] if backward else head[a]
            if pi[u] is None or u in done:
                continue
            reduced = cost[a] + (pi[u] - pi[v] if backward else pi[v] - pi[u])
            nb = b + reduced
            if nb < label.get(u, INF):
                label[u], via[u] = nb, a
                heapq.heappush(heap, (nb, u))
    return INF, label, via, done


def add_item(net: Network, arcs: dict, weight_m: int, quantity: int, backward: bool) -> Added:
    """Successive shortest paths for a new need (``backward``; ``arcs``: resource node ->
    (metres, room)) or a new resource (``arcs``: need node -> (metres, room), ``weight_m``
    unused: the value comes from the needs' own arcs). Leaves the network changed; call ``undo``."""
    out = Added({v: 0 for v in arcs}, {})
    left = quantity
    while left > 0:
        starts = {v: (d + net.pi[v] if backward else d - net.pi[v]) for v, (d, cap) in arcs.items()
                  if cap - out.sent[v] > 0 and net.pi[v] is not None}
        if not starts:
            break
        D, label, via, done = _search(net, starts, backward)
        cycle = D - weight_m if backward else D
        if D == INF or cycle >= 0:
            break
        path, v = [], 0
        while v in via:  # walk from O back to the start node along the labels' arcs
            a = via[v]
            path.append(a)
            v = net.head[a] if backward else net.head[a ^ 1]
        first = v
        f = min([left, arcs[first][1] - out.sent[first]] + [net.room[a] for a in path])
        for a in path:
            net.set_room(a, net.room[a] - f)
            net.set_room(a ^ 1, net.room[a ^ 1] + f)
            k = net.pair[a]
            if k >= 0:
                out.dx[k] = out.dx.get(k, 0) + (f if a % 2 == 0 else -f)
        for u in done:
            net.set_pi(u, net.pi[u] + (D - label[u] if backward else label[u] - D))
        out.sent[first] += f
        left -= f
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
    v = net.res_node(i)
    if net.pi[v] is None:
        return None
    res_locked, need_locked, _ = p.locked_load()
    hi = p.pair_hi()
    cap = int(p.cap[i] - res_locked[i])
    try:
        for a in net.in_arcs[v]:
            if a % 2 == 0 and net.pair[a] < 0:  # O -> i
                net.set_room(a, net.room[a] + 1)
        for a in net.out_arcs[v]:
            k = net.pair[a]
            if a % 2 == 0 and k >= 0:  # i -> need: its room grows where the capacity capped it
                j = int(p.pair_need[k])
                left = int(p.qty[j] - need_locked[j])
                old = min(cap, left, int(hi[k]))
                new = min(cap + 1, left, min(int(p.cap[i]) + 1, int(p.qty[j])))
                net.set_room(a, net.room[a] + new - old)
        D, _, via, _ = _search(net, {v: -net.pi[v]}, backward=False)
        out = Added({}, {})
        if D == INF or D >= 0:
            return out
        u = 0
        while u in via:
            a = via[u]
            k = net.pair[a]
            if k >= 0:
                out.dx[k] = out.dx.get(k, 0) + (1 if a % 2 == 0 else -1)
            u = net.head[a ^ 1]
        out.d_value = sum(int(p.weight[p.pair_need[k]]) * d for k, d in out.dx.items())
        out.d_dist = sum(int(p.pair_dist[k]) * d for k, d in out.dx.items())
        if out.d_dist - out.d_value * net.M != D:
            raise SolverFailed("marginal", "the cheapest cycle's cost does not match its pairs (internal error)")
        return out
    finally:
        net.undo()
