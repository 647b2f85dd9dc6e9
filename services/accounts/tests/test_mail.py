"""Mail: the SMTP adapter against the development sink, and delivery of the mail outbox."""
import logging
import socket
from types import SimpleNamespace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from accounts.adapters.orm import MailOutboxRecord
from accounts.service_layer.mail_delivery import deliver_mail, retry_delay
from hromada_common.mail import MailError, SmtpMailer
from hromada_common.testing.helpers import wait_until

from .conftest import unique_email


def test_smtp_mailer_sends_a_utf8_message_the_sink_keeps(mail_sink):
    from deploy.mailsink import latest_code, messages_to, text_of

    port, directory = mail_sink
    to = unique_email()
    SmtpMailer("127.0.0.1", port, "Громада <no-reply@hromada.test>").send(
        to, "Громада: перевірка / Hromada: check", "Код: 123456\nCode: 123456")
    (message,) = wait_until(lambda: messages_to(directory, to), message="the mail in the sink")
    assert message["Subject"] == "Громада: перевірка / Hromada: check"
    assert str(message["From"]) == "Громада <no-reply@hromada.test>"
    assert message["Message-ID"] and message["Date"]
    assert message.get_content_charset() == "utf-8" and "Код: 123456" in text_of(message)
    assert latest_code(directory, to.upper()) == "123456"


def test_an_unreachable_server_is_a_temporary_failure():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    with pytest.raises(MailError) as failed:
        SmtpMailer("127.0.0.1", port, "no-reply@hromada.test", timeout=2).send(
            "a@example.org", "s", "t")
    assert failed.value.permanent is False


class FakeMailer:
    def __init__(self, error=None):
        self.error = error
        self.sent = []

    def send(self, to, subject, text):
        if self.error:
            raise self.error
        self.sent.append((to, subject, text))


def enqueue(database, count=1):
    addresses = [unique_email() for _ in range(count)]
    with database() as uow:
        for address in addresses:
            uow.mail.enqueue(address, "subject", "body", datetime.now(timezone.utc))
        uow.commit()
    return addresses


def rows(database):
    """The outbox as plain snapshots (records detach when the unit of work closes)."""
    columns = MailOutboxRecord.__table__.columns.keys()
    with database() as uow:
        return [SimpleNamespace(**{c: getattr(r, c) for c in columns})
                for r in uow.session.execute(select(MailOutboxRecord)
                                             .order_by(MailOutboxRecord.id)).scalars()]


def test_delivered_mail_is_marked_sent_and_not_sent_again(database):
    (address,) = enqueue(database)
    mailer = FakeMailer()
    assert deliver_mail(database(), mailer) == 1
    assert deliver_mail(database(), mailer) == 0
    assert [to for to, _, _ in mailer.sent] == [address]
    (row,) = rows(database)
    assert row.sent_at is not None and row.attempts == 1


def test_a_failed_send_is_retried_later_then_given_up_with_an_error_log(database, caplog):
    enqueue(database)
    assert deliver_mail(database(), FakeMailer(MailError("451 try later")), max_attempts=2) == 0
    (row,) = rows(database)
    assert row.attempts == 1 and row.sent_at is None and row.failed_at is None
    assert row.last_error == "451 try later"
    assert row.next_attempt_at > datetime.now(timezone.utc) + timedelta(seconds=5)
    # not due yet: nothing is attempted
    assert deliver_mail(database(), FakeMailer(MailError("451 try later"))) == 0
    assert rows(database)[0].attempts == 1

    with database() as uow:  # time passes
        uow.session.get(MailOutboxRecord, row.id).next_attempt_at = datetime.now(timezone.utc)
        uow.commit()
    with caplog.at_level(logging.ERROR):
        deliver_mail(database(), FakeMailer(MailError("451 try later")), max_attempts=2)
    (row,) = rows(database)
    assert row.failed_at is not None and row.attempts == 2
    assert "gave up mailing" in caplog.text


def test_a_permanent_refusal_is_not_retried(database):
    enqueue(database)
    deliver_mail(database(), FakeMailer(MailError("550 no such user", permanent=True)))
    (row,) = rows(database)
    assert row.failed_at is not None and row.attempts == 1


def test_two_instances_never_claim_the_same_mail(database):
    enqueue(database, 3)
    now = datetime.now(timezone.utc)
    with database() as first:
        claimed = [r.id for r in first.mail.claim(now, limit=2)]
        with database() as second:
            rest = [r.id for r in second.mail.claim(now)]
    assert len(claimed) == 2 and len(rest) == 1
    assert set(claimed).isdisjoint(rest)


def test_retry_back_off_doubles_up_to_an_hour():
    assert [int(retry_delay(n).total_seconds()) for n in (1, 2, 3, 9, 20)] == [
        10, 20, 40, 2560, 3600]
