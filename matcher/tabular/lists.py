"""Providers, resources and needs lists (CSV / XLSX) <-> round documents.

:func:`read_lists` builds a round document from the lists, validates it with
:func:`matcher.validation.parse_round` and raises one :class:`TableError`
naming file, row (as in Excel, header = row 1) and column header for every
problem, e.g. ``资源清单.xlsx row 17, 容量: must be >= 1``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..errors import FieldIssue, RoundValidationError, SheetReadError, TableError
from ..model import Round
from ..validation import parse_round
from . import cells
from ..errors import CellError
from .cells import is_blank
from .columns import (BY_KEY, FORBIDDEN, LISTS, LOCKED, NEEDS, PARAM_HEADERS, PARAM_KEYS, PARAMS_SHEETS, PROVIDERS,
                      RESOURCES, ListSpec, norm_header)
from .sheets import SheetOut, Table, find_sheet, load_workbook, read_csv, sheet_table, write_csv, write_xlsx

HEADER_SEARCH_ROWS = 10


@dataclass
class _Origin:
    label: str
    row: int
    headers: dict[str, str]          # field -> header as written in the file


@dataclass
class _Built:
    items: list[dict] = field(default_factory=list)
    origins: list[_Origin] = field(default_factory=list)
    label: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportedRound:
    """The round document built from the lists, and the validated round."""

    document: dict
    round: Round
    ignored_columns: list[str] = field(default_factory=list)


def _is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm")


def _header_row(table: Table, spec: ListSpec) -> tuple[int, dict[int, str], dict[str, int]]:
    """Index into table.rows of the header row, column -> field, field -> column."""
    names = {}
    for col in spec.columns:
        for n in col.names():
            names.setdefault(norm_header(n), col.field)
    best = (-1, 0)
    for k, (_, values) in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        hits = sum(1 for v in values if isinstance(v, str) and norm_header(v) in names)
        if hits > best[1]:
            best = (k, hits)
    k = best[0] if best[1] else 0
    by_col: dict[int, str] = {}
    by_field: dict[str, int] = {}
    if not table.rows:
        return -1, by_col, by_field
    for c, v in enumerate(table.rows[k][1]):
        f = names.get(norm_header(v)) if v is not None else None
        if f is not None and f not in by_field:
            by_col[c] = f
            by_field[f] = c
    return k, by_col, by_field


def _table_to_items(table: Table, spec: ListSpec, problems: list[tuple], ignored: list[str]) -> _Built:
    built = _Built(label=table.label)
    k, by_col, by_field = _header_row(table, spec)
    if k < 0:
        problems.append((table.label, 0, 0, FieldIssue(table.label, f"empty: expected a header row like "
                                                               f"{'、'.join(c.header for c in spec.columns[:4])} ...")))
        return built
    header_row_no, header_values = table.rows[k]
    written = {f: str(header_values[c]).strip() for c, f in by_col.items()}
    built.headers = written
    for c, v in enumerate(header_values):
        if c not in by_col and not is_blank(v):
            ignored.append(f"{table.label}: column {str(v).strip()!r} ignored")
    missing = [col for col in spec.columns if col.required and col.field not in by_field]
    for col in missing:
        problems.append((table.label, header_row_no, 0,
                         FieldIssue(f"{table.label} row {header_row_no}", f"missing column {col.header}")))
    if missing:
        return built
    order = {col.field: n for n, col in enumerate(spec.columns)}
    for number, values in table.rows[k + 1:]:
        item: dict[str, Any] = {}
        for c, f in by_col.items():
            raw = values[c] if c < len(values) else None
            if is_blank(raw):
                continue
            col = spec.column(f)
            try:
                item[f] = cells.READERS[col.kind](raw)
            except CellError as exc:
                problems.append((table.label, number, order[f],
                                 FieldIssue(f"{table.label} row {number}, {written[f]}", str(exc))))
                item[f] = _BAD
        if not item:
            continue
        built.items.append(item)
        built.origins.append(_Origin(table.label, number, written))
    return built


class _BadCell:
    """Placeholder for a cell that could not be read (its problem is already recorded)."""


_BAD = _BadCell()


@dataclass
class ListSources:
    """Where each list comes from: a file per list, and/or a workbook (or folder of CSV files) holding them."""

    workbook: Optional[str | Path] = None
    providers: Optional[str | Path] = None
    resources: Optional[str | Path] = None
    needs: Optional[str | Path] = None
    locked: Optional[str | Path] = None
    forbidden: Optional[str | Path] = None
    params: Optional[str | Path] = None


def _load_single(path: Path, names, workbooks: dict) -> Table:
    if _is_xlsx(path):
        wb = workbooks.get(path)
        if wb is None:
            wb = workbooks[path] = load_workbook(path)
        ws = find_sheet(wb, names) or wb.worksheets[0]
        label = path.name if len(wb.worksheets) == 1 else f"{path.name} [{ws.title}]"
        return sheet_table(ws, label)
    if not path.exists():
        raise SheetReadError(f"{path.name}: no such file")
    return read_csv(path)


def _collect_tables(src: ListSources) -> tuple[dict[str, Table], Optional[Table], list[str]]:
    """Tables by list key, the params table, and read errors."""
    tables: dict[str, Table] = {}
    params: Optional[Table] = None
    errors: list[str] = []
    workbooks: dict[Path, Any] = {}
    if src.workbook is not None:
        book = Path(src.workbook)
        try:
            if book.is_dir():
                for spec in LISTS:
                    for name in spec.sheet_names:
                        f = book / f"{name}.csv"
                        if f.exists():
                            tables[spec.key] = read_csv(f)
                            break
                for name in PARAMS_SHEETS:
                    if (book / f"{name}.csv").exists():
                        params = read_csv(book / f"{name}.csv")
                        break
            elif _is_xlsx(book):
                wb = workbooks[book] = load_workbook(book)
                for spec in LISTS:
                    ws = find_sheet(wb, spec.sheet_names)
                    if ws is not None:
                        tables[spec.key] = sheet_table(ws, f"{book.name} [{ws.title}]")
                ws = find_sheet(wb, PARAMS_SHEETS)
                if ws is not None:
                    params = sheet_table(ws, f"{book.name} [{ws.title}]")
            elif not book.exists():
                errors.append(f"{book.name}: no such file or folder")
            else:
                errors.append(f"{book.name}: give an .xlsx workbook or a folder of CSV files")
        except SheetReadError as exc:
            errors.append(str(exc))
    for spec in LISTS:
        path = getattr(src, spec.key)
        if path is None:
            continue
        try:
            tables[spec.key] = _load_single(Path(path), spec.sheet_names, workbooks)
        except SheetReadError as exc:
            errors.append(str(exc))
    if src.params is not None:
        try:
            params = _load_single(Path(src.params), PARAMS_SHEETS, workbooks)
        except SheetReadError as exc:
            errors.append(str(exc))
    return tables, params, errors


def _read_params(table: Table, problems: list[tuple]) -> tuple[dict, dict[str, str]]:
    lookup = {norm_header(n): key for key, names in PARAM_KEYS.items() for n in names}
    params: dict[str, Any] = {}
    where: dict[str, str] = {}
    for number, values in table.rows:
        if len(values) < 1 or is_blank(values[0]):
            continue
        key = lookup.get(norm_header(values[0]))
        if key is None:
            if norm_header(values[0]) not in (norm_header("参数"), "key", "name", "parameter"):
                problems.append((table.label, number, 0, FieldIssue(f"{table.label} row {number}",
                                                                 f"unknown parameter {str(values[0]).strip()!r}")))
            continue
        raw = values[1] if len(values) > 1 else None
        if is_blank(raw):
            continue
        here = f"{table.label} row {number}, {str(values[0]).strip()}"
        try:
            if key == "name":
                value: Any = cells.read_text(raw)
            elif key == "solver":
                value = cells.read_text(raw).lower()
            elif key.startswith("priority_weights."):
                value = cells.read_int(raw)
            else:
                value = cells.read_float(raw)
        except CellError as exc:
            problems.append((table.label, number, 1, FieldIssue(here, str(exc))))
            continue
        params[key] = value
        where[key] = here
    return params, where


_ITEM_PATH = re.compile(r"^(providers|resources|needs|locked|forbidden)\[(\d+)\](?:\.(\w+))?(.*)$")
_ITEM_REF = re.compile(r"\b(providers|resources|needs|locked|forbidden)\[(\d+)\]")


def read_lists(src: ListSources, params: Optional[dict[str, Any]] = None, name: Optional[str] = None,
               param_sources: Optional[dict[str, str]] = None) -> ImportedRound:
    """Build and validate a round from lists. ``params`` (e.g. from CLI options) override a params sheet.

    ``params`` keys: ``max_distance_m``, ``time_limit_s``, ``solver``, ``priority_weights`` (dict) or
    ``priority_weights.N``; ``param_sources`` names where each came from (``--max-distance``).
    Every problem of every sheet is gathered, each with its file, row and column, before one
    :class:`TableError` is raised.
    """
    tables, params_table, errors = _collect_tables(src)
    if errors:
        raise TableError([FieldIssue("", e) for e in errors], "cannot read the lists")
    problems: list[tuple] = []
    ignored: list[str] = []
    built = {spec.key: _table_to_items(tables[spec.key], spec, problems, ignored) for spec in LISTS if spec.key in tables}
    for spec in (PROVIDERS, RESOURCES, NEEDS):
        if spec.key not in tables:
            problems.append(("", -1, 0, FieldIssue("", f"no {spec.title} list: give --{spec.key} or a workbook "
                                                    f"with a sheet named {spec.title}")))
    flat_params, where = _read_params(params_table, problems) if params_table is not None else ({}, {})
    _override_params(flat_params, where, params or {}, param_sources or {})
    doc = _round_header(flat_params, name)
    bad = _add_items(doc, built)
    rnd = None
    try:
        rnd = parse_round(doc)
    except RoundValidationError as exc:
        problems += [m for m in (_map_problem(prob, built, where, bad) for prob in exc.problems) if m is not None]
    if problems:
        raise TableError(_ordered_problems(problems, tables, params_table))
    assert rnd is not None
    return ImportedRound(doc, rnd, ignored)


def _override_params(flat: dict[str, Any], where: dict[str, str], params: dict[str, Any],
                     sources: dict[str, str]) -> None:
    """Options given on the command line win over the params sheet; ``where`` names their source."""
    for key, value in params.items():
        if value is None:
            continue
        if key == "priority_weights":
            for p, w in value.items():
                flat[f"priority_weights.{p}"] = w
                where[f"priority_weights.{p}"] = sources.get(key, f"params.priority_weights.{p}")
        else:
            flat[key] = value
            where[key] = sources.get(key, f"params.{key}")


def _round_header(flat_params: dict[str, Any], name: Optional[str]) -> dict[str, Any]:
    """The round document's ``name`` and ``params`` from the flat ``key`` / ``priority_weights.N`` params."""
    doc: dict[str, Any] = {}
    round_name = name if name is not None else flat_params.get("name")
    if round_name:
        doc["name"] = round_name
    p: dict[str, Any] = {}
    for key, value in flat_params.items():
        if key == "name":
            continue
        if key.startswith("priority_weights."):
            p.setdefault("priority_weights", {})[key.split(".", 1)[1]] = value
        else:
            p[key] = value
    if p:
        doc["params"] = p
    return doc


