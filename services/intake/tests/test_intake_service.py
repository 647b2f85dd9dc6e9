"""Interface tests of the intake service: a real nameko container against real RabbitMQ (a
throwaway vhost) and real PostgreSQL (a throwaway database)."""
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from hromada_common import events as ev
from hromada_common.errors import Conflict, InvalidInput, NotFound
from hromada_common.testing.helpers import publish_events, wait_until

from .conftest import valid_payload


def assigned_event(appeal, body="kyivavtodor", **extra):
    now = datetime.now(timezone.utc)
    return ev.make_event(ev.APPEAL_ASSIGNED, {
        "appeal_id": appeal["id"], "appeal_version": appeal["version"],
        "category": appeal["category"], "body": body, "complexity": "standard",
        "due_at": now + timedelta(days=2), "assigned_at": now, "rule": "category default body",
        **extra,
    }, source="/hromada/routing", subject=appeal["id"], actor="routing")


def as_caller(token):
    return {"hromada.auth": token} if token else {}


def submit(container, payload, key=None, token=None, keys=None):
    """File as the given token's account (a fresh verified resident by default)."""
    if token is None:
        token = KEYS.token_for()
    with entrypoint_hook(container, "submit_appeal", context_data=as_caller(token)) as hook:
        return hook(payload, key)


KEYS = None


@pytest.fixture(autouse=True)
def _keys(signing_keys):
    global KEYS
    KEYS = signing_keys


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


def test_same_idempotency_key_and_body_returns_the_same_appeal(with_taxonomy, signing_keys):
    payload = valid_payload()
    resident = signing_keys.token_for()
    first = submit(with_taxonomy, payload, "key-1", token=resident)
    again = submit(with_taxonomy, payload, "key-1", token=resident)
    assert again["id"] == first["id"] and again["replayed"] is True
    with pytest.raises(Conflict) as err:
        submit(with_taxonomy, dict(payload, title="something else"), "key-1", token=resident)
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
    assert changes[0]["data"]["reason_code"] is None  # only rejections carry one


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


def test_the_list_filters_by_the_district_routing_found(with_taxonomy, hromada_amqp_uri):
    district = f"district-{uuid.uuid4().hex[:8]}"  # unique per run: the database is shared
    inside, elsewhere, unknown = (submit(with_taxonomy, valid_payload()) for _ in range(3))
    for appeal, extra in ((inside, {"district": district}), (elsewhere, {"district": "other"}),
                          (unknown, {})):  # an event of before the field: no district
        with entrypoint_waiter(with_taxonomy, "handle_appeal_assigned", timeout=10):
            publish_events(hromada_amqp_uri, [assigned_event(appeal, **extra)])

    with entrypoint_hook(with_taxonomy, "list_appeals") as list_appeals:
        found = list_appeals({"district": district, "limit": 100})["items"]
        everything = {a["id"] for a in list_appeals({"limit": 100})["items"]}

    assert [a["id"] for a in found] == [inside["id"]]
    assert {inside["id"], elsewhere["id"], unknown["id"]} <= everything


def test_intake_runs_on_the_sqlite_fallback(container_factory, hromada_amqp_uri, tmp_path,
                                            monkeypatch, signing_keys):
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
    container = container_factory(IntakeService,
                                  service_config(hromada_amqp_uri, **signing_keys.config))
    container.start()
    with entrypoint_waiter(container, "handle_taxonomy_published", timeout=10):
        publish_events(hromada_amqp_uri, [taxonomy_event(version=99)])
    appeal = submit(container, valid_payload())
    with entrypoint_hook(container, "get_appeal") as get_appeal:
        assert get_appeal(appeal["id"])["title"] == appeal["title"]
    assert (tmp_path / "intake.db").stat().st_size > 0


def test_filing_needs_a_signed_in_verified_active_resident_dispatcher_or_scoped_integration(
        with_taxonomy, signing_keys):
    from hromada_common.auth import Unauthenticated
    from hromada_common.errors import Forbidden

    keys = signing_keys
    with pytest.raises(Unauthenticated):
        with entrypoint_hook(with_taxonomy, "submit_appeal") as hook:
            hook(valid_payload(), None)
    for token in (keys.token_for(verified=False),
                  keys.token_for(None, "resident", status="blocked"),
                  keys.token_for(None, "executor", body="kyivavtodor"),
                  keys.token_for(None, "integration", scopes=["appeals:read"])):
        with pytest.raises(Forbidden):
            submit(with_taxonomy, valid_payload(), token=token)
    tampered = keys.token_for()[:-4] + "AAAA"
    with pytest.raises(Unauthenticated):
        submit(with_taxonomy, valid_payload(), token=tampered)
    expired = keys.token_for(now=1_000_000)
    with pytest.raises(Unauthenticated):
        submit(with_taxonomy, valid_payload(), token=expired)
    for token in (keys.token_for(None, "dispatcher"),
                  keys.token_for(None, "integration", scopes=["appeals:write"])):
        assert submit(with_taxonomy, valid_payload(), token=token)["state"] == "submitted"


