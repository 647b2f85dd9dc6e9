"""Interface tests of the feedback service: a real nameko container against real RabbitMQ (a
throwaway vhost) and real PostgreSQL (a throwaway database)."""
import time
import uuid
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from hromada_common import events as ev
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from hromada_common.testing.helpers import wait_until

from .conftest import BODY, state_changed


def acc():
    return f"acc-{uuid.uuid4().hex[:12]}"


def rows(url, sql, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def of(appeal_id, event_type):
    return lambda e: e["type"] == event_type and e["subject"] == appeal_id


def test_health_reports_database_and_broker(platform):
    assert platform.call("health") == {"database": "ok", "broker": "ok", "revocations": "ok"}


# --- projection --------------------------------------------------------------------------

def test_projection_follows_state_changes_and_ignores_stale_versions(platform, feedback_db):
    author, appeal = acc(), str(uuid.uuid4())
    now = datetime.now(timezone.utc)
    platform.deliver(state_changed(appeal, 1, "assigned", author, at=now - timedelta(days=2)),
                     state_changed(appeal, 3, "resolved", author, previous="in_progress",
                                   at=now - timedelta(hours=1)),
                     state_changed(appeal, 2, "in_progress", author, previous="assigned",
                                   at=now - timedelta(days=1)))
    (state, version, resolved_at, body, rework_count), = rows(
        feedback_db, "SELECT state, version, resolved_at, body, rework_count FROM appeal_view "
        "WHERE appeal_id = :a", a=appeal)
    assert (state, version, body, rework_count) == ("resolved", 3, BODY, 0)
    assert abs(resolved_at - (now - timedelta(hours=1))) < timedelta(seconds=1)


def test_rework_states_are_counted(platform):
    author = acc()
    appeal = platform.resolved_appeal(author, reworks=2)
    assert platform.call("get_feedback_summary", appeal) == {
        "appeal_id": appeal, "rework_count": 2, "rating": None, "ratings": []}


def test_redelivered_state_change_changes_nothing(platform, feedback_db):
    author, appeal = acc(), str(uuid.uuid4())
    rework = state_changed(appeal, 2, "rework", author, previous="resolved")
    platform.deliver(state_changed(appeal, 1, "resolved", author), rework, rework)
    assert rows(feedback_db, "SELECT version, state, rework_count FROM appeal_view "
                "WHERE appeal_id = :a", a=appeal) == [(2, "rework", 1)]


# --- confirm -----------------------------------------------------------------------------

def test_author_confirms_resolved_appeal_with_rating(platform, signing_keys, listener,
                                                      feedback_db):
    author = acc()
    appeal = platform.resolved_appeal(author)
    result = platform.call("confirm", appeal, {"rating": 5, "comment": "Fixed well, thanks"},
                           token=signing_keys.token_for(author))
    assert result["outcome"] == "confirmed" and result["round"] == 1
    confirmed, = listener.wait_for(of(appeal, ev.APPEAL_CONFIRMED))
    rated, = listener.wait_for(of(appeal, ev.APPEAL_RATED))
    assert confirmed["data"] | {"at": None} == {"appeal_id": appeal, "by": author, "at": None,
                                                "rating": 5, "comment": "Fixed well, thanks",
                                                "round": 1}
    assert (rated["data"]["body"], rated["data"]["category"], rated["data"]["rating"]) == \
        (BODY, "roads.surface.pothole", 5)
    assert platform.call("get_feedback_summary", appeal) == {
        "appeal_id": appeal, "rework_count": 0, "rating": 5, "ratings": [{"round": 1, "rating": 5}]}
    assert rows(feedback_db, "SELECT action, by FROM audit_log WHERE subject_id = :a",
                a=appeal) == [("confirmed", author)]


def test_no_path_to_closed_without_the_author(platform, signing_keys, feedback_db):
    author = acc()
    appeal = platform.resolved_appeal(author)
    keys = signing_keys
    for token in (keys.token_for(acc()), keys.token_for(acc(), "executor", body=BODY),
                  keys.token_for(acc(), "head", body=BODY), keys.token_for(acc(), "dispatcher"),
                  keys.token_for(acc(), "admin"), keys.token_for(author, status="blocked")):
        with pytest.raises(Forbidden):
            platform.call("confirm", appeal, {"rating": 5}, token=token)
    with pytest.raises(Exception) as anonymous:
        platform.call("confirm", appeal, {"rating": 5})
    assert type(anonymous.value).__name__ == "Unauthenticated"
    assert rows(feedback_db, "SELECT count(*) FROM outbox WHERE event_type = :t",
                t=ev.APPEAL_CONFIRMED) == [(0,)]


def test_confirm_when_not_resolved_names_the_state(platform, signing_keys):
    author, appeal = acc(), str(uuid.uuid4())
    platform.deliver(state_changed(appeal, 1, "in_progress", author))
    with pytest.raises(Conflict) as refused:
        platform.call("confirm", appeal, {"rating": 4}, token=signing_keys.token_for(author))
    assert refused.value.extra["state"] == "in_progress"


def test_second_rating_in_the_same_round_is_refused(platform, signing_keys):
    author = acc()
    appeal = platform.resolved_appeal(author)
    token = signing_keys.token_for(author)
    platform.call("confirm", appeal, {"rating": 3}, token=token)
    with pytest.raises(Conflict):
        platform.call("confirm", appeal, {"rating": 5}, token=token)
    with pytest.raises(Conflict):  # nor can the confirmed resolution be sent back meanwhile
        platform.call("request_rework", appeal, {"reason": "changed my mind"}, token=token)


def test_confirm_validates_the_rating(platform, signing_keys):
    author = acc()
    appeal = platform.resolved_appeal(author)
    for payload in ({}, {"rating": 0}, {"rating": 6}, {"rating": 5, "comment": "x" * 2001},
                    {"rating": 5, "extra": 1}):
        with pytest.raises(InvalidInput):
            platform.call("confirm", appeal, payload, token=signing_keys.token_for(author))
    with pytest.raises(NotFound):
        platform.call("confirm", str(uuid.uuid4()), {"rating": 5},
                      token=signing_keys.token_for(author))


# --- rework ------------------------------------------------------------------------------

def test_resident_sends_resolved_appeal_back_for_rework(platform, signing_keys, listener):
    author = acc()
    appeal = platform.resolved_appeal(author, reworks=1)
    result = platform.call("request_rework", appeal,
                           {"reason": "The hole is still there", "photo_ref": "photo-1"},
                           token=signing_keys.token_for(author))
    assert result["rework_count"] == 2
    event, = listener.wait_for(of(appeal, ev.APPEAL_REWORK_REQUESTED))
    assert (event["data"]["rework_count"], event["data"]["reason"], event["data"]["photo_ref"],
            event["data"]["by"]) == (2, "The hole is still there", "photo-1", author)
    with pytest.raises(Forbidden):
        platform.call("request_rework", appeal, {"reason": "not mine"},
                      token=signing_keys.token_for(acc(), "executor", body=BODY))
    with pytest.raises(InvalidInput):
        platform.call("request_rework", appeal, {"reason": "no"},
                      token=signing_keys.token_for(author))


def test_rework_past_the_limit_escalates_to_the_head_instead(platform, signing_keys, listener,
                                                             feedback_db):
    author = acc()
    appeal = platform.resolved_appeal(author, reworks=3)  # REWORK_LIMIT defaults to 3
    token = signing_keys.token_for(author)
    for _ in range(2):  # asking twice escalates once
        with pytest.raises(Conflict) as refused:
            platform.call("request_rework", appeal, {"reason": "Still broken"}, token=token)
        assert refused.value.extra["escalated"] is True
        assert "head" in refused.value.detail
    escalated, = listener.wait_for(of(appeal, ev.APPEAL_ESCALATED))
    assert (escalated["data"]["body"], escalated["data"]["reason"]) == (BODY, "rework limit reached")
    time.sleep(0.5)
    assert not [e for e in listener.received if of(appeal, ev.APPEAL_REWORK_REQUESTED)(e)]
    assert len([e for e in listener.received if of(appeal, ev.APPEAL_ESCALATED)(e)]) == 1
    # The author may still accept the work.
    platform.call("confirm", appeal, {"rating": 2}, token=token)


# --- archive -----------------------------------------------------------------------------

def test_archive_is_refused_too_early_and_allowed_later_for_staff_only(
        platform, signing_keys, listener, feedback_db):
    keys = signing_keys
    author = acc()
    fresh = platform.resolved_appeal(author, resolved_ago=timedelta(days=13, hours=1))
    with pytest.raises(Conflict) as refused:
        platform.call("archive", fresh, {"reason": "no answer"},
                      token=keys.token_for(acc(), "dispatcher"))
    assert "23 hour" in refused.value.detail and refused.value.extra["remaining_seconds"] > 0
    stale = platform.resolved_appeal(author, resolved_ago=timedelta(days=15))
    for token in (keys.token_for(author), keys.token_for(acc(), "executor", body=BODY),
                  keys.token_for(acc(), "head", body="kyivvodokanal")):
        with pytest.raises(Forbidden):
            platform.call("archive", stale, {"reason": "no answer"}, token=token)
    head = acc()
    platform.call("archive", stale, {"reason": "author silent for 15 days"},
                  token=keys.token_for(head, "head", body=BODY))
    archived, = listener.wait_for(of(stale, ev.APPEAL_ARCHIVED))
    assert (archived["data"]["by"], archived["data"]["reason"]) == (head, "author silent for 15 days")
    with pytest.raises(Conflict):  # archived is not done: the author cannot confirm it after
        platform.call("confirm", stale, {"rating": 5}, token=keys.token_for(author))
    assert rows(feedback_db, "SELECT action, by FROM audit_log WHERE subject_id = :a",
                a=stale) == [("archived", head)]


# --- reminders ---------------------------------------------------------------------------

def _reminders(feedback_db, appeal):
    return rows(feedback_db, "SELECT payload FROM outbox WHERE event_type = :t AND "
                "payload->>'subject' = :a", t=ev.CONFIRMATION_REMINDER_DUE, a=appeal)


def test_reminders_fire_once_per_appeal_and_number_even_when_the_timer_runs_twice(
        platform, signing_keys, listener, feedback_db):
    author = acc()
    four_days = platform.resolved_appeal(author, resolved_ago=timedelta(days=4))
    eleven_days = platform.resolved_appeal(author, resolved_ago=timedelta(days=11))
    fresh = platform.resolved_appeal(author, resolved_ago=timedelta(days=1))
    answered = platform.resolved_appeal(author, resolved_ago=timedelta(days=12))
    platform.call("confirm", answered, {"rating": 4}, token=signing_keys.token_for(author))
    for _ in range(2):
        platform.call("send_confirmation_reminders")
    listener.wait_for(lambda e: e["type"] == ev.CONFIRMATION_REMINDER_DUE, count=3)
    assert len(_reminders(feedback_db, four_days)) == 1
    numbers = sorted(p[0]["data"]["reminder_number"] for p in _reminders(feedback_db, eleven_days))
    assert numbers == [1, 2]
    assert _reminders(feedback_db, fresh) == [] and _reminders(feedback_db, answered) == []
    event = listener.wait_for(of(four_days, ev.CONFIRMATION_REMINDER_DUE))[0]
    assert event["data"]["author_id"] == author and event["data"]["reminder_number"] == 1
    # Reminders never move the appeal.
    assert rows(feedback_db, "SELECT state FROM appeal_view WHERE appeal_id = :a",
                a=eleven_days) == [("resolved",)]


def test_two_instances_send_each_reminder_once(container_factory, feedback_config, platform,
                                               feedback_db):
    from feedback.service import FeedbackService

    author = acc()
    appeals = [platform.resolved_appeal(author, resolved_ago=timedelta(days=11))
               for _ in range(5)]
    # Every appeal is in the projection as resolved (a handler retried under load would
    # otherwise leave one behind while the ticks run).
    wait_until(lambda: rows(feedback_db, "SELECT count(*) FROM appeal_view WHERE author_id = :a "
                                         "AND state = 'resolved'", a=author) == [(5,)],
               timeout=20, message="the five resolved appeals in the projection")
    # Started after the projection is fed: both would consume the state changes otherwise.
    second = container_factory(FeedbackService, feedback_config)
    second.start()

    def tick(container):
        with entrypoint_hook(container, "send_confirmation_reminders") as hook:
            return hook()

    threads = [eventlet.spawn(tick, c) for c in (platform.container, second) * 3]
    for thread in threads:
        thread.wait()
    # (Not the hooks' return values: entrypoint_hook mixes up concurrent calls' results.)
    assert rows(feedback_db, "SELECT count(*) FROM outbox WHERE event_type = :t",
                t=ev.CONFIRMATION_REMINDER_DUE) == [(10,)]
    for appeal in appeals:
        assert sorted(p[0]["data"]["reminder_number"]
                      for p in _reminders(feedback_db, appeal)) == [1, 2]


# --- discussion --------------------------------------------------------------------------

def test_comments_show_authors_only_to_those_allowed(platform, signing_keys, listener):
    keys = signing_keys
    author, executor = acc(), acc()
    appeal = platform.resolved_appeal(author)
    platform.call("add_comment", appeal, {"text": "Still a puddle by the kerb"},
                  token=keys.token_for(author))
    platform.call("add_comment", appeal, {"text": "We will check today"},
                  token=keys.token_for(executor, "executor", body=BODY))
    event = listener.wait_for(of(appeal, ev.APPEAL_COMMENTED), count=2)[0]
    assert event["data"]["appeal_author_id"] == author
    for token in (keys.token_for(acc()), keys.token_for(acc(), "executor", body="other"),
                  keys.token_for(author, status="blocked")):
        with pytest.raises(Forbidden):
            platform.call("add_comment", appeal, {"text": "hi"}, token=token)

    def listing(token=None):
        return platform.call("list_comments", appeal, token=token)["items"]

    for public in (listing(), listing(keys.token_for(acc()))):
        resident, staff = public
        assert resident == {"id": resident["id"], "text": "Still a puddle by the kerb",
                            "at": resident["at"], "author_role": "resident"}
        assert staff["author_role"] == "staff" and "author_id" not in staff
        assert staff["display"] == f"executor · {BODY}"
    for token in (keys.token_for(author), keys.token_for(acc(), "head", body=BODY),
                  keys.token_for(acc(), "dispatcher")):
        resident, staff = listing(token)
        assert (resident["author_id"], staff["author_id"]) == (author, executor)


# --- portal feedback ---------------------------------------------------------------------

def test_portal_feedback_goes_new_answered_closed(platform, signing_keys, listener):
    keys = signing_keys
    resident, other, dispatcher = acc(), acc(), acc()
    item = platform.call("submit_portal_feedback", {"category": "idea", "text": "Dark mode"},
                         token=keys.token_for(resident))
    assert item["state"] == "new"
    platform.call("submit_portal_feedback", {"category": "bug", "text": "Map is blank"},
                  token=keys.token_for(other))
    with pytest.raises(InvalidInput):
        platform.call("submit_portal_feedback", {"category": "rant", "text": "x"},
                      token=keys.token_for(resident))
    with pytest.raises(Forbidden):
        platform.call("submit_portal_feedback", {"category": "idea", "text": "x"},
                      token=keys.token_for(resident, status="blocked"))
    mine = platform.call("list_portal_feedback", {}, token=keys.token_for(resident))["items"]
    assert [i["id"] for i in mine] == [item["id"]]
    everyone = platform.call("list_portal_feedback", {}, token=keys.token_for(dispatcher, "dispatcher"))
    assert len(everyone["items"]) == 2
    with pytest.raises(Conflict):  # not answered yet
        platform.call("close_portal_feedback", item["id"], token=keys.token_for(resident))
    with pytest.raises(Forbidden):
        platform.call("answer_portal_feedback", item["id"], {"answer": "ok"},
                      token=keys.token_for(resident))
    with pytest.raises(InvalidInput) as err:
        platform.call("answer_portal_feedback", item["id"],
                      {"answer": "Planned for May", "useful": "very"},
                      token=keys.token_for(dispatcher, "dispatcher"))
    assert list(err.value.fields) == ["useful"]
    assert item["useful"] is False
    answered = platform.call("answer_portal_feedback", item["id"],
                             {"answer": "Planned for May", "useful": True},
                             token=keys.token_for(dispatcher, "dispatcher"))
    assert (answered["state"], answered["answered_by"]) == ("answered", dispatcher)
    assert answered["useful"] is True
    event, = listener.wait_for(lambda e: e["type"] == ev.PORTAL_FEEDBACK_ANSWERED
                               and e["subject"] == item["id"])
    assert event["data"]["author_id"] == resident
    assert event["data"]["useful"] is True
    stored, = [i for i in platform.call("list_portal_feedback", {},
                                        token=keys.token_for(resident))["items"]]
    assert (stored["id"], stored["useful"]) == (item["id"], True)
    with pytest.raises(Conflict):
        platform.call("answer_portal_feedback", item["id"], {"answer": "again"},
                      token=keys.token_for(dispatcher, "dispatcher"))
    with pytest.raises(NotFound):  # someone else's feedback
        platform.call("close_portal_feedback", item["id"], token=keys.token_for(other))
    closed = platform.call("close_portal_feedback", item["id"], token=keys.token_for(resident))
    assert (closed["state"], closed["closed_by"]) == ("closed", resident)
    assert closed["useful"] is True  # the mark stays after closing
    with pytest.raises(Conflict):
        platform.call("close_portal_feedback", item["id"], token=keys.token_for(resident))


def test_portal_feedback_answered_without_a_mark_is_not_useful(platform, signing_keys, listener,
                                                                feedback_db):
    resident, dispatcher = acc(), acc()
    item = platform.call("submit_portal_feedback", {"category": "bug", "text": "Map is blank"},
                         token=signing_keys.token_for(resident))
    answered = platform.call("answer_portal_feedback", item["id"], {"answer": "Fixed, thanks"},
                             token=signing_keys.token_for(dispatcher, "admin"))
    assert answered["useful"] is False
    event, = listener.wait_for(lambda e: e["type"] == ev.PORTAL_FEEDBACK_ANSWERED
                               and e["subject"] == item["id"])
    _, data = ev.parse_event(event, ev.PORTAL_FEEDBACK_ANSWERED)
    assert data["useful"] is False
    assert rows(feedback_db, "SELECT action, by, details FROM audit_log WHERE subject_id = :a",
                a=item["id"])[-1] == ("answered", dispatcher, {"useful": False})
