"""A dependency that is down is a 503 with Retry-After, never a 500.

Real components only: a service pointed at a PostgreSQL port nothing listens on, and the
gateway's RPC proxy publishing towards an AMQP port nothing listens on.
"""
import socket
import uuid

import pytest
from nameko.exceptions import RemoteError

from gateway_support import assert_problem
from hromada_common.testing.helpers import service_config


def dead_port() -> int:
    """A local TCP port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_unavailable(response) -> dict:
    problem = assert_problem(response, 503, "unavailable")
    assert response.headers["Retry-After"].isdigit(), response.headers
    assert int(response.headers["Retry-After"]) >= 1
    return problem


def test_a_service_whose_database_is_down_answers_503_with_retry_after(
        config, container_factory, start_gateway):
    from feedback.service import FeedbackService

    feedback_config = service_config(
        config["AMQP_URI"], f"postgresql://postgres@127.0.0.1:{dead_port()}/feedback",
        OUTBOX_RELAY=False, REMINDER_CHECK_INTERVAL=3600,
        JWT_PUBLIC_KEY_FILE=config["JWT_PUBLIC_KEY_FILE"])
    container_factory(FeedbackService, feedback_config).start()
    api, _ = start_gateway(mock_rpc=False)

    response = api.get(f"/api/v1/appeals/{uuid.uuid4()}/comments")

    problem = assert_unavailable(response)
    assert "OperationalError" not in response.text  # what failed is logged, not told
    assert problem["instance"].endswith("/comments")


def test_the_broker_being_unreachable_is_503_with_retry_after(config, start_gateway):
    config["rpc_timeout"] = 5
    api, _ = start_gateway(mock_rpc=False)
    gateway_container = next(iter(start_gateway.containers))
    # For one request the gateway's RPC proxy publishes to a port where no broker listens (its
    # reply listener stays on the real one), as during a broker restart.
    broker = gateway_container.config["AMQP_URI"]
    gateway_container.config["AMQP_URI"] = f"amqp://guest:guest@127.0.0.1:{dead_port()}/"
    try:
        response = api.get("/api/v1/categories")
    finally:
        gateway_container.config["AMQP_URI"] = broker

    assert_unavailable(response)


@pytest.mark.parametrize("exc_type", [
    "OperationalError",  # sqlalchemy, psycopg2, kombu: the database or broker went away
    "ConnectionRefusedError", "ConnectionResetError", "RecoverableConnectionError",
])
def test_a_service_reporting_its_dependency_down_over_rpc_is_503(gateway, exc_type):
    gateway.intake.get_appeal.side_effect = RemoteError(exc_type, "connection refused")

    assert_unavailable(gateway.api.get(f"/api/v1/appeals/{uuid.uuid4()}"))


def test_a_remote_bug_stays_a_500(gateway):
    gateway.intake.get_appeal.side_effect = RemoteError("KeyError", "secret_column")

    response = gateway.api.get(f"/api/v1/appeals/{uuid.uuid4()}")

    assert_problem(response, 500, "internal-error")
    assert "Retry-After" not in response.headers
