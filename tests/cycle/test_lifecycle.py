"""The lifecycle table of CYCLE.md: every allowed and every refused transition, batches all or nothing."""
from __future__ import annotations

import itertools

import pytest

from matcher.cycle import lifecycle as lc
from matcher.errors import ConflictError, InputError, NotFound

# the table of CYCLE.md, written out independently of lifecycle.TRANSITIONS
TABLE = {
    "proposed": {"approved", "rejected", "held"},
    "held": {"approved", "rejected"},
    "approved": {"in_service", "cancelled"},
    "in_service": {"done", "failed"},
    "done": {"confirmed", "reopened"},
}
ALL = ["proposed", "held", "approved", "rejected", "in_service", "cancelled", "done", "failed", "confirmed",
       "reopened"]
PAIRS = list(itertools.product(ALL, ALL))


def _request(to: str) -> dict:
    item = {"project_id": "P-0001", "to": to}
    if to in ("rejected", "failed"):
        item["reason"] = "no_show"
    return item


def test_statuses_and_terminal_states():
    assert set(lc.STATUSES) == set(ALL)
    assert {"rejected", "cancelled", "failed", "confirmed", "reopened"} == lc.TERMINAL


@pytest.mark.parametrize("before,after", [p for p in PAIRS if p[1] in TABLE.get(p[0], ())])
def test_every_allowed_transition(before, after):
    assert lc.allowed(before, after)
    (change,) = lc.plan_batch([_request(after)], {"P-0001": before})
    assert (change.project_id, change.before, change.after) == ("P-0001", before, after)


@pytest.mark.parametrize("before,after", [p for p in PAIRS if p[1] not in TABLE.get(p[0], ()) and p[1] != "proposed"])
def test_every_refused_transition(before, after):
    assert not lc.allowed(before, after)
    with pytest.raises(ConflictError) as info:
        lc.plan_batch([_request(after)], {"P-0001": before})
    (problem,) = info.value.problems
    assert problem.path == "decisions[0].to"
    assert problem.message.startswith(f"project P-0001 is {before}; {before} -> {after} is not allowed")
    assert info.value.http_status == 409


@pytest.mark.parametrize("before", ALL)
def test_nothing_moves_back_to_proposed(before):
    with pytest.raises(InputError) as info:
        lc.plan_batch([{"project_id": "P-1", "to": "proposed"}], {"P-1": before})
    assert info.value.problems[0].path == "decisions[0].to"


def test_the_brief_example_message():
    with pytest.raises(ConflictError) as info:
        lc.plan_batch([{"project_id": "P-0001", "to": "approved"}, {"project_id": "P-0002", "to": "held"},
                       {"project_id": "P-0003", "to": "rejected", "reason": "too far"}],
                      {"P-0001": "proposed", "P-0002": "proposed", "P-0003": "approved"})
    assert [str(p) for p in info.value.problems] == [
        ("decisions[2].to: project P-0003 is approved; approved -> rejected is not allowed "
         "(from approved: in_service, cancelled)")]


def test_batch_names_every_offender_and_duplicates():
    statuses = {"P-1": "proposed", "P-2": "done", "P-3": "rejected"}
    batch = [{"project_id": "P-1", "to": "approved"}, {"project_id": "P-2", "to": "approved"},
             {"project_id": "P-1", "to": "held"}, {"project_id": "P-3", "to": "approved"}]
    with pytest.raises(ConflictError) as info:
        lc.plan_batch(batch, statuses)
    assert [p.path for p in info.value.problems] == ["decisions[1].to", "decisions[2].project_id",
                                                     "decisions[3].to"]
    assert "already in this batch at decisions[0]" in info.value.problems[1].message
    assert "rejected is terminal" in info.value.problems[2].message


def test_unknown_projects_are_not_found_with_every_path():
    with pytest.raises(NotFound) as info:
        lc.plan_batch([{"project_id": "P-1", "to": "approved"}, {"project_id": "X", "to": "approved"},
                       {"project_id": "Y", "to": "held"}], {"P-1": "proposed"})
    assert str(info.value) == "decisions[1].project_id: no project X; decisions[2].project_id: no project Y"
    assert info.value.http_status == 404


