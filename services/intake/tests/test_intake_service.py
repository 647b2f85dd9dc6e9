"""Interface tests of the intake service: a real nameko container against real RabbitMQ (a
throwaway vhost) and real PostgreSQL (a throwaway database)."""
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from hromada_common import events as ev
from hromada_common.errors import Conflict, InvalidInput, NotFound
from hromada_common.testing.helpers import publish_events, wait_until

from .conftest import valid_payload


def assigned_event(appeal, body="kyivavtodor"):
    now = datetime.now(timezone.utc)
    return ev.make_event(ev.APPEAL_ASSIGNED, {
        "appeal_id": appeal["id"], "appeal_version": appeal["version"],
        "category": appeal["category"], "body": body, "complexity": "standard",
        "due_at": now + timedelta(days=2), "assigned_at": now, "rule": "category default body",
    }, source="/hromada/routing", subject=appeal["id"], actor="routing")


def submit(container, payload, key=None):
    with entrypoint_hook(container, "submit_appeal") as submit_appeal:
        return submit_appeal(payload, key)


def test_resident_submits_appeal_and_appeal_submitted_is_published(with_taxonomy, listener):
    appeal = submit(with_taxonomy, valid_payload())
    assert appeal["state"] == "submitted"
    assert appeal["version"] == 1
    assert appeal["body"] is None
    assert [h["state"] for h in appeal["history"]] == ["submitted"]
    (event,) = listener.wait_for(lambda e: e["subject"] == appeal["id"])
    assert event["type"] == ev.APPEAL_SUBMITTED
    assert event["specversion"] == "1.0" and event["source"] == "/hromada/intake"
    assert event["data"]["category"] == "roads.surface.pothole"
    assert event["data"]["appeal_version"] == 1


def test_invalid_submission_names_every_field_at_fault(with_taxonomy):
    payload = valid_payload(description="x" * 4001, location={"lat": 49.84, "lon": 24.03,
                                                              "address": "Lviv"})
    payload.pop("title")
    with pytest.raises(InvalidInput) as err:
        submit(with_taxonomy, payload)
    assert set(err.value.fields) == {"title", "description"}
    # schema-valid but outside the city and in an unknown category
    with pytest.raises(InvalidInput) as err:
        submit(with_taxonomy, valid_payload(category="roads.surface.flying_cars",
                                            location={"lat": 49.84, "lon": 24.03, "address": "Lviv"}))
    assert set(err.value.fields) == {"location", "category"}


def test_retired_and_non_leaf_categories_are_refused(with_taxonomy):
    for code in ("roads.surface.retired", "roads"):
        with pytest.raises(InvalidInput) as err:
            submit(with_taxonomy, valid_payload(category=code))
        assert "category" in err.value.fields


def test_required_extra_field_of_the_category_is_enforced(with_taxonomy):
    with pytest.raises(InvalidInput) as err:
        submit(with_taxonomy, valid_payload(category="lighting.street.lamp_out"))
    assert list(err.value.fields) == ["fields.lamp_post_number"]
    appeal = submit(with_taxonomy, valid_payload(category="lighting.street.lamp_out",
                                                 fields={"lamp_post_number": "KV-1207"}))
    assert appeal["fields"] == {"lamp_post_number": "KV-1207"}


def test_same_idempotency_key_and_body_returns_the_same_appeal(with_taxonomy):
    payload = valid_payload()
    first = submit(with_taxonomy, payload, "key-1")
    again = submit(with_taxonomy, payload, "key-1")
    assert again["id"] == first["id"] and again["replayed"] is True
    with pytest.raises(Conflict) as err:
        submit(with_taxonomy, dict(payload, title="something else"), "key-1")
    assert "Idempotency-Key" in err.value.fields
    # the key is scoped per author: another resident may use the same string
    other = submit(with_taxonomy, valid_payload(), "key-1")
    assert other["id"] != first["id"]


def test_assignment_event_moves_appeal_to_assigned_once_even_if_redelivered(
        with_taxonomy, hromada_amqp_uri, listener):
    appeal = submit(with_taxonomy, valid_payload())
    event = assigned_event(appeal)
    with entrypoint_waiter(with_taxonomy, "handle_appeal_assigned", timeout=10):
        publish_events(hromada_amqp_uri, [event])
    with entrypoint_waiter(with_taxonomy, "handle_appeal_assigned", timeout=10):
        publish_events(hromada_amqp_uri, [event])  # the broker redelivers: same event id
    with entrypoint_hook(with_taxonomy, "get_appeal") as get_appeal:
        stored = get_appeal(appeal["id"])
    assert stored["state"] == "assigned" and stored["version"] == 2
    assert stored["body"] == "kyivavtodor" and stored["due_at"] is not None
    assert [h["state"] for h in stored["history"]] == ["submitted", "assigned"]
    assert stored["history"][1]["by"] == "routing"
    changes = listener.wait_for(lambda e: e["type"] == ev.APPEAL_STATE_CHANGED
                                and e["subject"] == appeal["id"])
    assert len(changes) == 1 and changes[0]["data"]["appeal_version"] == 2


