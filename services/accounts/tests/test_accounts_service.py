"""Interface tests of the accounts service: a real nameko container against real RabbitMQ (a
throwaway vhost), real PostgreSQL (a throwaway database) and a real SMTP conversation with
the development mail sink."""
from datetime import datetime, timedelta, timezone

import uuid

import pytest
from nameko.testing.services import entrypoint_waiter

from hromada_common import events as ev
from hromada_common.auth import TooManyRequests, Unauthenticated
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from hromada_common.testing.helpers import publish_events, wait_until

from .conftest import PASSWORD, call, unique_email, wait_for_code


def register(container, email=None, **overrides):
    args = {"email": email or unique_email(), "password": PASSWORD,
            "display_name": "Олена Коваль"} | overrides
    return call(container, "register", **args)


# ----------------------------------------------------------------- registration, sign-in


def test_resident_registers_verifies_by_mailed_code_and_signs_in(
        accounts_container, mail_sink, verifier):
    email = unique_email()
    account = register(accounts_container, email.upper(), phone="+380 44 123 45 67")
    assert account["email"] == email and account["phone"] == "+380441234567"
    assert account["roles"] == ["resident"] and account["status"] == "active"
    assert account["verified"] is False and account["trust_level"] == 1

    code = wait_for_code(mail_sink[1], email)  # travelled over SMTP to the sink
    assert call(accounts_container, "verify_email", email, code) == {"verified": True}

    tokens = call(accounts_container, "issue_tokens", email, PASSWORD)
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    identity = verifier.verify(tokens["access_token"])
    assert identity.account_id == account["id"] and identity.verified is True
    assert identity.roles == {"resident"} and identity.trust == 1 and not identity.is_blocked

    me = call(accounts_container, "get_me", token=tokens["access_token"])
    assert me["id"] == account["id"] and me["verified"] is True and me["body"] is None


def test_verification_mail_is_bilingual_and_from_the_configured_sender(accounts_container,
                                                                        mail_sink):
    from deploy.mailsink import messages_to, text_of

    email = unique_email()
    register(accounts_container, email)
    wait_for_code(mail_sink[1], email)
    (message,) = messages_to(mail_sink[1], email)
    assert message["Subject"] == "Громада: підтвердження адреси / Hromada: verify your email"
    assert "no-reply@hromada.test" in message["From"]
    assert "Ваш код" in text_of(message) and "Your code" in text_of(message)


def test_unverified_account_can_sign_in_and_its_token_says_so(accounts_container, verifier):
    email = unique_email()
    register(accounts_container, email)
    tokens = call(accounts_container, "issue_tokens", email, PASSWORD)
    assert verifier.verify(tokens["access_token"]).verified is False


def test_registration_names_every_bad_field(accounts_container):
    with pytest.raises(InvalidInput) as err:
        register(accounts_container, "not-an-email", password="short", display_name="",
                 phone="12345")
    assert set(err.value.fields) == {"email", "password", "display_name", "phone"}


def test_registering_a_taken_email_answers_as_for_a_new_one_and_tells_the_owner(
        accounts_container, mail_sink, database):
    from deploy.mailsink import messages_to, text_of

    email = unique_email()
    first = register(accounts_container, email)
    wait_for_code(mail_sink[1], email)
    other_password = "another long passphrase"
    again = register(accounts_container, email.title(), password=other_password,
                     display_name="Хтось Інший")
    assert set(again) == set(first)  # the same shape, nothing tells the two apart
    assert again["id"] != first["id"] and again["email"] == email
    assert (again["verified"], again["roles"], again["status"]) == (False, ["resident"], "active")

    def attempt_mails():
        return [m for m in messages_to(mail_sink[1], email) if "tried to sign up" in m["Subject"]]

    (warning,) = wait_until(attempt_mails, timeout=15, message="the owner to be told")
    assert "Олена Коваль" in text_of(warning) and "password-reset" in text_of(warning)
    # nothing about the real account changed: the old password still works, the new one not
    call(accounts_container, "issue_tokens", email, PASSWORD)
    with pytest.raises(Unauthenticated):
        call(accounts_container, "issue_tokens", email, other_password)
    with database() as uow:
        assert uow.accounts.get(again["id"]) is None
        audit = [e.action for e in uow.accounts.audit_of(first["id"])]
    assert audit.count("registration_attempted") == 1
    # a loop of attempts mails the owner once an hour, not once per attempt
    register(accounts_container, email)
    with database() as uow:
        queued = [m for m in uow.mail.of_address(email) if "tried to sign up" in m.subject]
        assert [e.action for e in uow.accounts.audit_of(first["id"])].count(
            "registration_attempted") == 2
    assert len(queued) == 1


