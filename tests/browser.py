"""Headless Chromium for the page tests: find the browser and launch it with no outside traffic."""
from __future__ import annotations

import os
import shutil

import pytest

# flags that keep Chromium from calling home (this machine has no network but loopback)
OFFLINE_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_or_skip() -> str:
    """Path of the system Chromium (``MATCHER_CHROMIUM`` wins); skips the test when there is none."""
    exe = os.environ.get("MATCHER_CHROMIUM")
    for name in ("chromium", "chromium-browser", "google-chrome"):
        exe = exe or shutil.which(name)
    if not exe:
        pytest.skip("no chromium on this machine (python3 tasks.py test installs Debian chromium when root)")
    return exe


def launch_offline(pw, profile: str, extra_args: tuple[str, ...] = (), **kwargs):
    """A persistent headless context of the system Chromium with the offline flags."""
    return pw.chromium.launch_persistent_context(profile, executable_path=chromium_or_skip(), headless=True,
                                                 args=OFFLINE_ARGS + list(extra_args), **kwargs)