@pytest.mark.parametrize("to", ["rejected", "failed"])
def test_reason_required(to):
    with pytest.raises(InputError) as info:
        lc.plan_batch([{"project_id": "P-1", "to": to}], {"P-1": "proposed"})
    assert [str(p) for p in info.value.problems] == [f"decisions[0].reason: is required for {to}"]
    with pytest.raises(InputError):
        lc.plan_batch([{"project_id": "P-1", "to": to, "reason": "  "}], {"P-1": "proposed"})


def test_reason_and_note_are_kept():
    (change,) = lc.plan_batch([{"project_id": "P-1", "to": "rejected", "reason": "too far", "note": "ask again"}],
                              {"P-1": "held"})
    assert (change.reason, change.note) == ("too far", "ask again")
    assert change.payload() == ({"status": "held"}, {"status": "rejected", "reason": "too far"})


@pytest.mark.parametrize("value", [0, 6, 3.5, True, "4"])
def test_satisfaction_range(value):
    with pytest.raises(InputError) as info:
        lc.plan_batch([{"project_id": "P-1", "to": "done", "satisfaction": value}], {"P-1": "in_service"})
    assert info.value.problems[0].path == "decisions[0].satisfaction"


@pytest.mark.parametrize("to", ["done", "confirmed", "reopened"])
def test_satisfaction_and_comment_where_allowed(to):
    before = "in_service" if to == "done" else "done"
    (change,) = lc.plan_batch([{"project_id": "P-1", "to": to, "satisfaction": 5, "comment": "好"}],
                              {"P-1": before})
    assert change.payload()[1] == {"status": to, "satisfaction": 5, "comment": "好"}


@pytest.mark.parametrize("to", ["approved", "held", "in_service", "cancelled"])
def test_satisfaction_refused_elsewhere(to):
    with pytest.raises(InputError) as info:
        lc.plan_batch([{"project_id": "P-1", "to": to, "satisfaction": 4, "comment": "x"}], {"P-1": "proposed"})
    assert [p.path for p in info.value.problems] == ["decisions[0].satisfaction", "decisions[0].comment"]


@pytest.mark.parametrize("resolved,status", [(True, "confirmed"), (False, "reopened")])
def test_feedback_resolved_decides(resolved, status):
    (change,) = lc.plan_batch([{"project_id": "P-1", "resolved": resolved, "satisfaction": 2}], {"P-1": "done"})
    assert change.after == status


def test_resolved_contradicting_to():
    with pytest.raises(InputError) as info:
        lc.plan_batch([{"project_id": "P-1", "resolved": True, "to": "reopened"}], {"P-1": "done"})
    assert str(info.value.problems[0]) == "decisions[0].to: resolved=true means confirmed, not reopened"


def test_feedback_on_a_project_not_done_is_a_conflict():
    with pytest.raises(ConflictError):
        lc.plan_batch([{"project_id": "P-1", "resolved": False}], {"P-1": "in_service"})


def test_malformed_requests_all_reported():
    with pytest.raises(InputError) as info:
        lc.plan_batch(["x", {"to": "approved"}, {"project_id": "P-1"}, {"project_id": "P-1", "to": "x", "bad": 1}],
                      {"P-1": "proposed"})
    assert not isinstance(info.value, ConflictError)
    assert [p.path for p in info.value.problems] == ["decisions[0]", "decisions[1].project_id", "decisions[2].to",
                                                     "decisions[3].bad", "decisions[3].to"]


def test_kind_restricts_the_batch():
    assert lc.plan_batch([{"project_id": "P-1", "to": "approved"}], {"P-1": "proposed"}, kind="decision")
    with pytest.raises(ConflictError) as info:
        lc.plan_batch([{"project_id": "P-1", "to": "in_service"}], {"P-1": "approved"}, kind="decision",
                      path="events")
    assert str(info.value.problems[0]) == ("events[0].to: project P-1 is approved; approved -> in_service "
                                           "is a service, not a decision")


def test_all_or_nothing_returns_every_change_in_order():
    changes = lc.plan_batch([{"project_id": "P-2", "to": "held"}, {"project_id": "P-1", "to": "approved"}],
                            {"P-1": "proposed", "P-2": "proposed"})
    assert [(c.project_id, c.after) for c in changes] == [("P-2", "held"), ("P-1", "approved")]