def test_registration_refuses_blank_and_common_passwords_and_ip_address_emails(
        accounts_container):
    for password, message in ((" " * 16, "must not be only spaces"),
                              ("1029384756", "is one of the most common passwords; choose another")):
        with pytest.raises(InvalidInput) as err:
            register(accounts_container, password=password)
        assert err.value.fields == {"password": [message]}
    with pytest.raises(InvalidInput) as err:
        register(accounts_container, "olena@[192.0.2.1]")
    assert err.value.fields == {"email": ["must name a mail domain, not an IP address"]}


def test_a_look_alike_of_a_registered_address_is_refused(accounts_container, make_account,
                                                         sign_in, database):
    from hromada_common.errors import InvalidInput as Invalid

    label = uuid.uuid4().hex[:8]
    original = register(accounts_container, f"moderator.{label}@example.org")
    for lookalike in (f"mоderatоr.{label}@example.org",           # Cyrillic о
                      f"ｍoderator.{label}@example.org",           # fullwidth m
                      f"rnoderator.{label}@example.org"):          # r + n for m
        with pytest.raises(Invalid) as err:
            register(accounts_container, lookalike)
        assert list(err.value.fields) == ["email"] and "looks like" in err.value.fields["email"][0]
    with database() as uow:
        assert uow.accounts.get_by_email(f"mоderatоr.{label}@example.org") is None
    # once the original is deleted, nothing of it is kept, its skeleton neither
    tokens = call(accounts_container, "issue_tokens", original["email"], PASSWORD)
    call(accounts_container, "delete_my_account", PASSWORD, token=tokens["access_token"])
    assert register(accounts_container, f"mоderatоr.{label}@example.org")["verified"] is False


def test_wrong_code_is_refused_and_five_wrong_codes_exhaust_it(accounts_container, mail_sink):
    email = unique_email()
    register(accounts_container, email)
    code = wait_for_code(mail_sink[1], email)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for _ in range(5):
        with pytest.raises(InvalidInput) as err:
            call(accounts_container, "verify_email", email, wrong)
        assert "code" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        call(accounts_container, "verify_email", email, code)
    assert "too many wrong attempts" in err.value.fields["code"][0]
    # an unknown address gets the same kind of answer as a wrong code
    with pytest.raises(InvalidInput) as err:
        call(accounts_container, "verify_email", unique_email(), code)
    assert err.value.fields == {"code": ["the code is wrong"]}


def test_resend_verification_answers_the_same_for_unknown_addresses(accounts_container):
    assert call(accounts_container, "resend_verification", unique_email()) == {}
    email = unique_email()
    register(accounts_container, email)
    assert call(accounts_container, "resend_verification", email) == {}


def test_unknown_email_and_wrong_password_get_the_same_answer(accounts_container, make_account):
    account = make_account()
    with pytest.raises(Unauthenticated) as unknown:
        call(accounts_container, "issue_tokens", unique_email(), PASSWORD)
    with pytest.raises(Unauthenticated) as wrong:
        call(accounts_container, "issue_tokens", account.email, "wrong password!")
    assert str(unknown.value) == str(wrong.value) == "invalid email or password"


