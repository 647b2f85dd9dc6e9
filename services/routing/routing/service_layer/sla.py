"""SLA use cases: keep an appeal's durable timers in step with its assignment, and fire due
timers as events.

Both run inside a routing unit of work, so timers change in the same transaction as the
assignment that caused them. A fired timer's event is published straight from the claimed row,
with publisher confirms, before the transaction that marks it fired commits (not through the
outbox): exactly once in effect, see :func:`fire_due_timers`.
"""
from __future__ import annotations

import json
import logging
import re
import time
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import event as sa_event

from hromada_common import events as ev

from ..adapters.sla_timers import SlaTimerRepository
from ..domain.sla import (
    BREACH, ESCALATION, WARNING, SlaPolicy, clock_runs, sla_schedule, timer_event_id,
)

log = logging.getLogger(__name__)

ESCALATION_REASON = "deadline broken"
EVENT_TYPES = {WARNING: ev.SLA_WARNING, BREACH: ev.SLA_BREACHED, ESCALATION: ev.APPEAL_ESCALATED}

_policy = SlaPolicy()
_schedule_listeners: list[Callable[[datetime], None]] = []


def configure(policy: SlaPolicy) -> None:
    """Set this process's SLA policy (the timer runner does it from the service config)."""
    global _policy
    _policy = policy


def current_policy() -> SlaPolicy:
    return _policy


def add_schedule_listener(listener: Callable[[datetime], None]) -> None:
    """Call ``listener(earliest_fire_at)`` after a commit that scheduled timers, so a runner
    sleeping until a later timer wakes up for the nearer one."""
    _schedule_listeners.append(listener)


def remove_schedule_listener(listener: Callable[[datetime], None]) -> None:
    if listener in _schedule_listeners:
        _schedule_listeners.remove(listener)


def _notify_after_commit(session, earliest: datetime) -> None:
    if not _schedule_listeners:
        return

    def notify(_session):
        for listener in list(_schedule_listeners):
            try:
                listener(earliest)
            except Exception:  # noqa: BLE001 - a wake-up is an optimisation, never a failure
                log.exception("SLA schedule listener failed")

    sa_event.listen(session, "after_commit", notify, once=True)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def on_assignment_changed(uow, assignment, policy: SlaPolicy | None = None,
                          now: datetime | None = None) -> None:
    """(Re)schedule or cancel the appeal's SLA timers, in the caller's transaction.

    Call it inside an open unit of work whenever an assignment is created or its deadline,
    body or workflow state changes; the caller commits. Idempotent: timers that already match
    the assignment are left alone.

    * workflow state resolved/finished or waiting for the resident: pending timers cancelled;
    * otherwise one pending warning, breach and escalation for the current deadline, minus
      the kinds already fired for that same deadline (a new deadline re-arms all three).
    """
    policy = policy or _policy
    now = now or _now()
    repo = SlaTimerRepository(uow.session)
    appeal_id = assignment.appeal_id
    state = getattr(assignment, "state", None) or "assigned"
    pending = repo.pending_for(appeal_id)
    if not clock_runs(state):
        if pending:
            repo.cancel_pending(appeal_id)
        return

    # A reassignment or rework restarts the clock: the warning falls within the new period.
    clock_started_at = getattr(assignment, "clock_started_at", None) or assignment.assigned_at
    schedule = sla_schedule(clock_started_at, assignment.due_at, policy)
    wanted = schedule.fire_times()
    for kind in repo.fired_kinds(appeal_id, assignment.due_at):
        wanted.pop(kind, None)
    if WARNING in wanted and BREACH in wanted and schedule.breach_at <= now:
        del wanted[WARNING]  # a warning after the deadline has passed tells nobody anything

    current = {row.kind: (row.fire_at, row.due_at, row.body) for row in pending}
    if current == {kind: (at, assignment.due_at, assignment.body)
                   for kind, at in wanted.items()}:
        return
    if pending:
        repo.cancel_pending(appeal_id)
    repo.add_pending(appeal_id=appeal_id, body=assignment.body, due_at=assignment.due_at,
                     fire_times=wanted, generation=repo.next_generation(appeal_id), now=now)
    if wanted:
        _notify_after_commit(uow.session, min(wanted.values()))


def _event_data(kind: str, row, now: datetime) -> dict:
    if kind == ESCALATION:
        return {"appeal_id": row.appeal_id, "body": row.body, "due_at": row.due_at,
                "reason": ESCALATION_REASON, "at": now}
    return {"appeal_id": row.appeal_id, "body": row.body, "due_at": row.due_at,
            "fired_at": now}


def _wire_data(kind: str, row, now_iso: str) -> dict:
    """``_event_data`` as the contract's schema serialises it, built without the schema."""
    if kind == ESCALATION:
        return {"appeal_id": row.appeal_id, "body": row.body, "due_at": row.due_at.isoformat(),
                "reason": ESCALATION_REASON, "at": now_iso}
    return {"appeal_id": row.appeal_id, "body": row.body, "due_at": row.due_at.isoformat(),
            "fired_at": now_iso}


_PLAIN_JSON_STRING = re.compile(r"[A-Za-z0-9_.:+\- ]*")
_SLOT = re.compile(r'"\\u0000(\w+)\\u0000"')


def _json_string(value: str) -> str:
    """``json.dumps(value, ensure_ascii=False)``, without the call for ids, codes and times."""
    if _PLAIN_JSON_STRING.fullmatch(value):
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


