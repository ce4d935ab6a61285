"""POST /rounds/{id}/recommend and /recommend/apply: the engine's answer over HTTP, equal to full re-solves
on seeded plain rounds; 404 / 409 / 422 with field paths; k bounds; the state cache (built once per round,
LRU); apply adds the need and the recorded choice to the lists and the log, never touching the round;
committees see only their own rounds."""
from __future__ import annotations

import copy
import hashlib
import json
import random
import threading

import pytest
from sqlalchemy import update

from matcher.recommend import RecommendState, recommend
from matcher.service import solve_round
from matcher.store import audit
from matcher.store.models import RoundRow
from matcher.web.statecache import StateCache

LAT, LON = 39.90, 116.40
CATEGORIES = ("parking", "venue")


def plain_round(seed: int, n_res: int = 24, n_need: int = 24) -> dict:
    """A seeded plain round (no provider limits, lots or all-or-nothing needs), with its communities."""
    rng = random.Random(seed)

    def place() -> dict:
        return {"lat": round(LAT + rng.uniform(0, 0.02), 6), "lon": round(LON + rng.uniform(0, 0.02), 6)}

    return {
        "name": f"seeded {seed}", "params": {"max_distance_m": 1200},
        "communities": [{"id": f"C{c}", "name": f"社区{c}", **place()} for c in range(3)],
        "providers": [{"id": f"U{p}", "name": f"单位{p}", "kind": "unit"} for p in range(4)],
        "resources": [{"id": f"R{i}", "provider_id": f"U{i % 4}", "category": rng.choice(CATEGORIES),
                       "capacity": rng.randint(1, 4), **place()} for i in range(n_res)],
        "needs": [{"id": f"N{j}", "community_id": f"C{j % 3}", "category": rng.choice(CATEGORIES),
                   "quantity": rng.randint(1, 5), "priority": rng.randint(1, 5), **place()} for j in range(n_need)],
    }


def new_need(rng: random.Random, nid: str = "NEW") -> dict:
    return {"id": nid, "community_id": f"C{rng.randrange(3)}", "category": rng.choice(CATEGORIES),
            "quantity": rng.randint(1, 6), "priority": rng.randint(1, 5),
            "lat": round(LAT + rng.uniform(-0.002, 0.022), 6), "lon": round(LON + rng.uniform(-0.002, 0.022), 6)}


def stored(client, auth, doc: dict) -> dict:
    r = client.post("/api/v1/rounds", json=doc, headers=auth)
    assert r.status_code == 201 and r.json["status"] == "optimal", r.json
    return r.json


def ask(client, auth, round_id: str, body: dict, path: str = "recommend"):
    return client.post(f"/api/v1/rounds/{round_id}/{path}", json=body, headers=auth)


def resolve_delta(doc: dict, output: dict, extra: dict, only: str | None = None) -> tuple[int, int]:
    """(served value, distance) change of a full re-solve of the round plus ``extra`` (only the pair with
    resource ``only`` allowed, when given) against the stored output."""
    d2 = copy.deepcopy(doc)
    d2["needs"].append(extra)
    if only is not None:
        d2["forbidden"] = [{"need_id": extra["id"], "resource_id": r["id"]} for r in doc["resources"]
                           if r["id"] != only]
    full = solve_round(d2, timings=False).document["objective"]
    base = output["objective"]
    return full["served_value"] - base["served_value"], full["total_distance_m"] - base["total_distance_m"]


def test_answers_equal_the_engine_and_full_resolves(client, auth):
    checked = 0
    for seed in range(4):
        doc = plain_round(seed)
        rnd = stored(client, auth, doc)
        state = RecommendState.from_documents(client.get(f"/api/v1/rounds/{rnd['id']}/input", headers=auth).json,
                                              rnd["output"])
        rng = random.Random(100 + seed)
        for n in range(5):
            extra = new_need(rng, f"NEW-{n}")
            r = ask(client, auth, rnd["id"], {"need": extra, "k": 3})
            assert r.status_code == 200, r.json
            assert r.json == {"round_id": rnd["id"], **recommend(state, extra, 3)}
            best = r.json["best"]
            assert r.json["exact"] is True
            assert (best["delta_served_value"], best["delta_total_distance_m"]) == resolve_delta(
                doc, rnd["output"], extra)
            if r.json["options"]:
                top = r.json["options"][0]
                assert (top["delta_served_value"], top["delta_total_distance_m"]) == resolve_delta(
                    doc, rnd["output"], extra, top["resource_id"])
            checked += 1
    assert checked == 20


