"""Interface tests of nearby duplicates and support: a real intake container on real RabbitMQ
and PostgreSQL. Before filing, a resident sees the open appeals of the same category within
250 m and may support one instead; supporters are counted and the change is an event."""
import pytest
from nameko.testing.services import entrypoint_hook

from hromada_common import events as ev
from hromada_common.auth import Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound

from .conftest import valid_payload

METRES_PER_DEGREE_LAT = 111_195.0
HERE = (50.4501, 30.5234)


def north_of(metres, lat=HERE[0], lon=HERE[1]):
    return {"lat": lat + metres / METRES_PER_DEGREE_LAT, "lon": lon, "address": f"{metres} m N"}


def call(container, method, *args, token=None):
    context = {"hromada.auth": token} if token else {}
    with entrypoint_hook(container, method, context_data=context) as hook:
        return hook(*args)


def file(container, keys, token=None, **overrides):
    return call(container, "submit_appeal", valid_payload(**overrides), None,
                token=token or keys.token_for())


def nearby(container, token=None, **query):
    query.setdefault("lat", HERE[0])
    query.setdefault("lon", HERE[1])
    query.setdefault("category", "roads.surface.pothole")
    return call(container, "nearby_appeals", query, token=token)


def test_nearby_finds_open_appeals_of_the_category_within_250_m_nearest_first(
        with_taxonomy, signing_keys):
    keys = signing_keys
    at_200 = file(with_taxonomy, keys, location=north_of(200))
    at_50 = file(with_taxonomy, keys, location=north_of(-50))
    at_300 = file(with_taxonomy, keys, location=north_of(300))
    other_category = file(with_taxonomy, keys, category="lighting.street.lamp_out",
                          fields={"lamp_post_number": "17"}, location=north_of(10))
    rejected = file(with_taxonomy, keys, location=north_of(20))
    call(with_taxonomy, "reject_appeal", rejected["id"], {"reason": "a test prank"},
         token=keys.token_for(None, "dispatcher"))

    found = nearby(with_taxonomy)

    assert [item["id"] for item in found["items"]] == [at_50["id"], at_200["id"]]
    assert found["radius_m"] == 250
    first, second = found["items"]
    assert first["distance_m"] == 50 and second["distance_m"] == 200
    assert first["state"] == "submitted" and first["supporters_count"] == 0
    assert first["title"] == at_50["title"] and first["created_at"] == at_50["created_at"]
    assert first["photo"] is None
    assert "supported_by_me" not in first  # anonymous
    ids = {item["id"] for item in found["items"]}
    assert not ids & {at_300["id"], other_category["id"], rejected["id"]}


def test_nearby_names_the_field_at_fault(with_taxonomy):
    with pytest.raises(InvalidInput) as err:
        nearby(with_taxonomy, lat=91)
    assert set(err.value.fields) == {"lat"}
    with pytest.raises(InvalidInput) as err:
        call(with_taxonomy, "nearby_appeals", {"lat": 50.45, "category": "roads.surface.pothole"})
    assert set(err.value.fields) == {"lon"}
    for code in ("roads.surface", "roads.surface.flying_cars"):
        with pytest.raises(InvalidInput) as err:
            nearby(with_taxonomy, category=code)
        assert set(err.value.fields) == {"category"}


def test_resident_supports_an_appeal_instead_of_filing_a_copy(with_taxonomy, signing_keys,
                                                              listener):
    appeal = file(with_taxonomy, signing_keys, location=north_of(100))
    supporter = signing_keys.token_for()
    another = signing_keys.token_for()

    answer = call(with_taxonomy, "support_appeal", appeal["id"], token=supporter)
    assert answer == {"appeal_id": appeal["id"], "supporters_count": 1, "supported_by_me": True}
    # idempotent: the second time changes nothing and says the same
    assert call(with_taxonomy, "support_appeal", appeal["id"], token=supporter) == answer
    assert call(with_taxonomy, "support_appeal", appeal["id"],
                token=another)["supporters_count"] == 2

    seen = call(with_taxonomy, "get_appeal", appeal["id"], token=supporter)
    assert seen["supporters_count"] == 2 and seen["supported_by_me"] is True
    assert call(with_taxonomy, "get_appeal", appeal["id"])["supporters_count"] == 2
    (item,) = nearby(with_taxonomy, token=supporter)["items"]
    assert item["supporters_count"] == 2 and item["supported_by_me"] is True
    (listed,) = call(with_taxonomy, "list_appeals", {}, token=supporter)["items"]
    assert listed["supporters_count"] == 2 and listed["supported_by_me"] is True

    supported = listener.wait_for(
        lambda e: e["type"] == ev.APPEAL_SUPPORTED and e["subject"] == appeal["id"], count=2)
    assert [e["data"]["supporters_count"] for e in supported] == [1, 2]
    assert supported[0]["specversion"] == "1.0" and supported[0]["source"] == "/hromada/intake"
    assert supported[0]["data"]["supporter_id"] != appeal["author_id"]