def call_from(container, client_ip, method, *args, token=None, **kwargs):
    """Call as the gateway does for a client at ``client_ip`` (``hromada.client_ip``)."""
    from nameko.testing.services import entrypoint_hook

    context = {"hromada.client_ip": client_ip} | ({"hromada.auth": token} if token else {})
    with entrypoint_hook(container, method, context_data=context) as hook:
        return hook(*args, **kwargs)


def test_five_wrong_passwords_lock_the_address_from_that_source_only(accounts_container,
                                                                      make_account):
    account = make_account()
    attacker, owner = "203.0.113.7", "198.51.100.20"
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            call_from(accounts_container, attacker, "issue_tokens", account.email, "wrong password!")
    with pytest.raises(TooManyRequests) as locked:
        call_from(accounts_container, attacker, "issue_tokens", account.email, PASSWORD)
    retry_after = locked.value.extra["retry_after"]
    assert isinstance(retry_after, int) and 55 <= retry_after <= 60
    # the owner, anywhere else, is not locked out by someone else's guessing
    assert call_from(accounts_container, owner, "issue_tokens", account.email, PASSWORD)
    # an IPv6 client is one source per /64: hopping addresses inside it does not help
    for suffix in range(5):
        with pytest.raises(Unauthenticated):
            call_from(accounts_container, f"2001:db8:1:2::{suffix + 1}", "issue_tokens",
                      account.email, "wrong password!")
    with pytest.raises(TooManyRequests):
        call_from(accounts_container, "2001:db8:1:2::99", "issue_tokens", account.email, PASSWORD)
    # unknown addresses are throttled the same way: a lock reveals nothing
    stranger = unique_email()
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            call_from(accounts_container, attacker, "issue_tokens", stranger, "wrong password!")
    with pytest.raises(TooManyRequests):
        call_from(accounts_container, attacker, "issue_tokens", stranger, "wrong password!")


def test_a_password_reset_lifts_every_lock_on_the_address(accounts_container, make_account,
                                                          mail_sink):
    account = make_account()
    shared_office_ip = "192.0.2.44"  # the guesser and the owner behind one NAT
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            call_from(accounts_container, shared_office_ip, "issue_tokens", account.email, "nope nope!")
    with pytest.raises(TooManyRequests):
        call_from(accounts_container, shared_office_ip, "issue_tokens", account.email, PASSWORD)
    # the reset link works while the lock holds
    assert call_from(accounts_container, shared_office_ip, "request_password_reset",
                     account.email) == {}
    code = wait_for_code(mail_sink[1], account.email)
    new_password = "a brand new passphrase"
    call_from(accounts_container, shared_office_ip, "reset_password", account.email, code,
              new_password)
    assert call_from(accounts_container, shared_office_ip, "issue_tokens", account.email,
                     new_password)


@pytest.fixture
def alerting_accounts(container_factory, accounts_config):
    from accounts.service import AccountsService

    container = container_factory(AccountsService, accounts_config | {
        "LOGIN_GUESSING_ALERT_FAILURES": 8})
    container.start()
    return container


def test_guessing_spread_over_many_sources_raises_the_alarm_not_a_lock(
        alerting_accounts, make_account, database, accounts_config, caplog):
    from deploy.ops import sign_in_guessing

    account = make_account(roles=("admin",))
    sources = [f"203.0.113.{n}" for n in range(1, 5)]
    with caplog.at_level("WARNING", logger="accounts.service_layer.handlers"):
        for _ in range(2):
            for source in sources:  # 4 sources × 2 = 8 failures: none of them locked
                with pytest.raises(Unauthenticated):
                    call_from(alerting_accounts, source, "issue_tokens", account.email, "guess guess")
    alerts = [r for r in caplog.records if "sustained password guessing" in r.getMessage()]
    assert len(alerts) == 1 and alerts[0].levelname == "WARNING"
    assert account.id in alerts[0].getMessage() and "4 source(s)" in alerts[0].getMessage()
    with database() as uow:
        audit = [e for e in uow.accounts.audit_of(account.id) if e.action == "sign_in_guessing"]
    assert len(audit) == 1 and "8 failed sign-ins from 4 source(s)" in audit[0].reason
    # the admin is not locked out: an alert, not a lock, answers distributed guessing
    assert call_from(alerting_accounts, "198.51.100.1", "issue_tokens", account.email, PASSWORD)
    # and operators see the figure (python -m deploy.ops sign-ins)
    (row,) = [r for r in sign_in_guessing(accounts_config["DATABASE_URL"])
              if r["account_id"] == account.id]
    assert (row["failures"], row["sources"], row["locked_sources"]) == (8, 4, 0)


