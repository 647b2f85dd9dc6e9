"""The public pages in a real browser: what a resident sees without an account."""
import pytest
from selenium.webdriver.common.by import By

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
