"""Resident leaderboards: order, districts, privacy (public names only), deleted accounts."""
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from hromada_common.auth import Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput

from hromada_common.testing.helpers import ContainerDriver
from .test_points import (
    AT, accept_appeal, account_deleted, new_district, new_resident, points_of, suggestion,
)

PERIOD = "2026-03"  # AT's month in Kyiv


def _seed(driver):
    """Three residents: best with 30 points, second 20 (the only one in district B), third 10
    (the first to reach 10, so ahead of a later 10 on ties)."""
    district_a, district_b = new_district(), new_district()
    best, second, third, fourth = (new_resident() for _ in range(4))
    for n in range(3):
        accept_appeal(driver, best, district_a, at=AT + timedelta(minutes=n))
    for n in range(2):
        accept_appeal(driver, second, district_b, at=AT + timedelta(minutes=n))
    accept_appeal(driver, third, district_a, at=AT)
    accept_appeal(driver, fourth, district_a, at=AT + timedelta(hours=1))
    return district_a, district_b, best, second, third, fourth


def test_board_ranks_residents_by_points_and_shows_only_public_names(driver):
    district_a, district_b, best, second, third, fourth = _seed(driver)
    driver.call("set_public_profile", {"shown_as": "name", "display_name": "Олена Петренко"},
                token=driver.keys.token_for(second))

    board = driver.call("leaderboard_residents", {"period": PERIOD})
    assert board["period"] == PERIOD and board["district"] is None
    assert [(i["rank"], i["points"]) for i in board["items"]] == [
        (1, 30), (2, 20), (3, 10), (4, 10)]
    assert board["items"][1]["name"] == "Олена Петренко"
    names = {points_of(driver, r)["public_profile"]["name"]: r for r in (best, third, fourth)}
    assert [names[i["name"]] for i in board["items"] if i["name"] in names] == [
        best, third, fourth]
    assert board["items"][0]["level"]["number"] == 1
    published = json.dumps(board, ensure_ascii=False)
    for resident in (best, second, third, fourth):
        assert resident not in published

    in_a = driver.call("leaderboard_residents", {"period": PERIOD, "district": district_a})
    assert [i["points"] for i in in_a["items"]] == [30, 10, 10]
    in_b = driver.call("leaderboard_residents", {"period": PERIOD, "district": district_b})
    assert [i["name"] for i in in_b["items"]] == ["Олена Петренко"]

    page = driver.call("leaderboard_residents", {"period": PERIOD, "limit": 2, "offset": 2})
    assert [(i["rank"], i["points"]) for i in page["items"]] == [(3, 10), (4, 10)]


def test_deleted_account_disappears_from_every_board(driver):
    district_a, _, best, *_ = _seed(driver)
    driver.deliver(account_deleted(best))
    for params in ({"period": PERIOD}, {"period": PERIOD, "district": district_a},
                   {"period": "all"}, {"period": "2026"}):
        points = [i["points"] for i in driver.call("leaderboard_residents", params)["items"]]
        assert 30 not in points, params
    with pytest.raises(Forbidden):  # the account is gone: no fresh profile made for it
        points_of(driver, best)


@pytest.mark.parametrize("period", ["2026-13", "last-week", "2026-Q5", "2026-00", "weekly"])
def test_invalid_period_is_refused_naming_the_field(driver, period):
    with pytest.raises(InvalidInput) as error:
        driver.call("leaderboard_residents", {"period": period})
    assert "period" in error.value.fields


def test_board_refuses_bad_paging_and_unknown_fields(driver):
    for params in ({"limit": 101}, {"offset": -1}, {"sort": "points"}, {"district": "*"}):
        with pytest.raises(InvalidInput):
            driver.call("leaderboard_residents", params)


def test_running_month_is_the_default_period(driver):
    board = driver.call("leaderboard_residents")
    assert len(board["period"]) == 7 and board["items"] == []


