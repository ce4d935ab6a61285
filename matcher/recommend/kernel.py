"""Compiled inner loops of the residual network (numba): Dijkstra on reduced costs and successive
shortest paths for one new item, on plain numpy arrays.

Arrays (see :class:`matcher.recommend.residual.Network`): ``head``, ``cost``, ``room``, ``pair``
per arc (``a`` and ``a ^ 1`` are reverses), ``pi`` per node (``UNREACHED`` = no potential), and
the adjacency in CSR form (``ptr``, ``adj``: the arcs entering a node for a backward search, the
arcs leaving it for a forward one). ``label``, ``via``, ``stamp`` and ``done`` are the per-node
work arrays of one network (``Network.work``), reused by every search, which touches only the
nodes it reaches. Every change of ``room`` and ``pi`` is written to a journal (index, old value) that
:func:`restore` undoes in reverse order.

The functions run as plain Python too (``NUMBA_DISABLE_JIT=1``), with the same results.
"""
from __future__ import annotations

import numpy as np
from numba import njit

UNREACHED = np.int64(1 << 62)  # no potential / no label


@njit(cache=True)
def _push(keys, vals, n, key, val):
    """Push (key, val) on the binary min-heap ``keys[:n]``/``vals[:n]`` (grown when full)."""
    if n == keys.size:
        keys = np.concatenate((keys, np.empty(keys.size + 16, dtype=np.int64)))
        vals = np.concatenate((vals, np.empty(vals.size + 16, dtype=np.int64)))
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i], vals[i] = keys[parent], vals[parent]
        i = parent
    keys[i], vals[i] = key, val
    return keys, vals, n + 1


@njit(cache=True)
def _pop(keys, vals, n):
    """Remove the smallest key of the heap ``keys[:n]``; returns it, its value and the new size."""
    key, val = keys[0], vals[0]
    n -= 1
    last_k, last_v = keys[n], vals[n]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= last_k:
            break
        keys[i], vals[i] = keys[child], vals[child]
        i = child
    if n > 0:
        keys[i], vals[i] = last_k, last_v
    return key, val, n


@njit(cache=True)
def search(pi, room, head, cost, ptr, adj, backward, s_nodes, s_labels, label, via, stamp, done):
    """Dijkstra on reduced costs from the start nodes (with their labels) to node 0.

    Returns ``(D, n_done)``: the label of node 0 (``UNREACHED`` when not reached) and how many
    nodes were settled (their ids in ``done[:n_done]``, their labels in ``label``, the arc each
    was reached by in ``via``, -1 for a start). ``stamp[0]`` is this search's number: a node's
    ``stamp[1 + v]`` is ``2 * number`` once labelled, ``2 * number + 1`` once settled."""
    stamp[0] += 1
    seen, fin = 2 * stamp[0], 2 * stamp[0] + 1
    keys = np.empty(64, dtype=np.int64)
    vals = np.empty(64, dtype=np.int64)
    size = 0
    for n in range(s_nodes.size):
        v = s_nodes[n]
        if stamp[1 + v] != seen or s_labels[n] < label[v]:
            stamp[1 + v] = seen
            label[v] = s_labels[n]
            via[v] = -1
            keys, vals, size = _push(keys, vals, size, s_labels[n], v)
    n_done = 0
    while size > 0:
        b, v, size = _pop(keys, vals, size)
        if stamp[1 + v] == fin:
            continue
        stamp[1 + v] = fin
        done[n_done] = v
        n_done += 1
        if v == 0:
            return b, n_done
        pv = pi[v]
        for k in range(ptr[v], ptr[v + 1]):
            a = adj[k]
            if room[a] <= 0:
                continue
            u = head[a ^ 1] if backward else head[a]
            if stamp[1 + u] == fin or pi[u] == UNREACHED:
                continue
            nb = b + cost[a] + (pi[u] - pv if backward else pv - pi[u])
            if stamp[1 + u] != seen or nb < label[u]:
                stamp[1 + u] = seen
                label[u] = nb
                via[u] = a
                keys, vals, size = _push(keys, vals, size, nb, u)
    return UNREACHED, n_done


