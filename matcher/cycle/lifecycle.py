"""Project statuses and the lifecycle table of ``CYCLE.md``.

Every project of a solved round starts ``proposed``; :data:`TRANSITIONS` lists
the only allowed moves, each with its *kind*: ``decision`` (the committee),
``service`` (the provider started it, or the outcome was recorded; a
cancellation is the committee's but happens on an approved project, so it is
``service`` too) and ``feedback`` (the resident's answer on a ``done`` project).

:func:`plan_batch` checks a batch of requested transitions against the current
statuses, all or nothing, and returns the planned :class:`Change` list. It
raises, in this order (each naming *every* offending item with its path):

1. :class:`~matcher.errors.InputError` (422) for requests that are malformed on
   their own: missing/empty ``project_id``, unknown ``to``, a missing ``reason``
   on ``rejected``/``failed``, a ``satisfaction`` outside 1..5 or on a
   transition that cannot carry it, ``resolved`` contradicting ``to``;
2. :class:`~matcher.errors.NotFound` (404) for project ids absent from the
   current statuses (another committee's projects look exactly as absent);
3. :class:`~matcher.errors.ConflictError` (409) for a project named twice in
   the batch and for transitions not in the table (or of another kind than
   the endpoint accepts).

A request may give ``resolved`` (feedback) instead of ``to``: ``true`` means
``confirmed``, ``false`` means ``reopened``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConflictError, FieldIssue, InputError, NotFound

PROPOSED, HELD, APPROVED, REJECTED = "proposed", "held", "approved", "rejected"
IN_SERVICE, CANCELLED, DONE, FAILED = "in_service", "cancelled", "done", "failed"
CONFIRMED, REOPENED = "confirmed", "reopened"
STATUSES: tuple[str, ...] = (PROPOSED, HELD, APPROVED, REJECTED, IN_SERVICE, CANCELLED,
                             DONE, FAILED, CONFIRMED, REOPENED)

DECISION, SERVICE, FEEDBACK = "decision", "service", "feedback"
TRANSITIONS: dict[tuple[str, str], str] = {
    (PROPOSED, APPROVED): DECISION, (PROPOSED, REJECTED): DECISION, (PROPOSED, HELD): DECISION,
    (HELD, APPROVED): DECISION, (HELD, REJECTED): DECISION,
    (APPROVED, IN_SERVICE): SERVICE, (APPROVED, CANCELLED): SERVICE,
    (IN_SERVICE, DONE): SERVICE, (IN_SERVICE, FAILED): SERVICE,
    (DONE, CONFIRMED): FEEDBACK, (DONE, REOPENED): FEEDBACK,
}
TERMINAL: frozenset[str] = frozenset(s for s in STATUSES if not any(f == s for f, _ in TRANSITIONS))
REASON_REQUIRED: frozenset[str] = frozenset({REJECTED, FAILED})
SATISFACTION_ALLOWED: frozenset[str] = frozenset({DONE, CONFIRMED, REOPENED})
# statuses whose units are committed to the need (they reduce what a new round still serves)
COMMITTED: frozenset[str] = frozenset({APPROVED, IN_SERVICE, DONE, CONFIRMED, REOPENED})
# statuses that hold a lock in the next round
LOCKING: frozenset[str] = frozenset({APPROVED, IN_SERVICE})
# statuses a provider's project counts with towards its yearly minimum
COUNTS_FOR_YEAR: frozenset[str] = frozenset({APPROVED, IN_SERVICE, DONE, CONFIRMED, REOPENED})
MAX_REASON, MAX_NOTE = 200, 2000
_KNOWN_KEYS = frozenset({"project_id", "to", "resolved", "reason", "note", "satisfaction", "comment"})


@dataclass(frozen=True)
class Change:
    """One planned transition: ``before`` -> ``after`` with what it carries."""

    project_id: str
    before: str
    after: str
    reason: str | None = None
    note: str | None = None
    satisfaction: int | None = None
    comment: str | None = None

    def payload(self) -> tuple[dict, dict]:
        """``(before, after)`` of its ``project.transition`` audit event (see :mod:`.figures`)."""
        after: dict[str, Any] = {"status": self.after}
        for key in ("reason", "satisfaction", "comment"):
            if getattr(self, key) is not None:
                after[key] = getattr(self, key)
        return {"status": self.before}, after


def allowed(before: str, after: str) -> bool:
    """Whether ``before -> after`` is in the table."""
    return (before, after) in TRANSITIONS


def targets(before: str) -> tuple[str, ...]:
    """The statuses a project in ``before`` may move to, in table order."""
    return tuple(t for f, t in TRANSITIONS if f == before)


def _text(value: Any, path: str, limit: int, problems: list[FieldIssue]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(FieldIssue(path, "must be a non-empty string"))
    elif len(value) > limit:
        problems.append(FieldIssue(path, f"must be at most {limit} characters"))
    return value


def _target(item: Mapping, path: str, problems: list[FieldIssue]) -> str | None:
    to, resolved = item.get("to"), item.get("resolved")
    if resolved is not None and not isinstance(resolved, bool):
        problems.append(FieldIssue(f"{path}.resolved", "must be true or false"))
        return None
    if resolved is not None:
        implied = CONFIRMED if resolved else REOPENED
        if to is not None and to != implied:
            problems.append(FieldIssue(f"{path}.to", f"resolved={str(resolved).lower()} means {implied}, not {to}"))
        return implied
    if to is None:
        problems.append(FieldIssue(f"{path}.to", "is required (or resolved, for feedback)"))
    elif to not in STATUSES or to == PROPOSED:
        problems.append(FieldIssue(f"{path}.to", f"unknown status {to!r}; one of {', '.join(STATUSES[1:])}"))
    else:
        return to
    return None


def _satisfaction(item: Mapping, to: str | None, path: str, problems: list[FieldIssue]) -> None:
    value = item.get("satisfaction")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5):
        problems.append(FieldIssue(f"{path}.satisfaction", "must be an integer from 1 to 5"))
    for key in ("satisfaction", "comment"):
        if item.get(key) is not None and to is not None and to not in SATISFACTION_ALLOWED:
            problems.append(FieldIssue(f"{path}.{key}", f"only done, confirmed or reopened carry a {key}"))


def parse_request(item: Any, path: str, problems: list[FieldIssue]) -> Change | None:
    """One request of a batch as a :class:`Change` with ``before`` unknown (``""``),
    or ``None`` with its problems added."""
    if not isinstance(item, Mapping):
        problems.append(FieldIssue(path, "must be an object"))
        return None
    before = len(problems)
    problems.extend(FieldIssue(f"{path}.{k}", "unknown field") for k in item if k not in _KNOWN_KEYS)
    pid = item.get("project_id")
    if not isinstance(pid, str) or not pid:
        problems.append(FieldIssue(f"{path}.project_id", "is required (a non-empty string)"))
    to = _target(item, path, problems)
    reason = _text(item.get("reason"), f"{path}.reason", MAX_REASON, problems)
    if to in REASON_REQUIRED and reason is None:
        problems.append(FieldIssue(f"{path}.reason", f"is required for {to}"))
    note = _text(item.get("note"), f"{path}.note", MAX_NOTE, problems)
    comment = _text(item.get("comment"), f"{path}.comment", MAX_NOTE, problems)
    _satisfaction(item, to, path, problems)
    if len(problems) > before:
        return None
    return Change(pid, "", to, reason, note, item.get("satisfaction"), comment)


def plan_batch(requests: Sequence[Any], statuses: Mapping[str, str], *, kind: str | None = None,
               path: str = "decisions") -> list[Change]:
    """Check a batch against ``statuses`` (project id -> current status), all or nothing.

    ``kind`` (``decision``, ``service``, ``feedback``) restricts the batch to one
    kind of transition (an endpoint's own); ``None`` accepts all. Returns the
    changes in request order; raises as the module docstring says.
    """
    problems: list[FieldIssue] = []
    parsed = [parse_request(item, f"{path}[{i}]", problems) for i, item in enumerate(requests)]
    if problems:
        raise InputError(problems)
    missing = [f"{path}[{i}].project_id: no project {c.project_id}" for i, c in enumerate(parsed)
               if c.project_id not in statuses]
    if missing:
        raise NotFound("; ".join(missing))
    first: dict[str, int] = {}
    for i, change in enumerate(parsed):
        item_path, now = f"{path}[{i}]", statuses[change.project_id]
        if change.project_id in first:
            problems.append(FieldIssue(f"{item_path}.project_id", f"project {change.project_id} is already "
                                       f"in this batch at {path}[{first[change.project_id]}]"))
            continue
        first[change.project_id] = i
        problems.extend(_transition_problems(change, now, kind, item_path))
    if problems:
        raise ConflictError(problems)
    return [Change(c.project_id, statuses[c.project_id], c.after, c.reason, c.note, c.satisfaction, c.comment)
            for c in parsed]


def _transition_problems(change: Change, now: str, kind: str | None, path: str) -> list[FieldIssue]:
    head = f"project {change.project_id} is {now}; {now} -> {change.after}"
    if not allowed(now, change.after):
        nexts = targets(now)
        hint = f" (from {now}: {', '.join(nexts)})" if nexts else f" ({now} is terminal)"
        return [FieldIssue(f"{path}.to", f"{head} is not allowed{hint}")]
    if kind is not None and TRANSITIONS[(now, change.after)] != kind:
        return [FieldIssue(f"{path}.to", f"{head} is a {TRANSITIONS[(now, change.after)]}, not a {kind}")]
    return []
