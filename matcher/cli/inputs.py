"""Reading the command's input files: rounds, scenario files, result documents.

Every failure is a :class:`~matcher.errors.InputError` (exit code 2); each
reader first names its file with :func:`~matcher.cli.failures.about`, so that
the error line says which file is wrong.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DocumentError, FieldIssue, InputError
from .failures import about

if TYPE_CHECKING:
    from ..results import Result

DEMO_ROUND = Path(__file__).resolve().parents[1] / "data" / "demo_round.json"


def read_input(path: str) -> bytes:
    """Read a file or ``-`` (stdin) as bytes; a missing or unreadable file is a :class:`DocumentError`."""
    about(path)
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        message = "is a directory, not a round file"
    except FileNotFoundError:
        message = "no such file"
    except OSError as exc:
        message = f"cannot read ({exc.strerror or exc})"
    raise DocumentError([FieldIssue("", message)])


def round_input(path: str):
    """The round to solve: the file's bytes, or for a scenario file (one with a
    ``base``) the validated round it describes."""
    data = read_input(path)
    if b'"base"' not in data:
        return data
    from ..validation import decode_json
    from ..whatif.scenario import is_scenario, resolve

    doc = decode_json(data, path)
    if not is_scenario(doc):
        return doc
    base_dir = Path(path).parent if path != "-" else Path.cwd()
    return resolve(doc, base_dir, path)[1]


def load_round(path: str):
    """A validated round from ROUND.json, a workbook (.xlsx) or a folder of CSV lists."""
    from ..tabular import ListSources, read_lists
    from ..validation import parse_round

    about(path)
    p = Path(path)
    if p.is_dir() or p.suffix.lower() in (".xlsx", ".xlsm"):
        return read_lists(ListSources(workbook=p)).round
    return parse_round(read_input(path), source=path)


def load_result(path: str) -> Result:
    """An output document read back from RESULT.json, checked against the output contract."""
    from ..results import as_result
    from ..validation import decode_json

    doc = decode_json(read_input(path), path)
    if not isinstance(doc, dict) or not isinstance(doc.get("projects"), list) or not isinstance(doc.get("unmet"), list):
        raise DocumentError([FieldIssue("", "needs 'projects' and 'unmet' lists")], title="not a result document")
    return as_result(doc)


def check_belongs(result: Result, rnd, result_path: str, round_path: str) -> None:
    """Refuse a result of another round: its ``round_sha256`` differs, or it names ids the round does not have."""
    from ..results import round_digest

    if result.round_sha256 is not None and result.round_sha256 != round_digest(rnd):
        about(result_path)
        raise InputError([FieldIssue("round_sha256", f"the result is of round {result.round_sha256[:12]}…, "
                                     f"{round_path} is round {round_digest(rnd)[:12]}…")],
                         title=f"is not the result of {round_path}")
    needs = {n.id for n in rnd.needs}
    res = {r.id for r in rnd.resources}
    unknown = sorted({p.need_id for p in result.projects if p.need_id not in needs}
                     | {p.resource_id for p in result.projects if p.resource_id not in res}
                     | {u.need_id for u in result.unmet if u.need_id not in needs}, key=str)
    if unknown:
        about(result_path)
        shown = ", ".join(map(str, unknown[:5])) + (" ..." if len(unknown) > 5 else "")
        raise InputError([FieldIssue("", f"unknown ids: {shown}")], title=f"does not belong to round {round_path}")
