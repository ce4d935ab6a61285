"""A real `matcher serve` process on loopback, for the tests that need one (API server tests, the console's
browser test): ``env_for`` (a clean MATCHER_* environment), :class:`Server` and ``stop_process``."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

MATCHER = str(Path(sys.executable).with_name("matcher"))


def stop_process(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL if ``proc`` has not ended within ``timeout`` seconds."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def env_for(db_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    env.update({"MATCHER_DATABASE_URL": db_url, "MATCHER_SOLVER_WORKERS": "1", "PYTHONUNBUFFERED": "1"})
    env.update({f"MATCHER_{k}": str(v) for k, v in extra.items()})
    return env


class Server:
    """``matcher serve --port 0`` with its worker thread; ``base`` is its URL once it listens."""

    def __init__(self, db_url: str, tmp: Path, **extra):
        self.log_path = tmp / "server.log"
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([MATCHER, "serve", "--host", "127.0.0.1", "--port", "0"],
                                     env=env_for(db_url, **extra), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        found = None
        while found is None and time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.1)
            found = re.search(r"matcher API on (http://127\.0\.0\.1:\d+)", self.text())
        assert found, self.text()
        self.base = found.group(1)

    def text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        stop_process(self.proc, 20)
        self.log.close()
