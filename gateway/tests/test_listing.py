"""GET /api/v1/appeals: query validation, filters passed to intake, cursor pagination."""
from urllib.parse import parse_qs, urlsplit

import pytest

from gateway_support import appeal_from, appeal_request, assert_problem, fields_in


def listed(count=2):
    items = [appeal_from(appeal_request()) for _ in range(count)]
    for item in items:
        del item["history"]
    return items


def test_listing_without_filters_asks_intake_for_the_first_20(gateway):
    items = listed()
    gateway.intake.list_appeals.return_value = {"items": items, "next_cursor": None}

    response = gateway.api.get("/api/v1/appeals")

    assert response.status_code == 200
    assert response.json() == {"items": items, "next_cursor": None}
    assert "Link" not in response.headers
    gateway.intake.list_appeals.assert_called_once_with({"limit": 20})


def test_filters_are_validated_and_translated_for_intake(gateway):
    gateway.intake.list_appeals.return_value = {"items": [], "next_cursor": None}

    response = gateway.api.get("/api/v1/appeals", params={
        "state": "assigned",
        "category": "roads.surface.pothole",
        "body": "kyivavtodor",
        "district": "podilskyi",
        "created_from": "2025-03-01T00:00:00+02:00",
        "created_to": "2025-03-31T23:59:59Z",
        "bbox": "30.4,50.35,30.7,50.55",
        "limit": "50",
        "cursor": "opaque-cursor",
    })

    assert response.status_code == 200
    gateway.intake.list_appeals.assert_called_once_with({
        "state": "assigned",
        "category": "roads.surface.pothole",
        "body": "kyivavtodor",
        "district": "podilskyi",
        "created_from": "2025-03-01T00:00:00+02:00",
        "created_to": "2025-03-31T23:59:59+00:00",
        "bbox": [30.4, 50.35, 30.7, 50.55],
        "limit": 50,
        "cursor": "opaque-cursor",
    })


def test_datetime_without_offset_is_taken_as_utc(gateway):
    gateway.intake.list_appeals.return_value = {"items": [], "next_cursor": None}

    gateway.api.get("/api/v1/appeals", params={"created_from": "2025-03-01T08:00:00"})

    (filters,) = gateway.intake.list_appeals.call_args.args
    assert filters["created_from"] == "2025-03-01T08:00:00+00:00"


def test_next_page_is_linked_keeping_the_filters(gateway):
    gateway.intake.list_appeals.return_value = {"items": listed(), "next_cursor": "c2/next=="}

    response = gateway.api.get("/api/v1/appeals", params={"state": "submitted", "limit": "2", "cursor": "c1"})

    assert response.json()["next_cursor"] == "c2/next=="
    link = response.headers["Link"]
    assert link.endswith('>; rel="next"')
    url = urlsplit(link[1:link.index(">")])
    assert url.path == "/api/v1/appeals"
    assert parse_qs(url.query) == {"state": ["submitted"], "limit": ["2"], "cursor": ["c2/next=="]}


@pytest.mark.parametrize("params, field", [
    ({"state": "done"}, "state"),
    ({"limit": "0"}, "limit"),
    ({"limit": "101"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"created_from": "yesterday"}, "created_from"),
    ({"bbox": "30.4,50.35,30.7"}, "bbox"),
    ({"bbox": "30.7,50.35,30.4,50.55"}, "bbox"),
    ({"bbox": "30.4,95,30.7,96"}, "bbox"),
    ({"category": "Roads"}, "category"),
    ({"sort": "newest"}, "sort"),
    ({"created_from": "2025-03-02T00:00:00Z", "created_to": "2025-03-01T00:00:00Z"}, "created_to"),
])
def test_bad_query_parameter_is_a_422_naming_it(gateway, params, field):
    response = gateway.api.get("/api/v1/appeals", params=params)

    problem = assert_problem(response, 422, "invalid-input")
    assert list(fields_in(problem)) == [field]
    gateway.intake.list_appeals.assert_not_called()


def test_repeated_query_parameter_is_a_422(gateway):
    response = gateway.api.get("/api/v1/appeals?state=submitted&state=assigned")

    problem = assert_problem(response, 422, "invalid-input")
    assert list(fields_in(problem)) == ["state"]
