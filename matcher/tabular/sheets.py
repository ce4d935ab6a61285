"""Raw tables from CSV and XLSX files, and writing tables to them.

A :class:`Table` keeps every row with its number as the user sees it in a
spreadsheet (header = row 1), so that messages can point at a row.
Workbooks are read whole into a :class:`Book` and closed again, streamed
within fixed limits (``MAX_ROWS`` ... below) so that a crafted file (a zip
bomb, a sheet reaching column XFD, an XML entity bomb) is refused quickly and
in bounded memory instead of being unpacked.
"""
from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from collections.abc import Iterable, Sequence

from defusedxml import DefusedXmlException

from ..errors import InternalError, SheetReadError
from .cells import escape_formula, looks_like_formula, unescape, xlsx_text
from .columns import norm_header

MAX_BLANK_RUN = 500  # stop reading a sheet after this many empty rows in a row

# Limits for reading .xlsx files (docs/lists-and-reports.md, "Limits"). No real 三单 list comes
# near them (a big one has a few thousand rows and about 15 columns); a crafted file that does
# is refused before it is unpacked or as soon as a row crosses a limit.
MAX_ROWS = 100_000               # rows of one sheet, counted as Excel numbers them
MAX_COLUMNS = 200                # columns of one sheet (A .. GR)
MAX_PARTS = 10_000               # files inside the .xlsx zip
MAX_PART_BYTES = 100 * 2**20     # unpacked size of one file inside the zip
MAX_BOOK_BYTES = 200 * 2**20     # unpacked size of all of them
MAX_RATIO = 100                  # unpacked : packed size, for files above RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 2**20


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


# ---------------------------------------------------------------- reading XLSX, with limits

@dataclass
class Sheet:
    """One worksheet read in full: its title and its non-blank rows (numbered as Excel shows them)."""

    title: str
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


@dataclass
class Book:
    """A workbook read in full and closed again; ``book[title]`` raises ``KeyError`` like openpyxl."""

    worksheets: list[Sheet]

    def __getitem__(self, title: str) -> Sheet:
        for ws in self.worksheets:
            if ws.title == title:
                return ws
        raise KeyError(title)


def _mb(size: int) -> str:
    return f"{size / 2**20:,.1f} MB"


def _refuse(label: str, why: str) -> SheetReadError:
    return SheetReadError(f"{label}: refused, {why}")


def check_archive(path: Path) -> None:
    """Refuse a zip bomb from its directory alone (declared sizes; nothing is unpacked)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except FileNotFoundError:
        raise SheetReadError(f"{path.name}: no such file") from None
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise SheetReadError(f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__})") from None
    if len(parts) > MAX_PARTS:
        raise _refuse(path.name, f"the workbook holds {len(parts):,} parts (at most {MAX_PARTS:,})")
    for part in parts:
        if part.file_size > MAX_PART_BYTES:
            raise _refuse(path.name, f"{part.filename} unpacks to {_mb(part.file_size)} "
                                     f"(at most {_mb(MAX_PART_BYTES)} per part)")
        if part.file_size > RATIO_FLOOR_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise _refuse(path.name, f"{part.filename} is packed {part.file_size // max(part.compress_size, 1):,}:1 "
                                     f"(at most {MAX_RATIO}:1; a zip bomb?)")
    total = sum(part.file_size for part in parts)
    if total > MAX_BOOK_BYTES:
        raise _refuse(path.name, f"the workbook unpacks to {_mb(total)} (at most {_mb(MAX_BOOK_BYTES)})")


def _unreadable(exc: BaseException, label: str, what: str) -> SheetReadError:
    """The error for a failed read; defusedxml's refusal may come wrapped (openpyxl re-raises ValueErrors)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return _refuse(label, f"its XML declares entities or a DTD ({type(cause).__name__})")
        cause = cause.__cause__ or cause.__context__
    return SheetReadError(f"{label}: {what} ({type(exc).__name__})")


