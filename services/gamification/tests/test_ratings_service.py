"""Executor and body ratings through the running service: appeals' lifecycles delivered through
real RabbitMQ into the real PostgreSQL database, read back through the RPCs; volume cases fold
events with the service layer directly (same code, one transaction, fast)."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from hromada_common import events as ev
from hromada_common.auth import Identity, Unauthenticated
from hromada_common.errors import Forbidden, InvalidInput, NotFound

from gamification.adapters.orm import inbox, outbox
from gamification.adapters.uow import GamificationUnitOfWork
from gamification.service_layer import ratings

from .conftest import event, new_id, utc

POTHOLE = "roads.surface.pothole"
LAMP = "lighting.street.lamp_out"


def code(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


class Appeal:
    """Builds the events of one appeal's lifecycle as routing and feedback publish them."""

    def __init__(self, body: str, category: str = POTHOLE, appeal_id: str | None = None):
        self.id = appeal_id or new_id()
        self.body = body
        self.category = category
        self.round = 1

    def _event(self, event_type, data, actor="system"):
        return event(event_type, {"appeal_id": self.id, **data}, subject=self.id, actor=actor)

    def assigned(self, at, due_at, body=None):
        self.body = body or self.body
        return self._event(ev.APPEAL_ASSIGNED, {
            "appeal_version": 2, "category": self.category, "body": self.body,
            "complexity": "standard", "due_at": due_at, "assigned_at": at, "rule": "test",
            "district": None})

    def taken(self, by, at):
        return self._event(ev.APPEAL_TAKEN, {"body": self.body, "by": by, "at": at}, by)

    def resolved(self, by, at):
        return self._event(ev.APPEAL_RESOLVED, {"body": self.body, "by": by, "at": at,
                                                "comment": "done", "photo_ref": None}, by)

    def breached(self, due_at):
        return self._event(ev.SLA_BREACHED, {"body": self.body, "due_at": due_at,
                                             "fired_at": due_at + timedelta(seconds=5)})

    def deadline_changed(self, kind, due_at, at):
        return self._event(ev.APPEAL_DEADLINE_CHANGED, {
            "kind": kind, "complexity": "standard", "due_at": due_at, "previous_due_at": None,
            "reason": None, "by": "routing", "at": at})

    def rework(self, at):
        self.round += 1
        return self._event(ev.APPEAL_REWORK_REQUESTED, {
            "by": "author", "at": at, "reason": "still broken", "photo_ref": None,
            "rework_count": self.round - 1})

    def confirmed_and_rated(self, rating, at):
        return [
            self._event(ev.APPEAL_CONFIRMED, {"by": "author", "at": at, "rating": rating,
                                              "comment": None, "round": self.round}),
            self._event(ev.APPEAL_RATED, {"body": self.body, "category": self.category,
                                          "rating": rating, "comment": None,
                                          "round": self.round, "by": "author", "at": at}),
        ]

    def archived(self, at):
        return self._event(ev.APPEAL_ARCHIVED, {"by": "staff", "at": at, "reason": "silent"})


def counts(board: dict, body: str, key: str = "body") -> dict:
    for entry in board["ranked"] + board["unranked"]:
        if entry[key] == body:
            return entry["counts"]
    raise AssertionError(f"{body} not on the board: {board}")


def zero(**nonzero) -> dict:
    base = dict.fromkeys(("resolved", "resolved_on_time", "confirmed", "archived", "reworks",
                          "breaches", "rating_sum", "rating_count"), 0)
    return base | nonzero


def lifecycles(body: str, first: str, second: str) -> list[dict]:
    """Three appeals of one body in March 2025 (Kyiv time), two executors, two domains:

    - on time, confirmed with 5;
    - breached, resolved late, sent back, resolved on time, confirmed with 3;
    - a lighting appeal resolved at 00:30 Kyiv time on 1 April (22:30 UTC on 31 March), left
      unanswered and archived in April.
    """
    quick, slow, lamp = Appeal(body), Appeal(body), Appeal(body, LAMP)
    due = utc(2025, 3, 10, 12)
    return [
        quick.assigned(utc(2025, 3, 3, 9), due), quick.taken(first, utc(2025, 3, 4, 9)),
        quick.resolved(first, utc(2025, 3, 9, 9)),
        *quick.confirmed_and_rated(5, utc(2025, 3, 11, 9)),

        slow.assigned(utc(2025, 3, 3, 9), due), slow.taken(first, utc(2025, 3, 4, 9)),
        slow.breached(due), slow.resolved(first, utc(2025, 3, 12, 9)),
        slow.rework(utc(2025, 3, 13, 9)),
        slow.deadline_changed("rework", utc(2025, 3, 20, 12), utc(2025, 3, 13, 9)),
        slow.resolved(first, utc(2025, 3, 15, 9)),
        *slow.confirmed_and_rated(3, utc(2025, 3, 16, 9)),

        lamp.assigned(utc(2025, 3, 20, 9), utc(2025, 4, 2, 12)),
        lamp.taken(second, utc(2025, 3, 21, 9)),
        lamp.resolved(second, utc(2025, 3, 31, 22, 30)),
        lamp.archived(utc(2025, 4, 10, 9)),
    ]


