"""The SLA facts' JSON built directly from timer rows is exactly what the contract's schema
produces for each of them: plain Python, no infrastructure."""
import json
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from hromada_common import events as ev
from routing.domain.sla import BREACH, ESCALATION, WARNING, timer_event_id
from routing.service_layer.sla import EVENT_TYPES, _event_data, sla_fact_messages

NOW = datetime(2026, 11, 28, 17, 30, 0, 123456, tzinfo=timezone.utc)
SOURCE = "/hromada/routing"


def row(n: int, kind: str, body: str = "kyivavtodor", appeal_id: str | None = None):
    due = NOW - timedelta(minutes=n)
    return SimpleNamespace(id=n, appeal_id=appeal_id or str(uuid.uuid4()), body=body, kind=kind,
                           fire_at=due, due_at=due)


def schema_envelope(timer) -> dict:
    """The envelope the contract's schema gives for this timer's fact."""
    envelope = ev.make_event(EVENT_TYPES[timer.kind], _event_data(timer.kind, timer, NOW),
                             source=SOURCE, subject=timer.appeal_id, actor="routing", time=NOW)
    envelope["id"] = timer_event_id(timer.appeal_id, timer.kind, timer.id)
    return envelope


def test_every_kind_gets_the_schemas_envelope_with_its_own_id_subject_and_data():
    rows = [row(n, kind) for n, kind in enumerate([WARNING, BREACH, ESCALATION] * 4, 1)]
    messages = sla_fact_messages(rows, NOW, SOURCE)
    assert len(messages) == len(rows)
    for timer, (event_id, event_type, text) in zip(rows, messages):
        expected = schema_envelope(timer)
        assert event_type == EVENT_TYPES[timer.kind]
        assert event_id == expected["id"]
        assert json.loads(text) == expected
        assert text == json.dumps(expected, ensure_ascii=False)
        ev.parse_event(json.loads(text))  # and it passes the contract's validation
    assert len({m[0] for m in messages}) == len(rows)


def test_values_that_need_escaping_are_escaped_as_json_dumps_escapes_them():
    awkward = ['Київтеплоенерго', 'body "quoted"', "back\\slash", "tab\there", "new\nline",
               "emoji 🌳", "</script>"]
    rows = [row(n, BREACH, body=body) for n, body in enumerate(awkward, 1)]
    rows.append(row(99, ESCALATION, body="x", appeal_id='appeal-with-"quote"'))
    for timer, (_, _, text) in zip(rows, sla_fact_messages(rows, NOW, SOURCE)):
        assert text == json.dumps(schema_envelope(timer), ensure_ascii=False)
        assert json.loads(text)["data"]["body"] == timer.body


def test_the_same_timer_always_gets_the_same_event_id_and_text():
    timer = row(1, BREACH)
    assert sla_fact_messages([timer], NOW, SOURCE) == sla_fact_messages([timer], NOW, SOURCE)
