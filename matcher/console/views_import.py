"""Upload an Excel / CSV list: see what it would add, change and withdraw (bad rows named), then apply it all.

The page calls what ``POST /api/v1/lists/import`` calls: the file is read by
``matcher.tabular.entries.read_entry_file`` and planned by
``matcher.store.lists_import.preview`` / ``apply``. The preview's ``digest`` goes with the apply form, so a list
changed in between is refused (409) rather than imported blind. The uploaded
file travels back with the apply form (base64 in a hidden field, at most
``MAX_BODY_MB``), so no upload is kept on the server between the two steps.
"""
from __future__ import annotations

import base64
import binascii
import re
import tempfile
from pathlib import Path

from flask import current_app, flash, g, redirect, request, url_for

from .. import i18n
from ..errors import FieldIssue, InputError
from ..store import lists_import
from ..tabular.entries import read_entry_file
from ..web.helpers import current_actor, db
from .pages import LANG, bp, page

SUFFIXES = (".xlsx", ".xlsm", ".csv")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def safe_name(given: str, data: bytes) -> str:
    """A local name for an upload that keeps its own (需求清单.csv names its list) and has a known suffix."""
    name = _UNSAFE.sub("_", Path((given or "").replace("\\", "/")).name).strip(" .")[:60] or "upload"
    if name.lower().endswith(SUFFIXES):
        return name
    return name + (".xlsx" if data.startswith(b"PK\x03\x04") else ".csv")


def _plan(name: str, data: bytes, apply: bool, expect: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="matcher-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        file = read_entry_file(path)
        if apply:
            return lists_import.apply(db(), g.committee_id, current_actor(), file, expect).as_dict()
        return lists_import.preview(db(), g.committee_id, file).as_dict()


def _problems(exc: InputError) -> list[str]:
    return [f"{p.path}：{i18n.message(p.message, LANG)}" if p.path else i18n.message(p.message, LANG)
            for p in exc.problems]


@bp.get("/lists/import")
def import_page():
    return page("import.html", plan=None, problems=[])


@bp.get("/lists/template.xlsx")
def import_template():
    from ..tabular.templates import write_templates
    from .views_rounds import download

    with tempfile.TemporaryDirectory() as folder:
        data = write_templates(folder)[0].read_bytes()
    return download(data, "三单模板.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/lists/import")
def import_preview():
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    if not data:
        return page("import.html", 422, plan=None, problems=["请选择要上传的 Excel 或 CSV 文件"])
    name = safe_name(upload.filename or "", data)
    try:
        plan = _plan(name, data, False, None)
    except InputError as exc:  # bad rows (TableError), an unreadable file (SheetReadError)
        return page("import.html", exc.http_status, plan=None, problems=_problems(exc), name=name)
    plan["notes"] = [i18n.message(n, LANG) for n in plan.get("notes", ())]
    return page("import.html", plan=plan, problems=[], name=name,
                data=base64.b64encode(data).decode("ascii"))


@bp.post("/lists/import/apply")
def import_apply():
    name = safe_name(request.form.get("name", ""), b"")
    try:
        data = base64.b64decode(request.form.get("data", ""), validate=True)
        if not data or len(data) > current_app.config["MAX_CONTENT_LENGTH"]:
            raise InputError([FieldIssue("file", "the uploaded file is missing; upload it again")])
        plan = _plan(name, data, True, request.form.get("expect") or None)
    except binascii.Error:
        return page("import.html", 422, plan=None, problems=["上传的文件已损坏，请重新上传"])
    except InputError as exc:  # 409: the lists changed since the preview
        return page("import.html", exc.http_status, plan=None, problems=_problems(exc), name=name)
    flash(f"已导入 {name}：新增 {len(plan['added'])}，修改 {len(plan['changed'])}，撤回 {len(plan['withdrawn'])}，"
          f"未变 {plan['unchanged']}")
    return redirect(url_for("console.list_page", list_name=plan["kinds"][-1] if plan["kinds"] else "needs"))
