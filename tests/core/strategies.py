"""Hypothesis strategy for small, valid, random round documents."""
from __future__ import annotations

from hypothesis import strategies as st

from .builders import LAT0, LON0

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
STARTS = ["00:00", "07:30", "08:00", "12:00", "19:00", "22:00"]
ENDS = STARTS + ["24:00"]
LIMITS = [None, None, 450.5, 900.5, 1500.5]


@st.composite
def windows(draw, wide: bool = False):
    if draw(st.booleans()):
        return None
    if wide and draw(st.booleans()):  # a resource open every evening and night, or all week
        return draw(st.sampled_from([
            [{"days": DAYS, "start": "18:00", "end": "08:00"}],
            [{"days": DAYS, "start": "00:00", "end": "24:00"}],
            [{"days": DAYS[:5], "start": "07:30", "end": "22:00"}, {"days": DAYS[5:], "start": "08:00", "end": "08:00"}],
        ]))
    out = []
    for _ in range(draw(st.integers(1, 2))):
        days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))
        out.append({"days": days, "start": draw(st.sampled_from(STARTS)), "end": draw(st.sampled_from(ENDS))})
    return out


def _point(draw) -> tuple[float, float]:
    # a lattice of ~111 m x ~96 m cells around the base point: distances are irrational, limits end in .5
    return (LAT0 + 0.001 * draw(st.integers(-6, 6)), LON0 + 0.001 * draw(st.integers(-6, 6)))


@st.composite
def rounds(draw, *, min_items: int = 3, max_items: int = 10, side_rules: bool = True, committee: bool = True):
    """A valid round: random positions, categories, tags, windows, limits; with ``side_rules``
    sometimes max_projects / min_quantity / all_or_nothing; with ``committee`` sometimes
    locks and forbidden pairs."""
    ncat = draw(st.integers(1, 2))
    cats = ["parking", "care"][:ncat]
    nprov = draw(st.integers(1, 4))
    providers = []
    for p in range(nprov):
        prov = {"id": f"U{p}"}
        if side_rules and draw(st.integers(0, 3)) == 0:
            prov["max_projects"] = draw(st.integers(1, 2))
        providers.append(prov)
    resources = []
    for i in range(draw(st.integers(min_items, max_items))):
        lat, lon = _point(draw)
        r = {"id": f"R{i}", "provider_id": f"U{draw(st.integers(0, nprov - 1))}",
             "category": draw(st.sampled_from(cats)), "capacity": draw(st.integers(1, 6)),
             "lat": lat, "lon": lon, "tags": draw(st.lists(st.sampled_from(["law", "art"]), unique=True)),
             "max_distance_m": draw(st.sampled_from(LIMITS)), "windows": draw(windows(wide=True))}
        if side_rules and draw(st.integers(0, 4)) == 0:
            r["min_quantity"] = draw(st.integers(2, 3))
        resources.append(r)
    needs = []
    for j in range(draw(st.integers(min_items, max_items))):
        lat, lon = _point(draw)
        n = {"id": f"N{j}", "community_id": f"C{draw(st.integers(0, 2))}",
             "category": draw(st.sampled_from(cats)), "quantity": draw(st.integers(1, 6)),
             "lat": lat, "lon": lon, "priority": draw(st.integers(1, 5)),
             "required_tags": draw(st.lists(st.sampled_from(["law", "art"]), max_size=1)),
             "max_distance_m": draw(st.sampled_from(LIMITS)), "windows": draw(windows())}
        if side_rules and draw(st.integers(0, 4)) == 0:
            n["all_or_nothing"] = True
        needs.append(n)
    params = {"max_distance_m": draw(st.sampled_from([800.5, 1200.5, 3000]))}
    if draw(st.booleans()):
        params["priority_weights"] = {"5": draw(st.integers(1, 40)), "1": draw(st.integers(1, 3))}
    locked, forbidden, taken = [], [], set()
    if committee:
        same_cat = [(n["id"], r["id"]) for n in needs for r in resources if n["category"] == r["category"]]
        if same_cat:
            for _ in range(draw(st.integers(0, 2))):
                pair = draw(st.sampled_from(same_cat))
                if pair not in taken:
                    taken.add(pair)
                    locked.append({"need_id": pair[0], "resource_id": pair[1], "quantity": draw(st.integers(1, 2))})
        all_pairs = [(n["id"], r["id"]) for n in needs for r in resources]
        for _ in range(draw(st.integers(0, 3))):
            pair = draw(st.sampled_from(all_pairs))
            if pair not in taken:
                taken.add(pair)
                forbidden.append({"need_id": pair[0], "resource_id": pair[1]})
    return {"name": "random", "params": params, "providers": providers, "resources": resources,
            "needs": needs, "locked": locked, "forbidden": forbidden}
