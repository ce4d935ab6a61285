"""Figures recomputed from a small hand-made event log, checked against counts done by hand."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matcher.cycle import audit, figures
from matcher.errors import InputError

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _log() -> list[dict]:
    specs = [  # (hour, kind, subject, before, after)
        (0, "provider.created", "M-1", None, {"id": "M-1", "kind": "member", "min_projects_year": 4}),
        (0, "provider.created", "U-1", None, {"id": "U-1", "kind": "unit"}),
        (1, "need.created", "N-1", None, {"id": "N-1", "community_id": "C-1", "quantity": 10}),
        (1, "need.created", "N-2", None, {"id": "N-2", "community_id": "C-2", "quantity": 6}),
        (2, "round.solved", "RD-1", None, {"projects": [
            {"project_id": "P-1", "need_id": "N-1", "provider_id": "U-1", "community_id": "C-1", "quantity": 6},
            {"project_id": "P-2", "need_id": "N-1", "provider_id": "M-1", "community_id": "C-1", "quantity": 4},
            {"project_id": "P-3", "need_id": "N-2", "provider_id": "M-1", "community_id": "C-2", "quantity": 6},
            {"project_id": "P-4", "need_id": "N-2", "provider_id": "U-1", "community_id": "C-2", "quantity": 2}]}),
        (4, "project.transition", "P-1", {"status": "proposed"}, {"status": "approved"}),
        (6, "project.transition", "P-2", {"status": "proposed"}, {"status": "held"}),
        (8, "project.transition", "P-2", {"status": "held"}, {"status": "approved"}),
        (3, "project.transition", "P-3", {"status": "proposed"}, {"status": "approved"}),
        (12, "project.transition", "P-4", {"status": "proposed"}, {"status": "rejected", "reason": "太远"}),
        (20, "project.transition", "P-1", {"status": "approved"}, {"status": "in_service"}),
        (21, "project.transition", "P-3", {"status": "approved"}, {"status": "in_service"}),
        (22, "project.transition", "P-1", {"status": "in_service"}, {"status": "done", "satisfaction": 3}),
        (23, "project.transition", "P-3", {"status": "in_service"}, {"status": "failed", "reason": "no_show"}),
        (30, "project.transition", "P-1", {"status": "done"}, {"status": "reopened", "satisfaction": 2}),
        (31, "need.created", "N-3", None, {"id": "N-3", "community_id": "C-1", "quantity": 6}),
        (40, "project.transition", "P-2", {"status": "approved"}, {"status": "in_service"}),
        (41, "project.transition", "P-2", {"status": "in_service"}, {"status": "done", "satisfaction": 5}),
        (500, "project.transition", "P-2", {"status": "done"}, {"status": "confirmed"}),  # after the period
    ]
    specs.sort(key=lambda s: s[0])
    events: list[audit.Event] = []
    for hour, kind, subject, before, after in specs:
        events.append(audit.next_event(events[-1] if events else None, at=T0 + timedelta(hours=hour), actor="a",
                                       committee="C", kind=kind, subject=subject, before=before, after=after))
    assert audit.verify_chain(events) is None
    return [e.to_dict() for e in events]


START, END = audit.timestamp(T0), audit.timestamp(T0 + timedelta(hours=100))


def test_committee_figures_by_hand():
    (row,) = figures.figures(_log(), start=START, end=END).values()
    assert row == {
        "needs_posted": 3, "units_demanded": 22,
        "units_served": 6 + 4,  # P-1 and P-2 done
        "coverage": 10 / 22,
        # decided: P-1 at 4h, P-2 at 8h (held does not count), P-3 at 3h, P-4 at 12h; solved at 2h
        "response_time_s": (2 + 6 + 1 + 10) * 3600 / 4,
        "approval_rate": 3 / 4,
        "completion_rate": 2 / 3, "failure_rate": 1 / 3,  # of P-1, P-2, P-3 approved
        "satisfaction_mean": (2 + 5) / 2, "satisfaction_share_4": 1 / 2,  # P-1's last is 2, P-2's 5
        "reopen_rate": 1 / 2,
    }


def test_by_community_and_provider():
    by_community = figures.figures(_log(), start=START, end=END, by="community")
    assert set(by_community) == {"C-1", "C-2"}
    c2 = by_community["C-2"]
    assert (c2["needs_posted"], c2["units_demanded"], c2["units_served"], c2["coverage"]) == (1, 6, 0, 0.0)
    assert (c2["approval_rate"], c2["failure_rate"], c2["reopen_rate"]) == (1 / 2, 1.0, None)
    assert by_community["C-1"]["units_demanded"] == 16 and by_community["C-1"]["completion_rate"] == 1.0
    by_provider = figures.figures(_log(), start=START, end=END, by="provider")
    m1 = by_provider["M-1"]
    assert (m1["needs_posted"], m1["coverage"], m1["units_served"], m1["completion_rate"]) == (0, None, 4, 1 / 2)
    assert by_provider["U-1"]["approval_rate"] == 1 / 2


def test_period_bounds_cut_events():
    mid = audit.timestamp(T0 + timedelta(hours=25))
    (early,) = figures.figures(_log(), start=START, end=mid).values()
    assert (early["needs_posted"], early["units_served"], early["reopen_rate"]) == (2, 6, 0.0)
    assert early["satisfaction_mean"] == 3
    (late,) = figures.figures(_log(), start=mid, end=END).values()
    assert (late["needs_posted"], late["units_served"], late["approval_rate"], late["response_time_s"]) == (
        1, 4, None, None)


def test_members_this_year():
    assert figures.members(_log(), year=2026, end=END) == {
        "M-1": {"projects": 1, "min_projects_year": 4, "shortfall": 3}}  # P-3 failed, P-2 counts
    assert figures.members(_log(), year=2025, end=END)["M-1"]["projects"] == 0


def test_unknown_grouping():
    with pytest.raises(InputError):
        figures.figures(_log(), start=START, end=END, by="grid")


def test_a_member_who_left_is_not_behind_his_minimum():
    log = _log()
    left = audit.next_event(None, at=T0 + timedelta(hours=50), actor="a", committee="C",  # figures read no chain
                            kind="provider.withdrawn", subject="M-1", before={"id": "M-1", "status": "active"},
                            after={"id": "M-1", "status": "withdrawn"})
    log.append(left.to_dict())
    assert figures.members(log, year=2026, end=END) == {}
    assert figures.members(log, year=2026, end=audit.timestamp(T0 + timedelta(hours=45)))["M-1"]["shortfall"] == 3