def test_author_is_the_signed_in_account_and_visible_only_to_those_allowed(
        with_taxonomy, signing_keys, hromada_amqp_uri):
    resident = "acc-" + os.urandom(4).hex()
    appeal = submit(with_taxonomy, valid_payload(), token=signing_keys.token_for(resident))
    assert appeal["author_id"] == resident
    with entrypoint_waiter(with_taxonomy, "handle_appeal_assigned", timeout=10):
        publish_events(hromada_amqp_uri, [assigned_event(appeal, body="kyivavtodor")])

    def view_as(token):
        with entrypoint_hook(with_taxonomy, "get_appeal", context_data=as_caller(token)) as get:
            return get(appeal["id"])

    keys = signing_keys
    assert view_as(None).get("author_id") is None  # the public
    assert "author_id" not in view_as(keys.token_for())  # another resident
    assert "author_id" not in view_as(keys.token_for(None, "executor", body="kyivvodokanal"))
    assert view_as(keys.token_for(resident))["author_id"] == resident
    assert view_as(keys.token_for(None, "executor", body="kyivavtodor"))["author_id"] == resident
    assert view_as(keys.token_for(None, "head", body="kyivavtodor"))["author_id"] == resident
    assert view_as(keys.token_for(None, "dispatcher"))["author_id"] == resident
    with entrypoint_hook(with_taxonomy, "list_appeals",
                         context_data=as_caller(keys.token_for(resident))) as list_appeals:
        mine = list_appeals({"mine": True})
    assert [a["id"] for a in mine["items"]] == [appeal["id"]]


def test_moderator_rejects_an_appeal_with_a_reason(with_taxonomy, signing_keys, listener):
    from hromada_common.errors import Forbidden

    appeal = submit(with_taxonomy, valid_payload())

    def reject(token, payload):
        with entrypoint_hook(with_taxonomy, "reject_appeal", context_data=as_caller(token)) as r:
            return r(appeal["id"], payload)

    with pytest.raises(Forbidden):
        reject(signing_keys.token_for(), {"reason": "spam"})
    with pytest.raises(InvalidInput) as err:
        reject(signing_keys.token_for(None, "dispatcher"), {"reason": ""})
    assert "reason" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        reject(signing_keys.token_for(None, "dispatcher"),
               {"reason": "advertising spam", "reason_code": "rude"})
    assert list(err.value.fields) == ["reason_code"]
    moderator = "mod-" + os.urandom(4).hex()
    rejected = reject(signing_keys.token_for(moderator, "dispatcher"),
                      {"reason": "advertising spam", "reason_code": "spam"})
    assert rejected["state"] == "rejected"
    assert rejected["history"][-1] == {**rejected["history"][-1], "state": "rejected",
                                       "by": moderator, "note": "advertising spam",
                                       "reason_code": "spam"}
    assert rejected["history"][0]["reason_code"] is None
    with entrypoint_hook(with_taxonomy, "get_appeal") as get_appeal:
        assert get_appeal(appeal["id"])["history"][-1]["reason_code"] == "spam"  # stored
    with pytest.raises(Conflict) as err:
        reject(signing_keys.token_for(None, "admin"), {"reason": "again"})
    assert err.value.extra["state"] == "rejected"
    (event,) = listener.wait_for(lambda e: e["type"] == ev.APPEAL_STATE_CHANGED
                                 and e["subject"] == appeal["id"])
    assert event["data"]["reason"] == "advertising spam"
    assert event["data"]["reason_code"] == "spam"
    assert event["data"]["author_id"] == appeal["author_id"]


def test_a_rejection_without_a_code_is_classed_other(with_taxonomy, signing_keys, listener):
    appeal = submit(with_taxonomy, valid_payload())
    with entrypoint_hook(with_taxonomy, "reject_appeal",
                         context_data=as_caller(signing_keys.token_for(None, "admin"))) as reject:
        rejected = reject(appeal["id"], {"reason": "a private dispute between neighbours"})
    assert rejected["history"][-1]["reason_code"] == "other"
    (event,) = listener.wait_for(lambda e: e["type"] == ev.APPEAL_STATE_CHANGED
                                 and e["subject"] == appeal["id"])
    _, data = ev.parse_event(event, ev.APPEAL_STATE_CHANGED)
    assert (data["state"], data["reason_code"]) == ("rejected", "other")


