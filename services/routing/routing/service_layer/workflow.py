"""Routing's staff use cases: the executor's workflow (take, resolve), triage and deadline
decisions (complexity, extension, reassignment), the staff queues, and the appeal state
changes intake reports back. One function per command or event, each one transaction."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone


from hromada_common import events as ev
from hromada_common.auth import Identity, Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound, load_or_invalid
from hromada_common.lifecycle import AppealState, IllegalTransition

from ..domain.assignment import Assignment, DeadlineError
from ..domain.deadlines import Calendars
from ..schemas import ComplexityIn, ExtendIn, QueueParamsIn, ReassignIn, ResolveIn
from . import sla
from .handlers import CONSUMER, TaxonomyCache, assigned_event_data

FINISHING_STATES = frozenset({AppealState.REJECTED, AppealState.DUPLICATE, AppealState.CLOSED,
                              AppealState.ARCHIVED})
"""Intake's states after which routing has nothing more to do for an appeal."""


@dataclass(frozen=True)
class RoutingSettings:
    """What routing decides with, read once from config and data files."""

    calendars: Calendars = field(default_factory=Calendars)
    districts: tuple = ()
    rules: tuple = ()
    fallback_body: str = "dispatch_1551"
    reassign_restarts_clock: bool = True


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _signed_in(identity: Identity | None, active: bool = True) -> Identity:
    if identity is None:
        raise Unauthenticated("sign in first")
    return identity.require_active() if active else identity


def assignment_view(a: Assignment, now: datetime | None = None) -> dict:
    """An assignment as staff see it (JSON-safe)."""
    now = now or _now()
    return {
        "appeal_id": a.appeal_id, "category": a.category, "body": a.body,
        "district": a.district, "complexity": a.complexity, "due_at": a.due_at.isoformat(),
        "assigned_at": a.assigned_at.isoformat(), "state": a.state, "rule": a.rule,
        "overdue": not a.finished and a.state != AppealState.RESOLVED.value and a.due_at < now,
        "escalated": a.escalated, "finished": a.finished, "taken_by": a.taken_by,
    }


def _load_assignment(uow, appeal_id) -> Assignment:
    assignment = uow.assignments.load(str(appeal_id), for_update=True)
    if assignment is None:
        raise NotFound(f"no assignment for appeal {appeal_id}", {"appeal_id": ["not assigned"]})
    return assignment


def _conflict(exc: IllegalTransition) -> Conflict:
    return Conflict(f"{exc}", extra={"state": exc.current.value})


def _require_body_staff(identity: Identity, assignment: Assignment) -> None:
    """Only the executors and the head of the responsible body act on its appeals."""
    if not identity.has_role("executor", "head"):
        raise Forbidden("only an executor or the head of the responsible body may do this")
    if identity.body != assignment.body:
        raise Forbidden(f"this appeal is assigned to {assignment.body}, not to your body")


def _deadline_changed(uow, a: Assignment, kind: str, previous: datetime | None,
                      reason: str | None, by: str, at: datetime, correlation_id=None) -> None:
    uow.record_event(ev.APPEAL_DEADLINE_CHANGED, {
        "appeal_id": a.appeal_id, "kind": kind, "complexity": a.complexity,
        "due_at": a.due_at, "previous_due_at": previous, "reason": reason, "by": by, "at": at,
    }, subject=a.appeal_id, actor=by, correlation_id=correlation_id)


def _save(uow, a: Assignment) -> None:
    uow.assignments.save(a)
    sla.on_assignment_changed(uow, a)


# --- the executor's workflow ---------------------------------------------------------------

def take_appeal(uow, appeal_id, identity: Identity | None) -> dict:
    """An executor (or the head) of the responsible body takes the appeal into work."""
    identity = _signed_in(identity)
    now = _now()
    with uow:
        a = _load_assignment(uow, appeal_id)
        _require_body_staff(identity, a)
        try:
            a.take(by=identity.actor, at=now)
        except IllegalTransition as exc:
            raise _conflict(exc)
        _save(uow, a)
        uow.record_event(ev.APPEAL_TAKEN, {"appeal_id": a.appeal_id, "body": a.body,
                                           "by": identity.actor, "at": now},
                         subject=a.appeal_id, actor=identity.actor)
        uow.commit()
    return assignment_view(a, now)


