"""Compare two rounds, the projects board with the lifecycle's moves, and the residents' feedback.

The board reads ``store.cycle.list_projects`` (``GET /api/v1/projects``);
decisions go through ``store.cycle.decide`` (``POST /api/v1/rounds/{id}/decisions``),
service and feedback events through ``store.cycle.record``
(``POST /api/v1/projects/{id}/events``): the moves of ``CYCLE.md`` and nothing
else (a move not in the table is refused with 409 and changes nothing).
"""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for

from .. import i18n
from ..cycle import lifecycle as lc
from ..errors import FieldIssue, InputError
from ..store import cycle, lists, repo
from ..web.helpers import current_actor, db, owned
from . import roundview as rv
from .compare import compare as compare_rounds
from .forms import optional_text
from .pages import LANG, bp, page

BOARD_ORDER = (lc.PROPOSED, lc.HELD, lc.APPROVED, lc.IN_SERVICE, lc.DONE, lc.CONFIRMED, lc.REOPENED, lc.REJECTED,
               lc.CANCELLED, lc.FAILED)
# the moves each column offers: (to, button text, needs a reason)
MOVES = {lc.PROPOSED: ((lc.APPROVED, "通过", False), (lc.HELD, "暂缓", False), (lc.REJECTED, "不通过", True)),
         lc.HELD: ((lc.APPROVED, "通过", False), (lc.REJECTED, "不通过", True)),
         lc.APPROVED: ((lc.IN_SERVICE, "开始实施", False), (lc.CANCELLED, "取消", False)),
         lc.IN_SERVICE: ((lc.DONE, "已完成", False), (lc.FAILED, "未完成", True))}


@bp.get("/compare")
def compare():
    solved = [r for r in repo.list_rounds(db(), g.committee_id, 0, 200)[0] if r.status in rv.SOLVED]
    a_id, b_id = request.args.get("a"), request.args.get("b")
    if not a_id or not b_id:
        return page("compare.html", rounds=solved, a=None, b=None, result=None)
    a, b = rv.Stored.of(owned(a_id)), rv.Stored.of(owned(b_id))
    if not (a.solved and b.solved):
        raise InputError([FieldIssue("a" if not a.solved else "b", "the round has no result to compare")])
    status = {p.project_id: p.status for p in repo.list_projects(db(), a.row.id, {})}
    result = compare_rounds(a.output, b.output, rv.Names.merged(a.input, b.input), status)
    return page("compare.html", rounds=solved, a=a.row, b=b.row, result=result)


def _names() -> tuple[dict[str, str], dict[str, str]]:
    def named(kind: str) -> dict[str, str]:
        return {e["id"]: e.get("name") or e["id"] for e in lists.listing(db(), g.committee_id, kind, {}, 0, None)[0]}

    return named("community"), named("provider")


@bp.get("/projects")
def board():
    filters = {}
    for arg, col in (("round", "round_id"), ("community", "community_id"), ("provider", "provider_id")):
        if request.args.get(arg):
            filters[col] = request.args[arg]
    items, _total = cycle.list_projects(db(), g.committee_id, filters, 0, None)
    columns = {s: [] for s in BOARD_ORDER}
    for p in items:
        columns[p["status"]].append(p)
    communities, providers = _names()
    rounds = repo.list_rounds(db(), g.committee_id, 0, 100)[0]
    return page("board.html", columns=columns, moves=MOVES, communities=communities, providers=providers,
                rounds=rounds, filters=request.args, total=len(items))


def _back() -> str:
    return url_for("console.board", **{k: v for k, v in request.args.items() if k in ("round", "community")})


@bp.post("/projects/<path:project_id>/decide")
def board_decide(project_id: str):
    round_id, _, local = project_id.rpartition(".")
    row = owned(round_id)
    item = {"project_id": local, "to": request.form.get("to", "")}
    reason = optional_text(request.form.get("reason"))
    if reason:
        item["reason"] = reason
    return _run(lambda: cycle.decide(db(), g.committee_id, current_actor(), row.id, [item])[0])


def _event_body(form) -> dict:
    if form.get("resolved") in ("yes", "no"):
        body: dict = {"resolved": form["resolved"] == "yes"}
        if form.get("satisfaction"):
            try:
                body["satisfaction"] = int(form["satisfaction"])
            except ValueError:
                raise InputError([FieldIssue("satisfaction", "must be an integer from 1 to 5")]) from None
        if optional_text(form.get("comment")):
            body["comment"] = optional_text(form.get("comment"))
        return body
    body = {"to": form.get("to", "")}
    if optional_text(form.get("reason")):
        body["reason"] = optional_text(form.get("reason"))
    return body


@bp.post("/projects/<path:project_id>/events")
def project_event(project_id: str):
    body = _event_body(request.form)
    return _run(lambda: cycle.record(db(), g.committee_id, current_actor(), project_id, body))


def _run(action):
    """Do one lifecycle move; refused moves are told in Chinese on the board, nothing changed."""
    try:
        done = action()
    except InputError as exc:  # 422 malformed, 409 not in the table (ConflictError)
        for p in exc.problems:
            flash(f"{p.path.split('.')[-1]}：{i18n.message(p.message, LANG)}", "error")
        return redirect(_back())
    text = f"{done['project_id']}：{i18n.project_status(done['status'], LANG)}"
    if done.get("reopened_need"):
        text += f"；未解决的数量作为新需求 {done['reopened_need']['id']} 回到需求清单"
    flash(text)
    return redirect(_back())
