"""Duplicates before they are filed: open appeals of the same category close to a point.

Plain Python: the distance on the sphere, the box a radius fits in (which the database's index
narrows the search to), and who may support an appeal instead of filing a copy of it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from hromada_common.lifecycle import OPEN_STATES, AppealState

DUPLICATE_RADIUS_M = 250.0
"""How close an open appeal of the same category must be to count as the same problem."""

NEARBY_LIMIT = 10
"""How many nearby appeals are offered at most, nearest first."""

EARTH_RADIUS_M = 6_371_008.8
"""The mean Earth radius (IUGG), in metres."""

_METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine): within 0.5 % of the ellipsoid's, which at
    250 m is a metre."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Box:
    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float


def box_around(lat: float, lon: float, radius_m: float) -> Box:
    """The smallest lat/lon rectangle holding every point within ``radius_m`` of (lat, lon):
    what an index can search; :func:`distance_m` then keeps the circle. A little wider than
    needed (the widest parallel of the circle is taken) so that it never cuts one off."""
    dlat = radius_m / _METRES_PER_DEGREE_LAT
    widest = min(89.9, abs(lat) + dlat)  # the parallel where the circle is widest in degrees
    dlon = min(180.0, dlat / math.cos(math.radians(widest)))
    return Box(lat - dlat, lon - dlon, lat + dlat, lon + dlon)


def is_open(state: AppealState | str) -> bool:
    """Open appeals (``hromada_common.lifecycle.OPEN_STATES``) are offered and take support."""
    return AppealState(state) in OPEN_STATES


def support_refusal(roles: frozenset, verified: bool, active: bool) -> str | None:
    """Why this caller may not support appeals, or None if they may: verified residents whose
    account is not blocked (support is a resident's voice, like filing)."""
    if not active:
        return "this account is blocked; it can only read"
    if "resident" not in roles:
        return "only residents support appeals"
    if not verified:
        return "verify your email address before supporting appeals"
    return None
