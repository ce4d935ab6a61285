"""Recommend (best fits for one new need or resource) against full re-solves by matcher.service.solve_round."""
from __future__ import annotations

import copy
import random

import pytest

from matcher.errors import ConflictError, RoundValidationError
from matcher.recommend import RecommendState, recommend
from matcher.service import solve_round

from .builders import make_round, need, resource


def random_round(seed: int, nr: int = 30, nn: int = 30, side: bool = False) -> dict:
    rng = random.Random(seed)
    res = [resource(f"R{i}", rng.uniform(0, 3000), capacity=rng.randint(1, 4), provider=f"U{i % 5}",
                    **({"min_quantity": rng.choice([1, 1, 2])} if side else {})) for i in range(nr)]
    nds = [need(f"N{j}", rng.uniform(0, 3000), quantity=rng.randint(1, 5), priority=rng.randint(1, 5),
                **({"all_or_nothing": rng.random() < 0.2} if side else {})) for j in range(nn)]
    provs = {f"U{i}": (rng.choice([None, 3]) if side else None) for i in range(5)}
    return make_round(res, nds, providers=provs, max_distance_m=800)


def delta(doc: dict, base, extra: dict, forbid_others_than: str | None = None) -> tuple[int, int]:
    """(served value, distance) change of a full re-solve of the round plus the new need."""
    d2 = copy.deepcopy(doc)
    d2["needs"].append(extra)
    if forbid_others_than is not None:
        d2["forbidden"] = [{"need_id": extra["id"], "resource_id": r["id"]}
                           for r in doc["resources"] if r["id"] != forbid_others_than]
    full = solve_round(d2, timings=False)
    return (full.solution.served_value - base.solution.served_value,
            full.solution.total_distance - base.solution.total_distance), full


def test_thousand_new_needs_equal_full_resolves():
    checked = 0
    for seed in range(50):
        doc = random_round(seed)
        base = solve_round(doc, timings=False)
        state = RecommendState.from_result(base.prepared, base)
        rng = random.Random(1000 + seed)
        for n in range(20):
            extra = need("NEW", rng.uniform(-300, 3300), quantity=rng.randint(1, 6), priority=rng.randint(1, 5))
            ans = recommend(state, extra, k=3)
            want, full = delta(doc, base, extra)
            assert ans["exact"] is True
            assert (ans["best"]["delta_served_value"], ans["best"]["delta_total_distance_m"]) == want
            short = [u["reason"] for u in full.document["unmet"] if u["need_id"] == "NEW"]
            assert (ans["unmet"]["reason"] if ans["unmet"] else None) == (short[0] if short else None)
            if n % 4 == 0 and ans["options"]:  # the top option: the round plus the need on that one pair
                top = ans["options"][0]
                got = (top["delta_served_value"], top["delta_total_distance_m"])
                assert got == delta(doc, base, extra, top["resource_id"])[0]
            checked += 1
    assert checked == 1000


def test_each_call_leaves_the_network_as_it_found_it():
    """The compiled searches change rooms and potentials in place; the journal takes every change back."""
    doc = random_round(3, nr=40, nn=60)
    base = solve_round(doc, timings=False)
    state = RecommendState.from_result(base.prepared, base)
    net = state.net
    room, pi = net.room.copy(), net.pi.copy()
    rng = random.Random(3)
    moved = 0
    for _ in range(30):
        ans = recommend(state, need("NEW", rng.uniform(0, 3000), quantity=rng.randint(1, 8), priority=5), k=5)
        moved += len(ans["best"]["displacement"])
        assert (net.room == room).all() and (net.pi == pi).all() and not net.journal
    assert moved > 0  # some calls did displace stored projects (so rooms and potentials did move)


def test_options_are_the_k_best_single_pairs():
    doc = random_round(7)
    base = solve_round(doc, timings=False)
    state = RecommendState.from_result(base.prepared, base)
    extra = need("NEW", 1500, quantity=3, priority=4)
    ans = recommend(state, extra, k=50)
    every = {}
    for r in doc["resources"]:
        (dv, dd), full = delta(doc, base, extra, r["id"])
        if any(p["need_id"] == "NEW" for p in full.document["projects"]):
            every[r["id"]] = (dv, dd)
    assert {o["resource_id"]: (o["delta_served_value"], o["delta_total_distance_m"]) for o in ans["options"]} == every
    ranked = [(-o["delta_served_value"], o["delta_total_distance_m"]) for o in ans["options"]]
    assert ranked == sorted(ranked)
    top = recommend(state, extra, k=2)["options"]
    assert [o["resource_id"] for o in top] == [o["resource_id"] for o in ans["options"][:2]]