# ------------------------------------------------------------------------- refresh, logout


def test_refresh_rotates_and_reusing_an_old_token_signs_the_session_out(
        accounts_container, make_account, verifier):
    account = make_account()
    first = call(accounts_container, "issue_tokens", account.email, PASSWORD)
    second = call(accounts_container, "refresh_tokens", first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert verifier.verify(second["access_token"]).account_id == account.id

    # the first token shows up again: someone copied it
    with pytest.raises(Unauthenticated) as reused:
        call(accounts_container, "refresh_tokens", first["refresh_token"])
    assert "already used" in str(reused.value)
    # the whole family is gone, including the legitimate successor
    with pytest.raises(Unauthenticated):
        call(accounts_container, "refresh_tokens", second["refresh_token"])
    # other sessions of the same person are untouched
    other = call(accounts_container, "issue_tokens", account.email, PASSWORD)
    assert call(accounts_container, "refresh_tokens", other["refresh_token"])["access_token"]
    with pytest.raises(Unauthenticated):
        call(accounts_container, "refresh_tokens", "made-up-token")


def test_logout_revokes_the_session_and_is_idempotent(accounts_container, make_account):
    account = make_account()
    tokens = call(accounts_container, "issue_tokens", account.email, PASSWORD)
    assert call(accounts_container, "revoke_refresh_token", tokens["refresh_token"]) == {}
    assert call(accounts_container, "revoke_refresh_token", tokens["refresh_token"]) == {}
    assert call(accounts_container, "revoke_refresh_token", "never-issued") == {}
    with pytest.raises(Unauthenticated):
        call(accounts_container, "refresh_tokens", tokens["refresh_token"])


def test_password_reset_by_mailed_code_signs_out_every_session(accounts_container, make_account,
                                                               mail_sink):
    account = make_account()
    tokens = call(accounts_container, "issue_tokens", account.email, PASSWORD)
    assert call(accounts_container, "request_password_reset", account.email) == {}
    assert call(accounts_container, "request_password_reset", unique_email()) == {}
    code = wait_for_code(mail_sink[1], account.email)

    with pytest.raises(InvalidInput) as err:
        call(accounts_container, "reset_password", account.email, code, "short")
    assert "new_password" in err.value.fields
    new_password = "a brand new passphrase"
    assert call(accounts_container, "reset_password", account.email, code, new_password) == {}

    with pytest.raises(Unauthenticated):
        call(accounts_container, "refresh_tokens", tokens["refresh_token"])
    with pytest.raises(Unauthenticated):
        call(accounts_container, "issue_tokens", account.email, PASSWORD)
    assert call(accounts_container, "issue_tokens", account.email, new_password)["access_token"]
    with pytest.raises(InvalidInput):  # a code works once
        call(accounts_container, "reset_password", account.email, code, "yet another passphrase")


# ---------------------------------------------------------------------------- who is who


def test_contact_details_are_for_the_person_and_staff_only(accounts_container, make_account,
                                                           sign_in):
    olena = make_account()
    andriy = make_account()
    dispatcher = make_account(roles=("dispatcher",))
    own = call(accounts_container, "contact_of", olena.id, token=sign_in(olena)["access_token"])
    assert own == {"id": olena.id, "display_name": olena.display_name, "email": olena.email,
                   "phone": None}
    with pytest.raises(Forbidden):
        call(accounts_container, "contact_of", olena.id, token=sign_in(andriy)["access_token"])
    seen = call(accounts_container, "contact_of", olena.id,
                token=sign_in(dispatcher)["access_token"])
    assert seen["email"] == olena.email
    with pytest.raises(NotFound):
        call(accounts_container, "contact_of", "no-such-id",
             token=sign_in(dispatcher)["access_token"])
    with pytest.raises(Unauthenticated):
        call(accounts_container, "contact_of", olena.id)


def test_public_names_for_public_pages(accounts_container, make_account):
    olena = make_account(name="Олена Коваль")
    andriy = make_account(name="Андрій Шевченко")
    names = call(accounts_container, "public_name_of", [olena.id, andriy.id, "unknown"])
    assert names == {olena.id: "Олена Коваль", andriy.id: "Андрій Шевченко"}
    with pytest.raises(InvalidInput):
        call(accounts_container, "public_name_of", "not-a-list")


# --------------------------------------------------------------------------------- staff


def test_only_an_admin_sets_roles_and_executors_need_a_body(accounts_container, make_account,
                                                            sign_in, verifier):
    admin = make_account(roles=("admin",))
    resident = make_account()
    admin_token = sign_in(admin)["access_token"]
    with pytest.raises(Forbidden):
        call(accounts_container, "set_roles", resident.id, ["admin"],
             token=sign_in(resident)["access_token"])
    with pytest.raises(InvalidInput) as err:
        call(accounts_container, "set_roles", resident.id, ["executor"], token=admin_token)
    assert "body" in err.value.fields
    changed = call(accounts_container, "set_roles", resident.id, ["resident", "executor"],
                   "kyivavtodor", token=admin_token)
    assert changed["roles"] == ["executor", "resident"] and changed["body"] == "kyivavtodor"
    identity = verifier.verify(sign_in(resident)["access_token"])
    assert identity.roles == {"resident", "executor"} and identity.body == "kyivavtodor"
    with pytest.raises(Conflict):  # the last admin must not lock everyone out
        call(accounts_container, "set_roles", admin.id, ["resident"], token=admin_token)


def test_a_role_change_publishes_roles_changed(accounts_container, make_account, sign_in,
                                               listener):
    admin = make_account(roles=("admin",))
    executor = make_account(roles=("executor",), body="kyivavtodor")
    token = sign_in(admin)["access_token"]
    call(accounts_container, "set_roles", executor.id, ["resident"], token=token)
    call(accounts_container, "set_roles", executor.id, ["resident"], token=token)  # no change
    (event,) = listener.wait_for(lambda e: e["type"] == ev.ACCOUNT_ROLES_CHANGED
                                 and e["subject"] == executor.id, count=1)
    assert event["data"] | {"at": None} == {
        "account_id": executor.id, "roles": ["resident"], "body": None,
        "previous_roles": ["executor"], "previous_body": "kyivavtodor", "by": admin.id,
        "at": None}
    assert event["actor"] == admin.id


def test_a_demoted_admin_token_is_not_enough(accounts_container, make_account, sign_in):
    first, second = make_account(roles=("admin",)), make_account(roles=("admin",))
    stale_token = sign_in(second)["access_token"]
    call(accounts_container, "set_roles", second.id, ["resident"],
         token=sign_in(first)["access_token"])
    with pytest.raises(Forbidden):
        call(accounts_container, "set_roles", first.id, ["resident"], token=stale_token)


def test_dispatcher_blocks_and_unblocks_with_a_reason_and_events_follow(
        accounts_container, make_account, sign_in, listener, verifier):
    dispatcher = make_account(roles=("dispatcher",))
    resident = make_account()
    token = sign_in(dispatcher)["access_token"]
    with pytest.raises(Forbidden):
        call(accounts_container, "block_account", dispatcher.id, "spam",
             token=sign_in(resident)["access_token"])
    with pytest.raises(InvalidInput) as err:
        call(accounts_container, "block_account", resident.id, "  ", token=token)
    assert "reason" in err.value.fields

    blocked = call(accounts_container, "block_account", resident.id, "spam in 12 appeals",
                   token=token)
    assert blocked["status"] == "blocked"
    # blocked accounts may still sign in and read; their token says blocked
    assert verifier.verify(sign_in(resident)["access_token"]).is_blocked
    assert call(accounts_container, "unblock_account", resident.id, "appealed",
                token=token)["status"] == "active"

    events = listener.wait_for(lambda e: e["type"] == ev.ACCOUNT_STATUS_CHANGED
                               and e["subject"] == resident.id, count=2)
    assert [e["data"]["status"] for e in events] == ["blocked", "active"]
    assert events[0]["data"]["by"] == dispatcher.id
    assert events[0]["data"]["reason"] == "spam in 12 appeals"


def test_only_an_admin_may_block_an_admin(accounts_container, make_account, sign_in):
    dispatcher = make_account(roles=("dispatcher",))
    admin, other_admin = make_account(roles=("admin",)), make_account(roles=("admin",))
    with pytest.raises(Forbidden):
        call(accounts_container, "block_account", admin.id, "abuse",
             token=sign_in(dispatcher)["access_token"])
    assert call(accounts_container, "block_account", admin.id, "abuse",
                token=sign_in(other_admin)["access_token"])["status"] == "blocked"


def test_a_blocked_dispatcher_cannot_block_anyone(accounts_container, make_account, sign_in):
    admin = make_account(roles=("admin",))
    dispatcher, resident = make_account(roles=("dispatcher",)), make_account()
    stale_token = sign_in(dispatcher)["access_token"]
    call(accounts_container, "block_account", dispatcher.id, "abuse",
         token=sign_in(admin)["access_token"])
    with pytest.raises(Forbidden):
        call(accounts_container, "block_account", resident.id, "spam", token=stale_token)


# ------------------------------------------------------------------------------ API keys


def test_api_key_is_shown_once_exchanged_for_a_token_and_revocable(
        accounts_container, make_account, sign_in, verifier):
    admin = make_account(roles=("admin",))
    token = sign_in(admin)["access_token"]
    with pytest.raises(Forbidden):
        call(accounts_container, "create_api_key", "bot", ["appeals:read"],
             token=sign_in(make_account())["access_token"])
    with pytest.raises(InvalidInput):
        call(accounts_container, "create_api_key", "bot", ["appeals:delete"], token=token)

    created = call(accounts_container, "create_api_key", "Telegram bot",
                   ["appeals:read", "appeals:write"], token=token)
    assert created["key"].startswith("hk_")
    listed = call(accounts_container, "list_api_keys", token=token)
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0]

    access = call(accounts_container, "authenticate_api_key", created["key"])
    assert access["token_type"] == "Bearer" and "refresh_token" not in access
    identity = verifier.verify(access["access_token"])
    assert identity.account_id == f"apikey:{created['id']}"
    assert identity.roles == {"integration"} and identity.trust == 2 and identity.verified
    assert identity.scopes == {"appeals:read", "appeals:write"}

    revoked = call(accounts_container, "revoke_api_key", created["id"], token=token)
    assert revoked["revoked_at"] is not None
    with pytest.raises(Unauthenticated):
        call(accounts_container, "authenticate_api_key", created["key"])
    with pytest.raises(Unauthenticated):
        call(accounts_container, "authenticate_api_key", "hk_made-up")


