"""What accounts takes and returns over RPC: marshmallow schemas of the input (unknown fields
rejected) and JSON-safe views of its records. Never a hash, never a code."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from hromada_common.events import StrictSchema

from .domain.model import LANGUAGES

MAX_MARK_IDS = 500


class _Strict(StrictSchema):
    """Unknown keys and unstorable text (NUL, lone surrogates) are errors."""


class MyNotificationsIn(_Strict):
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
    unread_only = fields.Boolean(load_default=False)
    cursor = fields.String(load_default=None, allow_none=True)


class MarkNotificationsReadIn(_Strict):
    """Either ``{"ids": [...]}`` or ``{"all": true}``."""

    ids = fields.List(fields.String(validate=validate.Length(1, 64)),
                      validate=validate.Length(1, MAX_MARK_IDS))
    all = fields.Boolean()

    @validates_schema
    def one_of_ids_or_all(self, data, **kwargs):
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ValidationError('give either "ids" (a list) or "all": true', "_schema")


class EmailNotificationsIn(_Strict):
    email_notifications = fields.Boolean(required=True)


class PreferencesIn(_Strict):
    """Any of the account's own preferences; what is left out stays as it is."""

    email_notifications = fields.Boolean()
    language = fields.String(validate=validate.OneOf(LANGUAGES))

    @validates_schema
    def at_least_one(self, data, **kwargs):
        if not data:
            raise ValidationError('give "email_notifications", "language" or both', "_schema")


def _iso(value):
    return value.isoformat() if value is not None else None


def account_view(account) -> dict:
    """The account as its owner and staff see it."""
    return {
        "id": account.id,
        "email": account.email,
        "display_name": account.public_name,
        "phone": account.phone,
        "roles": sorted(account.roles),
        "body": account.body,
        "status": account.status,
        "verified": account.verified,
        "trust_level": account.trust_level,
        "email_notifications": account.email_notifications,
        "language": account.language,
        "created_at": _iso(account.created_at),
    }


def contact_view(account) -> dict:
    return {"id": account.id, "display_name": account.public_name, "email": account.email,
            "phone": account.phone}


def api_key_view(key) -> dict:
    return {"id": key.id, "name": key.name, "scopes": list(key.scopes),
            "principal": key.principal, "created_by": key.created_by,
            "created_at": _iso(key.created_at), "revoked_at": _iso(key.revoked_at),
            "last_used_at": _iso(key.last_used_at)}


def token_pair_view(access_token: str, expires_in: int, refresh_token: str | None) -> dict:
    view = {"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in}
    if refresh_token is not None:
        view["refresh_token"] = refresh_token
    return view


def notification_view(notification) -> dict:
    return {"id": notification.id, "kind": str(notification.kind),
            "appeal_id": notification.appeal_id, "title": notification.title,
            "text": notification.text, "created_at": _iso(notification.created_at),
            "read_at": _iso(notification.read_at)}


def export_view(account, audit, sessions, codes, api_keys, mails, notifications=(),
                followed=()) -> dict:
    """Everything accounts holds about a person (GDPR-style access request), minus secrets."""
    return {
        "account": account_view(account) | {
            "email_verified_at": _iso(account.email_verified_at),
            "updated_at": _iso(account.updated_at),
            "recent_rejected_appeals_at": [_iso(r) for r in account.rejections],
            "trust_lowered_at": _iso(account.trust_lowered_at),
            "gamification_level": account.gamification_level,
        },
        "audit": [{"action": e.action, "by": e.by, "reason": e.reason, "at": _iso(e.at)}
                  for e in audit],
        "sessions": [{k: _iso(v) if k != "revoke_reason" else v for k, v in s.items()}
                     for s in sessions],
        "one_time_codes": [{"purpose": c.purpose.value, "created_at": _iso(c.created_at),
                            "expires_at": _iso(c.expires_at), "attempts": c.attempts,
                            "used_at": _iso(c.used_at)} for c in codes],
        "api_keys_created": [api_key_view(k) for k in api_keys],
        "mail": [{"subject": m.subject, "created_at": _iso(m.created_at),
                  "sent_at": _iso(m.sent_at), "failed_at": _iso(m.failed_at)} for m in mails],
        "notifications": [notification_view(n) for n in notifications],
        "followed_appeals": [{"appeal_id": appeal_id, "since": _iso(since)}
                             for appeal_id, since in followed],
    }
