"""The shipped gunicorn.conf.py, for real on loopback (issue 10 items 1 and 6).

- slow clients: 50 connections that send half a request, or announce a 1 MB body and send 20 bytes,
  do not stop /healthz from answering within a second;
- the access log shows paths without query strings (they can carry names and phone numbers).
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from servers import stop_process
from test_api_server import env_for, token

ROOT = Path(__file__).parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SECRET = "张颖 13812345678"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_gunicorn(tmp_path: Path, db_url: str, workers: int = 2, **settings):
    """The shipped gunicorn.conf.py serving the app on a free loopback port (``settings``: MATCHER_* values);
    yields (base URL, port) once /healthz answers; the log is tmp_path/gunicorn.log."""
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")
    env = {**env_for(db_url, **settings), "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    proc = subprocess.Popen([GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "api:create_app()"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.2)
        yield base, port
    finally:
        stop_process(proc)
        log.close()


@pytest.fixture
def gunicorn(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'matcher.sqlite'}"
    tok = token(db_url, "西城区党建协调委员会")
    with running_gunicorn(tmp_path, db_url) as (base, port):
        yield base, port, tok, tmp_path / "gunicorn.log"


def _slow_client(port: int, k: int, tok: str) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if k % 2:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers never finished
    else:
        s.sendall(b"POST /api/v1/rounds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + tok.encode() + b"\r\nContent-Length: 1000000\r\n\r\n"
                  + b'{"name": "slow", "ne')  # 20 bytes of a 1,000,000-byte body
    return s


@pytest.mark.slow
def test_slow_clients_do_not_hold_the_workers(gunicorn):
    base, port, tok, _log = gunicorn
    slow = [_slow_client(port, k, tok) for k in range(50)]
    try:
        time.sleep(1.0)  # let every worker pick its slow connections up
        for _ in range(5):
            t0 = time.monotonic()
            with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
                assert r.status == 200
            assert time.monotonic() - t0 < 1.0
            time.sleep(0.3)
    finally:
        for s in slow:
            s.close()


@pytest.mark.slow
def test_personal_data_not_in_gunicorn_access_log(gunicorn):
    base, _port, tok, log = gunicorn
    q = urllib.parse.quote(SECRET)
    req = urllib.request.Request(f"{base}/api/v1/rounds?provider={q}&status={q}",
                                 headers={"Authorization": f"Bearer {tok}"})
    try:
        urllib.request.urlopen(req, timeout=10).read()
    except urllib.error.HTTPError as e:
        assert e.code == 400
    time.sleep(0.5)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert '"GET /api/v1/rounds HTTP/1.1" 400' in text
    for part in (SECRET, q, "13812345678", "provider="):
        assert part not in text
