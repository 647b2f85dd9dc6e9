"""Intake's use cases: one function per command or event, each one transaction."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone


from hromada_common import events as ev
from hromada_common.auth import Identity, Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound, load_or_invalid
from hromada_common.lifecycle import AppealState, IllegalTransition

from ..domain.model import (
    MAX_PHOTOS_PER_PURPOSE,
    Appeal,
    AppealStateChanged,
    AppealSubmitted,
    CityBounds,
    Location,
    author_visible_to,
    extra_field_errors,
    filing_refusal,
    photo_refusal,
    unknown_category_reason,
)
from ..domain.nearby import DUPLICATE_RADIUS_M, is_open, support_refusal
from ..adapters.repository import decode_cursor
from ..schemas import (
    AttachPhotosIn,
    ListFiltersIn,
    NearbyIn,
    PhotoPurposeIn,
    RejectIn,
    SubmitAppealIn,
    appeal_view,
    nearby_view,
    photo_view,
)

CONSUMER = "intake"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _shows_author(appeal: Appeal, identity: Identity | None) -> bool:
    if identity is None:
        return False
    return author_visible_to(appeal, identity.account_id, identity.roles, identity.body)


def submit_appeal(uow, payload: dict, bounds: CityBounds, identity: Identity | None,
                  idempotency_key: str | None = None) -> dict:
    """Accept an appeal from the signed-in caller, who becomes its author; or raise
    InvalidInput naming every field at fault, Unauthenticated or Forbidden."""
    if identity is None:
        raise Unauthenticated("sign in to file an appeal")
    data = load_or_invalid(SubmitAppealIn(), payload)
    data["author_id"] = identity.account_id
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 200):
        raise InvalidInput("Idempotency-Key must be 1 to 200 characters",
                           {"Idempotency-Key": ["must be 1 to 200 characters"]})
    digest = request_hash(data)
    with uow:
        refusal = filing_refusal(
            identity.roles, identity.verified,
            not identity.is_blocked and not uow.standing.is_blocked(identity.account_id),
            identity.scopes)
        if refusal:
            raise Forbidden(refusal)
        if idempotency_key:
            found = uow.appeals.find_by_idempotency_key(data["author_id"], idempotency_key)
            if found:
                appeal, stored_hash = found
                if stored_hash != digest:
                    raise Conflict(
                        "this Idempotency-Key was already used with a different request",
                        {"Idempotency-Key": ["already used with a different request body"]},
                    )
                return appeal_view(appeal, show_author=True) | {"replayed": True}
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
    return appeal_view(appeal, show_author=True)


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
                "body": a.body, "due_at": a.due_at, "author_id": a.author_id, "at": entry.at,
                "by": entry.by, "reason": entry.note, "cause": entry.cause,
                "reason_code": entry.reason_code if entry.state is AppealState.REJECTED else None,
            }, subject=a.id, actor=entry.by)
    appeal.events.clear()


def get_appeal(uow, appeal_id: str, identity: Identity | None = None) -> dict:
    """Appeals are public; who filed one is shown only to those ``author_visible_to`` allows."""
    with uow:
        appeal = uow.appeals.get(str(appeal_id))
        mine = (appeal is not None and identity is not None
                and uow.supporters.is_supporter(appeal.id, identity.account_id))
        photos = uow.attachments.for_appeal(appeal.id) if appeal else []
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}", {"id": ["no such appeal"]})
    view = appeal_view(appeal, show_author=_shows_author(appeal, identity)) | {
        "photos": [photo_view(photo) for photo in photos]}
    if identity is not None:
        view["supported_by_me"] = mine
    return view


def list_appeals(uow, filters: dict, identity: Identity | None = None) -> dict:
    data = load_or_invalid(ListFiltersIn(), filters or {})
    if data.pop("mine"):
        if identity is None:
            raise Unauthenticated("sign in to list your own appeals")
        data["author_id"] = identity.account_id
    if data["state"] and data["state"] not in {s.value for s in AppealState}:
        raise InvalidInput("unknown state", {"state": [f"must be one of {[s.value for s in AppealState]}"]})
    if data["cursor"]:
        try:
            data["cursor"] = decode_cursor(data["cursor"])
        except (ValueError, TypeError):
            raise InvalidInput("malformed cursor", {"cursor": ["not a cursor this API issued"]})
    with uow:
        appeals, next_cursor = uow.appeals.list(**data)
        mine = (uow.supporters.supported_among(identity.account_id, [a.id for a in appeals])
                if identity is not None else None)
    items = []
    for appeal in appeals:
        view = appeal_view(appeal, with_history=False, show_author=_shows_author(appeal, identity))
        if mine is not None:
            view["supported_by_me"] = appeal.id in mine
        items.append(view)
    return {"items": items, "next_cursor": next_cursor}


def nearby_appeals(uow, query: dict, identity: Identity | None = None) -> dict:
    """Open appeals of the same leaf category within ``DUPLICATE_RADIUS_M`` (250 m) of the
    point, nearest first: what a resident about to file is offered to support instead. Raises
    InvalidInput naming ``lat``, ``lon``, ``category`` or ``limit``."""
    data = load_or_invalid(NearbyIn(), query or {})
    with uow:
        category = uow.categories.get(data["category"])
        reason = unknown_category_reason(data["category"],
                                         {data["category"]: category} if category else {})
        if reason:
            raise InvalidInput("the request has invalid fields: category", {"category": [reason]})
        found = uow.appeals.nearby_open(data["category"], data["lat"], data["lon"],
                                        DUPLICATE_RADIUS_M, data["limit"])
        mine = (uow.supporters.supported_among(identity.account_id, [f["id"] for f in found])
                if identity is not None else None)
        photos = uow.attachments.first_photos([f["id"] for f in found])
    items = []
    for appeal in found:
        view = nearby_view(appeal, photos.get(appeal["id"]))
        if mine is not None:
            view["supported_by_me"] = appeal["id"] in mine
        items.append(view)
    return {"items": items, "radius_m": DUPLICATE_RADIUS_M}


def _support_view(appeal_id: str, count: int, supported: bool) -> dict:
    return {"appeal_id": appeal_id, "supporters_count": count, "supported_by_me": supported}


def support_appeal(uow, appeal_id: str, identity: Identity | None) -> dict:
    """The caller supports an open appeal instead of filing the same problem again, and
    follows it from now on. Idempotent: supporting it again changes nothing and answers the
    same. Raises Unauthenticated, Forbidden (not a verified, active resident), NotFound, or
    Conflict: the caller is its author (they follow it already), or it is no longer open
    (``extra.state``)."""
    if identity is None:
        raise Unauthenticated("sign in to support an appeal")
    with uow:
        refusal = support_refusal(
            identity.roles, identity.verified,
            not identity.is_blocked and not uow.standing.is_blocked(identity.account_id))
        if refusal:
            raise Forbidden(refusal)
        appeal = uow.appeals.get(str(appeal_id), for_update=True)
        if appeal is None:
            raise NotFound(f"no appeal {appeal_id}", {"id": ["no such appeal"]})
        if uow.supporters.is_supporter(appeal.id, identity.account_id):
            return _support_view(appeal.id, appeal.supporters_count, True)
        if appeal.author_id == identity.account_id:
            raise Conflict("you filed this appeal: you follow it already",
                           extra={"reason": "own_appeal"})
        if not is_open(appeal.state):
            raise Conflict(f"an appeal in state '{appeal.state.value}' takes no more support",
                           extra={"state": appeal.state.value})
        now = _now()
        count = uow.supporters.add(appeal.id, identity.account_id, now)
        uow.audit.record("appeal", appeal.id, "supported", identity.actor, now,
                         supporters_count=count)
        uow.record_event(ev.APPEAL_SUPPORTED, {
            "appeal_id": appeal.id, "supporter_id": identity.account_id,
            "supporters_count": count, "at": now,
        }, subject=appeal.id, actor=identity.account_id)
        uow.commit()
    return _support_view(appeal.id, count, True)


def withdraw_support(uow, appeal_id: str, identity: Identity | None) -> dict:
    """The caller withdraws their support (and stops following the appeal), in any state.
    Idempotent: withdrawing support one does not give changes nothing. Raises
    Unauthenticated or NotFound."""
    if identity is None:
        raise Unauthenticated("sign in to withdraw your support")
    with uow:
        appeal = uow.appeals.get(str(appeal_id), for_update=True)
        if appeal is None:
            raise NotFound(f"no appeal {appeal_id}", {"id": ["no such appeal"]})
        now = _now()
        count = uow.supporters.remove(appeal.id, identity.account_id)
        if count is None:
            return _support_view(appeal.id, appeal.supporters_count, False)
        uow.audit.record("appeal", appeal.id, "support_withdrawn", identity.actor, now,
                         supporters_count=count)
        uow.record_event(ev.APPEAL_SUPPORT_WITHDRAWN, {
            "appeal_id": appeal.id, "supporter_id": identity.account_id,
            "supporters_count": count, "at": now,
        }, subject=appeal.id, actor=identity.account_id)
        uow.commit()
    return _support_view(appeal.id, count, False)


def reject_appeal(uow, appeal_id: str, payload: dict, identity: Identity | None) -> dict:
    """A moderator rejects an appeal with a reason and a ``reason_code`` (one of
    ``REJECTION_CODES``: spam, not_constructive, out_of_remit, other; default other)."""
    if identity is None:
        raise Unauthenticated("sign in to moderate")
    identity.require_role("dispatcher", "admin").require_active()
    data = load_or_invalid(RejectIn(), payload)
    with uow:
        appeal = uow.appeals.get(str(appeal_id), for_update=True)
        if appeal is None:
            raise NotFound(f"no appeal {appeal_id}", {"id": ["no such appeal"]})
        try:
            appeal.reject(reason=data["reason"], reason_code=data["reason_code"], at=_now(),
                          by=identity.actor)
        except IllegalTransition as exc:
            raise Conflict(str(exc), extra={"state": exc.current.value})
        uow.appeals.save(appeal)
        _record_events(uow, appeal)
        uow.commit()
    return appeal_view(appeal, show_author=True)


def _check_may_attach(uow, appeal: Appeal | None, appeal_id: str, purpose: str,
                      identity: Identity) -> int:
    """Raise unless ``identity`` may attach photos for ``purpose`` to the appeal now; return
    how many more it may attach (``MAX_PHOTOS_PER_PURPOSE`` per appeal and purpose)."""
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}", {"id": ["no such appeal"]})
    if uow.standing.is_blocked(identity.account_id):
        raise Forbidden("this account is blocked; it can only read")
    refusal = photo_refusal(appeal, purpose, identity.account_id, identity.roles, identity.body)
    if refusal and refusal.forbidden:
        raise Forbidden(refusal.reason)
    if refusal:
        raise Conflict(refusal.reason, extra={"state": appeal.state.value})
    return MAX_PHOTOS_PER_PURPOSE - uow.attachments.count(appeal.id, purpose)


def photo_allowance(uow, appeal_id: str, purpose: str, identity: Identity | None) -> dict:
    """How many photos for ``purpose`` the caller may still attach to the appeal; raises as
    :func:`attach_photos` would (so the gateway refuses before it processes any upload)."""
    if identity is None:
        raise Unauthenticated("sign in to attach photos")
    identity.require_active()
    data = load_or_invalid(PhotoPurposeIn(), {"purpose": purpose})
    with uow:
        appeal = uow.appeals.get(str(appeal_id))
        remaining = _check_may_attach(uow, appeal, appeal_id, data["purpose"], identity)
    return {"purpose": data["purpose"], "limit": MAX_PHOTOS_PER_PURPOSE,
            "remaining": max(0, remaining)}


def attach_photos(uow, appeal_id: str, photos: list, purpose: str,
                  identity: Identity | None) -> dict:
    """Record photos the gateway has stored (their metadata: key, type, sizes, digest) as
    attached to the appeal for ``purpose``, if the caller may attach them: the author for
    ``appeal`` and ``rework``, the assigned body's staff for ``resolution``; at most
    ``MAX_PHOTOS_PER_PURPOSE`` per appeal and purpose. Raises Unauthenticated, Forbidden,
    NotFound, Conflict (the appeal's state; a key already recorded) or InvalidInput (the
    metadata; too many photos, naming ``photo``)."""
    if identity is None:
        raise Unauthenticated("sign in to attach photos")
    identity.require_active()
    data = load_or_invalid(AttachPhotosIn(), {"purpose": purpose, "photos": photos})
    now = _now()
    with uow:
        # Locked: two uploads at once must not both pass the count.
        appeal = uow.appeals.get(str(appeal_id), for_update=True)
        remaining = _check_may_attach(uow, appeal, appeal_id, data["purpose"], identity)
        if len(data["photos"]) > remaining:
            raise InvalidInput(
                f"at most {MAX_PHOTOS_PER_PURPOSE} photos of the {data['purpose']} per appeal; "
                f"{max(0, remaining)} more can be attached",
                {"photo": [f"too many photos: at most {MAX_PHOTOS_PER_PURPOSE} per appeal, "
                           f"{max(0, remaining)} more can be attached"]},
                extra={"remaining": max(0, remaining)})
        keys = [key for photo in data["photos"] for key in (photo["key"], photo["thumbnail_key"])]
        if len(set(keys)) != len(keys) or uow.attachments.keys_taken(keys):
            raise Conflict("a storage key is already attached", {"photo": ["already attached"]})
        added = [uow.attachments.add(id=str(uuid.uuid4()), appeal_id=appeal.id,
                                     purpose=data["purpose"], position=position,
                                     uploaded_by=identity.actor, created_at=now, **photo)
                 for position, photo in enumerate(data["photos"])]
        uow.audit.record("appeal", appeal.id, "photos_attached", identity.actor, now,
                         purpose=data["purpose"], photos=[photo["id"] for photo in added],
                         keys=[photo["key"] for photo in added])
        uow.commit()
    return {"items": [photo_view(photo) for photo in added]}


def list_photos(uow, appeal_id: str) -> dict:
    """The appeal's photos, oldest first. Raises NotFound."""
    with uow:
        appeal = uow.appeals.get(str(appeal_id))
        photos = uow.attachments.for_appeal(appeal.id) if appeal else []
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}", {"id": ["no such appeal"]})
    return {"items": [photo_view(photo) for photo in photos]}


