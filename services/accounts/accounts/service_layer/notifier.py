"""The notifier: deliveries (from ``domain.notifications``) → in-app rows and queued emails.

Called inside the transaction of the event handler that consumed the event, so a notification,
its email in the mail outbox and the inbox row that marks the event consumed commit together
or not at all. Each notification is written with ``ON CONFLICT DO NOTHING`` on (account,
source event, kind) and its email queued only if the row is new: even an event that got past
the inbox twice (two instances racing on a redelivery) notifies and mails once.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from ..domain.model import Account
from ..mails import MailWriter
from ..domain.notifications import (
    Delivery,
    Notice,
    Notification,
    ToAccount,
    ToBodyStaff,
    ToRole,
    is_body_staff,
)

log = logging.getLogger(__name__)


def _recipients(uow, recipient) -> list[Account]:
    if isinstance(recipient, ToAccount):
        # Authors may be API keys or ids from before accounts existed: nobody to tell.
        account = uow.accounts.get(recipient.account_id)
        return [account] if account is not None and not account.is_deleted else []
    if isinstance(recipient, ToBodyStaff):
        return [a for a in uow.accounts.staff_of_body(recipient.body)
                if is_body_staff(a.roles, a.body, recipient.body) and a.id != recipient.exclude]
    if isinstance(recipient, ToRole):
        return uow.accounts.active_with_role(recipient.role, recipient.body)
    raise TypeError(f"unknown recipient {recipient!r}")


def notify_one(uow, account: Account, notice: Notice, source_event_id: str,
               now: datetime, mails: MailWriter | None = None) -> bool:
    """One in-app notification to ``account`` and, if the notice goes by email and the account
    may be mailed, its email in the account's language. False if this event already notified
    this account of this kind."""
    created = uow.notifications.add_once(Notification(
        id=str(uuid.uuid4()), account_id=account.id, kind=notice.kind,
        appeal_id=notice.appeal_id, title=notice.title, text=notice.text, created_at=now,
        source_event_id=source_event_id))
    if created and notice.by_email and account.mailable:
        subject, body = (mails or MailWriter()).notification_mail(
            notice, account.display_name, account.language)
        uow.mail.enqueue(account.email, subject, body, now)
    return created


def deliver(uow, deliveries: list[Delivery], source_event_id: str, now: datetime,
            mails: MailWriter | None = None) -> int:
    """Notify every recipient of every delivery (each account once per kind; a
    :class:`ToRole` with nobody in it falls back to its ``otherwise``); returns how many
    notifications were new."""
    created = 0
    for recipient, notice in deliveries:
        accounts = _recipients(uow, recipient)
        while not accounts and isinstance(recipient, ToRole) and recipient.otherwise:
            recipient, notice = recipient.otherwise
            accounts = _recipients(uow, recipient)
        if not accounts and isinstance(recipient, ToRole):
            log.warning("nobody to tell about %s of appeal %s (no active %s%s)", notice.kind,
                        notice.appeal_id, recipient.role,
                        f" of {recipient.body}" if recipient.body else "")
        for account in accounts:
            created += notify_one(uow, account, notice, source_event_id, now, mails)
    return created
