"""``matcher solve`` and ``validate`` accept scenario files (a base round plus changes)."""
from __future__ import annotations

import json

from .test_cli import DATA_DIR, no_traceback, run


def test_solve_scenario_file_applies_its_changes(tmp_path):
    base = json.loads((DATA_DIR / "xicheng_tidal_parking.json").read_text(encoding="utf-8"))
    (tmp_path / "base.json").write_text(json.dumps(base, ensure_ascii=False), encoding="utf-8")
    rid = base["resources"][0]["id"]
    scenario = {"base": "base.json", "name": "more room",
                "changes": [{"op": "add_capacity", "resource_id": rid, "amount": 50}]}
    (tmp_path / "more.json").write_text(json.dumps(scenario), encoding="utf-8")
    for name in ("base.json", "more.json"):
        proc = run("solve", str(tmp_path / name), "-o", str(tmp_path / f"out-{name}"), "--no-timings")
        assert proc.returncode == 0, proc.stderr.decode()
    plain = json.loads((tmp_path / "out-base.json").read_text(encoding="utf-8"))
    more = json.loads((tmp_path / "out-more.json").read_text(encoding="utf-8"))
    assert more["status"] == "optimal"
    assert more["objective"]["served_value"] >= plain["objective"]["served_value"]
    used = sum(p["quantity"] for p in more["projects"] if p["resource_id"] == rid)
    assert used <= base["resources"][0]["capacity"] + 50


def test_scenario_with_unknown_id_is_refused_with_its_path(tmp_path):
    (tmp_path / "base.json").write_bytes((DATA_DIR / "xicheng_tidal_parking.json").read_bytes())
    scenario = {"base": "base.json", "changes": [{"op": "add_capacity", "resource_id": "R-999", "amount": 5}]}
    (tmp_path / "bad.json").write_text(json.dumps(scenario), encoding="utf-8")
    for command in ("solve", "validate"):
        proc = run(command, str(tmp_path / "bad.json"))
        assert proc.returncode == 2
        assert "changes[0].resource_id" in proc.stderr.decode()
        no_traceback(proc)