def apply_account_status(uow, envelope: dict) -> None:
    """Remember blocked accounts, so a token issued before the block cannot file appeals."""
    envelope, data = ev.parse_event(envelope, ev.ACCOUNT_STATUS_CHANGED)
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return
        uow.standing.set(data["account_id"], data["status"], data["at"])
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()


def anonymise_author(uow, envelope: dict) -> None:
    """The author deleted their account: their appeals stay, without the link to them; the
    support they gave goes (with the counts)."""
    envelope, data = ev.parse_event(envelope, ev.ACCOUNT_DELETED)
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return
        uow.appeals.anonymise_author(data["account_id"])
        uow.supporters.remove_all_of(data["account_id"])
        uow.standing.set(data["account_id"], "deleted", data["at"])
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()


def _apply(uow, envelope: dict, event_type: str, change) -> None:
    """Apply one routing decision to the appeal exactly once: parse, skip if processed,
    lock the appeal, let ``change(appeal, data, envelope)`` move it, save, record, commit.

    An event that arrives before the one it follows (say ``taken`` before ``assigned``) breaks
    the lifecycle here, is retried after a delay, and applies once its predecessor has.
    """
    envelope, data = ev.parse_event(envelope, event_type)
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return
        appeal = uow.appeals.get(data["appeal_id"], for_update=True)
        if appeal is None:
            # The submission commits before its event leaves, so no routing decision can
            # precede its appeal: this is a contract breach, not a race. Dead-letter it.
            raise ev.InvalidEvent(f"{event_type} for unknown appeal {data['appeal_id']}")
        change(appeal, data, envelope)
        uow.appeals.save(appeal)
        _record_events(uow, appeal)
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()