def resolve_appeal(uow, appeal_id, payload, identity: Identity | None) -> dict:
    """The executor reports the work done. Only the resident's confirmation closes it."""
    identity = _signed_in(identity)
    data = load_or_invalid(ResolveIn(), payload)
    now = _now()
    with uow:
        a = _load_assignment(uow, appeal_id)
        _require_body_staff(identity, a)
        try:
            a.resolve(by=identity.actor, at=now, comment=data["comment"])
        except IllegalTransition as exc:
            raise _conflict(exc)
        _save(uow, a)
        uow.record_event(ev.APPEAL_RESOLVED, {
            "appeal_id": a.appeal_id, "body": a.body, "by": identity.actor, "at": now,
            "comment": data["comment"], "photo_ref": data["photo_ref"],
        }, subject=a.appeal_id, actor=identity.actor)
        uow.commit()
    return assignment_view(a, now)


# --- triage and deadline decisions ---------------------------------------------------------

def set_complexity(uow, appeal_id, payload, identity: Identity | None, cache: TaxonomyCache,
                   settings: RoutingSettings) -> dict:
    """A dispatcher sets the complexity class at triage; the deadline is recomputed from the
    moment the clock started, in the body's calendar."""
    identity = _signed_in(identity).require_role("dispatcher", "admin")
    data = load_or_invalid(ComplexityIn(), payload)
    now = _now()
    with uow:
        a = _load_assignment(uow, appeal_id)
        try:
            previous = a.set_complexity(data["complexity"], taxonomy=cache.get(uow),
                                        calendars=settings.calendars, by=identity.actor, at=now)
        except IllegalTransition as exc:
            raise _conflict(exc)
        _save(uow, a)
        _deadline_changed(uow, a, "complexity", previous, None, identity.actor, now)
        uow.commit()
    return assignment_view(a, now)


def extend_deadline(uow, appeal_id, payload, identity: Identity | None) -> dict:
    """The head of the responsible body (or an administrator) extends the deadline, with a
    reason. The decision is audited and published."""
    identity = _signed_in(identity)
    data = load_or_invalid(ExtendIn(), payload)
    now = _now()
    with uow:
        a = _load_assignment(uow, appeal_id)
        if not identity.has_role("admin") and not (
                identity.has_role("head") and identity.body == a.body):
            raise Forbidden("only the head of the responsible body may extend its deadline")
        try:
            previous = a.extend(data["until"], reason=data["reason"], by=identity.actor, at=now)
        except IllegalTransition as exc:
            raise _conflict(exc)
        except DeadlineError as exc:
            raise InvalidInput(str(exc), {"until": [str(exc)]})
        _save(uow, a)
        _deadline_changed(uow, a, "extension", previous, data["reason"], identity.actor, now)
        uow.commit()
    return assignment_view(a, now)


def reassign(uow, appeal_id, payload, identity: Identity | None, cache: TaxonomyCache,
             settings: RoutingSettings) -> dict:
    """A dispatcher hands the appeal to another body. The clock restarts only if the city's
    rule (REASSIGN_RESTARTS_CLOCK) says so."""
    identity = _signed_in(identity).require_role("dispatcher", "admin")
    data = load_or_invalid(ReassignIn(), payload)
    now = _now()
    with uow:
        taxonomy = cache.get(uow)
        if data["body"] not in taxonomy.bodies:
            raise InvalidInput(f"no body {data['body']}", {"body": ["no such body"]})
        a = _load_assignment(uow, appeal_id)
        if a.body == data["body"]:
            raise InvalidInput(f"the appeal is already assigned to {a.body}",
                               {"body": ["already the responsible body"]})
        try:
            previous = a.reassign(data["body"], reason=data["reason"],
                                  restart_clock=settings.reassign_restarts_clock,
                                  taxonomy=taxonomy, calendars=settings.calendars,
                                  by=identity.actor, at=now)
        except IllegalTransition as exc:
            raise _conflict(exc)
        _save(uow, a)
        uow.record_event(ev.APPEAL_ASSIGNED, assigned_event_data(a), subject=a.appeal_id,
                         actor=identity.actor)
        if a.due_at != previous:
            _deadline_changed(uow, a, "reassignment", previous, data["reason"],
                              identity.actor, now)
        uow.commit()
    return assignment_view(a, now)


