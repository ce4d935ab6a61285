"""The tenant matrix of the console, generated from the URL map: every console route taking a round,
project or list entry id answers 404 to another committee's signed-in session, for every method,
and changes nothing."""
from __future__ import annotations

import json

from consolehelpers import committee_id, seed_lists
from matcher.store import audit, repo

ID_ARGS = {"round_id", "project_id", "entry_id"}


def id_routes(app) -> list[tuple[str, str]]:
    return [(rule.rule, method) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("console.") and ID_ARGS & set(rule.arguments)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def _url(rule: str, rid: str, pid: str) -> str:
    return (rule.replace("<round_id>", rid).replace("<path:project_id>", pid).replace("<list_name>", "needs")
            .replace("<path:entry_id>", "N-001"))


def _state(db, cid: str, rid: str) -> str:
    row = repo.get_round(db, cid, rid)
    projects = [(p.project_id, p.status) for p in repo.list_projects(db, rid, {})]
    return json.dumps([row.status, projects, audit.list_events(db, cid, audit.EventFilter())[1]])


def test_another_committee_gets_404_on_every_console_id_route(app, console, other_console, db):
    cid = committee_id(db)
    seed_lists(db, cid)
    console.get("/console/rounds/new")
    rid = console.post("/console/rounds/new", {"walk": "1500", "walk_unit": "metres"}).headers["Location"].rsplit("/", 1)[-1]
    pid = f"{rid}.{repo.list_projects(db, rid, {})[0].project_id}"
    matrix = id_routes(app)
    assert ("/console/rounds/<round_id>/decisions", "POST") in matrix
    assert ("/console/projects/<path:project_id>/events", "POST") in matrix
    assert ("/console/lists/<list_name>/<path:entry_id>/withdraw", "POST") in matrix
    before = _state(db, cid, rid)
    other_console.get("/console/")
    for rule, method in matrix:
        url = _url(rule, rid, pid)
        form = {"to": "approved", "project_id": pid.rsplit(".", 1)[1], "quantity": "1"} if method == "POST" else None
        r = other_console.post(url, form) if method == "POST" else other_console.get(url)
        assert r.status_code == 404, (rule, method, r.status_code)
        assert rid not in r.get_data(as_text=True)
        if method == "GET":  # the owner reaches the same route
            assert console.get(url).status_code == 200, (rule, method)
    assert _state(db, cid, rid) == before, "another committee's requests changed something"
