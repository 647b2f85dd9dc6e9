"""Accounts in the browser on the running platform: the real accounts service behind the
portal's forms, the code read from the mail sink, a cookie session as a browser keeps one
(plain requests; tests/e2e/browser walks the same pages in Chromium)."""
import re
import time
import uuid

import pytest
import requests

pytestmark = pytest.mark.e2e
PASSWORD = "a long enough passphrase 42"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def latest_code(platform, email, timeout=20):
    from deploy.mailsink import latest_code as read_code

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = read_code(str(platform.mail_dir), email)
        if code:
            return code
        time.sleep(0.2)
    raise AssertionError(f"no code mailed to {email}")


def form_token(browser, url) -> str:
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def test_register_verify_sign_in_see_the_account_and_sign_out(platform):
    base = platform.url
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    name = "Оксана Коваль"
    browser = requests.Session()
    browser.headers["Accept-Language"] = "uk"

    registered = browser.post(base + "/register", timeout=30, data={
        "display_name": name, "email": email, "password": PASSWORD,
        "csrf_token": form_token(browser, base + "/register")})
    assert registered.status_code == 200 and "/verify" in registered.url, registered.text
    assert f'value="{email}"' in registered.text

    verified = browser.post(base + "/verify", timeout=30, data={
        "email": email, "code": latest_code(platform, email),
        "csrf_token": CSRF.search(registered.text).group(1)})
    assert verified.status_code == 200 and "/signin" in verified.url, verified.text

    signed_in = browser.post(base + "/signin", timeout=30, data={
        "email": email, "password": PASSWORD, "next": "/me",
        "csrf_token": CSRF.search(verified.text).group(1)})
    assert signed_in.status_code == 200 and signed_in.url.endswith("/me"), signed_in.text
    assert name in signed_in.text and email in signed_in.text
    cookie = {c.name: c for c in browser.cookies}["hromada_access"]
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.path == "/"

    # An access token the edge refuses (here: spoilt) is replaced from the refresh cookie,
    # and the real accounts service answers get_me with the new one.
    old_refresh = browser.cookies["hromada_refresh"]
    browser.cookies.set("hromada_access", "spoilt", domain=cookie.domain, path="/")
    again = browser.get(base + "/me", timeout=30)
    assert again.status_code == 200 and again.url.endswith("/me") and name in again.text
    assert browser.cookies["hromada_refresh"] != old_refresh
    assert browser.cookies["hromada_access"] != "spoilt"

    current_refresh = browser.cookies["hromada_refresh"]
    signed_out = browser.post(base + "/signout", timeout=30,
                              data={"csrf_token": CSRF.search(again.text).group(1)})
    assert signed_out.status_code == 200 and "Увійти" in signed_out.text
    assert "hromada_access" not in browser.cookies and "hromada_refresh" not in browser.cookies
    assert "/signin" in browser.get(base + "/me", timeout=30).url
    # the session's refresh token is revoked: it gives no new session
    refused = requests.post(base + "/api/v1/auth/refresh",
                            json={"refresh_token": current_refresh}, timeout=30)
    assert refused.status_code == 401
