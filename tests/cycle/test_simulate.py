"""The year simulation end to end, through the real API and store (SQLite file per run).

A small variant of the shipped district (3 rounds) runs in the quick tier; the shipped
scenario's full year (12 rounds) is the slow test. On every run:

(a) every reopened project's units come back as a need (``origin_project_id``) of the next round;
(b) every figure ``GET /figures`` answered equals a recount from ``GET /events`` written here;
(c) each round's ``locked`` / ``forbidden`` / ``previous`` and need quantities equal a recount
    (as ``CYCLE.md`` says) from the projects and lists API, read just before the round was posted;
(d) one seed gives one year: the CLI (queued rounds, worker in-process) repeats the figures.
"""
from __future__ import annotations

import copy
import json
import os
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import main
from matcher.cli.simulate import DEFAULT_SCENARIO, HEADER, client_call, line
from matcher.cycle.drive import Driver
from matcher.cycle.simulate import Engine, parse_scenario
from matcher.errors import InputError
from matcher.store import repo
from matcher.worker import Worker, WorkerSettings

SEED = 7
EPOCH = "1970-01-01T00:00:00.000000Z"
LOCKING = {"approved", "in_service"}
COMMITTED = {"approved", "in_service", "done", "confirmed", "reopened"}
FOR_YEAR = COMMITTED
PG_URL = os.environ.get("MATCHER_TEST_POSTGRES_URL", "")


def sqlite(folder: Path) -> str:
    return f"sqlite:///{folder / 'sim.sqlite'}"


def shipped() -> dict:
    return json.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))


def small() -> dict:
    """The shipped district, smaller and quicker: fewer members and needs, the same rates,
    more reopenings (so that three rounds see some)."""
    data = shipped()
    data["members"]["initial"] = 8
    data["needs"]["initial"] = 14
    data["monthly"]["new_needs"] = [4, 6]
    data["lifecycle"]["reopen_rate"] = 0.4
    data["params"]["time_limit_s"] = 10
    return data


# --- running a year with a look before every round ------------------------------------------

class Run:
    """A simulated year on a fresh database, with what the API showed just before each round."""

    def __init__(self, url: str, data: dict, rounds: int, seed: int = SEED):
        from api import create_app

        self.app = create_app({"DATABASE_URL": url, "RUN_WORKER": False})
        committee = f"模拟街道 {uuid.uuid4().hex[:8]}"  # a new committee, also on a shared PostgreSQL database
        token = repo.create_token(self.app.extensions["matcher_db"], committee, actor="simulation")
        self.call = client_call(self.app.test_client(), token)
        scenario = parse_scenario(data)
        worker = Worker(self.app.extensions["matcher_db"], WorkerSettings.from_config(self.app.config))
        # a round over the inline budget (a busy machine) is queued: the worker solves it
        self.driver = Driver(self.call, scenario, Engine(scenario, seed), run_worker=worker.run_once,
                             before_solve=self.look)
        self.before: list[dict] = []
        self.months = self.driver.run(rounds)
        self.events = self.get_all("/api/v1/events")
        self.docs = [self.get(f"/api/v1/rounds/{rid}/input") for rid in self.driver.round_ids]

    def get(self, path: str, **query) -> dict:
        status, body = self.call("GET", path, None, query, None)
        assert status == 200, (path, body)
        return body

    def get_all(self, path: str, **query) -> list[dict]:
        return self.driver.pages(path, query)

    def look(self, month) -> None:
        self.before.append({
            "projects": self.get_all("/api/v1/projects"),
            "needs": self.get_all("/api/v1/lists/needs", status="active"),
            "resources": self.get_all("/api/v1/lists/resources", status="active"),
            "latest": self.driver.round_ids[-1] if self.driver.round_ids else None})

    def close(self) -> None:
        self.app.extensions["matcher_db"].dispose()


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    run = Run(sqlite(tmp_path_factory.mktemp("quick")), small(), rounds=3)
    yield run
    run.close()


# --- (a) reopened units come back -----------------------------------------------------------

