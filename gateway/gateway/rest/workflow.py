"""The executor's workflow and the dispatcher's triage (routing decides, intake records)."""
from __future__ import annotations

from gateway.http import http, json_response, read_json_object, roles
from gateway.schemas import (
    ComplexityUpdate,
    Extension,
    load,
    load_query,
    QueueQuery,
    Reassign,
    Resolve,
)
from gateway.rest.common import API, MODERATORS, BODY_STAFF


class WorkflowRoutes:
    """The executor's workflow and the dispatcher's triage (routing decides, intake
    records). Mixed into :class:`gateway.service.GatewayService`, whose RPC proxies it uses."""

    @http("POST", f"{API}/appeals/<string:appeal_id>/take", access=BODY_STAFF)
    def take_appeal(self, request, appeal_id):
        """An executor of the responsible body takes the appeal into work (409 names the
        current state when that is not possible)."""
        return json_response(self.routing_rpc.take_appeal(appeal_id))

    @http("POST", f"{API}/appeals/<string:appeal_id>/resolve", access=BODY_STAFF)
    def resolve_appeal(self, request, appeal_id):
        """The executor reports the work done; the resident's confirmation closes it."""
        payload = load(Resolve(), read_json_object(request))
        return json_response(self.routing_rpc.resolve_appeal(appeal_id, payload))

    @http("POST", f"{API}/appeals/<string:appeal_id>/complexity", access=MODERATORS)
    def set_complexity(self, request, appeal_id):
        """A dispatcher sets the complexity class at triage; the deadline is recomputed."""
        payload = load(ComplexityUpdate(), read_json_object(request))
        return json_response(self.routing_rpc.set_complexity(appeal_id, payload))

    @http("POST", f"{API}/appeals/<string:appeal_id>/reassign", access=MODERATORS)
    def reassign(self, request, appeal_id):
        """A dispatcher sends the appeal to another body."""
        payload = load(Reassign(), read_json_object(request))
        return json_response(self.routing_rpc.reassign(appeal_id, payload))

    @http("POST", f"{API}/appeals/<string:appeal_id>/extend", access=roles("head", "admin"))
    def extend_deadline(self, request, appeal_id):
        """The head of the responsible body extends the deadline, with a reason."""
        payload = load(Extension(), read_json_object(request))
        payload["until"] = payload["until"].isoformat()
        return json_response(self.routing_rpc.extend_deadline(appeal_id, payload))

    @http("GET", f"{API}/dispatcher/queue", access=MODERATORS)
    def dispatcher_queue(self, request):
        """Appeals no rule could route, waiting for a dispatcher."""
        query = load_query(QueueQuery(), request.args)
        return json_response(self.routing_rpc.dispatcher_queue(query))
