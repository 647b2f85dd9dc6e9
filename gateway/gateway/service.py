"""The gateway service: Hromada's public REST API over the intake and routing services.

Each entrypoint validates what arrives, makes one RPC call and shapes the answer; errors
take the single path in :mod:`gateway.http`.
"""
from __future__ import annotations

from urllib.parse import urlencode

import eventlet
from nameko.dependency_providers import Config
from nameko.exceptions import RpcTimeout

from gateway.http import http, json_response, problem_response, read_json_object
from gateway.openapi import openapi_document
from gateway.rpc import TimeoutRpcProxy
from gateway.schemas import (
    AppealCreate,
    AppealListQuery,
    CategoryListQuery,
    idempotency_key_from,
    load,
    load_query,
)

API = "/api/v1"
READY_TIMEOUT_CONFIG_KEY = "ready_timeout"


class GatewayService:
    """HTTP in, RPC out; no business rules live here."""

    name = "gateway"

    intake_rpc = TimeoutRpcProxy("intake")
    routing_rpc = TimeoutRpcProxy("routing")
    config = Config()

    @http("POST", f"{API}/appeals")
    def submit_appeal(self, request):
        """File an appeal: 201 with the new appeal, or 200 when an earlier request with the
        same ``Idempotency-Key`` and body is replayed."""
        idempotency_key = idempotency_key_from(request.headers)
        payload = load(AppealCreate(), read_json_object(request))
        appeal = self.intake_rpc.submit_appeal(payload, idempotency_key)
        return submitted_appeal_response(appeal)

    @http("GET", f"{API}/appeals/<string:appeal_id>")
    def get_appeal(self, request, appeal_id):
        """One appeal with its state history."""
        return json_response(self.intake_rpc.get_appeal(appeal_id))

    @http("GET", f"{API}/appeals")
    def list_appeals(self, request):
        """A page of appeals matching the query's filters, newest first, with a cursor."""
        filters = appeal_filters(load_query(AppealListQuery(), request.args))
        page = self.intake_rpc.list_appeals(filters)
        return appeal_page_response(page, request)

    @http("GET", f"{API}/categories")
    def list_categories(self, request):
        """The category taxonomy (active categories unless ``include_inactive=true``)."""
        query = load_query(CategoryListQuery(), request.args)
        categories = self.routing_rpc.list_categories(query["include_inactive"])
        return json_response({"items": categories})

    @http("GET", f"{API}/openapi.json")
    def openapi(self, request):
        """The OpenAPI 3.1 description of this API."""
        return json_response(openapi_document())

    @http("GET", "/health")
    def health(self, request):
        """Liveness: the process is serving HTTP."""
        return json_response({"status": "ok"})

    @http("GET", "/ready")
    def ready(self, request):
        """Readiness: intake and routing answer ``health()`` in time (200), else 503."""
        timeout = float(self.config.get(READY_TIMEOUT_CONFIG_KEY) or 2)
        probes = {
            name: eventlet.spawn(health_report, proxy, timeout)
            for name, proxy in (("intake", self.intake_rpc), ("routing", self.routing_rpc))
        }
        checks = {name: probe.wait() for name, probe in probes.items()}
        failed = sorted(name for name, report in checks.items() if not report_is_ok(report))
        if failed:
            return problem_response(
                503, f"Not ready; failed health checks: {', '.join(failed)}.", request.path,
                extra={"checks": checks},
            )
        return json_response({"status": "ready", "checks": checks})


def submitted_appeal_response(appeal: dict):
    """201 + ``Location`` for a new appeal; 200 + ``Idempotent-Replayed`` for a replay."""
    appeal = dict(appeal)
    replayed = bool(appeal.pop("replayed", False))
    headers = {"Location": f"{API}/appeals/{appeal['id']}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(appeal, status=200 if replayed else 201, headers=headers)


def appeal_filters(query: dict) -> dict:
    """The validated query as intake's ``list_appeals`` filters (datetimes as ISO strings)."""
    filters = dict(query)
    for key in ("created_from", "created_to"):
        if key in filters:
            filters[key] = filters[key].isoformat()
    return filters


def appeal_page_response(page: dict, request):
    """The page as JSON, with a ``Link: <…>; rel="next"`` header when there is a next page."""
    next_cursor = page.get("next_cursor")
    headers = {}
    if next_cursor:
        args = [(key, value) for key, value in request.args.items(multi=True) if key != "cursor"]
        args.append(("cursor", next_cursor))
        headers["Link"] = f'<{request.path}?{urlencode(args)}>; rel="next"'
    return json_response({"items": page["items"], "next_cursor": next_cursor}, headers=headers)


def health_report(proxy, timeout: float) -> dict:
    """What ``proxy.health()`` says within ``timeout`` seconds, or why it said nothing."""
    try:
        with eventlet.Timeout(timeout, RpcTimeout(f"no answer in {timeout}s")):
            return proxy.health()
    except Exception as exc:  # any failure means "not ready"; the report says which
        return {"status": "failed", "error": type(exc).__name__, "detail": str(exc)}


def report_is_ok(report) -> bool:
    return isinstance(report, dict) and bool(report) and all(value == "ok" for value in report.values())