def test_supporter_withdraws_and_the_count_goes_down(with_taxonomy, signing_keys, listener):
    appeal = file(with_taxonomy, signing_keys)
    supporter = signing_keys.token_for()
    call(with_taxonomy, "support_appeal", appeal["id"], token=supporter)

    answer = call(with_taxonomy, "withdraw_support", appeal["id"], token=supporter)
    assert answer == {"appeal_id": appeal["id"], "supporters_count": 0, "supported_by_me": False}
    assert call(with_taxonomy, "withdraw_support", appeal["id"], token=supporter) == answer
    assert call(with_taxonomy, "get_appeal", appeal["id"],
                token=supporter)["supported_by_me"] is False
    (event,) = listener.wait_for(lambda e: e["type"] == ev.APPEAL_SUPPORT_WITHDRAWN
                                 and e["subject"] == appeal["id"])
    assert event["data"]["supporters_count"] == 0


def test_author_cannot_support_own_appeal_nor_anyone_a_closed_one(with_taxonomy, signing_keys):
    author = signing_keys.token_for()
    appeal = file(with_taxonomy, signing_keys, token=author)
    with pytest.raises(Conflict) as err:
        call(with_taxonomy, "support_appeal", appeal["id"], token=author)
    assert err.value.extra == {"reason": "own_appeal"}

    call(with_taxonomy, "reject_appeal", appeal["id"], {"reason": "not the city's remit"},
         token=signing_keys.token_for(None, "dispatcher"))
    with pytest.raises(Conflict) as err:
        call(with_taxonomy, "support_appeal", appeal["id"], token=signing_keys.token_for())
    assert err.value.extra == {"state": "rejected"}
    assert call(with_taxonomy, "get_appeal", appeal["id"])["supporters_count"] == 0


def test_support_needs_a_signed_in_verified_resident_and_an_appeal(with_taxonomy, signing_keys):
    appeal = file(with_taxonomy, signing_keys)
    with pytest.raises(Unauthenticated):
        call(with_taxonomy, "support_appeal", appeal["id"])
    with pytest.raises(Forbidden):
        call(with_taxonomy, "support_appeal", appeal["id"],
             token=signing_keys.token_for(verified=False))
    with pytest.raises(NotFound):
        call(with_taxonomy, "support_appeal", "no-such-appeal", token=signing_keys.token_for())
    with pytest.raises(Unauthenticated):
        call(with_taxonomy, "withdraw_support", appeal["id"])


def test_a_deleted_account_support_goes_with_it(with_taxonomy, signing_keys, hromada_amqp_uri):
    from datetime import datetime, timezone

    from nameko.testing.services import entrypoint_waiter

    from hromada_common.testing.helpers import publish_events

    appeal = file(with_taxonomy, signing_keys)
    account_id = "acc-leaving-" + appeal["id"][:8]
    call(with_taxonomy, "support_appeal", appeal["id"],
         token=signing_keys.token_for(account_id))
    deleted = ev.make_event(ev.ACCOUNT_DELETED, {"account_id": account_id,
                                                 "at": datetime.now(timezone.utc)},
                            source="/hromada/accounts", subject=account_id)
    with entrypoint_waiter(with_taxonomy, "handle_account_deleted", timeout=10):
        publish_events(hromada_amqp_uri, [deleted])
    assert call(with_taxonomy, "get_appeal", appeal["id"])["supporters_count"] == 0


def test_a_nearby_appeal_carries_its_first_photo_of_the_problem(with_taxonomy, signing_keys):
    import uuid

    def metadata():
        name = uuid.uuid4().hex
        return {"key": f"photos/{name[:2]}/{name}.jpg", "content_type": "image/jpeg",
                "size": 1000, "width": 640, "height": 480, "sha256": "cd" * 32,
                "thumbnail_key": f"photos/{name[:2]}/{name}.thumb.jpg",
                "thumbnail_content_type": "image/jpeg", "thumbnail_size": 100}

    author = signing_keys.token_for(f"acc-{uuid.uuid4().hex[:8]}")
    with_photos = file(with_taxonomy, signing_keys, token=author, location=north_of(30))
    without = file(with_taxonomy, signing_keys, location=north_of(60))
    first, second = metadata(), metadata()
    call(with_taxonomy, "attach_photos", with_photos["id"], [first, second], "appeal",
         token=author)

    found = {item["id"]: item for item in nearby(with_taxonomy)["items"]}

    assert found[with_photos["id"]]["photo"] == {"key": first["key"],
                                                 "thumbnail_key": first["thumbnail_key"]}
    assert found[without["id"]]["photo"] is None
