"""What intake accepts over RPC and what it returns. Intake re-validates everything it is
given: it never trusts that the gateway checked."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from hromada_common.events import REJECTION_CODES, StrictSchema
from hromada_common.text import visible

from .domain.model import MAX_PHOTOS_PER_PURPOSE, PHOTO_PURPOSES

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


class NearbyIn(_Strict):
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    category = fields.String(required=True, validate=validate.Length(min=1, max=120))
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 20))


PHOTO_KEY = r"^photos/[0-9a-f]{2}/[0-9a-f]{32}\.(jpg|png|webp)$"
THUMBNAIL_KEY = r"^photos/[0-9a-f]{2}/[0-9a-f]{32}\.thumb\.jpg$"
MAX_STORED_BYTES = 64 * 1024 * 1024


class PhotoIn(_Strict):
    """What the gateway stored for one photo: never the bytes, only where and what they are."""

    key = fields.String(required=True, validate=validate.Regexp(PHOTO_KEY))
    content_type = fields.String(required=True, validate=validate.OneOf(
        ("image/jpeg", "image/png", "image/webp")))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_STORED_BYTES))
    width = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100_000))
    height = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100_000))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    thumbnail_key = fields.String(required=True, validate=validate.Regexp(THUMBNAIL_KEY))
    thumbnail_content_type = fields.String(required=True, validate=validate.OneOf(("image/jpeg",)))
    thumbnail_size = fields.Integer(required=True, strict=True,
                                    validate=validate.Range(1, MAX_STORED_BYTES))


class AttachPhotosIn(_Strict):
    purpose = fields.String(required=True, validate=validate.OneOf(PHOTO_PURPOSES))
    photos = fields.List(fields.Nested(PhotoIn), required=True,
                         validate=validate.Length(1, MAX_PHOTOS_PER_PURPOSE))


class PhotoPurposeIn(_Strict):
    purpose = fields.String(required=True, validate=validate.OneOf(PHOTO_PURPOSES))


def photo_view(photo: dict) -> dict:
    """A photo as callers see it: where it is stored and what it is (who uploaded it is not
    shown: the purpose says whether the author or the body did)."""
    return {"id": photo["id"], "purpose": photo["purpose"], "key": photo["key"],
            "content_type": photo["content_type"], "size": photo["size"],
            "width": photo["width"], "height": photo["height"], "sha256": photo["sha256"],
            "thumbnail_key": photo["thumbnail_key"],
            "thumbnail_content_type": photo["thumbnail_content_type"],
            "thumbnail_size": photo["thumbnail_size"],
            "created_at": _iso(photo["created_at"])}


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
        "supporters_count": appeal.supporters_count,
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


def nearby_view(found: dict, photo: dict | None = None) -> dict:
    """One nearby open appeal as the filing page shows it, next to "support it instead"."""
    return {
        "id": found["id"],
        "title": found["title"],
        "state": found["state"],
        "category": found["category"],
        "location": {"lat": found["lat"], "lon": found["lon"], "address": found["address"]},
        "distance_m": round(found["distance_m"]),
        "supporters_count": found["supporters_count"],
        "created_at": _iso(found["created_at"]),
        # The first of the resident's photos ({key, thumbnail_key}; the gateway makes URLs).
        "photo": photo,
    }
