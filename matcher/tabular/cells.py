"""Reading and writing single cells: numbers, yes/no, tag lists, service windows.

Every reader takes the raw cell value (``str`` from CSV; ``str``, ``int``,
``float``, ``bool``, ``datetime`` from XLSX) and returns the round-document
value or raises :class:`CellError` with a message for the user.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from typing import Any, Optional

from ..errors import CellError
from ..model import DAYS

# A text a spreadsheet could run as a formula starts with one of these (the OWASP CSV-injection
# list, ``;`` and the full-width forms Excel also accepts), possibly after invisible characters.
FORMULA_CHARS = frozenset("=+-@;\t\r＝＋－＠")
INVISIBLE_CHARS = ("\n \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                   "\u202f\u205f\u3000\u180e\u200b\u200c\u200d\u2060\ufeff")  # spaces, zero-width, BOM


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def looks_like_formula(value: Any) -> bool:
    """Text led by a formula character, also behind spaces, zero-width characters or a BOM."""
    if not isinstance(value, str) or not value:
        return False
    head = value.lstrip(INVISIBLE_CHARS)
    return value[0] in FORMULA_CHARS or (head != "" and head[0] in FORMULA_CHARS)


def _quoted(value: str) -> bool:
    """``'`` + text that is quoted or looks like a formula: what :func:`escape_formula` writes."""
    body = value.lstrip("'")
    return value.startswith("'") and looks_like_formula(body)


def unescape(value: Any) -> Any:
    """Undo :func:`escape_formula` (and :func:`xlsx_text`): ``'=x`` -> ``=x``, ``''=x`` -> ``'=x``.

    ``unescape(escape_formula(v)) == v`` for every text ``v``; a ``'`` that is not
    in front of (quotes and) a formula character is the user's and stays.
    """
    if isinstance(value, str) and _quoted(value):
        return value[1:]
    return value


def escape_formula(value: Any) -> Any:
    """For CSV: text a spreadsheet could run as a formula gets a leading ``'``.

    So does text that already looks escaped (``'=x``), so that reading it back
    gives it unchanged.
    """
    if isinstance(value, str) and (looks_like_formula(value) or _quoted(value)):
        return "'" + value
    return value


def xlsx_text(value: Any) -> Any:
    """For XLSX, where formula-like text is written as a text cell instead (see ``sheets.write_xlsx``):
    only text that looks escaped (``'=x``) gets its ``'``, so that reading it back gives it unchanged."""
    if isinstance(value, str) and _quoted(value):
        return "'" + value
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    return str(value).strip()


def read_id(value: Any) -> str:
    return _text(value)


def read_text(value: Any) -> str:
    return _text(value)


