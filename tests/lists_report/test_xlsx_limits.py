"""Hostile .xlsx files (issue 10 item 7): zip bombs, sheets out to column XFD, XML entity bombs.

Every file is built here, small on disk; each must be refused with a clear
message, quickly and without unpacking it.
"""
from __future__ import annotations

import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook

from matcher.errors import InternalError, SheetReadError
from matcher.tabular import ListSources, TableError, read_lists, sheets
from matcher.tabular.sheets import load_workbook

SHEET = "xl/worksheets/sheet1.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _base(tmp_path: Path) -> Path:
    wb = Workbook()
    wb.active.title = "需求清单"
    wb.active.append(["需求编号", "数量"])
    base = tmp_path / "base.xlsx"
    wb.save(base)
    return base


def _book(tmp_path: Path, replace: dict[str, bytes], name: str = "bomb.xlsx", level: int = 6) -> Path:
    """A copy of a real one-sheet workbook with some parts replaced (or added)."""
    out = tmp_path / name
    with zipfile.ZipFile(_base(tmp_path)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst:
        for info in src.infolist():
            if info.filename not in replace:
                dst.writestr(info.filename, src.read(info.filename))
        for part, data in replace.items():
            dst.writestr(part, data)
    return out


def _sheet_xml(rows: str, dimension: str | None = None, doctype: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet {NS}>{dim}'
            f"<sheetData>{rows}</sheetData></worksheet>").encode()


def _xfd_rows(n_rows: int = 40_000, every: int = 400) -> str:
    head = '<row r="1"><c r="A1" t="inlineStr"><is><t>需求编号</t></is></c></row>'
    return head + "".join(f'<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>' for r in range(every, n_rows + 1, every))


def _refused(path: Path, match: str, seconds: float = 1.0) -> str:
    start = time.perf_counter()
    with pytest.raises(SheetReadError, match=match) as info:
        load_workbook(path)
    assert time.perf_counter() - start < seconds
    return str(info.value)


def test_defusedxml_is_what_openpyxl_parses_with():
    assert openpyxl.DEFUSEDXML is True
    from defusedxml.ElementTree import iterparse as safe_iterparse
    from openpyxl.xml import functions

    assert functions.iterparse is safe_iterparse


def test_column_xfd_sheet_with_its_dimension_declared_is_refused(tmp_path):
    book = _book(tmp_path, {SHEET: _sheet_xml(_xfd_rows(), "A1:XFD40000")})
    assert book.stat().st_size < 30_000
    message = _refused(book, "refused")
    assert "bomb.xlsx [需求清单]" in message and "16,384 columns" in message and "200 columns are read" in message


@pytest.mark.parametrize("dimension", [None, "A1:B2"], ids=["no-dimension", "lying-dimension"])
def test_column_xfd_sheet_without_a_true_dimension_is_refused_streaming(tmp_path, dimension):
    book = _book(tmp_path, {SHEET: _sheet_xml(_xfd_rows(), dimension)})
    tracemalloc.start()
    try:
        message = _refused(book, "beyond column 200")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "row 400" in message
    assert peak < 50 * 2**20, f"reading took {peak / 2**20:.0f} MiB"


def test_declared_rows_over_the_limit_are_refused(tmp_path):
    book = _book(tmp_path, {SHEET: _sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:B1048576")})
    assert "1,048,576 rows" in _refused(book, "at most 100,000 rows")


def test_rows_over_the_limit_are_refused_while_streaming(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_ROWS", 50)
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 52))
    _refused(_book(tmp_path, {SHEET: _sheet_xml(rows, "A1:A2")}), "more than 50 rows")
    monkeypatch.setattr(sheets, "MAX_ROWS", 51)
    assert len(load_workbook(tmp_path / "bomb.xlsx")["需求清单"].rows) == 51


def test_a_too_small_dimension_does_not_drop_cells(tmp_path):
    rows = ('<row r="1"><c r="A1"><v>1</v></c><c r="C1"><v>3</v></c></row>'
            '<row r="5"><c r="D5" t="inlineStr"><is><t>=x</t></is></c></row>')
    sheet = load_workbook(_book(tmp_path, {SHEET: _sheet_xml(rows, "A1:A1")}))["需求清单"]
    assert sheet.rows == [(1, [1, None, 3]), (5, [None, None, None, "=x"])]


def test_zip_bomb_by_ratio_is_refused_before_unpacking(tmp_path):
    filler = b'<row r="2"><c r="A2"><v>0</v></c></row>' * 200_000   # 7.8 MB of one repeated row
    book = _book(tmp_path, {SHEET: _sheet_xml(filler.decode())}, level=9)
    assert book.stat().st_size < 200_000
    message = _refused(book, "zip bomb")
    assert SHEET in message and ":1 (at most 100:1" in message


def test_zip_bomb_by_size_is_refused_before_unpacking(tmp_path):
    book = tmp_path / "big.xlsx"
    with zipfile.ZipFile(_base(tmp_path)) as src, zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        # stored plainly 101 MiB of random-looking text would be slow to write: what is checked is the
        # declared size, so one honest part of 101 MiB is written in chunks, at speed (level 1)
        with dst.open("xl/media/blob.bin", "w", force_zip64=True) as part:
            chunk = bytes(range(256)) * 4096
            for _ in range(101):
                part.write(chunk)
    message = _refused(book, "unpacks to")
    assert "xl/media/blob.bin unpacks to 101.0 MB (at most 100.0 MB per part)" in message


LAUGHS = ('<!DOCTYPE worksheet [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
          '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
          '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">'
          '<!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>')


def test_billion_laughs_in_a_sheet_is_refused(tmp_path):
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>&i;</t></is></c></row>'
    message = _refused(_book(tmp_path, {SHEET: _sheet_xml(rows, "A1:A1", LAUGHS)}), "declares entities")
    assert message.startswith("bomb.xlsx: refused, its XML declares entities")


def test_billion_laughs_in_shared_strings_is_refused(tmp_path):
    strings = (f'<?xml version="1.0"?>{LAUGHS.replace("worksheet", "sst")}<sst {NS} count="1" uniqueCount="1">'
               "<si><t>&i;</t></si></sst>").encode()
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    with zipfile.ZipFile(_base(tmp_path)) as src:
        types = src.read("[Content_Types].xml").decode()
    types = types.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                      'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    book = _book(tmp_path, {SHEET: _sheet_xml(rows, "A1:A1"), "xl/sharedStrings.xml": strings,
                            "[Content_Types].xml": types.encode()})
    assert "bomb.xlsx: refused, its XML declares entities" in _refused(book, "declares entities")


def test_xlsx_reading_stops_if_xml_is_not_defused(tmp_path, monkeypatch):
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(InternalError, match="defusedxml"):
        load_workbook(_base(tmp_path))


def test_a_bomb_in_the_lists_is_a_list_error(tmp_path):
    book = _book(tmp_path, {SHEET: _sheet_xml(_xfd_rows(), "A1:XFD40000")}, name="三单.xlsx")
    with pytest.raises(TableError) as info:
        read_lists(ListSources(workbook=book))
    assert "三单.xlsx [需求清单]: refused" in str(info.value)
