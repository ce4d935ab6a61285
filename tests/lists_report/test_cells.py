"""Single cells: service windows text, tags, yes/no, formula escaping."""
from __future__ import annotations

import pytest

from matcher.tabular.cells import (CellError, escape_formula, read_bool, read_int, read_kind, read_tags, read_windows,
                                   unescape, write_windows)

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


@pytest.mark.parametrize("text", [
    "周一至周五 19:00-07:30; 周六、周日 00:00-24:00",
    "mon-fri 19:00-07:30; sat,sun 00:00-24:00",
    "星期一到星期五 19：00-07：30；周末 全天",
    "工作日 19:00~07:30\n周六 周日 0:00-24:00",
    "Monday - Friday 19:00-07:30; Saturday, Sunday 00:00-24:00",
])
def test_windows_variants_mean_the_same(text):
    assert read_windows(text) == [
        {"days": WEEKDAYS, "start": "19:00", "end": "07:30"},
        {"days": ["sat", "sun"], "start": "00:00", "end": "24:00"},
    ]


def test_windows_more_forms():
    assert read_windows("每天 8:00-12:00、14:00-18:00") == [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "08:00", "end": "12:00"},
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "14:00", "end": "18:00"},
    ]
    assert read_windows("周五至周一 20:00-22:00") == [
        {"days": ["mon", "fri", "sat", "sun"], "start": "20:00", "end": "22:00"}]
    assert read_windows("16:00-18:00") == [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "16:00", "end": "18:00"}]
    assert read_windows("不限") is None


@pytest.mark.parametrize("text, fragment", [
    ("周八 10:00-11:00", "unknown day"),
    ("周一 25:00-26:00", "no such time"),
    ("周一", "no time range"),
    ("周一 10:00-11:00 左右", "cannot read"),
])
def test_bad_windows_say_why(text, fragment):
    with pytest.raises(CellError, match=fragment):
        read_windows(text)


def test_windows_text_round_trip():
    windows = [{"days": WEEKDAYS, "start": "19:00", "end": "07:30"},
               {"days": ["mon", "wed", "sat", "sun"], "start": "09:00", "end": "17:00"}]
    text = write_windows(windows)
    assert text == "周一至周五 19:00-07:30; 周一、周三、周六、周日 09:00-17:00"
    assert read_windows(text) == windows


def test_tags_bools_kinds_ints():
    assert read_tags("法律援助、科普, 书法;体检|法律援助") == ["法律援助", "科普", "书法", "体检"]
    assert [read_bool(v) for v in ("是", "否", "true", "FALSE", 1, 0, True)] == [True, False, True, False, True, False, True]
    with pytest.raises(CellError):
        read_bool("也许")
    assert read_kind("党员") == "member" and read_kind("驻区单位") == "unit" and read_kind("member") == "member"
    assert read_int(120.0) == 120 and read_int("1,200") == 1200 and read_int("７") == 7
    with pytest.raises(CellError):
        read_int(1.5)


@pytest.mark.parametrize("text", ["=1+2", "+86 10", "-R1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_escape_and_back(text):
    escaped = escape_formula(text)
    assert escaped == "'" + text
    assert unescape(escaped) == text


def test_plain_text_is_not_escaped():
    assert escape_formula("张颖") == "张颖"
    assert escape_formula("'quoted") == "'quoted"
    assert unescape("'quoted") == "'quoted"
    assert escape_formula(-5) == -5
