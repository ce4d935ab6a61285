"""A pair is committed once: decisions that would count its units twice in the next round are refused.

Found by the year simulation: a round from the lists re-proposes every approved project as a
locked project of its own; approving that copy too doubled the next round's lock and need
quantity (here: lock 12 on a need of 6, over the resource's capacity: infeasible).
"""
from __future__ import annotations

from test_cycle_api import all_events, projects_of, solved_round
from test_lists_api import seed_lists


def decide(client, auth, round_id: str, *decisions: dict):
    return client.post(f"/api/v1/rounds/{round_id}/decisions", json={"decisions": list(decisions)}, headers=auth)


def test_a_locked_copy_of_an_earlier_approval_is_not_decided_again(client, auth):
    seed_lists(client, auth)
    first = solved_round(client, auth)
    p1 = projects_of(client, auth, first["id"])
    assert decide(client, auth, first["id"], *({"project_id": p["project_id"], "to": "approved"}
                                               for p in p1.values())).status_code == 200
    second = solved_round(client, auth)
    p2 = projects_of(client, auth, second["id"])
    assert all(p["locked"] for p in p2.values())
    moves = len(all_events(client, auth, kind="project.transition"))
    for to in ("approved", "rejected", "held"):
        r = decide(client, auth, second["id"], {"project_id": p2["N1"]["project_id"], "to": to, "reason": "r"})
        assert r.status_code == 409
        assert r.json["errors"] == [{"path": "decisions[0].project_id", "message":
                                     f"project {p2['N1']['project_id']} is locked: it carries an earlier round's "
                                     "project of the same pair, whose decision stands"}]
    assert len(all_events(client, auth, kind="project.transition")) == moves  # nothing changed
    doc = client.get(f"/api/v1/rounds/{solved_round(client, auth)['id']}/input", headers=auth).json
    assert doc["locked"] == [{"need_id": n, "resource_id": "R1", "quantity": p1[n]["quantity"]} for n in ("N1", "N2")]
    assert {n["id"]: n["quantity"] for n in doc["needs"]} == {n: p1[n]["quantity"] for n in ("N1", "N2")}


def test_a_stale_held_proposal_cannot_approve_a_pair_already_approved(client, auth):
    seed_lists(client, auth)
    first = solved_round(client, auth)
    held = projects_of(client, auth, first["id"])["N1"]
    assert decide(client, auth, first["id"], {"project_id": held["project_id"], "to": "held"}).status_code == 200
    second = solved_round(client, auth)  # previous: the held pair, proposed again
    again = projects_of(client, auth, second["id"])["N1"]
    assert (again["resource_id"], again["locked"]) == (held["resource_id"], False)
    assert decide(client, auth, second["id"], {"project_id": again["project_id"], "to": "approved"}).status_code == 200
    r = decide(client, auth, first["id"], {"project_id": held["project_id"], "to": "approved"})
    assert r.status_code == 409 and r.json["errors"] == [{"path": "decisions[0].to", "message":
                                                          f"project {held['project_id']}: need N1 and resource R1 "
                                                          f"already have project {again['id']} (approved)"}]
    assert client.get(f"/api/v1/projects/{held['id']}", headers=auth).json["status"] == "held"
    r = decide(client, auth, first["id"], {"project_id": held["project_id"], "to": "rejected", "reason": "superseded"})
    assert r.status_code == 200  # letting it go is fine


def test_a_round_posted_as_a_document_keeps_its_locks_decidable(client, auth, sample_round):
    need = sample_round["needs"][0]
    resource = next(r for r in sample_round["resources"] if r["category"] == need["category"])
    body = {**sample_round, "locked": [{"need_id": need["id"], "resource_id": resource["id"], "quantity": 1}]}
    r = client.post("/api/v1/rounds", json=body, headers=auth)
    assert r.status_code == 201, r.json
    locked = [p for p in client.get(f"/api/v1/projects?round={r.json['id']}&per_page=100", headers=auth).json["items"]
              if p["locked"]]
    assert locked and decide(client, auth, r.json["id"], {"project_id": locked[0]["project_id"],
                                                          "to": "approved"}).status_code == 200
