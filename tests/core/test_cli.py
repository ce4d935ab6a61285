"""The ``matcher`` command: determinism, exit codes and clean messages (real subprocesses)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .builders import make_round, need, resource

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "tests" / "data"
MATCHER = Path(sys.executable).with_name("matcher")


def run(*args: str, cwd: Path | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    cmd = [str(MATCHER)] if MATCHER.exists() else [sys.executable, "-m", "matcher.cli"]
    return subprocess.run(cmd + list(args), capture_output=True, cwd=cwd, input=stdin, timeout=120)


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    text = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    assert "Traceback" not in text, text


@pytest.mark.parametrize("name", ["zunyi_mixed_rules.json", "huzhou_locked_forbidden.json"])
def test_same_input_gives_byte_identical_output(name, tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"out{k}.json"
        proc = run("solve", str(DATA_DIR / name), "-o", str(out), "--no-timings")
        assert proc.returncode == 0, proc.stderr.decode()
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    doc = json.loads(outs[0])
    assert doc["status"] == "optimal"
    assert "solve_seconds" not in doc["stats"] and "total_seconds" not in doc["stats"]


def test_solve_prints_a_summary_and_writes_stdout_without_output(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(make_round([resource("R0", capacity=2)], [need("N0", 100, quantity=3)])), "utf-8")
    proc = run("solve", str(path), "--no-timings", "--solver", "cpsat")
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(proc.stdout)  # stdout is the output document only
    assert doc["status"] == "optimal" and doc["objective"]["served_quantity"] == 2
    assert doc["unmet"] == [{"need_id": "N0", "quantity": 1, "reason": "capacity_exhausted"}]
    assert "optimal" in proc.stderr.decode()  # the summary goes to stderr


def test_invalid_round_exits_2_with_field_paths(tmp_path):
    doc = make_round([resource("R0")], [need(f"N{j}") for j in range(4)], locked=[("N0", "R-999", 1)])
    doc["needs"][3]["quantity"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), "utf-8")
    for command in ("solve", "validate"):
        proc = run(command, str(path))
        assert proc.returncode == 2
        err = proc.stderr.decode()
        assert "needs[3].quantity: must be >= 1" in err
        assert "locked[0].resource_id: unknown resource 'R-999'" in err
        assert proc.stdout == b""
        no_traceback(proc)


def test_unreadable_inputs_exit_cleanly(tmp_path):
    (tmp_path / "text.json").write_text("this is not json", "utf-8")
    (tmp_path / "gbk.json").write_bytes('{"name": "西城"}'.encode("gbk"))
    (tmp_path / "nan.json").write_text('{"params": {"max_distance_m": NaN}}', "utf-8")
    cases = [str(tmp_path / "missing.json"), str(tmp_path), str(tmp_path / "text.json"),
             str(tmp_path / "gbk.json"), str(tmp_path / "nan.json")]
    for path in cases:
        proc = run("solve", path)
        assert proc.returncode == 2, path
        err = proc.stderr.decode()
        assert path in err or Path(path).name in err, err
        no_traceback(proc)


def test_bad_options_exit_2(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(make_round([resource("R0")], [need("N0")])), "utf-8")
    for args in (["--solver", "simplex"], ["--time-limit", "0"], ["--workers", "-1"]):
        proc = run("solve", str(path), *args)
        assert proc.returncode == 2, args
        no_traceback(proc)


def test_flow_on_a_round_with_side_rules_exits_2(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(make_round([resource("R0", capacity=5, min_quantity=3)], [need("N0", quantity=4)])), "utf-8")
    proc = run("solve", str(path), "--solver", "flow")
    assert proc.returncode == 2
    assert "params.solver" in proc.stderr.decode()
    no_traceback(proc)


def test_validate_a_good_round():
    proc = run("validate", str(DATA_DIR / "xicheng_tidal_parking.json"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert "valid round" in proc.stdout.decode()


def test_demo(tmp_path):
    out = tmp_path / "demo.json"
    proc = run("demo", "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    assert "served" in proc.stdout.decode()
    doc = json.loads(out.read_text("utf-8"))
    assert doc["status"] == "optimal" and doc["projects"]


def test_schema_prints_json():
    proc = run("schema")
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert set(schema["required"]) >= {"providers", "resources", "needs"}
    assert "properties" in schema and "needs" in schema["properties"]


def test_infeasible_round_still_exits_0_with_the_ids(tmp_path):
    doc = make_round([resource("R0", capacity=1)], [need("N0", quantity=2)], locked=[("N0", "R0", 2)])
    path, out = tmp_path / "r.json", tmp_path / "out.json"
    path.write_text(json.dumps(doc), "utf-8")
    proc = run("solve", str(path), "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    result = json.loads(out.read_text("utf-8"))
    assert result["status"] == "infeasible"
    assert "R0" in result["message"] and result["projects"] == []
