"""City districts as polygons, and which district a point lies in.

Plain Python ray casting: the district polygons are small (tens of vertices), so a loop over
their edges is faster than loading a geometry library, and needs nothing installed.
"""
from __future__ import annotations

from dataclasses import dataclass

Ring = tuple[tuple[float, float], ...]
"""A closed ring of (lon, lat) vertices, GeoJSON order; the last vertex may repeat the first."""


@dataclass(frozen=True)
class District:
    code: str
    name_uk: str
    name_en: str
    polygons: tuple[tuple[Ring, ...], ...]
    """Each polygon is an outer ring followed by its holes (GeoJSON Polygon coordinates)."""

    def contains(self, lat: float, lon: float) -> bool:
        for outer, *holes in self.polygons:
            if point_in_ring(lon, lat, outer) and not any(
                    point_in_ring(lon, lat, hole) for hole in holes):
                return True
        return False


def point_in_ring(x: float, y: float, ring: Ring) -> bool:
    """Ray casting: a ray from (x, y) to the east crosses the ring's edges an odd number of
    times iff the point is inside. Points exactly on an edge may fall either way."""
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y):
            crossing_x = xi + (y - yi) * (xj - xi) / (yj - yi)
            if x < crossing_x:
                inside = not inside
        j = i
    return inside


def district_at(districts: list[District] | tuple[District, ...], lat: float,
                lon: float) -> District | None:
    """The district containing the point, or None outside every district."""
    for district in districts:
        if district.contains(lat, lon):
            return district
    return None


def districts_from_geojson(collection: dict) -> tuple[District, ...]:
    """Districts from a GeoJSON FeatureCollection of Polygon/MultiPolygon features whose
    properties carry ``code`` and ``name_uk`` / ``name_en``."""
    found = []
    for feature in collection["features"]:
        geometry, props = feature["geometry"], feature["properties"]
        if geometry["type"] == "Polygon":
            polygons = [geometry["coordinates"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            raise ValueError(f"district {props.get('code')}: unsupported {geometry['type']}")
        found.append(District(
            props["code"], props["name_uk"], props["name_en"],
            tuple(tuple(tuple((float(x), float(y)) for x, y in ring) for ring in polygon)
                  for polygon in polygons),
        ))
    codes = [d.code for d in found]
    if len(codes) != len(set(codes)):
        raise ValueError("duplicate district codes")
    return tuple(found)
