"""Small round documents built by hand: points on one meridian, so distances are known.

``at(y)`` is the latitude ``y`` metres north of a base point; two points on the
same meridian are exactly ``|y1 - y2|`` metres apart on the contract's sphere
(up to float noise far below a millimetre).
"""
from __future__ import annotations

import copy
import math

EARTH_RADIUS_M = 6_371_008.8  # the contract's sphere, restated here on purpose
LAT0, LON0 = 30.25, 120.15
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


def at(y_m: float) -> float:
    return LAT0 + y_m / M_PER_DEG


def resource(rid: str, y: float = 0.0, *, provider: str = "U1", category: str = "parking",
             capacity: int = 1, **extra) -> dict:
    doc = {"id": rid, "provider_id": provider, "category": category, "capacity": capacity,
           "lat": at(y), "lon": LON0}
    doc.update(extra)
    return doc


def need(nid: str, y: float = 0.0, *, community: str = "C1", category: str = "parking",
         quantity: int = 1, priority: int = 3, **extra) -> dict:
    doc = {"id": nid, "community_id": community, "category": category, "quantity": quantity,
           "lat": at(y), "lon": LON0, "priority": priority}
    doc.update(extra)
    return doc


def make_round(resources: list[dict], needs: list[dict], *, providers: dict | None = None,
               locked: list | tuple = (), forbidden: list | tuple = (), **params) -> dict:
    """A round document. ``providers`` maps provider id -> max_projects (None = no limit);
    providers named by resources but missing from it are added without a limit.
    ``locked`` items are (need_id, resource_id, quantity), ``forbidden`` items (need_id, resource_id)."""
    provs = dict(providers or {})
    for r in resources:
        provs.setdefault(r["provider_id"], None)
    doc = {
        "name": "test round",
        "params": dict(params),
        "providers": [{"id": p, **({} if m is None else {"max_projects": m})} for p, m in provs.items()],
        "resources": copy.deepcopy(list(resources)),
        "needs": copy.deepcopy(list(needs)),
        "locked": [{"need_id": n, "resource_id": r, "quantity": q} for n, r, q in locked],
        "forbidden": [{"need_id": n, "resource_id": r} for n, r in forbidden],
    }
    return doc


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle metres, pure Python (independent of matcher.geo)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2) - math.radians(lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))
