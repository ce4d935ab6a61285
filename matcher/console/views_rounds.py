"""Rounds: the list, a new round from the lists, its progress, its page, decisions and exports.

One contract with the API: a new round is ``intake.from_lists_body`` +
``intake.submit`` (``POST /api/v1/rounds {"from_lists": true}``), decisions are
``store.cycle.decide`` (``POST /api/v1/rounds/{id}/decisions``), the round and
its projects are read as ``GET /api/v1/rounds/{id}`` and ``.../projects`` read
them (``helpers.owned``: another committee's round is a 404), the exports are
``matcher.tabular`` and ``matcher.report``.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from flask import Response, flash, g, redirect, request, url_for

from .. import i18n
from ..errors import ConflictError, FieldIssue, InputError
from ..store import cycle, repo
from ..store.models import STATUSES
from ..web import intake
from ..web.helpers import JsonBody, current_actor, db, owned
from . import roundview as rv
from .pages import LANG, bp, page
from .roundform import read_round_form, round_form_errors

PER_PAGE = 20
DECISIONS = {"approved": "通过", "rejected": "不通过", "held": "暂缓"}
WHY_LIMIT = 200  # unmet rows that get a "why" panel


@bp.get("/rounds")
def rounds():
    try:
        number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        number = 1
    status = request.args.get("status") or None
    status = status if status in STATUSES else None
    rows, total = repo.list_rounds(db(), g.committee_id, (number - 1) * PER_PAGE, PER_PAGE, status)
    items = [{"row": r, **rv.kpi_summary(json.loads(r.output_json) if r.output_json else None)} for r in rows]
    return page("rounds.html", items=items, total=total, number=number, status=status, statuses=STATUSES,
                pages=max(1, -(-total // PER_PAGE)), args={"status": status} if status else {})


@bp.get("/rounds/new")
def new_round():
    return page("round_new.html", values={"walk_unit": "minutes", "mode": "maxmin", "ratio": "0.9"}, errors={})


@bp.post("/rounds/new")
def create_round():
    body, problems = read_round_form(request.form)
    try:
        if problems:
            raise InputError(problems)
        text = json.dumps(body, ensure_ascii=False)
        built = intake.from_lists_body(g.committee_id, JsonBody(text, body, len(text.encode("utf-8"))))
        background = request.form.get("background") == "on"
        row, _document, _created = intake.submit(g.committee_id, built, None, background, from_lists=True)
    except InputError as exc:
        return page("round_new.html", exc.http_status, values=dict(request.form),
                    errors=round_form_errors(exc.problems, LANG))
    return redirect(url_for("console.round_page", round_id=row.id))


@bp.get("/rounds/<round_id>/status.json")
def round_status(round_id: str):
    """The round's status for the progress script (what ``GET /api/v1/rounds/{id}`` says of it)."""
    row = owned(round_id)
    return {"id": row.id, "status": row.status, "status_text": i18n.round_status(row.status, LANG),
            "finished": row.status in rv.FINISHED, "message": row.message}


def _why(stored: rv.Stored, unmet: list[dict]) -> dict[str, list]:
    from ..tables import build_tables
    from ..validation import parse_round
    from .why import nearby

    tables = build_tables(parse_round(stored.input))
    return {u["need_id"]: nearby(tables, u["need_id"], stored.output["projects"]) for u in unmet[:WHY_LIMIT]}


@bp.get("/rounds/<round_id>")
def round_page(round_id: str):
    stored = rv.Stored.of(owned(round_id))
    if stored.row.status not in rv.FINISHED:
        return page("round_progress.html", row=stored.row)
    if not stored.solved:
        return page("round_failed.html", row=stored.row)
    from ..report import render_map
    from ..validation import parse_round

    names = rv.Names.of(stored.input)
    bars, minimum, fairness = rv.coverage_bars(stored.output, names)
    unmet = rv.unmet_rows(stored.output, names)
    projects = rv.project_rows(stored, repo.list_projects(db(), stored.row.id, {}), names)
    cards = rv.cards(stored.output, bool(stored.input.get("previous")))
    return page("round.html", row=stored.row, output=stored.output, cards=cards, bars=bars,
                minimum=minimum, fairness=fairness, projects=projects, unmet=unmet, why=_why(stored, unmet),
                map_svg=render_map(parse_round(stored.input), stored.output), decisions=DECISIONS,
                params=stored.input.get("params") or {})


def _decision_items(form) -> list[dict]:
    to, reason = form.get("to", ""), (form.get("reason") or "").strip()
    extra = {"reason": reason} if reason else {}
    return [{"project_id": pid, "to": to, **extra} for pid in form.getlist("project_id")]


@bp.post("/rounds/<round_id>/decisions")
def decide(round_id: str):
    row = owned(round_id)
    items = _decision_items(request.form)
    target = url_for("console.round_page", round_id=row.id) + "#projects"
    if not items:
        flash("请先勾选要决定的项目", "error")
        return redirect(target)
    try:
        done = cycle.decide(db(), g.committee_id, current_actor(), row.id, items)
    except InputError as exc:  # 422 malformed (a rejection without a reason), 409 a move not allowed
        for p in exc.problems:
            flash(f"{p.path.split('.')[0]}：{i18n.message(p.message, LANG)}", "error")
        return redirect(target)
    word = DECISIONS.get(items[0]["to"], items[0]["to"])
    flash(f"已{word} {len(done)} 个项目：" + "、".join(p["project_id"] for p in done))
    return redirect(target)


def _solved(round_id: str) -> rv.Stored:
    stored = rv.Stored.of(owned(round_id))
    if not stored.solved:
        raise ConflictError([FieldIssue("status", f"the round is {stored.row.status}: it has no result")])
    return stored


@bp.get("/rounds/<round_id>/projects.xlsx")
def export_projects(round_id: str):
    from ..tabular.export import write_result
    from ..validation import parse_round

    stored = _solved(round_id)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "项目清单.xlsx"
        write_result(stored.output, out, parse_round(stored.input))
        data = out.read_bytes()
    return download(data, "项目清单.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/rounds/<round_id>/report.html")
def export_report(round_id: str):
    from ..report import render_report
    from ..validation import parse_round

    stored = _solved(round_id)
    html = render_report(parse_round(stored.input), stored.output, title=stored.row.name)
    return download(html.encode("utf-8"), "报告.html", "text/html; charset=utf-8")


def download(data: bytes, filename: str, mimetype: str) -> Response:
    from urllib.parse import quote

    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return resp
