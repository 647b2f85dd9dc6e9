"""Supporters follow the appeal they support: intake's support events feed accounts' own
followers table, and each later change of the appeal notifies them (in-app, and by email if
they keep email notifications on). Real nameko container, RabbitMQ and PostgreSQL."""
import uuid
from datetime import datetime, timedelta, timezone

from hromada_common import events as ev

from accounts.domain.notifications import NoticeKind, ToAccount, deliveries_for_followers

from .conftest import call
from .test_notifications import (
    deliver, mail_to, notifications_of, state_changed, state_data,
)


def support_event(appeal, supporter, withdrawn=False, at=None, count=1):
    return ev.make_event(
        ev.APPEAL_SUPPORT_WITHDRAWN if withdrawn else ev.APPEAL_SUPPORTED,
        {"appeal_id": appeal, "supporter_id": supporter, "supporters_count": count,
         "at": at or datetime.now(timezone.utc)},
        source="/hromada/intake", subject=appeal, actor=supporter)


def test_followers_hear_each_change_but_not_the_author_nor_whoever_made_it():
    data = state_data("in_progress", author_id="author-1", by="executor-1")
    deliveries = deliveries_for_followers(data, ["author-1", "executor-1", "s-1", "s-2"])
    assert [to for to, _ in deliveries] == [ToAccount("s-1"), ToAccount("s-2")]
    notice = deliveries[0][1]
    assert notice.kind is NoticeKind.SUPPORTED_APPEAL_CHANGED
    assert "у роботі" in notice.text_uk and '"in progress"' in notice.text_en
    assert f"DELETE /api/v1/appeals/{data['appeal_id']}/support" in notice.text_en


def test_a_supporter_is_notified_of_a_later_change_in_app_and_by_email(
        accounts_container, hromada_amqp_uri, make_account, sign_in, mail_sink):
    author, supporter, bystander = make_account(), make_account(), make_account()
    appeal = str(uuid.uuid4())
    deliver(accounts_container, hromada_amqp_uri, support_event(appeal, supporter.id),
            handler="handle_appeal_supported")

    deliver(accounts_container, hromada_amqp_uri,
            state_changed(author.id, "in_progress", body="kyivavtodor", appeal=appeal))

    (item,) = notifications_of(accounts_container, sign_in(supporter)["access_token"])["items"]
    assert item["kind"] == "supported_appeal_changed" and item["appeal_id"] == appeal
    assert "in progress" in item["text"]
    (message,) = mail_to(mail_sink[1], supporter.email)
    # in the supporter's language only (Ukrainian unless they chose English)
    assert message["Subject"] == "Громада: Зміни у зверненні, яке ви підтримали"
    (own,) = notifications_of(accounts_container, sign_in(author)["access_token"])["items"]
    assert own["kind"] == "appeal_in_progress"  # the author hears once, as the author
    assert notifications_of(accounts_container,
                            sign_in(bystander)["access_token"])["items"] == []
    export = call(accounts_container, "export_my_data", token=sign_in(supporter)["access_token"])
    assert [f["appeal_id"] for f in export["followed_appeals"]] == [appeal]


def test_a_withdrawn_supporter_is_not_notified_even_if_the_older_support_arrives_late(
        accounts_container, hromada_amqp_uri, make_account, sign_in):
    supporter = make_account()
    appeal = str(uuid.uuid4())
    supported_at = datetime.now(timezone.utc) - timedelta(minutes=5)
    deliver(accounts_container, hromada_amqp_uri,
            support_event(appeal, supporter.id, withdrawn=True, count=0),
            handler="handle_appeal_support_withdrawn")
    # the support the withdrawal undid arrives after it (redelivered after a retry)
    deliver(accounts_container, hromada_amqp_uri,
            support_event(appeal, supporter.id, at=supported_at),
            handler="handle_appeal_supported")

    deliver(accounts_container, hromada_amqp_uri,
            state_changed(str(uuid.uuid4()), "resolved", body="kyivavtodor", appeal=appeal))

    assert notifications_of(accounts_container,
                            sign_in(supporter)["access_token"])["items"] == []