def test_blocked_account_cannot_file_even_with_an_older_token(with_taxonomy, signing_keys,
                                                              hromada_amqp_uri):
    from hromada_common.errors import Forbidden

    resident = "acc-" + os.urandom(4).hex()
    token = signing_keys.token_for(resident)  # issued before the block
    submit(with_taxonomy, valid_payload(), token=token)
    blocked = ev.make_event(ev.ACCOUNT_STATUS_CHANGED, {
        "account_id": resident, "status": "blocked", "reason": "abuse", "by": "mod-1",
        "at": datetime.now(timezone.utc)}, source="/hromada/accounts", subject=resident)
    with entrypoint_waiter(with_taxonomy, "handle_account_status_changed", timeout=10):
        publish_events(hromada_amqp_uri, [blocked])
    with pytest.raises(Forbidden):
        submit(with_taxonomy, valid_payload(), token=token)


def test_deleted_account_leaves_its_appeals_anonymised(with_taxonomy, signing_keys,
                                                       hromada_amqp_uri):
    resident = "acc-" + os.urandom(4).hex()
    appeal = submit(with_taxonomy, valid_payload(), token=signing_keys.token_for(resident),
                    key="k-delete")
    deleted = ev.make_event(ev.ACCOUNT_DELETED, {"account_id": resident,
                                                 "at": datetime.now(timezone.utc)},
                            source="/hromada/accounts", subject=resident)
    with entrypoint_waiter(with_taxonomy, "handle_account_deleted", timeout=10):
        publish_events(hromada_amqp_uri, [deleted])
    with entrypoint_hook(with_taxonomy, "get_appeal",
                         context_data=as_caller(signing_keys.token_for(None, "admin"))) as get:
        stored = get(appeal["id"])
    assert stored.get("author_id") is None
    assert stored["title"] == appeal["title"]
    assert {h["by"] for h in stored["history"]} == {"deleted-account"}


def routing_event(event_type, appeal, **data):
    return ev.make_event(event_type, {"appeal_id": appeal["id"], **data},
                         source="/hromada/routing", subject=appeal["id"], actor="routing")


def test_executor_takes_and_resolves_deadline_moves_and_escalation_is_recorded(
        with_taxonomy, hromada_amqp_uri):
    appeal = submit(with_taxonomy, valid_payload())
    now = datetime.now(timezone.utc)
    steps = [
        ("handle_appeal_assigned", assigned_event(appeal)),
        ("handle_appeal_deadline_changed", routing_event(
            ev.APPEAL_DEADLINE_CHANGED, appeal, kind="complexity", complexity="complex",
            due_at=now + timedelta(days=10), previous_due_at=now + timedelta(days=2),
            reason=None, by="dispatcher-1", at=now)),
        ("handle_appeal_taken", routing_event(ev.APPEAL_TAKEN, appeal, body="kyivavtodor",
                                              by="executor-1", at=now)),
        ("handle_appeal_escalated", routing_event(
            ev.APPEAL_ESCALATED, appeal, body="kyivavtodor", due_at=now, reason="deadline broken",
            at=now)),
        ("handle_appeal_resolved", routing_event(
            ev.APPEAL_RESOLVED, appeal, body="kyivavtodor", by="executor-1", at=now,
            comment="Patched with hot asphalt", photo_ref=None)),
    ]
    for handler, event in steps:
        with entrypoint_waiter(with_taxonomy, handler, timeout=10):
            publish_events(hromada_amqp_uri, [event])
    with entrypoint_hook(with_taxonomy, "get_appeal") as get_appeal:
        stored = get_appeal(appeal["id"])
    assert stored["state"] == "resolved" and stored["escalated"] is True
    assert stored["complexity"] == "complex" and stored["version"] == 6
    assert [h["state"] for h in stored["history"]] == [
        "submitted", "assigned", "assigned", "in_progress", "in_progress", "resolved"]
    assert stored["history"][-1]["note"] == "Patched with hot asphalt"
    assert stored["history"][-1]["by"] == "executor-1"
    assert "complexity" in stored["history"][2]["note"]