def apply_taken(uow, envelope: dict) -> None:
    _apply(uow, envelope, ev.APPEAL_TAKEN, lambda appeal, data, env: appeal.take(
        at=data["at"], by=data["by"], cause=env["id"]))


def apply_resolved(uow, envelope: dict) -> None:
    _apply(uow, envelope, ev.APPEAL_RESOLVED, lambda appeal, data, env: appeal.resolve(
        comment=data["comment"], at=data["at"], by=data["by"], cause=env["id"]))


def apply_deadline_change(uow, envelope: dict) -> None:
    def change(appeal, data, env):
        note = f"deadline ({data['kind']}): {data['due_at'].isoformat()}, {data['complexity']}"
        if data["reason"]:
            note += f"; {data['reason']}"
        appeal.change_deadline(due_at=data["due_at"], complexity=data["complexity"], note=note,
                               at=data["at"], by=data["by"], cause=env["id"])

    _apply(uow, envelope, ev.APPEAL_DEADLINE_CHANGED, change)


def apply_escalation(uow, envelope: dict) -> None:
    _apply(uow, envelope, ev.APPEAL_ESCALATED, lambda appeal, data, env: appeal.escalate(
        reason=data["reason"], at=data["at"], by=env["actor"], cause=env["id"]))


def apply_confirmation(uow, envelope: dict) -> None:
    """The author confirmed: closed, with the rating."""
    _apply(uow, envelope, ev.APPEAL_CONFIRMED, lambda appeal, data, env: appeal.confirm(
        rating=data["rating"], comment=data["comment"], at=data["at"], by=data["by"],
        cause=env["id"]))