# ------------------------------------------------------------------------------- privacy


def test_export_holds_everything_about_the_person_but_no_secrets(accounts_container, mail_sink):
    email = unique_email()
    account = register(accounts_container, email)
    call(accounts_container, "issue_tokens", email, PASSWORD)  # two sessions: phone and laptop
    token = call(accounts_container, "issue_tokens", email, PASSWORD)["access_token"]
    wait_for_code(mail_sink[1], email)
    export = call(accounts_container, "export_my_data", token=token)
    assert export["account"]["id"] == account["id"] and export["account"]["email"] == email
    assert [a["action"] for a in export["audit"]] == ["registered"]
    assert len(export["sessions"]) == 2
    assert export["one_time_codes"][0]["purpose"] == "verify_email"
    assert export["mail"][0]["sent_at"] is not None
    text = str(export)
    assert "argon2" not in text and "hash" not in text


def test_deleting_an_account_anonymises_it_and_tells_other_services(
        accounts_container, make_account, sign_in, listener):
    account = make_account(name="Олена Коваль")
    tokens = sign_in(account)
    with pytest.raises(InvalidInput) as err:
        call(accounts_container, "delete_my_account", "wrong password!",
             token=tokens["access_token"])
    assert "password" in err.value.fields
    assert call(accounts_container, "delete_my_account", PASSWORD,
                token=tokens["access_token"]) == {"deleted": True}

    staff = make_account(roles=("dispatcher",))
    contact = call(accounts_container, "contact_of", account.id,
                   token=sign_in(staff)["access_token"])
    assert contact == {"id": account.id, "display_name": "deleted account", "email": None,
                       "phone": None}
    assert call(accounts_container, "public_name_of", [account.id]) == {
        account.id: "deleted account"}
    with pytest.raises(Unauthenticated):
        call(accounts_container, "issue_tokens", account.email, PASSWORD)
    with pytest.raises(Unauthenticated):
        call(accounts_container, "refresh_tokens", tokens["refresh_token"])
    with pytest.raises(Unauthenticated):
        call(accounts_container, "get_me", token=tokens["access_token"])
    (event,) = listener.wait_for(lambda e: e["type"] == ev.ACCOUNT_DELETED
                                 and e["subject"] == account.id)
    assert event["data"]["account_id"] == account.id
    # the address is free again
    assert register(accounts_container, account.email)["id"] != account.id