def test_lifecycles_count_for_the_body_per_period_and_domain(driver):
    body, first, second = code("roads"), new_id(), new_id()
    driver.deliver(*lifecycles(body, first, second))

    march = driver.call("leaderboard_bodies", {"period": "2025-03"})
    assert march["period"] == "2025-03" and march["domain"] == "*"
    assert counts(march, body) == zero(resolved=3, resolved_on_time=2, confirmed=2, reworks=1,
                                       breaches=1, rating_sum=8, rating_count=2)
    # resolved at 00:30 on 1 April in Kyiv: April's, though it was still March in UTC
    april = driver.call("leaderboard_bodies", {"period": "2025-04"})
    assert counts(april, body) == zero(resolved=1, resolved_on_time=1, archived=1)
    year = driver.call("leaderboard_bodies", {"period": "2025"})
    assert counts(year, body) == zero(resolved=4, resolved_on_time=3, confirmed=2, archived=1,
                                      reworks=1, breaches=1, rating_sum=8, rating_count=2)
    quarter = driver.call("leaderboard_bodies", {"period": "2025-Q1"})
    assert counts(quarter, body)["resolved"] == 3
    roads = driver.call("leaderboard_bodies", {"period": "2025", "domain": "roads"})
    assert counts(roads, body)["resolved"] == 3
    lighting = driver.call("leaderboard_bodies", {"period": "2025", "domain": "lighting"})
    assert counts(lighting, body) == zero(resolved=1, resolved_on_time=1, archived=1)
    assert driver.call("leaderboard_bodies", {"period": "2025", "domain": "parks"})[
        "unranked"] == []

    # three resolved appeals: listed with raw figures, not ranked
    entry = year["unranked"][0]
    assert year["ranked"] == [] and year["minimum_sample"] == 10
    assert entry["status"] == "not_yet_ranked" and entry["appeals"] == 4
    assert entry["on_time_rate"] == 0.75
    assert entry["confirmed_rate"] == 0.5  # 2 confirmed of 4 answered rounds
    assert entry["rework_rate"] == 0.25 and entry["breaches"] == 1
    assert entry["mean_rating"] == 4.0

    # executors: the one who resolved each round answers for it
    head = driver.keys.token_for(None, "head", body=body)
    executors = driver.call("executor_ratings", {"period": "2025"}, token=head)
    assert executors["body"] == body
    assert counts(executors, first, "executor") == zero(
        resolved=3, resolved_on_time=2, confirmed=2, reworks=1, breaches=1, rating_sum=8,
        rating_count=2)
    assert counts(executors, second, "executor") == zero(resolved=1, resolved_on_time=1,
                                                         archived=1)
    lighting_executors = driver.call("executor_ratings", {"period": "2025-04",
                                                          "domain": "lighting"}, token=head)
    assert [e["executor"] for e in lighting_executors["unranked"]] == [second]

    # one body's page: all time, per domain (the running month has nothing of 2025)
    page = driver.call("body_rating", body)
    assert page["periods"]["all"]["domains"]["*"]["counts"]["resolved"] == 4
    assert page["periods"]["all"]["domains"]["lighting"]["counts"]["archived"] == 1
    assert page["periods"]["all"]["domains"]["roads"]["rank"] is None
    assert page["periods"]["month"]["domains"] == {}


def test_redelivered_events_change_no_counter(driver):
    body, first, second = code("roads"), new_id(), new_id()
    envelopes = lifecycles(body, first, second)
    driver.deliver(*envelopes)
    before = driver.call("leaderboard_bodies", {"period": "all"})
    head = driver.keys.token_for(None, "head", body=body)
    executors_before = driver.call("executor_ratings", {"period": "all"}, token=head)

    driver.deliver(*envelopes)  # the same events (same ids) again, e.g. after a lost ack

    assert driver.call("leaderboard_bodies", {"period": "all"}) == before
    assert driver.call("executor_ratings", {"period": "all"}, token=head) == executors_before
    assert counts(before, body)["resolved"] == 4


