"""A real `matcher serve` process on loopback (the console's browser test drives it; :mod:`servers`)."""
from __future__ import annotations

import subprocess

from servers import MATCHER, Server, env_for

__all__ = ["Server", "create_token"]


def create_token(db_url: str, committee: str, actor: str) -> str:
    out = subprocess.run([MATCHER, "token", "create", "--committee", committee, "--actor", actor],
                         env=env_for(db_url), capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.strip()
