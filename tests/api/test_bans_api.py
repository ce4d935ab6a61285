"""The committee's bans over the API: GET /api/v1/bans lists each rejected pair with its rejection,
POST /api/v1/bans/lift lifts one (a ban.lifted event), and the next round built from the lists no longer
forbids the pair, until it is rejected again; bad bodies 422 with paths; another committee's bans are absent."""
from __future__ import annotations

from test_cycle_api import all_events, projects_of, solved_round
from test_lists_api import seed_lists

BANS, LIFT = "/api/v1/bans", "/api/v1/bans/lift"


def decide(client, auth, round_id: str, *decisions: dict) -> None:
    r = client.post(f"/api/v1/rounds/{round_id}/decisions", json={"decisions": list(decisions)}, headers=auth)
    assert r.status_code == 200, r.json


def rejected_pair(client, auth) -> tuple[dict, dict]:
    """A round from the lists with N1 approved and N2 (with R1) rejected; (round, projects by need)."""
    seed_lists(client, auth)
    rnd = solved_round(client, auth)
    p = projects_of(client, auth, rnd["id"])
    assert p["N2"]["resource_id"] == "R1"
    decide(client, auth, rnd["id"], {"project_id": p["N1"]["project_id"], "to": "approved"},
           {"project_id": p["N2"]["project_id"], "to": "rejected", "reason": "too far"})
    return rnd, projects_of(client, auth, rnd["id"])


def forbidden_of_next_round(client, auth) -> tuple[dict, list[dict]]:
    rnd = solved_round(client, auth)
    return rnd, client.get(f"/api/v1/rounds/{rnd['id']}/input", headers=auth).json["forbidden"]


def test_bans_are_listed_with_their_rejection(client, auth):
    rnd, p = rejected_pair(client, auth)
    listed = client.get(BANS, headers=auth)
    assert listed.status_code == 200
    assert listed.json == {"count": 1, "items": [
        {"need_id": "N2", "resource_id": "R1", "project_id": p["N2"]["id"], "round_id": rnd["id"],
         "rejected_at": p["N2"]["decided_at"], "reason": "too far"}]}
    _, forbidden = forbidden_of_next_round(client, auth)
    assert forbidden == [{"need_id": "N2", "resource_id": "R1"}]


def test_a_lifted_ban_is_audited_and_the_next_round_may_pair_them_again(client, auth):
    _, p = rejected_pair(client, auth)
    r = client.post(LIFT, json={"need_id": "N2", "resource_id": "R1", "note": "居民同意了"}, headers=auth)
    assert r.status_code == 200, r.json
    assert r.json["project_id"] == p["N2"]["id"] and r.json["reason"] == "too far"
    assert r.json["note"] == "居民同意了" and r.json["lifted_at"] >= p["N2"]["decided_at"]
    (event,) = all_events(client, auth, kind="ban.lifted")
    assert event["subject"] == p["N2"]["id"] and event["note"] == "居民同意了" and event["at"] == r.json["lifted_at"]
    assert event["after"] == {"need_id": "N2", "resource_id": "R1"} and event["before"]["reason"] == "too far"
    assert client.get(BANS, headers=auth).json == {"count": 0, "items": []}
    again = client.post(LIFT, json={"need_id": "N2", "resource_id": "R1"}, headers=auth)
    assert again.status_code == 404 and "no ban on need 'N2' with resource 'R1'" in again.json["detail"]
    nxt, forbidden = forbidden_of_next_round(client, auth)
    assert forbidden == []
    served = projects_of(client, auth, nxt["id"])["N2"]
    assert served["resource_id"] == "R1" and served["status"] == "proposed"
    decide(client, auth, nxt["id"], {"project_id": served["project_id"], "to": "rejected", "reason": "again"})
    (ban,) = client.get(BANS, headers=auth).json["items"]
    assert ban["project_id"] == served["id"] and ban["reason"] == "again"
    assert forbidden_of_next_round(client, auth)[1] == [{"need_id": "N2", "resource_id": "R1"}]


def test_lift_bodies_are_checked_with_paths_and_nothing_changes(client, auth):
    rejected_pair(client, auth)
    cases = [({"resource_id": "R1"}, [("need_id", "is required (a non-empty string)")]),
             ({"need_id": "N2", "resource_id": 7, "colour": "red"},
              [("colour", "unknown field"), ("resource_id", "must be a non-empty string")]),
             ({"need_id": "N2", "resource_id": "R1", "note": "x" * 2001}, [("note", "must be at most 2000 characters")])]
    for body, errors in cases:
        r = client.post(LIFT, json=body, headers=auth)
        assert r.status_code == 422, r.json
        assert [(e["path"], e["message"]) for e in r.json["errors"]] == errors
    assert client.post(LIFT, data="need_id=N2", headers=auth).status_code == 415
    assert client.get(BANS, headers=auth).json["count"] == 1 and all_events(client, auth, kind="ban.lifted") == []


def test_another_committees_bans_are_invisible(client, auth, other_auth):
    rejected_pair(client, auth)
    assert client.get(BANS, headers=other_auth).json == {"count": 0, "items": []}
    r = client.post(LIFT, json={"need_id": "N2", "resource_id": "R1"}, headers=other_auth)
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert client.get(BANS, headers=auth).json["count"] == 1
    assert client.get(BANS).status_code == 401