def _envelope_text(template: dict, variable_data: tuple[str, ...]):
    """A function rendering ``template`` as JSON text with its own ``id``, ``subject`` and the
    ``variable_data`` keys of its data: the template is serialised once, with marked slots,
    and each event joins the literal parts around its values."""
    probe = {**template, "id": "\x00id\x00", "subject": "\x00subject\x00",
             "data": {**template["data"], **{key: f"\x00{key}\x00" for key in variable_data}}}
    pieces = _SLOT.split(json.dumps(probe, ensure_ascii=False))
    literals, slots = pieces[0::2], pieces[1::2]

    def render(values: dict[str, str]) -> str:
        out = [literals[0]]
        for slot, literal in zip(slots, literals[1:]):
            out.append(_json_string(values[slot]))
            out.append(literal)
        return "".join(out)

    return render


def sla_fact_messages(rows, now: datetime, source: str) -> list[tuple[str, str, str]]:
    """The events of fired timer rows as ``(event id, event type, JSON text)``, in row order.

    Per batch and kind, the first event is built by ``events.make_event`` (serialised by the
    contract's schema and loaded back through it, the full check). The others share its
    envelope but for their id, subject and data: their JSON text is the first one's,
    serialised once with marked slots, joined around each row's values (typed columns,
    JSON-escaped). Before that is used, the direct build is checked against the schema's
    output for the first row, data and text; if it ever differed, the batch falls back to
    ``events.make_events``. Building each envelope through the schema was a quarter of the
    runner's time in a burst, and ``json.dumps`` per envelope most of what was left. Each id
    is the timer's own (:func:`~routing.domain.sla.timer_event_id`), so publishing a row again
    repeats its id.
    """
    positions: dict[str, list[int]] = {}
    for n, row in enumerate(rows):
        positions.setdefault(row.kind, []).append(n)
    now_iso = now.isoformat()
    messages: list = [None] * len(rows)
    for kind, indexes in positions.items():
        event_type = EVENT_TYPES[kind]
        first = rows[indexes[0]]
        template = ev.make_event(event_type, _event_data(kind, first, now), source=source,
                                 subject=first.appeal_id, actor="routing", time=now)
        render = None
        if template["data"] == _wire_data(kind, first, now_iso):
            render = _envelope_text(template, ("appeal_id", "body", "due_at"))
            first_id = timer_event_id(first.appeal_id, first.kind, first.id)
            expected = json.dumps({**template, "id": first_id}, ensure_ascii=False)
            if render(_slot_values(first, first_id)) != expected:
                render = None
        if render is None:  # pragma: no cover - only if the contract's serialisation changes
            log.warning("%s: direct serialisation differs from the schema's; using the schema",
                        event_type)
            envelopes = ev.make_events(
                event_type, [(_event_data(kind, rows[n], now), rows[n].appeal_id)
                             for n in indexes], source=source, actor="routing")
            for n, envelope in zip(indexes, envelopes):
                row = rows[n]
                envelope["id"] = timer_event_id(row.appeal_id, row.kind, row.id)
                messages[n] = (envelope["id"], event_type,
                               json.dumps(envelope, ensure_ascii=False))
            continue
        for n in indexes:
            row = rows[n]
            event_id = timer_event_id(row.appeal_id, row.kind, row.id)
            messages[n] = (event_id, event_type, render(_slot_values(row, event_id)))
    return messages


def _slot_values(row, event_id: str) -> dict[str, str]:
    return {"id": event_id, "subject": row.appeal_id, "appeal_id": row.appeal_id,
            "body": row.body, "due_at": row.due_at.isoformat()}


def fire_due_timers(uow, publish: Callable[[list[tuple[str, str, str]]], None],
                    batch_size: int = 1000, now: datetime | None = None) -> int:
    """Fire up to ``batch_size`` due timers in one transaction; return how many fired.

    ``publish(messages)`` must return only once the broker has confirmed every message, and
    raise otherwise (``ConfirmingPublisher.publish_serialised_batch``). One transaction:

    1. claim the due timers and mark them fired (``UPDATE … WHERE id IN (SELECT … FOR UPDATE
       SKIP LOCKED) RETURNING``: concurrent runners split the work, never share a row);
    2. flag the escalated assignments;
    3. publish the timers' events straight from the claimed rows and wait for the confirms;
    4. commit.

    A failure before the commit (publish refused, broker gone, process killed) rolls the claim
    back and the rows stay pending for the next round or another instance, which publishes
    them with the same event ids. So every timer fires; a copy can only be the same event again
    (at-least-once delivery), which consumers' inboxes drop. No outbox row is written for SLA
    facts: that write, its read and its update were two thirds of a burst's cost.
    """
    now = now or _now()
    started = time.perf_counter()
    with uow:
        repo = SlaTimerRepository(uow.session)
        fired = repo.claim_due(now, batch_size)
        if not fired:
            return 0
        claimed = time.perf_counter()
        messages = sla_fact_messages(fired, now, uow.source)
        repo.mark_escalated(sorted({row.appeal_id for row in fired if row.kind == ESCALATION}))
        built = time.perf_counter()
        publish(messages)
        confirmed = time.perf_counter()
        uow.commit()
    log.debug("fired %d SLA timers: claim %.3f s, build %.3f s, publish and confirms %.3f s, "
              "commit %.3f s", len(fired), claimed - started, built - claimed,
              confirmed - built, time.perf_counter() - confirmed)
    return len(fired)


def next_fire_at(uow) -> datetime | None:
    """When the earliest pending timer is due (None: nothing is pending)."""
    with uow:
        return SlaTimerRepository(uow.session).next_fire_at()
