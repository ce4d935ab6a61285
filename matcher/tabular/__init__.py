"""Tabular lists: providers, resources and needs from CSV / XLSX, project lists out.

* :func:`read_lists` - lists (Chinese or English headers) -> validated round, or a
  :class:`TableError` naming file, row and column for every problem;
* :func:`write_lists` - a round back to lists (a workbook or a folder of CSV files);
* :func:`write_result` - the project list, the unmet list and the KPIs to XLSX / CSV.
"""
from .cells import escape_formula, read_windows, write_windows
from .export import project_table, read_table_dicts, unmet_table, write_result
from .lists import ImportedRound, ListSources, TableError, read_lists, round_sheets, write_lists
from .sheets import SheetReadError

__all__ = [
    "ImportedRound", "ListSources", "SheetReadError", "TableError", "escape_formula", "project_table",
    "read_lists", "read_table_dicts", "read_windows", "round_sheets", "unmet_table", "write_lists",
    "write_result", "write_windows",
]
