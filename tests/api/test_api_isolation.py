"""Tenant isolation, generated from the app's URL map: every API route taking a round id answers 404
to another committee's token, for every method, and changes nothing (the console's routes, signed in
by session, have their matrix in tests/console/test_console_isolation.py)."""
from __future__ import annotations

import json

from apihelpers import verify_output  # noqa: F401  (keeps helpers importable in this folder)


def id_routes(app) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if "round_id" in rule.arguments and rule.rule.startswith("/api/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((rule.rule, method))
    return out


def test_other_committee_gets_404_everywhere(app, client, auth, other_auth, sample_round):
    rounds = {
        "queued": client.post("/api/v1/rounds", json=sample_round, headers={**auth, "Prefer": "respond-async"}).json,
        "solved": client.post("/api/v1/rounds", json=sample_round, headers=auth).json,
    }
    matrix = id_routes(app)
    assert len(matrix) >= 5 and ("/api/v1/rounds/<round_id>", "DELETE") in matrix
    for state, created in rounds.items():
        rid = created["id"]
        before = client.get(f"/api/v1/rounds/{rid}", headers=auth).json
        for rule, method in matrix:
            url = rule.replace("<round_id>", rid)
            r = client.open(url, method=method, headers=other_auth)
            assert r.status_code == 404, (state, rule, method, r.status_code)
            assert r.mimetype == "application/problem+json"
            assert rid not in r.get_data(as_text=True)
            # the owner reaches the same route
            if method == "GET":
                assert client.open(url, method=method, headers=auth).status_code == 200, (rule, method)
        after = client.get(f"/api/v1/rounds/{rid}", headers=auth).json
        assert after == before, f"{state} round changed by another committee's requests"
    listing = client.get("/api/v1/rounds?per_page=100", headers=other_auth).json
    assert listing["items"] == [] and listing["total"] == 0
    assert json.dumps(listing).count(rounds["queued"]["id"]) == 0
