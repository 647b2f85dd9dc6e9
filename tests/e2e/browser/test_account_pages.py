"""The account pages in a real browser: register, confirm the mailed code, sign in, the
account page, sign out; the password reset; errors announced beside their fields."""
import uuid

import pytest
from selenium.webdriver.common.by import By

from .support import (check_page, choose, click, field_error, fill, go, mailed_code, path,
                      submit)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PASSWORD = "a long enough passphrase 42"


def new_email() -> str:
    return f"browser-{uuid.uuid4().hex[:10]}@example.org"


def register_and_verify(browser, portal, platform, email, name="Оксана Коваль"):
    go(browser, portal + "/register")
    fill(browser, display_name=name, email=email, password=PASSWORD)
    submit(browser, "/register")
    assert path(browser).startswith("/verify")
    fill(browser, code=mailed_code(platform, email))
    submit(browser, "/verify")
    assert path(browser).startswith("/signin")


def test_a_resident_registers_confirms_signs_in_sees_the_account_and_signs_out(
        browser, portal, platform):
    email, name = new_email(), "Оксана Коваль"
    go(browser, portal + "/register")
    check_page(browser, "register")
    fill(browser, display_name=name, email=email, password=PASSWORD)
    submit(browser, "/register")

    assert path(browser).startswith("/verify")
    assert browser.find_element(By.ID, "f-email").get_attribute("value") == email
    check_page(browser, "verify")
    fill(browser, code=mailed_code(platform, email))
    submit(browser, "/verify")

    assert path(browser).startswith("/signin")
    assert browser.find_element(By.CSS_SELECTOR, ".notice[role=status]").is_displayed()
    check_page(browser, "signin")
    fill(browser, email=email, password=PASSWORD)
    submit(browser, "/signin")

    assert path(browser) == "/me"
    main = browser.find_element(By.TAG_NAME, "main").text
    assert name in main and email in main
    check_page(browser, "me")

    submit(browser, "/signout")
    assert browser.find_element(By.CSS_SELECTOR, 'header a[href="/signin"]').is_displayed()
    go(browser, portal + "/me")
    assert path(browser).startswith("/signin")


def test_a_wrong_password_is_announced_beside_the_field(browser, portal):
    go(browser, portal + "/signin")
    fill(browser, email="resident@demo.hromada", password="not the password at all")
    submit(browser, "/signin")

    assert field_error(browser, "password")
    assert browser.find_element(By.ID, "f-password").get_attribute("value") == ""  # not echoed
    check_page(browser)


def test_a_registration_with_a_short_password_shows_the_error_beside_the_field(browser, portal):
    go(browser, portal + "/register")
    fill(browser, display_name="Оксана", email=new_email(), password="short")
    submit(browser, "/register")

    assert path(browser) == "/register"
    assert field_error(browser, "password")
    check_page(browser)


def test_a_resident_signs_out_from_the_page_and_deletes_the_account(browser, portal, platform):
    email = new_email()
    register_and_verify(browser, portal, platform, email)
    fill(browser, email=email, password=PASSWORD)
    submit(browser, "/signin")

    go(browser, portal + "/signout")
    check_page(browser)
    browser.back()

    go(browser, portal + "/me")
    fill(browser, password="not my password")  # the deletion's password field
    submit(browser, "/me/delete")
    assert field_error(browser, "delete_password")
    check_page(browser)

    fill(browser, password=PASSWORD)
    submit(browser, "/me/delete")
    check_page(browser, "deleted")
    go(browser, portal + "/me")
    assert path(browser).startswith("/signin")


def test_a_resident_resets_a_forgotten_password(browser, portal, platform):
    email = new_email()
    register_and_verify(browser, portal, platform, email)
    verification_code = mailed_code(platform, email)

    click(browser, 'main a[href="/reset"]')
    check_page(browser, "reset")
    fill(browser, email=email)
    submit(browser, "/reset")

    assert path(browser).startswith("/reset/confirm")
    check_page(browser, "reset-confirm")
    fill(browser, code=mailed_code(platform, email, newer_than=verification_code),
         new_password="another long passphrase 43")
    submit(browser, "/reset/confirm")

    assert path(browser).startswith("/signin")
    fill(browser, email=email, password="another long passphrase 43")
    submit(browser, "/signin")
    assert path(browser) == "/me"


def test_the_portal_works_with_javascript_off(browser_without_js, portal):
    browser = browser_without_js
    go(browser, portal + "/appeals")
    choose(browser, "state", "assigned")
    submit(browser, "/appeals")
    assert path(browser).startswith("/appeals?state=assigned")

    click(browser, link="English")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"

    go(browser, portal + "/signin?next=/me")
    fill(browser, email="resident@demo.hromada", password="demo-password")
    submit(browser, "/signin")
    assert path(browser) == "/me"
    submit(browser, "/signout")
    assert browser.find_element(By.CSS_SELECTOR, 'header a[href="/signin"]').is_displayed()
