"""POST/GET /api/v1/appeals against mocked intake: what reaches intake and what comes back."""
import uuid

import pytest
from hromada_common.errors import NotFound

from gateway_support import appeal_from, appeal_request, assert_problem, fields_in


def test_resident_files_an_appeal_and_gets_201_with_its_location(gateway):
    body = appeal_request()
    appeal = appeal_from(body)
    gateway.intake.submit_appeal.return_value = appeal

    response = gateway.api.post("/api/v1/appeals", json=body)

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Location"] == f"/api/v1/appeals/{appeal['id']}"
    assert "Idempotent-Replayed" not in response.headers
    assert response.json() == appeal
    gateway.intake.submit_appeal.assert_called_once()
    assert gateway.intake.submit_appeal.call_args.args[0] == body


def test_a_submission_without_a_key_gets_one_of_its_own_per_request(gateway):
    """A redelivered RPC (intake killed between commit and reply) carries the same key, so
    intake finds the appeal it filed instead of filing it twice."""
    body = appeal_request()
    gateway.intake.submit_appeal.return_value = appeal_from(body)

    gateway.api.post("/api/v1/appeals", json=body)
    gateway.api.post("/api/v1/appeals", json=body)

    keys = [call.args[1] for call in gateway.intake.submit_appeal.call_args_list]
    assert all(key and key.startswith("gateway:") for key in keys)
    assert keys[0] != keys[1]


def test_a_replay_of_the_gateways_own_key_is_still_a_201(gateway):
    body = appeal_from(appeal_request())
    gateway.intake.submit_appeal.return_value = {**body, "replayed": True}

    response = gateway.api.post("/api/v1/appeals", json=appeal_request())

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers


def test_channel_and_extra_fields_default_when_omitted(gateway):
    body = appeal_request()
    del body["channel"], body["fields"]
    gateway.intake.submit_appeal.return_value = appeal_from(body)

    gateway.api.post("/api/v1/appeals", json=body)

    payload, _ = gateway.intake.submit_appeal.call_args.args
    assert payload["channel"] == "web"
    assert payload["fields"] == {}


def test_idempotency_key_is_passed_to_intake(gateway):
    body = appeal_request()
    key = f"key-{uuid.uuid4()}"
    gateway.intake.submit_appeal.return_value = appeal_from(body)

    response = gateway.api.post("/api/v1/appeals", json=body, headers={"Idempotency-Key": key})

    assert response.status_code == 201
    gateway.intake.submit_appeal.assert_called_once_with(body, key)


def test_replayed_submission_answers_200_with_the_same_appeal(gateway):
    body = appeal_request()
    appeal = appeal_from(body)
    gateway.intake.submit_appeal.return_value = {**appeal, "replayed": True}

    response = gateway.api.post("/api/v1/appeals", json=body, headers={"Idempotency-Key": "k-1"})

    assert response.status_code == 200
    assert response.headers["Idempotent-Replayed"] == "true"
    assert response.headers["Location"] == f"/api/v1/appeals/{appeal['id']}"
    assert response.json() == appeal  # "replayed" is not part of the appeal


def test_reused_key_with_a_different_body_is_a_409(gateway):
    from hromada_common.errors import Conflict

    gateway.intake.submit_appeal.side_effect = Conflict(
        "Idempotency-Key k-2 was used with a different request body."
    )

    response = gateway.api.post("/api/v1/appeals", json=appeal_request(), headers={"Idempotency-Key": "k-2"})

    problem = assert_problem(response, 409, "conflict")
    assert "different request body" in problem["detail"]


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_unusable_idempotency_key_is_rejected_naming_the_header(gateway, key):
    response = gateway.api.post("/api/v1/appeals", json=appeal_request(), headers={"Idempotency-Key": key})

    problem = assert_problem(response, 422, "invalid-input")
    assert list(fields_in(problem)) == ["Idempotency-Key"]
    gateway.intake.submit_appeal.assert_not_called()


def test_idempotency_key_of_200_characters_is_accepted(gateway):
    body = appeal_request()
    gateway.intake.submit_appeal.return_value = appeal_from(body)

    response = gateway.api.post("/api/v1/appeals", json=body, headers={"Idempotency-Key": "k" * 200})

    assert response.status_code == 201


