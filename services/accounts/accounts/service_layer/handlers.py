"""Accounts' use cases: one function per command or event, each one transaction.

Handlers get the unit of work and a :class:`Security` bundle (password hasher, token issuer,
settings); the caller's :class:`~hromada_common.auth.Identity` comes in already verified.
"""
from __future__ import annotations

import base64
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hromada_common import events as ev
from hromada_common.auth import Identity, TokenIssuer, TooManyRequests, Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound, load_or_invalid

from ..domain import notifications as notices
from ..domain.api_keys import INTEGRATION_TRUST, ApiKey, api_key_problems
from ..domain.codes import CodePurpose, CodeRejected, OneTimeCode
from ..domain.model import (
    Account,
    AccountDeleted,
    AccountError,
    AccessRevoked,
    AuditEntry,
    RolesChanged,
    StatusChanged,
    TrustChanged,
    TrustPolicy,
    display_name_problems,
    email_problems,
    language_problems,
    normalise_display_name,
    normalise_email,
    normalise_language,
    normalise_phone,
    phone_problems,
    roles_problems,
)
from ..mails import MailWriter
from ..domain.passwords import PasswordHasher, password_problems
from ..domain.throttling import Locked, LoginThrottle, ThrottlePolicy, address_key, source_of, throttle_key
from ..domain.tokens import RefreshRejected, TokenFamily, hash_token
from ..schemas import (
    EmailNotificationsIn,
    PreferencesIn,
    MarkNotificationsReadIn,
    MyNotificationsIn,
    account_view,
    api_key_view,
    contact_view,
    export_view,
    notification_view,
    token_pair_view,
)
from . import notifier

log = logging.getLogger(__name__)

CONSUMER = "accounts"
BAD_CREDENTIALS = "invalid email or password"
MAX_LOOKUP_IDS = 500


@dataclass(frozen=True)
class Settings:
    refresh_ttl: timedelta = timedelta(days=30)
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    trust: TrustPolicy = field(default_factory=TrustPolicy)


@dataclass(frozen=True)
class Security:
    """What handlers need besides the unit of work."""

    hasher: PasswordHasher
    issuer: TokenIssuer
    settings: Settings = field(default_factory=Settings)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _new_id() -> str:
    return str(uuid.uuid4())


def _invalid(fields: dict[str, list[str]]) -> InvalidInput:
    return InvalidInput("the request has invalid fields: " + ", ".join(sorted(fields)), fields)


def identity_of(account: Account, session_id: str | None = None) -> Identity:
    """What an access token of ``session_id`` says about the account."""
    return Identity(account_id=account.id, roles=frozenset(account.roles), body=account.body,
                    status=account.status, verified=account.verified,
                    trust=account.trust_level, session_id=session_id,
                    auth_version=account.auth_version)


def _revoke_session(uow, account_id: str, session_id: str, reason: str, now: datetime) -> None:
    """Tell every token verifier that the session's access tokens no longer hold."""
    uow.record_event(ev.ACCOUNT_ACCESS_REVOKED, {
        "account_id": account_id, "session_id": session_id, "auth_version": None,
        "reason": reason, "at": now}, subject=account_id, actor="accounts")


def _record_events(uow, account: Account) -> None:
    for event in account.events:
        if isinstance(event, StatusChanged):
            uow.record_event(ev.ACCOUNT_STATUS_CHANGED, {
                "account_id": event.account_id, "status": event.status,
                "reason": event.reason, "by": event.by, "at": event.at,
            }, subject=event.account_id, actor=event.by)
        elif isinstance(event, TrustChanged):
            uow.record_event(ev.ACCOUNT_TRUST_CHANGED, {
                "account_id": event.account_id, "trust_level": event.trust_level,
                "reason": event.reason, "at": event.at,
            }, subject=event.account_id, actor="accounts")
        elif isinstance(event, RolesChanged):
            uow.record_event(ev.ACCOUNT_ROLES_CHANGED, {
                "account_id": event.account_id, "roles": sorted(event.roles),
                "body": event.body, "previous_roles": sorted(event.previous_roles),
                "previous_body": event.previous_body, "by": event.by, "at": event.at,
            }, subject=event.account_id, actor=event.by)
        elif isinstance(event, AccessRevoked):
            uow.record_event(ev.ACCOUNT_ACCESS_REVOKED, {
                "account_id": event.account_id, "session_id": event.session_id,
                "auth_version": event.auth_version, "reason": event.reason, "at": event.at,
            }, subject=event.account_id, actor="accounts")
        elif isinstance(event, AccountDeleted):
            uow.record_event(ev.ACCOUNT_DELETED, {"account_id": event.account_id,
                                                  "at": event.at},
                             subject=event.account_id, actor=event.account_id)
    account.events.clear()