def test_a_new_resource_answers_as_the_engine(client, auth):
    doc = plain_round(9)
    rnd = stored(client, auth, doc)
    extra = {"id": "R-NEW", "provider_id": "U1", "category": "parking", "capacity": 3, "lat": LAT + 0.01,
             "lon": LON + 0.01}
    r = ask(client, auth, rnd["id"], {"resource": extra})
    assert r.status_code == 200, r.json
    state = RecommendState.from_documents(doc, rnd["output"])
    assert r.json == {"round_id": rnd["id"], **recommend(state, extra, 5, "resource")}
    assert r.json["kind"] == "resource" and r.json["unmet"] is None and r.json["k"] == 5


def test_no_candidate_answers_the_solve_reason(client, auth):
    doc = plain_round(2)
    rnd = stored(client, auth, doc)
    far = {**new_need(random.Random(1)), "lat": LAT + 1.0}
    r = ask(client, auth, rnd["id"], {"need": far})
    assert r.status_code == 200 and r.json["options"] == []
    assert r.json["unmet"] == {"need_id": "NEW", "quantity": far["quantity"], "reason": "no_candidate_distance"}


def test_unknown_or_another_committees_round_is_404(client, auth, other_auth):
    rnd = stored(client, auth, plain_round(1))
    extra = new_need(random.Random(2))
    for path in ("recommend", "recommend/apply"):
        for who, rid in ((other_auth, rnd["id"]), (auth, "no-such-round")):
            r = ask(client, who, rid, {"need": extra, "option": 1} if path.endswith("apply") else {"need": extra})
            assert r.status_code == 404 and r.json["detail"] == "no such round", r.json
    assert client.get("/api/v1/lists/needs", headers=other_auth).json["total"] == 0
    assert client.post(f"/api/v1/rounds/{rnd['id']}/recommend", json={"need": extra}).status_code == 401


def test_a_round_not_solved_to_optimal_is_409_naming_its_status(client, auth, db):
    doc, extra = plain_round(3), new_need(random.Random(3))
    queued = client.post("/api/v1/rounds", json=doc, headers={**auth, "Prefer": "respond-async"}).json
    assert queued["status"] == "queued"
    for path, body in (("recommend", {"need": extra}), ("recommend/apply", {"need": extra, "option": 1})):
        r = ask(client, auth, queued["id"], body, path)
        assert r.status_code == 409 and "the round is queued" in r.json["detail"], r.json
    client.delete(f"/api/v1/rounds/{queued['id']}", headers=auth)
    assert "the round is cancelled" in ask(client, auth, queued["id"], {"need": extra}).json["detail"]
    solved = stored(client, auth, doc)
    db.write(lambda s: s.execute(update(RoundRow).where(RoundRow.id == solved["id"]).values(status="feasible")))
    r = ask(client, auth, solved["id"], {"need": extra})
    assert r.status_code == 409 and "the round is feasible" in r.json["detail"]
    assert client.get("/api/v1/lists/needs", headers=auth).json["total"] == 0


@pytest.mark.parametrize("body, problems", [
    ({"need": "NEW"}, [("need", "must be an object")]),
    ({"k": 5}, [("need", "is required (or resource, for a new resource)")]),
    ({"need": {}, "resource": {}, "k": 3}, None),
    ({"need": "@Q0", "k": 0}, [("k", "must be an integer from 1 to 50"), ("need.quantity", "must be >= 1")]),
    ({"need": "@", "k": 51}, [("k", "must be an integer from 1 to 50")]),
    ({"need": "@", "k": "5"}, [("k", "must be an integer from 1 to 50")]),
    ({"need": "@", "k": True}, [("k", "must be an integer from 1 to 50")]),
    ({"need": "@", "kk": 3}, [("kk", "unknown field")]),
    ({"need": "@Q0"}, [("need.quantity", "must be >= 1")]),
    ({"need": "@N1"}, [("need.id", "'N1' already exists in the round")]),
    ({"need": "@C9"}, [("need.community_id", "unknown community 'C9'")]),
    ({"resource": {"id": "RX", "provider_id": "nobody", "category": "venue", "capacity": 1, "lat": LAT,
                   "lon": LON}}, [("resource.provider_id", "unknown provider 'nobody'")]),
])
def test_malformed_requests_are_422_with_field_paths(client, auth, body, problems):
    rnd = stored(client, auth, plain_round(4))
    good = new_need(random.Random(4))
    fills = {"@": good, "@Q0": {**good, "quantity": 0}, "@N1": {**good, "id": "N1"}, "@C9": {**good, "community_id": "C9"}}
    body = {k: fills.get(v, v) if isinstance(v, str) and k == "need" else v for k, v in body.items()}
    r = ask(client, auth, rnd["id"], body)
    assert r.status_code == 422, r.json
    got = [(e["path"], e["message"]) for e in r.json["errors"]]
    if problems is None:
        assert ("resource", "give either need or resource, not both") in got
    else:
        assert got == problems


