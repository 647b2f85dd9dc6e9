"""The map settings every page with a map shares (the filing pin, the public list's map):
the tile server, its attribution, the city's rectangle and the CSP that lets the tiles in.

Read once per gateway process from the same configuration keys the filing pages use
(docs/operations.md: ``WEB_MAP_TILE_URL``, ``WEB_MAP_ATTRIBUTION``, ``CITY_BOUNDS``).
"""
from __future__ import annotations

from nameko.extensions import DependencyProvider


class MapSettings(DependencyProvider):
    """What a page needs to draw a Leaflet map under the strict CSP."""

    def setup(self):
        # Imported here: filing_pages imports the page machinery this module is part of.
        from .filing_pages import (
            ATTRIBUTION_CONFIG_KEY,
            BOUNDS_CONFIG_KEY,
            DEFAULT_ATTRIBUTION,
            DEFAULT_BOUNDS,
            DEFAULT_TILE_URL,
            TILE_URL_CONFIG_KEY,
            content_security_policy,
            map_tile_url,
        )

        config = self.container.config
        self.tile_url = map_tile_url(config.get(TILE_URL_CONFIG_KEY))
        attribution = config.get(ATTRIBUTION_CONFIG_KEY)
        if not isinstance(attribution, str) or not attribution.strip():
            attribution = DEFAULT_ATTRIBUTION if self.tile_url == DEFAULT_TILE_URL else ""
        self.attribution = attribution.strip()
        self.bounds = tuple(float(value) for value in (config.get(BOUNDS_CONFIG_KEY)
                                                       or DEFAULT_BOUNDS))
        self.csp = content_security_policy(self.tile_url)

    def get_dependency(self, worker_ctx):
        return self

    def for_template(self) -> dict:
        """The map's ``data-`` attributes: tiles (empty: a plain background), attribution,
        bounds as ``min_lat,min_lon,max_lat,max_lon``."""
        return {"tiles": self.tile_url, "attribution": self.attribution,
                "bounds": ",".join(str(value) for value in self.bounds)}