def _mail_code(uow, account: Account, purpose: CodePurpose, now: datetime,
               mails: MailWriter | None = None) -> None:
    """Issue a fresh code (replacing any older one) and queue its mail, in this transaction,
    in the account's language."""
    code, plain = OneTimeCode.issue(id=_new_id(), account_id=account.id, purpose=purpose,
                                    now=now)
    uow.codes.replace(code)
    subject, body = (mails or MailWriter()).code_mail(purpose, plain, account.display_name,
                                                      account.language, account.email,
                                                      code.expires_at)
    uow.mail.enqueue(account.email, subject, body, now)


def _issue_pair(uow, security: Security, account: Account, now: datetime) -> dict:
    family, refresh = TokenFamily.start(id=_new_id(), account_id=account.id, now=now,
                                        ttl=security.settings.refresh_ttl, token_id=_new_id())
    uow.tokens.add(family)
    access, expires_in = security.issuer.issue(identity_of(account, family.id),
                                               now=now.timestamp())
    return token_pair_view(access, expires_in, refresh)


def _code_error(reason: str) -> InvalidInput:
    # "missing" and "used" read like "wrong": they must not tell a stranger more than that.
    message = CodeRejected.MESSAGES["wrong" if reason in ("missing", "used") else reason]
    return InvalidInput(message, {"code": [message]})


# ----------------------------------------------------------------------- registration


def register(uow, security: Security, email, password, display_name, phone=None,
             language=None, mails: MailWriter | None = None) -> dict:
    """Create a resident account and mail it a verification code, in ``language`` (``uk`` or
    ``en``, the language the person reads from now on; Ukrainian if not given).

    An address that already has an account gets the very same answer (an account view that
    is never stored) after the same work (the password is hashed either way), so the form
    tells nobody which addresses are registered; the owner is mailed instead (at most once
    per :data:`REGISTRATION_ATTEMPT_MAIL_INTERVAL`) that someone tried.
    """
    email = normalise_email(email)
    display_name = normalise_display_name(display_name)
    phone = normalise_phone(phone)
    language = normalise_language(language)
    errors = {}
    for name, problems in (("email", email_problems(email)),
                           ("language", language_problems(language)),
                           ("display_name", display_name_problems(display_name)),
                           ("phone", phone_problems(phone)),
                           ("password", password_problems(password, email if isinstance(email, str) else None))):
        if problems:
            errors[name] = problems
    if errors:
        raise _invalid(errors)
    password_hash = security.hasher.hash(password)
    now = _now()
    account = Account.register(id=_new_id(), email=email, display_name=display_name,
                               phone=phone, password_hash=password_hash, now=now,
                               language=language)
    with uow:
        existing = uow.accounts.get_by_email(email)
        if existing is not None:
            _tell_owner_of_registration_attempt(uow, existing, now, mails)
            uow.commit()
            return account_view(account)  # the decoy: the same shape, never stored
        if uow.accounts.get_by_skeleton(email) is not None:
            raise _invalid({"email": [LOOKALIKE]})
        try:
            uow.accounts.add(account)
        except IntegrityError:  # registered a moment ago by a racing request: same answer
            return account_view(account)
        _mail_code(uow, account, CodePurpose.VERIFY_EMAIL, now, mails)
        uow.commit()
    return account_view(account)


LOOKALIKE = ("looks like an address already registered here (the same letters from another "
             "alphabet or style); register with your own address")

REGISTRATION_ATTEMPT_MAIL_INTERVAL = timedelta(hours=1)
"""Someone may submit the form for a stranger's address in a loop: the owner hears of it once
an hour at most, not once per attempt."""


def _tell_owner_of_registration_attempt(uow, owner: Account, now: datetime,
                                        mails: MailWriter | None = None) -> None:
    uow.accounts.record_audit(AuditEntry(owner.id, "registration_attempted", "anonymous", now,
                                         "sign-up with this account's email address"))
    subject, body = (mails or MailWriter()).registration_attempt_mail(owner.display_name,
                                                                      owner.language)
    if not uow.mail.queued_since(owner.email, subject, now - REGISTRATION_ATTEMPT_MAIL_INTERVAL):
        uow.mail.enqueue(owner.email, subject, body, now)