# ------------------------------------------------------------------------- appeal events


def state_changed(author_id, state="rejected", at=None):
    at = at or datetime.now(timezone.utc)
    appeal_id = f"appeal-{datetime.now().timestamp()}-{state}"
    return ev.make_event(ev.APPEAL_STATE_CHANGED, {
        "appeal_id": appeal_id, "appeal_version": 2, "state": state,
        "previous_state": "submitted", "category": "roads.surface.pothole", "body": None,
        "due_at": None, "author_id": author_id, "at": at, "by": "moderator-1",
        "reason": "not the city's remit", "cause": "cmd-1",
    }, source="/hromada/intake", subject=appeal_id, actor="moderator-1")


def deliver(container, amqp_uri, event):
    with entrypoint_waiter(container, "handle_appeal_state_changed", timeout=10):
        publish_events(amqp_uri, [event])


def test_a_redelivered_rejection_counts_once(accounts_container, hromada_amqp_uri, make_account,
                                              sign_in, listener, verifier):
    resident = make_account()
    first = state_changed(resident.id)
    deliver(accounts_container, hromada_amqp_uri, first)
    deliver(accounts_container, hromada_amqp_uri, first)  # the broker redelivers
    deliver(accounts_container, hromada_amqp_uri, state_changed(resident.id))
    deliver(accounts_container, hromada_amqp_uri, state_changed(resident.id, state="assigned"))
    deliver(accounts_container, hromada_amqp_uri, state_changed(None))
    token = sign_in(resident)["access_token"]
    assert call(accounts_container, "get_me", token=token)["trust_level"] == 1
    export = call(accounts_container, "export_my_data", token=token)
    assert len(export["account"]["recent_rejected_appeals_at"]) == 2


