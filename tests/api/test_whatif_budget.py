"""Issue 10 item 2, one what-if request must not kill its worker: all solves of a request share one
budget (MATCHER_WHATIF_BUDGET_S, each round an equal share of what is left), the rounds whose share ran
out say so (feasible, with the solver's time-limit message), and a request whose rounds have more
candidate pairs together than MATCHER_WHATIF_MAX_PAIRS is refused with 422 before any solve."""
from __future__ import annotations

import time

from apihelpers import slow_round

URL = "/api/v1/whatif"


def _scenarios(n: int) -> list[dict]:
    return [{"name": f"demand x{1 + k / 10:.1f}", "changes": [{"op": "scale_demand", "factor": 1 + k / 10}]}
            for k in range(n)]


def test_whatif_of_many_heavy_scenarios_keeps_within_one_budget(app, client, auth):
    app.config.update(WHATIF_BUDGET_S=3.0, SYNC_BUDGET_S=5.0)  # alone, 11 solves of 5 s would take 55 s
    base = slow_round(n_res=20, n_need=50, time_limit_s=60)  # 1,000 pairs, about 3 s to prove alone
    began = time.monotonic()
    r = client.post(URL, json={"base": base, "scenarios": _scenarios(10)}, headers=auth)
    took = time.monotonic() - began
    assert r.status_code == 200, r.get_data(as_text=True)
    cases = r.json["cases"]
    assert len(cases) == 11
    assert took < 3.0 + 6.0, f"{took:.1f} s for a 3 s budget"  # the budget, plus preparing, checks and output
    solve_total = sum(c["kpis"]["solve_seconds"] for c in cases)
    assert solve_total < 3.0 + 3.0, solve_total
    statuses = {c["kpis"]["status"] for c in cases}
    assert statuses <= {"optimal", "feasible"}, statuses
    cut = [c for c in cases if c["kpis"]["status"] == "feasible"]
    assert cut, "a 3 s budget over 11 heavy rounds must leave some of them unproven"
    assert all("time limit" in (c["kpis"]["message"] or "") for c in cut), [c["kpis"]["message"] for c in cut]


def test_unused_share_of_the_budget_carries_over(app, client, auth, sample_round):
    app.config.update(WHATIF_BUDGET_S=4.0)
    scenarios = [{"name": "easy", "changes": []}, {"name": "heavy", "changes": []}]
    r = client.post(URL, json={"base": sample_round, "scenarios": scenarios}, headers=auth)
    assert r.status_code == 200
    assert all(c["kpis"]["status"] == "optimal" for c in r.json["cases"])  # small rounds: proven well within


def test_whatif_over_the_pairs_cap_is_refused_before_solving(app, client, auth):
    from matcher.service import prepare

    base = slow_round(time_limit_s=60)
    pairs = len(prepare(base).pairs)
    app.config.update(WHATIF_MAX_PAIRS=pairs * 3, WHATIF_BUDGET_S=2.0)
    began = time.monotonic()
    r = client.post(URL, json={"base": base, "scenarios": _scenarios(5)}, headers=auth)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert time.monotonic() - began < 5
    assert "WHATIF_MAX_PAIRS" in r.json["detail"]
    assert [e["path"] for e in r.json["errors"]] == ["scenarios"]
    ok = client.post(URL, json={"base": base, "scenarios": _scenarios(2)}, headers=auth)
    assert ok.status_code == 200, ok.get_data(as_text=True)  # 3 rounds: exactly at the cap