def check_reopened_units_return(run: Run) -> int:
    """Every project reopened before a later round: its need (origin_project_id) is in that round
    with the project's units, category and community. Returns how many were checked."""
    solved_seq = {e["subject"]: e["seq"] for e in run.events if e["kind"] == "round.solved"}
    needs = run.get_all("/api/v1/lists/needs")
    checked = 0
    for e in run.events:
        if e["kind"] != "project.transition" or e["after"]["status"] != "reopened":
            continue
        later = [k for k, rid in enumerate(run.driver.round_ids) if solved_seq[rid] > e["seq"]]
        if not later:
            continue  # reopened after the last round
        project = run.get(f"/api/v1/projects/{e['subject']}")
        (need,) = [n for n in needs if n["origin_project_id"] == project["id"]]
        in_doc = {n["id"]: n for n in run.docs[later[0]]["needs"]}
        assert need["id"] in in_doc, (project["id"], later[0] + 1)
        got = in_doc[need["id"]]
        assert got["quantity"] == project["quantity"]
        assert (got["category"], got["community_id"]) == (project["category"], project["community_id"])
        checked += 1
    return checked


def test_every_reopened_unit_is_a_need_of_the_next_round(quick):
    assert check_reopened_units_return(quick) >= 1


# --- (b) figures recounted from the log ------------------------------------------------------

def _replay(events: list[dict], end: str):
    projects: dict[str, dict] = {}
    needs, providers = [], {}
    for e in (e for e in events if e["at"] < end):
        if e["kind"] == "need.created":
            needs.append((e["at"], e["after"]))
        elif e["kind"] in ("provider.created", "provider.changed"):
            providers[e["subject"]] = e["after"]
        elif e["kind"] == "provider.withdrawn":
            providers.pop(e["subject"], None)
        elif e["kind"] == "round.solved":
            for p in e["after"]["projects"]:
                projects[p["project_id"]] = {**p, "solved_at": e["at"], "status": "proposed", "moves": []}
        elif e["kind"] == "project.transition":
            p = projects[e["subject"]]
            p["status"] = e["after"]["status"]
            p["moves"].append((e["at"], e["after"]["status"], e["after"].get("satisfaction")))
    return projects, needs, providers


def _when(p: dict, *statuses: str):
    return next(((at, to) for at, to, _ in p["moves"] if to in statuses), (None, None))


def _ratio(part, whole):
    return part / whole if whole else None


def _seconds(a: str, b: str) -> float:
    t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (t(a) - t(b)).total_seconds()


def _group_figures(projects: list[dict], needs: list[dict], start: str, end: str) -> dict:
    inside = lambda at: at is not None and start <= at < end  # noqa: E731
    decided = [(p, *_when(p, "approved", "rejected")) for p in projects]
    decided = [(p, at, to) for p, at, to in decided if inside(at)]
    approved = [p for p in projects if inside(_when(p, "approved")[0])]
    done = [p for p in projects if inside(_when(p, "done")[0])]
    rated = []
    for p in projects:
        given = [s for at, _, s in p["moves"] if s is not None and inside(at)]
        if given:
            rated.append(given[-1])
    demanded = sum(n["quantity"] for n in needs)
    served = sum(p["quantity"] for p in done)
    return {
        "needs_posted": len(needs), "units_demanded": demanded, "units_served": served,
        "response_time_s": (sum(_seconds(at, p["solved_at"]) for p, at, _ in decided) / len(decided)
                            if decided else None),
        "approval_rate": _ratio(sum(to == "approved" for _, _, to in decided), len(decided)),
        "completion_rate": _ratio(sum(_when(p, "done")[0] is not None for p in approved), len(approved)),
        "failure_rate": _ratio(sum(_when(p, "failed")[0] is not None for p in approved), len(approved)),
        "satisfaction_mean": sum(rated) / len(rated) if rated else None,
        "satisfaction_share_4": _ratio(sum(s >= 4 for s in rated), len(rated)),
        "reopen_rate": _ratio(sum(_when(p, "reopened")[0] is not None for p in done), len(done)),
        "coverage": _ratio(served, demanded),
    }


def recount(events: list[dict], start: str, end: str, by: str | None = None) -> dict:
    projects, needs, _ = _replay(events, end)
    key = (lambda x: "all") if by is None else (lambda x: x.get(f"{by}_id"))
    groups: dict = {}
    for p in projects.values():
        groups.setdefault(key(p), ([], []))[0].append(p)
    for at, n in needs:
        if at >= start and by != "provider":
            groups.setdefault(key(n), ([], []))[1].append(n)
    return {g: _group_figures(ps, ns, start, end) for g, (ps, ns) in groups.items()}


def recount_members(events: list[dict], end: str) -> dict:
    projects, _, providers = _replay(events, end)
    year = end[:4]
    out = {}
    for pid, prov in providers.items():
        if prov.get("min_projects_year") is None:
            continue
        n = sum(1 for p in projects.values() if p["provider_id"] == pid and p["solved_at"][:4] == year
                and p["status"] in FOR_YEAR)
        out[pid] = {"projects": n, "min_projects_year": prov["min_projects_year"],
                    "shortfall": max(0, prov["min_projects_year"] - n)}
    return out


