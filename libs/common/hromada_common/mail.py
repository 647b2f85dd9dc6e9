"""Sending mail over SMTP.

:class:`SmtpMailer` speaks plain ``smtplib``; under eventlet (as the services run) its socket
is green, so a slow mail server stalls only the greenthread that sends. Services should not
send inside a request: they write the mail to an outbox table in the same transaction as the
change that needs it and deliver from a timer (see the accounts service).
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from datetime import datetime, timezone


class MailError(Exception):
    """Delivery failed; ``permanent`` is True when retrying cannot help (5xx, bad address)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def build_message(sender: str, to: str, subject: str, text: str) -> EmailMessage:
    """A plain-text UTF-8 message (headers RFC 2047-encoded where they are not ASCII)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "hromada.local"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text, charset="utf-8")
    return message


class SmtpMailer:
    """``SmtpMailer(host, port, sender).send(to, subject, text)``.

    One connection per message: mail here is rare (codes) and a fresh connection never
    trips over a server that dropped an idle one.
    """

    def __init__(self, host: str, port: int, sender: str, starttls: bool = False,
                 username: str | None = None, password: str | None = None,
                 timeout: float = 30.0):
        self.host = host
        self.port = int(port)
        self.sender = sender
        self.starttls = starttls
        self.username = username or None
        self.password = password or None
        self.timeout = timeout

    def send(self, to: str, subject: str, text: str) -> EmailMessage:
        """Send one message; raises :class:`MailError` (``permanent`` for 5xx refusals)."""
        message = build_message(self.sender, to, subject, text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise MailError(f"recipient refused: {exc.recipients}",
                            permanent=all(500 <= c < 600 for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            raise MailError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                            permanent=500 <= exc.smtp_code < 600) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{exc.__class__.__name__}: {exc}") from exc
        return message

    def __repr__(self) -> str:
        return f"SmtpMailer({self.host}:{self.port}, from {self.sender!r})"


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def mailer_from_config(config: dict) -> SmtpMailer:
    """``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_STARTTLS``, ``SMTP_USERNAME``, ``SMTP_PASSWORD``,
    ``MAIL_FROM`` from a service's config."""
    return SmtpMailer(
        host=config.get("SMTP_HOST") or "127.0.0.1",
        port=int(config.get("SMTP_PORT") or 8025),
        sender=config.get("MAIL_FROM") or "Hromada <no-reply@hromada.local>",
        starttls=_truthy(config.get("SMTP_STARTTLS", False)),
        username=config.get("SMTP_USERNAME"),
        password=config.get("SMTP_PASSWORD"),
        timeout=float(config.get("SMTP_TIMEOUT", 30)),
    )
