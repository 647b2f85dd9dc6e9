"""Appeals: filing, reading, listing, moderation, public statistics (intake decides)."""
from __future__ import annotations

import uuid
from urllib.parse import urlencode

from gateway.http import http, json_response, PUBLIC, read_json_object
from gateway.schemas import (
    AppealCreate,
    AppealListQuery,
    idempotency_key_from,
    load,
    load_query,
    Rejection,
)
from gateway.rest.common import API, MODERATORS


class AppealRoutes:
    """Appeals: filing, reading, listing, moderation, public statistics (intake decides).
    Mixed into :class:`gateway.service.GatewayService`, whose RPC proxies it uses."""

    @http("POST", f"{API}/appeals")
    def submit_appeal(self, request):
        """File an appeal: 201 with the new appeal, or 200 when an earlier request with the
        same ``Idempotency-Key`` and body is replayed."""
        client_key = idempotency_key_from(request.headers)
        payload = load(AppealCreate(), read_json_object(request))
        appeal = self.intake_rpc.submit_appeal(payload, client_key or request_scoped_key())
        return submitted_appeal_response(appeal, replay_visible=client_key is not None)

    @http("GET", f"{API}/appeals/<string:appeal_id>", access=PUBLIC)
    def get_appeal(self, request, appeal_id):
        """One appeal with its state history; the author's contact only for the author,
        moderators and staff of the responsible body (intake decides, accounts re-checks)."""
        appeal = self.intake_rpc.get_appeal(appeal_id)
        if appeal.get("author_id"):
            appeal["author"] = self.accounts_rpc.contact_of(appeal["author_id"])
        return json_response(appeal)

    @http("GET", f"{API}/appeals", access=PUBLIC)
    def list_appeals(self, request):
        """A page of appeals matching the query's filters, newest first, with a cursor."""
        filters = appeal_filters(load_query(AppealListQuery(), request.args))
        page = self.intake_rpc.list_appeals(filters)
        return appeal_page_response(page, request)

    @http("POST", f"{API}/appeals/<string:appeal_id>/reject", access=MODERATORS)
    def reject_appeal(self, request, appeal_id):
        """A moderator rejects an appeal with a reason and its code (spam, not_constructive,
        out_of_remit, other)."""
        payload = load(Rejection(), read_json_object(request))
        return json_response(self.intake_rpc.reject_appeal(appeal_id, payload))

    @http("GET", f"{API}/statistics", access=PUBLIC)
    def statistics(self, request):
        """Public counts by state: only appeals their authors confirmed count as done."""
        return json_response(self.intake_rpc.statistics())


def request_scoped_key() -> str:
    """An idempotency key for a submission the client sent without one.

    nameko redelivers an RPC request whose worker died before acking it, even when the work was
    committed; with a key of its own the redelivered request finds the appeal it already filed
    instead of filing it again. Fresh per HTTP request: two requests are two appeals.
    """
    return f"gateway:{uuid.uuid4().hex}"


def submitted_appeal_response(appeal: dict, replay_visible: bool = True):
    """201 + ``Location`` for a new appeal; 200 + ``Idempotent-Replayed`` for a replay of the
    client's own key (a replay of :func:`request_scoped_key` is the first answer the client
    sees, so it is a 201)."""
    appeal = dict(appeal)
    replayed = bool(appeal.pop("replayed", False)) and replay_visible
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
