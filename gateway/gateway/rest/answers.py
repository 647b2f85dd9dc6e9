"""The resident's answer to a resolution and the discussion of an appeal (feedback decides)."""
from __future__ import annotations

from gateway.http import http, json_response, PUBLIC, read_json_object
from gateway.schemas import CommentIn, Confirm, load, Reason, Rework
from gateway.rest.common import API, STAFF


class AnswerRoutes:
    """The resident's answer to a resolution and the discussion of an appeal (feedback
    decides). Mixed into :class:`gateway.service.GatewayService`, whose RPC proxies it uses."""

    @http("POST", f"{API}/appeals/<string:appeal_id>/confirm")
    def confirm_appeal(self, request, appeal_id):
        """The author confirms the resolution with a rating (1–5): the only way to ``closed``."""
        payload = load(Confirm(), read_json_object(request))
        return json_response(self.feedback_rpc.confirm(appeal_id, payload))

    @http("POST", f"{API}/appeals/<string:appeal_id>/rework")
    def request_rework(self, request, appeal_id):
        """The author sends the resolved appeal back to the same body, with a reason."""
        payload = load(Rework(), read_json_object(request))
        return json_response(self.feedback_rpc.request_rework(appeal_id, payload))

    @http("POST", f"{API}/appeals/<string:appeal_id>/archive", access=STAFF)
    def archive_appeal(self, request, appeal_id):
        """Staff archive a resolved appeal the author never answered (never counted as done)."""
        payload = load(Reason(), read_json_object(request))
        return json_response(self.feedback_rpc.archive(appeal_id, payload))

    @http("GET", f"{API}/appeals/<string:appeal_id>/comments", access=PUBLIC)
    def list_comments(self, request, appeal_id):
        """The discussion of an appeal (residents' identities only for those allowed)."""
        return json_response(self.feedback_rpc.list_comments(appeal_id))

    @http("POST", f"{API}/appeals/<string:appeal_id>/comments")
    def add_comment(self, request, appeal_id):
        """The author or the body's staff add to the discussion."""
        payload = load(CommentIn(), read_json_object(request))
        return json_response(self.feedback_rpc.add_comment(appeal_id, payload), status=201)
