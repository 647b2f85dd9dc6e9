"""Builders for the dicts intake and routing return, unique per call."""
from __future__ import annotations

import uuid

PROBLEM = "application/problem+json"


def appeal_request(**overrides) -> dict:
    body = {
        "title": "Pothole on Khreshchatyk",
        "description": "A deep pothole in the right lane near the metro entrance.",
        "category": "roads.surface.pothole",
        "location": {"lat": 50.4474, "lon": 30.5225, "address": "вул. Хрещатик, 22"},
        "channel": "mobile",
        "fields": {"lane": "right"},
    }
    body.update(overrides)
    return body


def appeal_from(request_body: dict, **overrides) -> dict:
    appeal = {
        "id": str(uuid.uuid4()),
        "state": "submitted",
        "title": request_body["title"],
        "description": request_body["description"],
        "category": request_body["category"],
        "location": request_body["location"],
        "channel": request_body.get("channel", "web"),
        "fields": request_body.get("fields", {}),
        "body": None,
        "due_at": None,
        "complexity": None,
        "created_at": "2025-03-01T09:00:00+00:00",
        "updated_at": "2025-03-01T09:00:00+00:00",
        "version": 1,
        "history": [{"state": "submitted", "at": "2025-03-01T09:00:00+00:00", "by": None, "version": 1}],
    }
    appeal.update(overrides)
    return appeal


def assert_problem(response, status: int, slug: str) -> dict:
    """The response is an RFC 9457 problem with ``status`` and type ``…/problems/<slug>``."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["type"] == f"https://hromada.city/problems/{slug}"
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert problem["instance"] == response.request.path_url.split("?")[0]
    return problem


def fields_in(problem: dict) -> dict:
    return {error["field"]: error["messages"] for error in problem.get("errors", [])}
