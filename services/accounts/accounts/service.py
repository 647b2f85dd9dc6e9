"""The accounts nameko service: translates RPC calls, events and timers into use cases.

Accounts is the only holder of the private key that signs access tokens; everyone else
verifies them with the public key (``hromada_common.auth``).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from hromada_common import events as ev
from hromada_common.auth import CLIENT_IP_CONTEXT_KEY, issuer_from_config
from hromada_common.caller import CallerProvider
from hromada_common.mail import mailer_from_config
from hromada_common.messaging.commands import command
from hromada_common.messaging.nameko_ext import UnitOfWorkProvider, event_handler
from hromada_common.messaging.rpc import rpc

from .adapters.hashing import Argon2Hasher
from .adapters.orm import Base, inbox, outbox
from .adapters.uow import AccountsUnitOfWork
from .domain.model import TRUST_FROM_LEVEL, TrustPolicy, trust_from_level
from .domain.throttling import ThrottlePolicy
from .service_layer import demo, handlers, mail_delivery

log = logging.getLogger(__name__)


def truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def settings_from_config(config: dict) -> handlers.Settings:
    restore_days = config.get("TRUST_RESTORE_AFTER_DAYS", 30)
    return handlers.Settings(
        refresh_ttl=timedelta(seconds=int(config.get("REFRESH_TOKEN_TTL", 30 * 86400))),
        throttle=ThrottlePolicy(
            lock_after=int(config.get("LOGIN_LOCK_AFTER_FAILURES", 5)),
            base=timedelta(seconds=int(config.get("LOGIN_LOCK_SECONDS", 60))),
            maximum=timedelta(seconds=int(config.get("LOGIN_LOCK_MAX_SECONDS", 3600))),
            alert_after=int(config.get("LOGIN_GUESSING_ALERT_FAILURES", 20)),
            alert_window=timedelta(seconds=int(config.get("LOGIN_GUESSING_ALERT_WINDOW_SECONDS",
                                                          3600))),
        ),
        trust=TrustPolicy(
            rejections_to_lower=int(config.get("TRUST_REJECTIONS_TO_LOWER", 3)),
            window=timedelta(days=int(config.get("TRUST_REJECTION_WINDOW_DAYS", 30))),
            restore_after=timedelta(days=int(restore_days)) if restore_days not in (None, "", 0, "0") else None,
            earned_from_level=trust_from_level(
                config.get("TRUST_FROM_LEVEL", dict(TRUST_FROM_LEVEL))),
        ),
    )


class SecurityProvider(DependencyProvider):
    """Gives workers the password hasher, the token issuer (the private key) and the
    settings, all built once from the config at start-up."""

    def setup(self):
        config = self.container.config
        self.security = handlers.Security(
            hasher=Argon2Hasher(
                time_cost=int(config.get("PASSWORD_HASH_TIME_COST", 3)),
                memory_cost=int(config.get("PASSWORD_HASH_MEMORY_KIB", 65536)),
                parallelism=int(config.get("PASSWORD_HASH_PARALLELISM", 4)),
            ),
            issuer=issuer_from_config(config),
            settings=settings_from_config(config),
        )

    def get_dependency(self, worker_ctx):
        return self.security


class MailerProvider(DependencyProvider):
    def setup(self):
        self.mailer = mailer_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.mailer


class ClientAddressProvider(DependencyProvider):
    """The client address the gateway saw for this call (``hromada.client_ip`` context
    data), or None for a call that did not come from the edge."""

    def get_dependency(self, worker_ctx):
        value = worker_ctx.context_data.get(CLIENT_IP_CONTEXT_KEY)
        return value if isinstance(value, str) else None


class AccountsService:
    name = "accounts"

    uow = UnitOfWorkProvider(AccountsUnitOfWork, outbox, inbox, metadata=Base.metadata)
    security = SecurityProvider()
    mailer = MailerProvider()
    caller = CallerProvider()
    client_ip = ClientAddressProvider()
    config = Config()

    # ------------------------------------------------------------------ registration

    @command
    def register(self, email, password, display_name, phone=None):
        """Create a resident account and mail it a verification code.
        Raises InvalidInput (per field) or Conflict (email taken)."""
        return handlers.register(self.uow(), self.security, email, password, display_name, phone)

    @command
    def verify_email(self, email, code):
        """Verify the email with the mailed code → ``{"verified": true}``. InvalidInput on
        a wrong, expired or exhausted code."""
        return handlers.verify_email(self.uow(), email, code)

    @command
    def resend_verification(self, email):
        """Mail a new verification code (at most once a minute). Always ``{}``."""
        return handlers.resend_verification(self.uow(), email)

    # ------------------------------------------------------------------------ tokens

    @rpc  # not a command: its reply is a secret, never stored (docs/api.md)
    def issue_tokens(self, email, password):
        """Sign in → ``{access_token, refresh_token, token_type, expires_in}``.
        Unauthenticated on bad credentials, TooManyRequests while the address is locked for
        the caller's source (five wrong passwords from it)."""
        return handlers.issue_tokens(self.uow(), self.security, email, password, self.client_ip)

    @rpc  # not a command: its reply is a secret, never stored (docs/api.md)
    def refresh_tokens(self, refresh_token):
        """Rotate: a new pair for a valid refresh token. Unauthenticated otherwise; a reused
        token signs its whole session out."""
        return handlers.refresh_tokens(self.uow(), self.security, refresh_token)

    @command
    def revoke_refresh_token(self, refresh_token):
        """Sign out (revokes the token's session). Idempotent; always ``{}``."""
        return handlers.revoke_refresh_token(self.uow(), refresh_token)

    @command
    def request_password_reset(self, email):
        """Mail a reset code if the account exists. Always ``{}``."""
        return handlers.request_password_reset(self.uow(), email)

    @command
    def reset_password(self, email, code, new_password):
        """Set a new password with the mailed code; signs out every session."""
        return handlers.reset_password(self.uow(), self.security, email, code, new_password)

    # ------------------------------------------------------------------ who is who

    @rpc
    def get_me(self):
        """The signed-in caller's account."""
        return handlers.get_me(self.uow(), self.caller.require())

    @rpc
    def contact_of(self, account_id):
        """``{id, display_name, email, phone}`` for the account itself or staff; Forbidden
        otherwise. The gateway decides when showing it is relevant."""
        return handlers.contact_of(self.uow(), self.caller.require(), account_id)

    @rpc
    def public_name_of(self, account_ids):
        """``{id: display_name}`` for public pages ("deleted account" for deleted ones;
        unknown ids are left out)."""
        return handlers.public_name_of(self.uow(), account_ids)

    # ------------------------------------------------------------------------ staff

    @command
    def set_roles(self, account_id, roles, body=None):
        """Replace an account's roles (admin only); executors and heads need a body."""
        identity = self.caller.require().require_role("admin")
        return handlers.set_roles(self.uow(), identity, account_id, roles, body)

    @command
    def block_account(self, account_id, reason):
        """Block an account (dispatcher or admin); it may then only read."""
        identity = self.caller.require().require_role("dispatcher", "admin")
        return handlers.change_status(self.uow(), identity, account_id, reason, block=True)

    @command
    def unblock_account(self, account_id, reason):
        """Lift a block (dispatcher or admin)."""
        identity = self.caller.require().require_role("dispatcher", "admin")
        return handlers.change_status(self.uow(), identity, account_id, reason, block=False)

    # --------------------------------------------------------------------- API keys

    @rpc  # not a command: its reply is a secret, never stored (docs/api.md)
    def create_api_key(self, name, scopes):
        """A new API key (admin only) → ``{id, name, scopes, key}``; the key is shown once."""
        identity = self.caller.require().require_role("admin")
        return handlers.create_api_key(self.uow(), identity, name, scopes)

    @command
    def revoke_api_key(self, key_id):
        """Revoke an API key (admin only). Idempotent."""
        identity = self.caller.require().require_role("admin")
        return handlers.revoke_api_key(self.uow(), identity, key_id)

    @rpc
    def list_api_keys(self):
        """Every API key, without the keys themselves (admin only)."""
        identity = self.caller.require().require_role("admin")
        return handlers.list_api_keys(self.uow(), identity)

    @rpc
    def authenticate_api_key(self, key):
        """An access token for the integration behind ``key``. Unauthenticated if unknown or
        revoked."""
        return handlers.authenticate_api_key(self.uow(), self.security, key)

    # ---------------------------------------------------------------------- privacy

    @rpc
    def export_my_data(self):
        """Everything accounts holds about the caller (no hashes, no codes)."""
        return handlers.export_my_data(self.uow(), self.caller.require())

    @command
    def delete_my_account(self, password):
        """Erase the caller's personal data and sign them out everywhere."""
        return handlers.delete_my_account(self.uow(), self.security, self.caller.require(),
                                          password, self.client_ip)

    # ------------------------------------------------------------------ notifications

    @rpc
    def my_notifications(self, params=None):
        """The caller's notifications, newest first → ``{items, next_cursor, unread_count}``.
        ``params``: ``limit`` (1–100, default 20), ``unread_only`` (default false), ``cursor``
        (the ``next_cursor`` of the previous page)."""
        return handlers.my_notifications(self.uow(), self.caller.require(), params)

    @command
    def mark_notifications_read(self, payload):
        """Mark ``{"ids": [...]}`` or ``{"all": true}`` of the caller's own notifications read
        → ``{"updated": n}`` (how many were unread)."""
        return handlers.mark_notifications_read(self.uow(), self.caller.require(), payload)

    @command
    def set_email_notifications(self, payload):
        """``{"email_notifications": bool}``: copy the caller's notifications to their email or
        not (in-app ones always stay) → the account."""
        return handlers.set_email_notifications(self.uow(), self.caller.require(), payload)

    @rpc
    def revocations(self):
        """For token verifiers starting up (hromada_common.revocation): the accounts whose
        tokens were voided and the sessions revoked within an access token's lifetime."""
        return handlers.revocations(self.uow(), self.security)

    @rpc
    def health(self):
        """Checks the database and that token revocations are loaded; the broker answered if
        this call arrived."""
        return handlers.health(self.uow()) | {"broker": "ok",
                                              "revocations": self.caller.revocations_status()}

    # ---------------------------------------------------------------- events, timers

    @event_handler(ev.APPEAL_STATE_CHANGED)
    def handle_appeal_state_changed(self, envelope):
        """Count a rejection against the author's trust and notify the author and the body's
        staff: both in one transaction, once per event."""
        handlers.handle_appeal_state_changed(self.uow(), self.security.settings, envelope)

    @event_handler(ev.APPEAL_COMMENTED)
    def handle_appeal_commented(self, envelope):
        """Staff commented → notify the author; the author commented → the body's staff."""
        handlers.handle_appeal_commented(self.uow(), envelope)

    @event_handler(ev.CONFIRMATION_REMINDER_DUE)
    def handle_confirmation_reminder_due(self, envelope):
        """Remind the author to confirm or send back a resolved appeal."""
        handlers.handle_confirmation_reminder_due(self.uow(), envelope)

    @event_handler(ev.PORTAL_FEEDBACK_ANSWERED)
    def handle_portal_feedback_answered(self, envelope):
        """Tell a resident their feedback about the portal was answered."""
        handlers.handle_portal_feedback_answered(self.uow(), envelope)

    @event_handler(ev.BADGE_AWARDED)
    def handle_badge_awarded(self, envelope):
        """Congratulate a resident on a badge they earned (in-app, and by email if allowed)."""
        handlers.handle_badge_awarded(self.uow(), envelope)

    @event_handler(ev.REWARD_GRANTED)
    def handle_reward_granted(self, envelope):
        """Tell a resident about their reward: download the certificate, or staff will hand
        the gift over."""
        handlers.handle_reward_granted(self.uow(), envelope)

    @event_handler(ev.LEVEL_REACHED)
    def handle_level_reached(self, envelope):
        """Raise the trust a resident's level earns (never lowering it; not while blocked or
        under a moderation penalty) and tell them, in the app, once per event."""
        handlers.handle_level_reached(self.uow(), self.security.settings, envelope)

    @event_handler(ev.SLA_WARNING)
    def handle_sla_warning(self, envelope):
        """Tell the body's executors an appeal's deadline is near (in-app only, no email)."""
        handlers.handle_sla_warning(self.uow(), envelope)

    @event_handler(ev.APPEAL_ESCALATED)
    def handle_appeal_escalated(self, envelope):
        """Tell every active head of the body that an appeal was escalated to them (in-app
        and email); a body without one escalates to the admins."""
        handlers.handle_appeal_escalated(self.uow(), envelope)

    @timer(interval=1)
    def deliver_mail(self):
        """Send the mail outbox (codes, notifications) over SMTP, retrying with back-off."""
        mail_delivery.deliver_mail(self.uow(), self.mailer,
                                   int(self.config.get("MAIL_MAX_ATTEMPTS", 8)))

    @timer(interval=3600, eager=True)
    def seed_demo_accounts(self):
        """In demo mode, make sure the six demo accounts exist (idempotent)."""
        if truthy(self.config.get("DEMO_MODE", False)):
            created = demo.seed_demo_accounts(self.uow(), self.security.hasher)
            if created:
                log.info("seeded demo accounts: %s", ", ".join(created))

    @timer(interval=3600)
    def housekeeping(self):
        """Hourly: restore trust that has recovered, give the trust their level earns to
        residents whose block or penalty is over, forget expired codes and tokens."""
        handlers.restore_trust(self.uow(), self.security.settings)
        handlers.apply_earned_trust(self.uow(), self.security.settings)
        handlers.purge_expired(self.uow())
