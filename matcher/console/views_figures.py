"""The year's figures and the audit log with the state of its hash chain.

Figures are :func:`matcher.cycle.figures.figures` and ``members`` over the
committee's events (what ``GET /api/v1/figures`` answers); the log is
``store.audit.list_events`` (``GET /api/v1/events``) and its chain is checked by
``store.audit.verify`` (:func:`matcher.cycle.audit.verify_chain`, as
``matcher audit verify`` does).
"""
from __future__ import annotations

from datetime import UTC, datetime

from flask import g, request

from ..cycle import audit as chain
from ..cycle.figures import figures as compute_figures
from ..cycle.figures import members
from ..store import audit, lists
from ..web.helpers import db
from .pages import bp, page

PER_PAGE = 50
RATES = (("coverage", "覆盖率"), ("approval_rate", "通过率"), ("completion_rate", "完成率"),
         ("failure_rate", "未完成率"), ("satisfaction_share_4", "满意度≥4 的比例"), ("reopen_rate", "重新打开率"))
KIND_WORDS = {"created": "新增", "changed": "修改", "withdrawn": "撤回", "solved": "求解完成", "transition": "状态变化"}
SUBJECT_WORDS = {"need": "需求", "resource": "资源", "provider": "提供方", "community": "社区", "round": "轮次",
                 "project": "项目"}


def _year() -> int:
    now = audit.now().year
    try:
        year = int(request.args.get("year", now))
    except ValueError:
        return now
    return year if 2000 <= year <= 9999 else now


def _named(kind: str) -> dict[str, str]:
    return {e["id"]: e.get("name") or e["id"] for e in lists.listing(db(), g.committee_id, kind, {}, 0, None)[0]}


@bp.get("/figures")
def figures():
    year = _year()
    by = "provider" if request.args.get("by") == "provider" else "community"
    start = chain.timestamp(datetime(year, 1, 1, tzinfo=UTC))
    end = chain.timestamp(min(datetime(year + 1, 1, 1, tzinfo=UTC), audit.now()))
    events = audit.all_events(db(), g.committee_id)
    groups = compute_figures(events, start=start, end=end, by=by)
    total = compute_figures(events, start=start, end=end, by=None).get("all")
    names = _named(by)
    behind = members(events, year=year, end=end)
    providers = _named("provider")
    return page("figures.html", year=year, by=by, groups=groups, total=total, names=names, rates=RATES,
                members=sorted(behind.items(), key=lambda kv: (-kv[1]["shortfall"], kv[0])), providers=providers)


def _kind_text(kind: str) -> str:
    subject, _, verb = kind.partition(".")
    return SUBJECT_WORDS.get(subject, subject) + KIND_WORDS.get(verb, verb)


@bp.get("/audit")
def audit_log():
    try:
        number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        number = 1
    flt = audit.EventFilter(request.args.get("kind") or None, request.args.get("subject") or None,
                            request.args.get("actor") or None)
    count, broken = audit.verify(db(), g.committee_id)
    items, total = audit.list_events(db(), g.committee_id, flt, (number - 1) * PER_PAGE, PER_PAGE)
    args = {k: v for k in ("kind", "subject", "actor") if (v := request.args.get(k))}
    return page("audit.html", items=items, total=total, count=count, broken=broken, number=number,
                pages=max(1, -(-total // PER_PAGE)), args=args, kind_text=_kind_text)
