"""Accounts in the browser: sessions in cookies, their refresh, CSRF on every form, and each
form's errors beside the field. The real gateway with stand-ins for the services behind it."""
import os
import re
import time
import uuid

import pytest
from hromada_common.auth import TooManyRequests, Unauthenticated
from hromada_common.errors import Conflict, InvalidInput

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ME = {"id": "acc-1", "email": "olena@example.org", "display_name": "Олена Петренко",
      "phone": None, "roles": ["resident"], "body": None, "status": "active", "verified": True,
      "trust_level": 1, "email_notifications": True, "created_at": "2026-11-01T10:00:00+00:00"}


@pytest.fixture
def config(config):
    return {**config, "WEB_SESSION_SECRET": "a test secret", "WEB_TRUST_FORWARDED_PROTO": True}


@pytest.fixture
def web(gateway, signing_keys):
    """The gateway, called as a browser does: no Authorization header, cookies only."""
    gateway.api.headers.pop("Authorization")
    gateway.accounts.get_me.return_value = dict(ME)
    gateway.accounts.issue_tokens.return_value = pair(signing_keys, "refresh-1")
    gateway.gamification.my_points.return_value = {
        "public_profile": {"shown_as": "pseudonym", "name": "Сміливий Їжак", "pseudonym": None}}
    gateway.intake.statistics.return_value = {"total": 0, "by_state": {},
                                              "done_confirmed_by_residents": 0,
                                              "resolved_awaiting_confirmation": 0,
                                              "archived_unconfirmed": 0}
    gateway.intake.list_appeals.return_value = {"items": [], "next_cursor": None}
    gateway.routing.list_categories.return_value = []
    return gateway


def pair(signing_keys, refresh, **token_options):
    return {"access_token": signing_keys.token_for("acc-1", **token_options),
            "refresh_token": refresh, "token_type": "Bearer", "expires_in": 900}


def set_cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the whole header, attributes included)."""
    return {header.split("=", 1)[0]: header for header in response.raw.headers.getlist("Set-Cookie")}


def csrf_token(web, path="/signin") -> str:
    page = web.api.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def put_cookie(web, name, value):
    """Replace the browser's cookie ``name`` (whichever domain the jar filed it under)."""
    for cookie in [c for c in web.api.cookies if c.name == name]:
        web.api.cookies.clear(cookie.domain, cookie.path, cookie.name)
    host = web.api.base_url.split("://", 1)[1].rsplit(":", 1)[0]
    web.api.cookies.set(name, value, domain=host, path="/")


def sign_in(web, signing_keys, refresh="refresh-1"):
    """Cookies of a signed-in browser, as if it had signed in before."""
    put_cookie(web, "hromada_access", signing_keys.token_for("acc-1"))
    put_cookie(web, "hromada_refresh", refresh)


def field_has_error(html: str, key: str) -> bool:
    tag = re.search(rf'<input id="f-{re.escape(key)}"[^>]*>', html)
    return bool(tag and 'aria-invalid="true"' in tag.group(0)
                and re.search(rf'aria-describedby="[^"]*\be-{re.escape(key)}\b', tag.group(0))
                and f'<p class="error" id="e-{key}" role="alert">' in html)


def no_service_called(web) -> bool:
    return not any(mock.method_calls for mock in (web.accounts, web.gamification, web.intake))


# --- sessions ---------------------------------------------------------------------------------


def test_signing_in_sets_httponly_lax_cookies_and_redirects_with_303(web):
    token = csrf_token(web)
    response = web.api.post("/signin", data={"email": "olena@example.org",
                                             "password": "a long passphrase", "next": "/help",
                                             "csrf_token": token}, allow_redirects=False)

    assert response.status_code == 303 and response.headers["Location"] == "/help"
    web.accounts.issue_tokens.assert_called_once_with("olena@example.org", "a long passphrase")
    cookies = set_cookies(response)
    assert {"hromada_access", "hromada_refresh", "hromada_name", "hromada_csrf"} <= set(cookies)
    for header in cookies.values():
        assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
        assert "Secure" not in header  # plain HTTP, no trusted proxy saying otherwise
    assert "refresh-1" in cookies["hromada_refresh"]
    # the CSRF value is a new one after sign-in
    assert token not in cookies["hromada_csrf"]

    home = web.api.get("/")
    assert "Олена Петренко" in home.text and 'action="/signout"' in home.text
    assert "refresh-1" not in home.text and web.api.cookies["hromada_access"] not in home.text


def test_cookies_are_secure_when_the_trusted_proxy_says_https(web):
    token = csrf_token(web)
    response = web.api.post("/signin", data={"email": "olena@example.org", "password": "pw",
                                             "csrf_token": token},
                            headers={"X-Forwarded-Proto": "https"}, allow_redirects=False)

    assert response.status_code == 303
    assert all("Secure" in header for header in set_cookies(response).values())


