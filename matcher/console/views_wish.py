"""The new micro-wish page: a need's form, the ranked best fits in a solved round, and applying one (:mod:`.wish`)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for

from ..errors import FieldIssue, InputError
from ..store import repo
from ..web.helpers import current_actor, db, owned
from . import forms
from . import roundview as rv
from . import wish as engine
from .pages import LANG, bp, page

FIELDS = tuple(f for f in forms.FIELDS["need"] if f.name not in ("rounds_unmet",))


def _optimal_rounds() -> list:
    return [r for r in repo.list_rounds(db(), g.committee_id, 0, 100)[0] if r.status == "optimal"]


def _form(values: dict, errors: dict, status: int = 200, **extra):
    from .views_lists import entries

    choices = forms.choice_lists([], entries("community", {"status": "active"}))
    return page("wish.html", status, fields=FIELDS, values=values, errors=errors, choices=choices,
                rounds=_optimal_rounds(), form_level=errors.get(forms.FORM_LEVEL, []), **extra)


def _need(form) -> dict:
    need, problems = forms.read_form("need", form)
    if problems:
        raise InputError(problems)
    return need


def _errors(exc: InputError) -> dict:
    problems = [FieldIssue(p.path.removeprefix("need.").removeprefix("need"), p.message) for p in exc.problems]
    return forms.errors_by_field("need", problems, LANG)


@bp.get("/wish")
def wish():
    rounds = _optimal_rounds()
    chosen = request.args.get("round") or (rounds[0].id if rounds else "")
    return _form({"round": chosen, "category": "micro_wish", "quantity": "1"}, {})


@bp.post("/wish")
def wish_ask():
    values = dict(request.form)
    try:
        stored = rv.Stored.of(owned(request.form.get("round", "")))
        need = _need(request.form)
        answer = engine.ask(stored, need)
    except InputError as exc:  # ConflictError too: the round is not optimal
        return _form(values, _errors(exc), exc.http_status)
    names = rv.Names.of(stored.input)
    return _form(values, {}, answer=answer, names=names, round_row=stored.row)


@bp.post("/wish/apply")
def wish_apply():
    values = dict(request.form)
    try:
        stored = rv.Stored.of(owned(request.form.get("round", "")))
        need = _need(request.form)
        rank = int(request.form.get("option", "0"))
        entry, _event = engine.apply(db(), g.committee_id, current_actor(), stored, need, rank)
    except ValueError:
        return _form(values, {forms.FORM_LEVEL: ["请选择一个方案"]}, 422)
    except InputError as exc:
        return _form(values, _errors(exc), exc.http_status)
    flash(f"已把新微心愿 {entry['id']} 加入需求清单，采用方案 {rank}；下一轮按清单匹配时会纳入。")
    return redirect(url_for("console.list_page", list_name="needs", q=entry["id"]))
