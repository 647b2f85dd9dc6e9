"""Rewards through the running service, on real PostgreSQL and RabbitMQ: a period ends, its
top residents are nominated once, staff decide, the resident downloads a certificate of
gratitude or is handed a gift, and every step is an event."""
import base64
import io
import re
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from pypdf import PdfReader
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import sessionmaker

from hromada_common import events as ev
from hromada_common.auth import Identity, Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound

from gamification.adapters.orm import AuditRecord, inbox, outbox
from gamification.adapters.residents_orm import CITY_WIDE, ResidentTotal
from gamification.adapters.rewards_orm import Gift, Nomination, NominationRun
from gamification.adapters.uow import GamificationUnitOfWork
from gamification.domain import periods
from gamification.service_layer import rewards as rewards_cases

from .conftest import event, new_id

PERIOD = "2025-11"  # ended long ago


# --- helpers ---------------------------------------------------------------------------------

def seed_totals(engine, period: str, rows) -> None:
    """``rows``: (district, resident_id, points); city-wide totals are summed from them."""
    at = datetime(2025, 1, 1, tzinfo=timezone.utc)
    city: dict[str, int] = {}
    values = []
    for n, (district, resident, points) in enumerate(rows):
        values.append({"period": period, "district": district, "resident_id": resident,
                       "points": points, "reached_at": at + timedelta(seconds=n)})
        city[resident] = city.get(resident, 0) + points
    values += [{"period": period, "district": CITY_WIDE, "resident_id": r, "points": p,
                "reached_at": at} for r, p in city.items()]
    with engine.begin() as connection:
        connection.execute(insert(ResidentTotal), values)


def nominations_in(engine, period: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(
            select(Nomination.resident_id, Nomination.district, Nomination.rank,
                   Nomination.points, Nomination.status)
            .where(Nomination.period == period)
            .order_by(Nomination.district, Nomination.rank))]


def audit_actions(engine, subject_type: str, subject_id: str) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(
            select(AuditRecord.action).where(AuditRecord.subject_type == subject_type,
                                             AuditRecord.subject_id == subject_id)
            .order_by(AuditRecord.id)).scalars())


def make_uow(engine) -> GamificationUnitOfWork:
    return GamificationUnitOfWork(sessionmaker(engine, expire_on_commit=False), outbox, inbox,
                                  source="/hromada/gamification")


