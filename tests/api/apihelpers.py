"""A round that keeps CP-SAT busy for many seconds (for cancel and crash tests)."""
from __future__ import annotations

import random


def slow_round(n_res: int = 30, n_need: int = 80, time_limit_s: float = 60.0, seed: int = 7) -> dict:
    rng = random.Random(seed)
    providers = [{"id": f"U-{k:03d}", "kind": "unit", "max_projects": rng.randint(2, 5)} for k in range(n_res // 2)]
    resources = [{"id": f"R-{k:03d}", "provider_id": providers[k % len(providers)]["id"], "category": "room",
                  "capacity": rng.randint(20, 60), "min_quantity": rng.randint(3, 9),
                  "lat": 30.0 + rng.random() * 0.02, "lon": 120.0 + rng.random() * 0.02}
                 for k in range(n_res)]
    needs = [{"id": f"N-{k:03d}", "community_id": f"C-{k % 9}", "category": "room",
              "quantity": rng.randint(3, 23), "priority": rng.randint(1, 5), "all_or_nothing": rng.random() < 0.6,
              "lat": 30.0 + rng.random() * 0.02, "lon": 120.0 + rng.random() * 0.02}
             for k in range(n_need)]
    return {"name": "slow round", "params": {"solver": "cpsat", "time_limit_s": time_limit_s},
            "providers": providers, "resources": resources, "needs": needs}


def wait_for(predicate, timeout_s: float = 60.0, every_s: float = 0.1):
    """Poll ``predicate`` until it returns something truthy (bounded; returns the last value)."""
    import time

    end = time.monotonic() + timeout_s
    value = predicate()
    while not value and time.monotonic() < end:
        time.sleep(every_s)
        value = predicate()
    return value


def verify_output(round_doc: dict, output: dict) -> list[str]:
    """Check an API output document with the independent verifier (matcher.verify.verify)."""
    import numpy as np

    from matcher.service import prepare
    from matcher.verify import verify

    prep = prepare(round_doc)
    t = prep.tables
    res_pos = {rid: i for i, rid in enumerate(t.res_ids)}
    need_pos = {nid: j for j, nid in enumerate(t.need_ids)}
    projects = output["projects"]
    res = np.array([res_pos[p["resource_id"]] for p in projects], dtype=np.int64)
    need = np.array([need_pos[p["need_id"]] for p in projects], dtype=np.int64)
    qty = np.array([p["quantity"] for p in projects], dtype=np.int64)
    return verify(t, res, need, qty, output["objective"]["served_value"], output["objective"]["total_distance_m"])
