"""The language a resident reads: chosen at registration (the page's language, or the API's
field or Accept-Language), changed with the preferences or the portal's language switch, and
spoken by the pages of a signed-in browser. The real gateway with stand-ins for the services."""
import pytest
from gateway_support import assert_problem, fields_in
from hromada_common.errors import Unavailable

from test_web_accounts import ME, config, csrf_token, put_cookie, set_cookies, sign_in, web  # noqa: F401

REGISTRATION = {"email": "taras@example.org", "password": "a long passphrase",
                "display_name": "Тарас"}


# --- the REST API ------------------------------------------------------------------------


@pytest.mark.parametrize("body, headers, language", [
    ({"language": "en"}, {}, "en"),
    ({"language": "uk"}, {"Accept-Language": "en"}, "uk"),  # the field wins
    ({}, {"Accept-Language": "en-GB,en;q=0.9,uk;q=0.5"}, "en"),
    ({}, {"Accept-Language": "de"}, "uk"),
    ({}, {}, "uk"),
])
def test_registration_through_the_api_passes_the_residents_language(gateway, body, headers,
                                                                    language):
    gateway.accounts.register.return_value = {"id": "acc-2", "language": language}
    response = gateway.api.post("/api/v1/auth/register", json=REGISTRATION | body,
                                headers={"Authorization": None, **headers})

    assert response.status_code == 201, response.text
    gateway.accounts.register.assert_called_once_with(
        "taras@example.org", "a long passphrase", "Тарас", None, language)


def test_registration_refuses_a_language_the_platform_does_not_speak(gateway):
    response = gateway.api.post("/api/v1/auth/register", json=REGISTRATION | {"language": "de"},
                                headers={"Authorization": None})

    problem = assert_problem(response, 422, "invalid-input")
    assert "language" in fields_in(problem)
    gateway.accounts.register.assert_not_called()


@pytest.mark.parametrize("payload", [
    {"language": "en"},
    {"email_notifications": False},  # as before the language existed
    {"email_notifications": True, "language": "uk"},
])
def test_the_preferences_take_the_language_email_notifications_or_both(gateway, payload):
    gateway.accounts.set_preferences.return_value = dict(ME, language="en")
    response = gateway.api.put("/api/v1/me/preferences", json=payload)

    assert response.status_code == 200 and response.json()["language"] == "en"
    gateway.accounts.set_preferences.assert_called_once_with(payload)


@pytest.mark.parametrize("payload, field", [
    ({}, "_schema"), ({"language": "de"}, "language"), ({"language": None}, "language"),
    ({"language": "en", "theme": "dark"}, "theme"),
])
def test_bad_preferences_are_a_422_naming_the_field(gateway, payload, field):
    response = gateway.api.put("/api/v1/me/preferences", json=payload)

    problem = assert_problem(response, 422, "invalid-input")
    assert field in fields_in(problem)
    gateway.accounts.set_preferences.assert_not_called()


def test_the_preferences_need_a_signed_in_caller_before_the_body_is_read(gateway):
    response = gateway.api.put("/api/v1/me/preferences", data="not json",
                               headers={"Authorization": None})

    assert_problem(response, 401, "unauthenticated")
    gateway.accounts.set_preferences.assert_not_called()


# --- the portal --------------------------------------------------------------------------


def test_the_language_switch_stores_the_choice_of_a_signed_in_account(web, signing_keys):
    sign_in(web, signing_keys)
    web.accounts.set_preferences.return_value = dict(ME, language="en")
    response = web.api.get("/lang/en?next=/help", allow_redirects=False)

    assert response.status_code == 303 and response.headers["Location"] == "/help"
    web.accounts.set_preferences.assert_called_once_with({"language": "en"})
    cookies = set_cookies(response)
    assert "lang=en" in cookies["lang"] and "hromada_account_lang=en" in cookies["hromada_account_lang"]


def test_the_language_switch_still_switches_when_the_account_cannot_be_told(web, signing_keys,
                                                                            caplog):
    sign_in(web, signing_keys)
    web.accounts.set_preferences.side_effect = Unavailable("accounts is restarting")
    response = web.api.get("/lang/en?next=/help", allow_redirects=False)

    assert response.status_code == 303 and response.headers["Location"] == "/help"
    assert "lang=en" in set_cookies(response)["lang"]
    assert "could not store 'en'" in caplog.text
    assert "Only this state counts as done." in web.api.get("/help").text  # in English


def test_the_language_switch_of_an_anonymous_reader_calls_no_service(web):
    response = web.api.get("/lang/en", allow_redirects=False)

    assert response.status_code == 303 and "lang=en" in set_cookies(response)["lang"]
    assert not web.accounts.method_calls


def test_a_signed_in_browser_speaks_the_accounts_language_until_it_chooses_and_signs_out(web):
    web.accounts.get_me.return_value = dict(ME, language="en")
    signed_in = web.api.post("/signin", allow_redirects=False, data={
        "email": "olena@example.org", "password": "a long passphrase",
        "csrf_token": csrf_token(web)}, headers={"Accept-Language": "uk"})
    assert "hromada_account_lang=en" in set_cookies(signed_in)["hromada_account_lang"]

    # no lang cookie, Accept-Language says Ukrainian: the account's preference wins
    assert 'lang="en"' in web.api.get("/", headers={"Accept-Language": "uk"}).text
    # the browser's own choice wins over the account's
    put_cookie(web, "lang", "uk")
    assert 'lang="uk"' in web.api.get("/", headers={"Accept-Language": "en"}).text
    for cookie in [c for c in web.api.cookies if c.name == "lang"]:
        web.api.cookies.clear(cookie.domain, cookie.path, cookie.name)

    signed_out = web.api.post("/signout", allow_redirects=False,
                              data={"csrf_token": csrf_token(web, "/signout")})
    assert signed_out.status_code == 303
    assert "hromada_account_lang" not in web.api.cookies
    assert 'lang="uk"' in web.api.get("/").text


def test_registering_on_the_portal_keeps_the_pages_language(web):
    web.accounts.register.return_value = {"id": "acc-2"}
    put_cookie(web, "lang", "en")
    response = web.api.post("/register", allow_redirects=False, data={
        **REGISTRATION, "csrf_token": csrf_token(web, "/register")})

    assert response.status_code == 303
    web.accounts.register.assert_called_once_with("taras@example.org", "a long passphrase",
                                                  "Тарас", None, "en")