def pdf_text(document: dict) -> str:
    assert document["content_type"] == "application/pdf"
    assert document["filename"].endswith(".pdf")
    pdf = base64.b64decode(document["content_base64"])
    return re.sub(r"\s+", " ", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


class People:
    """Tokens for a fresh admin, dispatcher and residents of one test."""

    def __init__(self, keys):
        self.keys = keys
        self.admin_id, self.dispatcher_id = new_id(), new_id()
        self.admin = keys.token_for(self.admin_id, "admin")
        self.dispatcher = keys.token_for(self.dispatcher_id, "dispatcher")
        self.executor = keys.token_for(new_id(), "executor")

    def resident(self, resident_id: str) -> str:
        return self.keys.token_for(resident_id, "resident")


@pytest.fixture
def people(signing_keys):
    return People(signing_keys)


@pytest.fixture
def nominated(driver, gamification_engine, people):
    """PERIOD nominated: Pecherskyi has four residents with points, Podilskyi one."""
    ids = {name: new_id() for name in ("olena", "petro", "iryna", "taras", "zero", "pod")}
    seed_totals(gamification_engine, PERIOD, [
        ("pecherskyi", ids["olena"], 135), ("pecherskyi", ids["petro"], 90),
        ("pecherskyi", ids["iryna"], 40), ("pecherskyi", ids["taras"], 30),
        ("pecherskyi", ids["zero"], 0), ("podilskyi", ids["pod"], 12),
    ])
    result = driver.call("run_nominations", PERIOD, token=people.admin)
    assert result["created"] is True and result["nominations"] == 4
    page = driver.call("list_nominations", {"period": PERIOD}, token=people.dispatcher)
    by_resident = {n["resident_id"]: n for n in page["items"]}
    return ids, by_resident


def approve_certificate(driver, nomination_id, token, name="Олена Іваненко"):
    return driver.call("decide_nomination", nomination_id, {
        "decision": "approved", "reward": {"kind": "certificate"}, "resident_name": name,
    }, token=token)


# --- nominating ------------------------------------------------------------------------------

def test_admin_nominates_the_top_residents_of_each_district_exactly_once(
        driver, gamification_engine, people, listener):
    a, b, c, d, x, zero = (new_id() for _ in range(6))
    # "x" leads Podilskyi and is 2nd in Pecherskyi: nominated once, in Podilskyi, and
    # Pecherskyi's third place goes to its 4th resident.
    seed_totals(gamification_engine, PERIOD, [
        ("pecherskyi", a, 135), ("pecherskyi", x, 90), ("pecherskyi", b, 80),
        ("pecherskyi", c, 70), ("podilskyi", x, 50), ("podilskyi", d, 10),
        ("podilskyi", zero, 0),
    ])
    first = driver.call("run_nominations", PERIOD, token=people.admin)
    assert first | {"ran_at": None} == {"period": PERIOD, "kind": "month", "created": True,
                                        "nominations": 5, "ran_at": None,
                                        "by": people.admin_id}
    expected = [(a, "pecherskyi", 1, 135, "pending"), (b, "pecherskyi", 3, 80, "pending"),
                (c, "pecherskyi", 4, 70, "pending"), (x, "podilskyi", 1, 50, "pending"),
                (d, "podilskyi", 2, 10, "pending")]
    assert nominations_in(gamification_engine, PERIOD) == expected

    again = driver.call("run_nominations", PERIOD, token=people.admin)
    assert again["created"] is False and again["nominations"] == 5
    assert nominations_in(gamification_engine, PERIOD) == expected

    created = listener.wait_for(lambda e: e["type"] == ev.NOMINATION_CREATED, count=5)
    assert sorted((e["data"]["resident_id"], e["data"]["district"], e["data"]["rank"])
                  for e in created) == sorted((r, dist, rank) for r, dist, rank, _, _ in expected)
    assert all(e["subject"] == e["data"]["nomination_id"] for e in created)
    assert audit_actions(gamification_engine, "nomination_run", PERIOD) == ["nominated"]


def test_two_instances_closing_the_same_period_nominate_it_once(gamification_engine):
    residents = [new_id() for _ in range(3)]
    seed_totals(gamification_engine, "2025-Q3",
                [("obolonskyi", r, 10 * (n + 1)) for n, r in enumerate(residents)])
    settings = rewards_cases.RewardsSettings()
    # Another instance has claimed the period and not committed yet: this one waits on the
    # run row's key, and once the other commits, it finds the period taken.
    other = gamification_engine.connect()
    transaction = other.begin()
    other.execute(insert(NominationRun).values(period="2025-Q3", kind="quarter", by="other",
                                               ran_at=datetime.now(timezone.utc),
                                               nominations=0))
    waiting = eventlet.spawn(rewards_cases.nominate_period, make_uow(gamification_engine),
                             "2025-Q3", settings, "gamification")
    eventlet.sleep(0.5)
    assert not waiting.dead, "the second run should wait for the first one's transaction"
    transaction.commit()
    other.close()
    assert waiting.wait()["created"] is False
    assert nominations_in(gamification_engine, "2025-Q3") == []

    # Both at once on a fresh period: exactly one creates the nominations.
    seed_totals(gamification_engine, "2025-Q2",
                [("obolonskyi", r, 5 * (n + 1)) for n, r in enumerate(residents)])
    runs = [eventlet.spawn(rewards_cases.nominate_period, make_uow(gamification_engine),
                           "2025-Q2", settings, "gamification") for _ in range(2)]
    results = [run.wait() for run in runs]
    assert sorted(r["created"] for r in results) == [False, True]
    assert len(nominations_in(gamification_engine, "2025-Q2")) == 3


def test_the_timer_nominates_the_period_that_ended_and_not_the_running_one(
        driver, gamification_engine, listener):
    settings = rewards_cases.RewardsSettings.from_config(driver.container.config)
    now = datetime.now(timezone.utc)
    ended = periods.previous_key("month", now - settings.grace)
    running = periods.current_key("month", now)
    early, late = new_id(), new_id()
    seed_totals(gamification_engine, ended, [("darnytskyi", early, 25)])
    seed_totals(gamification_engine, running, [("darnytskyi", late, 99)])

    results = driver.call("close_ended_periods")
    assert {r["period"] for r in results} == {
        periods.previous_key(kind, now - settings.grace) for kind in periods.KINDS}
    assert nominations_in(gamification_engine, ended) == [
        (early, "darnytskyi", 1, 25, "pending")]
    assert nominations_in(gamification_engine, running) == []
    listener.wait_for(lambda e: e["type"] == ev.NOMINATION_CREATED
                      and e["data"]["resident_id"] == early and e["data"]["period"] == ended)

    assert driver.call("close_ended_periods") == []  # nothing left to close
    assert len(nominations_in(gamification_engine, ended)) == 1


def test_a_period_that_has_not_ended_is_not_nominated(driver, gamification_engine, people):
    running = periods.current_key("year", datetime.now(timezone.utc))
    seed_totals(gamification_engine, running, [("podilskyi", new_id(), 50)])
    with pytest.raises(InvalidInput) as refused:
        driver.call("run_nominations", running, token=people.admin)
    assert refused.value.fields == {"period": ["has not ended yet"]}
    for malformed in ("2025-13", "all", "last month", 2025):
        with pytest.raises(InvalidInput) as refused:
            driver.call("run_nominations", malformed, token=people.admin)
        assert "period" in refused.value.fields
    assert nominations_in(gamification_engine, running) == []
    with pytest.raises(Forbidden):
        driver.call("run_nominations", PERIOD, token=people.dispatcher)
    with pytest.raises(Unauthenticated):
        driver.call("run_nominations", PERIOD)


# --- deciding and certificates ---------------------------------------------------------------

def test_approved_nomination_yields_a_certificate_the_resident_downloads(
        driver, gamification_engine, people, nominated, listener):
    ids, by_resident = nominated
    nomination = by_resident[ids["olena"]]
    decided = approve_certificate(driver, nomination["id"], people.dispatcher)
    reward = decided["reward"]
    assert decided["nomination"]["status"] == "approved"
    assert decided["nomination"]["reward_id"] == reward["id"]
    assert reward | {"id": None, "granted_at": None} == {
        "id": None, "nomination_id": nomination["id"], "resident_id": ids["olena"],
        "kind": "certificate", "period": PERIOD, "gift": None, "granted_at": None,
        "delivered_at": None, "certificate_available": True}

    mine = driver.call("my_rewards", token=people.resident(ids["olena"]))
    assert [(n["id"], n["status"], n["rank"], n["points"]) for n in mine["nominations"]] == [
        (nomination["id"], "approved", 1, 135)]
    assert [(r["id"], r["kind"], r["certificate_available"]) for r in mine["rewards"]] == [
        (reward["id"], "certificate", True)]

    text = pdf_text(driver.call("certificate", reward["id"],
                                token=people.resident(ids["olena"])))
    for expected in ("ПОДЯКА", "Олена Іваненко", "у листопаді 2025 року",
                     "за 1 місце серед мешканців району «Печерський» — 135 балів",
                     "КИЇВСЬКА МІСЬКА ДЕРЖАВНА АДМІНІСТРАЦІЯ",
                     "Голова Київської міської державної адміністрації"):
        assert expected in text, expected
    # Staff may download it too; another resident may not; an unknown reward is not found.
    assert "Олена Іваненко" in pdf_text(driver.call("certificate", reward["id"],
                                                    token=people.admin))
    with pytest.raises(Forbidden):
        driver.call("certificate", reward["id"], token=people.resident(ids["petro"]))
    with pytest.raises(NotFound):
        driver.call("certificate", new_id(), token=people.resident(ids["olena"]))

    decided_events = listener.wait_for(lambda e: e["type"] == ev.NOMINATION_DECIDED
                                       and e["subject"] == nomination["id"])
    assert decided_events[0]["data"] | {"at": None} == {
        "nomination_id": nomination["id"], "resident_id": ids["olena"],
        "decision": "approved", "reason": None, "by": people.dispatcher_id, "at": None}
    granted = listener.wait_for(lambda e: e["type"] == ev.REWARD_GRANTED
                                and e["subject"] == reward["id"])
    assert granted[0]["data"]["kind"] == "certificate"
    assert granted[0]["data"]["gift_id"] is None
    assert audit_actions(gamification_engine, "nomination", nomination["id"]) == ["approved"]
    assert audit_actions(gamification_engine, "reward", reward["id"]) == ["granted"]


def test_a_certificate_needs_a_name_and_a_decline_needs_a_reason(
        driver, people, nominated, listener):
    ids, by_resident = nominated
    nomination_id = by_resident[ids["petro"]]["id"]
    with pytest.raises(InvalidInput) as refused:
        driver.call("decide_nomination", nomination_id, {"decision": "declined"},
                    token=people.admin)
    assert "reason" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        driver.call("decide_nomination", nomination_id,
                    {"decision": "approved", "reward": {"kind": "certificate"}},
                    token=people.admin)
    assert "resident_name" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        driver.call("decide_nomination", nomination_id,
                    {"decision": "approved", "reward": {"kind": "gift"}}, token=people.admin)
    assert "reward.gift_id" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        driver.call("decide_nomination", nomination_id,
                    {"decision": "maybe", "colour": "red"}, token=people.admin)
    assert {"decision", "colour"} <= set(refused.value.fields)

    declined = driver.call("decide_nomination", nomination_id,
                           {"decision": "declined", "reason": "points earned by spam"},
                           token=people.admin)
    assert declined["reward"] is None
    assert declined["nomination"]["status"] == "declined"
    assert declined["nomination"]["reason"] == "points earned by spam"
    event = listener.wait_for(lambda e: e["type"] == ev.NOMINATION_DECIDED
                              and e["subject"] == nomination_id)[0]
    assert (event["data"]["decision"], event["data"]["reason"]) == (
        "declined", "points earned by spam")


def test_deciding_twice_is_a_conflict_naming_the_status(driver, people, nominated):
    ids, by_resident = nominated
    nomination_id = by_resident[ids["iryna"]]["id"]
    driver.call("decide_nomination", nomination_id,
                {"decision": "declined", "reason": "duplicate account"}, token=people.admin)
    for payload in ({"decision": "declined", "reason": "again"},
                    {"decision": "approved", "reward": {"kind": "certificate"},
                     "resident_name": "Ірина"}):
        with pytest.raises(Conflict) as conflict:
            driver.call("decide_nomination", nomination_id, payload, token=people.dispatcher)
        assert conflict.value.extra == {"status": "declined"}
        assert "declined" in str(conflict.value)
    with pytest.raises(NotFound):
        approve_certificate(driver, new_id(), people.admin)
    # One nomination, as staff (and the gateway, to print a name) read it.
    read = driver.call("get_nomination", nomination_id, token=people.dispatcher)
    assert (read["id"], read["resident_id"], read["status"], read["reason"]) == (
        nomination_id, ids["iryna"], "declined", "duplicate account")
    with pytest.raises(Forbidden):
        driver.call("get_nomination", nomination_id, token=people.resident(ids["iryna"]))
    with pytest.raises(NotFound):
        driver.call("get_nomination", new_id(), token=people.admin)


def test_only_admins_and_dispatchers_decide_and_keep_the_catalogue(driver, people, nominated):
    ids, by_resident = nominated
    nomination_id = by_resident[ids["olena"]]["id"]
    for token in (people.resident(ids["olena"]), people.executor,
                  people.keys.token_for(new_id(), "admin", status="blocked")):
        with pytest.raises(Forbidden):
            approve_certificate(driver, nomination_id, token)
        with pytest.raises(Forbidden):
            driver.call("create_gift", {"name": {"uk": "Чашка", "en": "Mug"}, "stock": 1},
                        token=token)
        with pytest.raises(Forbidden):
            driver.call("mark_delivered", new_id(), token=token)
    for token in (people.resident(ids["olena"]), people.executor):
        with pytest.raises(Forbidden):
            driver.call("list_nominations", {}, token=token)
        with pytest.raises(Forbidden):
            driver.call("list_gifts", {}, token=token)
    with pytest.raises(Unauthenticated):
        driver.call("my_rewards")
    assert driver.call("list_nominations", {"status": "pending", "period": PERIOD},
                       token=people.admin)["total"] == 4


def test_staff_list_nominations_by_period_status_and_district_page_by_page(
        driver, people, nominated):
    ids, by_resident = nominated
    page = driver.call("list_nominations", {"period": PERIOD, "district": "pecherskyi",
                                            "limit": 2, "offset": 0}, token=people.admin)
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [n["rank"] for n in page["items"]] == [1, 2]
    rest = driver.call("list_nominations", {"period": PERIOD, "district": "pecherskyi",
                                            "limit": 2, "offset": 2}, token=people.admin)
    assert [n["resident_id"] for n in rest["items"]] == [ids["iryna"]]
    driver.call("decide_nomination", by_resident[ids["pod"]]["id"],
                {"decision": "declined", "reason": "moved away"}, token=people.admin)
    declined = driver.call("list_nominations", {"status": "declined"}, token=people.admin)
    assert [n["resident_id"] for n in declined["items"]] == [ids["pod"]]
    assert driver.call("list_nominations", {"period": "2024-01"},
                       token=people.admin)["items"] == []
    for bad in ({"period": "November"}, {"status": "lost"}, {"limit": 0}, {"offset": -1},
                {"sort": "name"}):
        with pytest.raises(InvalidInput) as refused:
            driver.call("list_nominations", bad, token=people.admin)
        assert set(refused.value.fields) == set(bad)


# --- gifts -----------------------------------------------------------------------------------

def test_gift_stock_is_taken_and_an_empty_or_withdrawn_gift_is_refused(
        driver, gamification_engine, people, nominated, listener):
    ids, by_resident = nominated
    gift = driver.call("create_gift", {"name": {"uk": "Термокружка", "en": "Travel mug"},
                                       "description": "З гербом міста", "stock": 1},
                       token=people.admin)
    assert (gift["stock"], gift["active"]) == (1, True)
    granted = driver.call("decide_nomination", by_resident[ids["olena"]]["id"], {
        "decision": "approved", "reward": {"kind": "gift", "gift_id": gift["id"]}},
        token=people.dispatcher)
    assert granted["reward"]["gift"] == {"id": gift["id"], "description": "З гербом міста",
                                         "name": {"uk": "Термокружка", "en": "Travel mug"}}
    assert granted["reward"]["certificate_available"] is False
    with gamification_engine.connect() as connection:
        assert connection.execute(select(Gift.stock).where(Gift.id == gift["id"])).scalar() == 0

    petro = by_resident[ids["petro"]]["id"]
    with pytest.raises(Conflict) as conflict:
        driver.call("decide_nomination", petro, {
            "decision": "approved", "reward": {"kind": "gift", "gift_id": gift["id"]}},
            token=people.dispatcher)
    assert conflict.value.extra == {"active": True, "stock": 0}
    # Nothing changed: the nomination is still pending and can be decided otherwise.
    assert driver.call("list_nominations", {"status": "pending", "period": PERIOD},
                       token=people.admin)["total"] == 3

    driver.call("update_gift", gift["id"], {"stock": 5, "active": False}, token=people.admin)
    with pytest.raises(Conflict) as conflict:
        driver.call("decide_nomination", petro, {
            "decision": "approved", "reward": {"kind": "gift", "gift_id": gift["id"]}},
            token=people.dispatcher)
    assert conflict.value.extra["active"] is False
    with pytest.raises(NotFound) as missing:
        driver.call("decide_nomination", petro, {
            "decision": "approved", "reward": {"kind": "gift", "gift_id": new_id()}},
            token=people.dispatcher)
    assert "reward.gift_id" in missing.value.fields

    event = listener.wait_for(lambda e: e["type"] == ev.REWARD_GRANTED
                              and e["subject"] == granted["reward"]["id"])[0]
    assert (event["data"]["kind"], event["data"]["gift_id"]) == ("gift", gift["id"])
    assert audit_actions(gamification_engine, "gift", gift["id"]) == ["created", "updated"]


def test_two_staff_granting_the_last_gift_at_once_take_it_once(
        driver, gamification_engine, people, nominated):
    ids, by_resident = nominated
    gift = driver.call("create_gift", {"name": {"uk": "Квиток", "en": "Ticket"}, "stock": 1},
                       token=people.admin)

    staff = Identity(people.dispatcher_id, frozenset({"dispatcher"}))
    settings = rewards_cases.RewardsSettings()

    def grant(resident):
        # Straight through the use case, each on its own connection: truly concurrent.
        try:
            return rewards_cases.decide_nomination(
                make_uow(gamification_engine), by_resident[ids[resident]]["id"],
                {"decision": "approved", "reward": {"kind": "gift", "gift_id": gift["id"]}},
                staff, settings)
        except Conflict as exc:
            return exc

    outcomes = [g.wait() for g in [eventlet.spawn(grant, r) for r in ("olena", "petro")]]
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "dict"]
    with gamification_engine.connect() as connection:
        assert connection.execute(select(Gift.stock).where(Gift.id == gift["id"])).scalar() == 0


