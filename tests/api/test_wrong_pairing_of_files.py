"""Issue 10 item 16, wrong pairing of files: every result carries its round's digest, and the CLI
refuses a report or a list export of one round's result with another round's file (exit 2)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from matcher.results import round_digest
from matcher.validation import parse_round

MATCHER = str(Path(sys.executable).with_name("matcher"))
ROUND = Path(__file__).parent / "data" / "huzhou_after_school.json"


def run(*args, cwd):
    return subprocess.run([MATCHER, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_wrong_pairing_of_files(tmp_path):
    doc = json.loads(ROUND.read_text(encoding="utf-8"))
    (tmp_path / "a.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    doc["needs"][0]["quantity"] += 1  # the same ids: only the digest tells them apart
    (tmp_path / "b.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert run("solve", "a.json", "-o", "ra.json", "-q", cwd=tmp_path).returncode == 0
    result = json.loads((tmp_path / "ra.json").read_text(encoding="utf-8"))
    assert result["round_sha256"] == round_digest(parse_round((tmp_path / "a.json").read_bytes()))
    for cmd in (["report", "ra.json", "--round", "b.json", "-o", "r.html"],
                ["lists", "export", "ra.json", "--round", "b.json", "-o", "x.xlsx"]):
        out = run(*cmd, cwd=tmp_path)
        assert out.returncode == 2, out.stderr
        assert "is not the result of b.json" in out.stderr and "round_sha256" in out.stderr
        assert "Traceback" not in out.stderr
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "x.xlsx").exists()
    assert run("report", "ra.json", "--round", "a.json", "-o", "r.html", cwd=tmp_path).returncode == 0


def test_result_digest_in_the_api_output(client, auth, sample_round):
    r = client.post("/api/v1/rounds", json=sample_round, headers=auth)
    assert r.status_code == 201
    assert r.json["output"]["round_sha256"] == round_digest(parse_round(json.dumps(sample_round).encode()))


def test_solve_refuses_spreadsheets_in_and_out(tmp_path):
    (tmp_path / "a.json").write_text(ROUND.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "lists.xlsx").write_bytes(b"PK")
    out = run("solve", "lists.xlsx", cwd=tmp_path)
    assert out.returncode == 2 and "use `matcher lists solve lists.xlsx`" in out.stderr
    out = run("solve", "a.json", "-o", "result.xlsx", cwd=tmp_path)
    assert out.returncode == 2 and "matcher lists export" in out.stderr
    assert not (tmp_path / "result.xlsx").exists()