def test_k_bounds_and_default(client, auth):
    rnd = stored(client, auth, plain_round(5, 30, 10))
    extra = {**new_need(random.Random(5)), "quantity": 2}
    counts = {}
    for k in (1, 2, 50, None):
        r = ask(client, auth, rnd["id"], {"need": extra} if k is None else {"need": extra, "k": k})
        assert r.status_code == 200 and r.json["k"] == (k or 5)
        assert len(r.json["options"]) <= (k or 5)
        counts[k] = [o["resource_id"] for o in r.json["options"]]
    assert counts[1] == counts[50][:1] and counts[2] == counts[50][:2] and counts[None] == counts[50][:5]


def test_the_state_is_built_once_per_round_and_the_cache_is_bounded(tmp_path, monkeypatch):
    from api import create_app
    from matcher.store import repo

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite'}", "RECOMMEND_CACHE": 2})
    try:
        client = app.test_client()
        auth = {"Authorization": f"Bearer {repo.create_token(app.extensions['matcher_db'], 'c')}"}
        built = []
        real = RecommendState.from_documents.__func__
        monkeypatch.setattr(RecommendState, "from_documents",
                            classmethod(lambda cls, *a: built.append(1) or real(cls, *a)))
        rounds = [stored(client, auth, plain_round(seed))["id"] for seed in range(3)]
        extra = new_need(random.Random(6))
        answers = [ask(client, auth, rounds[0], {"need": extra}).json for _ in range(4)]
        assert len(built) == 1 and all(a == answers[0] for a in answers)
        ask(client, auth, rounds[1], {"need": extra})
        ask(client, auth, rounds[0], {"need": extra})
        assert len(built) == 2
        ask(client, auth, rounds[2], {"need": extra})  # holds 2: the least recently used (rounds[1]) goes
        cache = app.extensions["matcher_recommend_states"]
        assert cache.held() == [rounds[0], rounds[2]]
        ask(client, auth, rounds[1], {"need": extra})
        assert len(built) == 4 and len(cache) == 2
        with app.extensions["matcher_db"].read() as s:
            output = s.get(RoundRow, rounds[1]).output_json
        assert cache.get(rounds[1], None).digest == hashlib.sha256(output.encode("utf-8")).hexdigest()
    finally:
        app.extensions["matcher_db"].dispose()


def test_concurrent_first_calls_build_once():
    cache, started, release = StateCache(4), threading.Event(), threading.Event()
    builds = []

    def build():
        builds.append(1)
        started.set()
        release.wait(30)
        return object()

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get("a", build))) for _ in range(4)]
    for t in threads:
        t.start()
    assert started.wait(30)
    release.set()
    for t in threads:
        t.join(30)
    assert len(builds) == 1 and len(got) == 4 and len({id(e) for e in got}) == 1


