"""Small random rounds for the what-if tests (seeded, no I/O)."""
from __future__ import annotations

import random

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def random_round(seed: int, *, n_res: int = 6, n_need: int = 8, side_rules: bool = False,
                 categories=("parking", "care")) -> dict:
    rng = random.Random(seed)
    lat0, lon0 = 39.91, 116.37
    providers, resources, needs = [], [], []
    n_prov = max(2, n_res // 2)
    for p in range(n_prov):
        prov = {"id": f"P{p}", "kind": "unit"}
        if side_rules and rng.random() < 0.5:
            prov["max_projects"] = rng.randint(1, 2)
        providers.append(prov)
    for i in range(n_res):
        r = {"id": f"R{i}", "provider_id": f"P{rng.randrange(n_prov)}", "category": rng.choice(categories),
             "capacity": rng.randint(1, 8), "lat": lat0 + rng.uniform(-0.01, 0.01),
             "lon": lon0 + rng.uniform(-0.01, 0.01), "max_distance_m": rng.choice([None, 800.0, 1500.0])}
        if rng.random() < 0.3:
            r["windows"] = [{"days": DAYS[:5], "start": "19:00", "end": "07:00"}]
        if side_rules and rng.random() < 0.3:
            r["min_quantity"] = 2
        resources.append(r)
    for j in range(n_need):
        n = {"id": f"N{j}", "community_id": f"C{j % 3}", "category": rng.choice(categories),
             "quantity": rng.randint(1, 9), "lat": lat0 + rng.uniform(-0.01, 0.01),
             "lon": lon0 + rng.uniform(-0.01, 0.01), "priority": rng.randint(1, 5),
             "max_distance_m": rng.choice([None, 600.0, 1200.0])}
        if rng.random() < 0.3:
            n["windows"] = [{"days": ["mon"], "start": "20:00", "end": "22:00"}]
        if side_rules and rng.random() < 0.2:
            n["all_or_nothing"] = True
        needs.append(n)
    return {"name": f"random {seed}", "params": {"max_distance_m": 1400.0, "time_limit_s": 20.0},
            "providers": providers, "resources": resources, "needs": needs}
