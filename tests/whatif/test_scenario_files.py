"""Every base round and scenario file in scenarios/ solves and its KPIs are sane."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from matcher.whatif import scenario
from matcher.whatif.compare import solve_case

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.json"))
SCENARIO_FILES = [f for f in FILES if "base" in json.loads(f.read_text(encoding="utf-8"))]
BASE_FILES = [f for f in FILES if f not in SCENARIO_FILES]


def test_there_are_bases_and_scenarios():
    assert len(BASE_FILES) >= 7 and len(SCENARIO_FILES) >= 4


def check_kpis(doc: dict, rnd) -> None:
    k, projects = doc["kpis"], doc["projects"]
    served = sum(p["quantity"] for p in projects)
    demand = sum(n.quantity for n in rnd.needs)
    assert k["served_quantity"] == served == doc["objective"]["served_quantity"]
    assert k["demand_quantity"] == demand
    assert 0 <= k["coverage"] <= 1 and k["coverage"] == round(served / demand, 4)
    assert 0 <= k["weighted_coverage"] <= 1
    assert k["projects"] == len(projects)
    assert sum(g["served_quantity"] for g in k["by_category"].values()) == served
    assert sum(g["served_quantity"] for g in k["by_community"].values()) == served
    assert sum(g["demand_quantity"] for g in k["by_community"].values()) == demand
    served_comm = {p["community_id"] for p in projects}
    assert k["communities_unserved"] == len({n.community_id for n in rnd.needs} - served_comm)
    dist = sum(p["quantity"] * p["distance_m"] for p in projects)
    assert dist == doc["objective"]["total_distance_m"]
    assert k["mean_distance_m"] == (round(dist / served, 1) if served else 0.0)
    assert k["worst_distance_m"] == max((p["distance_m"] for p in projects), default=0)
    unmet = {u["need_id"]: u["quantity"] for u in doc["unmet"]}
    assert sum(unmet.values()) == demand - served
    caps = {r.id: r.capacity for r in rnd.resources}
    for rid in caps:
        assert sum(p["quantity"] for p in projects if p["resource_id"] == rid) <= caps[rid]


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_file_solves_to_optimal_with_sane_kpis(path):
    _doc, rnd = scenario.load(path)
    case = solve_case(path.name, rnd, timings=False)
    assert case.result.document["status"] == "optimal"
    check_kpis(case.result.document, rnd)


def test_xicheng_has_673_spaces_and_scenario_adds_50():
    _, base = scenario.load(SCENARIOS / "xicheng_tidal_parking.json")
    _, more = scenario.load(SCENARIOS / "xicheng_50_more_spaces.json")
    assert sum(r.capacity for r in base.resources) == 673
    assert sum(r.capacity for r in more.resources) == 723


def test_huzhou_after_school_sizes_follow_the_published_figures():
    _, rnd = scenario.load(SCENARIOS / "huzhou_after_school.json")
    ids = [p.id for p in rnd.providers]
    assert sum(i.startswith("L-") for i in ids) == 376 and sum(i.startswith("M-") for i in ids) == 672
    _, less = scenario.load(SCENARIOS / "huzhou_school_withdraws.json")
    assert len(less.providers) == 1047 and not any(r.provider_id == "L-002" for r in less.resources)


def test_member_posts_and_circles():
    _, hlg = scenario.load(SCENARIOS / "huilongguan_member_skills.json")
    assert all(p.kind == "member" and p.max_projects in (1, 2) for p in hlg.providers)
    assert {t for r in hlg.resources for t in r.tags} == {"科普", "书法", "合唱", "法律援助", "反诈情景剧"}
    _, zunyi = scenario.load(SCENARIOS / "zunyi_building_needs.json")
    assert zunyi.params.max_distance_m == 1200
    _, rooms = scenario.load(SCENARIOS / "huzhou_idle_rooms.json")
    assert rooms.params.max_distance_m == 640
    _, wider = scenario.load(SCENARIOS / "huzhou_rooms_circle_15min.json")
    assert wider.params.max_distance_m == 1200


def test_generator_reproduces_the_base_files():
    spec = importlib.util.spec_from_file_location("scenarios_generate", SCENARIOS / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for name, make in gen.BASES.items():
        assert json.loads((SCENARIOS / name).read_text(encoding="utf-8")) == json.loads(json.dumps(make())), name
