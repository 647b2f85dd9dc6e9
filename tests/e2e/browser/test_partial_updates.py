"""Partial updates (htmx): a filter change on the public list replaces only the results and
the address, not the page; without JavaScript the same form reloads the page."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from ..helpers import appeal_payload, submit as file_appeal
from .support import WAIT, check_page, choose, go, path

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_a_filter_change_swaps_the_results_in_place(browser, portal, api):
    file_appeal(api, appeal_payload(title="Зламана лавка в сквері"))
    go(browser, portal + "/appeals")
    # A mark on this page's window: a full reload would lose it, a partial update keeps it.
    browser.execute_script("window.hromadaSamePage = true;")
    old_results = browser.find_element(By.ID, "appeal-results")

    choose(browser, "state", "rejected")

    WebDriverWait(browser, WAIT).until(lambda b: "state=rejected" in b.current_url)
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_element(By.ID, "appeal-results") != old_results)
    assert browser.execute_script("return window.hromadaSamePage === true;")
    assert path(browser).startswith("/appeals?")
    selected = browser.find_element(By.CSS_SELECTOR, 'select[name="state"] option:checked')
    assert selected.get_attribute("value") == "rejected"
    check_page(browser)


def test_without_javascript_the_filter_form_loads_the_filtered_page(browser_without_js, portal):
    browser = browser_without_js
    go(browser, portal + "/appeals")
    choose(browser, "state", "closed")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()

    WebDriverWait(browser, WAIT).until(lambda b: "state=closed" in b.current_url)
    assert browser.find_element(By.ID, "appeal-results")
