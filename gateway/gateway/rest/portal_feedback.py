"""Suggestions and complaints about the portal itself, and the staff's answers."""
from __future__ import annotations

from gateway.http import http, json_response, read_json_object
from gateway.schemas import (
    load,
    load_query,
    PortalFeedbackAnswer,
    PortalFeedbackIn,
    QueueQuery as PortalFeedbackQuery,
)
from gateway.rest.common import API, MODERATORS


class PortalFeedbackRoutes:
    """Suggestions and complaints about the portal itself, and the staff's answers. Mixed
    into :class:`gateway.service.GatewayService`, whose RPC proxies it uses."""

    @http("POST", f"{API}/portal-feedback")
    def submit_portal_feedback(self, request):
        """A suggestion or complaint about the portal itself."""
        payload = load(PortalFeedbackIn(), read_json_object(request))
        return json_response(self.feedback_rpc.submit_portal_feedback(payload), status=201)

    @http("GET", f"{API}/portal-feedback")
    def list_portal_feedback(self, request):
        """Staff see all portal feedback; a resident sees their own."""
        query = load_query(PortalFeedbackQuery(), request.args)
        return json_response(self.feedback_rpc.list_portal_feedback(query))

    @http("POST", f"{API}/portal-feedback/<string:feedback_id>/answer", access=MODERATORS)
    def answer_portal_feedback(self, request, feedback_id):
        """Staff answer a resident's portal feedback, marking it ``useful`` if it is."""
        payload = load(PortalFeedbackAnswer(), read_json_object(request))
        return json_response(self.feedback_rpc.answer_portal_feedback(feedback_id, payload))

    @http("POST", f"{API}/portal-feedback/<string:feedback_id>/close")
    def close_portal_feedback(self, request, feedback_id):
        """The author or staff close answered portal feedback."""
        return json_response(self.feedback_rpc.close_portal_feedback(feedback_id))
