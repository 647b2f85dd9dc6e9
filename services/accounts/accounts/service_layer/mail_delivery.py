"""Delivering the mail outbox: claim due rows, send each over SMTP, mark it sent or retry.

Rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED``, so several instances of the
service deliver in parallel without sending a message twice. Delivery is at least once: a
crash between the SMTP ``250`` and the commit sends that message again.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from hromada_common.mail import MailError

log = logging.getLogger(__name__)

BATCH_SIZE = 50


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the ``attempts``-th failure: 10 s, 20 s, 40 s … at most an hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


def deliver_mail(uow, mailer, max_attempts: int = 8, batch_size: int = BATCH_SIZE) -> int:
    """Send what is due; returns how many messages were sent."""
    now = datetime.now(timezone.utc)
    sent = 0
    with uow:
        for row in uow.mail.claim(now, batch_size):
            row.attempts += 1
            try:
                mailer.send(row.to_address, row.subject, row.body)
            except MailError as exc:
                row.last_error = str(exc)[:2000]
                if exc.permanent or row.attempts >= max_attempts:
                    row.failed_at = now
                    log.error("gave up mailing message %s after %d attempt(s): %s",
                              row.id, row.attempts, exc)
                else:
                    row.next_attempt_at = now + retry_delay(row.attempts)
                    log.warning("mailing message %s failed (attempt %d), retrying at %s: %s",
                                row.id, row.attempts, row.next_attempt_at.isoformat(), exc)
                continue
            row.sent_at = now
            row.last_error = None
            sent += 1
        uow.commit()
    return sent
