"""The executor workflow, triage, queues and taxonomy endpoints translate to routing's RPC."""
from hromada_common.errors import Conflict, Forbidden

from gateway_support import assert_problem, fields_in


def test_take_passes_through_and_a_conflict_names_the_current_state(gateway):
    gateway.routing.take_appeal.return_value = {"appeal_id": "a-1", "state": "in_progress"}
    response = gateway.api.post("/api/v1/appeals/a-1/take")
    assert response.status_code == 200 and response.json()["state"] == "in_progress"
    gateway.routing.take_appeal.assert_called_once_with("a-1")

    gateway.routing.take_appeal.side_effect = Conflict(
        "an appeal in state 'resolved' cannot move to 'in_progress'", extra={"state": "resolved"})
    problem = assert_problem(gateway.api.post("/api/v1/appeals/a-1/take"), 409, "conflict")
    assert problem["state"] == "resolved" and "resolved" in problem["detail"]


def test_resolve_needs_a_comment(gateway):
    problem = assert_problem(gateway.api.post("/api/v1/appeals/a-1/resolve", json={}), 422,
                             "invalid-input")
    assert "comment" in fields_in(problem)
    gateway.routing.resolve_appeal.assert_not_called()
    gateway.routing.resolve_appeal.return_value = {"appeal_id": "a-1", "state": "resolved"}
    response = gateway.api.post("/api/v1/appeals/a-1/resolve", json={"comment": "Patched"})
    assert response.status_code == 200
    gateway.routing.resolve_appeal.assert_called_once_with(
        "a-1", {"comment": "Patched", "photo_ref": None})


def test_complexity_reassign_and_extension_are_validated(gateway):
    problem = assert_problem(gateway.api.post("/api/v1/appeals/a-1/complexity",
                                              json={"complexity": "huge"}), 422, "invalid-input")
    assert "complexity" in fields_in(problem)
    problem = assert_problem(gateway.api.post("/api/v1/appeals/a-1/extend",
                                              json={"until": "2026-12-01T10:00:00"}), 422,
                             "invalid-input")
    assert set(fields_in(problem)) == {"until", "reason"}  # naive datetime, missing reason
    gateway.routing.extend_deadline.return_value = {"appeal_id": "a-1"}
    ok = gateway.api.post("/api/v1/appeals/a-1/extend", json={
        "until": "2026-12-01T10:00:00+02:00", "reason": "the asphalt plant is closed"})
    assert ok.status_code == 200
    gateway.routing.extend_deadline.assert_called_once_with("a-1", {
        "until": "2026-12-01T10:00:00+02:00", "reason": "the asphalt plant is closed"})
    gateway.routing.reassign.side_effect = Forbidden("dispatchers only")
    assert_problem(gateway.api.post("/api/v1/appeals/a-1/reassign", json={"body": "kyivvodokanal"}),
                   403, "forbidden")


def test_queues_and_category_management(gateway):
    gateway.routing.body_queue.return_value = {"items": [], "next_cursor": None}
    assert gateway.api.get("/api/v1/bodies/kyivavtodor/queue?limit=5").status_code == 200
    gateway.routing.body_queue.assert_called_once_with("kyivavtodor", {"limit": 5})
    problem = assert_problem(gateway.api.get("/api/v1/dispatcher/queue?limit=0"), 422,
                             "invalid-input")
    assert "limit" in fields_in(problem)
    gateway.routing.update_category.return_value = {"code": "roads.surface.pothole"}
    response = gateway.api.patch("/api/v1/categories/roads.surface.pothole",
                                 json={"active": False})
    assert response.status_code == 200
    gateway.routing.update_category.assert_called_once_with("roads.surface.pothole",
                                                            {"active": False})
    problem = assert_problem(gateway.api.post("/api/v1/categories", json={
        "code": "Roads!", "level": "galaxy"}), 422, "invalid-input")
    assert {"code", "level"} <= set(fields_in(problem))


def test_confirm_and_rework_are_validated_and_passed_to_feedback(gateway):
    problem = assert_problem(gateway.api.post("/api/v1/appeals/a-1/confirm", json={"rating": 6}),
                             422, "invalid-input")
    assert "rating" in fields_in(problem)
    gateway.feedback.confirm.return_value = {"appeal_id": "a-1", "rating": 4}
    assert gateway.api.post("/api/v1/appeals/a-1/confirm", json={"rating": 4}).status_code == 200
    gateway.feedback.confirm.assert_called_once_with("a-1", {"rating": 4, "comment": None})
    gateway.feedback.request_rework.side_effect = Conflict(
        "an appeal in state 'closed' cannot move to 'rework'", extra={"state": "closed"})
    problem = assert_problem(gateway.api.post("/api/v1/appeals/a-1/rework",
                                              json={"reason": "still broken"}), 409, "conflict")
    assert problem["state"] == "closed"


def test_notifications_read_needs_ids_or_all(gateway):
    problem = assert_problem(gateway.api.post("/api/v1/me/notifications/read", json={}), 422,
                             "invalid-input")
    assert "ids" in fields_in(problem)
    gateway.accounts.mark_notifications_read.return_value = {"updated": 3}
    response = gateway.api.post("/api/v1/me/notifications/read", json={"all": True})
    assert response.json() == {"updated": 3}
