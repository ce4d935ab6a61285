"""Big round documents validated column by column, with no object per item.

:func:`columns_if_valid` takes a decoded round document (plain dicts and
lists, as orjson returns them) and gives its :class:`~matcher.columns.RoundColumns`
when every item is *certainly* valid, or ``None`` when it cannot say so. It
never reports a problem: a document it does not accept goes down the
per-item path (:func:`matcher.validation.parse_round`), which accepts it or
words every problem with its field path. So the messages are the same as
ever, and this module only has to be as strict as the models, never as
eloquent.

What it accepts is a subset of what the models accept, and the values it
keeps are the ones the models would hold (``tests/core/test_bulkcheck.py``
compares both on every sample round and on generated ones):

- every item an object with known keys and the required ones;
- integers as JSON integers (not ``4.0``: that takes the per-item path),
  floats as JSON numbers with a fraction or exponent, both in range;
- text already in NFC form with none of the refused characters (so
  normalising leaves it as written), lengths counted in characters;
- tags lists of such text; windows lists of ``{days, start, end}`` with
  ASCII ``HH:MM`` times, checked once per distinct list;
- the cross-item rules of :mod:`matcher.crossref` (unique ids, references,
  decisions) holding.

The rest of the document (name, params, communities, locked, forbidden,
previous) is validated by the models as a round with no items.
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import partial
from itertools import repeat
from operator import is_not
from typing import Any, Optional

import numpy as np

from . import crossref
from .columns import FIELDS, KINDS, Columns, RoundColumns
from .model import DAYS, MAX_ROUNDS_UNMET, MAX_UNITS, _REFUSED, _REFUSED_IN_NOTE, Round

MIN_ITEMS = 2_000  # resources + needs from which big documents are read column by column
CHILD_MIN_BYTES = 64 << 20  # texts from which the decoding and the checks run in a forked child


class _Unsure(Exception):
    """Some value is not certainly valid: the per-item path decides."""


_START = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
_END = re.compile(r"(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)")
_DAYS = frozenset(DAYS)
_TOP = frozenset(Round.model_fields)
_REQUIRED_TOP = frozenset(k for k, f in Round.model_fields.items() if f.is_required())

# per field: (kind, nullable, arguments); defaults come from the models
_TEXT_ID, _TEXT_NAME, _TEXT_NOTE = ("text", 1, 200, _REFUSED), ("text", 0, 200, _REFUSED), ("text", 0, 2000, _REFUSED_IN_NOTE)
_UNITS = ("int", 1, MAX_UNITS)
RULES: dict[str, dict[str, tuple[Any, bool]]] = {
    "providers": {"id": (_TEXT_ID, False), "name": (_TEXT_NAME, True), "kind": (("literal", {"unit", "member"}), False),
                  "max_projects": (_UNITS, True), "community_id": (_TEXT_ID, True),
                  "target_projects": (("int", 0, MAX_UNITS), True)},
    "resources": {"id": (_TEXT_ID, False), "provider_id": (_TEXT_ID, False), "category": (_TEXT_ID, False),
                  "capacity": (_UNITS, False), "name": (_TEXT_NAME, True), "note": (_TEXT_NOTE, True),
                  "lat": (("float", -90.0, 90.0, False), False), "lon": (("float", -180.0, 180.0, False), False),
                  "max_distance_m": (("float", 0.0, math.inf, True), True), "tags": (("tags",), False),
                  "min_quantity": (_UNITS, False), "windows": (("windows",), True)},
    "needs": {"id": (_TEXT_ID, False), "community_id": (_TEXT_ID, False), "category": (_TEXT_ID, False),
              "quantity": (_UNITS, False), "name": (_TEXT_NAME, True), "note": (_TEXT_NOTE, True),
              "lat": (("float", -90.0, 90.0, False), False), "lon": (("float", -180.0, 180.0, False), False),
              "priority": (("int", 1, 5), False), "max_distance_m": (("float", 0.0, math.inf, True), True),
              "required_tags": (("tags",), False), "all_or_nothing": (("bool",), False),
              "rounds_unmet": (("int", 0, MAX_ROUNDS_UNMET), False), "windows": (("windows",), True)},
}


def _only(values: list, *types: type) -> bool:
    """Whether every value is of exactly one of ``types`` (no subclass: ``True`` is no integer)."""
    return set(map(type, values)) <= set(types)


def _present(values: list) -> list:
    return list(filter(partial(is_not, None), values))


def _check_text(values: list, lo: int, hi: int, refused: re.Pattern) -> None:
    if not _only(values, str):
        raise _Unsure
    if values:
        lengths = list(map(len, values))
        if min(lengths) < lo or max(lengths) > hi:
            raise _Unsure
    joined = " ".join(values)  # a space composes with nothing: NFC and the refused set are judged per text
    if joined.isascii():
        if not joined.isprintable() and refused.search(joined) is not None:
            raise _Unsure
    elif not unicodedata.is_normalized("NFC", joined) or refused.search(joined) is not None:
        raise _Unsure


def _check_int(values: list, lo: int, hi: int) -> None:
    if not _only(values, int) or (values and (min(values) < lo or max(values) > hi)):
        raise _Unsure


def _floats(values: list, nullable: bool, lo: float, hi: float, open_low: bool) -> list:
    """Numbers as the models hold them: a JSON integer is its float (``1200`` -> ``1200.0``)."""
    if not _only(values, float):
        if not (_only(values, float, int, type(None)) if nullable else _only(values, float, int)):
            raise _Unsure
        values = [float(v) if type(v) is int else v for v in values]  # OverflowError beyond floats: unsure
    a = np.asarray(_present(values) if nullable else values, dtype=np.float64)
    if not np.isfinite(a).all() or (a < lo).any() or (a > hi).any() or (open_low and (a <= lo).any()):
        raise _Unsure
    return values


def _by_repr(values: list, convert) -> list:
    """``convert`` of each value, called once per distinct value (told apart by its ``repr``,
    which is one-to-one on decoded JSON and, unlike orjson's text, costs no buffer per call)."""
    texts = list(map(repr, values))
    memo = {text: convert(value) for text, value in dict(zip(texts, values)).items()}
    return list(map(memo.__getitem__, texts))


def _tag_tuples(values: list) -> list:
    """Tag lists as tuples (``null`` is no tags), each tag a text of 1 to 100 characters,
    each distinct list checked once (and kept once)."""
    if None in values:
        values = [() if v is None else v for v in values]
    if not _only(values, list, tuple):  # a tuple: the default () of a missing list
        raise _Unsure
    keys = list(map(tuple, values))
    memo = {key: key for key in set(keys)}  # unhashable tags (lists, objects): TypeError, caught as unsure
    _check_text([tag for key in memo for tag in key], 1, 100, _REFUSED)
    return list(map(memo.__getitem__, keys))


def _window_triples(ws: Any) -> Optional[tuple]:
    """One window list as ``(days, start, end)`` triples (``None`` stays ``None``)."""
    if ws is None:
        return None
    if type(ws) is not list:
        raise _Unsure
    out = []
    for w in ws:
        if type(w) is not dict or w.keys() != {"days", "start", "end"}:
            raise _Unsure
        days, start, end = w["days"], w["start"], w["end"]
        if type(days) is not list or not days or not all(type(d) is str and d in _DAYS for d in days):
            raise _Unsure
        if type(start) is not str or type(end) is not str or not _START.fullmatch(start) or not _END.fullmatch(end):
            raise _Unsure
        out.append((tuple(days), start, end))
    return tuple(out)


def _column(items: list, name: str, rule: tuple, nullable: bool, default: Any) -> list:
    values = list(map(dict.get, items, repeat(name), repeat(default)))
    kind = rule[0]
    if kind == "float":
        return _floats(values, nullable, *rule[1:])
    if kind == "tags":
        return _tag_tuples(values)
    if kind == "windows":
        return _by_repr(values, _window_triples)
    present = _present(values) if nullable else values
    if kind == "text":
        _check_text(present, *rule[1:])
    elif kind == "int":
        _check_int(present, *rule[1:])
    elif kind == "bool":
        if not _only(present, bool):
            raise _Unsure
    elif kind == "literal" and not (_only(present, str) and set(present) <= rule[1]):
        raise _Unsure
    return values


def _check_shapes(items: list, kind: str) -> None:
    """Every item an object whose keys are fields of ``kind``, the required ones among them."""
    model = KINDS[kind]
    allowed = frozenset(model.model_fields)
    required = frozenset(f for f, info in model.model_fields.items() if info.is_required())
    if not _only(items, dict):
        raise _Unsure
    for shape in set(map(tuple, items)):  # the key tuples: few distinct ones
        keys = frozenset(shape)
        if not (keys <= allowed and keys >= required):
            raise _Unsure


def _columns(items: list, kind: str) -> Columns:
    _check_shapes(items, kind)
    fields = KINDS[kind].model_fields
    rules = RULES[kind]
    out = {}
    for name in FIELDS[kind]:
        info = fields[name]
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        rule, nullable = rules[name]
        out[name] = _column(items, name, rule, nullable, default)
    return out


def _cross_references_hold(doc: dict, shell: Round, cols: dict[str, Columns]) -> bool:
    """The rules of :mod:`matcher.crossref` on the columns (their texts are NFC already)."""
    ids = {kind: cols[kind]["id"] for kind in KINDS}
    if shell.communities is not None:
        ids["communities"] = [c.id for c in shell.communities]
    sets = {kind: set(v) for kind, v in ids.items()}
    if any(len(sets[kind]) != len(v) for kind, v in ids.items()):
        return False
    if not set(cols["resources"]["provider_id"]) <= sets["providers"]:
        return False
    if shell.communities is not None:
        refs = set(cols["needs"]["community_id"]) | {c for c in cols["providers"]["community_id"] if c is not None}
        if not refs <= sets["communities"]:
            return False
    if not (doc.get("locked") or doc.get("forbidden") or doc.get("previous")):
        return True
    index = {kind: {ident: k for k, ident in enumerate(ids[kind])} for kind in ("resources", "needs")}
    return not crossref.decision_problems(doc, index)


def columns_if_valid(doc: Any) -> Optional[RoundColumns]:
    """The round's columns when the decoded document ``doc`` is certainly a valid round, else ``None``."""
    from pydantic import ValidationError

    if type(doc) is not dict or not (doc.keys() <= _TOP and doc.keys() >= _REQUIRED_TOP):
        return None
    if not all(type(doc[kind]) is list for kind in KINDS):
        return None
    try:
        shell = Round.model_validate({**doc, **{kind: [] for kind in KINDS}})
        cols = {kind: _columns(doc[kind], kind) for kind in KINDS}
    except (_Unsure, ValidationError, KeyError, TypeError, ValueError, OverflowError, RecursionError):
        return None
    if not _cross_references_hold(doc, shell, cols):
        return None
    return RoundColumns(shell, cols["providers"], cols["resources"], cols["needs"])


def is_big(doc: Any) -> bool:
    """Whether a decoded document is big enough to be read column by column."""
    if type(doc) is not dict:
        return False
    sizes = [len(v) for v in (doc.get("resources"), doc.get("needs")) if type(v) is list]
    return sum(sizes) >= MIN_ITEMS


def _columns_of_text(data: Any) -> Optional[RoundColumns]:
    from .jsondoc import decode_fast

    fast = decode_fast(data)
    return columns_if_valid(fast) if fast is not None and is_big(fast) else None


def _child(conn, data: Any) -> None:
    try:
        conn.send(_columns_of_text(data))
    finally:
        conn.close()


def columns_in_child(data: Any) -> Optional[RoundColumns]:
    """:func:`columns_if_valid` of a text's decoding, computed in a forked child; ``None`` when
    not certainly valid or where there is no fork.

    The decoded document of a big round is millions of small objects (1.6 GiB
    at 1.1M items); freed, they leave this process's heap fragmented around
    the few that the columns keep, so it stays that big for the whole solve.
    In a child only the columns come back, in fresh compact memory."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    ctx = multiprocessing.get_context("fork")
    here, there = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(there, data), daemon=True)
    proc.start()
    there.close()
    try:
        return here.recv()
    except EOFError:  # the child died (out of memory, killed): decide here
        return None
    finally:
        here.close()
        proc.join()