def _add_items(doc: dict[str, Any], built: dict[str, _Built]) -> set[tuple[str, int, str]]:
    """Put the lists' items into ``doc``; cells that could not be read are left out and returned."""
    bad: set[tuple[str, int, str]] = set()
    for key in ("providers", "resources", "needs", "locked", "forbidden"):
        if key in built:
            items = []
            for k, item in enumerate(built[key].items):
                bad.update((key, k, f) for f, v in item.items() if v is _BAD)
                items.append({f: v for f, v in item.items() if v is not _BAD})
            doc[key] = items
        elif key in ("providers", "resources", "needs"):
            doc[key] = []
    return bad


def _ordered_problems(problems: list[tuple], tables: dict, params_table) -> list[FieldIssue]:
    """Problems in sheet order, then row, then column; each once."""
    order = {t.label: n for n, t in enumerate(tables.values())}
    if params_table is not None:
        order.setdefault(params_table.label, len(order))
    problems.sort(key=lambda t: (order.get(t[0], -1), t[1], t[2]))
    seen, out = set(), []
    for *_, prob in problems:
        if prob not in seen:
            seen.add(prob)
            out.append(prob)
    return out


def _map_problem(prob: FieldIssue, built: dict[str, _Built], where: dict[str, str], bad) -> Optional[tuple]:
    m = _ITEM_PATH.match(prob.path)

    def ref(mm: re.Match) -> str:
        key, k = mm.group(1), int(mm.group(2))
        b = built.get(key)
        if b is None or k >= len(b.origins):
            return mm.group(0)
        o = b.origins[k]
        same = m is not None and m.group(1) == key
        return f"row {o.row}" if same else f"{o.label} row {o.row}"

    message = _ITEM_REF.sub(ref, prob.message)
    if m is None:
        if prob.path.startswith("params."):
            key = prob.path[len("params."):]
            key = key.replace('["', ".").replace('"]', "")
            label = where.get(key, prob.path)
            return (label, 10**9, 0, FieldIssue(label, message))
        return ("", -1, 0, FieldIssue(prob.path, message))
    key, k, f, rest = m.group(1), int(m.group(2)), m.group(3), m.group(4)
    b = built.get(key)
    if b is None or k >= len(b.origins):
        return ("", -1, 0, FieldIssue(prob.path, message))
    if f is not None and (key, k, f) in bad:
        return None  # the cell's own problem is already reported
    o = b.origins[k]
    spec = BY_KEY[key]
    if f is None:
        return (o.label, o.row, 0, FieldIssue(f"{o.label} row {o.row}", message))
    try:
        header = o.headers.get(f) or spec.column(f).header
        col = [c.field for c in spec.columns].index(f)
    except KeyError:
        header, col = f, 99
    if rest:
        message = f"{_rest_text(rest)}: {message}"
    return (o.label, o.row, col, FieldIssue(f"{o.label} row {o.row}, {header}", message))


