"""Unit tests of accounts' domain rules: plain Python, no broker, no database."""
from datetime import datetime, timedelta, timezone

import pytest

from accounts.domain.api_keys import ApiKey, api_key_problems
from accounts.domain.codes import MAX_ATTEMPTS, CodePurpose, CodeRejected, OneTimeCode
from accounts.domain.model import (
    AccessRevoked,
    Account,
    AccountDeleted,
    AccountError,
    StatusChanged,
    TrustChanged,
    TrustPolicy,
    email_problems,
    normalise_email,
    normalise_phone,
    phone_problems,
    roles_problems,
)
from accounts.domain.passwords import password_problems
from accounts.domain.throttling import Locked, LoginThrottle, ThrottlePolicy
from accounts.domain.tokens import RefreshRejected, TokenFamily, hash_token

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def new_account(**overrides) -> Account:
    fields = dict(id="acc-1", email="olena@example.org", display_name="Олена Коваль",
                  password_hash="$argon2id$…", now=T0)
    fields.update(overrides)
    return Account.register(**fields)


# ------------------------------------------------------------------------------ passwords


@pytest.mark.parametrize("password, problem", [
    ("short", "at least 10"),
    ("olena@example.org", "email"),
    ("Qwertyuiop", "common"),
    ("йцукенгшщз", "common"),
    ("zzzzzzzzzzzz", "common"),
    ("x" * 300, "at most"),
])
def test_password_policy_refuses_weak_passwords(password, problem):
    problems = password_problems(password, "olena@example.org")
    assert any(problem in p for p in problems), problems


def test_password_policy_accepts_a_passphrase_and_the_demo_password():
    assert password_problems("correct horse battery", "olena@example.org") == []
    assert password_problems("demo-password", "resident@demo.hromada") == []
    assert password_problems(None) == ["must be a string"]


# ------------------------------------------------------------------------------ personal data


def test_email_and_phone_are_normalised_and_checked():
    assert normalise_email("  Olena.Koval@Example.ORG ") == "olena.koval@example.org"
    assert email_problems("not-an-email") and email_problems("")
    assert normalise_phone("+380 (44) 123-45-67") == "+380441234567"
    assert phone_problems("+380441234567") == []
    assert phone_problems("0441234567") and phone_problems("+0123")


def test_executors_and_heads_need_a_body_and_integration_is_not_a_persons_role():
    assert roles_problems(["executor"], None) == {"body": ["required for the role(s) ['executor']"]}
    assert roles_problems(["head"], "kyivavtodor") == {}
    assert "body" in roles_problems(["dispatcher"], "kyivavtodor")
    assert "roles" in roles_problems(["integration"], None)
    assert "roles" in roles_problems(["mayor"], None)
    assert "roles" in roles_problems([], None)
    assert "body" in roles_problems(["executor"], "Not A Code!")


# ---------------------------------------------------------------------------------- codes


def test_a_code_works_once_and_only_before_it_expires():
    code, plain = OneTimeCode.issue(id="c1", account_id="acc-1",
                                    purpose=CodePurpose.VERIFY_EMAIL, now=T0)
    assert len(plain) == 6 and plain.isdigit() and plain not in code.code_hash
    code.redeem(plain, T0 + timedelta(minutes=14))
    assert code.used_at is not None
    with pytest.raises(CodeRejected) as rejected:
        code.redeem(plain, T0 + timedelta(minutes=14))
    assert rejected.value.reason == "used"

    late, plain = OneTimeCode.issue(id="c2", account_id="acc-1",
                                    purpose=CodePurpose.VERIFY_EMAIL, now=T0)
    with pytest.raises(CodeRejected) as rejected:
        late.redeem(plain, T0 + timedelta(minutes=15))
    assert rejected.value.reason == "expired"


def test_five_wrong_guesses_exhaust_a_code_even_for_the_right_one_after():
    code, plain = OneTimeCode.issue(id="c1", account_id="acc-1",
                                    purpose=CodePurpose.RESET_PASSWORD, now=T0)
    wrong = f"{(int(plain) + 1) % 10 ** 6:06d}"
    reasons = []
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(CodeRejected) as rejected:
            code.redeem(wrong, T0)
        reasons.append(rejected.value.reason)
    assert reasons == ["wrong"] * (MAX_ATTEMPTS - 1) + ["exhausted"]
    with pytest.raises(CodeRejected) as rejected:
        code.redeem(plain, T0)
    assert rejected.value.reason == "exhausted" and code.attempts == MAX_ATTEMPTS


def test_a_new_code_is_mailed_at_most_once_a_minute():
    code, _ = OneTimeCode.issue(id="c1", account_id="a", purpose=CodePurpose.VERIFY_EMAIL, now=T0)
    assert not code.may_resend(T0 + timedelta(seconds=59))
    assert code.may_resend(T0 + timedelta(seconds=60))


