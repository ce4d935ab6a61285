"""The sha256 of a JSON value written canonically (sorted keys, compact, UTF-8 kept), fast.

The text is the standard library's ``json.dumps(value, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)``; orjson writes the same text
about 10x faster, except for what :func:`_maybe_unlike_stdlib` finds, which
the standard library writes.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson

# orjson writes a float below 1e-4 as 0.00001 or 1e-7 where the standard library writes 1e-05 and
# 1e-07; every other number, string and key order it writes as json.dumps does (tests/core/test_results.py)
_SHORT_EXPONENT = re.compile(rb"e-[0-9][],}]")  # a literal prefix: searched at memchr speed


def _maybe_unlike_stdlib(data: bytes) -> bool:
    """True when orjson's compact ``data`` may hold a number the standard library writes otherwise."""
    if _SHORT_EXPONENT.search(data):
        return True
    k = data.find(b"0.0000")
    while k >= 0:
        if k == 0 or data[k - 1] not in b"0123456789.":
            return True
        k = data.find(b"0.0000", k + 1)
    return False


def canonical_digest(value: Any) -> str:
    """sha256 hex of ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``.

    orjson writes the same text about 10x faster; where it may not (a float
    below 1e-4, which is rare in a round, or what orjson refuses), the
    standard library writes it. A text that merely looks like such a float
    (a string holding ``0.0000``) also takes the standard path: same digest.
    """
    try:
        data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # integers beyond 64 bits, lone surrogates
        data = None
    if data is None or _maybe_unlike_stdlib(data):
        data = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


class _NotLikeStdlib(Exception):
    """orjson's text of some part may differ from the standard library's."""


def _orjson_canonical(value: Any) -> bytes:
    try:
        data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # integers beyond 64 bits, lone surrogates
        raise _NotLikeStdlib from None
    if _maybe_unlike_stdlib(data):
        raise _NotLikeStdlib
    return data


def canonical_digest_parts(top: dict[str, Any], lists: dict[str, Callable[[], Iterable[list]]]) -> str:
    """:func:`canonical_digest` of ``top`` with each key of ``lists`` holding the items of all the
    chunks its callable yields, written a chunk at a time (no whole document in memory)."""
    h = hashlib.sha256()
    try:
        h.update(b"{")
        for n, key in enumerate(sorted({**top, **dict.fromkeys(lists)})):
            h.update((b"," if n else b"") + _orjson_canonical(key) + b":")
            if key not in lists:
                h.update(_orjson_canonical(top[key]))
                continue
            sep = b"["
            for chunk in lists[key]():
                if chunk:
                    h.update(sep + _orjson_canonical(chunk)[1:-1])
                    sep = b","
            h.update(b"[]" if sep == b"[" else b"]")
        h.update(b"}")
    except _NotLikeStdlib:
        return canonical_digest({**top, **{key: [x for chunk in parts() for x in chunk] for key, parts in lists.items()}})
    return h.hexdigest()
