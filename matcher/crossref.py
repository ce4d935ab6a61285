"""Rules across the items of a round document: unique ids, references, coherent decisions.

Works on the raw decoded document so that it can run even when some items are
malformed; values it cannot read are skipped (the field rules report them).
Ids are compared in their NFC form, as the validated round holds them. Each
rule is first checked in bulk (sets) and walked item by item only when it
fails, to name every offending item.
"""
from __future__ import annotations

import unicodedata
from typing import Optional

from .errors import FieldIssue

LISTS = ("communities", "providers", "resources", "needs")
WHAT = {"communities": "community", "providers": "provider", "resources": "resource", "needs": "need"}


def _items(data: dict, key: str) -> list:
    value = data.get(key)
    return value if isinstance(value, list) else []


def column(items: list, field: str) -> list[Optional[str]]:
    """``item[field]`` of each item in NFC form; ``None`` where it is not a non-empty string."""
    values = [v if isinstance(v, str) and v else None
              for v in (item.get(field) if isinstance(item, dict) else None for item in items)]
    if "".join(v for v in values if v is not None).isascii():
        return values  # ASCII text is its own NFC form
    return [None if v is None else unicodedata.normalize("NFC", v) for v in values]


def _duplicate_ids(key: str, ids: list[Optional[str]]) -> tuple[dict[str, int], list[FieldIssue]]:
    """First position of each id, and a problem for every repeated one."""
    first: dict[str, int] = {}
    for k, ident in enumerate(ids):
        if ident is not None:
            first.setdefault(ident, k)
    if len(first) == sum(1 for ident in ids if ident is not None):
        return first, []
    problems = [FieldIssue(f"{key}[{k}].id", f"duplicate id {ident!r} (first at {key}[{first[ident]}])")
                for k, ident in enumerate(ids) if ident is not None and first[ident] != k]
    return first, problems


def _unknown(key: str, field: str, refs: list[Optional[str]], known: dict, what: str) -> list[FieldIssue]:
    if {r for r in refs if r is not None} <= known.keys():
        return []
    return [FieldIssue(f"{key}[{k}].{field}", f"unknown {what} {r!r}")
            for k, r in enumerate(refs) if r is not None and r not in known]


def cross_reference_problems(data: dict) -> list[FieldIssue]:
    """Every problem across items of a decoded round document, each with its path."""
    problems: list[FieldIssue] = []
    index: dict[str, dict[str, int]] = {}
    for key in LISTS:
        index[key], found = _duplicate_ids(key, column(_items(data, key), "id"))
        problems += found
    problems += _unknown("resources", "provider_id", column(_items(data, "resources"), "provider_id"),
                         index["providers"], "provider")
    if isinstance(data.get("communities"), list):  # community ids are checked only against a given list
        for key in ("needs", "providers"):
            problems += _unknown(key, "community_id", column(_items(data, key), "community_id"),
                                 index["communities"], "community")
    problems += decision_problems(data, index)
    return problems


def _pairs_of(data: dict, key: str, index: dict) -> tuple[list, list[FieldIssue]]:
    """(position, need id, resource id) of the readable items of a decision list
    whose ids both exist, and a problem for each unknown id."""
    items = _items(data, key)
    needs, resources = column(items, "need_id"), column(items, "resource_id")
    problems = _unknown(key, "need_id", needs, index["needs"], "need")
    problems += _unknown(key, "resource_id", resources, index["resources"], "resource")
    pairs = [(k, n, r) for k, (n, r) in enumerate(zip(needs, resources))
             if n in index["needs"] and r in index["resources"]]
    return pairs, problems


def decision_problems(data: dict, index: dict) -> list[FieldIssue]:
    """Locked, forbidden and previous pairs: ids that exist, no pair twice in
    ``locked`` or ``previous``, no pair both locked and forbidden, no lock across categories."""
    forbidden, problems = _pairs_of(data, "forbidden", index)
    forbidden_at: dict[tuple[str, str], int] = {}
    for k, n, r in forbidden:
        forbidden_at.setdefault((n, r), k)
    locked, found = _pairs_of(data, "locked", index)
    problems += found
    for k, n, r, first in _repeats(locked):
        problems.append(FieldIssue(f"locked[{k}]", f"pair ({n}, {r}) is locked twice (first at locked[{first}])"))
    once = {(n, r): k for k, n, r in reversed(locked)}
    for (n, r), k in sorted(once.items(), key=lambda item: item[1]):
        if (n, r) in forbidden_at:
            problems.append(FieldIssue(f"locked[{k}]", f"pair ({n}, {r}) is both locked and forbidden "
                                                       f"(forbidden[{forbidden_at[n, r]}])"))
        problems += _lock_category(data, index, k, n, r)
    previous, found = _pairs_of(data, "previous", index)
    problems += found
    for k, n, r, first in _repeats(previous):
        problems.append(FieldIssue(f"previous[{k}]", f"pair ({n}, {r}) is given twice (first at previous[{first}])"))
    return problems


def _repeats(pairs: list) -> list[tuple[int, str, str, int]]:
    """(position, need, resource, first position) of each pair seen before."""
    first: dict[tuple[str, str], int] = {}
    out = []
    for k, n, r in pairs:
        if (n, r) in first:
            out.append((k, n, r, first[n, r]))
        else:
            first[n, r] = k
    return out


def _lock_category(data: dict, index: dict, k: int, nid: str, rid: str) -> list[FieldIssue]:
    rcat = column([_items(data, "resources")[index["resources"][rid]]], "category")[0]
    ncat = column([_items(data, "needs")[index["needs"][nid]]], "category")[0]
    if rcat is None or ncat is None or rcat == ncat:
        return []
    return [FieldIssue(f"locked[{k}]", f"resource {rid!r} is {rcat!r} but need {nid!r} is {ncat!r}: "
                                       "a lock cannot cross categories")]