@njit(cache=True)
def _journal(log, n, index, old):
    """Append (index, old value) to the journal ``log`` (flat: entry ``m`` at ``2m``, ``2m + 1``;
    grown when full); returns it and its length."""
    if 2 * n == log.size:
        bigger = np.empty(2 * log.size + 32, dtype=np.int64)
        for m in range(log.size):
            bigger[m] = log[m]
        log = bigger
    log[2 * n] = index
    log[2 * n + 1] = old
    return log, n + 1


@njit(cache=True)
def _bottleneck(room, head, via, backward, f):
    """The least room on the path of the last search (from node 0 back to its start, along the arcs
    the labels came by), at most ``f``, and the start node."""
    v = 0
    while via[v] >= 0:
        a = via[v]
        f = min(f, room[a])
        v = head[a] if backward else head[a ^ 1]
    return f, v


@njit(cache=True)
def add_item(pi, room, head, cost, pair, ptr, adj, backward, s_nodes, s_dist, s_cap, weight_m, quantity,
             label, via, stamp, done):
    """Successive shortest paths for a new need (``backward``: start nodes are its candidate
    resources, ``s_dist`` their metres, ``s_cap`` the room of each new arc) or a new resource
    (start nodes its candidate needs). Each path is augmented by its bottleneck while its cycle
    (``D - weight_m`` for a need, ``D`` for a resource) is negative; the potentials of the
    settled nodes move by ``D - label`` so reduced costs stay >= 0.

    Returns ``(sent, dx, room_log, n_room, pi_log, n_pi)``: units per start, the stored pairs'
    changes (flat pairs: pair, change), and the journals of ``room`` and ``pi``."""
    sent = np.zeros(s_nodes.size, dtype=np.int64)
    dx = np.empty(32, dtype=np.int64)
    n_dx = 0
    room_log = np.empty(128, dtype=np.int64)
    pi_log = np.empty(512, dtype=np.int64)
    n_room = 0
    n_pi = 0
    left = quantity
    nodes = np.empty(s_nodes.size, dtype=np.int64)
    labels = np.empty(s_nodes.size, dtype=np.int64)
    while left > 0:
        m = 0
        for n in range(s_nodes.size):
            v = s_nodes[n]
            if s_cap[n] - sent[n] > 0 and pi[v] != UNREACHED:
                nodes[m] = v
                labels[m] = s_dist[n] + pi[v] if backward else s_dist[n] - pi[v]
                m += 1
        if m == 0:
            break
        D, n_done = search(pi, room, head, cost, ptr, adj, backward, nodes[:m], labels[:m], label, via, stamp, done)
        cycle = D - weight_m if backward else D
        if D == UNREACHED or cycle >= 0:
            break
        f, v = _bottleneck(room, head, via, backward, left)
        first = -1
        for n in range(s_nodes.size):
            if s_nodes[n] == v:
                first = n
                break
        f = min(f, s_cap[first] - sent[first])
        v = 0
        while via[v] >= 0:
            a = via[v]
            room_log, n_room = _journal(room_log, n_room, a, room[a])
            room_log, n_room = _journal(room_log, n_room, a ^ 1, room[a ^ 1])
            room[a] -= f
            room[a ^ 1] += f
            if pair[a] >= 0:
                dx, n_dx = _journal(dx, n_dx, pair[a], f if a % 2 == 0 else -f)
            v = head[a] if backward else head[a ^ 1]
        for m in range(n_done):
            u = done[m]
            pi_log, n_pi = _journal(pi_log, n_pi, u, pi[u])
            pi[u] += (D - label[u]) if backward else (label[u] - D)
        sent[first] += f
        left -= f
    return sent, dx[: 2 * n_dx], room_log, n_room, pi_log, n_pi


@njit(cache=True)
def restore(values, log, n):
    """Undo the first ``n`` entries of the journal ``log`` of ``values``, newest first."""
    for m in range(n - 1, -1, -1):
        values[log[2 * m]] = log[2 * m + 1]
