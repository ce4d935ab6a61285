"""Whether this process is the ``matcher`` command and nothing else, and its fast ending."""
from __future__ import annotations

import os
import sys

_OWN_PROCESS = False


def claim() -> None:
    """Called by the console entry point: this process runs one command, then ends."""
    global _OWN_PROCESS
    _OWN_PROCESS = True


def owned() -> bool:
    return _OWN_PROCESS


def finish() -> None:
    """A command's work is done and written: end the process at once when it is
    ours alone, skipping interpreter teardown, which would free the round's
    millions of objects one by one (over a second at 100k resources). Under
    ``CliRunner`` or an embedding program this does nothing."""
    if _OWN_PROCESS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
