"""Bodies and the category taxonomy (routing owns them)."""
from __future__ import annotations

from gateway.http import http, json_response, PUBLIC, read_json_object
from gateway.schemas import CategoryInput, CategoryListQuery, load, load_query, QueueQuery
from gateway.rest.common import API, ADMIN, STAFF


class TaxonomyRoutes:
    """Bodies and the category taxonomy (routing owns them). Mixed into
    :class:`gateway.service.GatewayService`, whose RPC proxies it uses."""

    @http("GET", f"{API}/bodies", access=PUBLIC)
    def list_bodies(self, request):
        """The executor bodies appeals are routed to."""
        return json_response({"items": self.routing_rpc.list_bodies()})

    @http("GET", f"{API}/bodies/<string:body>/queue", access=STAFF)
    def body_queue(self, request, body):
        """A body's open appeals, overdue first, then by time left (its staff, dispatchers)."""
        query = load_query(QueueQuery(), request.args)
        return json_response(self.routing_rpc.body_queue(body, query))

    @http("GET", f"{API}/categories", access=PUBLIC)
    def list_categories(self, request):
        """The category taxonomy (active categories unless ``include_inactive=true``)."""
        query = load_query(CategoryListQuery(), request.args)
        categories = self.routing_rpc.list_categories(query["include_inactive"])
        return json_response({"items": categories})

    @http("POST", f"{API}/categories", access=ADMIN)
    def create_category(self, request):
        """An administrator adds a category to the taxonomy."""
        payload = load(CategoryInput(), read_json_object(request))
        return json_response(self.routing_rpc.create_category(payload), status=201)

    @http("PATCH", f"{API}/categories/<string:code>", access=ADMIN)
    def update_category(self, request, code):
        """An administrator renames, moves, retunes or (de)activates a category; categories
        are never deleted."""
        payload = load(CategoryInput(partial=True), read_json_object(request))
        return json_response(self.routing_rpc.update_category(code, payload))
