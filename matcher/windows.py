"""Weekly time windows as bitsets over the 10,080 minutes of a week.

A window ``{days, start, end}`` covers, for each day in ``days``, the minutes
``[start, end)`` of that day, wrapping past midnight into the next day when
``end <= start`` (so ``start == end`` is 24 hours). Minute 0 is Monday 00:00;
Sunday wraps into Monday.

Entities share few distinct window lists, so callers deduplicate them into
*patterns* (:func:`matcher.bitsets.dedup`) and test coverage once per distinct
(need pattern, resource pattern) combination
(:func:`matcher.bitsets.subset_by_pattern`).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .model import DAYS, Window

WEEK_MINUTES = 7 * 1440
_WORDS = (WEEK_MINUTES + 63) // 64  # 158 uint64 words per pattern
_DAY_INDEX = {d: i for i, d in enumerate(DAYS)}

WindowsKey = tuple[tuple[tuple[str, ...], str, str], ...] | None


def hhmm(text: str) -> int:
    """``"07:30"`` -> 450 minutes."""
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def window_span(start: str, end: str) -> tuple[int, int]:
    """Start minute within the day and length in minutes (1..1440)."""
    s, e = hhmm(start), hhmm(end)
    return s, (e - s if e > s else e + 1440 - s)


def key_of(windows: Sequence[Window] | None) -> WindowsKey:
    """A hashable, order-insensitive key for a window list (``None`` = always)."""
    if windows is None:
        return None
    return key_of_raw(tuple((w.days, w.start, w.end) for w in windows))


def key_of_raw(raw: Sequence[tuple[Sequence[str], str, str]] | None) -> WindowsKey:
    """:func:`key_of` of ``(days, start, end)`` triples."""
    if raw is None:
        return None
    return tuple(sorted((tuple(sorted(set(days), key=_DAY_INDEX.__getitem__)), start, end) for days, start, end in raw))


def week_mask(key: WindowsKey) -> np.ndarray:
    """Boolean array over the week's minutes; ``None`` means every minute."""
    mask = np.zeros(WEEK_MINUTES, dtype=bool)
    if key is None:
        mask[:] = True
        return mask
    for days, start, end in key:
        s, length = window_span(start, end)
        for d in days:
            first = _DAY_INDEX[d] * 1440 + s
            last = first + length
            if last <= WEEK_MINUTES:
                mask[first:last] = True
            else:  # Sunday night wrapping into Monday
                mask[first:] = True
                mask[: last - WEEK_MINUTES] = True
    return mask


def packed(mask: np.ndarray) -> np.ndarray:
    """Bool week mask -> ``_WORDS`` uint64 words."""
    raw = np.packbits(mask)
    buf = np.zeros(_WORDS * 8, dtype=np.uint8)
    buf[: raw.size] = raw
    return buf.view(np.uint64)


def packed_patterns(patterns: Sequence[WindowsKey]) -> np.ndarray:
    """Matrix (len(patterns), _WORDS) of packed masks."""
    out = np.zeros((len(patterns), _WORDS), dtype=np.uint64)
    for i, key in enumerate(patterns):
        out[i] = packed(week_mask(key))
    return out
