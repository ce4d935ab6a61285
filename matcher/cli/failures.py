"""How the ``matcher`` command reports a failure, and with which exit code.

The group in :mod:`matcher.cli` catches every exception once and calls
:func:`exit_code_of`; commands only raise. A :class:`~matcher.errors.MatcherError`
exits with its ``exit_code`` (an ``InputError`` 2, an ``InternalError`` 70) and
is printed the way a user can act on it::

    error: round.json: invalid round
      needs[3].quantity: must be >= 1

A full disk or a read-only database (``matcher worker``, ``matcher token``)
is told in one line, ``error: storage unavailable: the database's disk is
full``, exit 70. Any other exception is a bug: exit 70 with one line, and the
traceback only when ``MATCHER_DEBUG=1``. click's own usage errors never reach here (exit 2).

The file named in ``error: FILE: ...`` is the one the command said it was
working on last (:func:`about`).
"""
from __future__ import annotations

import os
import traceback

import click

from ..errors import EXIT_INTERNAL, InputError, MatcherError

_ABOUT = "matcher.about"


def about(label: str) -> None:
    """Name the file (or list) the next error is about: ``error: LABEL: ...``."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_ABOUT] = label


def current_label(ctx: click.Context) -> str | None:
    return ctx.meta.get(_ABOUT)


def show(exc: MatcherError, label: str | None) -> int:
    """Print a matcher error on stderr and return its exit code."""
    where = f"{label}: " if label else ""
    if isinstance(exc, InputError):
        click.echo(f"error: {where}{exc.title}", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
    elif exc.exit_code == EXIT_INTERNAL:
        click.echo(f"internal error: {exc}", err=True)
    else:
        click.echo(f"error: {where}{exc}", err=True)
    return exc.exit_code


def show_unexpected(exc: BaseException) -> int:
    """Print an exception matcher did not raise on purpose (a bug) and return 70."""
    debug = os.environ.get("MATCHER_DEBUG", "") not in ("", "0")
    if debug:
        traceback.print_exception(exc)
    hint = "" if debug else " (MATCHER_DEBUG=1 shows the traceback)"
    text = str(exc).splitlines()[0] if str(exc) else ""
    click.echo(f"internal error: {type(exc).__name__}" + (f": {text}" if text else "") + hint, err=True)
    return EXIT_INTERNAL


def storage_failure(exc: BaseException) -> str | None:
    """What is wrong with the database's storage, for a SQLAlchemy error of a full disk / read-only file."""
    if not type(exc).__module__.startswith("sqlalchemy"):  # the store (SQLAlchemy) is loaded only when used
        return None
    from ..store.db import storage_failure as classify
    return classify(exc)


def exit_code_of(exc: Exception, ctx: click.Context) -> int:
    """Report ``exc`` (raised by a command of ``ctx``) and return the exit code."""
    if isinstance(exc, MatcherError):
        return show(exc, current_label(ctx))
    storage = storage_failure(exc)
    if storage:
        click.echo(f"error: storage unavailable: {storage}", err=True)
        return EXIT_INTERNAL
    return show_unexpected(exc)
