"""Seeded generator of city-like matching rounds (round contract v1).

A synthetic city: communities (社区) spread over a square around central
Beijing, at a fixed density, so larger rounds cover a larger city rather than
packing the same streets tighter. Needs cluster around their community's
centre; resident units (驻区单位) sit at sites near communities and offer
several resources each (parking at night, venues, canteen meals, after-school
seats); in-service party members (在职党员) live in a community and offer one
resource (a skill, tutoring, meal delivery), sometimes two.

Categories, windows and tags come in realistic shares: night-time tidal
parking against day-only car parks, weekday after-school hours, lunch-time
meals, weekend skill sessions that need a matching tag (法律援助, 科普, 书法 …).

Rules:

``plain``   no provider limits, minimum lots or all-or-nothing needs: a
            monolithic min-cost flow is exact (used for the flow comparison);
``members`` plain plus ``max_projects`` 1-2 on every member (a member claims
            1-2 posts): the CP-SAT target;
``full``    members plus minimum lots on some car parks, some all-or-nothing
            needs and some forbidden pairs.

The same (size, rules, seed) always gives the identical document.

    python -m benchmarks.generate --size M [--rules plain] [--seed 1] [-o FILE]

Without ``-o`` the round goes to the cache directory (``benchmarks/cache``,
or ``$MATCHER_BENCH_CACHE``; never committed) and its path is printed.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("MATCHER_BENCH_CACHE", Path(__file__).resolve().parent / "cache"))

# resources, needs, share of resources offered by members, members with two resources (rules != plain)
SIZES: dict[str, dict] = {
    "S": dict(resources=400, needs=160),
    "M": dict(resources=5_000, needs=2_000),
    "L": dict(resources=100_000, needs=20_000),
    "XL": dict(resources=1_000_000, needs=100_000),
    # the CP-SAT target: 20k members with 1-2 posts each, 5k needs
    "C": dict(resources=24_000, needs=5_000, member_share=1.0, default_rules="members"),
}

CITY_LAT, CITY_LON = 39.9042, 116.4074
KM2_PER_COMMUNITY = 1.25  # ~1,330 communities per ~1,660 km² (Beijing urban districts)
NEEDS_PER_COMMUNITY = 15
M_PER_DEG_LAT = 111_195.0

CATEGORIES = ("parking", "after_school", "elderly_meal", "skill", "venue")
NEED_SHARE = (0.25, 0.20, 0.20, 0.25, 0.10)
UNIT_SHARE = (0.40, 0.20, 0.20, 0.0, 0.20)  # units offer no personal skills
MEMBER_SHARE = (0.0, 0.15, 0.15, 0.70, 0.0)
SKILLS = ("法律援助", "科普", "书法", "体检", "心理疏导", "家电维修", "反诈宣传", "编程", "理发", "摄影")
SKILL_P = np.array([0.2, 0.15, 0.12, 0.12, 0.1, 0.09, 0.08, 0.06, 0.05, 0.03])
PRIORITY_P = np.array([0.10, 0.20, 0.35, 0.25, 0.10])

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
WEEKEND = ["sat", "sun"]
ALL_DAYS = WEEKDAYS + WEEKEND


def _w(days, start, end):
    return {"days": days, "start": start, "end": end}


# (window list or None, probability) per category, for needs and for resources
NEED_WINDOWS = {
    "parking": [([_w(WEEKDAYS, "19:00", "07:30")], 0.70), ([_w(WEEKEND, "00:00", "24:00")], 0.15), (None, 0.15)],
    "after_school": [([_w(WEEKDAYS, "15:30", "18:00")], 0.90), (None, 0.10)],
    "elderly_meal": [([_w(ALL_DAYS, "11:00", "13:00")], 0.85), (None, 0.15)],
    "skill": [([_w(WEEKEND, "09:00", "17:00")], 0.50), (None, 0.50)],
    "venue": [([_w(WEEKEND, "14:00", "17:00")], 0.40), (None, 0.60)],
}
RES_WINDOWS = {
    "parking": [([_w(WEEKDAYS, "18:30", "08:00"), _w(WEEKEND, "00:00", "24:00")], 0.60),
                ([_w(WEEKDAYS, "19:00", "07:00")], 0.20), ([_w(WEEKDAYS, "08:00", "18:00")], 0.05), (None, 0.15)],
    "after_school": [([_w(WEEKDAYS, "15:00", "18:30")], 0.70), ([_w(WEEKDAYS, "16:00", "18:00")], 0.15), (None, 0.15)],
    "elderly_meal": [([_w(ALL_DAYS, "10:30", "13:30")], 0.80), ([_w(WEEKDAYS, "11:00", "13:00")], 0.10), (None, 0.10)],
    "skill": [([_w(WEEKEND, "09:00", "17:00")], 0.60), ([_w(["sat"], "09:00", "12:00")], 0.10), (None, 0.30)],
    "venue": [([_w(WEEKEND, "09:00", "21:00")], 0.50), (None, 0.50)],
}
NEED_QTY = {"parking": (5, 60), "after_school": (5, 30), "elderly_meal": (5, 40), "skill": (1, 3), "venue": (1, 3)}
UNIT_CAP = {"parking": (10, 150), "after_school": (10, 40), "elderly_meal": (20, 100), "skill": (1, 4), "venue": (2, 8)}
MEMBER_CAP = {"parking": (1, 2), "after_school": (2, 6), "elderly_meal": (2, 8), "skill": (1, 4), "venue": (1, 2)}
NEED_MAXD = {"parking": ((500.0, 800.0, 1000.0), (0.3, 0.4, 0.3)), "after_school": ((1500.0,), (1.0,)),
             "elderly_meal": ((1000.0, 1500.0), (0.6, 0.4)), "skill": ((2000.0, None), (0.5, 0.5)),
             "venue": ((2000.0,), (1.0,))}


def cache_path(size: str, rules: str | None = None, seed: int = 1) -> Path:
    rules = rules or SIZES[size].get("default_rules", "plain")
    return CACHE / f"round-{size}-{rules}-seed{seed}.json"


def _pick(rng, options, n):
    """Index into ``options`` ((value, probability) list) for n items."""
    p = np.array([o[1] for o in options], dtype=float)
    return rng.choice(len(options), size=n, p=p / p.sum())


def _ints(rng, lo_hi, n):
    lo, hi = lo_hi
    return rng.integers(lo, hi + 1, size=n)


def generate(size: str = "S", seed: int = 1, rules: str | None = None, *, resources: int | None = None,
             needs: int | None = None) -> dict:
    """A round document (a plain dict, ready for ``json.dumps``)."""
    spec = SIZES[size]
    rules = rules or spec.get("default_rules", "plain")
    if rules not in ("plain", "members", "full"):
        raise ValueError(f"unknown rules {rules!r}")
    n_res = int(resources or spec["resources"])
    n_need = int(needs or spec["needs"])
    member_share = spec.get("member_share", 0.65)
    rng = np.random.default_rng([seed, n_res, n_need, ("plain", "members", "full").index(rules)])

    # the city: communities at a fixed density, sizes lognormal
    n_comm = max(3, n_need // NEEDS_PER_COMMUNITY)
    side_m = np.sqrt(n_comm * KM2_PER_COMMUNITY) * 1000.0
    m_per_deg_lon = M_PER_DEG_LAT * np.cos(np.radians(CITY_LAT))
    cx = rng.uniform(-side_m / 2, side_m / 2, n_comm)
    cy = rng.uniform(-side_m / 2, side_m / 2, n_comm)
    comm_w = rng.lognormal(0.0, 0.6, n_comm)
    comm_w /= comm_w.sum()

    def latlon(x, y):
        return (np.round(CITY_LAT + y / M_PER_DEG_LAT, 6), np.round(CITY_LON + x / m_per_deg_lon, 6))

    def comm_ids(idx):
        return [f"C-{k:05d}" for k in idx.tolist()]

    # --- needs: clustered by community
    nc = rng.choice(n_comm, size=n_need, p=comm_w)
    nlat, nlon = latlon(cx[nc] + rng.normal(0, 250, n_need), cy[nc] + rng.normal(0, 250, n_need))
    ncat = rng.choice(len(CATEGORIES), size=n_need, p=NEED_SHARE)
    prio = rng.choice(5, size=n_need, p=PRIORITY_P) + 1
    need_docs = []
    qty = np.zeros(n_need, dtype=np.int64)
    maxd = np.full(n_need, np.nan)
    nwin = np.full(n_need, -1)
    ntag = np.full(n_need, -1)
    for c, cat in enumerate(CATEGORIES):
        sel = np.flatnonzero(ncat == c)
        qty[sel] = _ints(rng, NEED_QTY[cat], sel.size)
        values, probs = NEED_MAXD[cat]
        pick = rng.choice(len(values), size=sel.size, p=probs)
        maxd[sel] = [np.nan if values[k] is None else values[k] for k in pick.tolist()]
        nwin[sel] = _pick(rng, NEED_WINDOWS[cat], sel.size)
        if cat == "skill":
            has = rng.random(sel.size) < 0.85
            ntag[sel[has]] = rng.choice(len(SKILLS), size=int(has.sum()), p=SKILL_P)
    aon = np.zeros(n_need, dtype=bool)
    if rules == "full":
        aon = (rng.random(n_need) < 0.05) & (qty <= 10)
    cids = comm_ids(nc)
    for j in range(n_need):
        cat = CATEGORIES[ncat[j]]
        d = {"id": f"N-{j:06d}", "community_id": cids[j], "category": cat, "quantity": int(qty[j]),
             "lat": float(nlat[j]), "lon": float(nlon[j]), "priority": int(prio[j])}
        if not np.isnan(maxd[j]):
            d["max_distance_m"] = float(maxd[j])
        if ntag[j] >= 0:
            d["required_tags"] = [SKILLS[ntag[j]]]
        if aon[j]:
            d["all_or_nothing"] = True
        win = NEED_WINDOWS[cat][nwin[j]][0]
        if win is not None:
            d["windows"] = win
        need_docs.append(d)

    # --- providers and resources
    n_member_res = int(round(n_res * member_share))
    n_unit_res = n_res - n_member_res
    providers, res_docs = [], []
    # units: ~6 resources each, at a site near a community
    n_units = max(1, n_unit_res // 6) if n_unit_res else 0
    if n_units:
        site_c = rng.choice(n_comm, size=n_units, p=comm_w)
        sx, sy = cx[site_c] + rng.normal(0, 600, n_units), cy[site_c] + rng.normal(0, 600, n_units)
        for u in range(n_units):
            providers.append({"id": f"U-{u:05d}", "name": f"驻区单位{u}", "kind": "unit"})
    # members: one resource each, a share (rules != plain) with a second one
    two = 0.0 if rules == "plain" else 0.2
    n_members = int(np.ceil(n_member_res / (1 + two))) if n_member_res else 0
    if n_members:
        mc = rng.choice(n_comm, size=n_members, p=comm_w)
        mlimit = rng.integers(1, 3, size=n_members)
        mcids = comm_ids(mc)
        for m in range(n_members):
            p = {"id": f"M-{m:06d}", "kind": "member", "community_id": mcids[m]}
            if rules != "plain":
                p["max_projects"] = int(mlimit[m])
            providers.append(p)
    owner_kind = np.r_[np.zeros(n_unit_res, dtype=int), np.ones(n_member_res, dtype=int)]
    owner = np.empty(n_res, dtype=np.int64)
    x = np.empty(n_res)
    y = np.empty(n_res)
    if n_unit_res:
        ou = rng.integers(0, n_units, size=n_unit_res)
        owner[:n_unit_res] = ou
        x[:n_unit_res] = sx[ou] + rng.normal(0, 60, n_unit_res)
        y[:n_unit_res] = sy[ou] + rng.normal(0, 60, n_unit_res)
    if n_member_res:
        om = np.r_[np.arange(n_members), rng.choice(n_members, size=n_member_res - n_members, replace=False)]
        om = om[:n_member_res]
        om.sort()
        owner[n_unit_res:] = om
        x[n_unit_res:] = cx[mc[om]] + rng.normal(0, 300, n_member_res)
        y[n_unit_res:] = cy[mc[om]] + rng.normal(0, 300, n_member_res)
    rlat, rlon = latlon(x, y)
    rcat = np.empty(n_res, dtype=np.int64)
    rcat[:n_unit_res] = rng.choice(len(CATEGORIES), size=n_unit_res, p=UNIT_SHARE)
    rcat[n_unit_res:] = rng.choice(len(CATEGORIES), size=n_member_res, p=MEMBER_SHARE)
    cap = np.zeros(n_res, dtype=np.int64)
    rwin = np.full(n_res, -1)
    rmaxd = np.full(n_res, np.nan)
    for c, cat in enumerate(CATEGORIES):
        for kind, table in ((0, UNIT_CAP), (1, MEMBER_CAP)):
            sel = np.flatnonzero((rcat == c) & (owner_kind == kind))
            cap[sel] = _ints(rng, table[cat], sel.size)
        sel = np.flatnonzero(rcat == c)
        rwin[sel] = _pick(rng, RES_WINDOWS[cat], sel.size)
        if cat in ("elderly_meal", "after_school"):  # some will not walk or deliver far
            lim = rng.random(sel.size) < 0.3
            rmaxd[sel[lim]] = 1000.0
    # tags: skills 1-3 per skilled resource
    n_tags = rng.integers(1, 4, size=n_res)
    tag_draw = rng.choice(len(SKILLS), size=(n_res, 3), p=SKILL_P)
    minq = np.ones(n_res, dtype=np.int64)
    if rules == "full":
        park = (rcat == 0) & (owner_kind == 0) & (rng.random(n_res) < 0.1)
        minq[park] = np.minimum(5, cap[park])
    for i in range(n_res):
        cat = CATEGORIES[rcat[i]]
        pid = f"U-{owner[i]:05d}" if owner_kind[i] == 0 else f"M-{owner[i]:06d}"
        d = {"id": f"R-{i:07d}", "provider_id": pid, "category": cat, "capacity": int(cap[i]),
             "lat": float(rlat[i]), "lon": float(rlon[i])}
        if not np.isnan(rmaxd[i]):
            d["max_distance_m"] = float(rmaxd[i])
        if cat == "skill":
            d["tags"] = sorted({SKILLS[t] for t in tag_draw[i, : n_tags[i]].tolist()})
        if minq[i] > 1:
            d["min_quantity"] = int(minq[i])
        win = RES_WINDOWS[cat][rwin[i]][0]
        if win is not None:
            d["windows"] = win
        res_docs.append(d)

    forbidden = []
    if rules == "full" and n_res and n_need:
        k = max(1, n_need // 100)
        fr, fn = rng.integers(0, n_res, size=k), rng.integers(0, n_need, size=k)
        forbidden = [{"need_id": f"N-{j:06d}", "resource_id": f"R-{i:07d}"}
                     for i, j in sorted(set(zip(fr.tolist(), fn.tolist())))]
    return {
        "name": f"benchmark city round {size} ({rules}, seed {seed})",
        "params": {"max_distance_m": 3000.0, "time_limit_s": 60.0, "solver": "auto"},
        "providers": providers,
        "resources": res_docs,
        "needs": need_docs,
        "locked": [],
        "forbidden": forbidden,
    }


def dumps(doc: dict) -> str:
    """Compact, deterministic JSON text of a generated round."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def ensure(size: str, seed: int = 1, rules: str | None = None) -> Path:
    """Path of the cached round, generating it first when missing."""
    path = cache_path(size, rules, seed)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(dumps(generate(size, seed, rules)), encoding="utf-8")
        tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=list(SIZES), default="S")
    ap.add_argument("--rules", choices=("plain", "members", "full"), default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", help="write here instead of the cache")
    a = ap.parse_args(argv)
    if a.output:
        Path(a.output).write_text(dumps(generate(a.size, a.seed, a.rules)), encoding="utf-8")
        print(a.output)
    else:
        print(ensure(a.size, a.seed, a.rules))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