def same(api: dict, mine: dict) -> None:
    assert set(api) == set(mine)
    for group, row in api.items():
        assert set(row) == set(mine[group]), group
        for name, value in row.items():
            if name == "response_time_s" and value is not None:
                assert value == pytest.approx(mine[group][name], rel=1e-9), (group, name)
            else:
                assert value == mine[group][name], (group, name, value, mine[group][name])


def check_figures(run: Run) -> None:
    for m in run.months:
        same({"all": m.to_date} if m.to_date else {}, recount(run.events, EPOCH, m.window["to"]))
        same({"all": m.month} if m.month else {}, recount(run.events, m.window["from"], m.window["to"]))
        assert m.members == recount_members(run.events, m.window["to"])
    end = run.months[-1].window["to"]
    for by in ("community", "provider"):
        api = run.get("/api/v1/figures", by=by, to=end)
        same(api["groups"], recount(run.events, api["from"], end, by))


def test_every_figure_is_a_recount_of_the_event_log(quick):
    check_figures(quick)
    assert quick.months[-1].to_date["units_served"] > 0 and quick.months[-1].to_date["approval_rate"] < 1


# --- (c) locks, bans, previous ---------------------------------------------------------------

def expected_document(before: dict) -> dict:
    """locked / forbidden / previous / need quantities of the next round, by CYCLE.md, from the
    projects and the active lists."""
    needs = {n["id"]: n for n in before["needs"]}
    resources = {r["id"] for r in before["resources"]}
    projects = before["projects"]
    locked: dict = {}
    for p in projects:
        if p["status"] in LOCKING and p["need_id"] in needs and p["resource_id"] in resources:
            pair = (p["need_id"], p["resource_id"])
            locked[pair] = locked.get(pair, 0) + p["quantity"]
    quantity = {}
    for nid, n in needs.items():
        committed = sum(p["quantity"] for p in projects if p["need_id"] == nid and p["status"] in COMMITTED)
        quantity[nid] = max(0, n["quantity"] - committed) + sum(q for (n_, _), q in locked.items() if n_ == nid)
    entering = {nid for nid, q in quantity.items() if q > 0}
    last: dict = {}
    for p in sorted((p for p in projects if p["decided_at"]), key=lambda p: p["decided_at"]):
        last[(p["need_id"], p["resource_id"])] = p["status"]
    forbidden = {pair for pair, status in last.items() if status == "rejected" and pair not in locked
                 and pair[0] in entering and pair[1] in resources}
    previous = {(p["need_id"], p["resource_id"]): p["quantity"] for p in projects
                if p["round_id"] == before["latest"] and p["status"] in ("proposed", "held")
                and p["need_id"] in entering and p["resource_id"] in resources}
    return {"locked": locked, "forbidden": forbidden, "previous": previous,
            "quantity": {nid: q for nid, q in quantity.items() if q > 0}}


def check_locks_and_bans(run: Run) -> dict:
    seen = {"locked": 0, "forbidden": 0, "previous": 0}
    for before, doc in zip(run.before, run.docs, strict=True):
        want = expected_document(before)
        assert {(x["need_id"], x["resource_id"]): x["quantity"] for x in doc["locked"]} == want["locked"]
        assert {(x["need_id"], x["resource_id"]) for x in doc["forbidden"]} == want["forbidden"]
        assert {(x["need_id"], x["resource_id"]): x["quantity"] for x in doc.get("previous", [])} == want["previous"]
        assert doc.get("previous", None) != []  # no empty plan (it would switch the churn level on)
        assert {n["id"]: n["quantity"] for n in doc["needs"]} == want["quantity"]
        for key in seen:
            seen[key] += len(want[key])
    return seen


def test_locks_bans_and_previous_are_those_of_the_cycle(quick):
    seen = check_locks_and_bans(quick)
    assert all(seen.values()), seen  # each rule had something to say
    assert all(m.status == "optimal" for m in quick.months)


# --- (d) one seed, one year; the command -------------------------------------------------------

def _stable(month: dict) -> dict:
    out = {k: v for k, v in month.items() if k not in ("round_id", "window")}
    for part in ("month", "to_date"):
        out[part] = {k: v for k, v in out[part].items() if k != "response_time_s"}
    return out


