"""Turn untrusted input into a :class:`~matcher.model.Round`, or say every reason why not.

``parse_round(data)`` accepts bytes, text or an already-decoded object. It
checks the per-field rules (via the pydantic models) *and* the rules across
items (unique ids, references, locks), gathers every problem with its field
path, and raises one :class:`~matcher.errors.RoundValidationError` listing them
all. Nothing downstream ever sees an invalid round.
"""
from __future__ import annotations

from functools import partial
from typing import Any

from pydantic import ValidationError

from . import bulkcheck
from .columns import RoundColumns
from .crossref import cross_reference_problems
from .errors import DocumentError, FieldIssue, RoundValidationError
from .jsondoc import ROOT, decode, decode_fast, decode_json, path_of
from .model import HHMM_MESSAGES, Round
from .parallel import local_pool_allowed

__all__ = ["ROOT", "cross_reference_problems", "decode_json", "issues_of", "message_of", "parse_columns", "parse_round",
           "path_of", "validate_round"]


def issues_of(exc: ValidationError, under: tuple = ()) -> list[FieldIssue]:
    """Every error of a pydantic ``ValidationError`` as a field issue, its path under ``under``."""
    return [FieldIssue(path_of((*under, *e["loc"])), message_of(e)) for e in exc.errors(include_url=False)]


def message_of(err: dict) -> str:
    """The plain message of one pydantic error (``must be >= 1``, ``is required`` …)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    loc = err.get("loc", ())
    if loc and loc[-1] == "[key]":
        if len(loc) >= 2 and loc[-3:-2] == ("priority_weights",):
            return f'unknown priority "{loc[-2]}": keys are "1" to "5"'
        return f"invalid key {loc[-2]!r}"
    simple = {
        "missing": "is required",
        "extra_forbidden": "unknown field",
        "int_type": "must be an integer",
        "int_from_float": "must be an integer",
        "int_parsing": "must be an integer",
        "float_type": "must be a number",
        "float_parsing": "must be a number",
        "finite_number": "must be a finite number",
        "string_type": "must be a string",
        "bool_type": "must be true or false",
        "list_type": "must be a list",
        "tuple_type": "must be a list",
        "model_type": "must be an object",
        "model_attributes_type": "must be an object",
        "dict_type": "must be an object",
    }
    if kind in simple:
        return simple[kind]
    if kind == "greater_than_equal":
        return f"must be >= {ctx['ge']}"
    if kind == "greater_than":
        return f"must be > {ctx['gt']}"
    if kind == "less_than_equal":
        return f"must be <= {ctx['le']}"
    if kind == "less_than":
        return f"must be < {ctx['lt']}"
    if kind == "string_pattern_mismatch" and loc and loc[-1] in HHMM_MESSAGES:
        return HHMM_MESSAGES[loc[-1]]
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} item(s)"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return err["msg"]


def parse_round(data: Any, source: str = "") -> Round:
    """Validate a round document (bytes, str or decoded object) into a :class:`Round`.

    Text is decoded by orjson first. orjson reads integers beyond 64 bits as
    floats and keeps the last of two equal keys, so a document that fails
    validation, or may hide a duplicate key, is decoded again by the standard
    library and validated again: the problems reported are always those of the
    standard decoding, duplicate keys among them.
    """
    if not isinstance(data, (bytes, bytearray, memoryview, str)):
        return _validate(data)
    return _parse_text(data, decode_fast(data), source)


def _parse_text(data: Any, fast: Any, source: str) -> Round:
    """:func:`parse_round` of a text whose orjson decoding (or ``None``) is ``fast``."""
    if fast is not None:
        try:
            return _validate(fast)
        except RoundValidationError:
            pass  # report what the standard decoding finds
    value, duplicates = decode(data, source)
    return _validate(value, duplicates)


def parse_columns(data: Any, source: str = "") -> RoundColumns:
    """Validate a round document into its :class:`~matcher.columns.RoundColumns`.

    A big text document (:func:`matcher.bulkcheck.is_big`) is read column by
    column, with no object per item (from ``CHILD_MIN_BYTES`` in a forked child), when :func:`matcher.bulkcheck.columns_if_valid`
    finds it certainly valid; its :class:`Round` is then built from the text
    only when something asks for it. Any other input goes through
    :func:`parse_round`, whose problems are the ones raised.
    """
    if isinstance(data, RoundColumns):
        return data
    if not isinstance(data, (bytes, bytearray, memoryview, str)):
        return RoundColumns.of_round(data if isinstance(data, Round) else _validate(data))
    text = data if isinstance(data, (bytes, str)) else bytes(data)
    if len(text) >= bulkcheck.CHILD_MIN_BYTES and local_pool_allowed():
        cols = bulkcheck.columns_in_child(text)
        if cols is not None:
            cols.build = partial(parse_round, text, source)
            return cols
    fast = decode_fast(text)
    if fast is not None and bulkcheck.is_big(fast):
        cols = bulkcheck.columns_if_valid(fast)
        if cols is not None:
            cols.build = partial(parse_round, text, source)
            return cols
    return RoundColumns.of_round(_parse_text(text, fast, source))


def _validate(data: Any, duplicates: list[FieldIssue] = ()) -> Round:
    if not isinstance(data, dict):
        raise RoundValidationError([*duplicates, FieldIssue(ROOT, "a round document must be a JSON object")])
    problems: list[FieldIssue] = list(duplicates)
    model: Round | None = None
    try:
        model = Round.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # a list whose items failed is not "too short": report the items only
        failed_lists = {tuple(e["loc"][:-1]) for e in errors if e["loc"] and isinstance(e["loc"][-1], int)}
        for err in errors:
            if err["type"] == "too_short" and tuple(err["loc"]) in failed_lists:
                continue
            problems.append(FieldIssue(path_of(err["loc"]), message_of(err)))
    except RecursionError:
        problems.append(FieldIssue(ROOT, "nested too deeply"))
    problems.extend(cross_reference_problems(data))
    if problems:
        raise RoundValidationError(_unique_sorted(problems))
    assert model is not None
    return model


def validate_round(data: Any) -> list[FieldIssue]:
    """Every problem of a document, or ``[]`` when it is a valid round."""
    try:
        parse_round(data)
    except (RoundValidationError, DocumentError) as exc:
        return exc.problems
    return []


def _unique_sorted(problems: list[FieldIssue]) -> list[FieldIssue]:
    seen: set[FieldIssue] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