def test_staff_mark_a_gift_delivered_once(driver, gamification_engine, people, nominated,
                                          listener):
    ids, by_resident = nominated
    gift = driver.call("create_gift", {"name": {"uk": "Футболка", "en": "T-shirt"},
                                       "stock": 3}, token=people.admin)
    reward = driver.call("decide_nomination", by_resident[ids["petro"]]["id"], {
        "decision": "approved", "reward": {"kind": "gift", "gift_id": gift["id"]}},
        token=people.admin)["reward"]
    certificate = approve_certificate(driver, by_resident[ids["olena"]]["id"],
                                      people.admin)["reward"]

    delivered = driver.call("mark_delivered", reward["id"], token=people.dispatcher)
    assert delivered["delivered_at"] is not None
    assert delivered["delivered_by"] == people.dispatcher_id
    with pytest.raises(Conflict) as conflict:
        driver.call("mark_delivered", reward["id"], token=people.dispatcher)
    assert "already delivered" in str(conflict.value)
    with pytest.raises(Conflict) as conflict:
        driver.call("mark_delivered", certificate["id"], token=people.dispatcher)
    assert conflict.value.extra == {"kind": "certificate"}
    with pytest.raises(Conflict):
        driver.call("certificate", reward["id"], token=people.resident(ids["petro"]))
    with pytest.raises(NotFound):
        driver.call("mark_delivered", new_id(), token=people.dispatcher)

    mine = driver.call("my_rewards", token=people.resident(ids["petro"]))
    assert [(r["kind"], r["gift"]["name"]["en"], r["delivered_at"] is not None)
            for r in mine["rewards"]] == [("gift", "T-shirt", True)]
    event = listener.wait_for(lambda e: e["type"] == ev.REWARD_DELIVERED)[0]
    assert (event["subject"], event["data"]["resident_id"], event["data"]["by"]) == (
        reward["id"], ids["petro"], people.dispatcher_id)
    assert audit_actions(gamification_engine, "reward", reward["id"]) == ["granted", "delivered"]


