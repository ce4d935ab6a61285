"""The benchmark harness runs end to end at size S (a smoke test: no timing assertions)."""
from __future__ import annotations

import json

from benchmarks import run


def test_harness_size_s(tmp_path):
    assert run.main(["--size", "S", "--out-dir", str(tmp_path), "--timeout", "300"]) == 0
    res = json.loads((tmp_path / "results" / "S.json").read_text())
    c = res["contenders"]
    for name in ("matcher", "greedy", "pairs", "bareflow", "highs", "cbc"):
        assert name in c and "error" not in c[name], (name, c.get(name))
        assert c[name]["max_rss_mb"] > 0
    s = res["summary"]
    assert s["bareflow_same_optimum"] and s["highs_same_optimum"] and s["cbc_same_optimum"]
    assert s["greedy_value_gap_pct"] >= 0
    text = (tmp_path / "RESULTS.md").read_text()
    assert "## S:" in text and "bareflow" in text and "ortools" in text


def test_exponent_fit():
    assert abs(run.fit_exponent([(1e3, 1.0), (1e4, 10.0), (1e5, 100.0)]) - 1.0) < 1e-9
    assert run.fit_exponent([(1e3, 1.0)]) is None
