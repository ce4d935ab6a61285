"""Great-circle distances (haversine) and a 3-D embedding for spatial indexes."""
from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8
WALK_M_PER_MIN = 80.0


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres on a sphere of radius 6,371,008.8 m."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def to_xyz(lat, lon) -> np.ndarray:
    """Points on the sphere as (n, 3) Cartesian metres (chord distances)."""
    la, lo = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    c = np.cos(la)
    return EARTH_RADIUS_M * np.column_stack((c * np.cos(lo), c * np.sin(lo), np.sin(la)))


def chord_for(arc_m) -> np.ndarray:
    """Chord length of a great-circle arc, slightly enlarged so no pair at the limit is missed."""
    arc = np.minimum(np.asarray(arc_m, dtype=float), np.pi * EARTH_RADIUS_M)
    return 2 * EARTH_RADIUS_M * np.sin(arc / (2 * EARTH_RADIUS_M)) * (1 + 1e-9) + 1e-3
