#!/usr/bin/env python3
"""Set-up and everyday tasks; needs only Python 3.11 and pip.

    python3 tasks.py demo   # create .venv if needed, then start the API service with a demo round
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


def _fingerprint(extras: str) -> str:
    h = hashlib.sha256(extras.encode())
    for name in ("pyproject.toml", "constraints.txt"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def ensure_venv(extras: str = "") -> None:
    """Install matcher (with ``extras``, e.g. ``test``) into .venv unless it is already there.

    The service needs no extras; the tests add theirs. A .venv set up for the
    tests also serves the service, so ``demo`` after ``test`` installs nothing.
    """
    stamps = {_fingerprint(e) for e in ({extras, "test"} if not extras else {extras})}
    if STAMP.exists() and STAMP.read_text() in stamps and (BIN / "matcher").exists():
        return
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    what = f"matcher[{extras}]" if extras else "matcher"
    print(f"installing {what} and its pinned dependencies into .venv ...", flush=True)
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    subprocess.run(pip + ["-c", str(ROOT / "constraints.txt"), "-e", target], check=True)
    STAMP.write_text(_fingerprint(extras))


BROWSER_PACKAGES = ("chromium", "fonts-noto-cjk")
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def ensure_browser() -> None:
    """The HTML report tests need a headless Chromium and CJK fonts (Debian: chromium, fonts-noto-cjk).

    Installed with apt-get when missing and we are root with apt-get; otherwise those
    tests skip with a reason. MATCHER_NO_BROWSER_INSTALL=1 turns this step off.
    """
    import shutil

    have_browser = shutil.which("chromium") is not None or shutil.which("chromium-browser") is not None
    if (have_browser and CJK_FONT.exists()) or os.environ.get("MATCHER_NO_BROWSER_INSTALL"):
        return
    apt = shutil.which("apt-get")
    if apt is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        print("note: chromium / fonts-noto-cjk missing and cannot apt-get install them here "
              "(not root or no apt-get): the HTML report browser tests will skip", flush=True)
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print(f"the report and console browser tests need {' '.join(BROWSER_PACKAGES)}: installing them "
          "with apt-get (set MATCHER_NO_BROWSER_INSTALL=1 to skip; those tests then skip) ...", flush=True)
    try:
        subprocess.run([apt, "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run([apt, "install", "-y", "-q", "--no-install-recommends", *BROWSER_PACKAGES],
                       check=True, env=env, stdout=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"note: apt-get install failed ({exc}): the HTML report browser tests will skip", flush=True)


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    if task not in ("demo", "test", "setup"):
        print(__doc__)
        return 0 if task == "help" else 2
    ensure_venv("" if task == "demo" else "test")
    if task == "setup":
        return 0
    if task == "demo":
        # the API service on the embedded SQLite default, a demo token and the demo round loaded
        try:
            return subprocess.call([str(BIN / "matcher"), "serve", "--demo", *argv[1:]], cwd=ROOT)
        except KeyboardInterrupt:
            return 0
    ensure_browser()
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *argv[1:]], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
