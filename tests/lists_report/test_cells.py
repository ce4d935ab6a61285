"""Single cells: service windows text, tags, yes/no, formula escaping."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.tabular.cells import (CellError, escape_formula, looks_like_formula, read_bool, read_int, read_kind,
                                   read_tags, read_windows, unescape, write_windows, xlsx_text)
from matcher.tabular.sheets import SheetOut, load_workbook, read_csv, write_csv, write_xlsx

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


RISKY = ["=1+2", "+86 10", "-R1", "@SUM(A1)", "\tx", "\rx", ";x", "＝SUM(A1)", "＋1", "－1", "＠x",
         " =1+2", "\u3000＝1", "\u00a0+1", "\u200b=1", "\u200d\u2060@x", "\ufeff=1", "\n=1"]
QUOTED = ["'=x", "''@x", "' =x", "'\u200b-1"]    # text that looks escaped already
PLAIN = ["张颖", "'quoted", "'", "a=b", " x", "", "R-1", "'' 1", "1+1"]


@pytest.mark.parametrize("text", RISKY)
def test_formula_led_text_is_escaped_in_csv_and_back(text):
    assert looks_like_formula(text)
    assert escape_formula(text) == "'" + text
    assert unescape(escape_formula(text)) == text
    assert xlsx_text(text) == text  # XLSX writes it as a text cell instead (see test below)


@pytest.mark.parametrize("text", QUOTED)
def test_text_that_looks_escaped_gets_one_more_quote(text):
    assert escape_formula(text) == "'" + text and xlsx_text(text) == "'" + text
    assert unescape(escape_formula(text)) == text and unescape(xlsx_text(text)) == text
    assert unescape(text) == text[1:]  # what an older matcher wrote into XLSX reads back as before


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_left_alone(text):
    assert not looks_like_formula(text)
    assert escape_formula(text) == text and xlsx_text(text) == text and unescape(text) == text


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="'=+-@;＝＋－＠ \t\r\n\u3000\u200b\ufeffa张1", max_size=6))
def test_unescape_inverts_both_escapes(text):
    assert unescape(escape_formula(text)) == text
    assert unescape(xlsx_text(text)) == text
    escaped = escape_formula(text)
    assert not looks_like_formula(escaped), "a CSV cell must never start like a formula"


def test_xlsx_writes_formula_text_as_quote_prefixed_text_cells(tmp_path):
    from openpyxl import load_workbook as openpyxl_load

    values = [v for v in RISKY + QUOTED + PLAIN if v and "\r" not in v]  # XML turns CR into LF
    write_xlsx(tmp_path / "t.xlsx", [SheetOut("表", ["值"], [[v] for v in values])])
    ws = openpyxl_load(tmp_path / "t.xlsx")["表"]
    cells = [ws.cell(r, 1) for r in range(2, len(values) + 2)]
    for value, cell in zip(values, cells):
        assert cell.data_type == "s", (value, cell.data_type)
        assert cell.quotePrefix == looks_like_formula(value), value
        assert (cell.value or "") == xlsx_text(value)  # no visible ' in front of a formula
    back = [row[0] if row else "" for _, row in load_workbook(tmp_path / "t.xlsx")["表"].rows[1:]]
    expected = [v.replace("\ufeff", "") for v in values if v.strip()]  # the reader drops BOMs and blank rows
    assert [v for v in back if v] == [v for v in expected if v]


def test_csv_prefixes_formula_text_and_reads_it_back(tmp_path):
    values = RISKY + QUOTED + PLAIN
    write_csv(tmp_path / "t.csv", ["值"], [[v] for v in values])
    raw = list(csv.reader(io.StringIO((tmp_path / "t.csv").read_bytes().decode("utf-8-sig"), newline="")))
    assert [row[0] for row in raw[1:]] == [escape_formula(v) for v in values]
    assert not any(looks_like_formula(row[0]) for row in raw)
    back = {number: row[0] for number, row in read_csv(tmp_path / "t.csv").rows[1:]}
    assert [back[n] for n in range(2, len(values) + 2)] == [v.replace("\ufeff", "") for v in values]
