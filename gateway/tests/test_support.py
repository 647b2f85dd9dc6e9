"""GET /api/v1/appeals/nearby and POST/DELETE /api/v1/appeals/{id}/support at the edge:
who may call, what is validated (the field named), what intake is asked and what comes back."""
import uuid

import pytest

from gateway_support import assert_problem, fields_in
from hromada_common.errors import Conflict

KHRESHCHATYK = {"lat": "50.4501", "lon": "30.5234", "category": "roads.surface.pothole"}


def nearby_item(**overrides):
    item = {"id": str(uuid.uuid4()), "title": "Pothole", "state": "assigned",
            "category": "roads.surface.pothole",
            "location": {"lat": 50.451, "lon": 30.5234, "address": "Khreshchatyk 1"},
            "distance_m": 100, "supporters_count": 3, "created_at": "2026-12-01T09:00:00+00:00",
            "photo": None}
    item.update(overrides)
    return item


def test_nearby_is_public_and_not_taken_for_an_appeal_id(gateway):
    found = {"items": [nearby_item()], "radius_m": 250.0}
    gateway.intake.nearby_appeals.return_value = found

    response = gateway.api.get("/api/v1/appeals/nearby", params=KHRESHCHATYK,
                               headers={"Authorization": None})

    assert response.status_code == 200, response.text
    assert response.json() == found
    gateway.intake.nearby_appeals.assert_called_once_with(
        {"lat": 50.4501, "lon": 30.5234, "category": "roads.surface.pothole", "limit": 10})
    gateway.intake.get_appeal.assert_not_called()


@pytest.mark.parametrize("params, field", [
    ({**KHRESHCHATYK, "lat": "91"}, "lat"),
    ({**KHRESHCHATYK, "lat": "north"}, "lat"),
    ({**KHRESHCHATYK, "lon": "NaN"}, "lon"),
    ({"lat": "50.45", "category": "roads.surface.pothole"}, "lon"),
    ({**KHRESHCHATYK, "category": "Roads/Potholes"}, "category"),
    ({"lat": "50.45", "lon": "30.52"}, "category"),
    ({**KHRESHCHATYK, "limit": "500"}, "limit"),
    ({**KHRESHCHATYK, "radius": "5000"}, "radius"),
])
def test_bad_nearby_query_is_a_422_naming_the_field(gateway, params, field):
    response = gateway.api.get("/api/v1/appeals/nearby", params=params)

    problem = assert_problem(response, 422, "invalid-input")
    assert field in fields_in(problem)
    gateway.intake.nearby_appeals.assert_not_called()


def test_resident_supports_and_withdraws(gateway, signing_keys):
    resident = {"Authorization": f"Bearer {signing_keys.token_for(None, 'resident')}"}
    appeal_id = str(uuid.uuid4())
    gateway.intake.support_appeal.return_value = {
        "appeal_id": appeal_id, "supporters_count": 4, "supported_by_me": True}
    gateway.intake.withdraw_support.return_value = {
        "appeal_id": appeal_id, "supporters_count": 3, "supported_by_me": False}

    supported = gateway.api.post(f"/api/v1/appeals/{appeal_id}/support", headers=resident)
    withdrawn = gateway.api.delete(f"/api/v1/appeals/{appeal_id}/support", headers=resident)

    assert supported.status_code == 200 and supported.json()["supporters_count"] == 4
    assert withdrawn.status_code == 200 and withdrawn.json()["supported_by_me"] is False
    gateway.intake.support_appeal.assert_called_once_with(appeal_id)
    gateway.intake.withdraw_support.assert_called_once_with(appeal_id)


def test_support_needs_a_signed_in_resident_before_anything_else(gateway, signing_keys):
    anonymous = gateway.api.post("/api/v1/appeals/x/support", headers={"Authorization": None})
    assert_problem(anonymous, 401, "unauthenticated")
    executor = {"Authorization": f"Bearer {signing_keys.token_for(None, 'executor', body='b')}"}
    assert_problem(gateway.api.delete("/api/v1/appeals/x/support", headers=executor), 403,
                   "forbidden")
    gateway.intake.support_appeal.assert_not_called()
    gateway.intake.withdraw_support.assert_not_called()


def test_supporting_ones_own_or_a_closed_appeal_is_a_409(gateway):
    gateway.intake.support_appeal.side_effect = Conflict(
        "an appeal in state 'closed' takes no more support", extra={"state": "closed"})

    response = gateway.api.post("/api/v1/appeals/some-id/support")

    assert_problem(response, 409, "conflict")
    assert response.json()["state"] == "closed"


def test_openapi_documents_nearby_and_support(gateway):
    paths = gateway.api.get("/api/v1/openapi.json").json()["paths"]
    query = {p["name"] for p in paths["/api/v1/appeals/nearby"]["get"]["parameters"]
             if p["in"] == "query"}
    assert query == {"lat", "lon", "category", "limit"}
    assert set(paths["/api/v1/appeals/{appeal_id}/support"]) >= {"post", "delete"}


def test_nearby_gives_the_first_photo_as_its_thumbnail_url(gateway):
    key = "photos/ab/" + "ab" * 16
    gateway.intake.nearby_appeals.return_value = {
        "items": [nearby_item(photo={"key": f"{key}.jpg", "thumbnail_key": f"{key}.thumb.jpg"}),
                  nearby_item()], "radius_m": 250.0}

    items = gateway.api.get("/api/v1/appeals/nearby", params=KHRESHCHATYK,
                            headers={"Authorization": None}).json()["items"]

    assert items[0]["photo"] == f"/media/{key}.thumb.jpg" and items[1]["photo"] is None
