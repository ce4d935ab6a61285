"""Writing the command's outputs: files, stdout, folders.

A path that cannot be written is an :class:`~matcher.errors.OutputError`
(exit code 2) naming the path: ``error: out/r.json: cannot write``.
"""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from ..errors import OutputError, SheetReadError
from .failures import about


@contextlib.contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Turn a failure to write ``path`` (an ``OSError``, or a table writer's
    ``SheetReadError``) into an :class:`OutputError` about ``path``."""
    try:
        yield
    except OSError as exc:
        about(str(path))
        raise OutputError(_reason(exc)) from None
    except SheetReadError as exc:
        about(str(path))
        raise OutputError(str(exc.problems[0])) from None


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such folder"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    return exc.strerror or str(exc)


def write_text(path: str, text: str) -> None:
    """Write text to a file (UTF-8)."""
    with writing(path):
        Path(path).write_text(text, encoding="utf-8")


def write_output(text: str, output: str | None) -> None:
    """Write text to a file, or to stdout when no file is given."""
    if output:
        write_text(output, text)
    else:
        sys.stdout.write(text)


def check_suffix(path: str, allowed: tuple[str, ...]) -> None:
    """A usage error (exit 2) unless ``path`` ends in one of ``allowed``."""
    if Path(path).suffix.lower() not in allowed:
        raise click.UsageError(f"{path}: the output must end in {' or '.join(allowed)}")


def written(files) -> None:
    """Say on stderr which files were written."""
    click.echo("written " + ", ".join(str(f) for f in files), err=True)
