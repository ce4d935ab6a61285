"""matcher: optimal matching of resource lists to need lists (三单 rounds).

Public entry points::

    from matcher import solve_round, parse_round
    result = solve_round(open("round.json", "rb").read())
    result.document["objective"]["served_value"]
"""
from .errors import (DocumentError, InputError, InternalError, MatcherError, FieldIssue, RoundValidationError,
                     UnsupportedSolverError, VerificationError)
from .problem import Status
from .service import RoundResult, prepare, solve_prepared, solve_round
from .validation import parse_round, validate_round

__version__ = "0.1.0"

__all__ = [
    "DocumentError", "InputError", "InternalError", "MatcherError", "FieldIssue", "RoundValidationError",
    "UnsupportedSolverError", "VerificationError", "Status", "RoundResult", "prepare", "solve_prepared",
    "solve_round", "parse_round", "validate_round", "__version__",
]