def read_int(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        raise CellError(f"must be an integer (got {value:g})")
    s = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    if re.fullmatch(r"[+-]?\d+(\.0*)?", s):
        return int(float(s)) if "." in s else int(s)
    raise CellError(f"must be an integer (got {str(value).strip()!r})")


def read_float(value: Any) -> float:
    if isinstance(value, bool):
        raise CellError("must be a number")
    if isinstance(value, (int, float)):
        out = float(value)
    else:
        s = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        try:
            out = float(s)
        except ValueError:
            raise CellError(f"must be a number (got {str(value).strip()!r})") from None
    if not math.isfinite(out):
        raise CellError("must be a finite number")
    return out


_TRUE = {"是", "true", "yes", "y", "1", "√", "✓", "对", "要", "需要"}
_FALSE = {"否", "false", "no", "n", "0", "×", "✗", "不", "不要", "不需要"}


def read_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    s = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise CellError(f"must be 是 or 否 (true/false), got {str(value).strip()!r}")


def write_bool(value: bool) -> str:
    return "是" if value else "否"


_KINDS = {"单位": "unit", "驻区单位": "unit", "unit": "unit", "党员": "member", "在职党员": "member",
          "member": "member", "个人": "member"}


def read_kind(value: Any) -> str:
    s = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if s in _KINDS:
        return _KINDS[s]
    raise CellError(f"must be 单位 or 党员 (unit/member), got {str(value).strip()!r}")


def write_kind(value: str) -> str:
    return {"unit": "单位", "member": "党员"}.get(value, value)


_TAG_SPLIT = re.compile(r"[、,，;；|｜\n]+")


def read_tags(value: Any) -> list[str]:
    out: list[str] = []
    for part in _TAG_SPLIT.split(_text(value)):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


def write_tags(tags) -> str:
    return "、".join(tags)


# ---------------------------------------------------------------- windows

WINDOWS_EXAMPLE = "周一至周五 19:00-07:30; 周六、周日 00:00-24:00"
_CN_DAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_EN_DAY = {d: i for i, d in enumerate(DAYS)}
_EN_DAY.update({"monday": 0, "tuesday": 1, "tues": 1, "wednesday": 2, "thursday": 3, "thur": 3, "thurs": 3,
                "friday": 4, "saturday": 5, "sunday": 6})
_ALL_DAYS = {"每天", "每日", "全周", "天天", "daily", "everyday", "alldays", "all", "周一至周日"}
_WORKDAYS = {"工作日", "weekday", "weekdays", "workdays"}
_WEEKEND = {"周末", "weekend", "weekends"}
_ALWAYS = {"不限", "全天候", "随时", "always", "any", "anytime"}
_TIME = r"(\d{1,2})[:.](\d{2})"
_RANGE = re.compile(_TIME + r"\s*(?:-|~|至|到|—|–)\s*" + _TIME)
_FULL_DAY = re.compile(r"全天|allday|24h", re.I)
_SEGMENTS = re.compile(r"[;；\n]+")
_RANGE_SEP = r"(?:至|到|-|~|—|–)"


def _day(token: str) -> int:
    t = token.strip().rstrip(".")
    t = re.sub(r"^(?:周|星期|礼拜)", "", t)
    if t in _CN_DAY:
        return _CN_DAY[t]
    if t in _EN_DAY:
        return _EN_DAY[t]
    raise CellError(f"unknown day {token.strip()!r}")


def _days(spec: str) -> list[int]:
    s = re.sub(r"\s+", " ", spec).strip().strip(",、:").strip()
    s = re.sub(rf"\s*({_RANGE_SEP})\s*", r"\1", s)
    compact = s.replace(" ", "")
    if not compact or compact in _ALL_DAYS:
        return list(range(7))
    if compact in _WORKDAYS:
        return [0, 1, 2, 3, 4]
    if compact in _WEEKEND:
        return [5, 6]
    out: list[int] = []
    for part in re.split(r"[、,/和及]|\s+", s):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(rf"(.+?){_RANGE_SEP}(.+)", part)
        if m:
            a, b = _day(m.group(1)), _day(m.group(2))
            span = [(a + k) % 7 for k in range((b - a) % 7 + 1)]
        else:
            span = [_day(part)]
        out.extend(d for d in span if d not in out)
    return sorted(out)


def _hhmm(h: str, m: str, end: bool) -> str:
    hh, mm = int(h), int(m)
    if mm > 59 or hh > 24 or (hh == 24 and (mm or not end)):
        raise CellError(f"no such time {h}:{m}")
    return f"{hh:02d}:{mm:02d}"


def read_windows(value: Any) -> Optional[list[dict]]:
    """``周一至周五 19:00-07:30; 周六、周日 00:00-24:00`` -> window dicts (``None`` = always)."""
    if isinstance(value, (_dt.time, _dt.datetime)):
        raise CellError(f"write a time range like {WINDOWS_EXAMPLE!r}, not a single time")
    text = unicodedata.normalize("NFKC", _text(value)).lower()
    if text.replace(" ", "") in _ALWAYS:
        return None
    windows: list[dict] = []
    for seg in _SEGMENTS.split(text):
        seg = seg.strip()
        if not seg:
            continue
        ranges = list(_RANGE.finditer(seg))
        if ranges:
            head = seg[: ranges[0].start()]
            spans = [(_hhmm(r.group(1), r.group(2), False), _hhmm(r.group(3), r.group(4), True)) for r in ranges]
            rest = _RANGE.sub(" ", seg[ranges[0].start():])
            if re.sub(r"[\s、,和及]", "", rest):
                raise CellError(f"cannot read {seg!r}: expected e.g. {WINDOWS_EXAMPLE!r}")
        elif _FULL_DAY.search(seg):
            head = _FULL_DAY.sub(" ", seg)
            spans = [("00:00", "24:00")]
        else:
            raise CellError(f"no time range in {seg!r}: expected e.g. {WINDOWS_EXAMPLE!r}")
        try:
            days = _days(head)
        except CellError as exc:
            raise CellError(f"cannot read {seg!r}: {exc}") from None
        for start, end in spans:
            windows.append({"days": [DAYS[d] for d in days], "start": start, "end": end})
    if not windows:
        raise CellError(f"cannot read {text!r}: expected e.g. {WINDOWS_EXAMPLE!r}")
    return windows


_CN_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _days_text(days) -> str:
    idx = sorted({DAYS.index(d) for d in days})
    if len(idx) == 7:
        return "每天"
    runs: list[list[int]] = []
    for d in idx:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{_CN_NAMES[run[0]]}至{_CN_NAMES[run[-1]]}")
        else:
            parts.extend(_CN_NAMES[d] for d in run)
    return "、".join(parts)


def write_windows(windows) -> str:
    """Window list (dicts or :class:`~matcher.model.Window`) -> compact Chinese text; ``None`` -> ``""``."""
    if windows is None:
        return ""
    out = []
    for w in windows:
        days, start, end = (w["days"], w["start"], w["end"]) if isinstance(w, dict) else (w.days, w.start, w.end)
        out.append(f"{_days_text(days)} {start}-{end}")
    return "; ".join(out)


READERS = {
    "id": read_id, "text": read_text, "int": read_int, "float": read_float, "bool": read_bool,
    "tags": read_tags, "windows": read_windows, "kind": read_kind,
}