def get_assignment(uow, appeal_id, identity: Identity | None) -> dict:
    """One assignment with its audited history, for staff."""
    identity = _signed_in(identity, active=False)
    if not identity.is_staff:
        raise Forbidden("only staff see assignments")
    with uow:
        a = uow.assignments.load(str(appeal_id))
        if a is None:
            raise NotFound(f"no assignment for appeal {appeal_id}",
                           {"appeal_id": ["not assigned"]})
        history = [{"action": h.action, "by": h.by, "at": h.at.isoformat(), "reason": h.reason,
                    "before": h.before, "after": h.after}
                   for h in uow.assignments.history(a.appeal_id)]
    return assignment_view(a) | {"history": history}


# --- queues ------------------------------------------------------------------------------

def _decode_cursor(cursor: str | None):
    if not cursor:
        return None
    try:
        due_at, appeal_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(due_at), str(appeal_id)
    except (ValueError, TypeError):
        raise InvalidInput("invalid cursor", {"cursor": ["not a cursor this API issued"]})


def _encode_cursor(a: Assignment) -> str:
    return base64.urlsafe_b64encode(
        json.dumps([a.due_at.isoformat(), a.appeal_id]).encode()).decode()


def _queue(uow, bodies: list[str], params) -> dict:
    data = load_or_invalid(QueueParamsIn(), params or {})
    now = _now()
    with uow:
        page = uow.assignments.open_queue(bodies=bodies, limit=data["limit"] + 1,
                                          after=_decode_cursor(data["cursor"]))
    items = page[:data["limit"]]
    return {"items": [assignment_view(a, now) for a in items],
            "next_cursor": _encode_cursor(items[-1]) if len(page) > data["limit"] else None}


def body_queue(uow, body: str, params, identity: Identity | None, cache: TaxonomyCache) -> dict:
    """A body's unfinished appeals, overdue first, then by time left (due_at ascending)."""
    identity = _signed_in(identity, active=False)
    if not (identity.has_role("dispatcher", "admin")
            or (identity.has_role("executor", "head") and identity.body == body)):
        raise Forbidden("only the body's own staff, dispatchers and administrators see its queue")
    with uow:
        known = body in cache.get(uow).bodies
    if not known:
        raise NotFound(f"no body {body}", {"body": ["no such body"]})
    return _queue(uow, [body], params)


def dispatcher_queue(uow, params, identity: Identity | None, settings: RoutingSettings) -> dict:
    """Appeals no rule covered: they wait at the dispatch centre for a person to route them."""
    _signed_in(identity, active=False).require_role("dispatcher", "admin")
    return _queue(uow, [settings.fallback_body], params)


# --- what intake reports -------------------------------------------------------------------

def apply_state_change(uow, envelope: dict, cache: TaxonomyCache,
                       settings: RoutingSettings) -> None:
    """Intake changed an appeal's state. Final states finish the assignment (its clock
    stops); ``rework`` sends it back to the same body with the category's deadline again,
    from now. Exactly once per event; stale versions are ignored."""
    envelope, data = ev.parse_event(envelope, ev.APPEAL_STATE_CHANGED)
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return
        a = uow.assignments.load(data["appeal_id"], for_update=True)
        if a is not None and data["appeal_version"] > a.appeal_version:
            a.appeal_version = data["appeal_version"]
            state, now = AppealState(data["state"]), _now()
            if state in FINISHING_STATES and not a.finished:
                a.finish(state.value, by=data["by"], at=data["at"], reason=data["reason"])
                _save(uow, a)
            elif state == AppealState.REWORK and not a.finished:
                previous = a.send_back_for_rework(taxonomy=cache.get(uow),
                                                  calendars=settings.calendars,
                                                  by=data["by"], at=now, reason=data["reason"])
                _save(uow, a)
                _deadline_changed(uow, a, "rework", previous, data["reason"], data["by"], now,
                                  envelope.get("correlationid"))
            else:
                uow.assignments.save(a)  # only the version moved on
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()


def list_bodies(uow, cache: TaxonomyCache) -> list[dict]:
    """Every executor body (public)."""
    with uow:
        taxonomy = cache.get(uow)
    return [{"code": b.code, "name": {"uk": b.name_uk, "en": b.name_en}, "kind": b.kind}
            for b in taxonomy.bodies.values()]