def test_the_same_seed_gives_the_same_year_through_the_command(quick, tmp_path):
    scenario = tmp_path / "small.json"
    scenario.write_text(json.dumps(small(), ensure_ascii=False), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    r = CliRunner().invoke(main, ["simulate", "--rounds", "2", "--seed", str(SEED), "--scenario", str(scenario),
                                  "--database-url", url, "--json", "--queued"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [m["round"] for m in out["rounds"]] == [1, 2] and out["seed"] == SEED
    assert [_stable(m) for m in out["rounds"]] == [_stable(m.to_dict()) for m in quick.months[:2]]
    r = CliRunner().invoke(main, ["simulate", "--rounds", "1", "--scenario", str(scenario), "--database-url", url])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [HEADER, line(quick.months[0])]


def test_a_seed_is_one_sequence_of_choices():
    scenario = parse_scenario(shipped())
    first, again, other = (Engine(scenario, s).opening() for s in (SEED, SEED, SEED + 1))
    assert first == again and first != other
    assert len([e for e in first if e.lists == "providers" and e.data["kind"] == "member"]) == 30


def test_a_committee_that_exists_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    r = CliRunner().invoke(main, ["token", "create", "--committee", "旧委员会", "--database-url", url])
    assert r.exit_code == 0
    r = CliRunner().invoke(main, ["simulate", "--rounds", "1", "--committee", "旧委员会", "--database-url", url])
    assert r.exit_code == 2 and "--committee: '旧委员会' already exists" in r.stderr


# --- a scenario that cannot be used --------------------------------------------------------------

def test_a_bad_scenario_names_each_field():
    data = copy.deepcopy(shipped())
    data["monthly"]["new_needs"] = [9, 2]
    data["decisions"]["reject_rate"] = 1.5
    data["units"][0]["community_id"] = "C-NOWHERE"
    data["params"]["time_limit_s"] = -1
    data["members"]["surprise"] = True
    with pytest.raises(InputError) as exc:
        parse_scenario(data)
    paths = {p.path: p.message for p in exc.value.problems}
    assert paths["monthly.new_needs"] == "[9, 2]: the first number must not be above the second"
    assert paths["decisions.reject_rate"] == "must be <= 1.0"
    assert paths["members.surprise"] == "unknown field"
    with pytest.raises(InputError) as exc:  # the references and params once the fields are well-formed
        parse_scenario({**data, "monthly": shipped()["monthly"], "decisions": shipped()["decisions"],
                        "members": shipped()["members"]})
    assert {p.path for p in exc.value.problems} == {"units[0].community_id", "params.time_limit_s"}


def test_the_command_reports_a_bad_scenario_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**shipped(), "lifecycle": {**shipped()["lifecycle"], "passes_per_month": 0}}),
                   encoding="utf-8")
    r = CliRunner().invoke(main, ["simulate", "--scenario", str(bad), "--database-url", f"sqlite:///{tmp_path}/x"])
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [f"error: {bad}: invalid simulation scenario",
                                     "  lifecycle.passes_per_month: must be >= 1"]
    r = CliRunner().invoke(main, ["simulate", "--scenario", str(tmp_path / "none.json")])
    assert r.exit_code == 2 and "no such file" in r.stderr


# --- the shipped year ------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_shipped_district_year(tmp_path):
    run = Run(sqlite(tmp_path), shipped(), rounds=12)
    try:
        assert [m.round for m in run.months] == list(range(1, 13))
        assert all(m.status == "optimal" for m in run.months)
        assert check_reopened_units_return(run) >= 3
        check_figures(run)
        assert all(check_locks_and_bans(run).values())
        first, last = run.months[0], run.months[-1]
        assert last.members_behind < first.members_behind  # members catch up on their yearly minimum
    finally:
        run.close()


@pytest.mark.slow
@pytest.mark.skipif(not PG_URL, reason="set MATCHER_TEST_POSTGRES_URL to a PostgreSQL database")
def test_the_same_year_on_postgresql(quick):
    run = Run(PG_URL, small(), rounds=3)
    try:
        assert [_stable(m.to_dict()) for m in run.months] == [_stable(m.to_dict()) for m in quick.months]
        check_figures(run)
        check_locks_and_bans(run)
        assert check_reopened_units_return(run) >= 1
    finally:
        run.close()


def test_an_unexpected_answer_stops_the_year_naming_the_request():
    from matcher.errors import InternalError

    def call(method, path, body, query, headers):
        return (500, {"detail": "boom"}) if path.endswith("/needs") else (201, {})

    scenario = parse_scenario(shipped())
    with pytest.raises(InternalError) as exc:
        Driver(call, scenario, Engine(scenario, SEED)).open()
    assert str(exc.value) == "simulation: POST /api/v1/lists/needs answered 500: boom"
