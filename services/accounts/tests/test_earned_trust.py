"""Trust earned by constructive participation: gamification levels raise an account's trust.

Unit tests of the rules first (plain Python), then interface tests: a real nameko container
against real RabbitMQ and PostgreSQL, fed ``hromada.resident.level_reached.v1`` (and the
rejections that lower trust) the way gamification and intake publish them."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import select

from accounts.adapters.orm import AccountRecord, AuditRecord, NotificationRecord, outbox
from accounts.domain.model import (
    Account,
    TrustChanged,
    TrustPolicy,
    trust_from_level,
)
from accounts.domain.notifications import NoticeKind, ToAccount, deliveries_for_level
from hromada_common import events as ev
from hromada_common.db import make_engine
from hromada_common.testing.helpers import publish_events

from .conftest import PASSWORD, call

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
LEVEL_NAMES = {1: ("Новачок", "Newcomer"), 2: ("Активіст", "Activist"),
               3: ("Помічник міста", "City helper"), 4: ("Майстер громади", "Community master"),
               5: ("Амбасадор", "Ambassador")}
LEVEL_POINTS = {1: 0, 2: 50, 3: 200, 4: 500, 5: 1000}


def new_account(**overrides) -> Account:
    fields = dict(id="acc-1", email="olena@example.org", display_name="Олена Коваль",
                  password_hash="$argon2id$…", now=T0)
    fields.update(overrides)
    return Account.register(**fields)


def lowered_at(account: Account, at: datetime, policy: TrustPolicy) -> None:
    for hours in (2, 1, 0):
        account.record_rejection(at=at - timedelta(hours=hours), appeal_id=str(uuid.uuid4()),
                                 policy=policy, by="moderator-1")
    assert account.trust_level == 0


def trust_events(account: Account) -> list[TrustChanged]:
    return [e for e in account.events if isinstance(e, TrustChanged)]


# ------------------------------------------------------------------------- the rules (unit)


def test_level_three_earns_trust_two_level_five_trust_three_and_between_the_lower_one():
    policy = TrustPolicy()
    assert [policy.earned_trust(level) for level in range(0, 7)] == [None, None, None, 2, 2, 3, 3]
    account = new_account()
    assert not account.reach_level(2, now=T0, policy=policy)
    assert account.reach_level(4, now=T0, policy=policy)  # jumped from 2 straight to 4
    assert account.trust_level == 2
    assert account.reach_level(5, now=T0 + timedelta(days=1), policy=policy)
    assert account.trust_level == 3
    assert trust_events(account) == [TrustChanged("acc-1", 2, "level 4 reached", T0),
                                     TrustChanged("acc-1", 3, "level 5 reached",
                                                  T0 + timedelta(days=1))]
    assert [(a.action, a.by, a.reason) for a in account.audit if a.action == "trust_changed"] == [
        ("trust_changed", "gamification", "2: level 4 reached"),
        ("trust_changed", "gamification", "3: level 5 reached")]


def test_a_lower_level_never_lowers_trust():
    account = new_account()
    account.reach_level(5, now=T0, policy=TrustPolicy())
    assert not account.reach_level(3, now=T0, policy=TrustPolicy())
    assert account.trust_level == 3 and account.gamification_level == 5


def test_blocked_and_deleted_accounts_are_not_raised():
    blocked = new_account()
    blocked.block(reason="abuse", by="disp-1", now=T0)
    assert not blocked.reach_level(5, now=T0, policy=TrustPolicy())
    assert blocked.trust_level == 1 and blocked.gamification_level == 5
    deleted = new_account()
    deleted.delete(T0)
    assert not deleted.reach_level(5, now=T0, policy=TrustPolicy())
    assert deleted.trust_level == 1


def test_points_do_not_wash_out_a_moderation_penalty():
    policy = TrustPolicy(restore_after=timedelta(days=7))
    account = new_account()
    lowered_at(account, T0, policy)
    assert account.trust_lowered_at == T0
    assert not account.reach_level(5, now=T0 + timedelta(days=1), policy=policy)  # trust 0
    assert account.restore_trust(T0 + timedelta(days=8), policy)  # quiet week: back to 1
    # …but the lowering is less than the 30-day window ago: the level still earns nothing
    assert not account.apply_earned_trust(T0 + timedelta(days=29, hours=23), policy)
    assert account.trust_level == 1
    assert account.apply_earned_trust(T0 + timedelta(days=30), policy)
    assert account.trust_level == 3
    assert trust_events(account)[-1].reason == "level 5 reached"


def test_trust_zero_stays_until_the_quiet_period_lifts_it_even_long_after_the_lowering():
    policy = TrustPolicy(restore_after=None)  # restoring switched off: 0 stays 0
    account = new_account()
    lowered_at(account, T0, policy)
    assert not account.reach_level(5, now=T0 + timedelta(days=365), policy=policy)
    assert account.trust_level == 0


def test_the_mapping_is_checked_when_the_service_starts():
    assert trust_from_level({5: 3, "3": "2"}) == ((3, 2), (5, 3))
    assert trust_from_level({}) == () and TrustPolicy(earned_from_level=()).earned_trust(5) is None
    for bad, says in [({3: 4}, "only earn 2..3"), ({0: 2}, "1 or more"), ({3: 1}, "only earn"),
                      ({3: 3, 5: 2}, "higher trust"), ({3: "two"}, "not two integers"),
                      ([3, 2], "must map")]:
        with pytest.raises(ValueError, match=says):
            trust_from_level(bad)


def test_the_level_notice_names_the_level_and_says_if_trust_rose():
    data = {"resident_id": "resident-1", "level": 3, "points": 214, "at": T0,
            "name": {"uk": "Помічник міста", "en": "City helper"}}
    (to, notice), = deliveries_for_level(data, raised_trust=2)
    assert to == ToAccount("resident-1") and notice.kind is NoticeKind.LEVEL_REACHED
    assert not notice.by_email  # in the app only
    assert "«Помічник міста»" in notice.text_uk and '"City helper"' in notice.text_en
    assert "214" in notice.text_en and "trust level rose to 2" in notice.text_en
    assert "підвищено до 2" in notice.text_uk
    (_, plain), = deliveries_for_level(data)
    assert "trust" not in plain.text_en and "довіри" not in plain.text_uk


# --------------------------------------------------------------------------- the service


def level_reached(resident_id, level):
    uk, en = LEVEL_NAMES[level]
    return ev.make_event(ev.LEVEL_REACHED, {
        "resident_id": resident_id, "level": level, "name": {"uk": uk, "en": en},
        "points": LEVEL_POINTS[level] + 7, "at": datetime.now(timezone.utc)},
        source="/hromada/gamification", subject=resident_id)


def rejected(author_id, at):
    appeal = str(uuid.uuid4())
    return ev.make_event(ev.APPEAL_STATE_CHANGED, {
        "appeal_id": appeal, "appeal_version": 2, "state": "rejected",
        "previous_state": "submitted", "category": "roads.surface.pothole", "body": None,
        "due_at": None, "author_id": author_id, "at": at, "by": "moderator-1",
        "reason": "spam", "cause": str(uuid.uuid4())},
        source="/hromada/intake", subject=appeal, actor="moderator-1")


def deliver(container, amqp_uri, event, handler="handle_level_reached"):
    with entrypoint_waiter(container, handler, timeout=10):
        publish_events(amqp_uri, [event])


def lower_trust(container, amqp_uri, account_id, days_ago):
    now = datetime.now(timezone.utc)
    for days in days_ago:
        deliver(container, amqp_uri, rejected(account_id, now - timedelta(days=days)),
                "handle_appeal_state_changed")


def trust_of(database, account_id) -> int:
    with database() as uow:
        return uow.session.execute(select(AccountRecord.trust_level)
                                   .where(AccountRecord.id == account_id)).scalar_one()


def recorded_trust_changes(database, account_id) -> list[dict]:
    """``trust_changed`` data the service recorded in its outbox for the account (written in
    the handler's transaction: no waiting for the relay, and nothing missed)."""
    with database() as uow:
        payloads = uow.session.execute(select(outbox.c.payload).where(
            outbox.c.event_type == ev.ACCOUNT_TRUST_CHANGED).order_by(outbox.c.id)).scalars()
        return [p["data"] for p in payloads if p["subject"] == account_id]


def audited_trust_changes(database, account_id) -> list[tuple[str, str]]:
    with database() as uow:
        return [tuple(r) for r in uow.session.execute(
            select(AuditRecord.by, AuditRecord.reason).where(
                AuditRecord.account_id == account_id, AuditRecord.action == "trust_changed")
            .order_by(AuditRecord.id))]


def level_notices(database, account_id) -> list[str]:
    with database() as uow:
        return list(uow.session.execute(select(NotificationRecord.text).where(
            NotificationRecord.account_id == account_id,
            NotificationRecord.kind == "level_reached")).scalars())


def test_level_three_then_five_raise_trust_publish_trust_changed_and_audit_it(
        accounts_container, hromada_amqp_uri, make_account, sign_in, listener, verifier,
        database):
    resident = make_account()
    deliver(accounts_container, hromada_amqp_uri, level_reached(resident.id, 2))
    assert trust_of(database, resident.id) == 1
    deliver(accounts_container, hromada_amqp_uri, level_reached(resident.id, 3))
    (event,) = listener.wait_for(lambda e: e["type"] == ev.ACCOUNT_TRUST_CHANGED
                                 and e["subject"] == resident.id)
    assert event["data"]["trust_level"] == 2 and event["data"]["reason"] == "level 3 reached"
    assert verifier.verify(sign_in(resident)["access_token"]).trust == 2

    deliver(accounts_container, hromada_amqp_uri, level_reached(resident.id, 5))
    events = listener.wait_for(lambda e: e["type"] == ev.ACCOUNT_TRUST_CHANGED
                               and e["subject"] == resident.id, count=2)
    assert [(e["data"]["trust_level"], e["data"]["reason"]) for e in events] == [
        (2, "level 3 reached"), (3, "level 5 reached")]
    token = sign_in(resident)["access_token"]
    assert call(accounts_container, "get_me", token=token)["trust_level"] == 3
    assert audited_trust_changes(database, resident.id) == [
        ("gamification", "2: level 3 reached"), ("gamification", "3: level 5 reached")]

    # and the resident was told, in the app, once per level (levels 2, 3 and 5)
    page = call(accounts_container, "my_notifications", token=token)
    assert [i["kind"] for i in page["items"]] == ["level_reached"] * 3
    assert "level 5, \"Ambassador\"" in page["items"][0]["text"]
    assert "trust level rose to 3" in page["items"][0]["text"]
    assert "trust level" not in page["items"][2]["text"]  # level 2 raised nothing


def test_a_lower_level_event_lowers_nothing(accounts_container, hromada_amqp_uri, make_account,
                                            database):
    resident = make_account()
    deliver(accounts_container, hromada_amqp_uri, level_reached(resident.id, 5))
    assert trust_of(database, resident.id) == 3
    deliver(accounts_container, hromada_amqp_uri, level_reached(resident.id, 3))
    assert trust_of(database, resident.id) == 3
    assert [d["trust_level"] for d in recorded_trust_changes(database, resident.id)] == [3]


def test_a_blocked_account_is_not_raised_until_it_is_unblocked(
        accounts_container, hromada_amqp_uri, make_account, sign_in, database):
    resident = make_account()
    dispatcher = sign_in(make_account(roles=("dispatcher",)))["access_token"]
    call(accounts_container, "block_account", resident.id, "abusive comments", token=dispatcher)
    deliver(accounts_container, hromada_amqp_uri, level_reached(resident.id, 5))
    call(accounts_container, "housekeeping")
    assert trust_of(database, resident.id) == 1
    assert recorded_trust_changes(database, resident.id) == []
    assert len(level_notices(database, resident.id)) == 1  # told of the level, not of trust

    call(accounts_container, "unblock_account", resident.id, "apologised", token=dispatcher)
    call(accounts_container, "housekeeping")  # the level still counts once the block is over
    assert trust_of(database, resident.id) == 3
    assert [(d["trust_level"], d["reason"]) for d in recorded_trust_changes(
        database, resident.id)] == [(3, "level 5 reached")]
    assert audited_trust_changes(database, resident.id) == [("system", "3: level 5 reached")]


def test_a_recent_moderation_penalty_is_not_washed_out_by_points(
        accounts_container, hromada_amqp_uri, make_account, database):
    resident = make_account()
    lower_trust(accounts_container, hromada_amqp_uri, resident.id, (3, 2, 1))
    assert trust_of(database, resident.id) == 0
    deliver(accounts_container, hromada_amqp_uri, level_reached(resident.id, 5))
    call(accounts_container, "housekeeping")
    assert trust_of(database, resident.id) == 0
    assert [(d["trust_level"], d["reason"]) for d in recorded_trust_changes(
        database, resident.id)] == [(0, "3 appeals rejected within 30 days")]


def test_restored_trust_is_not_raised_within_the_window_of_the_lowering(
        container_factory, accounts_config, hromada_amqp_uri, make_account, database):
    from accounts.service import AccountsService

    # a lenient city: 5 quiet days restore trust 1, but the penalty window stays 30 days
    container = container_factory(AccountsService,
                                  accounts_config | {"TRUST_RESTORE_AFTER_DAYS": 5})
    container.start()
    resident = make_account()
    lower_trust(container, hromada_amqp_uri, resident.id, (12, 11, 10))
    call(container, "housekeeping")
    assert trust_of(database, resident.id) == 1  # restored after 10 quiet days
    deliver(container, hromada_amqp_uri, level_reached(resident.id, 3))
    call(container, "housekeeping")
    assert trust_of(database, resident.id) == 1  # lowered 10 days ago: within 30
    assert [d["trust_level"] for d in recorded_trust_changes(database, resident.id)] == [0, 1]


def test_a_penalty_over_lets_the_level_reached_during_it_count(
        accounts_container, hromada_amqp_uri, make_account, database):
    resident = make_account()
    lower_trust(accounts_container, hromada_amqp_uri, resident.id, (40, 39, 38))
    deliver(accounts_container, hromada_amqp_uri, level_reached(resident.id, 3))
    assert trust_of(database, resident.id) == 0  # trust 0: only the quiet period lifts it
    call(accounts_container, "housekeeping")  # 38 quiet days: back to 1, then level 3 → 2
    assert trust_of(database, resident.id) == 2
    assert [(d["trust_level"], d["reason"]) for d in recorded_trust_changes(
        database, resident.id)] == [(0, "3 appeals rejected within 30 days"),
                                    (1, "no rejected appeals for 30 days"),
                                    (2, "level 3 reached")]


def test_a_redelivered_level_event_changes_nothing(accounts_container, hromada_amqp_uri,
                                                   make_account, database):
    resident = make_account()
    event = level_reached(resident.id, 3)
    deliver(accounts_container, hromada_amqp_uri, event)
    deliver(accounts_container, hromada_amqp_uri, event)  # the broker delivers it again
    assert trust_of(database, resident.id) == 2
    assert len(recorded_trust_changes(database, resident.id)) == 1
    assert len(audited_trust_changes(database, resident.id)) == 1
    assert len(level_notices(database, resident.id)) == 1


def test_unknown_and_deleted_residents_are_skipped(accounts_container, hromada_amqp_uri,
                                                   make_account, sign_in, database):
    resident = make_account()
    call(accounts_container, "delete_my_account", PASSWORD,
         token=sign_in(resident)["access_token"])
    deliver(accounts_container, hromada_amqp_uri, level_reached(resident.id, 5))
    deliver(accounts_container, hromada_amqp_uri, level_reached(str(uuid.uuid4()), 5))
    assert trust_of(database, resident.id) == 1
    assert recorded_trust_changes(database, resident.id) == []
    assert level_notices(database, resident.id) == []


def test_migration_takes_past_lowerings_from_the_audit_trail(make_database):
    import os

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from .conftest import SERVICE_DIR

    url = make_database("accounts")
    cfg = Config(os.path.join(SERVICE_DIR, "alembic.ini"))
    cfg.set_main_option("script_location", os.path.join(SERVICE_DIR, "migrations"))
    cfg.cmd_opts = type("opts", (), {"x": [f"url={url}"]})()
    command.upgrade(cfg, "0002")
    lowered, never = str(uuid.uuid4()), str(uuid.uuid4())
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as connection:
            for account_id in (lowered, never):
                connection.execute(text(
                    "INSERT INTO accounts (id, roles, status, trust_level, rejections, "
                    "created_at, updated_at) VALUES (:id, '[\"resident\"]', 'active', 1, '[]', "
                    ":at, :at)"), {"id": account_id, "at": T0})
            for reason, days in [("0: 3 appeals rejected within 30 days", 40),
                                 ("1: no rejected appeals for 30 days", 9),
                                 ("0: 3 appeals rejected within 30 days", 5)]:
                connection.execute(text(
                    "INSERT INTO account_audit (account_id, action, by, reason, at) VALUES "
                    "(:id, 'trust_changed', 'm-1', :reason, :at)"),
                    {"id": lowered, "reason": reason, "at": T0 - timedelta(days=days)})
        command.upgrade(cfg, "head")
        with engine.connect() as connection:
            rows = dict(connection.execute(text(
                "SELECT id, trust_lowered_at FROM accounts")).all())
            levels = set(connection.execute(text(
                "SELECT gamification_level FROM accounts")).scalars())
    finally:
        engine.dispose()
    assert rows == {lowered: T0 - timedelta(days=5), never: None} and levels == {0}