def test_a_wrong_password_is_shown_beside_the_field_translated(web):
    web.accounts.issue_tokens.side_effect = Unauthenticated("invalid email or password")
    response = web.api.post("/signin", data={"email": "olena@example.org", "password": "nope",
                                             "csrf_token": csrf_token(web)})

    assert response.status_code == 422
    assert field_has_error(response.text, "password")
    assert "Неправильна електронна адреса або пароль" in response.text
    assert "hromada_access" not in set_cookies(response)
    assert 'value="olena@example.org"' in response.text and 'value="nope"' not in response.text


def test_a_locked_address_is_a_translated_429_page_with_retry_after(web):
    web.accounts.issue_tokens.side_effect = TooManyRequests(
        "too many failed sign-ins from here", extra={"retry_after": 600})
    response = web.api.post("/signin", data={"email": "olena@example.org", "password": "nope",
                                             "csrf_token": csrf_token(web)})

    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Retry-After"] == "600"
    assert "Забагато запитів" in response.text and "600" in response.text


def test_a_page_acts_only_on_the_cookie_never_on_a_bearer_header(web, signing_keys):
    response = web.api.get("/me", allow_redirects=False, headers={
        "Authorization": f"Bearer {signing_keys.token_for('acc-1')}"})

    assert response.status_code == 303 and response.headers["Location"] == "/signin?next=%2Fme"
    assert not web.accounts.get_me.called


def test_an_expired_access_token_is_refreshed_once_from_the_refresh_cookie(web, signing_keys):
    put_cookie(web, "hromada_access", signing_keys.token_for("acc-1", now=time.time() - 7200))
    put_cookie(web, "hromada_refresh", "refresh-1")
    web.accounts.refresh_tokens.return_value = pair(signing_keys, "refresh-2")

    response = web.api.get("/me", allow_redirects=False)

    assert response.status_code == 200 and "Олена Петренко" in response.text
    web.accounts.refresh_tokens.assert_called_once_with("refresh-1")
    cookies = set_cookies(response)
    assert cookies["hromada_refresh"].startswith("hromada_refresh=refresh-2;")
    assert web.accounts.refresh_tokens.return_value["access_token"] in cookies["hromada_access"]
    assert "HttpOnly" in cookies["hromada_access"] and "SameSite=Lax" in cookies["hromada_access"]


def test_a_refused_refresh_token_ends_the_session_and_asks_to_sign_in(web, signing_keys):
    put_cookie(web, "hromada_access", "not-a-token")
    put_cookie(web, "hromada_refresh", "refresh-used-up")
    web.accounts.refresh_tokens.side_effect = Unauthenticated("invalid refresh token")

    response = web.api.get("/me", allow_redirects=False)

    assert response.status_code == 303 and response.headers["Location"].startswith("/signin")
    cookies = set_cookies(response)
    for name in ("hromada_access", "hromada_refresh", "hromada_name"):
        assert 'Max-Age=0' in cookies[name] or "1970" in cookies[name]
    assert not web.accounts.get_me.called


def test_signing_out_revokes_the_refresh_token_and_clears_the_cookies(web, signing_keys):
    sign_in(web, signing_keys)
    token = csrf_token(web, "/me")

    response = web.api.post("/signout", data={"csrf_token": token}, allow_redirects=False)

    assert response.status_code == 303 and response.headers["Location"] == "/"
    web.accounts.revoke_refresh_token.assert_called_once_with("refresh-1")
    cookies = set_cookies(response)
    for name in ("hromada_access", "hromada_refresh", "hromada_name"):
        assert cookies[name].startswith(f'{name}=;') and "Max-Age=0" in cookies[name]
    assert "Sign in" in web.api.get("/", headers={"Accept-Language": "en"}).text