def _require_defused_xml() -> None:
    import openpyxl

    if not openpyxl.DEFUSEDXML:
        raise InternalError("openpyxl does not parse XML through defusedxml (is OPENPYXL_DEFUSEDXML=False set, "
                            "or defusedxml missing?): refusing to read .xlsx files")


def load_workbook(path: str | Path) -> Book:
    """Every worksheet of an .xlsx file, streamed (openpyxl read-only) within the limits above.

    The zip directory is checked first (:func:`check_archive`), then each sheet's
    declared ``<dimension>``, then every row as it streams by; XML goes through
    defusedxml, so entity declarations (billion laughs) and external entities are refused.
    """
    from openpyxl import load_workbook as _load

    path = Path(path)
    check_archive(path)
    _require_defused_xml()
    with open(path, "rb") as file:  # ours to close, also when openpyxl fails half-way
        try:
            wb = _load(file, read_only=True, data_only=True)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, ParseError ...
            raise _unreadable(exc, path.name, "not a readable .xlsx workbook") from None
        try:
            return Book([_read_sheet(ws, f"{path.name} [{ws.title}]") for ws in wb.worksheets])
        finally:
            wb.close()


def _read_sheet(ws, label: str) -> Sheet:
    rows, cols = ws.max_row or 0, ws.max_column or 0
    if rows > MAX_ROWS or cols > MAX_COLUMNS:
        raise _refuse(label, f"the sheet declares {rows:,} rows × {cols:,} columns "
                             f"(at most {MAX_ROWS:,} rows and {MAX_COLUMNS} columns are read)")
    ws.reset_dimensions()  # a declared dimension may also be too small: read the rows as they are
    rows = ws.iter_rows(values_only=True)
    try:
        return Sheet(ws.title, _stream_rows(rows, label))
    except SheetReadError:
        raise
    except Exception as exc:  # a broken part (ParseError, BadZipFile: bad CRC ...)
        raise _unreadable(exc, label, "not a readable sheet") from None
    finally:
        rows.close()  # the sheet's part is open while rows stream; a refusal stops it early


def _stream_rows(rows: Iterable[Sequence[Any]], label: str) -> list[tuple[int, list[Any]]]:
    out: list[tuple[int, list[Any]]] = []
    blank = 0
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS:
            raise _refuse(label, f"more than {MAX_ROWS:,} rows")
        if len(row) > MAX_COLUMNS:
            if any(v is not None for v in row[MAX_COLUMNS:]):
                raise _refuse(label, f"row {number} has a value beyond column {MAX_COLUMNS} "
                                     f"(at most {MAX_COLUMNS} columns are read)")
            row = row[:MAX_COLUMNS]
        values = [_clean(v) for v in row]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            blank += 1
            if blank > MAX_BLANK_RUN:
                break
            continue
        blank = 0
        out.append((number, values))
    return out


def sheet_table(ws: Sheet, label: str) -> Table:
    return Table(label, list(ws.rows))


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


def _put_row(ws, number: int, row: Sequence[Any]) -> None:
    """One row of cells; text a spreadsheet could run as a formula becomes a text cell with a
    quote prefix (shown without a ``'``, kept as text when edited), never a formula."""
    for col, value in enumerate(row, start=1):
        cell = ws.cell(row=number, column=col, value=xlsx_text(value))
        if looks_like_formula(value):
            cell.data_type = "s"
            cell.quotePrefix = True


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
        _put_row(ws, 1, sheet.headers)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
        for number, row in enumerate(sheet.rows, start=2):
            _put_row(ws, number, row)
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
    """UTF-8 with BOM (so that Excel shows Chinese text), CRLF line ends, formula text escaped with ``'``."""
    try:
        Path(path).write_bytes(b"\xef\xbb\xbf" + csv_text(headers, rows).encode("utf-8"))
    except OSError as exc:
        raise SheetReadError(f"{Path(path).name}: cannot write ({exc.strerror or exc})") from None
