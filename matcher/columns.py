"""A validated round as columns: one list per field of its providers, resources and needs.

Everything the solve path reads of a round's items (the tables, the
verifier, the round's digest) reads these columns, never one object per
item. They come from a :class:`~matcher.model.Round` (:meth:`RoundColumns.of_round`)
or, for big documents, straight from the decoded JSON
(:mod:`matcher.bulkcheck`), in which case the :class:`Round` itself is built
only when something asks for it (:attr:`RoundColumns.round`).

A column holds the values the validated model holds, defaults filled in,
with two plain forms: tags are tuples of strings and windows are ``None`` or
a tuple of ``(days, start, end)`` triples (``days`` a tuple of day names).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Optional

from .digest import canonical_digest, canonical_digest_parts
from .model import Need, Provider, Resource, Round

KINDS: dict[str, type] = {"providers": Provider, "resources": Resource, "needs": Need}
FIELDS: dict[str, tuple[str, ...]] = {kind: tuple(model.model_fields) for kind, model in KINDS.items()}
Columns = dict[str, list]


def raw_windows(windows) -> Optional[tuple]:
    """``Window`` models -> ``(days, start, end)`` triples (``None`` stays ``None``)."""
    return None if windows is None else tuple((tuple(w.days), w.start, w.end) for w in windows)


def _columns_of(items, kind: str) -> Columns:
    names = FIELDS[kind]
    rows = [tuple(getattr(item, f) for f in names) for item in items]
    cols = {f: list(col) for f, col in zip(names, zip(*rows))} if rows else {f: [] for f in names}
    if "windows" in cols:
        cols["windows"] = [raw_windows(w) for w in cols["windows"]]
    return cols


@dataclass(eq=False)
class RoundColumns:
    """The columns of one validated round, and the round itself (built on first use when not given)."""

    shell: Round  # the round with empty providers, resources and needs: name, params, communities, decisions
    providers: Columns
    resources: Columns
    needs: Columns
    build: Optional[Callable[[], Round]] = None  # builds the full round (when not given)
    _round: Optional[Round] = field(default=None, repr=False)
    _digest: Optional[str] = field(default=None, repr=False)

    @classmethod
    def of_round(cls, rnd: Round) -> RoundColumns:
        shell = rnd.model_copy(update={"providers": (), "resources": (), "needs": ()})
        return cls(shell, _columns_of(rnd.providers, "providers"), _columns_of(rnd.resources, "resources"),
                   _columns_of(rnd.needs, "needs"), _round=rnd)

    @property
    def round(self) -> Round:
        """The validated :class:`Round` (built on first use for a round read column by column)."""
        if self._round is None:
            assert self.build is not None
            self._round = self.build()
        return self._round

    @property
    def params(self):
        return self.shell.params

    @property
    def name(self) -> Optional[str]:
        return self.shell.name

    def count(self, kind: str) -> int:
        return len(getattr(self, kind)["id"])

    def digest(self) -> str:
        """:func:`matcher.results.round_digest` of the round, from the columns (computed once:
        the round never changes)."""
        if self._digest is None:
            if self._round is not None and self.build is None:
                self._digest = canonical_digest(self._round.model_dump(mode="json"))
            else:
                top = self.shell.model_dump(mode="json")
                self._digest = canonical_digest_parts(top, {kind: (lambda k=kind: self._dumped_chunks(k)) for kind in KINDS})
        return self._digest

    def _dumped_chunks(self, kind: str, chunk: int = 50_000) -> Iterator[list[dict[str, Any]]]:
        """The items of ``kind`` as ``model_dump(mode="json")`` would give them, a chunk at a time."""
        cols = getattr(self, kind)
        names = FIELDS[kind]
        windows = cols.get("windows")
        if windows is not None:  # few distinct window lists: one list of dicts each
            dumped = {raw: None if raw is None else [{"days": list(d), "start": s, "end": e} for d, s, e in raw]
                      for raw in dict.fromkeys(windows)}
        n = len(cols["id"])
        for lo in range(0, n, chunk):
            part = [cols[f][lo: lo + chunk] for f in names]
            if windows is not None:
                k = names.index("windows")
                part[k] = list(map(dumped.__getitem__, part[k]))
            yield list(map(dict, map(zip, repeat(names), zip(*part))))
