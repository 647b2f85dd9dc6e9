"""The API description, liveness and readiness."""
from __future__ import annotations

import eventlet
from nameko.exceptions import RpcTimeout

from gateway.http import http, json_response, problem_response, PUBLIC
from gateway.openapi import openapi_document
from gateway.rest.common import API

READY_TIMEOUT_CONFIG_KEY = "ready_timeout"


class OperationRoutes:
    """The API description, liveness and readiness. Mixed into
    :class:`gateway.service.GatewayService`, whose RPC proxies it uses."""

    @http("GET", f"{API}/openapi.json", access=PUBLIC)
    def openapi(self, request):
        """The OpenAPI 3.1 description of this API."""
        return json_response(openapi_document())

    @http("GET", "/health", access=PUBLIC)
    def health(self, request):
        """Liveness: the process is serving HTTP."""
        return json_response({"status": "ok"})

    @http("GET", "/ready", access=PUBLIC)
    def ready(self, request):
        """Readiness: intake, routing, accounts, feedback and gamification answer ``health()``
        in time, each and the gateway itself with token revocations loaded (200), else 503."""
        timeout = float(self.config.get(READY_TIMEOUT_CONFIG_KEY) or 2)
        probes = {
            name: eventlet.spawn(health_report, proxy, timeout)
            for name, proxy in (("intake", self.intake_rpc), ("routing", self.routing_rpc),
                                ("accounts", self.accounts_rpc), ("feedback", self.feedback_rpc),
                                ("gamification", self.gamification_rpc))
        }
        checks = {"gateway": {"revocations": self.edge_revocations.status()}}
        checks |= {name: probe.wait() for name, probe in probes.items()}
        failed = sorted(name for name, report in checks.items() if not report_is_ok(report))
        if failed:
            return problem_response(
                503, f"Not ready; failed health checks: {', '.join(failed)}.", request.path,
                extra={"checks": checks},
            )
        return json_response({"status": "ready", "checks": checks})


def health_report(proxy, timeout: float) -> dict:
    """What ``proxy.health()`` says within ``timeout`` seconds, or why it said nothing."""
    try:
        with eventlet.Timeout(timeout, RpcTimeout(f"no answer in {timeout}s")):
            return proxy.health()
    except Exception as exc:  # any failure means "not ready"; the report says which
        return {"status": "failed", "error": type(exc).__name__, "detail": str(exc)}


def report_is_ok(report) -> bool:
    return isinstance(report, dict) and bool(report) and all(value == "ok" for value in report.values())
