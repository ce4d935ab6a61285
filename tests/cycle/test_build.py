"""Building the round document from the lists and the history (CYCLE.md "A round from the lists")."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from matcher.cycle import build as b
from matcher.errors import ConflictError, InputError
from matcher.validation import parse_round

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
def _lists(**changes) -> b.Lists:
    providers = [{"id": "U-1", "kind": "unit", "max_projects": 5, "status": "active"},
                 {"id": "M-1", "kind": "member", "max_projects": 2, "min_projects_year": 4, "community_id": "C-1"},
                 {"id": "M-2", "kind": "member", "status": "withdrawn"}]
    resources = [{"id": "R-1", "provider_id": "U-1", "category": "parking", "capacity": 50, "lat": 39.9, "lon": 116.3,
                  "name": "车位", "status": "active", "created_at": "x", "updated_at": "y"},
                 {"id": "R-2", "provider_id": "M-1", "category": "parking", "capacity": 10, "lat": 39.9, "lon": 116.3},
                 {"id": "R-3", "provider_id": "M-2", "category": "parking", "capacity": 10, "lat": 39.9, "lon": 116.3},
                 {"id": "R-4", "provider_id": "U-1", "category": "parking", "capacity": 10, "lat": 39.9, "lon": 116.3,
                  "status": "withdrawn"}]
    needs = [{"id": "N-1", "community_id": "C-1", "category": "parking", "quantity": 20, "lat": 39.9, "lon": 116.3},
             {"id": "N-2", "community_id": "C-1", "category": "parking", "quantity": 5, "lat": 39.9, "lon": 116.3,
              "rounds_unmet": 2, "origin_project_id": "P-9"},
             {"id": "N-3", "community_id": "C-1", "category": "parking", "quantity": 5, "lat": 39.9, "lon": 116.3,
              "status": "withdrawn"},
             {"id": "N-4", "community_id": "C-2", "category": "parking", "quantity": 5, "lat": 39.9, "lon": 116.3}]
    communities = [{"id": "C-1", "name": "核桃园"}, {"id": "C-2", "name": "旧", "status": "withdrawn"}]
    base = {"providers": providers, "resources": resources, "needs": needs, "communities": communities}
    base.update(changes)
    return b.Lists(**base)


def P(pid, rnd, need, res, qty, status, decided_at=None, reason=None, provider="U-1"):
    return b.ProjectRecord(pid, rnd, need, res, provider, qty, status, decided_at, reason)


def test_empty_history_takes_active_entries_only_and_validates():
    doc = b.build_round(_lists(), b.History(), {"max_distance_m": 2000}, now=NOW, name="十二月")
    assert [p["id"] for p in doc["providers"]] == ["U-1", "M-1"]
    assert [r["id"] for r in doc["resources"]] == ["R-1", "R-2"]  # withdrawn provider; R-4 withdrawn
    assert [n["id"] for n in doc["needs"]] == ["N-1", "N-2"]  # N-3 withdrawn; N-4 of a withdrawn community
    assert doc["communities"] == [{"id": "C-1", "name": "核桃园"}]
    assert doc["resources"][0] == {"id": "R-1", "provider_id": "U-1", "category": "parking", "capacity": 50,
                                   "lat": 39.9, "lon": 116.3, "name": "车位"}
    assert "origin_project_id" not in doc["needs"][1] and doc["needs"][1]["rounds_unmet"] == 2
    assert doc["params"] == {"max_distance_m": 2000} and doc["name"] == "十二月"
    assert (doc["locked"], doc["forbidden"]) == ([], [])
    assert "previous" not in doc  # no plan to keep: no churn level (an empty one would prefer fewer units)
    assert doc["providers"][1]["target_projects"] == 1  # 4 short over 12 rounds left: ceil(4/12)
    parse_round(doc)


def test_cycle_param_rounds_per_year_is_checked_and_removed():
    doc = b.build_round(_lists(), b.History(), {"rounds_per_year": 2}, now=NOW)
    assert doc["params"] == {} and doc["providers"][1]["target_projects"] == 2
    for bad in (0, 367, 1.5, True):
        with pytest.raises(InputError) as info:
            b.build_round(_lists(), b.History(), {"rounds_per_year": bad}, now=NOW)
        assert info.value.problems[0].path == "params.rounds_per_year"


ROUNDS = [b.RoundRecord("RD-1", 1, "2026-10-01T08:00:00.000000Z", ("N-1",)),
          b.RoundRecord("RD-2", 2, "2026-11-01T08:00:00.000000Z", ())]


def test_locks_quantities_and_left_out_needs():
    projects = [P("P-1", "RD-1", "N-1", "R-1", 6, "in_service", "2026-10-02T00:00:00.000000Z"),
                P("P-2", "RD-2", "N-1", "R-1", 2, "approved", "2026-11-02T00:00:00.000000Z"),
                P("P-3", "RD-1", "N-1", "R-2", 4, "done", provider="M-1"),
                P("P-4", "RD-1", "N-2", "R-2", 5, "confirmed", provider="M-1"),  # N-2 fully served: left out
                P("P-5", "RD-1", "N-1", "R-4", 3, "approved"),  # resource withdrawn: committed, not locked
                P("P-6", "RD-1", "N-1", "R-2", 9, "failed", provider="M-1")]
    doc = b.build_round(_lists(), b.History(ROUNDS, projects), now=NOW)
    assert doc["locked"] == [{"need_id": "N-1", "resource_id": "R-1", "quantity": 8}]  # one lock, units summed
    # demand 20 - committed (6+2+4+3) = 5 still to serve, plus the lock's 8 units it must keep covering
    assert [(n["id"], n["quantity"]) for n in doc["needs"]] == [("N-1", 13)]
    parse_round(doc)


def test_over_committed_need_keeps_its_locks_coverable():
    projects = [P("P-1", "RD-1", "N-2", "R-1", 4, "approved"), P("P-2", "RD-1", "N-2", "R-2", 3, "done")]
    doc = b.build_round(_lists(), b.History(ROUNDS, projects), now=NOW)
    assert [(n["id"], n["quantity"]) for n in doc["needs"]] == [("N-1", 20), ("N-2", 4)]


def test_forbidden_from_the_last_decision_and_lifts():
    projects = [P("P-1", "RD-1", "N-1", "R-1", 5, "rejected", "2026-10-02T00:00:00.000000Z"),
                P("P-2", "RD-1", "N-1", "R-2", 5, "rejected", "2026-10-02T00:00:00.000000Z"),
                P("P-3", "RD-2", "N-1", "R-2", 5, "cancelled", "2026-11-02T00:00:00.000000Z"),  # later approved
                P("P-4", "RD-1", "N-2", "R-1", 5, "rejected", "2026-10-02T00:00:00.000000Z"),
                P("P-5", "RD-1", "N-2", "R-2", 5, "rejected", "2026-10-02T00:00:00.000000Z")]
    lifts = [b.Lift("N-2", "R-1", "2026-10-05T00:00:00.000000Z"), b.Lift("N-2", "R-2", "2026-10-01T00:00:00.000000Z")]
    doc = b.build_round(_lists(), b.History(ROUNDS, projects, lifts), now=NOW)
    assert doc["forbidden"] == [{"need_id": "N-1", "resource_id": "R-1"}, {"need_id": "N-2", "resource_id": "R-2"}]
    parse_round(doc)


def test_rejected_again_after_a_lift_is_forbidden_again_and_a_lock_wins():
    projects = [P("P-1", "RD-1", "N-1", "R-1", 5, "rejected", "2026-10-02T00:00:00.000000Z"),
                P("P-2", "RD-2", "N-1", "R-1", 5, "rejected", "2026-11-02T00:00:00.000000Z"),
                P("P-3", "RD-1", "N-2", "R-1", 2, "approved", "2026-10-02T00:00:00.000000Z"),
                P("P-4", "RD-2", "N-2", "R-1", 2, "rejected", "2026-11-02T00:00:00.000000Z")]
    lifts = [b.Lift("N-1", "R-1", "2026-10-05T00:00:00.000000Z")]
    doc = b.build_round(_lists(), b.History(ROUNDS, projects, lifts), now=NOW)
    assert doc["forbidden"] == [{"need_id": "N-1", "resource_id": "R-1"}]
    assert doc["locked"] == [{"need_id": "N-2", "resource_id": "R-1", "quantity": 2}]


def test_current_bans_name_the_rejecting_project():
    projects = [P("P-1", "RD-1", "N-1", "R-1", 5, "rejected", "2026-10-02T00:00:00.000000Z", "too far"),
                P("P-2", "RD-2", "N-1", "R-1", 5, "rejected", "2026-11-02T00:00:00.000000Z", "again"),
                P("P-3", "RD-1", "N-2", "R-1", 2, "rejected", "2026-10-02T00:00:00.000000Z", "no room"),
                P("P-4", "RD-1", "N-2", "R-2", 2, "rejected", "2026-10-02T00:00:00.000000Z", "closed")]
    lifts = [b.Lift("N-2", "R-1", "2026-10-05T00:00:00.000000Z"), b.Lift("N-1", "R-1", "2026-10-05T00:00:00.000000Z")]
    bans = b.current_bans(b.History(ROUNDS, projects, lifts))
    assert {pair: (p.project_id, p.reason) for pair, p in bans.items()} == {
        ("N-1", "R-1"): ("P-2", "again"), ("N-2", "R-2"): ("P-4", "closed")}


def test_previous_from_the_latest_round_only():
    projects = [P("P-1", "RD-1", "N-1", "R-1", 5, "proposed"),
                P("P-2", "RD-2", "N-1", "R-1", 7, "proposed"), P("P-3", "RD-2", "N-2", "R-2", 3, "held"),
                P("P-4", "RD-2", "N-1", "R-2", 3, "approved"), P("P-5", "RD-2", "N-1", "R-4", 1, "proposed")]
    doc = b.build_round(_lists(), b.History(ROUNDS, projects), now=NOW)
    assert doc["previous"] == [{"need_id": "N-1", "resource_id": "R-1", "quantity": 7},
                               {"need_id": "N-2", "resource_id": "R-2", "quantity": 3}]
    decided = [P(p.project_id, p.round_id, p.need_id, p.resource_id, p.quantity, "rejected") for p in projects]
    assert "previous" not in b.build_round(_lists(), b.History(ROUNDS, decided), now=NOW)


def test_rounds_unmet_counts_short_rounds_once_each():
    projects = [P("P-1", "RD-1", "N-1", "R-1", 5, "rejected"), P("P-2", "RD-2", "N-1", "R-2", 5, "rejected"),
                P("P-3", "RD-2", "N-1", "R-1", 1, "rejected"), P("P-4", "RD-2", "N-2", "R-1", 1, "held")]
    doc = b.build_round(_lists(), b.History(ROUNDS, projects), now=NOW)
    assert [(n["id"], n["rounds_unmet"]) for n in doc["needs"]] == [("N-1", 2), ("N-2", 2)]


def test_target_projects_spread_over_the_rounds_left():
    rounds = [b.RoundRecord(f"RD-{i}", i, f"2026-{i:02d}-01T08:00:00.000000Z") for i in range(1, 11)]
    rounds.append(b.RoundRecord("RD-0", 0, "2025-12-01T08:00:00.000000Z"))
    projects = [P("P-1", "RD-1", "N-1", "R-2", 1, "done", provider="M-1"),
                P("P-2", "RD-0", "N-1", "R-2", 1, "done", provider="M-1"),  # last year: does not count
                P("P-3", "RD-2", "N-1", "R-2", 1, "failed", provider="M-1"),  # did not happen
                P("P-4", "RD-3", "N-1", "R-2", 1, "rejected", provider="M-1")]
    doc = b.build_round(_lists(), b.History(rounds, projects), now=NOW)
    assert doc["providers"][1]["target_projects"] == 2  # 4 - 1 = 3 short over 12 - 10 = 2 rounds left: ceil(1.5)
    assert "target_projects" not in doc["providers"][0]
    doc = b.build_round(_lists(), b.History(rounds, projects), {"rounds_per_year": 6}, now=NOW)
    assert doc["providers"][1]["target_projects"] == 3  # more rounds held than planned: the whole shortfall now
    done = [P(f"P-{i}", f"RD-{i}", "N-1", "R-2", 1, "approved", provider="M-1") for i in range(1, 5)]
    doc = b.build_round(_lists(), b.History(rounds, done), now=NOW)
    assert "target_projects" not in doc["providers"][1]


def test_no_communities_means_no_community_filter():
    doc = b.build_round(_lists(communities=[]), b.History(), now=NOW)
    assert "communities" not in doc and [n["id"] for n in doc["needs"]] == ["N-1", "N-2", "N-4"]
    parse_round(doc)


def test_reopen_makes_the_need_with_one_more_unmet_round():
    need = _lists().needs[1]
    history = b.History(ROUNDS, [P("P-1", "RD-2", "N-2", "R-1", 3, "rejected")])
    project = P("P-7", "RD-2", "N-2", "R-2", 2, "reopened")
    new = b.reopen(project, need, history, new_id="N-9")
    assert new == {"id": "N-9", "quantity": 2, "community_id": "C-1", "category": "parking", "lat": 39.9,
                   "lon": 116.3, "status": "active", "origin_project_id": "P-7", "rounds_unmet": 4}
    with pytest.raises(ConflictError):
        b.reopen(P("P-7", "RD-2", "N-2", "R-2", 2, "done"), need, history, new_id="N-9")
    with pytest.raises(ConflictError):
        b.reopen(project, _lists().needs[0], history, new_id="N-9")