# ------------------------------------------------------------------------------ throttling


def test_throttle_schedule_locks_after_five_failures_doubling_up_to_an_hour():
    policy = ThrottlePolicy()
    schedule = [policy.lock_for(n) for n in range(1, 14)]
    assert schedule[:4] == [None] * 4
    assert [int(s.total_seconds()) for s in schedule[4:]] == [
        60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_a_locked_address_says_when_to_retry_and_a_success_resets_it():
    policy = ThrottlePolicy()
    throttle = LoginThrottle(key="k")
    for second in range(5):
        throttle.check(T0 + timedelta(seconds=second))
        throttle.record_failure(T0 + timedelta(seconds=second), policy)
    with pytest.raises(Locked) as locked:
        throttle.check(T0 + timedelta(seconds=10))
    assert locked.value.retry_after == 54
    throttle.check(T0 + timedelta(seconds=64))  # the lock is over
    assert throttle.record_failure(T0 + timedelta(seconds=65), policy) == timedelta(minutes=2)
    throttle.record_success()
    assert throttle.is_clear
    throttle.check(T0 + timedelta(seconds=66))


def test_old_failures_are_forgotten():
    policy = ThrottlePolicy()
    throttle = LoginThrottle(key="k")
    for _ in range(4):
        throttle.record_failure(T0, policy)
    assert throttle.record_failure(T0 + timedelta(days=2), policy) is None
    assert throttle.failures == 1


# -------------------------------------------------------------------------- refresh tokens


def test_refresh_rotates_and_a_reused_token_revokes_the_whole_family():
    ttl = timedelta(days=30)
    family, first = TokenFamily.start(id="f1", account_id="acc-1", now=T0, ttl=ttl, token_id="t1")
    (first_record,) = family.new_tokens
    assert first_record.token_hash == hash_token(first) and first not in first_record.token_hash
    family.new_tokens.clear()

    second = family.rotate(first_record, now=T0 + timedelta(minutes=15), ttl=ttl, token_id="t2")
    assert second != first and first_record.used_at is not None
    (second_record,) = family.new_tokens

    # The thief (or the victim) presents the first token again.
    with pytest.raises(RefreshRejected) as rejected:
        family.rotate(first_record, now=T0 + timedelta(minutes=16), ttl=ttl, token_id="t3")
    assert rejected.value.reused and family.revoked_at is not None
    # ...and the legitimate successor dies with the family.
    with pytest.raises(RefreshRejected) as rejected:
        family.rotate(second_record, now=T0 + timedelta(minutes=17), ttl=ttl, token_id="t4")
    assert not rejected.value.reused


def test_an_expired_refresh_token_is_refused_and_revocation_is_idempotent():
    ttl = timedelta(days=30)
    family, _ = TokenFamily.start(id="f1", account_id="acc-1", now=T0, ttl=ttl, token_id="t1")
    (token,) = family.new_tokens
    with pytest.raises(RefreshRejected):
        family.rotate(token, now=T0 + ttl, ttl=ttl, token_id="t2")
    assert family.revoke(T0, "signed out") is True
    assert family.revoke(T0, "signed out") is False


# ---------------------------------------------------------------------------------- trust


def test_three_rejections_within_30_days_lower_trust_to_zero_once():
    account = new_account()
    policy = TrustPolicy()
    assert account.trust_level == 1
    assert not account.record_rejection(at=T0, appeal_id="a1", policy=policy)
    assert not account.record_rejection(at=T0 + timedelta(days=10), appeal_id="a2", policy=policy)
    assert account.record_rejection(at=T0 + timedelta(days=29), appeal_id="a3", policy=policy)
    assert account.trust_level == 0
    assert [e for e in account.events if isinstance(e, TrustChanged)] == [
        TrustChanged("acc-1", 0, "3 appeals rejected within 30 days", T0 + timedelta(days=29))]
    assert not account.record_rejection(at=T0 + timedelta(days=30), appeal_id="a4", policy=policy)


def test_rejections_spread_wider_than_the_window_do_not_lower_trust():
    account = new_account()
    policy = TrustPolicy()
    for days in (0, 20, 40, 60):
        assert not account.record_rejection(at=T0 + timedelta(days=days), appeal_id=f"a{days}",
                                            policy=policy)
    assert account.trust_level == 1
    assert len(account.rejections) == 2  # only the window is kept


def test_trust_returns_to_one_after_30_quiet_days():
    account = new_account()
    policy = TrustPolicy()
    for day in (0, 1, 2):
        account.record_rejection(at=T0 + timedelta(days=day), appeal_id=f"a{day}", policy=policy)
    assert not account.restore_trust(T0 + timedelta(days=31), policy)
    assert account.restore_trust(T0 + timedelta(days=32), policy)
    assert account.trust_level == 1 and isinstance(account.events[-1], TrustChanged)


# -------------------------------------------------------------------------- status, deletion


def test_blocking_is_audited_emits_an_event_and_is_idempotent():
    account = new_account()
    assert account.block(reason="spam", by="disp-1", now=T0)
    assert not account.block(reason="spam again", by="disp-1", now=T0)
    assert account.events == [StatusChanged("acc-1", "blocked", "spam", "disp-1", T0),
                              AccessRevoked("acc-1", None, 1, "blocked", T0)]
    assert [a.action for a in account.audit] == ["registered", "blocked"]


def test_deleting_erases_the_person_and_keeps_the_record():
    account = new_account(phone="+380441234567")
    account.verify_email(T0)
    account.delete(T0 + timedelta(days=1))
    assert (account.email, account.phone, account.display_name, account.password_hash) == (None,) * 4
    assert account.status == "deleted" and account.public_name == "deleted account"
    assert not account.roles and isinstance(account.events[-2], AccountDeleted)
    assert account.events[-1] == AccessRevoked(account.id, None, account.auth_version,
                                               "deleted", account.deleted_at)
    with pytest.raises(AccountError):
        account.block(reason="x", by="y", now=T0)


# -------------------------------------------------------------------------------- API keys


def test_api_keys_are_shown_once_and_stored_hashed():
    key, plain = ApiKey.create(id="k1", name="Kyivavtodor back office",
                               scopes=["appeals:read", "events:read"], created_by="adm", now=T0)
    assert plain.startswith("hk_") and key.key_hash == hash_token(plain)
    assert key.principal == "apikey:k1"
    assert api_key_problems("ok", ["appeals:delete"]) == {
        "scopes": ["unknown scope; allowed: ['appeals:read', 'appeals:write', 'events:read']"]}
    assert set(api_key_problems("", [])) == {"name", "scopes"}


# ------------------------------------------------------------- input hygiene (issue 10, 12)


@pytest.mark.parametrize("password", [" " * 12, "\t \u3000 " * 4, "\n" * 20])
def test_a_password_of_only_spaces_is_refused(password):
    assert password_problems(password) == ["must not be only spaces"]


@pytest.mark.parametrize("password", ["1029384756", "0147258369", "1qaz2wsx3edc4rfv",
                                      "Password123", "QWERTYUIOP", "  iloveyou12  "])
def test_common_passwords_from_the_breach_list_are_refused(password):
    assert "is one of the most common passwords; choose another" in password_problems(password)


def test_a_long_uncommon_passphrase_is_fine():
    assert password_problems("correct horse battery staple") == []


@pytest.mark.parametrize("email", ["user@[192.0.2.1]", "user@[IPv6:2001:db8::1]",
                                   "user@192.0.2.1", "user@2001:db8::1"])
def test_an_email_at_an_ip_address_is_refused(email):
    from accounts.domain.model import email_problems

    assert email_problems(email) == ["must name a mail domain, not an IP address"]


@pytest.mark.parametrize("lookalike", [
    "раypal@example.org",     # Cyrillic р and а
    "ｐａｙｐａｌ@example.org",  # fullwidth
    "𝐩𝐚𝐲𝐩𝐚𝐥@example.org",      # mathematical bold
    "PayPal@Example.org",     # case
    "paypa1@example.org",     # digit one for l
    "paypal@exarnple.org",    # rn for m
])
def test_look_alike_addresses_share_a_skeleton(lookalike):
    from accounts.domain.lookalikes import skeleton

    assert skeleton(lookalike) == skeleton("paypal@example.org")


@pytest.mark.parametrize("different", ["paypals@example.org", "pay.pal@example.org",
                                       "paypal@example.com", "olena@example.org"])
def test_different_addresses_keep_different_skeletons(different):
    from accounts.domain.lookalikes import skeleton

    assert skeleton(different) != skeleton("paypal@example.org")


def test_every_change_a_token_states_raises_the_auth_version():
    account = new_account()
    account.set_roles(["executor"], "kyivavtodor", by="admin-1", now=T0)
    account.set_roles(["executor"], "kyivavtodor", by="admin-1", now=T0)  # no change, no raise
    account.block(reason="spam", by="disp-1", now=T0)
    account.unblock(reason="appealed", by="disp-1", now=T0)
    account.delete(T0)
    revoked = [e for e in account.events if isinstance(e, AccessRevoked)]
    assert [(e.auth_version, e.reason) for e in revoked] == [
        (1, "roles changed"), (2, "blocked"), (3, "unblocked"), (4, "deleted")]
    assert account.auth_version == 4 and account.auth_changed_at == T0
