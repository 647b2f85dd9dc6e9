"""The points ledger through the running service: real RabbitMQ in, real PostgreSQL behind.

Residents earn points for appeals accepted, resolutions confirmed, ratings given and useful
portal suggestions, lose them for spam; each entry once per event, capped per day, never for
an appeal its author handled as staff.
"""
import copy
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from hromada_common import events as ev
from hromada_common.auth import Unauthenticated
from hromada_common.errors import InvalidInput

from .conftest import event, new_id, utc

AT = utc(2026, 3, 10, 9, 0)  # 11:00 in Kyiv


# --- consumed events, as the other services publish them ----------------------------------------

def state_changed(appeal_id, author, state, previous, *, at=AT, by="routing", version=2,
                  reason_code=None):
    return event(ev.APPEAL_STATE_CHANGED, {
        "appeal_id": appeal_id, "appeal_version": version, "state": state,
        "previous_state": previous, "category": "roads.pothole",
        "body": "roads" if state != "rejected" else None, "due_at": None,
        "author_id": author, "at": at, "by": by, "reason": "spam" if reason_code else None,
        "reason_code": reason_code, "cause": None}, subject=appeal_id, actor=by)


def accepted(appeal_id, author, *, at=AT):
    return state_changed(appeal_id, author, "assigned", "submitted", at=at)


def assigned(appeal_id, district, *, at=AT, version=1):
    return event(ev.APPEAL_ASSIGNED, {
        "appeal_id": appeal_id, "appeal_version": version, "category": "roads.pothole",
        "body": "roads", "complexity": "standard", "due_at": at + timedelta(days=5),
        "assigned_at": at, "rule": "category default", "district": district},
        subject=appeal_id)


def taken(appeal_id, by, *, at=AT):
    return event(ev.APPEAL_TAKEN, {"appeal_id": appeal_id, "body": "roads", "by": by, "at": at},
                 subject=appeal_id, actor=by)


def confirmed(appeal_id, author, *, at=AT, rating=5):
    return event(ev.APPEAL_CONFIRMED, {"appeal_id": appeal_id, "by": author, "at": at,
                                       "rating": rating, "comment": None, "round": 1},
                 subject=appeal_id, actor=author)


def rated(appeal_id, author, *, at=AT, rating=5, round_=1):
    return event(ev.APPEAL_RATED, {"appeal_id": appeal_id, "body": "roads",
                                   "category": "roads.pothole", "rating": rating,
                                   "comment": None, "round": round_, "by": author, "at": at},
                 subject=appeal_id, actor=author)


def suggestion(author, *, at=AT, useful=True):
    feedback_id = new_id()
    return event(ev.PORTAL_FEEDBACK_ANSWERED, {"feedback_id": feedback_id, "author_id": author,
                                               "at": at, "useful": useful}, subject=feedback_id)


def account_deleted(account_id, *, at=AT):
    return event(ev.ACCOUNT_DELETED, {"account_id": account_id, "at": at}, subject=account_id)


def new_resident() -> str:
    return f"res-{uuid.uuid4().hex[:12]}"


def new_district() -> str:
    return f"d-{uuid.uuid4().hex[:8]}"


def points_of(driver, resident, **params):
    return driver.call("my_points", params or None, token=driver.keys.token_for(resident))


def accept_appeal(driver, author, district, *, at=AT) -> str:
    appeal_id = new_id()
    driver.deliver(assigned(appeal_id, district, at=at), accepted(appeal_id, author, at=at))
    return appeal_id


# --- the tests ---------------------------------------------------------------------------------

def test_accepted_appeal_earns_its_author_points_once_routing_and_intake_both_said_so(
        driver, listener):
    author, district, appeal_id = new_resident(), new_district(), new_id()

    driver.deliver(accepted(appeal_id, author))
    assert points_of(driver, author)["points"] == 0  # the district is not known yet
    driver.deliver(assigned(appeal_id, district))

    mine = points_of(driver, author)
    assert mine["points"] == 10
    [entry] = mine["ledger"]["items"]
    assert (entry["rule"], entry["points"], entry["appeal_id"], entry["district"]) == (
        "appeal_accepted", 10, appeal_id, district)
    assert mine["level"]["number"] == 1 and mine["next_level"]["min_points"] == 50
    [awarded] = listener.wait_for(lambda e: e["type"] == ev.POINTS_AWARDED
                                  and e["subject"] == author)
    assert awarded["data"]["points"] == 10 and awarded["data"]["district"] == district


def test_redelivered_or_replayed_event_earns_nothing_twice(driver):
    author = new_resident()
    useful = suggestion(author)
    replay = copy.deepcopy(useful)
    replay["time"] = (AT + timedelta(hours=1)).isoformat()  # same event id, new envelope

    driver.deliver(useful, useful, replay)

    mine = points_of(driver, author)
    assert mine["points"] == 5
    assert [e["rule"] for e in mine["ledger"]["items"]] == ["suggestion_useful"]


