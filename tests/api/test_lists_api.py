"""The committee's lists under /api/v1/lists: create, get, change, withdraw, list; validation with field
paths, references into the lists, isolation between committees, and one audit event per change."""
from __future__ import annotations

import pytest

BASE = "/api/v1/lists"
COMMUNITY = {"id": "C1", "name": "白纸坊社区", "lat": 39.88, "lon": 116.36}
PROVIDER = {"id": "U1", "name": "区医院", "kind": "unit", "min_projects_year": 4}
RESOURCE = {"id": "R1", "provider_id": "U1", "category": "health", "capacity": 10, "lat": 39.881, "lon": 116.361}
NEEDS = [{"id": "N1", "community_id": "C1", "category": "health", "quantity": 6, "lat": 39.882, "lon": 116.362},
         {"id": "N2", "community_id": "C1", "category": "health", "quantity": 3, "lat": 39.883, "lon": 116.363,
          "priority": 5}]


def seed_lists(client, auth) -> None:
    """One community, provider and resource, two needs (10 units for 9 demanded, all within reach)."""
    for plural, entries in (("communities", [COMMUNITY]), ("providers", [PROVIDER]), ("resources", [RESOURCE]),
                            ("needs", NEEDS)):
        for entry in entries:
            r = client.post(f"{BASE}/{plural}", json=entry, headers=auth)
            assert r.status_code == 201, r.json


def events(client, auth, **query) -> list[dict]:
    return client.get("/api/v1/events", query_string={"per_page": 100, **query}, headers=auth).json["items"]


def test_create_get_and_list_entries(client, auth):
    seed_lists(client, auth)
    need = client.get(f"{BASE}/needs/N1", headers=auth).json
    assert {k: need[k] for k in NEEDS[0]} == NEEDS[0]
    assert need["status"] == "active" and need["origin_project_id"] is None
    assert need["created_at"] == need["updated_at"] and need["created_at"].endswith("Z")
    page = client.get(f"{BASE}/needs?per_page=1", headers=auth).json
    assert page["total"] == 2 and [n["id"] for n in page["items"]] == ["N1"] and page["next"]
    assert [n["id"] for n in client.get(page["next"], headers=auth).json["items"]] == ["N2"]
    assert client.get(f"{BASE}/needs?community=C9", headers=auth).json["total"] == 0
    assert client.get(f"{BASE}/resources?category=health", headers=auth).json["total"] == 1
    assert client.get(f"{BASE}/providers/U1", headers=auth).json["min_projects_year"] == 4
    kinds = [e["kind"] for e in events(client, auth)]
    assert kinds == ["community.created", "provider.created", "resource.created", "need.created", "need.created"]


@pytest.mark.parametrize("plural, entry, path, message", [
    ("needs", {**NEEDS[0], "quantity": 0}, "quantity", "must be >= 1"),
    ("needs", {**NEEDS[0], "priority": 9}, "priority", "must be <= 5"),
    ("needs", {**NEEDS[0], "community_id": "C404"}, "community_id", "no community 'C404' in the lists"),
    ("needs", {**NEEDS[0], "colour": "red"}, "colour", "unknown field"),
    ("resources", {**RESOURCE, "provider_id": "U404"}, "provider_id", "no provider 'U404' in the lists"),
    ("resources", {**RESOURCE, "lat": 91.0}, "lat", "must be <= 90.0"),
    ("providers", {**PROVIDER, "min_projects_year": -1}, "min_projects_year", "must be an integer from 0 to 366"),
    ("providers", {**PROVIDER, "target_projects": 2}, "target_projects",
     "is computed by each round from min_projects_year"),
])
def test_invalid_entries_422_with_field_paths_and_nothing_stored(client, auth, plural, entry, path, message):
    seed_lists(client, auth)
    before = events(client, auth)
    r = client.post(f"{BASE}/{plural}", json={**entry, "id": "X1"}, headers=auth)
    assert r.status_code == 422, r.json
    assert {"path": path, "message": message} in r.json["errors"]
    assert client.get(f"{BASE}/{plural}/X1", headers=auth).status_code == 404
    assert events(client, auth) == before


def test_duplicate_id_409(client, auth):
    seed_lists(client, auth)
    r = client.post(f"{BASE}/needs", json=NEEDS[0], headers=auth)
    assert r.status_code == 409 and r.json["errors"] == [{"path": "id", "message": "need N1 is already in the lists"}]


def test_change_and_withdraw_are_audited(client, auth):
    seed_lists(client, auth)
    r = client.patch(f"{BASE}/needs/N1", json={"quantity": 8, "note": "更新"}, headers=auth)
    assert r.status_code == 200 and r.json["quantity"] == 8 and r.json["note"] == "更新"
    assert client.patch(f"{BASE}/needs/N1", json={"quantity": -1}, headers=auth).json["errors"] == [
        {"path": "quantity", "message": "must be >= 1"}]
    assert client.patch(f"{BASE}/needs/N1", json={"id": "N9"}, headers=auth).status_code == 422
    assert client.patch(f"{BASE}/needs/N1", json={"status": "withdrawn"}, headers=auth).status_code == 422
    r = client.post(f"{BASE}/needs/N1/withdraw", json={"note": "resident moved"}, headers=auth)
    assert r.status_code == 200 and r.json["status"] == "withdrawn"
    assert client.post(f"{BASE}/needs/N1/withdraw", headers=auth).status_code == 409
    assert client.get(f"{BASE}/needs?status=withdrawn", headers=auth).json["total"] == 1
    assert client.get(f"{BASE}/needs?status=active", headers=auth).json["total"] == 1
    changed, withdrawn = events(client, auth, subject="N1")[1:]
    assert changed["kind"] == "need.changed" and changed["before"]["quantity"] == 6
    assert changed["after"]["quantity"] == 8
    assert withdrawn["kind"] == "need.withdrawn" and withdrawn["note"] == "resident moved"
    assert withdrawn["after"]["status"] == "withdrawn"


def test_actor_of_the_token_is_in_the_events(client, db):
    from matcher.store import repo

    auth = {"Authorization": f"Bearer {repo.create_token(db, '西城区', actor='王主任')}"}
    client.post(f"{BASE}/communities", json=COMMUNITY, headers=auth)
    (event,) = events(client, auth)
    assert event["actor"] == "王主任" and event["kind"] == "community.created" and event["seq"] == 1
    assert events(client, auth, actor="王主任") == [event] and events(client, auth, actor="x") == []


def test_another_committee_sees_nothing(client, auth, other_auth):
    seed_lists(client, auth)
    assert client.get(f"{BASE}/needs", headers=other_auth).json["total"] == 0
    for method, url in (("GET", f"{BASE}/needs/N1"), ("PATCH", f"{BASE}/needs/N1"),
                        ("POST", f"{BASE}/needs/N1/withdraw")):
        r = client.open(url, method=method, json={"quantity": 1}, headers=other_auth)
        assert r.status_code == 404, (method, url)
    # the other committee may use the same ids in its own lists, and cannot reference ours
    assert client.post(f"{BASE}/communities", json=COMMUNITY, headers=other_auth).status_code == 201
    r = client.post(f"{BASE}/resources", json=RESOURCE, headers=other_auth)
    assert r.status_code == 422 and r.json["errors"][0]["path"] == "provider_id"
    assert client.get(f"{BASE}/needs/N1", headers=auth).json["status"] == "active"
    assert client.get(f"{BASE}/whatnot", headers=auth).status_code == 404
