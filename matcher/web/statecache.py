"""A bounded per-process LRU cache of loaded recommend states, one per stored round.

Building a :class:`~matcher.recommend.RecommendState` costs a prepare of the
round and one Bellman-Ford (seconds to a minute on a district round); a call on
a loaded state costs milliseconds. The key is the round id: a round's output is
written once, in the transaction that gives it its final status, and never
again, so a round that is ``optimal`` has one output for good. Each entry
records the sha256 of the output text it was built from (``digest``) and the
committee that owns the round (``owner``).

- Concurrent first calls on one round build its state once: the others wait
  for that build (a per-key gate), calls on other rounds do not.
- A state's residual network is changed during a call and undone after it
  (:mod:`matcher.recommend.residual`), so calls on one state take its
  ``lock`` in turn; calls on different rounds run side by side.
- The least recently used entry goes when more than ``size`` are held.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Entry:
    """A loaded state, the digest of the stored output it was built from, and the lock its calls take in turn."""

    state: Any
    digest: str = ""
    owner: str = ""  # the committee whose round it is
    lock: threading.Lock = field(default_factory=threading.Lock)


class StateCache:
    """At most ``size`` loaded states, least recently used out first."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError("a state cache holds at least one state")
        self.size = size
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._gates: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def held(self) -> list:
        """The keys held, least recently used first."""
        with self._lock:
            return list(self._entries)

    def _hit(self, key: Hashable) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def peek(self, key: Hashable) -> Entry | None:
        """The entry of ``key`` if it is held (counts as a use), else None; never builds."""
        with self._lock:
            return self._hit(key)

    def get(self, key: Hashable, build: Callable[[], Entry]) -> Entry:
        """The entry of ``key``, made by ``build()`` on a miss (once, however many callers wait)."""
        with self._lock:
            entry = self._hit(key)
            if entry is not None:
                return entry
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                entry = self._hit(key)
            if entry is not None:  # built by the caller this one waited for
                return entry
            try:
                entry = build()
                with self._lock:
                    self._entries[key] = entry
                    while len(self._entries) > self.size:
                        self._entries.popitem(last=False)
            finally:
                with self._lock:
                    self._gates.pop(key, None)
        return entry
