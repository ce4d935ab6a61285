"""``POST /api/v1/lists/import``: the committee's lists from an Excel workbook or a CSV file.

The file comes as the form field ``file`` of a ``multipart/form-data`` body (its name tells
``.xlsx`` from ``.csv`` and, for a CSV file, may name its list: ``需求清单.csv``), or as the
raw body with ``Content-Type`` ``text/csv``, the ``.xlsx`` type or ``application/octet-stream``
(told apart by the file's first bytes); any other type answers
415, a body over ``MATCHER_MAX_BODY_MB`` 413. ``?apply=false`` (the default) answers what
the import would add, change and withdraw; ``?apply=true`` does it, all in one transaction,
and ``&expect=DIGEST`` (the preview's ``digest``) refuses with 409 when the lists changed
since. A file with any bad row answers 422 naming each (sheet, row, id, column) and nothing
changes (:mod:`matcher.store.lists_import`).
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from flask import Blueprint, g, request

from ..errors import ApiError, ConflictError, InputError, SheetReadError
from ..store import lists_import
from ..tabular.entries import read_entry_file
from .helpers import authenticate, current_actor, db, read_body

bp = Blueprint("lists_import", __name__, url_prefix="/api/v1/lists")
bp.before_request(authenticate)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RAW_TYPES = {XLSX: "upload.xlsx", "text/csv": "upload.csv", "application/octet-stream": "upload"}
SUFFIXES = (".xlsx", ".xlsm", ".csv")
DIGEST = re.compile(r"^[0-9a-f]{64}$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def _flag(name: str) -> bool:
    raw = request.args.get(name, "false").strip().lower()
    if raw not in ("true", "false", "1", "0"):
        raise ApiError(400, "Bad Request", f"query parameter {name!r} must be true or false")
    return raw in ("true", "1")


def _file_name(given: str, data: bytes) -> str:
    """A safe local name for an uploaded file, keeping its name (需求清单.csv) and giving it a suffix."""
    name = _UNSAFE.sub("_", Path((given or "").replace("\\", "/")).name).strip(" .")[:60] or "upload"
    if name.lower().endswith(SUFFIXES):
        return name
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SheetReadError(f"{name}: an old Excel (.xls) workbook; save it as .xlsx or .csv")
    return name + (".xlsx" if data.startswith(b"PK\x03\x04") else ".csv")


def _upload() -> tuple[str, bytes]:
    """The uploaded file's name and bytes (400 no file, 413 too large, 415 another type)."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ApiError(400, "Bad Request", "send the workbook or CSV file as the form field 'file'")
        data = upload.read()
        return _file_name(upload.filename or "", data), data
    if request.mimetype in RAW_TYPES:
        data = read_body()
        return _file_name(RAW_TYPES[request.mimetype], data), data
    raise ApiError(415, "Unsupported Media Type", "send the file as multipart/form-data (field 'file'), or the "
                   f"raw body with Content-Type text/csv, {XLSX} or application/octet-stream")


def _refused(exc: InputError, name: str) -> ApiError:
    errors = [p.to_dict() for p in exc.problems]
    if isinstance(exc, ConflictError):
        return ApiError(409, "Conflict", "the lists changed since the preview; nothing was changed", errors)
    return ApiError(422, "cannot import the lists", f"{len(errors)} problem(s) in {name}; nothing was changed",
                    errors)


def _plan(name: str, data: bytes, apply: bool, expect: str | None) -> lists_import.ImportPlan:
    with tempfile.TemporaryDirectory(prefix="matcher-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        file = read_entry_file(path)
        if apply:
            return lists_import.apply(db(), g.committee_id, current_actor(), file, expect)
        return lists_import.preview(db(), g.committee_id, file)


@bp.post("/import")
def import_lists():
    apply = _flag("apply")
    expect = request.args.get("expect")
    if expect is not None and not DIGEST.match(expect):
        raise ApiError(400, "Bad Request", "query parameter 'expect' must be a preview's digest (64 hex digits)")
    name = "the upload"
    try:
        name, data = _upload()
        return _plan(name, data, apply, expect).as_dict()
    except InputError as exc:
        raise _refused(exc, name) from None