def test_the_account_page_needs_a_session(web):
    response = web.api.get("/me", allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == "/signin?next=%2Fme"
    signin = web.api.get("/signin?next=%2Fme", headers={"Accept-Language": "en"})
    assert 'name="next" value="/me"' in signin.text and "Sign in" in signin.text


def test_the_account_page_shows_profile_public_name_and_preferences(web, signing_keys):
    sign_in(web, signing_keys)
    response = web.api.get("/me", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    text = response.text
    assert "Олена Петренко" in text and "olena@example.org" in text and "Сміливий Їжак" in text
    assert 'id="f-email_notifications" name="email_notifications" checked' in text
    assert 'href="/me/export"' in text and 'action="/me/delete"' in text
    assert "<script>" not in text and "style=" not in text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("checked, wanted", [({"email_notifications": "on"}, True), ({}, False)])
def test_the_preferences_form_sets_email_notifications(web, signing_keys, checked, wanted):
    sign_in(web, signing_keys)
    response = web.api.post("/me/preferences", allow_redirects=False,
                            data={"csrf_token": csrf_token(web, "/me"), **checked})

    assert response.status_code == 303 and response.headers["Location"] == "/me?done=preferences"
    web.accounts.set_email_notifications.assert_called_once_with({"email_notifications": wanted})


def test_the_data_export_is_a_json_download(web, signing_keys):
    sign_in(web, signing_keys)
    web.accounts.export_my_data.return_value = {"account": {"email": "olena@example.org"}}
    web.intake.list_appeals.return_value = {"items": [{"id": "a-1"}], "next_cursor": None}

    response = web.api.get("/me/export")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.json() == {"account": {"email": "olena@example.org"},
                               "appeals": [{"id": "a-1"}]}
    web.intake.list_appeals.assert_called_once_with({"mine": True, "limit": 100, "cursor": None})


def test_deleting_the_account_needs_the_password_and_ends_the_session(web, signing_keys):
    sign_in(web, signing_keys)
    response = web.api.post("/me/delete", data={"password": "a long passphrase",
                                                "csrf_token": csrf_token(web, "/me")})

    assert response.status_code == 200
    web.accounts.delete_my_account.assert_called_once_with("a long passphrase")
    assert "hromada_refresh" not in web.api.cookies and "hromada_access" not in web.api.cookies


def test_registering_goes_on_to_the_code(web):
    web.accounts.register.return_value = {"id": "acc-2"}
    response = web.api.post("/register", allow_redirects=False, data={
        "display_name": "Тарас", "email": "taras@example.org", "password": "a long passphrase",
        "csrf_token": csrf_token(web, "/register")})

    assert response.status_code == 303
    assert response.headers["Location"] == "/verify?email=taras%40example.org"
    web.accounts.register.assert_called_once_with("taras@example.org", "a long passphrase",
                                                  "Тарас", None, "uk")  # the page's language
    verify = web.api.get(response.headers["Location"])
    assert 'value="taras@example.org"' in verify.text


# --- CSRF -------------------------------------------------------------------------------------

FORMS = ["/signin", "/register", "/verify", "/verify/resend", "/reset", "/reset/confirm",
         "/signout", "/me/preferences", "/me/public-name", "/me/delete"]
FILLED = {"email": "olena@example.org", "password": "a long passphrase", "code": "123456",
          "display_name": "Олена", "new_password": "another long passphrase",
          "shown_as": "name", "email_notifications": "on"}


@pytest.mark.parametrize("path", FORMS)
@pytest.mark.parametrize("how", ["missing", "wrong", "another browser's", "cross-site origin",
                                 "cross-site referer"])
def test_every_form_refuses_a_missing_or_wrong_csrf_token_with_403(web, signing_keys, path, how):
    sign_in(web, signing_keys)
    token = csrf_token(web, "/me")
    headers, data = {}, dict(FILLED)
    if how == "wrong":
        data["csrf_token"] = "0" * 64
    elif how == "another browser's":
        data["csrf_token"] = token
        put_cookie(web, "hromada_csrf", "someone-else")
    elif how == "cross-site origin":
        data["csrf_token"], headers["Origin"] = token, "https://evil.example"
    elif how == "cross-site referer":
        data["csrf_token"], headers["Referer"] = token, "https://evil.example/form"
    for service in (web.accounts, web.gamification, web.intake):
        service.reset_mock()

    response = web.api.post(path, data=data, headers=headers, allow_redirects=False)

    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Ця форма застаріла" in response.text
    assert no_service_called(web), (web.accounts.method_calls, web.gamification.method_calls)


def test_a_same_site_origin_is_accepted(web):
    token = csrf_token(web)
    host = web.api.base_url.split("://", 1)[1]
    response = web.api.post("/signin", data={"email": "a@example.org", "password": "pw",
                                             "csrf_token": token},
                            headers={"Origin": f"http://{host}", "Referer": f"http://{host}/signin"},
                            allow_redirects=False)
    assert response.status_code == 303


# --- each form's errors beside the field --------------------------------------------------------

INVALID = [
    # path, page with the form, the failing call, its error, the field key, a translated word
    ("/register", "/register", "register",
     InvalidInput("bad", {"password": ["must be at least 10 characters"]}), "password",
     "Щонайменше 10 символів"),
    ("/register", "/register", "register",
     InvalidInput("bad", {"email": ["looks like an address already registered here (the same "
                                    "letters from another alphabet or style); register with "
                                    "your own address"]}), "email", "схожими літерами"),
    ("/verify", "/verify", "verify_email", InvalidInput("bad", {"code": ["the code is wrong"]}),
     "code", "Неправильний код"),
    ("/reset/confirm", "/reset/confirm", "reset_password",
     InvalidInput("bad", {"new_password": ["is one of the most common passwords; choose "
                                           "another"]}), "new_password", "найпоширеніших"),
    ("/reset/confirm", "/reset/confirm", "reset_password",
     InvalidInput("bad", {"code": ["the code has expired; ask for a new one"]}), "code",
     "Термін дії коду минув"),
    ("/me/delete", "/me", "delete_my_account",
     InvalidInput("bad", {"password": ["does not match"]}), "delete_password",
     "Неправильний пароль"),
    ("/me/public-name", "/me", "set_public_profile",
     Conflict("that pseudonym is taken", {"pseudonym": ["already taken"]}), "pseudonym",
     "Цей псевдонім зайнятий"),
]


@pytest.mark.parametrize("path, form_page, call, error, key, translated", INVALID,
                         ids=[f"{row[0]}-{row[4]}" for row in INVALID])
def test_each_form_shows_the_services_errors_beside_the_field(
        web, signing_keys, path, form_page, call, error, key, translated):
    sign_in(web, signing_keys)
    service = web.gamification if call == "set_public_profile" else web.accounts
    getattr(service, call).side_effect = error
    data = {**FILLED, "shown_as": "pseudonym", "pseudonym": "Їжак",
            "csrf_token": csrf_token(web, form_page)}

    response = web.api.post(path, data=data)

    assert response.status_code == 422
    assert getattr(service, call).called
    assert field_has_error(response.text, key), response.text
    assert translated in response.text
    for messages in error.fields.values():  # never the service's English words
        assert all(message not in response.text for message in messages)


@pytest.mark.parametrize("path, form_page, fields", [
    ("/register", "/register", ("display_name", "email", "password")),
    ("/signin", "/signin", ("email", "password")),
    ("/verify", "/verify", ("email", "code")),
    ("/reset", "/reset", ("email",)),
    ("/reset/confirm", "/reset/confirm", ("email", "code", "new_password")),
])
def test_an_empty_form_marks_every_required_field_without_calling_a_service(
        web, path, form_page, fields):
    token = csrf_token(web, form_page)
    web.accounts.reset_mock()

    response = web.api.post(path, data={"csrf_token": token})

    assert response.status_code == 422
    for key in fields:
        assert field_has_error(response.text, key), key
    assert "Заповніть це поле" in response.text
    assert no_service_called(web)


def test_a_malformed_email_and_code_are_caught_by_the_forms(web):
    response = web.api.post("/verify", data={"email": "not-an-email", "code": "12",
                                             "csrf_token": csrf_token(web, "/verify")},
                            headers={"Accept-Language": "en"})

    assert response.status_code == 422
    assert field_has_error(response.text, "email") and field_has_error(response.text, "code")
    assert "Enter the 6-digit code from the email." in response.text
    assert not web.accounts.verify_email.called


# --- rate limits --------------------------------------------------------------------------------


@pytest.fixture
def limited(config):
    prefix = f"hromada:test:{uuid.uuid4().hex[:8]}:"
    config.update({"RATE_LIMITS_ENABLED": True, "REDIS_URL": REDIS_URL,
                   "RATE_LIMITS_PREFIX": prefix, "RATE_LIMITS": {"auth": {"limit": 2, "window": 60}}})
    yield config
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


def test_the_sign_in_form_shares_the_api_s_auth_quota_and_says_so_in_a_page(limited, web):
    web.accounts.issue_tokens.side_effect = Unauthenticated("invalid email or password")
    form = {"email": "olena@example.org", "password": "guess", "csrf_token": csrf_token(web)}

    statuses = [web.api.post("/signin", data=form, allow_redirects=False) for _ in range(3)]

    assert [r.status_code for r in statuses] == [422, 422, 429]
    refused = statuses[2]
    assert refused.headers["Content-Type"].startswith("text/html")
    assert int(refused.headers["Retry-After"]) > 0 and "Забагато запитів" in refused.text
    assert web.accounts.issue_tokens.call_count == 2
    # the API's sign-in counts against the same quota: it is used up
    assert web.api.post("/api/v1/auth/token", json={"email": "a@example.org",
                                                    "password": "pw"}).status_code == 429


def test_x_forwarded_proto_counts_only_when_the_proxy_is_trusted():
    from types import SimpleNamespace

    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from gateway.web.session import Session

    forwarded = Request(EnvironBuilder(headers={"X-Forwarded-Proto": "https"}).get_environ())
    direct_tls = Request(EnvironBuilder(base_url="https://hromada.example/").get_environ())
    untrusting = SimpleNamespace(secret=b"k", trust_forwarded_proto=False)
    trusting = SimpleNamespace(secret=b"k", trust_forwarded_proto=True)
    worker = SimpleNamespace(data={})

    assert not Session(untrusting, worker, forwarded).secure
    assert Session(trusting, worker, forwarded).secure
    assert Session(untrusting, worker, direct_tls).secure
