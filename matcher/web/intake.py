"""One path from ``POST /rounds`` to a stored round.

1. The body is read once and kept as received; its one canonical digest
   (:func:`matcher.store.repo.body_digest`) serves the Idempotency-Key check
   and is stored with it.
2. The round is validated (422 and nothing stored when it is invalid).
3. :func:`queue_reason` decides inline or queued from the document alone,
   before any candidate pair exists: ``Prefer: respond-async``, the body size
   (``SYNC_MAX_BODY_KB``) and the possible pairs, i.e. the same-category
   resource x need combinations plus the locks (an upper bound of the
   candidate pairs, ``SYNC_MAX_PAIRS``). A queued round's pairs are computed
   once, by the worker.
4. An inline round is solved within ``SYNC_BUDGET_S``; one that runs over is
   queued after all (the worker starts it again).
5. The round is written in one transaction at the very end, after
   everything that can fail: a request that dies before (a crash, a kill,
   a refused solver) stores nothing. The answer is built from the row and the
   document in hand; nothing is read back. A queued round wakes the worker
   threads of this process (``matcher serve``) at once.
"""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Optional

from flask import current_app

from ..errors import FieldIssue, InputError, InternalError
from ..model import Round
from ..store import cycle, repo
from ..validation import parse_round
from ..worker import notify_queued
from .helpers import JsonBody, current_actor, db


def possible_pairs(rnd: Round) -> int:
    """Same-category resource x need combinations, plus the locks: no round has more candidate pairs."""
    resources = Counter(r.category for r in rnd.resources)
    needs = Counter(n.category for n in rnd.needs)
    return sum(k * resources.get(c, 0) for c, k in needs.items()) + len(rnd.locked)


def queue_reason(rnd: Round, body_size: int, prefer_async: bool) -> Optional[str]:
    """Why the round goes to the queue, or None to solve it in the request."""
    cfg = current_app.config
    if prefer_async:
        return "Prefer: respond-async"
    if body_size > cfg["SYNC_MAX_BODY_KB"] * 1024:
        return f"body of {body_size:,} bytes over SYNC_MAX_BODY_KB"
    pairs = possible_pairs(rnd)
    if pairs > cfg["SYNC_MAX_PAIRS"]:
        return f"{pairs:,} possible pairs over SYNC_MAX_PAIRS"
    return None


def solve_inline(rnd: Round) -> tuple[Optional[dict], Optional[str]]:
    """Solve within the request budget: (document, None), (None, failure) or (None, None) = queue it."""
    from ..service import prepare, solve_prepared

    cfg = current_app.config
    deadline = time.monotonic() + cfg["SYNC_BUDGET_S"]
    over = threading.Event()

    def should_stop() -> bool:
        if time.monotonic() > deadline:
            over.set()
        return over.is_set()

    try:
        result = solve_prepared(prepare(rnd), workers=cfg["SOLVER_WORKERS"], should_stop=should_stop)
    except InternalError as exc:
        current_app.logger.error("inline solve failed: %s", exc)
        return None, f"internal error: {exc}"
    return (None, None) if over.is_set() else (result.document, None)


def submit(committee_id: str, body: JsonBody, key: Optional[str],
           prefer_async: bool, from_lists: bool = False) -> tuple[repo.RoundRow, Optional[dict], bool]:
    """Validate, decide, solve inline or not, store: (row, output document or None, created)."""

    rnd = parse_round(body.data)  # InputError -> 400/422, nothing stored
    new = repo.NewRound(committee_id, body.text, repo.body_digest(body.data), key, rnd.name,
                        actor=current_actor(), from_lists=from_lists)
    old = repo.find_idempotent(db(), new)  # IdempotencyConflict -> 422
    if old is not None:
        return old, None, False
    document = failure = None
    if queue_reason(rnd, body.size, prefer_async) is None:
        document, failure = solve_inline(rnd)
    del rnd  # a big round's objects go before the write, not after
    row, created = repo.create_round(db(), new, document, failure)
    if created and row.status == "queued":
        notify_queued()
    return row, (document if created else None), created


FROM_LISTS_KEYS = {"from_lists", "params", "name"}


def from_lists_body(committee_id: str, body: JsonBody) -> JsonBody:
    """The round document built from the committee's lists and history, as a body to submit."""
    odd = sorted(set(body.data) - FROM_LISTS_KEYS)
    if odd:
        raise InputError([FieldIssue(k, "unknown field (with from_lists: params, name)") for k in odd])
    doc = cycle.build_document(db(), committee_id, body.data.get("params"), body.data.get("name"))
    text = json.dumps(doc, ensure_ascii=False)
    return JsonBody(text, doc, len(text.encode("utf-8")))