def test_taken_before_assigned_waits_for_its_predecessor(with_taxonomy, hromada_amqp_uri):
    appeal = submit(with_taxonomy, valid_payload())
    now = datetime.now(timezone.utc)
    taken = routing_event(ev.APPEAL_TAKEN, appeal, body="kyivavtodor", by="executor-1", at=now)
    publish_events(hromada_amqp_uri, [taken])  # out of order: illegal now, retried later
    with entrypoint_waiter(with_taxonomy, "handle_appeal_assigned", timeout=10):
        publish_events(hromada_amqp_uri, [assigned_event(appeal)])

    def in_progress():
        with entrypoint_hook(with_taxonomy, "get_appeal") as get_appeal:
            return get_appeal(appeal["id"])["state"] == "in_progress"

    wait_until(in_progress, timeout=20, message="the retried taken event to apply")


def _through_resolution(container, amqp_uri, appeal):
    now = datetime.now(timezone.utc)
    for handler, event in [
        ("handle_appeal_assigned", assigned_event(appeal)),
        ("handle_appeal_taken", routing_event(ev.APPEAL_TAKEN, appeal, body="kyivavtodor",
                                              by="executor-1", at=now)),
        ("handle_appeal_resolved", routing_event(ev.APPEAL_RESOLVED, appeal, body="kyivavtodor",
                                                 by="executor-1", at=now, comment="done",
                                                 photo_ref=None)),
    ]:
        with entrypoint_waiter(container, handler, timeout=10):
            publish_events(amqp_uri, [event])


def feedback_event(event_type, appeal, **data):
    return ev.make_event(event_type, {"appeal_id": appeal["id"], **data},
                         source="/hromada/feedback", subject=appeal["id"], actor=data.get("by", "x"))


def test_rework_then_confirmation_by_the_author_closes_with_rating_and_counts_as_done(
        with_taxonomy, hromada_amqp_uri, signing_keys):
    author = "acc-" + os.urandom(4).hex()
    appeal = submit(with_taxonomy, valid_payload(), token=signing_keys.token_for(author))
    _through_resolution(with_taxonomy, hromada_amqp_uri, appeal)
    now = datetime.now(timezone.utc)
    with entrypoint_waiter(with_taxonomy, "handle_rework_requested", timeout=10):
        publish_events(hromada_amqp_uri, [feedback_event(
            ev.APPEAL_REWORK_REQUESTED, appeal, by=author, at=now, reason="still a hole",
            photo_ref=None, rework_count=1)])
    with entrypoint_waiter(with_taxonomy, "handle_appeal_resolved", timeout=10):
        publish_events(hromada_amqp_uri, [routing_event(
            ev.APPEAL_RESOLVED, appeal, body="kyivavtodor", by="executor-1", at=now,
            comment="patched again", photo_ref=None)])
    with entrypoint_hook(with_taxonomy, "statistics") as statistics:
        before = statistics()
    with entrypoint_waiter(with_taxonomy, "handle_appeal_confirmed", timeout=10):
        publish_events(hromada_amqp_uri, [feedback_event(
            ev.APPEAL_CONFIRMED, appeal, by=author, at=now, rating=4, comment="thanks", round=2)])
    with entrypoint_hook(with_taxonomy, "get_appeal") as get_appeal:
        stored = get_appeal(appeal["id"])
    assert (stored["state"], stored["rating"], stored["rework_count"]) == ("closed", 4, 1)
    assert [h["state"] for h in stored["history"]][-4:] == ["resolved", "rework", "resolved",
                                                            "closed"]
    assert stored["history"][-1]["by"] == author
    with entrypoint_hook(with_taxonomy, "statistics") as statistics:
        after = statistics()
    assert after["done_confirmed_by_residents"] == before["done_confirmed_by_residents"] + 1


def test_archived_appeal_is_counted_apart_never_as_done(with_taxonomy, hromada_amqp_uri):
    appeal = submit(with_taxonomy, valid_payload())
    _through_resolution(with_taxonomy, hromada_amqp_uri, appeal)
    with entrypoint_hook(with_taxonomy, "statistics") as statistics:
        before = statistics()
    with entrypoint_waiter(with_taxonomy, "handle_appeal_archived", timeout=10):
        publish_events(hromada_amqp_uri, [feedback_event(
            ev.APPEAL_ARCHIVED, appeal, by="dispatcher-1", at=datetime.now(timezone.utc),
            reason="no answer for 30 days")])
    with entrypoint_hook(with_taxonomy, "statistics") as statistics:
        after = statistics()
    assert after["archived_unconfirmed"] == before["archived_unconfirmed"] + 1
    assert after["done_confirmed_by_residents"] == before["done_confirmed_by_residents"]
