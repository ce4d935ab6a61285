"""The committee's lists from Excel / CSV files, entry by entry (``matcher lists import``).

:func:`read_entry_file` reads one of

- an ``.xlsx`` workbook with sheets 社区 / 提供方 / 资源清单 / 需求清单 (any of them; other
  sheets such as 参数 are not imported, a note says so),
- a folder of CSV files named like those sheets (``需求清单.csv``),
- one CSV file, whose list is told by its name, else by its header row,

into :class:`EntryRow` s per list, each with the sheet and row (as Excel numbers them) it
came from. Columns are those of :data:`.columns.ENTRY_LISTS` (the round lists' columns, plus
a 社区 list and the members' 每年最少项目数). A cell that cannot be read is a
:class:`Problem` naming sheet, row, entry id and column, e.g.
``三单.xlsx [需求清单] row 7 (需求编号 N-3): 数量: must be an integer (got 'abc')``.
Nothing is checked against the round contract here (:mod:`matcher.store.lists_import` does).
Workbooks are read within the limits of :func:`.sheets.load_workbook` (zip and XML bombs refused).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..errors import FieldIssue, SheetReadError
from .columns import ENTRY_LISTS, ListSpec, norm_header
from .lists import _BAD, _header_row, _table_to_items
from .sheets import Table, find_sheet, load_workbook, read_csv, sheet_table

KIND_OF = {"communities": "community", "providers": "provider", "resources": "resource", "needs": "need"}
SHEETS = "、".join(spec.title for spec in ENTRY_LISTS)


@dataclass(frozen=True, order=True)
class Problem:
    """A problem of the file, sortable in file order: sheet, row, column."""

    sheet: int
    row: int
    col: int
    issue: FieldIssue


@dataclass(frozen=True)
class EntryRow:
    """One row of a list: the cells read (blank ones left out) and where it came from."""

    kind: str                       # community, provider, resource, need
    data: dict[str, Any]
    label: str                      # the sheet as messages name it: 三单.xlsx [需求清单], 需求清单.csv
    row: int
    headers: dict[str, str]         # field -> header as written, for every column the sheet has
    bad: frozenset[str]             # fields whose cell could not be read (already a problem)
    sheet: int                      # its list's place in ENTRY_LISTS (problems sort by it)

    @property
    def entry_id(self) -> Optional[str]:
        value = self.data.get("id")
        return value if isinstance(value, str) else None

    @property
    def where(self) -> str:
        """``三单.xlsx [需求清单] row 7 (需求编号 N-3)``."""
        at = f"{self.label} row {self.row}"
        return f"{at} ({self.headers.get('id', 'id')} {self.entry_id})" if self.entry_id else at

    def header(self, name: str) -> str:
        return self.headers.get(name, name)

    def problem(self, message: str, name: Optional[str] = None, col: int = 0) -> Problem:
        """A problem of this row, about the column of field ``name`` when given."""
        text = f"{self.header(name)}: {message}" if name else message
        return Problem(self.sheet, self.row, col, FieldIssue(self.where, text))


@dataclass
class EntryFile:
    """What a file holds: rows by kind (only the lists it has, an empty one included), problems, notes."""

    name: str
    rows: dict[str, list[EntryRow]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)      # kind -> sheet label
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        return list(self.rows)


def _read_table(table: Table, spec: ListSpec, sheet: int, out: EntryFile) -> None:
    raw: list[tuple] = []
    built = _table_to_items(table, spec, raw, out.notes)
    kind = KIND_OF[spec.key]
    rows = [EntryRow(kind, {f: v for f, v in item.items() if v is not _BAD}, origin.label, origin.row,
                     built.headers, frozenset(f for f, v in item.items() if v is _BAD), sheet)
            for item, origin in zip(built.items, built.origins)]
    by_number = {r.row: r for r in rows}
    for _, number, col, issue in raw:
        row = by_number.get(number)
        if row is None:  # an empty sheet or a missing column: about the sheet, not a row
            out.problems.append(Problem(sheet, number, col, issue))
            continue
        name = spec.columns[col].field
        out.problems.append(row.problem(issue.message, name, col))
    out.rows[kind] = rows
    out.labels[kind] = table.label


def _names(spec: ListSpec) -> set[str]:
    return {norm_header(n) for c in spec.columns for n in c.names()}


def _csv_spec(path: Path, table: Table) -> ListSpec:
    """The list of a lone CSV file: by its name (需求清单.csv), else by its header row, which must have
    every required column of one list and a header only that list has (提供方名称, 资源编号 ...)."""
    stem = norm_header(path.stem)
    for spec in ENTRY_LISTS:
        if stem in {norm_header(n) for n in spec.sheet_names}:
            return spec
    fits = []
    for spec in ENTRY_LISTS:
        k, _, by_field = _header_row(table, spec)
        own = _names(spec).difference(*(_names(other) for other in ENTRY_LISTS if other is not spec))
        written = {norm_header(v) for v in table.rows[k][1]} if k >= 0 else set()
        if own & written and all(c.field in by_field for c in spec.columns if c.required):
            fits.append((len(by_field), spec))
    fits.sort(key=lambda t: -t[0])
    if not fits or (len(fits) > 1 and fits[0][0] == fits[1][0]):
        raise SheetReadError(f"{path.name}: cannot tell which list this is; name the file after its list "
                             f"({SHEETS}, e.g. 需求清单.csv) or use its Chinese headers (需求编号 ...)")
    return fits[0][1]


def _read_workbook(path: Path, out: EntryFile) -> None:
    wb = load_workbook(path)
    used = set()
    for n, spec in enumerate(ENTRY_LISTS):
        ws = find_sheet(wb, spec.sheet_names)
        if ws is not None:
            used.add(ws.title)
            _read_table(sheet_table(ws, f"{path.name} [{ws.title}]"), spec, n, out)
    out.notes += [f"{path.name}: sheet {ws.title!r} not imported (lists: {SHEETS})"
                  for ws in wb.worksheets if ws.title not in used]


def _read_folder(path: Path, out: EntryFile) -> None:
    used = set()
    for n, spec in enumerate(ENTRY_LISTS):
        for name in spec.sheet_names:
            f = path / f"{name}.csv"
            if f.is_file():
                used.add(f.name)
                _read_table(read_csv(f), spec, n, out)
                break
    out.notes += [f"{path.name}: {f.name} not imported (lists: {SHEETS})"
                  for f in sorted(path.glob("*.csv")) if f.name not in used]


def read_entry_file(path: str | Path) -> EntryFile:
    """The lists in a workbook, a folder of CSV files or one CSV file (see the module's docstring).

    Raises :class:`SheetReadError` for a file that cannot be read at all or holds none of the lists.
    """
    path = Path(path)
    out = EntryFile(path.name)
    if path.is_dir():
        _read_folder(path, out)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        _read_workbook(path, out)
    elif not path.exists():
        raise SheetReadError(f"{path.name}: no such file or folder")
    elif path.suffix.lower() in (".csv", ".txt", ".tsv"):
        table = read_csv(path)
        spec = _csv_spec(path, table)
        _read_table(table, spec, ENTRY_LISTS.index(spec), out)
    else:
        raise SheetReadError(f"{path.name}: give an .xlsx workbook, a .csv file or a folder of CSV files")
    if not out.rows:
        raise SheetReadError(f"{path.name}: no list to import: expected a sheet or CSV file named "
                             f"{SHEETS}")
    out.problems.sort()
    return out
