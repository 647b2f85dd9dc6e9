"""One error path: remote error classes, RPC failures, routing misses and bugs as problem+json."""
import uuid

import pytest
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from nameko.exceptions import RpcTimeout, UnknownService

from gateway_support import assert_problem, fields_in


@pytest.mark.parametrize("error, status, slug", [
    (InvalidInput("The appeal is invalid.", fields={"location.lat": ["Out of range."]}), 422, "invalid-input"),
    (NotFound("No such appeal."), 404, "not-found"),
    (Conflict("The appeal changed meanwhile.", extra={"current_version": 3}), 409, "conflict"),
    (Forbidden("Not your appeal."), 403, "forbidden"),
    (Unavailable("The database is down."), 503, "unavailable"),
])
def test_each_remote_error_class_has_its_status(gateway, error, status, slug):
    gateway.intake.get_appeal.side_effect = error

    response = gateway.api.get(f"/api/v1/appeals/{uuid.uuid4()}")

    problem = assert_problem(response, status, slug)
    assert problem["title"] == error.title
    assert problem["detail"] == error.detail
    assert fields_in(problem) == error.fields
    for key, value in error.extra.items():
        assert problem[key] == value


@pytest.mark.parametrize("error", [RpcTimeout("intake.get_appeal"), UnknownService("intake")])
def test_rpc_failures_are_503(gateway, error):
    gateway.intake.get_appeal.side_effect = error

    response = gateway.api.get(f"/api/v1/appeals/{uuid.uuid4()}")

    assert_problem(response, 503, "unavailable")


def test_unexpected_error_is_a_500_without_internals(gateway, caplog):
    gateway.intake.get_appeal.side_effect = KeyError("secret_column")

    response = gateway.api.get(f"/api/v1/appeals/{uuid.uuid4()}")

    problem = assert_problem(response, 500, "internal-error")
    assert "secret_column" not in response.text
    assert "Traceback" not in response.text
    assert "secret_column" in caplog.text  # but it is logged


def test_unknown_route_is_a_404_problem(gateway):
    response = gateway.api.get("/api/v1/nothing-here")

    problem = assert_problem(response, 404, "not-found")
    assert problem["instance"] == "/api/v1/nothing-here"


def test_wrong_method_is_a_405_problem_listing_allowed_methods(gateway):
    response = gateway.api.delete("/api/v1/categories")

    assert_problem(response, 405, "method-not-allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_request_id_is_echoed(gateway):
    request_id = f"req-{uuid.uuid4()}"

    ok = gateway.api.get("/health", headers={"X-Request-Id": request_id})
    missing = gateway.api.get("/nowhere", headers={"X-Request-Id": request_id})

    assert ok.headers["X-Request-Id"] == request_id
    assert missing.headers["X-Request-Id"] == request_id


def test_request_id_is_generated_when_absent_or_unusable(gateway):
    plain = gateway.api.get("/health")
    unusable = gateway.api.get("/health", headers={"X-Request-Id": "has spaces and ; semicolons"})

    for response in (plain, unusable):
        assert uuid.UUID(response.headers["X-Request-Id"])
    assert plain.headers["X-Request-Id"] != unusable.headers["X-Request-Id"]


@pytest.mark.parametrize("extra, seconds", [({"retry_after": 12.3}, 13), ({"retry_after": "7"}, 7),
                                            ({}, 1), ({"retry_after": "soon"}, 1)])
def test_every_429_says_how_long_to_wait_in_whole_seconds(gateway, extra, seconds):
    from hromada_common.auth import TooManyRequests

    gateway.accounts.issue_tokens.side_effect = TooManyRequests("too many failed sign-ins",
                                                                extra=extra)
    response = gateway.api.post("/api/v1/auth/token",
                                json={"email": "a@example.org", "password": "whatever it is"})
    problem = assert_problem(response, 429, "too-many-requests")
    assert problem["retry_after"] == seconds and isinstance(problem["retry_after"], int)
    assert response.headers["Retry-After"] == str(seconds)