def _redeem_code(uow, email, code, purpose: CodePurpose, now):
    """In an open unit of work: redeem the account's current ``purpose`` code, returning
    ``(account, code)``; a wrong code's attempt is committed before the error is raised."""
    account = uow.accounts.get_by_email(email, for_update=True) if isinstance(email, str) else None
    stored = uow.codes.current(account.id, purpose, for_update=True) if account else None
    if stored is None:
        raise _code_error("missing")
    try:
        stored.redeem(code, now)
    except CodeRejected as rejected:
        uow.codes.save(stored)  # the failed attempt counts
        uow.commit()
        raise _code_error(rejected.reason)
    return account, stored


def verify_email(uow, email, code) -> dict:
    """Mark the email verified with the code mailed to it."""
    email = normalise_email(email)
    now = _now()
    with uow:
        account, stored = _redeem_code(uow, email, code, CodePurpose.VERIFY_EMAIL, now)
        uow.codes.save(stored)
        account.verify_email(now)
        uow.accounts.save(account)
        uow.commit()
    return {"verified": True}


def _mail_code_if(uow, email, purpose: CodePurpose, wanted,
                  mails: MailWriter | None = None) -> dict:
    """Mail a new ``purpose`` code to the account at ``email`` when ``wanted(account)``, at
    most once a minute. The answer is the same for any address: no account enumeration."""
    email = normalise_email(email)
    now = _now()
    with uow:
        account = uow.accounts.get_by_email(email, for_update=True) if isinstance(email, str) else None
        if account is not None and wanted(account):
            current = uow.codes.current(account.id, purpose)
            if current is None or current.may_resend(now):
                _mail_code(uow, account, purpose, now, mails)
                uow.commit()
    return {}


def resend_verification(uow, email, mails: MailWriter | None = None) -> dict:
    """Mail a new verification code to an unverified account."""
    return _mail_code_if(uow, email, CodePurpose.VERIFY_EMAIL,
                         lambda account: not account.verified, mails)


# ------------------------------------------------------------------------------ sign-in


def _locked_error(locked: Locked, what: str = "failed sign-ins") -> TooManyRequests:
    retry_after = int(locked.retry_after)
    return TooManyRequests(f"too many {what} from here; try again in {retry_after} s, or "
                           "reset the password", extra={"retry_after": retry_after})


def _lock_throttle(uow, email: str, client_ip) -> LoginThrottle:
    """The throttle of ``email`` from the caller's source, locked until commit."""
    return uow.throttles.lock(throttle_key(email, source_of(client_ip)), address_key(email))


