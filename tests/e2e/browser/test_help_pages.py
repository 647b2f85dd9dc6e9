"""The help, the boards and the portal feedback form in a real browser."""
import pytest
from selenium.webdriver.common.by import By

from .support import check_page, field_error, fill, go, path, submit
from .test_resident_pages import sign_in_as_the_demo_resident

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_every_help_page_and_the_boards_pass_the_checks(browser, portal):
    go(browser, portal + "/help")
    topics = sorted({link.get_attribute("href") for link in
                     browser.find_elements(By.CSS_SELECTOR, 'main a[href^="/help/"]')})
    assert len(topics) >= 5, topics
    for url in topics:
        go(browser, url)
        assert browser.find_element(By.TAG_NAME, "h1").text
        check_page(browser)

    go(browser, portal + "/leaderboards")
    check_page(browser, "leaderboards")
    body = browser.find_elements(By.CSS_SELECTOR, 'main a[href^="/bodies/"]')
    go(browser, body[0].get_attribute("href") if body else portal + "/bodies/kyivavtodor")
    check_page(browser)


def test_a_resident_sends_portal_feedback_and_sees_their_points(browser, portal, tokens):
    sign_in_as_the_demo_resident(browser, portal, "/feedback")
    check_page(browser, "feedback")
    submit(browser, "/feedback")  # nothing chosen, nothing written
    assert field_error(browser, "text")
    check_page(browser)

    browser.find_element(By.CSS_SELECTOR, 'main input[name="category"]').click()
    fill(browser, text="Було б зручно бачити мапу і на сторінці звернення.")
    submit(browser, "/feedback")
    assert not browser.find_elements(By.CSS_SELECTOR, '[aria-invalid="true"]')
    check_page(browser)

    go(browser, portal + "/me/feedback")
    assert "мапу" in browser.find_element(By.TAG_NAME, "main").text
    check_page(browser)
    go(browser, portal + "/me/points")
    assert path(browser) == "/me/points"
    check_page(browser, "my-points")