def _rest_text(rest: str) -> str:
    m = re.match(r"^\[(\d+)\](?:\.(\w+))?", rest)
    if m:  # windows[0].start -> "time range 1 start"
        return f"item {int(m.group(1)) + 1}" + (f" {m.group(2)}" if m.group(2) else "")
    return rest.lstrip(".")


# ---------------------------------------------------------------- round -> lists

def _cell(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "tags":
        return cells.write_tags(value) if value else None
    if kind == "windows":
        return cells.write_windows(value)
    if kind == "bool":
        return cells.write_bool(value)
    if kind == "kind":
        return cells.write_kind(value)
    if kind == "float" and isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def round_sheets(rnd: Round | dict) -> list[SheetOut]:
    """A round as sheets 提供方 / 资源清单 / 需求清单 / 参数 (and 锁定 / 禁止 when used)."""
    if not isinstance(rnd, Round):
        rnd = parse_round(rnd)
    data = rnd.model_dump(mode="python")
    sheets = []
    for spec in LISTS:
        items = data.get(spec.key) or []
        if spec in (LOCKED, FORBIDDEN) and not items:
            continue
        rows = [[_cell(c.kind, item.get(c.field)) for c in spec.columns] for item in items]
        sheets.append(SheetOut(spec.title, [c.header for c in spec.columns], rows))
    p = rnd.params
    prow = [[PARAM_HEADERS["name"], rnd.name or ""],
            [PARAM_HEADERS["max_distance_m"], _cell("float", p.max_distance_m)],
            [PARAM_HEADERS["time_limit_s"], _cell("float", p.time_limit_s)],
            [PARAM_HEADERS["solver"], p.solver]]
    for k, w in sorted(p.priority_weights.items()):
        prow.append([PARAM_HEADERS[f"priority_weights.{k}"], w])
    sheets.append(SheetOut(PARAMS_SHEETS[0], ["参数", "值"], prow))
    return sheets


def write_lists(rnd: Round | dict, out: str | Path) -> list[Path]:
    """Write a round as lists: one ``.xlsx`` workbook, or a folder of CSV files. Returns the files written."""
    out = Path(out)
    sheets = round_sheets(rnd)
    if _is_xlsx(out):
        write_xlsx(out, sheets)
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for s in sheets:
        f = out / f"{s.title}.csv"
        write_csv(f, s.headers, s.rows)
        written.append(f)
    return written
