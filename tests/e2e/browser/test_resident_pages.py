"""A signed-in resident's pages in a real browser: filing an appeal through the four steps
(the map's pin with JavaScript on), then the resident's appeals and notifications."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from .support import WAIT, check_page, click, fill, go, path, submit

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def sign_in_as_the_demo_resident(browser, portal, next_path):
    from deploy.demo import DEMO_PASSWORD

    go(browser, f"{portal}/signin?next={next_path}")
    fill(browser, email="resident@demo.hromada", password=DEMO_PASSWORD)
    submit(browser, "/signin")
    assert path(browser).startswith(next_path)


def test_a_resident_files_an_appeal_with_the_map_and_finds_it_among_their_own(
        browser, portal, tokens):  # tokens: the demo accounts are seeded
    sign_in_as_the_demo_resident(browser, portal, "/file")
    check_page(browser, "file-category")

    go(browser, portal + "/file?q=street+light")
    click(browser, 'button[name="pick"][value="lighting.street.lamp_out"]')
    check_page(browser, "file-place")
    centre = browser.find_element(By.ID, "pin-centre")
    assert centre.is_displayed()  # site.js showed the map and its keyboard button
    centre.click()
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_element(By.ID, "f-lat").get_attribute("value"))
    fill(browser, address="вул. Хрещатик, 1")
    submit(browser, "/file")

    title = "Не горить ліхтар біля школи"
    fill(browser, title=title, description="Третій вечір поспіль темно біля входу.",
         **{"fields.lamp_post_number": "К-21"})
    check_page(browser, "file-details")
    submit(browser, "/file")

    assert browser.find_element(By.ID, "f-photos").is_displayed()
    check_page(browser, "file-review")
    submit(browser, "/file/submit")
    assert path(browser).startswith("/file/filed/")
    appeal_id = path(browser).rsplit("/", 1)[1]
    check_page(browser, "filed")

    go(browser, portal + "/me/appeals")
    assert browser.find_elements(By.CSS_SELECTOR, f'main a[href="/appeals/{appeal_id}"]')
    check_page(browser, "my-appeals")

    go(browser, f"{portal}/appeals/{appeal_id}")  # as its author: the actions it allows
    check_page(browser)

    go(browser, portal + "/me/notifications")
    check_page(browser, "notifications")
