"""Candidate pairs: every (resource, need) that may become a project.

Computed in bulk, never pair by pair in Python:

1. per category, a k-d tree over the resources' 3-D positions answers a ball
   query for each need (radius = the largest limit that can apply), in chunks
   of needs so memory stays bounded (a small category, up to
   ``ALL_PAIRS_MAX`` resources x needs, measures every pair instead: the same
   pairs, as the exact distance decides either way);
2. the exact haversine distance filters by ``min(global, resource, need)``;
3. required tags and time windows are subset tests on bitsets, computed once
   per distinct (need set, resource set) combination;
4. forbidden pairs are dropped; locked pairs are added (or marked) with their
   quantity, rules 2-4 waived.

The result is one pairs table (:class:`Pairs`), sorted by need, then distance,
then resource.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial

import numpy as np
from . import windows as win
from .bitsets import subset_by_pattern, tag_bits
from .geo import EARTH_RADIUS_M, chord_for, haversine_m, to_xyz
from .tables import RoundTables

NEED_CHUNK = 8192
ALL_PAIRS_MAX = 200_000  # resources x needs of a category up to which every pair is measured


@dataclass(frozen=True, eq=False)
class Pairs:
    """One row per candidate pair (arrays of equal length)."""

    res: np.ndarray  # int32 resource index
    need: np.ndarray  # int32 need index
    dist_m: np.ndarray  # float64 haversine metres
    dist: np.ndarray  # int64 rounded metres (the objective's unit)
    lock: np.ndarray  # int64 locked quantity, 0 when not locked

    def __len__(self) -> int:
        return int(self.res.size)

    def take(self, idx: np.ndarray) -> Pairs:
        return Pairs(self.res[idx], self.need[idx], self.dist_m[idx], self.dist[idx], self.lock[idx])

    @property
    def locked(self) -> np.ndarray:
        return self.lock > 0


def group_by(codes: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """Indices of each code 0..n_groups-1 (stable)."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
    return [order[bounds[g]: bounds[g + 1]] for g in range(n_groups)]


