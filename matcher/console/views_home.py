"""Sign-in, sign-out and the home page (the committee at a glance)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for

from ..cycle import lifecycle as lc
from ..store import cycle, lists, repo
from ..web.helpers import db
from . import auth
from .pages import bp, page, t


@bp.get("/signin")
def signin_form():
    note = t("signin.ended") if request.args.get("ended") else None
    return page("signin.html", note=note)


@bp.post("/signin")
def signin():
    if not auth.sign_in(request.form.get("token", "")):
        return page("signin.html", 401, error=t("signin.bad"))
    return redirect(url_for("console.home"))


@bp.post("/signout")
def signout():
    auth.sign_out()
    flash(t("signout.done"))
    return redirect(url_for("console.signin_form"))


@bp.get("/")
def home():
    counts = {name: lists.listing(db(), g.committee_id, kind, {"status": "active"}, 0, 1)[1]
              for name, kind in lists.PLURALS.items()}
    rounds, total_rounds = repo.list_rounds(db(), g.committee_id, 0, 5)
    by_status = {s: cycle.list_projects(db(), g.committee_id, {"status": s}, 0, 1)[1] for s in lc.STATUSES}
    return page("home.html", counts=counts, rounds=rounds, total_rounds=total_rounds, by_status=by_status)


@bp.route("/<path:rest>", methods=["GET", "POST"])
def unknown(rest: str):
    abort(404)
