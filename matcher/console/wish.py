"""A new micro-wish against a solved round: the ranked best fits, and applying one.

The console goes the API's own way (``matcher.web.recommend``): :func:`ask` answers
with the round's recommend state from the same per-process cache as
``POST /api/v1/rounds/{id}/recommend`` (409 unless the round is optimal), and
:func:`apply` checks the chosen option again with the same engine, then adds the
need to the committee's lists (``need.created``) and records the choice
(``recommend.applied``, the same record) in one transaction with
:func:`matcher.store.recommend.apply_choice`, as ``POST .../recommend/apply``
does; the solved round is never changed.
"""
from __future__ import annotations

from ..recommend import recommend
from ..store import recommend as store
from ..store.db import Database
from ..web.recommend import Ask, choice_record, chosen_option, loaded_state
from .roundview import Stored

K = 5


def ask(stored: Stored, need: dict, k: int = K) -> dict:
    """The recommend answer for ``need`` in the stored round (409 unless it is optimal)."""
    entry = loaded_state(store.RoundStamp(stored.row.id, stored.row.status))
    with entry.lock:
        return recommend(entry.state, need, k, "need")


def apply(db: Database, committee_id: str, actor: str, stored: Stored, need: dict, rank: int) -> tuple[dict, dict]:
    """Check option ``rank`` again for ``need`` and apply it (see the module docstring)."""
    entry = loaded_state(store.RoundStamp(stored.row.id, stored.row.status))
    with entry.lock:
        option = chosen_option(entry.state, Ask("need", need, K, rank))
    return store.apply_choice(db, committee_id, actor, "need", need, choice_record(stored.row.id, "need", option))
