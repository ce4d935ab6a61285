"""The lists pages (资源清单 / 需求清单 / 社区 / 提供方): tables with filters and search; add, change, withdraw.

Each action calls the function the API view calls (:mod:`matcher.store.lists`):
``listing`` (``GET /api/v1/lists/{list}``), ``create`` (``POST``), ``change``
(``PATCH .../{id}``), ``withdraw`` (``POST .../{id}/withdraw``), so an entry
is checked by the same rules and written with the same audit event.
"""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for

from ..errors import FieldIssue, InputError, NotFound
from ..store import lists
from ..web.helpers import current_actor, db
from . import forms
from .pages import LANG, bp, page

PER_PAGE = 25
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "community": (("id", "编号"), ("name", "名称"), ("lat", "纬度"), ("lon", "经度")),
    "provider": (("id", "编号"), ("name", "名称"), ("kind", "类型"), ("max_projects", "最多项目数"),
                 ("community_id", "所属社区"), ("min_projects_year", "年度最少项目数")),
    "resource": (("id", "编号"), ("name", "名称"), ("provider_id", "提供方"), ("category", "类别"),
                 ("capacity", "容量"), ("tags", "技能标签"), ("windows", "服务时段")),
    "need": (("id", "编号"), ("name", "名称"), ("community_id", "社区"), ("category", "类别"),
             ("quantity", "数量"), ("priority", "优先级"), ("all_or_nothing", "整体满足"),
             ("origin_project_id", "来自项目")),
}
STATUS_FILTERS = ("active", "withdrawn", "all")


def kind_of(list_name: str) -> str:
    if list_name not in lists.PLURALS:
        raise NotFound(f"no list {list_name}")
    return lists.PLURALS[list_name]


def entries(kind: str, filters: dict | None = None) -> list[dict]:
    """Every entry of the committee's list ``kind`` matching ``filters`` (the API's listing, unpaged)."""
    return lists.listing(db(), g.committee_id, kind, filters or {}, 0, None)[0]


def _matches(entry: dict, q: str) -> bool:
    hay = " ".join(str(entry.get(k) or "") for k in ("id", "name", "note", "category", "community_id",
                                                    "provider_id")).lower()
    return q.lower() in hay


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.get("/lists/<list_name>")
def list_page(list_name: str):
    kind = kind_of(list_name)
    status = request.args.get("status", "active")
    status = status if status in STATUS_FILTERS else "active"
    category, community = request.args.get("category", ""), request.args.get("community", "")
    q = request.args.get("q", "").strip()
    filters = {} if status == "all" else {"status": status}
    if category:
        filters["category"] = category
    if community:
        filters["community_id"] = community
    found = [e for e in entries(kind, filters) if not q or _matches(e, q)]
    number = _page_number()
    shown = found[(number - 1) * PER_PAGE: number * PER_PAGE]
    everything = entries(kind)
    categories = sorted({e["category"] for e in everything if e.get("category")})
    communities = entries("community") if kind in ("need", "provider") else []
    args = {k: v for k, v in {"status": status, "category": category, "community": community, "q": q}.items() if v}
    return page("lists.html", list_name=list_name, kind=kind, columns=COLUMNS[kind], items=shown, total=len(found),
                number=number, pages=max(1, -(-len(found) // PER_PAGE)), args=args, status=status,
                category=category, community=community, q=q, categories=categories, communities=communities,
                list_names=list(lists.PLURALS))


def _all_problems(kind: str, data: dict, unreadable: list[FieldIssue]) -> list[FieldIssue]:
    """Fields that could not be read, plus the contract's problems of the others (all at once)."""
    bad = {p.path for p in unreadable}
    rest = [p for p in lists.field_problems(kind, data) if p.path.split(".")[0].split("[")[0] not in bad]
    return sorted(unreadable + rest)


def _form_page(list_name: str, kind: str, values: dict, errors: dict, entry: dict | None, status: int = 200):
    choices = forms.choice_lists(entries("provider", {"status": "active"}), entries("community", {"status": "active"}))
    return page("entry_form.html", status, list_name=list_name, kind=kind, fields=forms.FIELDS[kind], values=values,
                errors=errors, entry=entry, choices=choices, form_level=errors.get(forms.FORM_LEVEL, []))


@bp.get("/lists/<list_name>/new")
def new_entry(list_name: str):
    kind = kind_of(list_name)
    return _form_page(list_name, kind, {}, {}, None)


@bp.post("/lists/<list_name>/new")
def create_entry(list_name: str):
    kind = kind_of(list_name)
    data, problems = forms.read_form(kind, request.form)
    try:
        if problems:
            raise InputError(_all_problems(kind, data, problems))
        entry = lists.create(db(), g.committee_id, current_actor(), kind, data)
    except InputError as exc:  # ConflictError too: an id already in the lists
        return _form_page(list_name, kind, dict(request.form), forms.errors_by_field(kind, exc.problems, LANG), None,
                          exc.http_status)
    flash(f"已添加 {entry['id']}")
    return redirect(url_for("console.list_page", list_name=list_name))


@bp.get("/lists/<list_name>/<path:entry_id>/edit")
def edit_entry(list_name: str, entry_id: str):
    kind = kind_of(list_name)
    entry = lists.get(db(), g.committee_id, kind, entry_id)
    return _form_page(list_name, kind, forms.form_values(kind, entry), {}, entry)


@bp.post("/lists/<list_name>/<path:entry_id>/edit")
def change_entry(list_name: str, entry_id: str):
    kind = kind_of(list_name)
    entry = lists.get(db(), g.committee_id, kind, entry_id)
    patch, problems = forms.read_form(kind, request.form, patch=True)
    try:
        if problems:
            merged = {k: v for k, v in {**entry, **patch}.items() if v is not None and k in forms.names(kind)}
            raise InputError(_all_problems(kind, merged, problems))
        lists.change(db(), g.committee_id, current_actor(), kind, entry_id, patch)
    except InputError as exc:
        return _form_page(list_name, kind, {**dict(request.form), "id": entry_id},
                          forms.errors_by_field(kind, exc.problems, LANG), entry, exc.http_status)
    flash(f"已保存 {entry_id}")
    return redirect(url_for("console.list_page", list_name=list_name))


@bp.post("/lists/<list_name>/<path:entry_id>/withdraw")
def withdraw_entry(list_name: str, entry_id: str):
    kind = kind_of(list_name)
    note = forms.optional_text(request.form.get("note"))
    if note is not None and len(note) > 2000:
        raise InputError([FieldIssue("note", "must be at most 2000 characters")])
    lists.withdraw(db(), g.committee_id, current_actor(), kind, entry_id, note)
    flash(f"已撤回 {entry_id}（保留记录，不再进入新的轮次）")
    return redirect(url_for("console.list_page", list_name=list_name))
