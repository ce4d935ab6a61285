"""Run a simulated year (:mod:`matcher.cycle.simulate`) through the committee API, month by month.

The driver only talks HTTP-shaped requests through an injected ``call(method, path, body,
query, headers) -> (status, json)`` (the real views and store, e.g. Flask's test client, or a real
server); it imports no web or store code. A round answered ``202`` (queued) is solved by
``run_worker()`` (the worker's ``run_once``, in-process) until it is finished.

One month (:meth:`Driver.month`), in this order:

1. :meth:`Driver.prepare`: the first lifecycle pass (``POST /projects/{id}/events``), the
   month's list changes (``/lists/...``: create, ``PATCH``, withdraw) with the cancellations
   they bring, and decisions on the previous round's held proposals;
2. :meth:`Driver.solve`: ``POST /rounds {"from_lists": true, "params": ...}``, waiting for
   the result, and ``GET /rounds/{id}/input`` (the document as built);
3. :meth:`Driver.close`: decisions on the round (``POST /rounds/{id}/decisions``), the
   further lifecycle passes of the month, then ``GET /figures`` twice: the year to date
   (``from`` 1970) and the month (``from`` the previous month's ``to``), both with the
   members' yearly participation.

Any answer other than the expected one stops the run with an :class:`InternalError`
naming the request: the simulation only sends requests the cycle must accept.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import InternalError
from . import lifecycle as lc
from .simulate import Engine, ListEdit, ProjectEvent, Scenario, SimProject, round_params

# call(method, path, JSON body or None, query or None, extra headers or None) -> (HTTP status, decoded JSON)
Call = Callable[[str, str, Optional[Any], Optional[Mapping[str, Any]], Optional[Mapping[str, str]]], tuple[int, Any]]
MAX_PER_PAGE = 100
SOLVED = ("optimal", "feasible")
FIGURES = ("needs_posted", "units_demanded", "units_served", "coverage", "approval_rate", "completion_rate",
           "failure_rate", "reopen_rate", "satisfaction_mean", "satisfaction_share_4", "response_time_s")


@dataclass
class Month:
    """What happened in one simulated month (the per-round figures of ``matcher simulate``)."""

    round: int
    round_id: str = ""
    status: str = ""
    document: dict = field(default_factory=dict)
    projects: int = 0
    decisions: dict = field(default_factory=dict)
    moves: dict = field(default_factory=dict)
    edits: dict = field(default_factory=dict)
    window: dict = field(default_factory=dict)
    month: dict = field(default_factory=dict)
    to_date: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)

    @property
    def members_behind(self) -> int:
        return sum(1 for m in self.members.values() if m["shortfall"] > 0)

    def to_dict(self) -> dict:
        return {"round": self.round, "round_id": self.round_id, "status": self.status, "document": self.document,
                "projects": self.projects, "decisions": self.decisions, "moves": self.moves, "edits": self.edits,
                "window": self.window, "month": self.month, "to_date": self.to_date, "members": self.members,
                "members_behind": self.members_behind}


def _count(into: dict, key: str, n: int = 1) -> None:
    into[key] = into.get(key, 0) + n


class Driver:
    """One simulated year of one committee through the API (module docstring)."""

    def __init__(self, call: Call, scenario: Scenario, engine: Engine, *,
                 run_worker: Optional[Callable[[], bool]] = None, prefer_async: bool = False,
                 wait_s: float = 600.0, before_solve: Optional[Callable[[Month], None]] = None):
        self.call, self.scenario, self.engine = call, scenario, engine
        self.run_worker, self.prefer_async, self.wait_s = run_worker, prefer_async, wait_s
        self.before_solve = before_solve  # e.g. a test's look at the lists and projects the round is built from
        self.round_ids: list[str] = []
        self.months: list[Month] = []
        self.last_to: Optional[str] = None
        self.reopened: list[dict] = []  # the needs reopened projects returned, as the API answered them

    # --- requests ---------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, query: Optional[Mapping[str, Any]] = None,
                expect: tuple[int, ...] = (200,), headers: Optional[Mapping[str, str]] = None) -> Any:
        status, data = self.call(method, path, body, query, headers)
        if status not in expect:
            detail = data.get("detail") or data.get("errors") if isinstance(data, dict) else data
            raise InternalError(f"simulation: {method} {path} answered {status}: {detail}")
        return data

    def pages(self, path: str, query: Optional[Mapping[str, Any]] = None) -> list[dict]:
        """Every item of a paged listing (``page`` / ``per_page`` / ``total``)."""
        items: list[dict] = []
        page = 1
        while True:
            data = self.request("GET", path, query={**(query or {}), "page": page, "per_page": MAX_PER_PAGE})
            items += data["items"]
            if page * MAX_PER_PAGE >= data["total"]:
                return items
            page += 1

    def projects(self, *statuses: str, round_id: Optional[str] = None) -> list[SimProject]:
        """The committee's projects in ``statuses`` (of one round, or of all), as the engine sees them."""
        order = {rid: k + 1 for k, rid in enumerate(self.round_ids)}
        out = []
        for status in statuses:
            query = {"status": status, **({"round": round_id} if round_id else {})}
            for p in self.pages("/api/v1/projects", query):
                out.append(SimProject(p["id"], order.get(p["round_id"], 0), p["project_id"], p["need_id"],
                                      p["resource_id"], p["provider_id"], p["quantity"], p["status"], p["locked"]))
        return out

    def live_projects(self) -> list[SimProject]:
        return self.projects(lc.APPROVED, lc.IN_SERVICE, lc.DONE)

    # --- the steps of a month ---------------------------------------------
    def open(self) -> dict:
        """The lists at the start of the year."""
        edits: dict = {}
        self.apply_edits(self.engine.opening(), edits)
        return edits

    def apply_edits(self, edits: list[ListEdit], counts: dict) -> None:
        for e in edits:
            base = f"/api/v1/lists/{e.lists}"
            if e.op == "create":
                self.request("POST", base, e.data, expect=(201,))
            elif e.op == "change":
                self.request("PATCH", f"{base}/{e.entry_id}", e.data)
            else:
                self.request("POST", f"{base}/{e.entry_id}/withdraw", e.data)
            _count(counts, f"{e.lists}.{e.op}")

    def apply_events(self, events: list[ProjectEvent], counts: dict) -> None:
        for project_id, body in events:
            out = self.request("POST", f"/api/v1/projects/{project_id}/events", body)
            _count(counts, out["status"])
            if out["status"] == lc.REOPENED:
                self.reopened.append(out["reopened_need"])

    def decide(self, round_id: str, decisions: list[dict], counts: dict) -> None:
        if not decisions:
            return
        out = self.request("POST", f"/api/v1/rounds/{round_id}/decisions", {"decisions": decisions})
        for item in out["items"]:
            _count(counts, item["status"])

    def prepare(self, month: Month) -> None:
        """Step 1 of a month: the first lifecycle pass, the list changes, the held proposals."""
        self.apply_events(self.engine.lifecycle(self.live_projects()), month.moves)
        edits, cancels = self.engine.month_edits(self.projects(lc.APPROVED, lc.IN_SERVICE))
        self.apply_events(cancels, month.moves)
        self.apply_edits(edits, month.edits)
        if self.round_ids:
            previous = self.round_ids[-1]
            held = self.projects(lc.HELD, round_id=previous)
            self.decide(previous, self.engine.held_decisions(held), month.decisions)

    def solve(self, month: Month) -> dict:
        """Step 2: the round from the lists, solved (inline or by the worker); its built document."""
        body = {"from_lists": True, "params": round_params(self.scenario), "name": f"{self.scenario.name} #{month.round}"}
        row = self.request("POST", "/api/v1/rounds", body, expect=(201, 202),
                           headers={"Prefer": "respond-async"} if self.prefer_async else None)
        row = self._wait(row)
        self.round_ids.append(row["id"])
        month.round_id, month.status = row["id"], row["status"]
        doc = self.request("GET", f"/api/v1/rounds/{row['id']}/input")
        month.document = {"needs": len(doc["needs"]), "units": sum(n["quantity"] for n in doc["needs"]),
                          "resources": len(doc["resources"]), "providers": len(doc["providers"]),
                          "locked": len(doc["locked"]), "forbidden": len(doc["forbidden"]),
                          "previous": len(doc.get("previous", ()))}
        return doc

    def _wait(self, row: dict) -> dict:
        deadline = time.monotonic() + self.wait_s
        while row["status"] in ("queued", "running"):
            if time.monotonic() > deadline:
                raise InternalError(f"simulation: round {row['id']} still {row['status']} after {self.wait_s:g} s")
            if self.run_worker is None or not self.run_worker():
                time.sleep(0.05)
            row = self.request("GET", f"/api/v1/rounds/{row['id']}")
        return row

    def close(self, month: Month) -> None:
        """Step 3: decisions on the round, the month's further lifecycle passes, the figures."""
        if month.status in SOLVED:
            mine = self.projects(lc.PROPOSED, round_id=month.round_id)
            month.projects = len(self.request("GET", f"/api/v1/rounds/{month.round_id}/projects")["items"])
            self.decide(month.round_id, self.engine.decisions(mine), month.decisions)
        for _ in range(self.scenario.lifecycle.passes_per_month - 1):
            self.apply_events(self.engine.lifecycle(self.live_projects()), month.moves)
        year = self.request("GET", "/api/v1/figures")
        query = {"to": year["to"], **({"from": self.last_to} if self.last_to else {})}
        period = self.request("GET", "/api/v1/figures", query=query)
        month.window = {"from": period["from"], "to": period["to"]}
        month.to_date = year["groups"].get("all", {})
        month.month = period["groups"].get("all", {})
        month.members = year["members"]
        self.last_to = year["to"]

    def month(self, number: int) -> Month:
        month = Month(number)
        self.prepare(month)
        if self.before_solve is not None:
            self.before_solve(month)
        self.solve(month)
        self.close(month)
        self.months.append(month)
        return month

    def run(self, rounds: int, each: Optional[Callable[[Month], None]] = None) -> list[Month]:
        """The opening lists, then ``rounds`` months; ``each(month)`` after every one (e.g. to print it)."""
        self.open()
        for k in range(1, rounds + 1):
            month = self.month(k)
            if each is not None:
                each(month)
        return self.months
