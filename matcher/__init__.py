"""matcher: optimal matching of resource lists to need lists (三单 rounds).

Public entry points::

    from matcher import solve_round, parse_round
    result = solve_round(open("round.json", "rb").read())
    result.document["objective"]["served_value"]

The names are imported on first use (PEP 562), so that ``import matcher``
(and ``matcher --help``) does not load numpy, scipy and the solvers.
"""
from importlib import import_module

from .version import __version__

_EXPORTS = {
    "DocumentError": "errors", "InputError": "errors", "InternalError": "errors", "MatcherError": "errors",
    "FieldIssue": "errors", "RoundValidationError": "errors", "UnsupportedSolverError": "errors",
    "VerificationError": "errors", "Status": "problem", "StopReason": "problem", "RoundResult": "service", "prepare": "service",
    "solve_prepared": "service", "solve_round": "service", "parse_round": "validation",
    "validate_round": "validation",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'matcher' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
