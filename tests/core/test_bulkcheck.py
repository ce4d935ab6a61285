"""The column-by-column reading of big rounds (matcher.bulkcheck) agrees with the models.

It must never accept a document the models refuse, and what it keeps must be
what the models hold: the same columns, the same digest, the same output.
"""
from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import orjson
import pytest

from benchmarks.generate import dumps, generate
from matcher import bulkcheck
from matcher.columns import KINDS, RoundColumns
from matcher.digest import canonical_digest
from matcher.errors import RoundValidationError
from matcher.results import round_digest
from matcher.service import solve_round
from matcher.validation import parse_columns, parse_round

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(p for p in (ROOT / "tests" / "data").glob("*.json") if p.name != "expected.json")
SAMPLES.append(ROOT / "matcher" / "data" / "demo_round.json")
GENERATED = {rules: dumps(generate("S", 3, rules, resources=150, needs=60)).encode() for rules in ("plain", "members", "full")}


def _texts() -> dict[str, bytes]:
    return {**{p.stem: p.read_bytes() for p in SAMPLES}, **{f"generated-{k}": v for k, v in GENERATED.items()}}


def _same_columns(a: RoundColumns, b: RoundColumns) -> None:
    assert a.shell == b.shell
    for kind in KINDS:
        assert getattr(a, kind) == getattr(b, kind), kind


@pytest.mark.parametrize("name", sorted(_texts()))
def test_valid_rounds_give_the_models_columns_and_digest(name):
    text = _texts()[name]
    cols = bulkcheck.columns_if_valid(orjson.loads(text))
    assert cols is not None
    rnd = parse_round(text)
    _same_columns(cols, RoundColumns.of_round(rnd))
    assert cols.digest() == round_digest(rnd)


def test_a_big_text_is_read_by_columns_and_builds_its_round_on_demand(monkeypatch):
    monkeypatch.setattr(bulkcheck, "MIN_ITEMS", 0)
    text = GENERATED["full"]
    cols = parse_columns(text)
    assert cols.build is not None and cols._round is None
    assert cols.round == parse_round(text)


def test_the_output_is_the_same_either_way(monkeypatch):
    for text in [GENERATED["plain"], GENERATED["full"], (ROOT / "tests" / "data" / "huzhou_locked_forbidden.json").read_bytes()]:
        monkeypatch.setattr(bulkcheck, "MIN_ITEMS", 10**9)
        by_models = solve_round(text, timings=False)
        monkeypatch.setattr(bulkcheck, "MIN_ITEMS", 0)
        by_columns = solve_round(text, timings=False)
        assert by_columns.prepared.origin._round is None  # the solve path never built the round
        assert by_columns.json() == by_models.json()


ODD_VALUES = [None, "", "x" * 201, "x" * 2001, 0, -1, 1, 5, 6, 1001, 1_000_001, 1.5, 4.0, 0.0, -0.0, 90.5, -180.0,
              True, False, [], [""], ["a", 1], {}, "a\x00b", "a\x7fb", "tab\tnew\nline", "e\u0301", "\u00e9", "\u200b",
              "\u202e", "中文", 1e300, "unit", "member", "other", "07:30", "24:00", "7:30", "07:30\n", "mon",
              [{"days": ["mon"], "start": "07:00", "end": "08:00"}], [{"days": [], "start": "07:00", "end": "08:00"}],
              [{"days": ["mon"], "start": "24:00", "end": "08:00"}], [{"days": ["mon"], "start": "07:00"}],
              [{"days": ["mon", "xyz"], "start": "07:00", "end": "24:00"}], 2**70, "R0", "N0", "P0"]


def _mutate(doc: dict, rng: random.Random) -> dict:
    doc = copy.deepcopy(doc)
    kind = rng.choice(["providers", "resources", "needs", "needs", "resources"])
    items = doc[kind]
    item = rng.choice(items)
    action = rng.random()
    if action < 0.1:
        item.pop(rng.choice(sorted(item)))
    elif action < 0.15:
        item["unknown_field"] = 1
    elif action < 0.25:
        item["id"] = rng.choice(items)["id"]  # perhaps a duplicate id
    elif action < 0.3:
        items[items.index(item)] = rng.choice([None, 3, "x", []])
    else:
        fields = ["id", "name", "note", "lat", "lon", "capacity", "quantity", "priority", "max_distance_m", "tags",
                  "required_tags", "min_quantity", "windows", "all_or_nothing", "rounds_unmet", "kind",
                  "max_projects", "target_projects", "community_id", "provider_id", "category"]
        item[rng.choice(fields)] = copy.deepcopy(rng.choice(ODD_VALUES))
    return doc


@pytest.mark.parametrize("seed", range(6))
def test_it_never_accepts_what_the_models_refuse(seed):
    rng = random.Random(seed)
    base = json.loads(GENERATED["full"])
    accepted = refused = 0
    for _ in range(120):
        doc = _mutate(base, rng)
        cols = bulkcheck.columns_if_valid(doc)
        try:
            rnd = parse_round(doc)
        except RoundValidationError:
            assert cols is None, "accepted a document the models refuse"
            refused += 1
            continue
        if cols is not None:
            _same_columns(cols, RoundColumns.of_round(rnd))
            accepted += 1
    assert refused and accepted


@pytest.mark.parametrize("value", [
    {"a": [1e-05, 2.5e-5, 1e-7, 4.29e-07, 1e16, 123456789012345.6, -0.0, 0.0001, 3000.0]},
    {"b": "0.00001 text e-5]", "c": ["\x00\x1f\x7f\u2028\ufeff中文\U0001F600", {"z": 1, "é": 2, "Z": 3}]},
    {"n": 2**70, "m": -(2**64)}, [0.00001, {"x": 1e-9}],
])
def test_canonical_digest_is_the_standard_librarys(value):
    import hashlib

    want = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical_digest(value) == hashlib.sha256(want).hexdigest()


def test_a_very_big_text_is_checked_in_a_child_with_the_same_columns(monkeypatch):
    monkeypatch.setattr(bulkcheck, "MIN_ITEMS", 0)
    monkeypatch.setattr(bulkcheck, "CHILD_MIN_BYTES", 0)
    text = GENERATED["full"]
    cols = parse_columns(text)
    assert cols.build is not None and cols._round is None
    _same_columns(cols, RoundColumns.of_round(parse_round(text)))
    assert bulkcheck.columns_in_child(b'{"providers": [], "resources": [], "needs": 1}') is None
