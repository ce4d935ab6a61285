"""Issue 10 item 4, orphaned solver children: a `matcher worker` killed with SIGKILL while its forked
solver children run must not leave them behind (blocked on their result pipe, holding the database
files). The children ask the kernel to kill them with their parent (PR_SET_PDEATHSIG), check that the
parent is still theirs right after the fork, and close the pipe ends they inherited.

- the forked parallel flows of a large plain round (matcher.parallel.local_map, two processes);
- the killable child of a C-size member round's LP bound (matcher.parallel.call_stoppable);
- local_map directly, in a parent that computes its own share while a child waits to send a big result.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from apihelpers import wait_for
from test_api_server import MATCHER, env_for

psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.slow
GONE_WITHIN_S = 5.0


def gone(pids: list[int]) -> bool:
    """Every process ended (a zombie waiting for its new parent to reap it counts as ended)."""
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            pass
    return True


def _kill_and_check(proc: subprocess.Popen, at_least: int = 1) -> list[int]:
    """SIGKILL ``proc`` once it has ``at_least`` forked children at once; assert they are gone soon after.
    Returns their pids."""
    parent = psutil.Process(proc.pid)
    kids = wait_for(lambda: len(parent.children(recursive=True)) >= at_least, 600, 0.02)
    assert kids, "no solver child was forked"
    time.sleep(0.5)  # the children are at work now
    pids = [k.pid for k in parent.children(recursive=True)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert wait_for(lambda: gone(pids), GONE_WITHIN_S, 0.05), [
        (p, psutil.Process(p).status()) for p in pids if psutil.pid_exists(p)]
    return pids


def _stage(path) -> str:
    """The stage the worker reports for the one round of the database at ``path``."""
    con = sqlite3.connect(path)
    try:
        row = con.execute("SELECT progress_json FROM rounds").fetchone()
    finally:
        con.close()
    return json.loads(row[0]).get("stage", "") if row and row[0] else ""


def _queue(tmp_path, doc: dict) -> tuple[subprocess.Popen, object]:
    """Store ``doc`` as a queued round and start a worker (two solver processes) on it."""
    from api import create_app
    from matcher.store import repo

    db_url = f"sqlite:///{tmp_path / 'matcher.sqlite'}"
    app = create_app({"DATABASE_URL": db_url, "RUN_WORKER": False, "MAX_BODY_MB": 128})
    auth = {"Authorization": f"Bearer {repo.create_token(app.extensions['matcher_db'], 'orphans')}",
            "Prefer": "respond-async", "Content-Type": "application/json"}
    r = app.test_client().post("/api/v1/rounds", data=json.dumps(doc), headers=auth)
    assert r.status_code == 202, r.get_data(as_text=True)
    app.extensions["matcher_db"].dispose()
    log = open(tmp_path / "worker.log", "w")
    proc = subprocess.Popen([MATCHER, "worker"], env=env_for(db_url, SOLVER_WORKERS=2, POLL_S=0.05),
                            stdout=log, stderr=subprocess.STDOUT)
    return proc, log


def test_forked_parallel_flows_die_with_their_worker(tmp_path):
    from benchmarks import generate

    doc = generate.generate("L", rules="plain", resources=60_000, needs=12_000)  # ~960,000 pairs, 7 flows
    proc, log = _queue(tmp_path, doc)
    try:  # two children at once: both shares of the flows (a stoppable solve: the worker only waits)
        _kill_and_check(proc, at_least=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def test_killable_lp_child_dies_with_its_worker(tmp_path):
    from benchmarks import generate

    doc = generate.generate("C")
    doc["params"]["time_limit_s"] = 900
    proc, log = _queue(tmp_path, doc)
    try:
        assert wait_for(lambda: _stage(tmp_path / "matcher.sqlite") == "LP bound", 600, 0.05)
        _kill_and_check(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


CHILD_BLOCKED_ON_ITS_PIPE = textwrap.dedent("""
    import os, sys, time
    from matcher import parallel

    def work(k):
        if k == 0:          # the parent's own share: long, so it never reads the child's result
            time.sleep(120)
        return b"x" * 8_000_000  # far more than a pipe holds: the child blocks in send()

    print(os.getpid(), flush=True)
    parallel.local_map(work, [0, 1], 2)
""")


def test_child_blocked_on_its_result_pipe_dies_with_its_parent(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", CHILD_BLOCKED_ON_ITS_PIPE], env=env, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert int(proc.stdout.readline()) == proc.pid
        parent = psutil.Process(proc.pid)
        assert wait_for(lambda: parent.children(), 30, 0.05)
        child = parent.children()[0]
        time.sleep(1.0)  # the child computed its result and is stuck writing it
        assert child.status() in (psutil.STATUS_SLEEPING, psutil.STATUS_DISK_SLEEP, psutil.STATUS_RUNNING)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert wait_for(lambda: gone([child.pid]), GONE_WITHIN_S, 0.05), child.status()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
