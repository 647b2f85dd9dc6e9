"""The public pages in a real browser: what a resident sees without an account."""
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from ..helpers import appeal_payload, submit as file_appeal
from .support import check_accessibility, check_page, click, go, html_lang, path, text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_a_resident_finds_an_appeal_from_the_home_page(browser, portal, api):
    title = "Розбитий тротуар біля бібліотеки"
    appeal_id = file_appeal(api, appeal_payload(title=title)).json()["id"]

    go(browser, portal + "/")
    assert html_lang(browser) == "uk"
    check_page(browser, "home")

    click(browser, 'header nav a[href="/appeals"]')
    assert path(browser) == "/appeals"
    check_page(browser, "appeals")
    # Anonymous readers get the list from the gateway's page cache, up to two seconds old
    # (docs/web.md, "Speed"): the appeal filed a moment ago shows after that at the latest.
    deadline = time.monotonic() + 10
    while not browser.find_elements(By.CSS_SELECTOR, f'main a[href="/appeals/{appeal_id}"]'):
        assert time.monotonic() < deadline, "the new appeal never reached the public list"
        time.sleep(0.5)
        browser.refresh()

    click(browser, f'main a[href="/appeals/{appeal_id}"]')
    assert path(browser) == f"/appeals/{appeal_id}"
    assert text(browser, "h1") == title
    check_page(browser, "appeal")


def test_the_help_page_explains_the_lifecycle(browser, portal):
    go(browser, portal + "/help")
    assert text(browser, "h1")
    check_page(browser, "help")


def test_the_language_switch_changes_the_page_language_and_back(browser, portal):
    go(browser, portal + "/help")
    assert html_lang(browser) == "uk"

    click(browser, link="English")
    assert html_lang(browser) == "en" and path(browser) == "/help"
    assert browser.find_element(By.CSS_SELECTOR, 'header nav a[href="/appeals"]').text == "Appeals"
    check_page(browser)

    click(browser, link="Українська")
    assert html_lang(browser) == "uk" and path(browser) == "/help"


def test_an_unknown_appeal_is_an_accessible_not_found_page(browser, portal):
    go(browser, portal + "/appeals/no-such-appeal")
    assert "404" in browser.title or text(browser, "h1")
    check_page(browser)


def test_a_filter_the_list_cannot_understand_is_shown_beside_the_field(browser, portal):
    go(browser, portal + "/appeals?state=sideways")
    select = browser.find_element(By.ID, "f-state")
    assert select.get_attribute("aria-invalid") == "true"
    assert browser.find_element(By.ID, "e-state").get_attribute("role") == "alert"
    check_accessibility(browser)


def test_keyboard_users_skip_to_the_content_and_see_where_the_focus_is(browser, portal):
    go(browser, portal + "/help")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.get_attribute("class") == "skip" and skip.get_attribute("href").endswith("#main")
    assert skip.is_displayed() and skip.rect["x"] >= 0  # shown once focused
    assert skip.value_of_css_property("outline-style") == "solid"  # the site's ring

    skip.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.tag_name in ("a", "button", "select", "input")
    assert focused.value_of_css_property("outline-style") == "solid"  # the site's ring
