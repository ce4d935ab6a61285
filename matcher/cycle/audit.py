"""The append-only, hash-chained audit log of ``CYCLE.md``.

An event is ``{seq, at, actor, committee, kind, subject, before, after, note,
prev_hash, hash}``. ``seq`` counts 1, 2, 3 ... within one chain; ``at`` is an
ISO 8601 UTC string with microseconds and ``Z`` (``2026-12-01T21:50:55.000000Z``,
see :func:`timestamp`); ``before``/``after`` are any JSON values (null when
absent); ``prev_hash`` is the previous event's ``hash``, :data:`GENESIS` (64
zeros) for the first.

**Canonical JSON** of an event (:func:`canonical`): the object of its ten fields
other than ``hash``, serialised by ``json.dumps(obj, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False)`` (keys sorted by
code point at every depth, no whitespace, non-ASCII characters written as
themselves, integers in decimal, floats in Python's shortest round-trip form,
no NaN/Infinity) and encoded as UTF-8. Then::

    hash = sha256(prev_hash.encode("utf-8") + canonical(event)).hexdigest()   # 64 lowercase hex digits

A store must give back exactly the values it was given (before/after as JSON
text or a JSON type that keeps ``4.0`` apart from ``4``); any edit of a stored
value changes the canonical bytes and is found by :func:`verify_chain`. Removing
the *last* events leaves a valid shorter chain: pass the head hash kept
elsewhere (``head_hash``) to detect that too.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from ..errors import FieldIssue, InputError

GENESIS = "0" * 64
FIELDS: tuple[str, ...] = ("seq", "at", "actor", "committee", "kind", "subject", "before", "after", "note",
                           "prev_hash")


@dataclass(frozen=True)
class Event:
    """One stored event of the log."""

    seq: int
    at: str
    actor: str
    committee: str
    kind: str
    subject: str
    before: Any
    after: Any
    note: str | None
    prev_hash: str
    hash: str

    def to_dict(self) -> dict:
        return asdict(self)


class Head(NamedTuple):
    """What the next event needs of the chain's last one."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Break:
    """Where a chain stops matching: the event's ``seq`` (as stored), its position and why."""

    index: int
    seq: Any
    reason: str

    def __str__(self) -> str:
        return f"event {self.seq} (position {self.index}): {self.reason}"


def timestamp(at: datetime) -> str:
    """An aware datetime as the log's ISO 8601 UTC string, e.g. ``2026-12-01T21:50:55.000000Z``."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InputError([FieldIssue("at", "must be a timezone-aware datetime")])
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """The datetime of a log timestamp (inverse of :func:`timestamp`)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def canonical(body: Mapping[str, Any]) -> bytes:
    """The canonical JSON bytes of an event's fields other than ``hash`` (module docstring)."""
    content = {key: body[key] for key in FIELDS}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def event_hash(body: Mapping[str, Any]) -> str:
    """``sha256(prev_hash + canonical JSON)`` as 64 lowercase hex digits."""
    return hashlib.sha256(str(body["prev_hash"]).encode("utf-8") + canonical(body)).hexdigest()


def next_event(head: Event | Head | None, *, at: datetime, actor: str, committee: str, kind: str, subject: str,
               before: Any = None, after: Any = None, note: str | None = None) -> Event:
    """The event that follows ``head`` (the last event, or its :class:`Head`; ``None``: the first of the chain)."""
    try:
        json.dumps([before, after], allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError([FieldIssue("before/after", f"must be JSON values: {exc}")]) from exc
    body = {"seq": 1 if head is None else head.seq + 1, "at": timestamp(at), "actor": actor,
            "committee": committee, "kind": kind, "subject": subject, "before": before, "after": after,
            "note": note, "prev_hash": GENESIS if head is None else head.hash}
    return Event(**body, hash=event_hash(body))


def _event_problem(body: Mapping[str, Any], seq: int, prev_hash: str) -> str | None:
    keys = set(body)
    if keys != set(FIELDS) | {"hash"}:
        odd = sorted(keys ^ (set(FIELDS) | {"hash"}))
        return f"fields differ from the event's: {', '.join(odd)}"
    if type(body["seq"]) is not int or body["seq"] != seq:
        return f"seq is {body['seq']!r}, expected {seq} (an event was removed, added or reordered)"
    if body["prev_hash"] != prev_hash:
        return "prev_hash does not match the previous event's hash"
    try:
        recomputed = event_hash(body)
    except (TypeError, ValueError) as exc:
        return f"cannot be serialised: {exc}"
    if body["hash"] != recomputed:
        return "hash does not match its content (a stored field was changed)"
    return None


def verify_chain(events: Sequence[Event | Mapping[str, Any]], head_hash: str | None = None
                 ) -> Break | None:
    """The first event that does not match (with why), or ``None`` when the chain holds.

    Events are :class:`Event` or plain mappings as stored, in stored order
    (by ``seq``). With ``head_hash`` the last event's hash must equal it.
    """
    prev_hash = GENESIS
    for index, event in enumerate(events):
        body = event.to_dict() if isinstance(event, Event) else dict(event)
        problem = _event_problem(body, index + 1, prev_hash)
        if problem is not None:
            return Break(index, body.get("seq"), problem)
        prev_hash = body["hash"]
    if head_hash is not None and prev_hash != head_hash:
        last = len(events)
        return Break(last, last + 1, "the chain ends before the expected head (events were removed at the end)")
    return None