def _within_distance(t: RoundTables, categories: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(res, need, metres) for same-category pairs within their distance limit."""
    ncat = len(t.categories)
    res_by_cat = group_by(t.res_cat, ncat)
    need_by_cat = group_by(t.need_cat, ncat)
    out_r, out_n, out_d = [], [], []
    # haversine_m term by term, on per-entity radians and cosines computed once
    # (the same floating-point operations on the same values: identical metres)
    r_phi, r_lam = np.radians(t.res_lat), np.radians(t.res_lon)
    n_phi, n_lam = np.radians(t.need_lat), np.radians(t.need_lon)
    r_cos, n_cos = np.cos(r_phi), np.cos(n_phi)

    def metres(ri: np.ndarray, nj: np.ndarray) -> np.ndarray:
        a = np.sin((n_phi[nj] - r_phi[ri]) / 2) ** 2 + r_cos[ri] * n_cos[nj] * np.sin((n_lam[nj] - r_lam[ri]) / 2) ** 2
        return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, a)))

    for c in categories:
        R, N = res_by_cat[c], need_by_cat[c]
        if R.size == 0 or N.size == 0:
            continue
        if R.size * N.size <= ALL_PAIRS_MAX:  # small: every pair measured, no spatial index (nor its import)
            ri, nj = np.repeat(R, N.size), np.tile(N, R.size)
            d = metres(ri, nj)
            keep = d <= t.pair_limit(ri, nj)
            out_r.append(ri[keep].astype(np.int32))
            out_n.append(nj[keep].astype(np.int32))
            out_d.append(d[keep])
            continue
        from scipy.spatial import cKDTree  # lazy: a heavy import that small rounds do without

        tree = cKDTree(to_xyz(t.res_lat[R], t.res_lon[R]))
        widest_res = min(t.max_distance_m, float(np.max(t.res_max_dist[R])))
        radius_all = np.minimum(widest_res, t.need_max_dist[N])
        # needs share few distinct radii: one dual-tree query per radius (and chunk)
        for rad in np.unique(radius_all):
            Nr = N[radius_all == rad]
            for lo in range(0, Nr.size, NEED_CHUNK):
                Nc = Nr[lo: lo + NEED_CHUNK]
                hits = cKDTree(to_xyz(t.need_lat[Nc], t.need_lon[Nc])).sparse_distance_matrix(
                    tree, float(chord_for(rad)), output_type="ndarray")
                if hits.size == 0:
                    continue
                ri = R[hits["j"]]
                nj = Nc[hits["i"]]
                d = metres(ri, nj)
                keep = d <= t.pair_limit(ri, nj)
                out_r.append(ri[keep].astype(np.int32))
                out_n.append(nj[keep].astype(np.int32))
                out_d.append(d[keep])
    if not out_r:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty.copy(), np.zeros(0)
    return np.concatenate(out_r), np.concatenate(out_n), np.concatenate(out_d)


def tags_ok(t: RoundTables, ri: np.ndarray, nj: np.ndarray) -> np.ndarray:
    """Rule 2: every required tag of the need is a tag of the resource."""
    vocab: dict[str, int] = {}
    need_sets = np.unique(t.need_tagset)
    for s in need_sets:
        for tag in sorted(t.tag_sets[s]):
            vocab.setdefault(tag, len(vocab))
    ok = np.ones(ri.size, dtype=bool)
    if not vocab:
        return ok
    bits = tag_bits(t.tag_sets, vocab)
    has_req = np.array([len(s) > 0 for s in t.tag_sets], dtype=bool)
    sel = np.flatnonzero(has_req[t.need_tagset[nj]])
    ok[sel] = subset_by_pattern(bits, bits, t.need_tagset[nj[sel]], t.res_tagset[ri[sel]])
    return ok


def windows_ok(t: RoundTables, ri: np.ndarray, nj: np.ndarray) -> np.ndarray:
    """Rule 4: the resource's windows cover every minute of the need's."""
    ok = np.ones(ri.size, dtype=bool)
    sel = np.flatnonzero((t.need_win[nj] >= 0) & (t.res_win[ri] >= 0))
    if sel.size:
        bits = win.packed_patterns(t.window_patterns)
        ok[sel] = subset_by_pattern(bits, bits, t.need_win[nj[sel]], t.res_win[ri[sel]])
    return ok


def pair_keys(res: np.ndarray, need: np.ndarray, n_need: int) -> np.ndarray:
    return res.astype(np.int64) * max(1, n_need) + need.astype(np.int64)


def _order_by_need_distance_resource(ri: np.ndarray, dist: np.ndarray, nj: np.ndarray) -> np.ndarray:
    """``np.lexsort((ri, dist, nj))``; one argsort of a packed key when the three fit in 63 bits."""
    if ri.size == 0:
        return np.zeros(0, dtype=np.int64)
    br = int(ri.max()).bit_length()
    bd = int(dist.max()).bit_length()
    bn = int(nj.max()).bit_length()
    if br + bd + bn > 63 or int(dist.min()) < 0:
        return np.lexsort((ri, dist, nj))
    key = (nj.astype(np.int64) << (bd + br)) | (dist << br) | ri.astype(np.int64)
    return np.argsort(key, kind="stable")  # timsort: sorted runs (see eligible_pairs) merge in linear time


def eligible_pairs(t: RoundTables, categories: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(res, need, metres) of the eligible pairs (rules 1-5) within ``categories``,
    sorted by need, rounded distance, resource (so that shares computed apart
    merge in one linear pass)."""
    ri, nj, d = _within_distance(t, categories)
    keep = tags_ok(t, ri, nj)
    keep &= windows_ok(t, ri, nj)
    if t.forbid_res.size:
        keep &= ~np.isin(pair_keys(ri, nj, t.n_need), pair_keys(t.forbid_res, t.forbid_need, t.n_need))
    ri, nj, d = ri[keep], nj[keep], d[keep]
    order = _order_by_need_distance_resource(ri, np.rint(d).astype(np.int64), nj)
    return ri[order], nj[order], d[order]


PARALLEL_WORK = 100_000_000  # resources x needs of one category from which its pairs are computed on a fork


def _shares(t: RoundTables, workers: int) -> list[list[int]]:
    """Categories split into at most ``workers`` shares of about equal work
    (resources x needs per category; :func:`matcher.parallel.lpt_shares`)."""
    from .parallel import lpt_shares

    ncat = len(t.categories)
    work = np.bincount(t.res_cat, minlength=ncat).astype(float) * np.bincount(t.need_cat, minlength=ncat)
    cats = [int(c) for c in np.argsort(-work, kind="stable") if work[c] > 0]
    if workers < 2 or work.sum() < PARALLEL_WORK or len(cats) < 2:
        return [cats]
    return [[cats[k] for k in share] for share in lpt_shares([work[c] for c in cats], workers)]


def candidate_pairs(t: RoundTables, workers: int = 0) -> Pairs:
    """All eligible pairs plus the locked ones, sorted by need, distance, resource.

    Big rounds compute the pairs of their categories on ``workers`` forked
    processes (0 = one per core); the result does not depend on the split.
    """
    from .parallel import local_map, local_pool_allowed

    if workers <= 0:
        workers = os.cpu_count() or 1
    shares = _shares(t, workers if local_pool_allowed() else 1)
    if len(shares) > 1:
        found = local_map(partial(eligible_pairs, t), shares, len(shares))
    else:
        found = [eligible_pairs(t, shares[0])]
    ri = np.concatenate([f[0] for f in found]).astype(np.int32, copy=False)
    nj = np.concatenate([f[1] for f in found]).astype(np.int32, copy=False)
    d = np.concatenate([f[2] for f in found])
    sorted_already = len(found) == 1  # one share comes sorted (eligible_pairs); shares are merged below
    del found
    lock = np.zeros(ri.size, dtype=np.int64)
    if t.lock_res.size:
        sorted_already = False
        keys = pair_keys(ri, nj, t.n_need)
        lkeys = pair_keys(t.lock_res, t.lock_need, t.n_need)
        order = np.argsort(keys)
        pos = np.searchsorted(keys[order], lkeys)
        pos_c = np.minimum(pos, max(0, keys.size - 1))
        found = (keys.size > 0) & (keys[order][pos_c] == lkeys) if keys.size else np.zeros(lkeys.size, dtype=bool)
        lock[order[pos_c[found]]] = t.lock_qty[found]
        extra = ~found
        if extra.any():
            er, en = t.lock_res[extra], t.lock_need[extra]
            ed = haversine_m(t.res_lat[er], t.res_lon[er], t.need_lat[en], t.need_lon[en])
            ri = np.concatenate([ri, er])
            nj = np.concatenate([nj, en])
            d = np.concatenate([d, ed])
            lock = np.concatenate([lock, t.lock_qty[extra]])
    dist = np.rint(d).astype(np.int64)
    if sorted_already:
        return Pairs(ri, nj, d, dist, lock)
    order = _order_by_need_distance_resource(ri, dist, nj)
    return Pairs(ri[order].astype(np.int32), nj[order].astype(np.int32), d[order], dist[order], lock[order])
