"""Every exception matcher raises on purpose, in one tree.

The tree (HTTP status / CLI exit code)::

    MatcherError                    base of everything matcher raises on purpose   500 / 70
    ├── InputError                  the caller's input cannot be used; nothing changed  422 / 2
    │   ├── DocumentError           not readable, not UTF-8, not JSON, not an object    400 / 2
    │   ├── RoundValidationError    a JSON document that breaks the round contract      422 / 2
    │   ├── ScenarioError           a scenario file / what-if request that cannot apply 422 / 2
    │   ├── TableError              Excel/CSV lists that cannot make a valid round      422 / 2
    │   ├── SheetReadError          a file that cannot be read as a table at all        422 / 2
    │   ├── CellError               one spreadsheet cell that cannot be read            422 / 2
    │   ├── OutputError             an output path that cannot be written (CLI ``-o``)  422 / 2
    │   └── UnsupportedSolverError  the chosen solver cannot model the round exactly    422 / 2
    │       └── NotApplicable       raised by a solver; ``auto`` falls back on it        422 / 2
    ├── NotFound                    no such item for this committee (others' look absent) 404 / 2
    ├── ConflictError               the change does not fit the current state (e.g. a     409 / 2
    │                               transition not in the lifecycle table); nothing changed
    ├── ApiError                    an HTTP answer other than 2xx (status per instance) ... / 2
    │   └── IdempotencyConflict     an Idempotency-Key reused with another body         422 / 2
    └── InternalError               matcher itself went wrong; never the caller's fault 500 / 70
        ├── VerificationError       a solver's result breaks the contract; not released
        └── SolverFailed            a backend answered neither a result nor a limit (a fault)

Every ``InputError`` carries ``problems``: a list of :class:`FieldIssue`, each
with a field path (``needs[3].quantity``) and a message (``must be >= 1``).
All problems of a document are gathered before one error is raised.

The web layer answers ``exc.http_status`` and the CLI exits with
``exc.exit_code``: one lookup each, no ``isinstance`` chains.

An infeasible round is *not* an exception: it is a result whose status is
``infeasible`` (see :mod:`matcher.problem`). A solver stopped by its time limit
is not one either: it returns ``feasible`` with a bound.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_INTERNAL = 70


@dataclass(frozen=True, order=True)
class FieldIssue:
    """One thing wrong with an input, at a field path (``needs[3].quantity``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_dict(self) -> dict:
        return {"path": self.path, "message": self.message}


class MatcherError(Exception):
    """Base class of all errors matcher raises on purpose."""

    http_status = 500
    exit_code = EXIT_INTERNAL
    title = "matcher error"


class InputError(MatcherError):
    """The input cannot be used; ``problems`` says why, each with its path."""

    http_status = 422
    exit_code = EXIT_INPUT
    title = "invalid input"

    def __init__(self, problems: list[FieldIssue], title: Optional[str] = None):
        self.problems = list(problems)
        if title is not None:
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

    http_status = 400
    title = "unreadable document"


class RoundValidationError(InputError):
    """The JSON document breaks the round contract."""

    title = "invalid round"


class ScenarioError(InputError):
    """A scenario document that cannot be applied (unknown ids, bad operations)."""

    title = "invalid scenario"


class TableError(InputError):
    """Lists that cannot make a valid round; problem paths name file, row and column."""

    title = "invalid lists"


class _MessageError(InputError):
    """An input error told by one message (no field path of its own)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__([FieldIssue(path, message)])


class SheetReadError(_MessageError):
    """A file that cannot be read as a table at all; the message is for the user."""

    title = "unreadable table"


class CellError(_MessageError):
    """A spreadsheet cell that cannot be read; the message is for the user."""

    title = "unreadable cell"


class OutputError(_MessageError):
    """An output path that cannot be written (no such folder, no permission); the message is for the user."""

    title = "cannot write"


class UnsupportedSolverError(InputError):
    """The chosen solver cannot model this round exactly (e.g. ``flow`` with minimum lots)."""

    title = "solver cannot handle this round"


class NotApplicable(UnsupportedSolverError):
    """Raised by a solver that cannot model this problem exactly; the path is ``params.solver``."""

    def __init__(self, message: str):
        super().__init__([FieldIssue("params.solver", message)])


class NotFound(MatcherError):
    """No such item for this committee; another committee's items look exactly as absent."""

    http_status = 404
    exit_code = EXIT_INPUT
    title = "not found"


class ConflictError(InputError):
    """The change does not fit the current state (a decided project, a transition not
    in the table); ``problems`` names each offending item and nothing was changed."""

    http_status = 409
    title = "conflict"


class ApiError(MatcherError):
    """An HTTP answer other than success, with its own status, title and detail."""

    exit_code = EXIT_INPUT

    def __init__(self, status: int, title: str, detail: Optional[str] = None, errors: Optional[list] = None,
                 headers: Optional[dict] = None):
        super().__init__(detail or title)
        self.http_status, self.title, self.detail, self.errors, self.headers = status, title, detail, errors, headers


class IdempotencyConflict(ApiError):
    """The Idempotency-Key was used before with another body."""

    def __init__(self, detail: str = "this Idempotency-Key was used with another round document"):
        super().__init__(422, "Idempotency-Key reused", detail)


class InternalError(MatcherError):
    """matcher failed on an input it accepted: a bug, never the caller's fault."""

    title = "internal error"


class VerificationError(InternalError):
    """A solver's result breaks the contract; the result was not released."""

    def __init__(self, solver: str, violations: list[str]):
        self.solver = solver
        self.violations = list(violations)
        head = "; ".join(violations[:5])
        more = f" (and {len(violations) - 5} more)" if len(violations) > 5 else ""
        super().__init__(f"solver {solver!r} produced an invalid result: {head}{more}")


class SolverFailed(InternalError):
    """A solver backend answered a status that is neither a result nor a limit (a model or backend fault)."""

    def __init__(self, solver: str, detail: str):
        self.solver = solver
        super().__init__(f"solver {solver!r} failed: {detail}")
