"""Exit codes of every ``matcher`` command: 2 for a missing input or an unwritable output, 70 for a bug."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from matcher.cli import main
from matcher.cli.progress import LiveProgress, PlainProgress, progress

from .test_cli import DATA_DIR

ROUND = str(DATA_DIR / "xicheng_tidal_parking.json")


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(scope="module")
def result_file(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("result") / "result.json"
    r = invoke("solve", ROUND, "-o", str(out), "--no-timings", "-q")
    assert r.exit_code == 0, r.output
    return str(out)


def missing_cases(tmp, result):
    gone = str(tmp / "missing.json")
    return {
        "solve": (["solve", gone], gone),
        "validate": (["validate", gone], gone),
        "lists solve": (["lists", "solve", str(tmp / "missing.xlsx"), "-o", str(tmp / "p.xlsx")], "missing.xlsx"),
        "lists to-round": (["lists", "to-round", str(tmp / "missing.xlsx")], "missing.xlsx"),
        "lists from-round": (["lists", "from-round", gone, "-o", str(tmp / "l.xlsx")], gone),
        "lists export result": (["lists", "export", gone, "-o", str(tmp / "p.xlsx")], gone),
        "lists export round": (["lists", "export", result, "--round", gone, "-o", str(tmp / "p.xlsx")], gone),
        "report result": (["report", gone, "--round", ROUND, "-o", str(tmp / "r.html")], gone),
        "report round": (["report", result, "--round", gone, "-o", str(tmp / "r.html")], gone),
        "whatif base": (["whatif", gone], "missing.json"),
        "whatif scenario": (["whatif", ROUND, gone], "missing.json"),
        "whatif sweep": (["whatif", gone, "--sweep", "params.max_distance_m=400:800:200"], "missing.json"),
    }


@pytest.mark.parametrize("case", list(missing_cases(DATA_DIR, "r.json")))
def test_a_missing_input_file_exits_2_naming_it(case, tmp_path, result_file):
    args, named = missing_cases(tmp_path, result_file)[case]
    r = invoke(*args)
    assert r.exit_code == 2, (case, r.output)
    assert r.stderr.startswith("error: ") and named in r.stderr, r.stderr
    assert "Traceback" not in r.output and not (tmp_path / "p.xlsx").exists()


def test_a_missing_round_file_says_no_such_file(tmp_path):
    r = invoke("solve", str(tmp_path / "missing.json"))
    assert r.stderr == f"error: {tmp_path / 'missing.json'}: unreadable document\n  no such file\n"


def test_a_directory_as_input_exits_2(tmp_path):
    r = invoke("validate", str(tmp_path))
    assert r.exit_code == 2 and "is a directory" in r.stderr


def test_a_file_that_is_not_a_result_exits_2(tmp_path):
    r = invoke("report", ROUND, "--round", ROUND, "-o", str(tmp_path / "r.html"))
    assert r.exit_code == 2
    assert r.stderr == f"error: {ROUND}: not a result document\n  needs 'projects' and 'unmet' lists\n"


@pytest.mark.parametrize("case", ["solve", "demo", "report", "lists export", "lists template", "whatif"])
def test_an_unwritable_output_exits_2_naming_it(case, tmp_path, result_file):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", "utf-8")
    nowhere = tmp_path / "no-such-folder"
    args, target = {
        "solve": (["solve", ROUND, "-q", "-o", str(nowhere / "r.json")], nowhere / "r.json"),
        "demo": (["demo", "-o", str(nowhere / "r.json")], nowhere / "r.json"),
        "report": (["report", result_file, "--round", ROUND, "-o", str(nowhere / "r.html")], nowhere / "r.html"),
        "lists export": (["lists", "export", result_file, "-o", str(nowhere / "p.xlsx")], nowhere / "p.xlsx"),
        "lists template": (["lists", "template", "-o", str(blocker / "t")], blocker / "t"),
        "whatif": (["whatif", ROUND, "-o", str(nowhere / "w.txt")], nowhere / "w.txt"),
    }[case]
    r = invoke(*args)
    assert r.exit_code == 2, (case, r.output)
    assert r.stderr.startswith(f"error: {target}: cannot write\n  "), r.stderr
    assert "Traceback" not in r.output


def boom(problem, options):
    raise RuntimeError("solver exploded\nsecond line")


def test_an_unexpected_exception_exits_70_in_one_line(monkeypatch):
    monkeypatch.setattr("matcher.solvers.greedy.solve", boom)
    r = invoke("solve", ROUND, "--solver", "greedy", "-q")
    assert r.exit_code == 70
    assert r.stderr == "internal error: RuntimeError: solver exploded (MATCHER_DEBUG=1 shows the traceback)\n"
    assert r.stdout == ""


def test_matcher_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setattr("matcher.solvers.greedy.solve", boom)
    r = invoke("solve", ROUND, "--solver", "greedy", "-q", env={"MATCHER_DEBUG": "1"})
    assert r.exit_code == 70
    assert "Traceback" in r.stderr and "in boom" in r.stderr
    assert r.stderr.endswith("internal error: RuntimeError: solver exploded\n")


def test_an_internal_error_exits_70_with_its_message(monkeypatch):
    from matcher.errors import SolverFailed

    def failed(problem, options):
        raise SolverFailed("greedy", "backend answered MODEL_INVALID")

    monkeypatch.setattr("matcher.solvers.greedy.solve", failed)
    r = invoke("whatif", ROUND, "--solver", "greedy")
    assert r.exit_code == 70
    assert r.stderr == "internal error: solver 'greedy' failed: backend answered MODEL_INVALID\n"


def test_usage_errors_stay_exit_2():
    r = invoke("whatif", ROUND, "--marginal", "--sweep", "params.max_distance_m=1:2:1")
    assert r.exit_code == 2 and "one at a time" in r.stderr
    assert invoke("solve").exit_code == 2


def test_python_m_matcher_cli_help():
    proc = subprocess.run([sys.executable, "-m", "matcher.cli", "--help"], capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    for command in ("solve", "validate", "schema", "lists", "report", "whatif", "serve", "worker", "token"):
        assert f"  {command} " in out, command


def test_importing_the_cli_loads_no_web_or_table_stack():
    code = ("import sys, json, matcher.cli; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('api', 'flask', 'werkzeug', 'pandas', 'sqlalchemy', 'alembic', 'openpyxl', 'rich'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout) == []


def test_progress_is_plain_lines_off_a_terminal():
    assert isinstance(progress(enabled=True), PlainProgress)  # stderr is captured under pytest
    assert isinstance(progress(enabled=False), PlainProgress)


def test_progress_on_a_terminal_is_a_live_line_with_the_stage():
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80)
    with LiveProgress(console) as shown:
        shown("solving part [1/3] by flow")
        shown._bar.refresh()
    text = out.getvalue()
    assert "solving part [1/3] by flow" in text  # no markup: brackets shown as written
    assert "0:00:0" in text  # elapsed time


def test_progress_picks_the_live_line_on_a_terminal(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert isinstance(progress(enabled=True), LiveProgress)
    assert isinstance(progress(enabled=False), PlainProgress)  # -q: nothing at all
