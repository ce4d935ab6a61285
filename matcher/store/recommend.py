"""What recommend reads and writes in the database.

- :func:`round_stamp`: a round's status, without its documents (read by a call whose round's state is not
  loaded yet: on SQLite a column stored after the documents would cost a walk over their overflow pages,
  milliseconds on a district round);
- :func:`round_documents`: its input and output documents as stored, and the output's digest (read once
  per state built);
- :func:`apply_choice`: an applied option, i.e. the new need (or resource) in the committee's lists
  with its ``KIND.created`` event and the ``recommend.applied`` event, in one transaction.
  The solved round is never written.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from . import audit, lists
from .db import Database
from .models import RoundRow

APPLIED = "recommend.applied"


@dataclass(frozen=True)
class RoundStamp:
    """A stored round as recommend first sees it."""

    id: str
    status: str


def round_stamp(db: Database, committee_id: str, round_id: str) -> Optional[RoundStamp]:
    """Status of the committee's round; None when it has no such round."""
    with db.read() as s:
        status = s.scalar(select(RoundRow.status).where(RoundRow.id == round_id,
                                                        RoundRow.committee_id == committee_id))
    return None if status is None else RoundStamp(round_id, status)


def round_documents(db: Database, committee_id: str, round_id: str) -> tuple[str, Optional[str], str]:
    """(input text, output text, sha256 of the output text) of the committee's round."""
    with db.read() as s:
        row = s.execute(select(RoundRow.input_json, RoundRow.output_json)
                        .where(RoundRow.id == round_id, RoundRow.committee_id == committee_id)).one()
    digest = hashlib.sha256(row.output_json.encode("utf-8")).hexdigest() if row.output_json else ""
    return row.input_json, row.output_json, digest


def apply_choice(db: Database, committee_id: str, actor: str, kind: str, data: dict, choice: dict,
                 note: Optional[str] = None) -> tuple[dict, dict]:
    """Add ``data`` to the ``kind`` list (validated as any new entry) and record ``choice``:
    (the new entry, the ``recommend.applied`` event). Either both are stored or neither."""

    def run(s) -> tuple[dict, dict]:
        entry = lists.insert(s, committee_id, actor, kind, data)
        event = audit.append(s, committee_id, actor, APPLIED, entry["id"], None, choice, note)
        return entry, event.to_dict()

    return db.write(run)
