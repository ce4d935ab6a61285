"""``POST /api/v1/whatif``: compare a base round with scenarios, in the request, nothing stored.

The answer is what ``matcher whatif --json`` prints for the same base and
scenarios; the base is labelled ``base`` and each scenario by its ``name``.
All solves of one request share one budget (``WHATIF_BUDGET_S``, below the
gunicorn timeout), and all its rounds together may have at most
``WHATIF_MAX_PAIRS`` candidate pairs (else 422).
Checking, applying, solving and comparing are :mod:`matcher.whatif.run`'s.
"""
from __future__ import annotations

from flask import Blueprint, current_app

from ..errors import FieldIssue, RoundValidationError, ScenarioError
from ..validation import ROOT
from ..whatif.run import INVALID, Limits, compare_request
from .helpers import authenticate, read_document as _read_document


bp = Blueprint("whatif", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


@bp.post("/whatif")
def whatif():
    try:
        data = _read_document()
    except RoundValidationError:  # a JSON value that is not an object
        raise ScenarioError([FieldIssue(ROOT, "the request must be a JSON object with \"base\" and \"scenarios\"")],
                            INVALID) from None
    cfg = current_app.config
    limits = Limits(max_pairs=int(cfg["SYNC_MAX_PAIRS"]), max_solve_s=float(cfg["SYNC_BUDGET_S"]),
                    workers=int(cfg["SOLVER_WORKERS"]), budget_s=float(cfg["WHATIF_BUDGET_S"]),
                    max_total_pairs=int(cfg["WHATIF_MAX_PAIRS"]))
    return compare_request(data, limits)