def test_three_rejections_within_30_days_lower_trust_and_say_so(
        accounts_container, hromada_amqp_uri, make_account, sign_in, listener, verifier):
    resident = make_account()
    now = datetime.now(timezone.utc)
    for days_ago in (20, 5, 0):
        deliver(accounts_container, hromada_amqp_uri,
                state_changed(resident.id, at=now - timedelta(days=days_ago)))
    (event,) = listener.wait_for(lambda e: e["type"] == ev.ACCOUNT_TRUST_CHANGED
                                 and e["subject"] == resident.id)
    assert event["data"]["trust_level"] == 0
    assert event["data"]["reason"] == "3 appeals rejected within 30 days"
    assert verifier.verify(sign_in(resident)["access_token"]).trust == 0


def test_trust_comes_back_after_30_days_without_rejections(
        accounts_container, hromada_amqp_uri, make_account, sign_in, listener):
    resident = make_account()
    now = datetime.now(timezone.utc)
    for days_ago in (70, 65, 61):  # three within a month, but that month is long over
        deliver(accounts_container, hromada_amqp_uri,
                state_changed(resident.id, at=now - timedelta(days=days_ago)))
    listener.wait_for(lambda e: e["type"] == ev.ACCOUNT_TRUST_CHANGED
                      and e["subject"] == resident.id and e["data"]["trust_level"] == 0)
    call(accounts_container, "housekeeping")
    listener.wait_for(lambda e: e["type"] == ev.ACCOUNT_TRUST_CHANGED
                      and e["subject"] == resident.id and e["data"]["trust_level"] == 1)
    me = call(accounts_container, "get_me", token=sign_in(resident)["access_token"])
    assert me["trust_level"] == 1


