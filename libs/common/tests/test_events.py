"""Event contracts: the CloudEvents 1.0 envelope built by make_event and checked by parse_event."""
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from hromada_common import events as ev

CLOUDEVENTS_ATTRIBUTES = {
    "specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data",
    "actor", "correlationid",
}


def submitted_data(**overrides) -> dict:
    data = {
        "appeal_id": str(uuid.uuid4()),
        "appeal_version": 1,
        "title": "Broken bench in Shevchenko park",
        "description": "The backrest is missing, bolts stick out.",
        "category": "parks.furniture.bench_broken",
        "location": {"lat": 50.4418, "lon": 30.5131, "address": "Shevchenko park"},
        "channel": "web",
        "author_id": f"resident-{uuid.uuid4().hex[:8]}",
        "submitted_at": datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc),
    }
    data.update(overrides)
    return data


def test_make_event_builds_a_cloudevents_envelope_with_every_attribute():
    data = submitted_data()
    at = datetime(2026, 3, 2, 9, 31, tzinfo=timezone.utc)
    envelope = ev.make_event(ev.APPEAL_SUBMITTED, data, source="/hromada/intake",
                             subject=data["appeal_id"], actor=data["author_id"],
                             correlation_id="req-42", time=at)
    assert set(envelope) == CLOUDEVENTS_ATTRIBUTES
    assert envelope["specversion"] == "1.0"
    assert uuid.UUID(envelope["id"]).version == 4
    assert envelope["source"] == "/hromada/intake"
    assert envelope["type"] == ev.APPEAL_SUBMITTED
    assert envelope["time"] == "2026-03-02T09:31:00+00:00"
    assert envelope["subject"] == data["appeal_id"]
    assert envelope["datacontenttype"] == "application/json"
    assert envelope["actor"] == data["author_id"]
    assert envelope["correlationid"] == "req-42"
    # data is serialised to JSON-safe values
    assert envelope["data"]["submitted_at"] == "2026-03-02T09:30:00+00:00"
    assert envelope["data"]["location"] == {"lat": 50.4418, "lon": 30.5131,
                                            "address": "Shevchenko park"}


def test_each_envelope_gets_a_fresh_id_and_defaults():
    data = submitted_data()
    first = ev.make_event(ev.APPEAL_SUBMITTED, data, source="/hromada/intake", subject=None)
    second = ev.make_event(ev.APPEAL_SUBMITTED, data, source="/hromada/intake", subject=None)
    assert first["id"] != second["id"]
    assert first["actor"] == "system" and first["correlationid"] is None
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert abs(datetime.fromisoformat(first["time"]) - datetime.now(timezone.utc)) < timedelta(
        minutes=1)


def test_unknown_event_type_is_refused():
    with pytest.raises(ev.InvalidEvent, match="unknown event type"):
        ev.make_event("hromada.appeal.teleported.v1", {}, source="/x", subject=None)


@pytest.mark.parametrize("field, data", [
    ("category", {k: v for k, v in submitted_data().items() if k != "category"}),
    ("appeal_version", submitted_data(appeal_version=0)),
    ("appeal_version", submitted_data(appeal_version="first")),
    ("lat", submitted_data(location={"lat": 123.0, "lon": 30.5, "address": "off the map"})),
    ("submitted_at", submitted_data(submitted_at=datetime(2026, 3, 2, 9, 30))),  # naive
    ("submitted_at", submitted_data(submitted_at="yesterday")),
    ("priority", submitted_data(priority="high")),  # not in the contract
])
def test_data_breaking_the_schema_raises_invalid_event_naming_the_field(field, data):
    with pytest.raises(ev.InvalidEvent) as err:
        ev.make_event(ev.APPEAL_SUBMITTED, data, source="/hromada/intake", subject=None)
    assert field in str(err.value)
    assert ev.APPEAL_SUBMITTED in str(err.value)


def test_invalid_event_is_a_value_error():
    # Callers that only know ValueError still stop on a broken contract.
    assert issubclass(ev.InvalidEvent, ValueError)


def test_parse_event_round_trips_what_make_event_built():
    data = submitted_data()
    envelope = ev.make_event(ev.APPEAL_SUBMITTED, data, source="/hromada/intake",
                             subject=data["appeal_id"], correlation_id="req-7")
    checked, loaded = ev.parse_event(envelope, ev.APPEAL_SUBMITTED)
    assert checked == envelope
    assert loaded == data  # datetimes come back as aware datetimes, floats as floats