def test_cache_size_setting_is_checked(tmp_path):
    from api import create_app
    from matcher.errors import InputError

    with pytest.raises(InputError, match="MATCHER_RECOMMEND_CACHE: must be >= 1, got 0"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite'}", "RECOMMEND_CACHE": 0})


def seed_lists(client, auth, doc: dict) -> None:
    for plural, key in (("communities", "communities"), ("providers", "providers"), ("resources", "resources"),
                        ("needs", "needs")):
        for entry in doc[key]:
            assert client.post(f"/api/v1/lists/{plural}", json=entry, headers=auth).status_code == 201


def round_snapshot(client, auth, db, round_id: str) -> tuple:
    detail = client.get(f"/api/v1/rounds/{round_id}", headers=auth).json
    with db.read() as s:
        row = s.get(RoundRow, round_id)
        stored_text = (row.input_json, row.output_json, row.status, row.finished_at)
    return (detail, client.get(f"/api/v1/rounds/{round_id}/projects", headers=auth).json,
            client.get(f"/api/v1/rounds/{round_id}/input", headers=auth).json, stored_text)


def events_of(client, auth, kind: str) -> list[dict]:
    return client.get("/api/v1/events", query_string={"kind": kind, "per_page": 100}, headers=auth).json["items"]


def from_lists_round(client, auth, seed: int) -> tuple[dict, dict]:
    doc = plain_round(seed)
    seed_lists(client, auth, doc)
    r = client.post("/api/v1/rounds", json={"from_lists": True, "params": {"max_distance_m": 1200}}, headers=auth)
    assert r.status_code == 201 and r.json["status"] == "optimal", r.json
    return doc, r.json


def test_apply_adds_the_need_and_the_choice_and_leaves_the_round_untouched(client, auth, db):
    _, rnd = from_lists_round(client, auth, 7)
    before = round_snapshot(client, auth, db, rnd["id"])
    rng = random.Random(7)
    extra = next(e for e in (new_need(rng, "NEW-1") for _ in range(50))
                 if len(ask(client, auth, rnd["id"], {"need": e, "k": 2}).json["options"]) == 2)
    options = ask(client, auth, rnd["id"], {"need": extra, "k": 2}).json["options"]
    r = ask(client, auth, rnd["id"], {"need": extra, "option": 2, "note": "电话确认"}, "recommend/apply")
    assert r.status_code == 201, r.json
    assert r.headers["Location"] == "/api/v1/lists/needs/NEW-1"
    assert r.json["option"] == options[1] and r.json["round_id"] == rnd["id"] and r.json["kind"] == "need"
    listed = client.get("/api/v1/lists/needs/NEW-1", headers=auth).json
    assert r.json["need"] == listed and {k: listed[k] for k in extra} == extra and listed["status"] == "active"
    (created,) = [e for e in events_of(client, auth, "need.created") if e["subject"] == "NEW-1"]
    (applied,) = events_of(client, auth, "recommend.applied")
    assert r.json["event"] == applied and applied["note"] == "电话确认" and applied["seq"] == created["seq"] + 1
    assert applied["subject"] == "NEW-1" and applied["before"] is None
    o = options[1]
    assert applied["after"] == {"round_id": rnd["id"], "kind": "need", "need_id": "NEW-1",
                                "resource_id": o["resource_id"], "provider_id": o["provider_id"],
                                "quantity": o["quantity"], "delta_value": o["delta_served_value"],
                                "delta_distance": o["delta_total_distance_m"], "exact": True, "rank": 2}
    assert round_snapshot(client, auth, db, rnd["id"]) == before
    assert audit.verify(db, applied["committee"]) == (applied["seq"], None)
    again = ask(client, auth, rnd["id"], {"need": extra, "option": 1}, "recommend/apply")
    assert again.status_code == 409 and again.json["errors"][0]["path"] == "need.id"  # already in the lists


def test_apply_by_resource_id_and_a_new_resource(client, auth):
    _, rnd = from_lists_round(client, auth, 8)
    rng = random.Random(8)
    extra = next(e for e in (new_need(rng, "NEW-2") for _ in range(50))
                 if ask(client, auth, rnd["id"], {"need": e}).json["options"])
    top = ask(client, auth, rnd["id"], {"need": extra}).json["options"][0]
    r = ask(client, auth, rnd["id"], {"need": extra, "option": top["resource_id"]}, "recommend/apply")
    assert r.status_code == 201, r.json
    assert r.json["option"] == {**top, "rank": None} and r.json["event"]["after"]["rank"] is None
    res = {"id": "R-NEW", "provider_id": "U2", "category": "venue", "capacity": 2, "lat": LAT + 0.01, "lon": LON + 0.01}
    answer = ask(client, auth, rnd["id"], {"resource": res}).json
    assert answer["options"], answer
    r = ask(client, auth, rnd["id"], {"resource": res, "option": 1}, "recommend/apply")  # the rank of k = 5
    assert r.status_code == 201 and r.json["resource"]["id"] == "R-NEW", r.json
    assert r.json["option"] == answer["options"][0]
    assert r.json["event"]["after"]["need_id"] == answer["options"][0]["need_id"]
    assert r.headers["Location"] == "/api/v1/lists/resources/R-NEW"


def test_apply_refusals_store_nothing(client, auth):
    doc, rnd = from_lists_round(client, auth, 9)
    rng = random.Random(9)
    extra = new_need(rng, "NEW-3")
    n_options = len(ask(client, auth, rnd["id"], {"need": extra, "k": 50}).json["options"])
    far = next(r["id"] for r in doc["resources"] if r["category"] != extra["category"])
    cases = [
        ({"need": extra, "option": n_options + 1}, 422, "option",
         f"no option of rank {n_options + 1}: this need has {n_options} option(s)"),
        ({"need": extra, "option": far}, 422, "option",
         f"resource '{far}' is not an option of this need: not a candidate pair, or it would serve nothing"),
        ({"need": extra, "option": 0}, 422, "option", "must be an option's rank (1 to 50) or a resource id"),
        ({"need": extra, "option": True}, 422, "option", "must be an option's rank (1 to 50) or a resource id"),
        ({"need": extra}, 422, "option", "must be an option's rank (1 to 50) or a resource id"),
        ({"need": extra, "option": 3, "k": 2}, 422, "option", "rank 3 is beyond k = 2"),
        ({"need": extra, "option": 1, "k": 0}, 422, "k", "must be an integer from 1 to 50"),
        ({"need": extra, "option": 1, "note": 5}, 422, "note", "must be a string of at most 2000 characters"),
        ({"need": {**extra, "quantity": 0}, "option": 1}, 422, "need.quantity", "must be >= 1"),
    ]
    for body, status, path, message in cases:
        r = ask(client, auth, rnd["id"], body, "recommend/apply")
        assert r.status_code == status and (path, message) in [(e["path"], e["message"]) for e in r.json["errors"]], (
            body, r.json)
    assert client.get("/api/v1/lists/needs/NEW-3", headers=auth).status_code == 404
    assert events_of(client, auth, "recommend.applied") == []


def test_apply_needs_a_community_of_the_lists(client, auth):
    doc = plain_round(10)
    rnd = stored(client, auth, doc)  # posted directly: the committee's lists are empty
    extra = next(e for e in (new_need(random.Random(10), "NEW-4") for _ in range(50))
                 if ask(client, auth, rnd["id"], {"need": e}).json["options"])
    r = ask(client, auth, rnd["id"], {"need": extra, "option": 1}, "recommend/apply")
    assert r.status_code == 422, r.json
    assert r.json["errors"] == [{"path": "need.community_id",
                                 "message": f"no community {extra['community_id']!r} in the lists"}]
    assert client.get("/api/v1/lists/needs", headers=auth).json["total"] == 0
    assert events_of(client, auth, "recommend.applied") == []


def test_committees_keep_their_own_rounds_lists_and_states(client, auth, other_auth, monkeypatch):
    from matcher.store import recommend as store

    mine, theirs = stored(client, auth, plain_round(11)), stored(client, other_auth, plain_round(12))
    extra = new_need(random.Random(11))
    reads = []
    real = store.round_stamp
    monkeypatch.setattr(store, "round_stamp", lambda *a: reads.append(a[2]) or real(*a))
    a = ask(client, auth, mine["id"], {"need": extra}).json
    assert ask(client, auth, mine["id"], {"need": extra}).json == a and reads == [mine["id"]]  # held: no read
    b = ask(client, other_auth, theirs["id"], {"need": extra}).json
    assert a["round_id"] == mine["id"] and b["round_id"] == theirs["id"]
    assert ask(client, other_auth, mine["id"], {"need": extra}).status_code == 404  # held for another committee
    assert ask(client, auth, theirs["id"], {"need": extra, "option": 1}, "recommend/apply").status_code == 404
    assert reads == [mine["id"], theirs["id"], mine["id"], theirs["id"]]
    assert json.dumps(a) != json.dumps(b)


def test_a_side_rule_round_answers_as_the_engine(client, auth):
    doc = plain_round(13, 12, 12)
    doc["providers"][0]["max_projects"] = 1
    for r in doc["resources"][:4]:
        r["min_quantity"] = 2
    for n in doc["needs"][:4]:
        n["all_or_nothing"] = True
    rnd = stored(client, auth, doc)
    state = RecommendState.from_documents(doc, rnd["output"])
    assert state.side.any()  # parts with side rules: those options come from CP-SAT re-solves
    rng = random.Random(13)
    for n in range(3):
        extra = {**new_need(rng, f"NEW-{n}"), "all_or_nothing": n == 0}
        r = ask(client, auth, rnd["id"], {"need": extra, "k": 2})
        assert r.status_code == 200, r.json
        assert r.json == {"round_id": rnd["id"], **recommend(state, extra, 2)}

