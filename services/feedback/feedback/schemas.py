"""What feedback accepts over RPC. It re-validates everything: it never trusts that the
gateway checked."""
from __future__ import annotations

from marshmallow import fields, validate

from hromada_common.events import StrictSchema

from .domain.model import PORTAL_CATEGORIES


class _Strict(StrictSchema):
    """Unknown keys and unstorable text (NUL, lone surrogates) are errors."""


class ConfirmIn(_Strict):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    comment = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=2000))


class ReworkIn(_Strict):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    photo_ref = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=500))


class ArchiveIn(_Strict):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class CommentIn(_Strict):
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class PortalFeedbackIn(_Strict):
    category = fields.String(required=True, validate=validate.OneOf(PORTAL_CATEGORIES))
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class PortalFeedbackListIn(_Strict):
    state = fields.String(load_default=None,
                          validate=validate.OneOf(["new", "answered", "closed"]))
    category = fields.String(load_default=None, validate=validate.OneOf(PORTAL_CATEGORIES))
    mine = fields.Boolean(load_default=False,
                          metadata={"description": "staff: only their own submissions"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None)


class AnswerIn(_Strict):
    answer = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    useful = fields.Boolean(load_default=False,
                            metadata={"description": "the suggestion is useful (earns points)"})


def _iso(value):
    return value.isoformat() if value is not None else None


def portal_feedback_view(item) -> dict:
    return {"id": item.id, "author_id": item.author_id, "category": item.category,
            "text": item.text, "state": item.state, "answer": item.answer,
            "answered_by": item.answered_by, "answered_at": _iso(item.answered_at),
            "closed_by": item.closed_by, "closed_at": _iso(item.closed_at),
            "useful": item.useful, "created_at": _iso(item.created_at)}