def test_public_profile_pseudonym_rules_and_audit(driver, gamification_engine):
    from sqlalchemy import text

    resident, other = new_resident(), new_resident()
    token = driver.keys.token_for(resident)
    with pytest.raises(Unauthenticated):
        driver.call("set_public_profile", {"shown_as": "pseudonym"})
    for payload, field in (({"shown_as": "pseudonym", "pseudonym": "me@example.org"},
                            "pseudonym"),
                           ({"shown_as": "pseudonym", "pseudonym": "ab"}, "pseudonym"),
                           ({"shown_as": "name"}, "display_name"),
                           ({"shown_as": "nickname"}, "shown_as")):
        with pytest.raises(InvalidInput) as error:
            driver.call("set_public_profile", payload, token=token)
        assert field in error.value.fields

    chosen = driver.call("set_public_profile", {"shown_as": "pseudonym",
                                                "pseudonym": "Садівник з Оболоні"}, token=token)
    assert chosen == {"shown_as": "pseudonym", "name": "Садівник з Оболоні",
                      "pseudonym": "Садівник з Оболоні"}
    with pytest.raises(Conflict) as error:
        driver.call("set_public_profile", {"shown_as": "pseudonym",
                                           "pseudonym": "садівник з оболоні"},
                    token=driver.keys.token_for(other))
    assert "pseudonym" in error.value.fields

    shown = driver.call("set_public_profile", {"shown_as": "name", "display_name": "Іван"},
                        token=token)
    assert shown["name"] == "Іван"
    back = driver.call("set_public_profile", {"shown_as": "pseudonym"}, token=token)
    assert back["name"] == "Садівник з Оболоні"  # the name is not kept once not shown
    with gamification_engine.connect() as connection:
        audited = connection.execute(text(
            "SELECT action, by FROM audit_log WHERE subject_type = 'resident_profile' "
            "AND subject_id = :r ORDER BY id"), {"r": resident}).all()
        display = connection.execute(text(
            "SELECT display_name FROM resident_profiles WHERE resident_id = :r"),
            {"r": resident}).scalar_one()
    assert [tuple(a) for a in audited] == [("public_profile_set", resident)] * 3
    assert display is None


def test_pseudonyms_generated_at_first_sight_are_unique(driver):
    residents = [new_resident() for _ in range(3)]
    driver.deliver(*(suggestion(r) for r in residents))
    names = {points_of(driver, r)["public_profile"]["pseudonym"] for r in residents}
    assert len(names) == 3 and all(n.startswith("Мешканець-") for n in names)


# --- the board cache ------------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _unit_of_work(engine):
    from gamification.adapters.orm import inbox, outbox
    from gamification.adapters.uow import GamificationUnitOfWork

    return GamificationUnitOfWork(sessionmaker(bind=engine, expire_on_commit=False), outbox,
                                  inbox, "/hromada/gamification")


def _apply(engine, envelope):
    from gamification.service_layer import residents
    from hromada_common import events as ev

    envelope, data = ev.parse_event(envelope, envelope["type"])
    with _unit_of_work(engine) as uow:
        residents.apply(uow, envelope, data)
        uow.commit()


def test_board_cache_serves_the_same_page_within_its_ttl_and_a_fresh_one_after(
        gamification_engine):
    from gamification.adapters.residents_cache import BoardCache
    from gamification.service_layer import residents

    clock = Clock()
    cache = BoardCache(seconds=5, clock=clock)
    early, late = new_resident(), new_resident()
    _apply(gamification_engine, suggestion(early))

    def board(**params):
        return residents.leaderboard_residents(_unit_of_work(gamification_engine),
                                               {"period": PERIOD, **params}, cache=cache)

    first = board()
    assert [i["points"] for i in first["items"]] == [5]
    _apply(gamification_engine, suggestion(late))
    _apply(gamification_engine, suggestion(late, at=AT + timedelta(minutes=1)))

    clock.now += 4.9
    assert board() is first  # within the TTL: the page served before, database untouched
    other_page = board(limit=1)  # another key is its own page, read now
    assert [i["points"] for i in other_page["items"]] == [10]
    clock.now += 0.2
    fresh = board()
    assert [i["points"] for i in fresh["items"]] == [10, 5]
    assert cache.hits == 1 and cache.misses == 3  # first, limit=1, and after the TTL

    off = BoardCache(seconds=0, clock=clock)
    once = residents.leaderboard_residents(_unit_of_work(gamification_engine),
                                           {"period": PERIOD}, cache=off)
    assert once is not residents.leaderboard_residents(
        _unit_of_work(gamification_engine), {"period": PERIOD}, cache=off)
    assert len(off) == 0


