"""Shared fixtures of the whole test suite (keep small; helpers live next to their tests)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).parent / "data"
SAMPLE_ROUNDS = sorted(p.name for p in DATA_DIR.glob("*.json") if p.name != "expected.json")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """tests/data: the sample rounds and their proven optima."""
    return DATA_DIR


@pytest.fixture(scope="session")
def expected_optima() -> dict:
    """tests/data/expected.json: file name -> {served_value, total_distance_m}."""
    return json.loads((DATA_DIR / "expected.json").read_text(encoding="utf-8"))