def test_a_breach_timer_firing_twice_is_one_breach(driver):
    body = code("roads")
    appeal, due = Appeal(body), utc(2025, 5, 2, 12)
    driver.deliver(appeal.assigned(utc(2025, 5, 1, 9), due), appeal.breached(due),
                   appeal.breached(due))  # two events, two ids, one deadline
    assert counts(driver.call("leaderboard_bodies", {"period": "2025-05"}), body) == zero(
        breaches=1)


def test_who_may_see_executors(driver):
    body, other = code("roads"), code("parks")
    driver.deliver(*lifecycles(body, new_id(), new_id()))
    keys = driver.keys

    with pytest.raises(Unauthenticated):
        driver.call("executor_ratings", {})
    for roles in (("resident",), ("executor",)):
        with pytest.raises(Forbidden):
            driver.call("executor_ratings", {}, token=keys.token_for(None, *roles, body=body))
    with pytest.raises(Forbidden):
        driver.call("executor_ratings", {"body": body},
                    token=keys.token_for(None, "head", body=other))
    # a head's default is their own body; dispatchers see every body's executors
    own = driver.call("executor_ratings", {"period": "all"},
                      token=keys.token_for(None, "head", body=other))
    assert own["body"] == other and own["unranked"] == []
    everyone = driver.call("executor_ratings", {"period": "all"},
                           token=keys.token_for(None, "dispatcher"))
    assert {e["body"] for e in everyone["unranked"]} == {body}
    assert len(everyone["unranked"]) == 2


@pytest.mark.parametrize("params, field", [
    ({"period": "2025-13"}, "period"),
    ({"period": "week"}, "period"),
    ({"domain": "Roads!"}, "domain"),
    ({"limit": 101}, "limit"),
    ({"limit": 0}, "limit"),
    ({"colour": "red"}, "colour"),
])
def test_bad_leaderboard_parameters_name_the_field(driver, params, field):
    with pytest.raises(InvalidInput) as raised:
        driver.call("leaderboard_bodies", params)
    assert field in raised.value.fields


def test_body_rating_of_an_unknown_or_malformed_body(driver):
    with pytest.raises(NotFound) as raised:
        driver.call("body_rating", code("nobody"))
    assert "body" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        driver.call("body_rating", "Not A Code")
    assert "body" in raised.value.fields


# --- volume, through the service layer -------------------------------------------------------

@pytest.fixture
def uow_factory(gamification_engine):
    session_factory = sessionmaker(gamification_engine, expire_on_commit=False)
    return lambda: GamificationUnitOfWork(session_factory, outbox, inbox,
                                          source="/hromada/gamification")


def fold(uow_factory, envelopes, batch: int = 40) -> None:
    """Apply consumed events with the ratings part's own use case, ``batch`` per transaction
    (the service commits each alone; one huge transaction would update the same counter rows
    thousands of times over, which PostgreSQL makes slow)."""
    for start in range(0, len(envelopes), batch):
        with uow_factory() as uow:
            for envelope in envelopes[start:start + batch]:
                checked, data = ev.parse_event(envelope)
                ratings.apply(uow, checked, data)
            uow.commit()


def body_record(body, appeals, on_time, confirmed, reworks, rating_of, executor=None):
    """Events of ``appeals`` appeals of one body in June 2025: the first ``on_time`` resolved
    before their deadline, the next ``confirmed`` confirmed, the next ``reworks`` sent back
    (and then confirmed), the rest archived; ``rating_of(n)`` rates the n-th."""
    executor = executor or new_id()
    due = utc(2025, 6, 10, 12)
    envelopes = []
    for n in range(appeals):
        appeal = Appeal(body)
        resolved_at = due - timedelta(days=1) if n < on_time else due + timedelta(days=1)
        envelopes += [appeal.assigned(utc(2025, 6, 1, 9), due),
                      appeal.resolved(executor, resolved_at)]
        answer_at = utc(2025, 6, 14, 9)
        if n < confirmed:
            envelopes += appeal.confirmed_and_rated(rating_of(n), answer_at)
        elif n < confirmed + reworks:
            envelopes.append(appeal.rework(answer_at))
        else:
            envelopes.append(appeal.archived(answer_at))
    return envelopes