def test_ledger_itself_refuses_an_event_it_has_already_counted(gamification_engine):
    """Past the inbox (say, a replay from an archive under a new consumer): the unique
    (cause, resident, rule) on the ledger still holds."""
    from gamification.adapters.orm import inbox, outbox
    from gamification.adapters.residents_orm import PointsEntry
    from gamification.adapters.uow import GamificationUnitOfWork
    from gamification.service_layer import residents

    author = new_resident()
    envelope, data = ev.parse_event(suggestion(author), ev.PORTAL_FEEDBACK_ANSWERED)
    factory = sessionmaker(bind=gamification_engine)
    for _ in range(2):
        with GamificationUnitOfWork(factory, outbox, inbox, "/hromada/gamification") as uow:
            residents.apply(uow, envelope, data)
            uow.commit()
    with factory() as session:
        assert session.execute(select(func.count()).select_from(PointsEntry).where(
            PointsEntry.resident_id == author)).scalar_one() == 1


def test_daily_cap_records_the_extra_action_with_no_points_until_the_next_city_day(driver):
    author = new_resident()
    late_evening = utc(2026, 3, 10, 21, 30)  # 23:30 in Kyiv
    after_midnight = utc(2026, 3, 10, 22, 30)  # 00:30 on 11 March in Kyiv

    driver.deliver(*(suggestion(author, at=late_evening - timedelta(minutes=n))
                     for n in range(4)))
    mine = points_of(driver, author)
    assert mine["points"] == 15  # cap: 3 useful suggestions a day
    capped = [e for e in mine["ledger"]["items"] if e["capped"]]
    assert len(capped) == 1 and capped[0]["points"] == 0

    driver.deliver(suggestion(author, at=after_midnight))
    assert points_of(driver, author)["points"] == 20


def test_spam_costs_the_author_points_and_is_never_capped(driver):
    author = new_resident()
    driver.deliver(*(state_changed(new_id(), author, "rejected", "submitted", by="moderator-1",
                                   reason_code="spam") for _ in range(2)))
    driver.deliver(state_changed(new_id(), author, "rejected", "submitted", by="moderator-1",
                                 reason_code="out_of_remit"))
    mine = points_of(driver, author)
    assert mine["points"] == -40
    assert sorted(e["rule"] for e in mine["ledger"]["items"]) == ["appeal_rejected_spam"] * 2


def test_no_points_for_an_appeal_its_author_took_as_staff_and_earlier_ones_reversed(driver):
    author, district = new_resident(), new_district()
    appeal_id = accept_appeal(driver, author, district)
    assert points_of(driver, author)["points"] == 10

    driver.deliver(taken(appeal_id, author), confirmed(appeal_id, author),
                   rated(appeal_id, author))

    mine = points_of(driver, author)
    assert mine["points"] == 0
    assert [(e["rule"], e["points"]) for e in mine["ledger"]["items"]] == [
        ("own_appeal_reversal", -10), ("appeal_accepted", 10)]
    board = driver.call("leaderboard_residents", {"period": "2026-03", "district": district})
    assert board["items"] == []


def test_staff_action_seen_before_the_author_still_denies_the_author_points(driver):
    author, appeal_id = new_resident(), new_id()
    driver.deliver(taken(appeal_id, author), assigned(appeal_id, new_district()),
                   accepted(appeal_id, author))
    assert points_of(driver, author)["points"] == 0
    assert points_of(driver, author)["ledger"]["items"] == []


def test_confirmation_and_its_rating_count_once_each(driver):
    author = new_resident()
    appeal_id = accept_appeal(driver, author, new_district())
    driver.deliver(taken(appeal_id, "executor-7"), confirmed(appeal_id, author),
                   rated(appeal_id, author), rated(appeal_id, author, round_=2))
    mine = points_of(driver, author)
    assert mine["points"] == 10 + 5 + 2
    assert sorted(e["rule"] for e in mine["ledger"]["items"]) == [
        "appeal_accepted", "rating_given", "resolution_confirmed"]


def test_level_reached_is_announced_once_when_points_cross_a_threshold(driver, listener):
    author, district = new_resident(), new_district()
    for n in range(5):
        accept_appeal(driver, author, district, at=AT + timedelta(minutes=n))
    mine = points_of(driver, author)
    assert mine["points"] == 50
    assert mine["level"] == {"number": 2, "name": {"uk": "Активіст", "en": "Activist"},
                             "min_points": 50}
    assert mine["next_level"]["number"] == 3
    [reached] = listener.wait_for(lambda e: e["type"] == ev.LEVEL_REACHED
                                  and e["subject"] == author)
    assert reached["data"]["level"] == 2 and reached["data"]["points"] == 50

    # Down below the threshold and back up: no second announcement.
    driver.deliver(state_changed(new_id(), author, "rejected", "submitted", by="m",
                                 reason_code="spam"))
    driver.deliver(*(suggestion(author, at=AT + timedelta(days=1, minutes=n)) for n in range(3)),
                   *(suggestion(author, at=AT + timedelta(days=2, minutes=n)) for n in range(2)))
    assert points_of(driver, author)["points"] == 55
    driver.deliver(suggestion(author, at=AT + timedelta(days=3)))  # a late marker
    listener.wait_for(lambda e: e["type"] == ev.POINTS_AWARDED and e["subject"] == author,
                      count=12)
    assert len([e for e in listener.received if e["type"] == ev.LEVEL_REACHED
                and e["subject"] == author]) == 1