def test_side_rule_rounds_exact_or_bounded():
    for seed in range(4):
        doc = random_round(seed, 12, 12, side=True)
        base = solve_round(doc, timings=False)
        state = RecommendState.from_result(base.prepared, base)
        rng = random.Random(seed)
        for _ in range(3):
            extra = need("NEW", rng.uniform(0, 3000), quantity=rng.randint(1, 4), priority=rng.randint(1, 5),
                         all_or_nothing=rng.random() < 0.5)
            ans = recommend(state, extra, k=2)
            want, _ = delta(doc, base, extra)
            got = (ans["best"]["delta_served_value"], ans["best"]["delta_total_distance_m"])
            if ans["best"]["exact"]:
                assert got == want
            else:
                assert want[0] <= ans["best"]["bound_delta_served_value"]
            for o in ans["options"]:
                ow, _ = delta(doc, base, extra, o["resource_id"])
                if o["exact"]:
                    assert (o["delta_served_value"], o["delta_total_distance_m"]) == ow
                else:
                    assert ow[0] <= o["bound_delta_served_value"]


@pytest.mark.parametrize("extra, reason", [
    (need("NEW", 100, category="venue"), "no_candidate_category"),
    (need("NEW", 100_000), "no_candidate_distance"),
    (need("NEW", 100, required_tags=["law"]), "no_candidate_tags"),
])
def test_no_possible_resource_gives_the_solve_reason(extra, reason):
    doc = random_round(3)
    base = solve_round(doc, timings=False)
    ans = recommend(RecommendState.from_result(base.prepared, base), extra, k=5)
    _, full = delta(doc, base, extra)
    assert [u["reason"] for u in full.document["unmet"] if u["need_id"] == "NEW"] == [reason]
    assert ans["options"] == [] and ans["unmet"] == {"need_id": "NEW", "quantity": 1, "reason": reason}


def test_capacity_exhausted_matches_solve():
    doc = make_round([resource("R1", 0, capacity=1)], [need("N1", 10, priority=5)], max_distance_m=800)
    base = solve_round(doc, timings=False)
    ans = recommend(RecommendState.from_result(base.prepared, base), need("NEW", 5, priority=1), k=5)
    assert ans["options"] == [] and ans["unmet"]["reason"] == "capacity_exhausted"
    assert ans["best"]["delta_served_value"] == 0


def test_new_resource_displaces_nothing_and_serves_the_nearest_short_need():
    doc = make_round([resource("R1", 0, capacity=1)], [need("N1", 10, priority=5), need("N2", 400, priority=2)],
                     max_distance_m=800)
    base = solve_round(doc, timings=False)
    state = RecommendState.from_result(base.prepared, base)
    ans = recommend(state, resource("R2", 500, capacity=1), k=5, kind="resource")
    assert ans["best"]["delta_served_value"] == 2 and ans["best"]["projects"][0]["need_id"] == "N2"
    assert [o["need_id"] for o in ans["options"]] == ["N2", "N1"]
    n1 = ans["options"][1]  # R2 takes N1 (value 0 gained vs. moving R1 to N2): R1 then serves N2
    assert n1["delta_served_value"] == 2 and {(d["need_id"], d["after"]) for d in n1["displacement"]} == {("N1", 0), ("N2", 1)}


def test_bad_input_is_refused_with_field_paths():
    doc = random_round(1)
    base = solve_round(doc, timings=False)
    state = RecommendState.from_result(base.prepared, base)
    with pytest.raises(RoundValidationError) as err:
        recommend(state, need("NEW", 0, quantity=0), k=5)
    assert "need.quantity: must be >= 1" in str(err.value)
    with pytest.raises(RoundValidationError, match=r"need\.id"):
        recommend(state, need("N3", 0), k=5)
    for k in (0, 51, "5", True):
        with pytest.raises(RoundValidationError, match=r"^k: "):
            recommend(state, need("NEW", 0), k=k)
    with pytest.raises(RoundValidationError, match=r"resource\.provider_id"):
        recommend(state, resource("RX", 0, provider="nobody"), k=5, kind="resource")


def test_state_from_documents_and_refuses_unsolved():
    doc = random_round(2)
    base = solve_round(doc, timings=False)
    a = recommend(RecommendState.from_documents(doc, base.document), need("NEW", 900, quantity=2), k=3)
    b = recommend(RecommendState.from_result(base.prepared, base), need("NEW", 900, quantity=2), k=3)
    assert a == b
    with pytest.raises(ConflictError, match="feasible"):
        RecommendState.from_documents(doc, {**base.document, "status": "feasible"})