def _record_failed_password(uow, security: Security, throttle: LoginThrottle, now: datetime,
                            account: Account | None) -> None:
    """Count a wrong password against its address and source, and raise the alarm when the
    address's failures from every source together cross the sustained-guessing threshold."""
    policy = security.settings.throttle
    throttle.record_failure(now, policy)
    uow.throttles.save(throttle)
    if policy.alert_after <= 0:
        return
    failures, sources = uow.throttles.failures_of_address(throttle.address,
                                                          now - policy.alert_window)
    if policy.alerts_at(failures - 1, failures):
        who = f"account {account.id}" if account is not None else "an unregistered address"
        minutes = int(policy.alert_window.total_seconds() // 60)
        log.warning("sustained password guessing: %d failed sign-ins for %s (address key "
                    "%s…) from %d source(s) within %d minutes", failures, who,
                    throttle.address[:12], sources, minutes)
        if account is not None:
            uow.accounts.record_audit(AuditEntry(
                account.id, "sign_in_guessing", "system", now,
                f"{failures} failed sign-ins from {sources} source(s) within {minutes} minutes"))


def issue_tokens(uow, security: Security, email, password, client_ip=None) -> dict:
    """Sign in with email and password: an access token and a refresh token.

    Unverified and blocked accounts may sign in (their tokens say so and other services
    refuse their state changes); deleted ones cannot, having neither email nor password.
    Wrong passwords lock the address for the source they came from (``client_ip``, as the
    gateway saw it) only: the owner elsewhere still signs in.
    """
    email = normalise_email(email)
    if not isinstance(email, str) or not email:
        raise Unauthenticated(BAD_CREDENTIALS)
    now = _now()
    with uow:
        throttle = _lock_throttle(uow, email, client_ip)
        try:
            throttle.check(now)
        except Locked as locked:
            raise _locked_error(locked)
        account = uow.accounts.get_by_email(email)
        if account is None or account.password_hash is None:
            security.hasher.burn(password)  # as slow as a real check: no enumeration by timing
            ok = False
        else:
            ok = security.hasher.verify(account.password_hash, password)
        if not ok:
            _record_failed_password(uow, security, throttle, now, account)
            uow.commit()
            raise Unauthenticated(BAD_CREDENTIALS)
        throttle.record_success()
        uow.throttles.save(throttle)
        if security.hasher.needs_rehash(account.password_hash):
            account.rehash_password(security.hasher.hash(password))
            uow.accounts.save(account)
        pair = _issue_pair(uow, security, account, now)
        uow.commit()
    return pair


def refresh_tokens(uow, security: Security, refresh_token) -> dict:
    """Trade a refresh token for a new pair; a reused token revokes its whole family."""
    if not isinstance(refresh_token, str) or not 0 < len(refresh_token) <= 200:
        raise Unauthenticated("invalid refresh token")
    now = _now()
    with uow:
        found = uow.tokens.find(hash_token(refresh_token))
        if found is None:
            raise Unauthenticated("invalid refresh token")
        family, presented = found
        try:
            successor = family.rotate(presented, now=now, ttl=security.settings.refresh_ttl,
                                      token_id=_new_id())
        except RefreshRejected as rejected:
            if rejected.reused:
                uow.tokens.save(family)
                uow.accounts.record_audit(AuditEntry(
                    family.account_id, "refresh_token_reused", "system", now,
                    f"session {family.id} revoked: a used refresh token was presented again"))
                _revoke_session(uow, family.account_id, family.id, "refresh token reused", now)
                uow.commit()
                log.warning("refresh token reuse in family %s of account %s: family revoked",
                            family.id, family.account_id)
            raise Unauthenticated(rejected.reason)
        account = uow.accounts.get(family.account_id)
        if account is None or account.is_deleted:
            raise Unauthenticated("the account no longer exists")
        uow.tokens.save(family, presented)
        access, expires_in = security.issuer.issue(identity_of(account, family.id),
                                                   now=now.timestamp())
        uow.commit()
    return token_pair_view(access, expires_in, successor)


def revoke_refresh_token(uow, refresh_token) -> dict:
    """Sign out: revoke the token's family. Unknown or already revoked tokens are fine."""
    if not isinstance(refresh_token, str) or not 0 < len(refresh_token) <= 200:
        return {}
    now = _now()
    with uow:
        found = uow.tokens.find(hash_token(refresh_token))
        if found is not None:
            family, _ = found
            if family.revoke(now, "signed out"):
                uow.tokens.save(family)
                uow.accounts.record_audit(AuditEntry(family.account_id, "signed_out",
                                                     family.account_id, now,
                                                     f"session {family.id}"))
                _revoke_session(uow, family.account_id, family.id, "signed out", now)
                uow.commit()
    return {}


# ------------------------------------------------------------------------ password reset


def request_password_reset(uow, email, mails: MailWriter | None = None) -> dict:
    """Mail a reset code if the account exists. Always ``{}``."""
    return _mail_code_if(uow, email, CodePurpose.RESET_PASSWORD,
                         lambda account: not account.is_deleted, mails)


def reset_password(uow, security: Security, email, code, new_password) -> dict:
    """Set a new password with the mailed code; signs every session out."""
    email = normalise_email(email)
    problems = password_problems(new_password, email if isinstance(email, str) else None)
    if problems:
        raise _invalid({"new_password": problems})
    now = _now()
    with uow:
        account, stored = _redeem_code(uow, email, code, CodePurpose.RESET_PASSWORD, now)
        uow.codes.save(stored)
        account.change_password(security.hasher.hash(new_password), now, by=account.id)
        account.verify_email(now)  # the code reached the mailbox: that proves it too
        uow.tokens.revoke_all(account.id, now, "password reset")
        account.revoke_access(now, "password reset")  # and every access token with them
        uow.accounts.save(account)
        _record_events(uow, account)
        # The mailbox proved the owner: no lock from any source keeps them out any longer.
        uow.throttles.clear_address(address_key(email))
        uow.commit()
    return {}


# --------------------------------------------------------------------------- who is who


def _own_account(uow, identity: Identity, for_update: bool = False) -> Account:
    if "integration" in identity.roles:
        raise Forbidden("an integration has no account; this is for people")
    account = uow.accounts.get(identity.account_id, for_update=for_update)
    if account is None or account.is_deleted:
        raise Unauthenticated("this account no longer exists")
    return account


def get_me(uow, identity: Identity) -> dict:
    with uow:
        account = _own_account(uow, identity)
    return account_view(account)


def contact_of(uow, identity: Identity, account_id) -> dict:
    """Contact details: for the person themself and for staff only."""
    if identity.account_id != account_id and not identity.is_staff:
        raise Forbidden("only staff may see another person's contact details")
    with uow:
        account = uow.accounts.get(str(account_id))
    if account is None:
        raise NotFound(f"no account {account_id}", {"account_id": ["no such account"]})
    return contact_view(account)


def public_name_of(uow, account_ids) -> dict:
    """``{id: display name}`` for public pages; unknown ids are left out."""
    if not isinstance(account_ids, (list, tuple)) or len(account_ids) > MAX_LOOKUP_IDS \
            or not all(isinstance(i, str) for i in account_ids):
        raise _invalid({"account_ids": [f"must be a list of at most {MAX_LOOKUP_IDS} ids"]})
    with uow:
        accounts = uow.accounts.get_many(sorted(set(account_ids)))
    return {a.id: a.public_name for a in accounts}


# -------------------------------------------------------------------------------- staff


def _acting_staff(uow, identity: Identity, *roles: str) -> Account:
    """The token says the caller has one of ``roles``; check the record says so too (a token
    lives 15 minutes, a demotion or a block must not)."""
    identity.require_role(*roles)
    actor = uow.accounts.get(identity.account_id)
    if actor is None or actor.is_deleted:
        raise Unauthenticated("this account no longer exists")
    if actor.status != "active":
        raise Forbidden("this account is blocked; it can only read")
    if not actor.roles & set(roles):
        raise Forbidden(f"this action needs one of the roles: {', '.join(roles)}")
    return actor


def _reason(reason) -> str:
    if not isinstance(reason, str) or not 1 <= len(reason.strip()) <= 500:
        raise _invalid({"reason": ["required, 1 to 500 characters"]})
    return reason.strip()


def set_roles(uow, identity: Identity, account_id, roles, body=None) -> dict:
    """Replace an account's roles (admin only). Executors and heads need their body's code."""
    errors = roles_problems(roles, body)
    if errors:
        raise _invalid(errors)
    now = _now()
    with uow:
        actor = _acting_staff(uow, identity, "admin")
        account = uow.accounts.get(str(account_id), for_update=True)
        if account is None:
            raise NotFound(f"no account {account_id}", {"account_id": ["no such account"]})
        if account.id == actor.id and "admin" not in roles:
            raise Conflict("an administrator cannot remove their own admin role; ask another")
        try:
            changed = account.set_roles(roles, body, by=actor.id, now=now)
        except AccountError as exc:
            raise Conflict(str(exc))
        if changed:
            uow.accounts.save(account)
            _record_events(uow, account)
            uow.commit()
    return account_view(account)


def change_status(uow, identity: Identity, account_id, reason, block: bool) -> dict:
    """Block or unblock an account (dispatcher or admin); only an admin touches an admin."""
    reason = _reason(reason)
    now = _now()
    with uow:
        actor = _acting_staff(uow, identity, "dispatcher", "admin")
        account = uow.accounts.get(str(account_id), for_update=True)
        if account is None:
            raise NotFound(f"no account {account_id}", {"account_id": ["no such account"]})
        if account.id == actor.id:
            raise Conflict("you cannot change the status of your own account")
        if "admin" in account.roles and "admin" not in actor.roles:
            raise Forbidden("only an administrator may block or unblock an administrator")
        try:
            change = account.block if block else account.unblock
            changed = change(reason=reason, by=actor.id, now=now)
        except AccountError as exc:
            raise Conflict(str(exc))
        if changed:
            uow.accounts.save(account)
            _record_events(uow, account)
            uow.commit()
    return account_view(account)


# ----------------------------------------------------------------------------- API keys


def create_api_key(uow, identity: Identity, name, scopes) -> dict:
    errors = api_key_problems(name, scopes)
    if errors:
        raise _invalid(errors)
    now = _now()
    with uow:
        actor = _acting_staff(uow, identity, "admin")
        key, plain = ApiKey.create(id=_new_id(), name=name, scopes=scopes, created_by=actor.id,
                                   now=now)
        uow.api_keys.add(key)
        uow.accounts.record_audit(AuditEntry(key.principal, "api_key_created", actor.id, now,
                                             f"{key.name}: {' '.join(key.scopes)}"))
        uow.commit()
    return {"id": key.id, "name": key.name, "scopes": list(key.scopes), "key": plain,
            "created_at": key.created_at.isoformat()}


def revoke_api_key(uow, identity: Identity, key_id) -> dict:
    now = _now()
    with uow:
        actor = _acting_staff(uow, identity, "admin")
        key = uow.api_keys.get(str(key_id), for_update=True)
        if key is None:
            raise NotFound(f"no API key {key_id}", {"key_id": ["no such API key"]})
        if key.revoke(now):
            uow.api_keys.save(key)
            uow.accounts.record_audit(AuditEntry(key.principal, "api_key_revoked", actor.id, now))
            uow.commit()
    return api_key_view(key)


def list_api_keys(uow, identity: Identity) -> list[dict]:
    with uow:
        _acting_staff(uow, identity, "admin")
        keys = uow.api_keys.all()
    return [api_key_view(k) for k in keys]


def authenticate_api_key(uow, security: Security, key) -> dict:
    """Trade an API key for a short-lived access token of the integration principal."""
    if not isinstance(key, str) or not 0 < len(key) <= 200:
        raise Unauthenticated("invalid API key")
    now = _now()
    with uow:
        found = uow.api_keys.find_by_hash(hash_token(key))
        if found is None or found.revoked_at is not None:
            raise Unauthenticated("invalid API key")
        if found.last_used_at is None or now - found.last_used_at > timedelta(minutes=1):
            uow.api_keys.touch(found.id, now)
            uow.commit()
    identity = Identity(account_id=found.principal, roles=frozenset({"integration"}),
                        status="active", verified=True, trust=INTEGRATION_TRUST,
                        scopes=frozenset(found.scopes))
    access, expires_in = security.issuer.issue(identity, now=now.timestamp())
    return token_pair_view(access, expires_in, None)


# ----------------------------------------------------------------------------- privacy


def export_my_data(uow, identity: Identity) -> dict:
    with uow:
        account = _own_account(uow, identity)
        return export_view(account, uow.accounts.audit_of(account.id),
                           uow.tokens.sessions_of(account.id), uow.codes.of_account(account.id),
                           uow.api_keys.created_by(account.id), uow.mail.of_address(account.email),
                           uow.notifications.of_account(account.id),
                           uow.followers.followed_by(account.id))


def delete_my_account(uow, security: Security, identity: Identity, password,
                      client_ip=None) -> dict:
    """Erase the caller's personal data, after checking the password once more (throttled
    as sign-in is, by address and source)."""
    now = _now()
    with uow:
        account = _own_account(uow, identity, for_update=True)
        throttle = _lock_throttle(uow, account.email, client_ip)
        try:
            throttle.check(now)
        except Locked as locked:
            raise _locked_error(locked, "wrong passwords")
        if not security.hasher.verify(account.password_hash, password):
            _record_failed_password(uow, security, throttle, now, account)
            uow.commit()
            raise _invalid({"password": ["does not match"]})
        email = account.email
        account.delete(now)
        uow.accounts.save(account)
        uow.tokens.revoke_all(account.id, now, "account deleted")
        uow.codes.delete_of_account(account.id)
        uow.mail.delete_to(email)
        uow.notifications.delete_of_account(account.id)
        uow.followers.delete_of_account(account.id)
        throttle.record_success()
        uow.throttles.save(throttle)
        _record_events(uow, account)
        uow.commit()
    return {"deleted": True}


# ------------------------------------------------------------------------------- events


def handle_appeal_state_changed(uow, settings: Settings, envelope: dict,
                                mails: MailWriter | None = None) -> bool:
    """Intake changed an appeal's state. Exactly once per event, in one transaction: a
    rejection counts against its author's trust, and the author, the appeal's supporters and
    the responsible body's staff are notified (``domain.notifications`` says who hears what). Returns True if the
    author's trust was lowered."""
    envelope, data = ev.parse_event(envelope, ev.APPEAL_STATE_CHANGED)
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return False
        lowered = False
        author_id = data.get("author_id")
        if data["state"] == "rejected" and author_id:
            # Authors may be API keys or ids from before accounts existed: nothing to count.
            account = uow.accounts.get(author_id, for_update=True)
            if account is not None:
                lowered = account.record_rejection(at=data["at"], appeal_id=data["appeal_id"],
                                                   policy=settings.trust, by=data["by"])
                uow.accounts.save(account)
                _record_events(uow, account)
        deliveries = notices.deliveries_for_state_change(data) + notices.deliveries_for_followers(
            data, uow.followers.followers_of(data["appeal_id"]))
        notifier.deliver(uow, deliveries, envelope["id"], _now(), mails)
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()
    return lowered


def handle_appeal_support(uow, envelope: dict) -> bool:
    """Intake recorded that a resident supports an appeal (``supported``: they follow it from
    now on) or withdrew that support (``support_withdrawn``: they stop). Exactly once per
    event; an older event arriving after a newer one changes nothing. True if it changed."""
    envelope, data = ev.parse_event(envelope)
    if envelope["type"] not in (ev.APPEAL_SUPPORTED, ev.APPEAL_SUPPORT_WITHDRAWN):
        raise ev.InvalidEvent(f"not a support event: {envelope['type']}")
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return False
        changed = uow.followers.set(data["appeal_id"], data["supporter_id"],
                                    envelope["type"] == ev.APPEAL_SUPPORTED, data["at"])
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()
    return changed


def _notify_once(uow, envelope: dict, event_type: str, deliveries_for,
                 mails: MailWriter | None = None) -> int:
    """Consume one event whose only effect is notifications, exactly once (inbox)."""
    envelope, data = ev.parse_event(envelope, event_type)
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return 0
        created = notifier.deliver(uow, deliveries_for(data), envelope["id"], _now(), mails)
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()
    return created


def handle_appeal_commented(uow, envelope: dict, mails: MailWriter | None = None) -> int:
    """Staff commented → tell the author; the author commented → tell the body's staff."""
    return _notify_once(uow, envelope, ev.APPEAL_COMMENTED, notices.deliveries_for_comment, mails)


def handle_confirmation_reminder_due(uow, envelope: dict, mails: MailWriter | None = None) -> int:
    """A resolved appeal still awaits its author's answer: remind them."""
    return _notify_once(uow, envelope, ev.CONFIRMATION_REMINDER_DUE,
                        notices.deliveries_for_reminder, mails)


def handle_portal_feedback_answered(uow, envelope: dict, mails: MailWriter | None = None) -> int:
    """Staff answered a resident's feedback about the portal: tell them."""
    return _notify_once(uow, envelope, ev.PORTAL_FEEDBACK_ANSWERED,
                        notices.deliveries_for_portal_feedback, mails)


def handle_badge_awarded(uow, envelope: dict, mails: MailWriter | None = None) -> int:
    """Gamification awarded a resident a badge: congratulate them."""
    return _notify_once(uow, envelope, ev.BADGE_AWARDED, notices.deliveries_for_badge, mails)


def handle_reward_granted(uow, envelope: dict, mails: MailWriter | None = None) -> int:
    """A resident was granted a reward: a certificate to download, or a gift staff hand over."""
    return _notify_once(uow, envelope, ev.REWARD_GRANTED, notices.deliveries_for_reward, mails)


def handle_level_reached(uow, settings: Settings, envelope: dict,
                         mails: MailWriter | None = None) -> bool:
    """Gamification says a resident reached a level. Exactly once per event, in one
    transaction: the account remembers the level and gets the trust it earns (audited, and
    ``trust_changed`` published, if it rose), and the resident is told in the app. Returns
    True if trust rose."""
    envelope, data = ev.parse_event(envelope, ev.LEVEL_REACHED)
    now = _now()
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return False
        raised = False
        account = uow.accounts.get(data["resident_id"], for_update=True)
        if account is not None and not account.is_deleted:
            raised = account.reach_level(data["level"], now=now, policy=settings.trust)
            uow.accounts.save(account)
            _record_events(uow, account)
        trust = account.trust_level if raised else None
        notifier.deliver(uow, notices.deliveries_for_level(data, raised_trust=trust),
                         envelope["id"], now, mails)
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()
    return raised


def handle_sla_warning(uow, envelope: dict, mails: MailWriter | None = None) -> int:
    """An appeal's deadline is near: tell the body's executors (in the app only)."""
    return _notify_once(uow, envelope, ev.SLA_WARNING, notices.deliveries_for_sla_warning, mails)


def handle_appeal_escalated(uow, envelope: dict, mails: MailWriter | None = None) -> int:
    """An appeal was escalated: tell the body's heads, or the admins if it has none."""
    return _notify_once(uow, envelope, ev.APPEAL_ESCALATED, notices.deliveries_for_escalation,
                        mails)


# ------------------------------------------------------------------------ notifications


def _encode_cursor(notification) -> str:
    return base64.urlsafe_b64encode(json.dumps(
        [notification.created_at.isoformat(), notification.id]).encode()).decode()


def _decode_cursor(cursor: str | None):
    if not cursor:
        return None
    try:
        created_at, notification_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        created_at = datetime.fromisoformat(created_at)
        if created_at.tzinfo is None:
            raise ValueError("naive time")
        return created_at, str(notification_id)
    except (ValueError, TypeError):
        raise _invalid({"cursor": ["not a cursor this API issued"]})


def my_notifications(uow, identity: Identity, params=None) -> dict:
    """The caller's notifications, newest first: ``{items, next_cursor, unread_count}``."""
    data = load_or_invalid(MyNotificationsIn(), params if params is not None else {})
    after = _decode_cursor(data["cursor"])
    with uow:
        account = _own_account(uow, identity)
        page = uow.notifications.page(account.id, data["limit"] + 1,
                                      unread_only=data["unread_only"], after=after)
        unread = uow.notifications.unread_count(account.id)
    items = page[:data["limit"]]
    return {"items": [notification_view(n) for n in items],
            "next_cursor": _encode_cursor(items[-1]) if len(page) > data["limit"] else None,
            "unread_count": unread}


def mark_notifications_read(uow, identity: Identity, payload) -> dict:
    """Mark some (``ids``) or ``all`` of the caller's notifications read → ``{updated}``.
    Ids of someone else's notifications (or unknown ones) are ignored, not revealed."""
    data = load_or_invalid(MarkNotificationsReadIn(), payload)
    with uow:
        account = _own_account(uow, identity)
        updated = uow.notifications.mark_read(
            account.id, None if data.get("all") else sorted(set(data["ids"])), _now())
        uow.commit()
    return {"updated": updated}


def set_email_notifications(uow, identity: Identity, payload) -> dict:
    """Turn email copies of the caller's notifications on or off → the account."""
    return set_preferences(uow, identity, load_or_invalid(EmailNotificationsIn(), payload))


def set_preferences(uow, identity: Identity, payload) -> dict:
    """Change any of the caller's preferences (``email_notifications``, ``language``), each
    change audited → the account."""
    data = load_or_invalid(PreferencesIn(), payload)
    now = _now()
    with uow:
        account = _own_account(uow, identity, for_update=True)
        changed = False
        if "email_notifications" in data:
            changed |= account.set_email_notifications(data["email_notifications"], now)
        if "language" in data:
            changed |= account.set_language(data["language"], now)
        if changed:
            uow.accounts.save(account)
            uow.commit()
    return account_view(account)


# -------------------------------------------------------------------------- maintenance


def restore_trust(uow, settings: Settings) -> int:
    """Lift trust 0 back to 1 for accounts quiet long enough. Returns how many."""
    with uow:
        candidates = uow.accounts.ids_with_trust(0)
    restored = 0
    for account_id in candidates:
        with uow:
            account = uow.accounts.get(account_id, for_update=True)
            if account is not None and account.restore_trust(_now(), settings.trust):
                uow.accounts.save(account)
                _record_events(uow, account)
                uow.commit()
                restored += 1
    return restored


def apply_earned_trust(uow, settings: Settings) -> int:
    """Give the trust their level earns to residents a block or a moderation penalty kept from
    it when they reached the level, now that it is over. Returns how many."""
    now = _now()
    with uow:
        candidates = uow.accounts.ids_below_earned_trust(settings.trust.earned_from_level,
                                                         now - settings.trust.window)
    raised = 0
    for account_id in candidates:
        with uow:
            account = uow.accounts.get(account_id, for_update=True)
            if account is not None and account.apply_earned_trust(now, settings.trust):
                uow.accounts.save(account)
                _record_events(uow, account)
                uow.commit()
                raised += 1
    return raised


def purge_expired(uow, keep_mail: timedelta = timedelta(days=7)) -> dict:
    """Forget what can no longer matter: expired codes and refresh tokens, idle throttles,
    delivered mail (it holds addresses)."""
    now = _now()
    with uow:
        purged = {
            "codes": uow.codes.purge_expired(now - timedelta(days=1)),
            "refresh_tokens": uow.tokens.purge_expired(now),
            "throttles": uow.throttles.purge_idle(now - timedelta(days=1)),
            "mail": uow.mail.purge_finished(now - keep_mail),
        }
        uow.commit()
    return purged


def revocations(uow, security: Security) -> dict:
    """What token verifiers must know at start: accounts whose tokens were voided and sessions
    revoked within an access token's lifetime (older revocations only concern expired tokens).
    ``{"accounts": [[id, auth_version, at]], "sessions": [[session id, at]]}``."""
    since = _now() - timedelta(seconds=security.issuer.ttl_seconds + 60)
    with uow:
        accounts = uow.accounts.auth_versions_changed_since(since)
        sessions = uow.tokens.revoked_since(since)
    return {"accounts": [[i, v, at.isoformat()] for i, v, at in accounts],
            "sessions": [[i, at.isoformat()] for i, at in sessions]}


def health(uow) -> dict:
    with uow:
        uow.session.execute(text("SELECT 1"))
    return {"database": "ok"}
