"""The notifier (issue #5): appeal events become in-app notifications and emails, once.

Unit tests of the rules first (plain Python), then interface tests: a real nameko container
against real RabbitMQ and PostgreSQL, with emails read from the development mail sink."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import func, select

from accounts.adapters.orm import MailOutboxRecord, NotificationRecord
from accounts.domain.notifications import (
    NoticeKind,
    ToAccount,
    ToBodyStaff,
    deliveries_for_badge,
    deliveries_for_comment,
    deliveries_for_portal_feedback,
    deliveries_for_reminder,
    deliveries_for_reward,
    deliveries_for_state_change,
)
from accounts.service_layer import notifier
from hromada_common import events as ev
from hromada_common.auth import Unauthenticated
from hromada_common.errors import InvalidInput
from hromada_common.testing.helpers import publish_events, wait_until

from .conftest import PASSWORD, call

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def appeal_id() -> str:
    return str(uuid.uuid4())


def body_code() -> str:
    return f"body-{uuid.uuid4().hex[:8]}"


def state_data(state, author_id="author-1", body="kyivavtodor", reason=None, by="system",
               appeal=None, due_at=NOW + timedelta(days=3)):
    return {"appeal_id": appeal or appeal_id(), "appeal_version": 3, "state": state,
            "previous_state": None, "category": "roads.surface.pothole", "body": body,
            "due_at": due_at, "author_id": author_id, "at": NOW, "by": by, "reason": reason,
            "cause": None}


# ------------------------------------------------------------------------- the rules (unit)


@pytest.mark.parametrize("state, kind", [
    ("assigned", NoticeKind.APPEAL_ASSIGNED), ("in_progress", NoticeKind.APPEAL_IN_PROGRESS),
    ("resolved", NoticeKind.APPEAL_RESOLVED), ("rejected", NoticeKind.APPEAL_REJECTED),
    ("closed", NoticeKind.APPEAL_CLOSED), ("archived", NoticeKind.APPEAL_ARCHIVED),
    ("rework", NoticeKind.APPEAL_REWORK),
])
def test_the_author_hears_about_every_state_on_the_list(state, kind):
    data = state_data(state)
    (author, notice), *_ = deliveries_for_state_change(data)
    assert author == ToAccount("author-1") and notice.kind == kind
    assert notice.appeal_id == data["appeal_id"] and data["appeal_id"] in notice.text
    uk, en = notice.text.split("\n\n")
    assert "Звернення" in notice.title and " / " in notice.title and "ppeal" in en


def test_submitted_and_anonymised_authors_are_not_notified():
    assert deliveries_for_state_change(state_data("submitted", body=None)) == []
    assert deliveries_for_state_change(state_data("resolved", author_id=None)) == []


def test_resolved_tells_the_author_how_to_confirm_or_send_back():
    data = state_data("resolved")
    (_, notice), = deliveries_for_state_change(data)
    assert f"POST /api/v1/appeals/{data['appeal_id']}/confirm" in notice.text_uk
    assert f"POST /api/v1/appeals/{data['appeal_id']}/rework" in notice.text_en
    assert notice.text.index(notice.text_uk) < notice.text.index(notice.text_en)  # uk first


def test_a_rejection_carries_its_reason():
    (_, notice), = deliveries_for_state_change(
        state_data("rejected", reason="not the city's\nremit"))
    assert "Причина: not the city's remit" in notice.text
    assert "Reason: not the city's remit" in notice.text
    (_, silent), = deliveries_for_state_change(state_data("rejected", reason=None))
    assert "не вказано" in silent.text and "not given" in silent.text


def test_assignment_and_rework_also_go_to_the_body_staff_but_not_to_whoever_acted():
    assigned = deliveries_for_state_change(state_data("assigned", by="routing"))
    assert [(type(r), n.kind) for r, n in assigned] == [
        (ToAccount, NoticeKind.APPEAL_ASSIGNED), (ToBodyStaff, NoticeKind.BODY_APPEAL_ASSIGNED)]
    assert assigned[1][0] == ToBodyStaff("kyivavtodor", exclude="routing")
    assert "/take" in assigned[1][1].text
    assert "1 December 2026, 14:00 Kyiv time" in assigned[1][1].text_en
    rework = deliveries_for_state_change(state_data("rework", by="author-1",
                                                    reason="Олена Коваль, +380441234567"))
    staff_notice = rework[1][1]
    assert staff_notice.kind == NoticeKind.BODY_APPEAL_REWORK
    # the resident's own words (which may hold personal data) stay in the appeal
    assert "Олена" not in staff_notice.text and "+380" not in staff_notice.text


def test_comments_go_from_staff_to_the_author_and_from_the_author_to_the_staff():
    base = {"appeal_id": "a-1", "comment_id": "c-1", "appeal_author_id": "author-1",
            "body": "kyivavtodor", "at": NOW}
    (to, notice), = deliveries_for_comment(base | {"author_id": "exec-1", "author_role": "staff"})
    assert to == ToAccount("author-1") and notice.kind == NoticeKind.STAFF_COMMENTED
    (to, notice), = deliveries_for_comment(base | {"author_id": "author-1",
                                                   "author_role": "resident"})
    assert to == ToBodyStaff("kyivavtodor", exclude="author-1")
    assert notice.kind == NoticeKind.AUTHOR_COMMENTED
    # a bystander's comment, or a comment on an appeal with no body yet, notifies nobody
    assert deliveries_for_comment(base | {"author_id": "other", "author_role": "resident"}) == []
    assert deliveries_for_comment(base | {"author_id": "author-1", "author_role": "resident",
                                          "body": None}) == []


def test_reminders_and_portal_feedback_answers_go_to_their_author():
    (to, notice), = deliveries_for_reminder({"appeal_id": "a-1", "author_id": "author-1",
                                             "resolved_at": NOW, "reminder_number": 2,
                                             "at": NOW})
    assert to == ToAccount("author-1") and "/confirm" in notice.text
    assert "28 листопада 2026" in notice.text_uk and "28 November 2026" in notice.text_en
    (to, notice), = deliveries_for_portal_feedback({"feedback_id": "f-1", "author_id": "author-1",
                                                    "at": NOW})
    assert to == ToAccount("author-1") and notice.appeal_id is None and "f-1" in notice.text


def test_a_badge_is_announced_to_its_resident_by_its_name_in_both_languages():
    (to, notice), = deliveries_for_badge({
        "resident_id": "resident-1", "badge": "first_appeal",
        "name": {"uk": "Перше звернення", "en": "First appeal"}, "awarded_at": NOW,
        "cause": "evt-1"})
    assert to == ToAccount("resident-1") and notice.kind is NoticeKind.BADGE_AWARDED
    assert notice.appeal_id is None
    assert "«Перше звернення»" in notice.text_uk and '"First appeal"' in notice.text_en
    assert "/api/v1/me/points" in notice.text


def reward_data(kind, **overrides):
    return {"reward_id": "rw-1", "nomination_id": "n-1", "resident_id": "resident-1",
            "kind": kind, "gift_id": "g-1" if kind == "gift" else None, "period": "2026-11",
            "at": NOW} | overrides


def test_a_certificate_tells_the_resident_where_to_download_it():
    (to, notice), = deliveries_for_reward(reward_data("certificate"))
    assert to == ToAccount("resident-1") and notice.kind is NoticeKind.REWARD_CERTIFICATE
    assert "GET /api/v1/me/rewards/rw-1/certificate" in notice.text_uk
    assert "Download your certificate (PDF): GET /api/v1/me/rewards/rw-1/certificate" \
        in notice.text_en
    assert "2026-11" in notice.text_uk and "2026-11" in notice.text_en


def test_a_gift_tells_the_resident_that_staff_will_hand_it_over():
    (to, notice), = deliveries_for_reward(reward_data("gift", period="2026-Q4"))
    assert to == ToAccount("resident-1") and notice.kind is NoticeKind.REWARD_GIFT
    assert "hand it over" in notice.text_en and "передадуть" in notice.text_uk
    assert "/certificate" not in notice.text and "2026-Q4" in notice.text_en


# --------------------------------------------------------------------------- the service


def state_changed(author_id, state, body=None, reason=None, appeal=None, by="routing"):
    data = state_data(state, author_id=author_id, body=body, reason=reason, by=by,
                      appeal=appeal, due_at=datetime.now(timezone.utc) + timedelta(days=3))
    data["at"] = datetime.now(timezone.utc)
    return ev.make_event(ev.APPEAL_STATE_CHANGED, data, source="/hromada/intake",
                         subject=data["appeal_id"], actor=by)


def commented(appeal, author_id, role, appeal_author_id, body):
    return ev.make_event(ev.APPEAL_COMMENTED, {
        "appeal_id": appeal, "comment_id": str(uuid.uuid4()), "author_id": author_id,
        "author_role": role, "appeal_author_id": appeal_author_id, "body": body,
        "at": datetime.now(timezone.utc)}, source="/hromada/feedback", subject=appeal)


def deliver(container, amqp_uri, event, handler="handle_appeal_state_changed"):
    with entrypoint_waiter(container, handler, timeout=10):
        publish_events(amqp_uri, [event])


def notifications_of(container, token, **params):
    return call(container, "my_notifications", params, token=token)


def mail_to(mail_dir, address, count=1, timeout=15):
    from deploy.mailsink import messages_to

    return wait_until(lambda: len(messages_to(mail_dir, address)) >= count
                      and messages_to(mail_dir, address), timeout=timeout,
                      message=f"{count} mail(s) to {address}")


def count(database, record, *where):
    with database() as uow:
        return uow.session.execute(select(func.count()).select_from(record).where(*where)
                                   ).scalar_one()


def test_resolved_appeal_notifies_its_author_once_in_app_and_by_email_even_if_redelivered(
        accounts_container, hromada_amqp_uri, make_account, sign_in, mail_sink, database):
    from deploy.mailsink import messages_to, text_of

    author = make_account()
    event = state_changed(author.id, "resolved", body="kyivavtodor")
    appeal = event["data"]["appeal_id"]
    deliver(accounts_container, hromada_amqp_uri, event)
    deliver(accounts_container, hromada_amqp_uri, event)  # the broker delivers it again

    page = notifications_of(accounts_container, sign_in(author)["access_token"])
    (item,) = page["items"]
    assert page["unread_count"] == 1 and page["next_cursor"] is None
    assert item["kind"] == "appeal_resolved" and item["appeal_id"] == appeal
    assert item["read_at"] is None
    assert f"/api/v1/appeals/{appeal}/confirm" in item["text"]
    assert f"/api/v1/appeals/{appeal}/rework" in item["text"]

    (message,) = mail_to(mail_sink[1], author.email)
    # in the author's language only (Ukrainian, the default), linking to the appeal's page
    assert message["Subject"] == "Громада: Звернення виконано: підтвердіть або поверніть"
    body = text_of(message)
    assert body.startswith("Вітаємо, Тестова Особа!") and "Hello" not in body
    assert f"POST /api/v1/appeals/{appeal}/confirm" in body
    assert f"Звернення на порталі: http://127.0.0.1:8000/appeals/{appeal}" in body
    assert "Листи-сповіщення можна вимкнути" in body and "http://127.0.0.1:8000/me" in body
    assert count(database, MailOutboxRecord, MailOutboxRecord.to_address == author.email) == 1
    assert len(messages_to(mail_sink[1], author.email)) == 1


def test_the_unique_key_stops_a_second_notification_even_past_the_inbox(make_account,
                                                                        database):
    # two instances racing on a redelivery both pass the inbox check: the row decides
    author = make_account()
    deliveries = deliveries_for_state_change(state_data("resolved", author_id=author.id))
    event_id = str(uuid.uuid4())
    for _ in range(2):
        with database() as uow:
            notifier.deliver(uow, deliveries, event_id, datetime.now(timezone.utc))
            uow.commit()
    assert count(database, NotificationRecord, NotificationRecord.account_id == author.id) == 1
    assert count(database, MailOutboxRecord, MailOutboxRecord.to_address == author.email) == 1


def test_assignment_reaches_every_executor_and_the_head_of_that_body_only(
        accounts_container, hromada_amqp_uri, make_account, sign_in, mail_sink):
    body, other_body = body_code(), body_code()
    executors = [make_account(roles=("executor",), body=body) for _ in range(2)]
    head = make_account(roles=("head",), body=body)
    outsiders = [make_account(roles=("executor",), body=other_body),
                 make_account(roles=("head",), body=other_body),
                 make_account(roles=("dispatcher",))]
    author = make_account()
    event = state_changed(author.id, "assigned", body=body)
    deliver(accounts_container, hromada_amqp_uri, event)

    for staff in [*executors, head]:
        (item,) = notifications_of(accounts_container, sign_in(staff)["access_token"])["items"]
        assert item["kind"] == "body_appeal_assigned"
        assert f"POST /api/v1/appeals/{event['data']['appeal_id']}/take" in item["text"]
        mail_to(mail_sink[1], staff.email)
    for outsider in outsiders:
        assert notifications_of(accounts_container,
                                sign_in(outsider)["access_token"])["items"] == []
    (item,) = notifications_of(accounts_container, sign_in(author)["access_token"])["items"]
    assert item["kind"] == "appeal_assigned" and body in item["text"]


def test_rework_goes_to_the_body_staff_and_the_author_hears_it_was_sent_back(
        accounts_container, hromada_amqp_uri, make_account, sign_in):
    body = body_code()
    executor = make_account(roles=("executor",), body=body)
    author = make_account()
    deliver(accounts_container, hromada_amqp_uri,
            state_changed(author.id, "rework", body=body, reason="the pit is still there",
                          by=author.id))
    (item,) = notifications_of(accounts_container, sign_in(executor)["access_token"])["items"]
    assert item["kind"] == "body_appeal_rework"
    (item,) = notifications_of(accounts_container, sign_in(author)["access_token"])["items"]
    assert item["kind"] == "appeal_rework"


def test_a_rejection_is_counted_and_notified_with_its_reason_in_one_go(
        accounts_container, hromada_amqp_uri, make_account, sign_in):
    author = make_account()
    deliver(accounts_container, hromada_amqp_uri,
            state_changed(author.id, "rejected", reason="not the city's remit"))
    token = sign_in(author)["access_token"]
    (item,) = notifications_of(accounts_container, token)["items"]
    assert item["kind"] == "appeal_rejected" and "not the city's remit" in item["text"]
    export = call(accounts_container, "export_my_data", token=token)
    assert len(export["account"]["recent_rejected_appeals_at"]) == 1
    assert [n["kind"] for n in export["notifications"]] == ["appeal_rejected"]


def test_staff_comment_notifies_the_author_and_the_author_comment_notifies_the_staff(
        accounts_container, hromada_amqp_uri, make_account, sign_in, mail_sink):
    body = body_code()
    executor, head = make_account(roles=("executor",), body=body), make_account(
        roles=("head",), body=body)
    author = make_account()
    appeal = appeal_id()
    deliver(accounts_container, hromada_amqp_uri,
            commented(appeal, executor.id, "staff", author.id, body), "handle_appeal_commented")
    (item,) = notifications_of(accounts_container, sign_in(author)["access_token"])["items"]
    assert item["kind"] == "staff_commented" and item["appeal_id"] == appeal
    assert f"/api/v1/appeals/{appeal}/comments" in item["text"]
    assert executor.display_name not in item["text"]
    mail_to(mail_sink[1], author.email)
    assert notifications_of(accounts_container, sign_in(executor)["access_token"])["items"] == []

    deliver(accounts_container, hromada_amqp_uri,
            commented(appeal, author.id, "resident", author.id, body), "handle_appeal_commented")
    for staff in (executor, head):
        (item,) = notifications_of(accounts_container, sign_in(staff)["access_token"])["items"]
        assert item["kind"] == "author_commented"
    assert len(notifications_of(accounts_container,
                                sign_in(author)["access_token"])["items"]) == 1


def test_confirmation_reminder_reaches_the_author(accounts_container, hromada_amqp_uri,
                                                  make_account, sign_in, mail_sink):
    author = make_account()
    appeal = appeal_id()
    event = ev.make_event(ev.CONFIRMATION_REMINDER_DUE, {
        "appeal_id": appeal, "author_id": author.id,
        "resolved_at": datetime.now(timezone.utc) - timedelta(days=3), "reminder_number": 1,
        "at": datetime.now(timezone.utc)}, source="/hromada/feedback", subject=appeal)
    deliver(accounts_container, hromada_amqp_uri, event, "handle_confirmation_reminder_due")
    (item,) = notifications_of(accounts_container, sign_in(author)["access_token"])["items"]
    assert item["kind"] == "confirmation_reminder" and item["appeal_id"] == appeal
    (message,) = mail_to(mail_sink[1], author.email)
    assert "Нагадування" in message["Subject"]


def test_answered_portal_feedback_reaches_its_author(accounts_container, hromada_amqp_uri,
                                                     make_account, sign_in, mail_sink):
    author = make_account()
    feedback = str(uuid.uuid4())
    event = ev.make_event(ev.PORTAL_FEEDBACK_ANSWERED, {
        "feedback_id": feedback, "author_id": author.id, "at": datetime.now(timezone.utc)},
        source="/hromada/feedback", subject=feedback)
    deliver(accounts_container, hromada_amqp_uri, event, "handle_portal_feedback_answered")
    (item,) = notifications_of(accounts_container, sign_in(author)["access_token"])["items"]
    assert item["kind"] == "portal_feedback_answered" and item["appeal_id"] is None
    assert feedback in item["text"]
    mail_to(mail_sink[1], author.email)


def test_a_badge_reaches_its_resident_in_app_and_by_email_once(
        accounts_container, hromada_amqp_uri, make_account, sign_in, mail_sink, database):
    from deploy.mailsink import messages_to, text_of

    resident, bystander = make_account(), make_account()
    event = ev.make_event(ev.BADGE_AWARDED, {
        "resident_id": resident.id, "badge": "first_appeal",
        "name": {"uk": "Перше звернення", "en": "First appeal"},
        "awarded_at": datetime.now(timezone.utc), "cause": str(uuid.uuid4())},
        source="/hromada/gamification", subject=resident.id)
    deliver(accounts_container, hromada_amqp_uri, event, "handle_badge_awarded")
    deliver(accounts_container, hromada_amqp_uri, event, "handle_badge_awarded")  # redelivered
    (item,) = notifications_of(accounts_container, sign_in(resident)["access_token"])["items"]
    assert item["kind"] == "badge_awarded" and item["appeal_id"] is None
    assert "Перше звернення" in item["text"] and "First appeal" in item["text"]
    (message,) = mail_to(mail_sink[1], resident.email)
    assert message["Subject"] == "Громада: Нова відзнака"
    assert "Перше звернення" in text_of(message) and "First appeal" not in text_of(message)
    assert count(database, MailOutboxRecord, MailOutboxRecord.to_address == resident.email) == 1
    assert len(messages_to(mail_sink[1], resident.email)) == 1
    assert notifications_of(accounts_container,
                            sign_in(bystander)["access_token"])["items"] == []


@pytest.mark.parametrize("kind, says", [
    ("certificate", "Download your certificate (PDF): GET /api/v1/me/rewards/{reward}/certificate"),
    ("gift", "City staff will contact you and hand it over."),
])
def test_a_granted_reward_reaches_its_resident_with_what_to_do_next(
        accounts_container, hromada_amqp_uri, make_account, sign_in, mail_sink, database,
        kind, says):
    from deploy.mailsink import text_of

    resident = make_account(language="en")  # the mail, like ``says``, in English
    reward = str(uuid.uuid4())
    event = ev.make_event(ev.REWARD_GRANTED, {
        "reward_id": reward, "nomination_id": str(uuid.uuid4()), "resident_id": resident.id,
        "kind": kind, "gift_id": str(uuid.uuid4()) if kind == "gift" else None,
        "period": "2026-11", "at": datetime.now(timezone.utc)},
        source="/hromada/gamification", subject=reward)
    deliver(accounts_container, hromada_amqp_uri, event, "handle_reward_granted")
    deliver(accounts_container, hromada_amqp_uri, event, "handle_reward_granted")  # redelivered
    (item,) = notifications_of(accounts_container, sign_in(resident)["access_token"])["items"]
    assert item["kind"] == f"reward_{kind}" and item["appeal_id"] is None
    assert says.format(reward=reward) in item["text"]
    (message,) = mail_to(mail_sink[1], resident.email)
    assert says.format(reward=reward) in text_of(message)
    assert count(database, MailOutboxRecord, MailOutboxRecord.to_address == resident.email) == 1


def test_unverified_opted_out_and_deleted_accounts_get_no_email(
        accounts_container, hromada_amqp_uri, make_account, sign_in, mail_sink, database):
    from deploy.mailsink import messages_to

    unverified = make_account(verified=False)
    opted_out = make_account()
    token = sign_in(opted_out)["access_token"]
    assert call(accounts_container, "set_email_notifications", {"email_notifications": False},
                token=token)["email_notifications"] is False
    deleted = make_account()
    call(accounts_container, "delete_my_account", PASSWORD,
         token=sign_in(deleted)["access_token"])
    control = make_account()

    for account in (unverified, opted_out, deleted, control):
        deliver(accounts_container, hromada_amqp_uri, state_changed(account.id, "resolved"))
    mail_to(mail_sink[1], control.email)  # mail is sent in order: the others' would be out
    for account in (unverified, opted_out, deleted):
        assert messages_to(mail_sink[1], account.email) == []
    # in-app notifications stay for the living; the deleted account has none
    for account in (unverified, opted_out):
        page = notifications_of(accounts_container, sign_in(account)["access_token"])
        assert [i["kind"] for i in page["items"]] == ["appeal_resolved"]
    assert count(database, NotificationRecord, NotificationRecord.account_id == deleted.id) == 0


def test_deleting_an_account_deletes_its_notifications(accounts_container, hromada_amqp_uri,
                                                       make_account, sign_in, database):
    author = make_account()
    deliver(accounts_container, hromada_amqp_uri, state_changed(author.id, "in_progress"))
    assert count(database, NotificationRecord, NotificationRecord.account_id == author.id) == 1
    call(accounts_container, "delete_my_account", PASSWORD, token=sign_in(author)["access_token"])
    assert count(database, NotificationRecord, NotificationRecord.account_id == author.id) == 0


def test_one_reads_pages_and_marks_only_ones_own_notifications(
        accounts_container, hromada_amqp_uri, make_account, sign_in):
    olena, andriy = make_account(), make_account()
    for state in ("assigned", "in_progress", "resolved"):
        deliver(accounts_container, hromada_amqp_uri, state_changed(olena.id, state))
    deliver(accounts_container, hromada_amqp_uri, state_changed(andriy.id, "assigned"))
    olena_token, andriy_token = sign_in(olena)["access_token"], sign_in(andriy)["access_token"]

    first = notifications_of(accounts_container, olena_token, limit=2)
    assert [i["kind"] for i in first["items"]] == ["appeal_resolved", "appeal_in_progress"]
    assert first["unread_count"] == 3 and first["next_cursor"]
    second = notifications_of(accounts_container, olena_token, limit=2,
                              cursor=first["next_cursor"])
    assert [i["kind"] for i in second["items"]] == ["appeal_assigned"]
    assert second["next_cursor"] is None
    olena_ids = [i["id"] for i in first["items"] + second["items"]]

    # Andriy cannot mark (or learn anything about) Olena's notifications
    assert call(accounts_container, "mark_notifications_read", {"ids": olena_ids},
                token=andriy_token) == {"updated": 0}
    assert call(accounts_container, "mark_notifications_read", {"all": True},
                token=andriy_token) == {"updated": 1}
    assert notifications_of(accounts_container, olena_token)["unread_count"] == 3

    assert call(accounts_container, "mark_notifications_read", {"ids": olena_ids[:1]},
                token=olena_token) == {"updated": 1}
    unread = notifications_of(accounts_container, olena_token, unread_only=True)
    assert unread["unread_count"] == 2 and len(unread["items"]) == 2
    assert olena_ids[0] not in {i["id"] for i in unread["items"]}
    assert call(accounts_container, "mark_notifications_read", {"all": True},
                token=olena_token) == {"updated": 2}
    page = notifications_of(accounts_container, olena_token)
    assert page["unread_count"] == 0 and all(i["read_at"] for i in page["items"])
    assert notifications_of(accounts_container, olena_token, unread_only=True)["items"] == []


def test_notification_calls_check_their_input_and_the_caller(accounts_container, make_account,
                                                             sign_in):
    token = sign_in(make_account())["access_token"]
    assert call(accounts_container, "my_notifications", token=token) == {
        "items": [], "next_cursor": None, "unread_count": 0}
    for params, field in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"),
                          ({"cursor": "not-a-cursor"}, "cursor"), ({"color": "red"}, "color")):
        with pytest.raises(InvalidInput) as err:
            notifications_of(accounts_container, token, **params)
        assert field in err.value.fields
    for payload in ({}, {"ids": ["x"], "all": True}, {"all": False}, {"ids": []}, "all"):
        with pytest.raises(InvalidInput):
            call(accounts_container, "mark_notifications_read", payload, token=token)
    with pytest.raises(Unauthenticated):
        call(accounts_container, "my_notifications", {})
    with pytest.raises(Unauthenticated):
        call(accounts_container, "mark_notifications_read", {"all": True})
