"""Progress of long solves on stderr: a live line on a terminal, plain lines otherwise.

:func:`progress` picks one. Both are callables taking the service's stage
messages and context managers around the solve.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Self

import click


class PlainProgress:
    """Progress as plain lines (stderr is a file or a pipe).

    Nothing is shown for solves under a second. After that, new stage and
    solver messages are printed (at most twice a second), and a heartbeat
    repeats the current stage every few seconds while nothing else happens.
    """

    def __init__(self, enabled: bool, heartbeat_s: float = 5.0):
        self.enabled = enabled
        self.start = time.perf_counter()
        self.last = 0.0
        self.current = "starting"
        self.heartbeat_s = heartbeat_s
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, message: str) -> None:
        self.current = message
        now = time.perf_counter() - self.start
        if self.enabled and now >= 1.0 and now - self.last >= 0.5:
            self._print(now, message)

    def _print(self, now: float, message: str) -> None:
        self.last = now
        click.echo(f"  [{now:6.1f}s] {message}", err=True)

    def _beat(self) -> None:
        while not self._done.wait(1.0):
            now = time.perf_counter() - self.start
            if now - self.last >= self.heartbeat_s:
                self._print(now, f"{self.current} ...")

    def __enter__(self) -> Self:
        if self.enabled:
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()


class LiveProgress:
    """Progress on a terminal: one ``rich`` line with a spinner, the current
    stage and the elapsed time, erased when the solve ends."""

    def __init__(self, console=None):
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), TimeElapsedColumn(),
                             console=console or Console(stderr=True), transient=True, redirect_stdout=False)
        self._task = self._bar.add_task("starting", total=None)

    def __call__(self, message: str) -> None:
        self._bar.update(self._task, description=message)

    def __enter__(self) -> Self:
        self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.stop()


def progress(enabled: bool) -> PlainProgress | LiveProgress:
    """The live line when enabled and stderr is a terminal, else plain lines (none when disabled)."""
    if enabled and sys.stderr.isatty():
        return LiveProgress()
    return PlainProgress(enabled)
