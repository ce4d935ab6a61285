"""Subset tests on packed bitsets, once per distinct combination.

Used for time windows (bits = minutes of the week) and for tags (bits = the
round's vocabulary of required tags): a pair passes when every bit of the
need's set is also in the resource's set.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np


def words_for(nbits: int) -> int:
    return max(1, (nbits + 63) // 64)


def subset_by_pattern(need_bits: np.ndarray, res_bits: np.ndarray, need_pat: np.ndarray,
                      res_pat: np.ndarray, chunk: int = 1 << 14) -> np.ndarray:
    """``ok[k]`` = set ``need_bits[need_pat[k]]`` is a subset of ``res_bits[res_pat[k]]``.

    Patterns are row indices (>= 0) into two ``(patterns, words)`` uint64 matrices.
    """
    out = np.ones(need_pat.size, dtype=bool)
    if need_pat.size == 0:
        return out
    nres = max(1, res_bits.shape[0])
    combo = need_pat.astype(np.int64) * nres + res_pat.astype(np.int64)
    uniq, inverse = np.unique(combo, return_inverse=True)
    n_idx, r_idx = uniq // nres, uniq % nres
    ok = np.empty(uniq.size, dtype=bool)
    for lo in range(0, uniq.size, chunk):
        hi = lo + chunk
        missing = need_bits[n_idx[lo:hi]] & ~res_bits[r_idx[lo:hi]]
        ok[lo:hi] = ~missing.any(axis=1)
    return ok[inverse]


def dedup(keys: Sequence[Hashable | None]) -> tuple[np.ndarray, list]:
    """Distinct keys, in order of first appearance: ``ids[k]`` indexes the returned list; ``None`` gets -1."""
    distinct = [key for key in dict.fromkeys(keys) if key is not None]
    table: dict = dict(zip(distinct, range(len(distinct))))
    table[None] = -1
    return np.fromiter(map(table.__getitem__, keys), dtype=np.int32, count=len(keys)), distinct


def tag_bits(tag_sets: Sequence[frozenset[str]], vocabulary: dict[str, int]) -> np.ndarray:
    """Pack tag sets into rows of uint64 words over ``vocabulary`` (tag -> bit)."""
    words = words_for(len(vocabulary))
    out = np.zeros((len(tag_sets), words), dtype=np.uint64)
    for row, tags in enumerate(tag_sets):
        for tag in tags:
            bit = vocabulary.get(tag)
            if bit is not None:
                out[row, bit // 64] |= np.uint64(1) << np.uint64(bit % 64)
    return out