def test_parse_event_fills_optional_extension_attributes():
    envelope = ev.make_event(ev.APPEAL_SUBMITTED, submitted_data(), source="/s", subject=None)
    for optional in ("actor", "correlationid", "datacontenttype"):
        del envelope[optional]
    checked, _ = ev.parse_event(envelope)
    assert checked["actor"] == "system"
    assert checked["correlationid"] is None
    assert checked["datacontenttype"] == "application/json"


def test_parse_event_refuses_another_type_than_expected():
    envelope = ev.make_event(ev.APPEAL_SUBMITTED, submitted_data(), source="/s", subject=None)
    with pytest.raises(ev.InvalidEvent, match=re.escape(ev.APPEAL_ASSIGNED)):
        ev.parse_event(envelope, ev.APPEAL_ASSIGNED)


@pytest.mark.parametrize("breakage, field", [
    (lambda e: e.update(specversion="0.3"), "specversion"),
    (lambda e: e.update(id=""), "id"),
    # longer than any inbox can store: retrying it would fail the same way every time
    (lambda e: e.update(id="x" * (ev.EVENT_ID_MAX_LENGTH + 1)), "id"),
    (lambda e: e.pop("source"), "source"),
    (lambda e: e.update(type="hromada.appeal.unknown.v1"), "type"),
    (lambda e: e.update(unexpected="attribute"), "unexpected"),
])
def test_parse_event_refuses_a_broken_envelope(breakage, field):
    envelope = ev.make_event(ev.APPEAL_SUBMITTED, submitted_data(), source="/s", subject=None)
    breakage(envelope)
    with pytest.raises(ev.InvalidEvent, match="bad envelope") as err:
        ev.parse_event(envelope)
    assert field in str(err.value)


def test_parse_event_refuses_data_breaking_its_schema():
    envelope = ev.make_event(ev.APPEAL_SUBMITTED, submitted_data(), source="/s", subject=None)
    del envelope["data"]["category"]
    envelope["data"]["extra"] = 1
    with pytest.raises(ev.InvalidEvent) as err:
        ev.parse_event(envelope)
    assert "category" in str(err.value) and "extra" in str(err.value)


def test_taxonomy_contract_uses_fields_as_its_wire_name():
    category = {"code": "roads", "name": {"uk": "Дороги", "en": "Roads"}, "parent": None,
                "level": "domain", "body": None, "active": True, "fields_": []}
    envelope = ev.make_event(ev.TAXONOMY_PUBLISHED,
                             {"taxonomy_version": 3, "categories": [category]},
                             source="/hromada/routing", subject=None)
    assert envelope["data"]["categories"][0]["fields"] == []
    _, loaded = ev.parse_event(envelope, ev.TAXONOMY_PUBLISHED)
    assert loaded["categories"][0]["fields_"] == []


def test_every_registered_type_is_versioned_and_named_as_a_fact():
    assert ev.SCHEMAS, "the registry is empty"
    for event_type, schema in ev.SCHEMAS.items():
        assert re.fullmatch(r"hromada\.[a-z_]+\.[a-z_]+\.v[1-9][0-9]*", event_type), event_type
        assert issubclass(schema, ev.StrictSchema), event_type


def test_make_events_builds_a_burst_each_serialised_and_rejects_a_bad_one():
    from datetime import datetime, timezone

    import pytest

    from hromada_common import events as ev

    now = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    items = [({"appeal_id": f"a-{i}", "body": "kyivavtodor", "due_at": now, "fired_at": now},
              f"a-{i}") for i in range(3)]
    envelopes = ev.make_events(ev.SLA_BREACHED, items, source="/hromada/routing")
    assert [e["subject"] for e in envelopes] == ["a-0", "a-1", "a-2"]
    assert len({e["id"] for e in envelopes}) == 3
    assert all(ev.parse_event(e)[1]["due_at"] == now for e in envelopes)
    bad = items + [({"appeal_id": "a-9", "body": "b", "due_at": "not a date", "fired_at": now,
                     }, "a-9")]
    with pytest.raises(ev.InvalidEvent):
        ev.make_events(ev.SLA_BREACHED, bad, source="/hromada/routing")
    with pytest.raises(ev.InvalidEvent):
        ev.make_events(ev.SLA_BREACHED, items + [({**items[0][0], "extra": 1}, "x")],
                       source="/hromada/routing")