def test_gift_catalogue_is_validated_and_listed(driver, people):
    for bad, field in (({"name": {"uk": "Чашка"}, "stock": 1}, "name.en"),
                       ({"name": {"uk": "Чашка", "en": "Mug"}, "stock": -1}, "stock"),
                       ({"name": {"uk": "Чашка", "en": "Mug"}, "stock": "many"}, "stock"),
                       ({"name": {"uk": "Чашка", "en": "Mug"}}, "stock"),
                       ({"name": {"uk": "Чашка", "en": "Mug"}, "stock": 1, "price": 3},
                        "price")):
        with pytest.raises(InvalidInput) as refused:
            driver.call("create_gift", bad, token=people.admin)
        assert field in refused.value.fields
    mug = driver.call("create_gift", {"name": {"uk": "Чашка", "en": "Mug"}, "stock": 2},
                      token=people.admin)
    pen = driver.call("create_gift", {"name": {"uk": "Ручка", "en": "Pen"}, "stock": 0},
                      token=people.dispatcher)
    with pytest.raises(InvalidInput):
        driver.call("update_gift", mug["id"], {}, token=people.admin)
    with pytest.raises(NotFound):
        driver.call("update_gift", new_id(), {"stock": 1}, token=people.admin)
    renamed = driver.call("update_gift", mug["id"], {"name": {"uk": "Горнятко", "en": "Cup"}},
                          token=people.admin)
    assert renamed["name"] == {"uk": "Горнятко", "en": "Cup"} and renamed["stock"] == 2
    driver.call("update_gift", pen["id"], {"active": False}, token=people.admin)
    listed = driver.call("list_gifts", {}, token=people.admin)
    assert [g["id"] for g in listed["items"]] == [mug["id"], pen["id"]] and listed["total"] == 2
    active = driver.call("list_gifts", {"active": True}, token=people.dispatcher)
    assert [g["id"] for g in active["items"]] == [mug["id"]]


