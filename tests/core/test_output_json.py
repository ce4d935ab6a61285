"""The output text is the standard library's layout (orjson writes it faster)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from matcher.jsontext import to_json
from matcher.service import solve_round

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("path", sorted(p for p in DATA.glob("*.json") if p.name != "expected.json"),
                         ids=lambda p: p.stem)
def test_same_text_as_json_dumps(path):
    doc = solve_round(path.read_bytes(), timings=False).document
    assert to_json(doc) == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def test_numpy_scalars_and_non_string_keys():
    doc = {"a": np.float64(2.5), "b": np.int64(7), 3: "三", "list": [], "obj": {}}
    plain = {"a": 2.5, "b": 7, 3: "三", "list": [], "obj": {}}
    assert to_json(doc) == json.dumps(plain, ensure_ascii=False, indent=2) + "\n"


def test_integers_beyond_64_bits_fall_back_to_the_standard_encoder():
    doc = {"big": 10 ** 30, "name": "西城"}
    assert to_json(doc) == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