def test_an_integration_token_has_no_account(accounts_container, make_account, sign_in):
    admin_token = sign_in(make_account(roles=("admin",)))["access_token"]
    key = call(accounts_container, "create_api_key", "bot", ["appeals:read"], token=admin_token)
    token = call(accounts_container, "authenticate_api_key", key["key"])["access_token"]
    with pytest.raises(Forbidden):
        call(accounts_container, "get_me", token=token)
    with pytest.raises(Forbidden):
        call(accounts_container, "contact_of", "someone", token=token)


# ---------------------------------------------------------------------------- demo, health


def test_demo_mode_seeds_the_six_demo_accounts_once(container_factory, accounts_config,
                                                    verifier):
    from accounts.service import AccountsService

    config = dict(accounts_config, DEMO_MODE="true")
    first, second = (container_factory(AccountsService, config) for _ in range(2))
    # two instances start together and race to seed
    with entrypoint_waiter(first, "seed_demo_accounts", timeout=20) as first_run, \
            entrypoint_waiter(second, "seed_demo_accounts", timeout=20) as second_run:
        first.start()
        second.start()
    first_run.get(), second_run.get()  # re-raises if either run failed
    call(first, "seed_demo_accounts")  # and once more: nothing changes

    expected = {
        "resident@demo.hromada": ({"resident"}, None),
        "resident2@demo.hromada": ({"resident"}, None),
        "executor@demo.hromada": ({"executor"}, "kyivavtodor"),
        "dispatcher@demo.hromada": ({"dispatcher"}, None),
        "head@demo.hromada": ({"head"}, "kyivavtodor"),
        "admin@demo.hromada": ({"admin"}, None),
    }
    ids = set()
    for email, (roles, body) in expected.items():
        tokens = call(first, "issue_tokens", email, "demo-password")
        identity = verifier.verify(tokens["access_token"])
        assert (identity.roles, identity.body, identity.verified) == (roles, body, True), email
        ids.add(identity.account_id)
    assert len(ids) == 6
    names = call(first, "public_name_of", sorted(ids))
    assert {"Олена Коваль", "Андрій Шевченко"} <= set(names.values())

    from sqlalchemy import create_engine, text

    engine = create_engine(accounts_config["DATABASE_URL"])
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM accounts")).scalar() == 6
    engine.dispose()


def test_nothing_is_seeded_outside_demo_mode(accounts_container):
    with pytest.raises(Unauthenticated):
        call(accounts_container, "issue_tokens", "admin@demo.hromada", "demo-password")


def test_health(accounts_container):
    assert call(accounts_container, "health") == {"database": "ok", "broker": "ok", "revocations": "ok"}