# --- a deleted account -----------------------------------------------------------------------

def test_account_deletion_withdraws_pending_nominations_and_drops_the_name(
        driver, gamification_engine, people, nominated):
    ids, by_resident = nominated
    reward = approve_certificate(driver, by_resident[ids["olena"]]["id"],
                                 people.admin)["reward"]
    # Olena also has a pending nomination in another period.
    seed_totals(gamification_engine, "2025-10", [("pecherskyi", ids["olena"], 20)])
    driver.call("run_nominations", "2025-10", token=people.admin)
    pending = driver.call("list_nominations", {"period": "2025-10"}, token=people.admin)
    pending_id = pending["items"][0]["id"]

    driver.deliver(event(ev.ACCOUNT_DELETED, {"account_id": ids["olena"],
                                              "at": datetime.now(timezone.utc)},
                         subject=ids["olena"], actor=ids["olena"]))

    withdrawn = driver.call("list_nominations", {"period": "2025-10"},
                            token=people.admin)["items"][0]
    assert (withdrawn["id"], withdrawn["status"]) == (pending_id, "withdrawn")
    # The approved one stays approved; its certificate can no longer be printed with a name.
    approved = driver.call("list_nominations", {"period": PERIOD, "status": "approved"},
                           token=people.admin)["items"]
    assert [n["resident_id"] for n in approved] == [ids["olena"]]
    with pytest.raises(Conflict):
        driver.call("certificate", reward["id"], token=people.admin)
    with gamification_engine.connect() as connection:
        names = connection.execute(text(
            "SELECT count(*) FROM rewards WHERE resident_id = :r "
            "AND certificate::text LIKE '%Олена%'"), {"r": ids["olena"]}).scalar()
    assert names == 0
    with pytest.raises(Conflict) as conflict:
        approve_certificate(driver, pending_id, people.admin)
    assert conflict.value.extra == {"status": "withdrawn"}
    assert audit_actions(gamification_engine, "nomination", pending_id) == ["withdrawn"]
    # Other residents' pending nominations are untouched.
    with gamification_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Nomination).where(
            Nomination.status == "pending", Nomination.period == PERIOD)).scalar() == 3
