"""The public list's map: Leaflet over the same appeals the list shows, under the CSP."""
import re

import pytest

from test_web import appeal, statistics


@pytest.fixture
def portal(gateway):
    gateway.intake.statistics.return_value = statistics()
    gateway.intake.list_appeals.return_value = {"items": [appeal()], "next_cursor": None}
    gateway.routing.list_categories.return_value = [
        {"code": "roads.surface.pothole", "name": {"uk": "Вибоїна", "en": "Pothole"}}]
    gateway.routing.list_bodies.return_value = []
    gateway.routing.list_districts.return_value = []
    return gateway


def test_the_list_page_draws_its_own_appeals_on_a_map(portal):
    response = portal.api.get("/appeals?state=assigned")

    assert response.status_code == 200
    page = response.text
    assert re.search(r'<script src="/static/vendor/leaflet/leaflet\.[0-9a-f]{12}\.js" defer>', page)
    assert re.search(r'<script src="/static/appeals-map\.[0-9a-f]{12}\.js" defer>', page)
    box = re.search(r'<div id="appeals-map"[^>]*>', page).group(0)
    assert "hidden" in box  # shown by the script only: nothing empty without JavaScript
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in box
    assert 'data-bounds="50.213,30.239,50.591,30.826"' in box
    assert 'data-lat="50.45" data-lon="30.52" data-state="assigned"' in page
    csp = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_no_map_without_appeals(portal):
    portal.intake.list_appeals.return_value = {"items": [], "next_cursor": None}

    page = portal.api.get("/appeals").text

    assert 'id="appeals-map"' not in page
