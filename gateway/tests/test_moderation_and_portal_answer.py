"""A moderator's rejection carries its code; a portal-feedback answer carries the useful mark.
Both are checked at the edge and passed to the service that decides (intake, feedback)."""
from gateway_support import assert_problem, fields_in


def test_reject_passes_the_reason_code_and_defaults_it_to_other(gateway):
    gateway.intake.reject_appeal.return_value = {"id": "a-1", "state": "rejected"}
    response = gateway.api.post("/api/v1/appeals/a-1/reject",
                                json={"reason": "advertising", "reason_code": "spam"})
    assert response.status_code == 200 and response.json()["state"] == "rejected"
    gateway.intake.reject_appeal.assert_called_once_with(
        "a-1", {"reason": "advertising", "reason_code": "spam"})
    gateway.intake.reject_appeal.reset_mock()
    assert gateway.api.post("/api/v1/appeals/a-2/reject",
                            json={"reason": "a private dispute"}).status_code == 200
    gateway.intake.reject_appeal.assert_called_once_with(
        "a-2", {"reason": "a private dispute", "reason_code": "other"})


def test_reject_with_an_unknown_reason_code_is_refused_naming_it(gateway):
    problem = assert_problem(gateway.api.post("/api/v1/appeals/a-1/reject", json={
        "reason": "advertising", "reason_code": "rude"}), 422, "invalid-input")
    assert set(fields_in(problem)) == {"reason_code"}
    gateway.intake.reject_appeal.assert_not_called()


def test_portal_answer_passes_useful_and_defaults_it_to_false(gateway):
    gateway.feedback.answer_portal_feedback.return_value = {"id": "f-1", "useful": True}
    response = gateway.api.post("/api/v1/portal-feedback/f-1/answer",
                                json={"answer": "Planned for May", "useful": True})
    assert response.status_code == 200 and response.json()["useful"] is True
    gateway.feedback.answer_portal_feedback.assert_called_once_with(
        "f-1", {"answer": "Planned for May", "useful": True})
    gateway.feedback.answer_portal_feedback.reset_mock()
    gateway.api.post("/api/v1/portal-feedback/f-2/answer", json={"answer": "Thanks"})
    gateway.feedback.answer_portal_feedback.assert_called_once_with(
        "f-2", {"answer": "Thanks", "useful": False})
    problem = assert_problem(gateway.api.post("/api/v1/portal-feedback/f-3/answer", json={
        "answer": "Thanks", "useful": "very"}), 422, "invalid-input")
    assert set(fields_in(problem)) == {"useful"}


def test_openapi_documents_the_reason_code_and_the_useful_mark(gateway):
    document = gateway.api.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]

    def request_schema(path):
        ref = document["paths"][path]["post"]["requestBody"]["content"]["application/json"][
            "schema"]["$ref"]
        return schemas[ref.rsplit("/", 1)[-1]]

    reject = request_schema("/api/v1/appeals/{appeal_id}/reject")
    assert reject["properties"]["reason_code"]["enum"] == [
        "spam", "not_constructive", "out_of_remit", "other"]
    assert reject["required"] == ["reason"]
    answer = request_schema("/api/v1/portal-feedback/{feedback_id}/answer")
    assert answer["properties"]["useful"]["type"] == "boolean"
    assert answer["required"] == ["answer"]
    history = schemas["HistoryEntry"]["properties"]
    assert "reason_code" in history
