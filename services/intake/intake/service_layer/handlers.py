"""Intake's use cases: one function per command or event, each one transaction."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone

from marshmallow import ValidationError

from hromada_common import events as ev
from hromada_common.errors import Conflict, InvalidInput, NotFound, validation_fields
from hromada_common.lifecycle import AppealState

from ..domain.model import (
    Appeal,
    AppealStateChanged,
    AppealSubmitted,
    CityBounds,
    Location,
    extra_field_errors,
    unknown_category_reason,
)
from ..adapters.repository import decode_cursor
from ..schemas import ListFiltersIn, SubmitAppealIn, appeal_view

CONSUMER = "intake"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _load(schema, payload):
    if not isinstance(payload, dict):
        raise InvalidInput("the request must be a JSON object", {"_schema": ["not an object"]})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        fields = validation_fields(exc.messages)
        raise InvalidInput("the request has invalid fields: " + ", ".join(sorted(fields)), fields)


def request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def submit_appeal(uow, payload: dict, bounds: CityBounds, idempotency_key: str | None = None) -> dict:
    """Accept a resident's appeal, or raise InvalidInput naming every field at fault."""
    data = _load(SubmitAppealIn(), payload)
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 200):
        raise InvalidInput("Idempotency-Key must be 1 to 200 characters",
                           {"Idempotency-Key": ["must be 1 to 200 characters"]})
    digest = request_hash(data)
    with uow:
        if idempotency_key:
            found = uow.appeals.find_by_idempotency_key(data["author_id"], idempotency_key)
            if found:
                appeal, stored_hash = found
                if stored_hash != digest:
                    raise Conflict(
                        "this Idempotency-Key was already used with a different request",
                        {"Idempotency-Key": ["already used with a different request body"]},
                    )
                return appeal_view(appeal) | {"replayed": True}
        errors = {}
        loc = data["location"]
        if not bounds.contains(loc["lat"], loc["lon"]):
            errors["location"] = [
                f"outside the city (lat {bounds.min_lat}..{bounds.max_lat}, "
                f"lon {bounds.min_lon}..{bounds.max_lon})"
            ]
        category = uow.categories.get(data["category"])
        reason = unknown_category_reason(data["category"], {data["category"]: category} if category else {})
        if reason:
            errors["category"] = [reason]
        else:
            errors.update(extra_field_errors(category["fields"], data["fields_"]))
        if errors:
            raise InvalidInput("the request has invalid fields: " + ", ".join(sorted(errors)), errors)
        appeal = Appeal.submit(
            id=str(uuid.uuid4()), title=data["title"].strip(), description=data["description"],
            category=data["category"], location=Location(loc["lat"], loc["lon"], loc["address"]),
            author_id=data["author_id"], channel=data["channel"], extra_fields=data["fields_"],
            now=_now(),
        )
        uow.appeals.add(appeal, idempotency_key, digest if idempotency_key else None)
        _record_events(uow, appeal)
        uow.commit()
    return appeal_view(appeal)


def _record_events(uow, appeal: Appeal) -> None:
    for event in appeal.events:
        if isinstance(event, AppealSubmitted):
            a = event.appeal
            uow.record_event(ev.APPEAL_SUBMITTED, {
                "appeal_id": a.id, "appeal_version": a.version, "title": a.title,
                "description": a.description, "category": a.category,
                "location": {"lat": a.location.lat, "lon": a.location.lon,
                             "address": a.location.address},
                "channel": a.channel, "author_id": a.author_id, "submitted_at": a.created_at,
            }, subject=a.id, actor=a.author_id)
        elif isinstance(event, AppealStateChanged):
            a, entry = event.appeal, event.entry
            uow.record_event(ev.APPEAL_STATE_CHANGED, {
                "appeal_id": a.id, "appeal_version": entry.version, "state": entry.state.value,
                "previous_state": event.previous_state.value, "category": a.category,
                "body": a.body, "due_at": a.due_at, "at": entry.at, "by": entry.by,
                "cause": entry.cause,
            }, subject=a.id, actor=entry.by)
    appeal.events.clear()


def get_appeal(uow, appeal_id: str) -> dict:
    with uow:
        appeal = uow.appeals.get(str(appeal_id))
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}", {"id": ["no such appeal"]})
    return appeal_view(appeal)


def list_appeals(uow, filters: dict) -> dict:
    data = _load(ListFiltersIn(), filters or {})
    if data["state"] and data["state"] not in {s.value for s in AppealState}:
        raise InvalidInput("unknown state", {"state": [f"must be one of {[s.value for s in AppealState]}"]})
    if data["cursor"]:
        try:
            data["cursor"] = decode_cursor(data["cursor"])
        except (ValueError, TypeError):
            raise InvalidInput("malformed cursor", {"cursor": ["not a cursor this API issued"]})
    with uow:
        appeals, next_cursor = uow.appeals.list(**data)
    return {"items": [appeal_view(a, with_history=False) for a in appeals], "next_cursor": next_cursor}


def apply_assignment(uow, envelope: dict) -> None:
    """Routing assigned the appeal: move it to ``assigned`` exactly once."""
    envelope, data = ev.parse_event(envelope, ev.APPEAL_ASSIGNED)
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return
        appeal = uow.appeals.get(data["appeal_id"], for_update=True)
        if appeal is None:
            # The submission's own transaction committed before its event left, so an
            # assignment for an unknown appeal is a contract breach, not a race.
            raise ev.InvalidEvent(f"assignment for unknown appeal {data['appeal_id']}")
        appeal.assign(body=data["body"], due_at=data["due_at"], complexity=data["complexity"],
                      at=data["assigned_at"], by=envelope["actor"], cause=envelope["id"])
        uow.appeals.save(appeal)
        _record_events(uow, appeal)
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()


def replace_taxonomy(uow, envelope: dict) -> bool:
    """Replace the local taxonomy copy if the published one is newer. Returns True if replaced."""
    envelope, data = ev.parse_event(envelope, ev.TAXONOMY_PUBLISHED)
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return False
        replaced = data["taxonomy_version"] > uow.categories.current_version()
        if replaced:
            uow.categories.replace_all(data["taxonomy_version"], data["categories"], _now())
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()
    return replaced


def health(uow) -> dict:
    from sqlalchemy import text

    with uow:
        uow.session.execute(text("SELECT 1"))
    return {"database": "ok"}
