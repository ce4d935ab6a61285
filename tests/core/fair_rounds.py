"""Seeded small random rounds for the fairness tests (plain: no provider limits, minimum lots or
all-or-nothing needs, so the flow method applies)."""
from __future__ import annotations

import random

from .builders import make_round, need, resource


def plain_fair_round(seed: int, mode: str, *, n_res: int = 6, n_need: int = 9, n_comm: int = 3,
                     previous: bool | None = None) -> dict:
    rnd = random.Random(seed)
    resources = [resource(f"R{i}", rnd.uniform(0, 1500), provider=f"P{i % 3}", capacity=rnd.randint(1, 4))
                 for i in range(n_res)]
    needs = [need(f"N{j}", rnd.uniform(0, 1500), community=f"C{rnd.randrange(n_comm)}",
                  quantity=rnd.randint(1, 4), priority=rnd.randint(1, 5)) for j in range(n_need)]
    locked = []
    if rnd.random() < 0.25:
        locked = [(f"N{rnd.randrange(n_need)}", f"R{rnd.randrange(n_res)}", 1)]
    doc = make_round(resources, needs, locked=locked, max_distance_m=rnd.choice([400, 600, 900]))
    if previous if previous is not None else rnd.random() < 0.5:
        seen = set()
        doc["previous"] = []
        for _ in range(rnd.randint(1, n_need)):
            key = (f"N{rnd.randrange(n_need)}", f"R{rnd.randrange(n_res)}")
            if key not in seen:
                seen.add(key)
                doc["previous"].append({"need_id": key[0], "resource_id": key[1], "quantity": rnd.randint(1, 3)})
    doc["params"]["fairness"] = {"group": "community", "mode": mode,
                                 "min_value_ratio": rnd.choice([1.0, 0.95, 0.8, 0.6, 0.3, 5e-324])}
    return doc