def test_invalid_appeal_is_a_422_naming_every_field_at_fault(gateway):
    body = appeal_request(
        title="",
        description="x" * 4001,
        category="Roads / potholes",
        location={"lat": 91, "lon": "east", "address": "Хрещатик"},
        channel="fax",
        fields=["not", "an", "object"],
        colour="red",
        author_id="someone-else",
    )

    response = gateway.api.post("/api/v1/appeals", json=body)

    problem = assert_problem(response, 422, "invalid-input")
    errors = fields_in(problem)
    assert set(errors) == {
        "title", "description", "category", "location.lat", "location.lon", "channel", "fields",
        "colour", "author_id",
    }
    assert errors["author_id"] == ["Unknown field."]  # the author is the signed-in account
    assert errors["colour"] == ["Unknown field."]
    gateway.intake.submit_appeal.assert_not_called()


def test_missing_location_parts_are_named_with_their_path(gateway):
    response = gateway.api.post("/api/v1/appeals", json=appeal_request(location={"lat": 50.45}))

    problem = assert_problem(response, 422, "invalid-input")
    assert set(fields_in(problem)) == {"location.lon", "location.address"}


def test_intake_rejecting_the_appeal_keeps_its_field_errors(gateway):
    from hromada_common.errors import InvalidInput

    gateway.intake.submit_appeal.side_effect = InvalidInput(
        "The category needs more fields.", fields={"fields.lamp_post_number": ["Required by this category."]}
    )

    response = gateway.api.post("/api/v1/appeals", json=appeal_request(category="lighting.street.lamp_out"))

    problem = assert_problem(response, 422, "invalid-input")
    assert problem["detail"] == "The category needs more fields."
    assert fields_in(problem) == {"fields.lamp_post_number": ["Required by this category."]}


def test_body_that_is_not_json_media_type_is_a_415(gateway):
    response = gateway.api.post(
        "/api/v1/appeals", data="title=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert_problem(response, 415, "unsupported-media-type")
    gateway.intake.submit_appeal.assert_not_called()


def test_body_without_content_type_is_a_415(gateway):
    response = gateway.api.post("/api/v1/appeals", data=b'{"title": "x"}')

    assert_problem(response, 415, "unsupported-media-type")


def test_malformed_json_is_a_400(gateway):
    response = gateway.api.post(
        "/api/v1/appeals", data='{"title": "x",', headers={"Content-Type": "application/json"}
    )

    problem = assert_problem(response, 400, "bad-request")
    assert "not valid JSON" in problem["detail"]
    gateway.intake.submit_appeal.assert_not_called()


@pytest.mark.parametrize("raw", ['["a list"]', '"a string"', "null", ""])
def test_json_body_that_is_not_an_object_is_a_400(gateway, raw):
    response = gateway.api.post("/api/v1/appeals", data=raw, headers={"Content-Type": "application/json"})

    assert_problem(response, 400, "bad-request")


def test_appeal_is_read_with_its_history(gateway):
    appeal = appeal_from(appeal_request())
    gateway.intake.get_appeal.return_value = appeal

    response = gateway.api.get(f"/api/v1/appeals/{appeal['id']}")

    assert response.status_code == 200
    assert response.json() == appeal
    gateway.intake.get_appeal.assert_called_once_with(appeal["id"])


def test_unknown_appeal_is_a_404_problem(gateway):
    appeal_id = str(uuid.uuid4())
    gateway.intake.get_appeal.side_effect = NotFound(f"No appeal {appeal_id}.")

    response = gateway.api.get(f"/api/v1/appeals/{appeal_id}")

    problem = assert_problem(response, 404, "not-found")
    assert problem["detail"] == f"No appeal {appeal_id}."
    assert problem["instance"] == f"/api/v1/appeals/{appeal_id}"


def test_oversized_body_is_a_413(gateway):
    body = appeal_request(description="x" * (1024 * 1024))

    response = gateway.api.post("/api/v1/appeals", json=body)

    assert_problem(response, 413, "payload-too-large")
    gateway.intake.submit_appeal.assert_not_called()