def test_poison_event_is_retried_then_dead_lettered_and_others_still_flow(
        with_taxonomy, hromada_amqp_uri, hromada_vhost, rabbit_admin):
    dead_letter_queue = f"intake.{ev.APPEAL_ASSIGNED}.dead"
    before = rabbit_admin.queue_depth(hromada_vhost, dead_letter_queue)
    ghost = {"id": "00000000-0000-0000-0000-000000000000", "version": 1,
             "category": "roads.surface.pothole"}
    publish_events(hromada_amqp_uri, [assigned_event(ghost)])  # names no stored appeal
    appeal = submit(with_taxonomy, valid_payload())
    with entrypoint_waiter(with_taxonomy, "handle_appeal_assigned", timeout=10):
        publish_events(hromada_amqp_uri, [assigned_event(appeal)])
    wait_until(lambda: rabbit_admin.queue_depth(hromada_vhost, dead_letter_queue) == before + 1,
               timeout=20, message="the poison event in the dead-letter queue")
    with entrypoint_hook(with_taxonomy, "get_appeal") as get_appeal:
        assert get_appeal(appeal["id"])["state"] == "assigned"


def test_failing_handler_is_retried_not_acked(with_taxonomy, hromada_amqp_uri, monkeypatch):
    from intake.service_layer import handlers

    appeal = submit(with_taxonomy, valid_payload())
    real = handlers.apply_assignment
    calls = []

    def flaky(uow, envelope):
        calls.append(envelope["id"])
        if len(calls) < 3:
            raise ConnectionError("database went away")
        return real(uow, envelope)

    monkeypatch.setattr(handlers, "apply_assignment", flaky)
    publish_events(hromada_amqp_uri, [assigned_event(appeal)])

    def assigned():
        with entrypoint_hook(with_taxonomy, "get_appeal") as get_appeal:
            return get_appeal(appeal["id"])["state"] == "assigned"

    wait_until(assigned, timeout=20, message="the appeal assigned after two failures")
    assert len(calls) == 3 and len(set(calls)) == 1


def test_get_unknown_appeal_is_not_found(intake_container):
    with entrypoint_hook(intake_container, "get_appeal") as get_appeal:
        with pytest.raises(NotFound):
            get_appeal("does-not-exist")


def test_list_filters_and_cursor_pagination(with_taxonomy):
    author_mark = valid_payload()["author_id"]
    created = [submit(with_taxonomy, valid_payload(title=f"appeal {i}",
                                                   location={"lat": 50.40 + i * 0.01, "lon": 30.50,
                                                             "address": f"{i} Test St"}))
               for i in range(5)]
    lamp = submit(with_taxonomy, valid_payload(category="lighting.street.lamp_out",
                                               fields={"lamp_post_number": "1"}))
    ids = {a["id"] for a in created}
    with entrypoint_hook(with_taxonomy, "list_appeals") as list_appeals:
        seen, cursor = [], None
        while True:
            page = list_appeals({"category": "roads", "limit": 2, "cursor": cursor})
            seen += [a["id"] for a in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert ids <= set(seen) and lamp["id"] not in seen
        assert len(seen) == len(set(seen))  # no repeats across pages
        boxed = list_appeals({"bbox": [30.49, 50.405, 30.51, 50.425], "limit": 100})
        assert {a["title"] for a in boxed["items"] if a["id"] in ids} == {"appeal 1", "appeal 2"}
        with pytest.raises(InvalidInput) as err:
            list_appeals({"state": "sleeping", "limit": 500})
        assert set(err.value.fields) == {"limit"}
        with pytest.raises(InvalidInput) as err:
            list_appeals({"cursor": "garbage"})
        assert set(err.value.fields) == {"cursor"}
    assert author_mark  # payloads carry distinct authors


def test_intake_runs_on_the_sqlite_fallback(container_factory, hromada_amqp_uri, tmp_path,
                                            monkeypatch):
    """Without DATABASE_URL a service keeps its data in ./var/<service>.db."""
    from hromada_common.db import database_url
    from hromada_common.migrations import upgrade_to_head
    from hromada_common.testing.helpers import service_config
    from intake.service import IntakeService

    from .conftest import SERVICE_DIR, taxonomy_event

    monkeypatch.setenv("HROMADA_VAR_DIR", str(tmp_path))
    url = database_url("intake", {"DATABASE_URL": ""})
    assert url == f"sqlite:///{tmp_path / 'intake.db'}"
    upgrade_to_head(SERVICE_DIR, url)
    container = container_factory(IntakeService, service_config(hromada_amqp_uri))
    container.start()
    with entrypoint_waiter(container, "handle_taxonomy_published", timeout=10):
        publish_events(hromada_amqp_uri, [taxonomy_event(version=99)])
    appeal = submit(container, valid_payload())
    with entrypoint_hook(container, "get_appeal") as get_appeal:
        assert get_appeal(appeal["id"])["title"] == appeal["title"]
    assert (tmp_path / "intake.db").stat().st_size > 0