def apply_rework(uow, envelope: dict) -> None:
    """The author sent it back: rework, to the same body (routing sets the new deadline)."""
    _apply(uow, envelope, ev.APPEAL_REWORK_REQUESTED, lambda appeal, data, env:
           appeal.send_back_for_rework(reason=data["reason"], rework_count=data["rework_count"],
                                       at=data["at"], by=data["by"], cause=env["id"]))


def apply_archive(uow, envelope: dict) -> None:
    """Staff archived an unanswered appeal."""
    _apply(uow, envelope, ev.APPEAL_ARCHIVED, lambda appeal, data, env: appeal.archive(
        reason=data["reason"], at=data["at"], by=data["by"], cause=env["id"]))


def statistics(uow) -> dict:
    """Honest numbers: only ``closed`` (confirmed by the author) counts as done; ``archived``
    (staff closed an unanswered appeal) and ``resolved`` (awaiting the author) are apart."""
    with uow:
        by_state = uow.appeals.count_by_state()
    return {
        "total": sum(by_state.values()),
        "by_state": {state.value: by_state.get(state.value, 0) for state in AppealState},
        "done_confirmed_by_residents": by_state.get(AppealState.CLOSED.value, 0),
        "resolved_awaiting_confirmation": by_state.get(AppealState.RESOLVED.value, 0),
        "archived_unconfirmed": by_state.get(AppealState.ARCHIVED.value, 0),
    }


def apply_assignment(uow, envelope: dict) -> None:
    """Routing assigned (or reassigned) the appeal to a body with a deadline."""
    _apply(uow, envelope, ev.APPEAL_ASSIGNED, lambda appeal, data, env: appeal.assign(
        body=data["body"], due_at=data["due_at"], complexity=data["complexity"],
        at=data["assigned_at"], by=env["actor"], cause=env["id"], district=data["district"]))


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
    """Ready means: the database answers and the taxonomy has arrived (without it every
    submission would be refused)."""
    with uow:
        has_taxonomy = uow.categories.current_version() > 0
    return {"database": "ok", "taxonomy": "ok" if has_taxonomy else "not received yet"}