def test_a_small_perfect_body_does_not_outrank_a_large_very_good_one(uow_factory):
    large, small, twelve = code("large"), code("small"), code("twelve")
    mediocre = [code("mediocre") for _ in range(2)]
    envelopes = body_record(large, 300, on_time=285, confirmed=280, reworks=15,
                            rating_of=lambda n: 5 if n % 10 < 7 else 4)  # mean 4.7
    envelopes += body_record(small, 3, on_time=3, confirmed=3, reworks=0, rating_of=lambda n: 5)
    envelopes += body_record(twelve, 12, on_time=12, confirmed=12, reworks=0,
                             rating_of=lambda n: 5)
    for body in mediocre:
        envelopes += body_record(body, 60, on_time=40, confirmed=35, reworks=15,
                                 rating_of=lambda n: 3 + n % 2)
    fold(uow_factory, envelopes)

    board = ratings.leaderboard_bodies(uow_factory(), {"period": "2025-06"})

    ranked = [e["body"] for e in board["ranked"]]
    assert ranked[:2] == [large, twelve]
    assert set(ranked[2:]) == set(mediocre)
    assert [e["body"] for e in board["unranked"]] == [small]
    top = board["ranked"][0]
    assert top["rank"] == 1 and top["appeals"] == 300 and top["on_time_rate"] == 0.95
    assert top["mean_rating"] == pytest.approx(4.7, abs=0.001)
    assert board["ranked"][1]["on_time_rate"] == 1.0  # perfect raw figures, shrunk below
    assert board["ranked"][1]["shrunk"]["on_time_rate"] < top["shrunk"]["on_time_rate"]
    assert board["ranked"][0]["score"] > board["ranked"][1]["score"]
    assert board["unranked"][0]["status"] == "not_yet_ranked"
    assert board["prior"]["city"]["on_time_rate"] == pytest.approx(
        (285 + 3 + 12 + 80) / (300 + 3 + 12 + 120), abs=1e-4)
    # the limit cuts the list, never the city the figures are shrunk towards
    top_one = ratings.leaderboard_bodies(uow_factory(), {"period": "2025-06", "limit": 1})
    assert [e["body"] for e in top_one["ranked"]] == [large]
    assert top_one["ranked"][0] == top and top_one["ranked_total"] == 4


def test_outcomes_follow_the_body_and_executor_responsible_at_the_time(uow_factory):
    first_body, second_body = code("roads"), code("roads")
    first_executor, second_executor = new_id(), new_id()
    appeal, due = Appeal(first_body), utc(2025, 7, 10, 12)
    fold(uow_factory, [
        appeal.assigned(utc(2025, 7, 1, 9), due),
        appeal.taken(first_executor, utc(2025, 7, 2, 9)),
        # a dispatcher hands it to another body; the clock restarts
        appeal.assigned(utc(2025, 7, 3, 9), utc(2025, 7, 8, 12), body=second_body),
        appeal.deadline_changed("reassignment", utc(2025, 7, 8, 12), utc(2025, 7, 3, 9)),
        appeal.breached(utc(2025, 7, 8, 12)),
        appeal.taken(second_executor, utc(2025, 7, 9, 9)),
        appeal.resolved(second_executor, utc(2025, 7, 9, 10)),
        *appeal.confirmed_and_rated(4, utc(2025, 7, 11, 9)),
    ])
    board = ratings.leaderboard_bodies(uow_factory(), {"period": "2025-07"})
    assert [e["body"] for e in board["unranked"]] == [second_body]
    assert counts(board, second_body) == zero(resolved=1, confirmed=1, breaches=1,
                                              rating_sum=4, rating_count=1)

    dispatcher = Identity("d1", frozenset({"dispatcher"}))
    executors = ratings.executor_ratings(uow_factory(), {"period": "2025-07"}, dispatcher)
    # the breach came before anyone of the second body had taken it: the body's alone
    assert counts(executors, second_executor, "executor") == zero(
        resolved=1, confirmed=1, rating_sum=4, rating_count=1)
    assert all(e["executor"] != first_executor for e in executors["unranked"])


def test_events_of_an_appeal_never_seen_assigned_are_not_invented(uow_factory):
    appeal = Appeal(code("roads"))
    fold(uow_factory, [appeal.archived(utc(2025, 8, 1, 9)), appeal.rework(utc(2025, 8, 1, 9))])
    assert ratings.leaderboard_bodies(uow_factory(), {"period": "2025-08"})["unranked"] == []


def test_a_resolution_at_the_deadline_itself_is_on_time_and_a_second_later_is_not(uow_factory):
    body, due = code("roads"), utc(2025, 9, 10, 12)
    at_deadline, a_second_late = Appeal(body), Appeal(body)
    fold(uow_factory, [
        at_deadline.assigned(utc(2025, 9, 1, 9), due), at_deadline.resolved("e1", due),
        a_second_late.assigned(utc(2025, 9, 1, 9), due),
        a_second_late.resolved("e1", due + timedelta(seconds=1)),
    ])
    board = ratings.leaderboard_bodies(uow_factory(), {"period": "2025-09"})
    assert counts(board, body) == zero(resolved=2, resolved_on_time=1)
