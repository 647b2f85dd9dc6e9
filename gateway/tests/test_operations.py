"""/health and /ready."""
import eventlet
from hromada_common.errors import Unavailable

from gateway_support import assert_problem

HEALTHY = {"database": "ok", "broker": "ok"}


def test_health_is_ok_without_asking_anyone(gateway):
    response = gateway.api.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    gateway.intake.health.assert_not_called()


def test_ready_when_every_service_is_healthy(gateway):
    gateway.intake.health.return_value = HEALTHY
    gateway.routing.health.return_value = HEALTHY
    gateway.accounts.health.return_value = HEALTHY
    gateway.feedback.health.return_value = HEALTHY
    gateway.gamification.health.return_value = HEALTHY

    response = gateway.api.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {
        "gateway": {"revocations": "ok"},
        "intake": HEALTHY, "routing": HEALTHY, "accounts": HEALTHY, "feedback": HEALTHY,
        "gamification": HEALTHY}}


def test_not_ready_while_the_gateway_cannot_judge_tokens_yet(gateway, start_gateway):
    """Until the revocation snapshot is in, every signed-in request would be a 503: so the
    gateway is not ready either (a load balancer sends it nothing meanwhile)."""
    for service in ("intake", "routing", "accounts", "feedback", "gamification"):
        getattr(gateway, service).health.return_value = HEALTHY
    from hromada_common.revocation import RevocationFeed

    container = start_gateway.containers[-1]
    feed = next(ext for ext in container.shared_extensions.values()
                if isinstance(ext, RevocationFeed))
    feed.revocations.snapshot_loaded = False

    response = gateway.api.get("/ready", headers={"Authorization": None})  # probes send none

    problem = assert_problem(response, 503, "unavailable")
    assert problem["checks"]["gateway"] == {"revocations": "loading"}
    assert "gateway" in problem["detail"]


def test_not_ready_when_a_health_check_raises(gateway):
    gateway.intake.health.return_value = HEALTHY
    gateway.routing.health.side_effect = Unavailable("database unreachable")
    gateway.accounts.health.return_value = HEALTHY
    gateway.feedback.health.return_value = HEALTHY
    gateway.gamification.health.return_value = HEALTHY

    response = gateway.api.get("/ready")

    problem = assert_problem(response, 503, "unavailable")
    assert response.headers["Retry-After"].isdigit()
    assert "routing" in problem["detail"] and "intake" not in problem["detail"]
    assert problem["checks"]["intake"] == HEALTHY
    assert problem["checks"]["routing"] == {
        "status": "failed", "error": "Unavailable", "detail": "database unreachable",
    }


def test_not_ready_when_a_service_reports_a_failing_part(gateway):
    gateway.intake.health.return_value = {"database": "error: connection refused", "broker": "ok"}
    gateway.routing.health.return_value = HEALTHY
    gateway.accounts.health.return_value = HEALTHY
    gateway.feedback.health.return_value = HEALTHY
    gateway.gamification.health.return_value = HEALTHY

    response = gateway.api.get("/ready")

    problem = assert_problem(response, 503, "unavailable")
    assert problem["checks"]["intake"]["database"].startswith("error")


def test_not_ready_when_a_health_check_is_too_slow(gateway):
    def slow_health():
        eventlet.sleep(5)
        return HEALTHY

    gateway.intake.health.side_effect = slow_health
    gateway.routing.health.return_value = HEALTHY
    gateway.accounts.health.return_value = HEALTHY
    gateway.feedback.health.return_value = HEALTHY
    gateway.gamification.health.return_value = HEALTHY

    started = eventlet.hubs.get_hub().clock()
    response = gateway.api.get("/ready")
    elapsed = eventlet.hubs.get_hub().clock() - started

    problem = assert_problem(response, 503, "unavailable")
    assert problem["checks"]["intake"]["error"] == "RpcTimeout"
    assert elapsed < 3  # ready_timeout is 0.5 s in the test config
