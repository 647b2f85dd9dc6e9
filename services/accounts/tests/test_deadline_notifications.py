"""Deadline notices (issue #4, item 5): a near deadline tells the body's executors, an
escalation tells the body's heads, or the admins when the body has no active head.

Unit tests of the rules first (plain Python), then interface tests: a real nameko container
against real RabbitMQ and PostgreSQL, with emails read from the mail outbox and the mail sink."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from accounts.adapters.orm import MailOutboxRecord, NotificationRecord
from accounts.domain.notifications import (
    NoticeKind,
    ToRole,
    deliveries_for_escalation,
    deliveries_for_sla_warning,
)
from accounts.service_layer import notifier
from hromada_common import events as ev
from hromada_common.messaging.topology import SUBSCRIPTIONS

from .test_notifications import (
    NOW,
    appeal_id,
    body_code,
    count,
    deliver,
    mail_to,
    notifications_of,
)

DUE = NOW - timedelta(hours=1)


def warning_data(body="kyivavtodor", appeal=None, due_at=NOW + timedelta(hours=2)):
    return {"appeal_id": appeal or appeal_id(), "body": body, "due_at": due_at,
            "fired_at": NOW}


def escalation_data(body="kyivavtodor", appeal=None, due_at=DUE, reason="deadline broken"):
    return {"appeal_id": appeal or appeal_id(), "body": body, "due_at": due_at,
            "reason": reason, "at": NOW}


# ------------------------------------------------------------------------- the rules (unit)


def test_a_near_deadline_goes_to_the_body_executors_in_the_app_only():
    data = warning_data()
    (to, notice), = deliveries_for_sla_warning(data)
    assert to == ToRole("executor", "kyivavtodor")
    assert notice.kind is NoticeKind.BODY_DEADLINE_NEAR and notice.by_email is False
    assert notice.appeal_id == data["appeal_id"]
    # 14:00 UTC in November is 16:00 in Kyiv, written each language's way
    assert "28 листопада 2026, 16:00 за київським часом" in notice.text_uk
    assert "28 November 2026, 16:00 Kyiv time" in notice.text_en
    assert f"GET /api/v1/appeals/{data['appeal_id']}" in notice.text_uk
    assert f"GET /api/v1/appeals/{data['appeal_id']}" in notice.text_en
    assert notice.text.index(notice.text_uk) < notice.text.index(notice.text_en)


def test_an_escalation_goes_to_the_body_heads_and_else_to_the_admins_by_email_too():
    data = escalation_data()
    (to, notice), = deliveries_for_escalation(data)
    assert (to.role, to.body) == ("head", "kyivavtodor")
    assert notice.kind is NoticeKind.BODY_APPEAL_ESCALATED and notice.by_email is True
    fallback_to, fallback = to.otherwise
    assert fallback_to == ToRole("admin")
    assert fallback.kind is NoticeKind.ESCALATION_WITHOUT_HEAD and fallback.by_email is True
    for each in (notice, fallback):
        assert each.appeal_id == data["appeal_id"]
        assert f"GET /api/v1/appeals/{data['appeal_id']}" in each.text
        assert "28 листопада 2026, 13:00 за київським часом" in each.text_uk
        assert "28 November 2026, 13:00 Kyiv time" in each.text_en
        assert "Причина: строк виконання порушено" in each.text_uk
        assert "Reason: deadline broken" in each.text_en
    # the admins are told why it reached them, and what fixes it
    assert "немає активного керівника" in fallback.text_uk and "no active head" in fallback.text_en
    assert "PUT /api/v1/accounts/{id}/roles" in fallback.text_en


def test_an_escalation_for_too_many_reworks_or_an_unknown_reason_says_so():
    (_, notice), = deliveries_for_escalation(escalation_data(reason="rework limit reached"))
    assert "ліміт повернень на доопрацювання" in notice.text_uk
    assert "rework limit reached" in notice.text_en
    (_, notice), = deliveries_for_escalation(escalation_data(reason="mayor's\norder"))
    assert "Причина: mayor's order" in notice.text_uk and "Reason: mayor's order" in notice.text_en


def test_accounts_hears_warnings_and_escalations_but_not_bare_breaches():
    # a breach is followed by its escalation, which tells the one answerable: once is enough
    assert "accounts" in SUBSCRIPTIONS[ev.SLA_WARNING]
    assert set(SUBSCRIPTIONS[ev.APPEAL_ESCALATED]) >= {"accounts", "intake"}
    assert "accounts" not in SUBSCRIPTIONS[ev.SLA_BREACHED]


# --------------------------------------------------------------------------- the service


def warning(body, appeal=None):
    data = warning_data(body, appeal, due_at=datetime.now(timezone.utc) + timedelta(hours=2))
    data["fired_at"] = datetime.now(timezone.utc)
    return ev.make_event(ev.SLA_WARNING, data, source="/hromada/routing",
                         subject=data["appeal_id"])


def escalated(body, appeal=None, reason="deadline broken"):
    now = datetime.now(timezone.utc)
    data = escalation_data(body, appeal, due_at=now - timedelta(minutes=5), reason=reason)
    data["at"] = now
    return ev.make_event(ev.APPEAL_ESCALATED, data, source="/hromada/routing",
                         subject=data["appeal_id"])


def notified(database, account):
    return count(database, NotificationRecord, NotificationRecord.account_id == account.id)


def mailed(database, account):
    return count(database, MailOutboxRecord, MailOutboxRecord.to_address == account.email)


def block(database, account):
    with database() as uow:
        stored = uow.accounts.get(account.id, for_update=True)
        stored.block(reason="abusive", by="test", now=datetime.now(timezone.utc))
        uow.accounts.save(stored)
        uow.commit()


def delete(database, account):
    with database() as uow:
        stored = uow.accounts.get(account.id, for_update=True)
        stored.delete(datetime.now(timezone.utc))
        uow.accounts.save(stored)
        uow.commit()


def test_escalation_reaches_every_active_head_of_its_body_once_in_app_and_by_email(
        accounts_container, hromada_amqp_uri, make_account, sign_in, mail_sink, database):
    from deploy.mailsink import messages_to, text_of

    body, other_body = body_code(), body_code()
    heads = [make_account(roles=("head",), body=body) for _ in range(2)]
    blocked_head, deleted_head = (make_account(roles=("head",), body=body) for _ in range(2))
    block(database, blocked_head)
    delete(database, deleted_head)
    outsiders = [make_account(roles=("executor",), body=body),
                 make_account(roles=("head",), body=other_body),
                 make_account(roles=("admin",)), make_account(roles=("dispatcher",))]
    event = escalated(body)
    appeal = event["data"]["appeal_id"]
    deliver(accounts_container, hromada_amqp_uri, event, "handle_appeal_escalated")
    deliver(accounts_container, hromada_amqp_uri, event, "handle_appeal_escalated")  # again

    for head in heads:
        (item,) = notifications_of(accounts_container, sign_in(head)["access_token"])["items"]
        assert item["kind"] == "body_appeal_escalated" and item["appeal_id"] == appeal
        assert f"GET /api/v1/appeals/{appeal}" in item["text"] and body in item["text"]
        assert "Reason: deadline broken" in item["text"] and " Kyiv time" in item["text"]
        (message,) = mail_to(mail_sink[1], head.email)
        assert message["Subject"] == "Громада: Звернення ескальовано вам"
        assert f"GET /api/v1/appeals/{appeal}" in text_of(message)
        assert mailed(database, head) == 1
    for nobody in (blocked_head, deleted_head, *outsiders):
        assert notified(database, nobody) == 0
        assert mailed(database, nobody) == 0
    assert len(messages_to(mail_sink[1], heads[0].email)) == 1


def test_escalation_in_a_body_without_an_active_head_goes_to_the_admins(
        accounts_container, hromada_amqp_uri, make_account, sign_in, mail_sink, database):
    body = body_code()
    executor = make_account(roles=("executor",), body=body)
    blocked_head = make_account(roles=("head",), body=body)
    block(database, blocked_head)
    admins = [make_account(roles=("admin",)), make_account(roles=("dispatcher", "admin"))]
    blocked_admin = make_account(roles=("admin",))
    block(database, blocked_admin)
    head_elsewhere = make_account(roles=("head",), body=body_code())
    event = escalated(body, reason="rework limit reached")
    appeal = event["data"]["appeal_id"]
    deliver(accounts_container, hromada_amqp_uri, event, "handle_appeal_escalated")
    deliver(accounts_container, hromada_amqp_uri, event, "handle_appeal_escalated")  # again

    for admin in admins:
        (item,) = notifications_of(accounts_container, sign_in(admin)["access_token"])["items"]
        assert item["kind"] == "escalation_without_head" and item["appeal_id"] == appeal
        assert f"GET /api/v1/appeals/{appeal}" in item["text"] and body in item["text"]
        assert "rework limit reached" in item["text"]
        (message,) = mail_to(mail_sink[1], admin.email)
        assert "Ескалація без керівника підрозділу" in message["Subject"]
        assert mailed(database, admin) == 1
    for nobody in (executor, blocked_head, blocked_admin, head_elsewhere):
        assert notified(database, nobody) == 0 and mailed(database, nobody) == 0


def test_the_fallback_to_the_admins_notifies_once_even_past_the_inbox(make_account, database):
    # two instances racing on a redelivery both pass the inbox check: the row decides
    admin = make_account(roles=("admin",))
    deliveries = deliveries_for_escalation(escalation_data(body=body_code()))
    event_id = str(uuid.uuid4())
    for _ in range(2):
        with database() as uow:
            notifier.deliver(uow, deliveries, event_id, datetime.now(timezone.utc))
            uow.commit()
    assert notified(database, admin) == 1 and mailed(database, admin) == 1


def test_a_near_deadline_reaches_the_body_executors_in_the_app_only_once(
        accounts_container, hromada_amqp_uri, make_account, sign_in, database):
    body = body_code()
    executors = [make_account(roles=("executor",), body=body) for _ in range(2)]
    blocked_executor = make_account(roles=("executor",), body=body)
    block(database, blocked_executor)
    others = [make_account(roles=("head",), body=body),
              make_account(roles=("executor",), body=body_code()),
              make_account(roles=("admin",))]
    event = warning(body)
    appeal = event["data"]["appeal_id"]
    deliver(accounts_container, hromada_amqp_uri, event, "handle_sla_warning")
    deliver(accounts_container, hromada_amqp_uri, event, "handle_sla_warning")  # again

    for executor in executors:
        page = notifications_of(accounts_container, sign_in(executor)["access_token"])
        (item,) = page["items"]
        assert item["kind"] == "body_deadline_near" and item["appeal_id"] == appeal
        assert f"GET /api/v1/appeals/{appeal}" in item["text"] and " Kyiv time" in item["text"]
        assert page["unread_count"] == 1
        assert mailed(database, executor) == 0  # the mail outbox keeps rows: none was queued
    for nobody in (blocked_executor, *others):
        assert notified(database, nobody) == 0 and mailed(database, nobody) == 0


@pytest.mark.parametrize("handler, event", [
    ("handle_sla_warning", warning), ("handle_appeal_escalated", escalated)])
def test_a_body_with_nobody_to_tell_notifies_nobody_and_is_still_consumed(
        accounts_container, hromada_amqp_uri, make_account, database, handler, event):
    bystander = make_account(roles=("executor",), body=body_code())
    # no admins, no staff of the body: logged, consumed, nothing written
    deliver(accounts_container, hromada_amqp_uri, event(body_code()), handler)
    assert count(database, NotificationRecord) == 0 and notified(database, bystander) == 0