def test_new_item_pairs_equal_those_of_a_prepared_round():
    """Windows, tags and categories: the one-item pairs are the pairs a prepared round + item has."""
    import json

    from matcher.cli.inputs import DEMO_ROUND
    from matcher.recommend.item import ItemContext, new_item
    from matcher.service import prepare

    doc = json.loads(DEMO_ROUND.read_text(encoding="utf-8"))
    ctx = ItemContext(prepare(doc).round)
    for kind, key in (("need", "needs"), ("resource", "resources")):
        for entry in doc[key]:
            extra = {**entry, "id": "NEW-X"}
            it = new_item(ctx, kind, extra)
            d2 = copy.deepcopy(doc)
            d2[key].append(extra)
            prep = prepare(d2)
            side = prep.pairs.need if kind == "need" else prep.pairs.res
            mine = (prep.pairs.res if kind == "need" else prep.pairs.need)[side == len(d2[key]) - 1]
            got = it.pairs.res if kind == "need" else it.pairs.need
            assert sorted(got.tolist()) == sorted(mine.tolist())


def test_cli_recommend_json_table_and_refusals(tmp_path):
    import json

    from click.testing import CliRunner

    from matcher.cli import main

    doc = random_round(4)
    base = solve_round(doc, timings=False)
    (tmp_path / "round.json").write_text(json.dumps(doc))
    (tmp_path / "result.json").write_text(base.json())
    (tmp_path / "need.json").write_text(json.dumps(need("NEW", 1200, quantity=2, priority=5)))
    (tmp_path / "bad.json").write_text(json.dumps(need("NEW", 1200, quantity=0)))
    args = [str(tmp_path / "result.json"), "--round", str(tmp_path / "round.json")]
    run = CliRunner().invoke(main, ["recommend", *args, "--need", str(tmp_path / "need.json"), "-k", "2", "--json"])
    assert run.exit_code == 0, run.output
    state = RecommendState.from_result(base.prepared, base)
    assert json.loads(run.stdout) == recommend(state, need("NEW", 1200, quantity=2, priority=5), k=2)
    table = CliRunner().invoke(main, ["recommend", *args, "--need", str(tmp_path / "need.json")])
    assert table.exit_code == 0 and "排名 rank" in table.stdout
    bad = CliRunner().invoke(main, ["recommend", *args, "--need", str(tmp_path / "bad.json")])
    assert bad.exit_code == 2 and "need.quantity: must be >= 1" in bad.output
    far = CliRunner().invoke(main, ["recommend", *args, "--need", str(tmp_path / "need.json"), "-k", "51"])
    assert far.exit_code == 2 and "k: must be an integer from 1 to 50" in far.output


def _plain_bellman_ford(n: int, arcs: list[tuple[int, int, int]]) -> list:
    """Textbook Bellman-Ford from node 0 in Python ints (None: unreachable); None overall on a negative cycle."""
    dist: list = [None] * n
    dist[0] = 0
    for _ in range(n):
        changed = False
        for t, h, c in arcs:
            if dist[t] is not None and (dist[h] is None or dist[t] + c < dist[h]):
                dist[h], changed = dist[t] + c, True
        if not changed:
            return dist
    return None


def _network(n: int, arcs: list[tuple[int, int, int]]):
    from matcher.recommend.residual import Network

    head, cost, room = [], [], []
    for t, h, c in arcs:  # each arc with room, its reverse without
        head += [h, t]
        cost += [c, -c]
        room += [1, 0]
    return Network.from_arcs(0, n, head, cost, room, [-1] * len(head), 1)


@pytest.mark.parametrize("seed", range(40))
def test_potentials_equal_a_textbook_bellman_ford(seed):
    from matcher.errors import SolverFailed
    from matcher.recommend.residual import potentials

    rng = random.Random(seed)
    n = rng.randint(2, 25)
    arcs = [(rng.randrange(n), rng.randrange(n), rng.randint(-5, 30)) for _ in range(rng.randint(1, 4 * n))]
    arcs = [(t, h, c) for t, h, c in arcs if t != h]
    expected = _plain_bellman_ford(n, arcs)
    if expected is None:  # a negative cycle reachable from 0: the stored result would not be optimal
        with pytest.raises(SolverFailed, match="not optimal"):
            potentials(_network(n, arcs), n)
    else:
        net = _network(n, arcs)
        net.pi = potentials(net, n)
        assert [net.pi_of(v) for v in range(n)] == expected
