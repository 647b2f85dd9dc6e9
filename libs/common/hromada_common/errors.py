"""Typed errors that cross RPC boundaries intact.

Each class is registered with nameko's ``deserialize_to_instance``, so a caller catches the
same class the service raised (not a bare ``RemoteError``). Arguments are JSON-safe:
``(detail, fields, extra)``. The gateway maps each class to an HTTP status in one table.
"""
from __future__ import annotations

from nameko.exceptions import deserialize_to_instance


class HromadaError(Exception):
    """Base of every error a service means to tell its caller about."""

    title = "Request failed"

    def __init__(self, detail: str, fields: dict | None = None, extra: dict | None = None):
        super().__init__(detail, fields or {}, extra or {})
        self.detail = detail
        self.fields = fields or {}
        self.extra = extra or {}

    def __str__(self) -> str:
        return self.detail


@deserialize_to_instance
class InvalidInput(HromadaError):
    """The request's data is malformed; ``fields`` maps each field at fault to its messages."""

    title = "Invalid input"


@deserialize_to_instance
class NotFound(HromadaError):
    title = "Not found"


@deserialize_to_instance
class Conflict(HromadaError):
    """The request contradicts the current state (illegal transition, reused idempotency key)."""

    title = "Conflict"


@deserialize_to_instance
class Forbidden(HromadaError):
    title = "Forbidden"


@deserialize_to_instance
class Unavailable(HromadaError):
    title = "Service unavailable"


def validation_fields(messages) -> dict:
    """Flatten marshmallow's nested error messages into ``{"a.b": [msg, ...]}``."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat.setdefault(prefix or "_schema", []).extend(value)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}", inner)
        else:
            flat.setdefault(prefix or "_schema", []).append(str(value))

    walk("", messages)
    return flat


def load_or_invalid(schema, payload):
    """``schema.load(payload)`` for a service's RPC input, raising :class:`InvalidInput` that
    names every field at fault (services re-validate what the gateway already checked)."""
    from marshmallow import ValidationError

    if not isinstance(payload, dict):
        raise InvalidInput("the request must be a JSON object", {"_schema": ["not an object"]})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        fields = validation_fields(exc.messages)
        raise InvalidInput("the request has invalid fields: " + ", ".join(sorted(fields)), fields)
