"""Interface tests of intake's photo attachments: real nameko container, RabbitMQ, PostgreSQL.

Intake is told what the gateway stored (keys, type, sizes, digest), never the bytes; it
decides who may attach what, when, and how many."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from hromada_common import events as ev
from hromada_common.auth import Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from hromada_common.testing.helpers import publish_events

from .conftest import valid_payload


def as_caller(token):
    return {"hromada.auth": token} if token else {}


def photo_metadata(extension="jpg", **overrides):
    name = uuid.uuid4().hex
    photo = {"key": f"photos/{name[:2]}/{name}.{extension}",
             "content_type": {"jpg": "image/jpeg", "png": "image/png",
                              "webp": "image/webp"}[extension],
             "size": 123_456, "width": 1600, "height": 1200, "sha256": "ab" * 32,
             "thumbnail_key": f"photos/{name[:2]}/{name}.thumb.jpg",
             "thumbnail_content_type": "image/jpeg", "thumbnail_size": 9_876}
    photo.update(overrides)
    return photo


def call(container, method, *args, token=None):
    with entrypoint_hook(container, method, context_data=as_caller(token)) as hook:
        return hook(*args)


def routing_event(event_type, appeal, **data):
    return ev.make_event(event_type, {"appeal_id": appeal["id"], **data},
                         source="/hromada/routing", subject=appeal["id"], actor="routing")


def assign_and_take(container, amqp_uri, appeal, body="kyivavtodor"):
    now = datetime.now(timezone.utc)
    for handler, event in [
        ("handle_appeal_assigned", ev.make_event(ev.APPEAL_ASSIGNED, {
            "appeal_id": appeal["id"], "appeal_version": appeal["version"],
            "category": appeal["category"], "body": body, "complexity": "standard",
            "due_at": now + timedelta(days=2), "assigned_at": now, "rule": "default"},
            source="/hromada/routing", subject=appeal["id"], actor="routing")),
        ("handle_appeal_taken", routing_event(ev.APPEAL_TAKEN, appeal, body=body,
                                              by="executor-1", at=now)),
    ]:
        with entrypoint_waiter(container, handler, timeout=10):
            publish_events(amqp_uri, [event])


@pytest.fixture
def filed(with_taxonomy, signing_keys):
    """An appeal just filed, and its author's token."""
    author = signing_keys.token_for()
    appeal = call(with_taxonomy, "submit_appeal", valid_payload(), None, token=author)
    return appeal, author


def test_author_attaches_photos_to_the_appeal_and_they_are_listed_with_it(with_taxonomy, filed):
    appeal, author = filed
    photos = [photo_metadata("jpg"), photo_metadata("png")]

    attached = call(with_taxonomy, "attach_photos", appeal["id"], photos, "appeal", token=author)

    assert [p["key"] for p in attached["items"]] == [p["key"] for p in photos]
    assert {p["purpose"] for p in attached["items"]} == {"appeal"}
    shown = call(with_taxonomy, "get_appeal", appeal["id"])["photos"]
    assert [(p["key"], p["thumbnail_key"], p["content_type"]) for p in shown] == [
        (p["key"], p["thumbnail_key"], p["content_type"]) for p in photos]
    assert all(p["created_at"] and p["sha256"] == "ab" * 32 for p in shown)
    assert "uploaded_by" not in shown[0]
    assert call(with_taxonomy, "list_photos", appeal["id"])["items"] == shown
    allowance = call(with_taxonomy, "photo_allowance", appeal["id"], "appeal", token=author)
    assert allowance == {"purpose": "appeal", "limit": 5, "remaining": 3}


def test_at_most_five_photos_per_purpose_and_a_refused_batch_stores_none(with_taxonomy, filed):
    appeal, author = filed
    call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata() for _ in range(3)],
         "appeal", token=author)

    with pytest.raises(InvalidInput) as refused:
        call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata() for _ in range(3)],
             "appeal", token=author)

    assert "photo" in refused.value.fields and refused.value.extra["remaining"] == 2
    assert len(call(with_taxonomy, "list_photos", appeal["id"])["items"]) == 3
    with pytest.raises(InvalidInput):  # six in one go: refused by the schema itself
        call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata() for _ in range(6)],
             "appeal", token=author)


def test_only_the_author_attaches_the_appeals_photos(with_taxonomy, filed, signing_keys):
    appeal, _author = filed
    someone_else = signing_keys.token_for()

    with pytest.raises(Forbidden):
        call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata()], "appeal",
             token=someone_else)
    with pytest.raises(Forbidden):
        call(with_taxonomy, "photo_allowance", appeal["id"], "appeal", token=someone_else)
    with pytest.raises(Unauthenticated):
        call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata()], "appeal")
    with pytest.raises(Forbidden):  # a blocked author may only read
        call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata()], "appeal",
             token=signing_keys.token_for(None, status="blocked"))
    assert call(with_taxonomy, "list_photos", appeal["id"])["items"] == []


def test_rework_photos_wait_for_the_resolution(with_taxonomy, filed):
    appeal, author = filed
    with pytest.raises(Conflict) as refused:
        call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata()], "rework",
             token=author)
    assert refused.value.extra["state"] == "submitted"


def test_staff_of_the_assigned_body_attach_resolution_photos(
        with_taxonomy, filed, signing_keys, hromada_amqp_uri):
    appeal, author = filed
    executor = signing_keys.token_for(None, "executor", body="kyivavtodor")
    other_body = signing_keys.token_for(None, "executor", body="kyivmiskvitlo")
    with pytest.raises(Forbidden):  # not assigned yet: no body's staff may
        call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata()], "resolution",
             token=executor)
    assign_and_take(with_taxonomy, hromada_amqp_uri, appeal)

    attached = call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata("webp")],
                    "resolution", token=executor)

    assert attached["items"][0]["purpose"] == "resolution"
    for token in (other_body, author):
        with pytest.raises(Forbidden):
            call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata()],
                 "resolution", token=token)
    # The author's photos of the problem still go in while the appeal is in work.
    call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata()], "appeal", token=author)
    assert [p["purpose"] for p in call(with_taxonomy, "list_photos", appeal["id"])["items"]] == [
        "resolution", "appeal"]


@pytest.mark.parametrize("bad", [
    {"key": "../../etc/passwd"},
    {"key": "photos/ab/evil.svg"},
    {"content_type": "text/html"},
    {"size": 0},
    {"sha256": "not-a-digest"},
    {"content": "aGVsbG8="},  # bytes never cross RPC: an unknown field
])
def test_metadata_that_is_not_what_the_gateway_stores_is_refused(with_taxonomy, filed, bad):
    appeal, author = filed
    with pytest.raises(InvalidInput):
        call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata(**bad)], "appeal",
             token=author)
    with pytest.raises(InvalidInput):
        call(with_taxonomy, "attach_photos", appeal["id"], [photo_metadata()], "selfie",
             token=author)


def test_a_key_cannot_be_attached_twice(with_taxonomy, filed):
    appeal, author = filed
    photo = photo_metadata()
    call(with_taxonomy, "attach_photos", appeal["id"], [photo], "appeal", token=author)
    with pytest.raises(Conflict):
        call(with_taxonomy, "attach_photos", appeal["id"], [photo], "appeal", token=author)


def test_photos_of_an_unknown_appeal(with_taxonomy, signing_keys):
    with pytest.raises(NotFound):
        call(with_taxonomy, "attach_photos", str(uuid.uuid4()), [photo_metadata()], "appeal",
             token=signing_keys.token_for())
    with pytest.raises(NotFound):
        call(with_taxonomy, "list_photos", str(uuid.uuid4()))
