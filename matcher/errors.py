"""Exceptions raised by matcher.

The tree::

    MatcherError                  base of everything matcher raises on purpose
    ├── InputError                the caller's input cannot be used; nothing was solved
    │   ├── DocumentError         not readable, not UTF-8, not JSON, not an object
    │   ├── RoundValidationError  a JSON document that breaks the round contract
    │   └── UnsupportedSolverError  the chosen solver cannot model the round exactly
    └── InternalError             matcher itself went wrong; never the caller's fault
        └── VerificationError     a solver returned a result that breaks the contract

Every ``InputError`` carries ``problems``: a list of :class:`Problem` with a
field path (``needs[3].quantity``) and a message (``must be >= 1``). All
problems of a document are gathered before one error is raised.

An infeasible round is *not* an exception: it is a result whose status is
``infeasible`` (see :mod:`matcher.problem`).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, at a field path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_dict(self) -> dict:
        return {"path": self.path, "message": self.message}


class MatcherError(Exception):
    """Base class of all errors matcher raises on purpose."""


class InputError(MatcherError):
    """The input cannot be used; ``problems`` says why, each with its path."""

    def __init__(self, problems: list[Problem], title: str = "invalid input"):
        self.problems = list(problems)
        self.title = title
        super().__init__(self.describe())

    def describe(self, limit: int = 50) -> str:
        lines = [str(p) for p in self.problems[:limit]]
        more = len(self.problems) - limit
        if more > 0:
            lines.append(f"... and {more} more problems")
        return "\n".join(lines)


class DocumentError(InputError):
    """The input is not a readable JSON object."""

    def __init__(self, problems: list[Problem], title: str = "unreadable document"):
        super().__init__(problems, title)


class RoundValidationError(InputError):
    """The JSON document breaks the round contract."""

    def __init__(self, problems: list[Problem], title: str = "invalid round"):
        super().__init__(problems, title)


class InternalError(MatcherError):
    """matcher failed on an input it accepted: a bug, never the caller's fault."""


class VerificationError(InternalError):
    """A solver's result breaks the contract; the result was not released."""

    def __init__(self, solver: str, violations: list[str]):
        self.solver = solver
        self.violations = list(violations)
        head = "; ".join(violations[:5])
        more = f" (and {len(violations) - 5} more)" if len(violations) > 5 else ""
        super().__init__(f"solver {solver!r} produced an invalid result: {head}{more}")


class UnsupportedSolverError(InputError):
    """The chosen solver cannot model this round exactly (e.g. ``flow`` with minimum lots)."""

    def __init__(self, problems: list[Problem], title: str = "solver cannot handle this round"):
        super().__init__(problems, title)