def test_board_cache_is_bounded_and_drops_the_least_recently_used_page():
    from gamification.adapters.residents_cache import BoardCache

    clock = Clock()
    cache = BoardCache(seconds=60, max_entries=2, clock=clock)
    cache.put("a", {"page": "a"})
    cache.put("b", {"page": "b"})
    assert cache.get("a") == {"page": "a"}  # a is now the most recently used
    cache.put("c", {"page": "c"})
    assert len(cache) == 2
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    clock.now += 60
    assert cache.get("a") is None and cache.get("c") is None and len(cache) == 0


def test_service_serves_a_cached_board_but_a_residents_own_points_are_always_fresh(
        container_factory, gamification_config, hromada_amqp_uri, signing_keys):
    from gamification.service import GamificationService

    container = container_factory(GamificationService,
                                  {**gamification_config, "LEADERBOARD_CACHE_SECONDS": 60})
    container.start()
    driver = ContainerDriver(container, hromada_amqp_uri, signing_keys)
    resident = new_resident()
    driver.deliver(suggestion(resident))
    before = driver.call("leaderboard_residents", {"period": PERIOD})
    assert [i["points"] for i in before["items"]] == [5]

    driver.deliver(suggestion(resident, at=AT + timedelta(minutes=1)))
    assert driver.call("leaderboard_residents", {"period": PERIOD}) == before  # a minute stale
    assert points_of(driver, resident)["points"] == 10  # never stale
    assert [i["points"] for i in driver.call(
        "leaderboard_residents", {"period": PERIOD, "offset": 0, "limit": 50})["items"]] == [10]


# --- two residents claiming one pseudonym at the same moment --------------------------------------

def _waiting_for_a_lock(engine) -> bool:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).scalar_one() > 0


@pytest.mark.parametrize("theirs", ["Квітка з Подолу", "КВІТКА З ПОДОЛУ"])
def test_the_loser_of_a_simultaneous_pseudonym_claim_gets_a_conflict(gamification_engine,
                                                                     theirs):
    """Both pass the "is it taken?" check before either commits; the unique index makes the
    second wait for the first and then fail — reported as a Conflict naming the field."""
    from gamification.service_layer import residents
    from hromada_common.auth import Identity
    from hromada_common.testing.helpers import wait_until

    winner, loser = new_resident(), new_resident()
    with _unit_of_work(gamification_engine) as first:  # the winner, not yet committed
        first.residents.ensure_profile(winner, AT)
        assert not first.residents.pseudonym_taken("Квітка з Подолу", winner)
        first.residents.set_profile(winner, "pseudonym", None, "Квітка з Подолу", AT)

        outcome = {}

        def claim():
            try:
                outcome["result"] = residents.set_public_profile(
                    _unit_of_work(gamification_engine), Identity(loser),
                    {"shown_as": "pseudonym", "pseudonym": theirs})
            except Exception as exc:  # noqa: BLE001 - the test inspects it
                outcome["error"] = exc

        second = threading.Thread(target=claim)
        second.start()
        wait_until(lambda: _waiting_for_a_lock(gamification_engine),
                   message="the second claim waits on the unique index")
        first.commit()
    second.join(10)
    assert "result" not in outcome
    assert isinstance(outcome["error"], Conflict), outcome
    assert "pseudonym" in outcome["error"].fields
    with gamification_engine.connect() as connection:
        names = dict(connection.execute(text(
            "SELECT resident_id, pseudonym FROM resident_profiles WHERE resident_id IN "
            "(:w, :l)"), {"w": winner, "l": loser}).all())
        audited = connection.execute(text(
            "SELECT count(*) FROM audit_log WHERE subject_id = :l"), {"l": loser}).scalar_one()
    assert names[winner] == "Квітка з Подолу"
    assert names.get(loser, "").lower() != "квітка з подолу" and audited == 0
