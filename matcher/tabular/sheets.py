"""Raw tables from CSV and XLSX files, and writing tables to them.

A :class:`Table` keeps every row with its number as the user sees it in a
spreadsheet (header = row 1), so that messages can point at a row.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from ..errors import SheetReadError
from .cells import escape_formula, unescape
from .columns import norm_header

MAX_BLANK_RUN = 500  # stop reading a sheet after this many empty rows in a row


@dataclass
class Table:
    label: str
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\ufeff", "")
        return unescape(value)
    return value


def decode_text(data: bytes, label: str) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK, as saved by Chinese Excel)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetReadError(f"{label}: not UTF-8 or GBK/GB18030 text")


def read_csv(path: str | Path, label: Optional[str] = None) -> Table:
    path = Path(path)
    label = label or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SheetReadError(f"{label}: cannot read ({exc.strerror or exc})") from None
    text = decode_text(data, label)
    first = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        for d in ("\t", ";"):
            if d in first:
                delimiter = d
                break
    table = Table(label)
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            table.rows.append((number, [_clean(v) for v in row]))
    except csv.Error as exc:
        raise SheetReadError(f"{label}: not a readable CSV file ({exc})") from None
    return table


def load_workbook(path: str | Path):
    from openpyxl import load_workbook as _load

    path = Path(path)
    try:
        return _load(path, data_only=True)
    except FileNotFoundError:
        raise SheetReadError(f"{path.name}: no such file") from None
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise SheetReadError(f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__})") from None


def sheet_table(ws, label: str) -> Table:
    table = Table(label)
    blank = 0
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        values = [_clean(v) for v in row]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            blank += 1
            if blank > MAX_BLANK_RUN:
                break
            continue
        blank = 0
        table.rows.append((number, values))
    return table


def find_sheet(wb, names: Sequence[str]):
    wanted = {norm_header(n) for n in names}
    for ws in wb.worksheets:
        if norm_header(unicodedata.normalize("NFKC", ws.title)) in wanted:
            return ws
    return None


# ---------------------------------------------------------------- writing

@dataclass
class SheetOut:
    title: str
    headers: list[str]
    rows: list[list[Any]]
    percent_columns: tuple[int, ...] = ()   # 0-based columns shown as 0.0%
    widths: Optional[list[int]] = None


def _safe_row(row: Iterable[Any]) -> list[Any]:
    return [escape_formula(v) for v in row]


def write_xlsx(path: str | Path, sheets: Sequence[SheetOut]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFE8EEF7")
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title[:31])
        ws.append(_safe_row(sheet.headers))
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
        for row in sheet.rows:
            ws.append(_safe_row(row))
        for col in sheet.percent_columns:
            for (cell,) in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
                if isinstance(cell.value, (int, float)):
                    cell.number_format = "0.0%"
        for c, header in enumerate(sheet.headers):
            width = sheet.widths[c] if sheet.widths else None
            if width is None:
                longest = max([_display_width(header)] + [_display_width(r[c]) for r in sheet.rows[:500] if c < len(r)])
                width = min(max(8, longest + 2), 60)
            ws.column_dimensions[get_column_letter(c + 1)].width = width
        ws.freeze_panes = "A2"
        if sheet.rows and sheet.headers:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.headers))}{len(sheet.rows) + 1}"
    try:
        wb.save(str(path))
    except OSError as exc:
        raise SheetReadError(f"{Path(path).name}: cannot write ({exc.strerror or exc})") from None


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(_safe_row(headers))
    for row in rows:
        w.writerow(["" if v is None else v for v in _safe_row(row)])
    return buf.getvalue()


def write_csv(path: str | Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """UTF-8 with BOM (so that Excel shows Chinese text), CRLF line ends, formula text escaped."""
    try:
        Path(path).write_bytes(b"\xef\xbb\xbf" + csv_text(headers, rows).encode("utf-8"))
    except OSError as exc:
        raise SheetReadError(f"{Path(path).name}: cannot write ({exc.strerror or exc})") from None
