"""Nearby duplicates and support: before filing, a resident sees the open appeals of the same
category within 250 m and may support one instead of filing a copy (docs/api.md).

Mixed into :class:`~gateway.service.GatewayService` (``support.SupportRoutes``). Intake
decides everything (which appeals are open and near, who may support); the edge checks who
is calling, validates the query and shapes the answer. The web filing pages call the same
RPCs: ``intake_rpc.nearby_appeals(query)``, ``support_appeal(id)``, ``withdraw_support(id)``.
"""
from __future__ import annotations

from marshmallow import fields, validate

from gateway.http import PUBLIC, http, json_response, roles
from gateway.rest.photos import media_url
from gateway.schemas import (
    CATEGORY_CODE, CATEGORY_CODE_MAX_LENGTH, RequestSchema, ResponseSchema, load_query,
)

API = "/api/v1"
RESIDENTS = roles("resident")
"""Support is a resident's voice (intake also wants the account verified and not blocked)."""


class NearbyQuery(RequestSchema):
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90),
                       metadata={"description": "Latitude of the problem, WGS 84 degrees."})
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180),
                       metadata={"description": "Longitude of the problem, WGS 84 degrees."})
    category = fields.String(
        required=True, validate=[validate.Length(1, CATEGORY_CODE_MAX_LENGTH), CATEGORY_CODE],
        metadata={"description": "The leaf category the resident is about to file in."})
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 20))


class NearbyLocation(ResponseSchema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    address = fields.String(required=True)


class NearbyAppeal(ResponseSchema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    state = fields.String(required=True)
    category = fields.String(required=True)
    location = fields.Nested(NearbyLocation, required=True)
    distance_m = fields.Integer(required=True, metadata={"description": "Metres from the point."})
    supporters_count = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    photo = fields.String(allow_none=True, metadata={
        "description": "The thumbnail URL of the resident's first photo; null without photos."})
    supported_by_me = fields.Boolean(metadata={"description": "Only when signed in."})


class NearbyPage(ResponseSchema):
    items = fields.List(fields.Nested(NearbyAppeal), required=True,
                        metadata={"description": "Nearest first, at most `limit`."})
    radius_m = fields.Float(required=True)


class SupportAnswer(ResponseSchema):
    appeal_id = fields.String(required=True)
    supporters_count = fields.Integer(required=True)
    supported_by_me = fields.Boolean(required=True)


def with_photo_url(item: dict) -> dict:
    """Intake names the first photo by its storage keys; callers get the thumbnail's URL."""
    photo = item.get("photo")
    thumbnail = photo.get("thumbnail_key") if isinstance(photo, dict) else None
    return item | {"photo": media_url(thumbnail) if thumbnail else None}


class SupportRoutes:
    """``GET /appeals/nearby``, ``POST`` and ``DELETE /appeals/{id}/support``.

    ``/appeals/nearby`` is not taken for an appeal id: werkzeug's router prefers a static
    segment to a converter, whatever the order the routes were declared in."""

    @http("GET", f"{API}/appeals/nearby", access=PUBLIC)
    def nearby_appeals(self, request):
        """Open appeals of the category within 250 m of the point, nearest first, with their
        state and supporters (and ``supported_by_me`` for a signed-in caller)."""
        query = load_query(NearbyQuery(), request.args)
        found = self.intake_rpc.nearby_appeals(query)
        return json_response(found | {"items": [with_photo_url(item) for item in found["items"]]})

    @http("POST", f"{API}/appeals/<string:appeal_id>/support", access=RESIDENTS)
    def support_appeal(self, request, appeal_id):
        """Support an open appeal instead of filing a copy, and follow it (notified of each
        change). Idempotent: 200 with the count, however often. 409 for one's own appeal or
        one that is no longer open."""
        return json_response(self.intake_rpc.support_appeal(appeal_id))

    @http("DELETE", f"{API}/appeals/<string:appeal_id>/support", access=RESIDENTS)
    def withdraw_support(self, request, appeal_id):
        """Withdraw one's support and stop following (idempotent): 200 with the count."""
        return json_response(self.intake_rpc.withdraw_support(appeal_id))


def openapi_paths(spec, add_paths, operation, ok, problem) -> None:
    """This module's paths in the OpenAPI document (called by :mod:`gateway.openapi` with its
    helpers)."""
    conflict = problem("Your own appeal (`reason: own_appeal`), or one no longer open "
                       "(its `state`).")
    nearby = operation("nearbyAppeals", "Open appeals of a category within 250 m, nearest first",
                       responses={"200": ok("Nearby open appeals.", NearbyPage),
                                  "422": problem("Invalid query (the field is named).")})
    nearby["parameters"] = [{"in": "query", "schema": NearbyQuery}, *nearby["parameters"]]
    add_paths(spec, {
        "/api/v1/appeals/nearby": {"get": nearby},
        "/api/v1/appeals/{appeal_id}/support": {
            "post": operation("supportAppeal", "Support an open appeal and follow it "
                              "(residents; idempotent)",
                              responses={"200": ok("Supported.", SupportAnswer),
                                         "409": conflict}, secured=True),
            "delete": operation("withdrawSupport", "Withdraw one's support (idempotent)",
                                responses={"200": ok("Withdrawn.", SupportAnswer)},
                                secured=True),
        },
    })
