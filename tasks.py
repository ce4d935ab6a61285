#!/usr/bin/env python3
"""Set-up and everyday tasks; needs only Python 3.11 and pip.

    python3 tasks.py demo   # create .venv if needed, then run the demo
    python3 tasks.py test   # create .venv if needed, then run the whole test suite

The virtual environment is (re)built whenever pyproject.toml or
constraints.txt change; every version is pinned by constraints.txt.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".matcher-install-stamp"


def _fingerprint() -> str:
    h = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def ensure_venv() -> None:
    want = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == want and (BIN / "matcher").exists():
        return
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    print("installing matcher and its pinned dependencies into .venv ...", flush=True)
    subprocess.run(pip + ["-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(want)


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    if task not in ("demo", "test", "setup"):
        print(__doc__)
        return 0 if task == "help" else 2
    ensure_venv()
    if task == "setup":
        return 0
    if task == "demo":
        return subprocess.call([str(BIN / "matcher"), "demo", *argv[1:]], cwd=ROOT)
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *argv[1:]], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
