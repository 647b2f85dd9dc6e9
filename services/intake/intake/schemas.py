"""What intake accepts over RPC and what it returns. Intake re-validates everything it is
given: it never trusts that the gateway checked."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from hromada_common.events import REJECTION_CODES, StrictSchema
from hromada_common.text import visible

CHANNELS = ("web", "mobile", "api", "phone", "chatbot", "operator")


class _Strict(StrictSchema):
    """Unknown keys and unstorable text (NUL, lone surrogates) are errors."""


class LocationIn(_Strict):
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    address = fields.String(required=True, validate=validate.Length(min=1, max=500))


class SubmitAppealIn(_Strict):
    title = fields.String(required=True, validate=[validate.Length(min=1, max=200), visible])
    description = fields.String(required=True,
                                validate=[validate.Length(min=1, max=4000), visible])
    category = fields.String(required=True, validate=validate.Length(min=1, max=120))
    location = fields.Nested(LocationIn, required=True)
    channel = fields.String(load_default="web", validate=validate.OneOf(CHANNELS))
    fields_ = fields.Dict(keys=fields.String(), data_key="fields", load_default=dict)


class ListFiltersIn(_Strict):
    state = fields.String(load_default=None)
    category = fields.String(load_default=None)
    body = fields.String(load_default=None)
    district = fields.String(load_default=None, metadata={
        "description": "code of the city district routing found the appeal in"})
    created_from = fields.AwareDateTime(load_default=None)
    created_to = fields.AwareDateTime(load_default=None)
    bbox = fields.List(fields.Float(allow_nan=False), load_default=None,
                       validate=validate.Length(equal=4))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None)
    mine = fields.Boolean(load_default=False, metadata={"description": "only the caller's own"})

    @validates_schema
    def _ranges(self, data, **_):
        bbox = data.get("bbox")
        if bbox and (bbox[0] > bbox[2] or bbox[1] > bbox[3]):
            raise ValidationError("must be minLon,minLat,maxLon,maxLat", "bbox")
        if data.get("created_from") and data.get("created_to") and \
                data["created_from"] > data["created_to"]:
            raise ValidationError("must not be before created_from", "created_to")


def _iso(value):
    return value.isoformat() if value is not None else None


class RejectIn(_Strict):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))
    reason_code = fields.String(load_default="other", validate=validate.OneOf(REJECTION_CODES),
                                metadata={"description": "spam costs the author points"})


def appeal_view(appeal, with_history: bool = True, show_author: bool = False) -> dict:
    """The appeal as callers see it (JSON-safe). ``author_id`` only for those who may see it
    (see ``author_visible_to``); never a name, email or phone: those stay in accounts."""
    view = {
        "id": appeal.id,
        "state": appeal.state.value,
        "title": appeal.title,
        "description": appeal.description,
        "category": appeal.category,
        "location": {"lat": appeal.location.lat, "lon": appeal.location.lon,
                     "address": appeal.location.address},
        "channel": appeal.channel,
        "fields": appeal.extra_fields,
        "body": appeal.body,
        "due_at": _iso(appeal.due_at),
        "complexity": appeal.complexity,
        "escalated": appeal.escalated,
        "rework_count": appeal.rework_count,
        "rating": appeal.rating,
        "created_at": _iso(appeal.created_at),
        "updated_at": _iso(appeal.updated_at),
        "version": appeal.version,
    }
    if show_author:
        view["author_id"] = appeal.author_id
    if with_history:
        view["history"] = [
            {"state": h.state.value, "at": _iso(h.at), "by": h.by, "version": h.version,
             "note": h.note, "reason_code": h.reason_code}
            for h in appeal.history
        ]
    return view