def test_my_points_needs_a_signed_in_caller_and_checks_its_paging(driver):
    with pytest.raises(Unauthenticated):
        driver.call("my_points")
    with pytest.raises(InvalidInput) as error:
        points_of(driver, new_resident(), limit=0)
    assert "limit" in error.value.fields


def test_my_points_pages_the_ledger_and_reports_running_periods(driver):
    author = new_resident()
    driver.deliver(*(suggestion(author, at=AT + timedelta(days=n)) for n in range(3)))
    mine = points_of(driver, author, limit=2, offset=1)
    assert mine["points"] == 15
    assert len(mine["ledger"]["items"]) == 2 and mine["ledger"]["offset"] == 1
    assert set(mine["periods"]) == {"month", "quarter", "year"}
    assert mine["public_profile"]["shown_as"] == "pseudonym"
    assert mine["public_profile"]["name"].startswith("Мешканець-")


# --- a deleted account stays deleted --------------------------------------------------------------

RESIDENT_TABLES = ("points_ledger", "resident_totals", "points_daily_counts",
                   "resident_counters", "resident_badges", "resident_profiles")


def traces_of(engine, resident) -> dict:
    from sqlalchemy import text

    with engine.connect() as connection:
        found = {table: connection.execute(text(
            f"SELECT count(*) FROM {table} WHERE resident_id = :r"), {"r": resident}
        ).scalar_one() for table in RESIDENT_TABLES}
        found["resident_appeals"] = connection.execute(text(
            "SELECT count(*) FROM resident_appeals WHERE author_id = :r"), {"r": resident}
        ).scalar_one()
        found["resident_appeal_staff"] = connection.execute(text(
            "SELECT count(*) FROM resident_appeal_staff WHERE actor_id = :r"), {"r": resident}
        ).scalar_one()
    return {table: n for table, n in found.items() if n}


def test_events_still_in_flight_for_a_deleted_account_recreate_nothing(driver,
                                                                       gamification_engine):
    from sqlalchemy import text

    from hromada_common.errors import Forbidden

    author, other, district = new_resident(), new_resident(), new_district()
    appeal_id = accept_appeal(driver, author, district)
    assert traces_of(gamification_engine, author)
    driver.deliver(account_deleted(author))
    assert traces_of(gamification_engine, author) == {}

    later = new_id()  # published before the deletion, delivered after it
    unassigned = new_id()
    driver.deliver(suggestion(author), confirmed(appeal_id, author), rated(appeal_id, author),
                   assigned(later, district), accepted(later, author),
                   taken(unassigned, author), suggestion(other), account_deleted(author))
    assert traces_of(gamification_engine, author) == {}
    assert points_of(driver, other)["points"] == 5  # everyone else carries on
    with gamification_engine.connect() as connection:
        tombstones = connection.execute(text(
            "SELECT * FROM resident_tombstones WHERE resident_id = :r"), {"r": author}).all()
    assert [tuple(row) for row in tombstones] == [(author,)]  # the opaque id, nothing else
    token = driver.keys.token_for(author)
    with pytest.raises(Forbidden):
        driver.call("my_points", None, token=token)
    with pytest.raises(Forbidden):
        driver.call("set_public_profile", {"shown_as": "pseudonym"}, token=token)
    assert traces_of(gamification_engine, author) == {}


def test_an_award_racing_the_deletion_waits_for_it_and_then_writes_nothing(
        gamification_engine):
    """The deletion holds the person's lock until it commits; an event about them applied
    meanwhile waits, then sees the tombstone (without the lock it would write rows the
    deletion had already swept)."""
    import threading

    from sqlalchemy import text

    from gamification.adapters.orm import inbox, outbox
    from gamification.adapters.uow import GamificationUnitOfWork
    from gamification.service_layer import residents
    from hromada_common.testing.helpers import wait_until

    factory = sessionmaker(bind=gamification_engine)
    author = new_resident()

    def unit_of_work():
        return GamificationUnitOfWork(factory, outbox, inbox, "/hromada/gamification")

    def waiting() -> bool:
        with gamification_engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event = 'advisory'")).scalar_one() > 0

    def award():
        envelope, data = ev.parse_event(suggestion(author), ev.PORTAL_FEEDBACK_ANSWERED)
        with unit_of_work() as uow:
            residents.apply(uow, envelope, data)
            uow.commit()

    deletion, data = ev.parse_event(account_deleted(author), ev.ACCOUNT_DELETED)
    with unit_of_work() as uow:
        residents.apply(uow, deletion, data)
        racing = threading.Thread(target=award)
        racing.start()
        wait_until(waiting, message="the award waits for the deletion")
        uow.commit()
    racing.join(10)
    assert not racing.is_alive()
    assert traces_of(gamification_engine, author) == {}
