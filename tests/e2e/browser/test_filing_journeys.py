"""Whole journeys through the filing pages in a real browser (issue 11, items 10 and 12):
register and file with the map pin and a photo, the executor resolves, the resident confirms
or sends it back; supporting a nearby appeal instead of filing; the same filing with
JavaScript off, in English and with the keyboard alone; the stored photo without its GPS
tag; the public list's map. Every page visited passes ``check_page`` (axe, 320 px)."""
import io
import random
import re
import time
import uuid

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from ..helpers import appeal_payload, post, submit as api_submit, wait_for_state
from .support import (WAIT, _leads_to_a_new_page, check_page, click, fill, go, html_lang,
                      mailed_code, path, submit)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PASSWORD = "a long enough passphrase 42"
POTHOLE = "roads.surface.pothole"  # the demo executor's body, kyivavtodor, takes it
GPS = 0x8825  # the EXIF GPSInfo IFD
CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")


def somewhere_in_kyiv():
    """A place of its own for each journey, so that no other journey's appeal is within
    the nearby lookup's 250 m."""
    return round(random.uniform(50.30, 50.55), 6), round(random.uniform(30.30, 30.75), 6)


def photo_with_gps(tmp_path):
    """A JPEG carrying an EXIF GPS position (Pillow), as a phone's camera makes it."""
    from PIL import Image

    image = Image.new("RGB", (640, 480), (150, 110, 70))
    exif = Image.Exif()
    exif.get_ifd(GPS).update({1: "N", 2: (50.0, 27.0, 0.36), 3: "E", 4: (30.0, 31.0, 24.24)})
    target = tmp_path / "pothole.jpg"
    image.save(target, "JPEG", exif=exif.tobytes(), quality=85)
    assert Image.open(target).getexif().get_ifd(GPS), "the test photo must carry GPS"
    return target


def register_and_sign_in(browser, portal, platform, name="Оксана Коваль", next_path="/file"):
    email = f"journey-{uuid.uuid4().hex[:10]}@example.org"
    go(browser, portal + "/register")
    check_page(browser)
    fill(browser, display_name=name, email=email, password=PASSWORD)
    submit(browser, "/register")
    assert path(browser).startswith("/verify")
    check_page(browser)
    fill(browser, code=mailed_code(platform, email))
    submit(browser, "/verify")
    assert path(browser).startswith("/signin")
    fill(browser, email=email, password=PASSWORD)
    submit(browser, "/signin")
    go(browser, portal + next_path)
    return email


def check_page_without_js(browser):
    """``check_page`` for a page loaded with JavaScript off: script execution is allowed
    again only while axe runs (the page's own scripts were skipped at load and stay so)."""
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    try:
        check_page(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})


def sign_in_as_the_demo_resident(browser, portal, next_path="/file"):
    from deploy.demo import DEMO_PASSWORD

    go(browser, f"{portal}/signin?next={next_path}")
    fill(browser, email="resident@demo.hromada", password=DEMO_PASSWORD)
    submit(browser, "/signin")
    assert path(browser).startswith(next_path)


def pick_the_pothole(browser, portal, query="pothole", check=check_page):
    go(browser, f"{portal}/file?q={query}")
    check(browser)
    click(browser, f'button[name="pick"][value="{POTHOLE}"]')


def file_a_pothole(browser, portal, title, at=None, photo=None, address="вул. Хрещатик, 1",
                   description="Глибока яма, машини об'їжджають її зустрічною смугою."):
    """Through the four steps with JavaScript on: the pin by a click on the map unless
    ``at`` gives typed coordinates; the appeal's id from the page it ends on."""
    pick_the_pothole(browser, portal)
    check_page(browser)
    if at is None:
        the_map = browser.find_element(By.ID, "place-map")
        assert the_map.is_displayed()
        the_map.click()
        WebDriverWait(browser, WAIT).until(
            lambda b: b.find_element(By.ID, "f-lat").get_attribute("value"))
        assert browser.find_elements(By.CSS_SELECTOR, "#place-map .leaflet-marker-icon")
        assert "," in browser.find_element(By.ID, "pin-status").text
    else:
        fill(browser, lat=str(at[0]), lon=str(at[1]))
    fill(browser, address=address)
    submit(browser, "/file")
    fill(browser, title=title, description=description)
    check_page(browser)
    submit(browser, "/file")
    if photo:
        browser.find_element(By.ID, "f-photos").send_keys(str(photo))
        WebDriverWait(browser, WAIT).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, "#photo-previews img"))
    check_page(browser)
    submit(browser, "/file/submit")
    assert path(browser).startswith("/file/filed/"), path(browser)
    assert not browser.find_elements(By.ID, "photos-failed")
    check_page(browser)
    return path(browser).rsplit("/", 1)[1]


def state_shown(browser):
    classes = browser.find_element(By.CSS_SELECTOR, "article.appeal .state").get_attribute(
        "class").split()
    return next(c[len("state-"):] for c in classes if c.startswith("state-"))


def wait_for_the_page_to_show(browser, portal, appeal_id, state, timeout=30):
    """Reload the appeal's page until it shows ``state`` (a service learns by event)."""
    deadline = time.monotonic() + timeout
    while True:
        go(browser, f"{portal}/appeals/{appeal_id}")
        if state_shown(browser) == state:
            return
        assert time.monotonic() < deadline, f"the page still shows {state_shown(browser)}"
        time.sleep(0.5)


def resolve_as_the_executor(api, tokens, appeal_id):
    wait_for_state(api, appeal_id, "assigned")
    taken = post(api, f"/appeals/{appeal_id}/take", tokens["executor"])
    assert taken.status_code == 200, taken.text
    resolved = post(api, f"/appeals/{appeal_id}/resolve", tokens["executor"],
                    {"comment": "Яму залатано гарячим асфальтом"})
    assert resolved.status_code == 200, resolved.text
    wait_for_state(api, appeal_id, "resolved")


def answer(browser, portal, appeal_id, action, before_each_try, timeout=30):
    """Send the appeal page's form ``action`` (confirm, rework), again while the page answers
    that the new state has not reached feedback yet."""
    deadline = time.monotonic() + timeout
    while True:
        go(browser, f"{portal}/appeals/{appeal_id}")
        before_each_try()
        submit(browser, f"/appeals/{appeal_id}/{action}")
        if "done=" in browser.current_url:
            return
        assert browser.find_element(By.CSS_SELECTOR, "#notice[role=alert]").is_displayed()
        assert time.monotonic() < deadline, "the appeal never became answerable"
        time.sleep(0.5)


def test_journey_register_file_with_pin_and_photo_resolve_and_confirm(
        browser, portal, platform, api, tokens, tmp_path):
    register_and_sign_in(browser, portal, platform)
    check_page(browser)
    appeal_id = file_a_pothole(browser, portal, "Яма біля зупинки",
                               photo=photo_with_gps(tmp_path))

    wait_for_the_page_to_show(browser, portal, appeal_id, "assigned")
    assert browser.find_elements(By.CSS_SELECTOR, "#photos-appeal img")
    check_page(browser)

    resolve_as_the_executor(api, tokens, appeal_id)

    def rate():
        browser.find_element(By.CSS_SELECTOR, 'label[for="f-rating-4"]').click()
        fill(browser, comment="Дякую, рівно залатали.")
        check_page(browser)
    answer(browser, portal, appeal_id, "confirm", rate)
    assert "done=confirmed" in browser.current_url
    assert browser.find_element(By.CSS_SELECTOR, "#notice[role=status]").is_displayed()
    assert not browser.find_elements(By.ID, "confirm")  # not offered twice
    check_page(browser)
    assert wait_for_state(api, appeal_id, "closed")["state"] == "closed"
    wait_for_the_page_to_show(browser, portal, appeal_id, "closed")
    assert "4" in browser.find_element(By.CSS_SELECTOR, "article.appeal").text


def test_journey_resolved_is_sent_back_for_rework_with_a_reason_and_a_photo(
        browser, portal, api, tokens, tmp_path):
    lat, lon = somewhere_in_kyiv()
    appeal = api_submit(api, appeal_payload(
        location={"lat": lat, "lon": lon, "address": "вул. Січових Стрільців, 5"})).json()
    resolve_as_the_executor(api, tokens, appeal["id"])
    sign_in_as_the_demo_resident(browser, portal, f"/appeals/{appeal['id']}")

    def reason():
        fill(browser, reason="Яму засипали піском, після дощу вона знову тут.")
        browser.find_element(By.ID, "f-photo").send_keys(str(photo_with_gps(tmp_path)))
        check_page(browser)
    answer(browser, portal, appeal["id"], "rework", reason)
    assert "done=rework" in browser.current_url
    assert "rework-without-photo" not in browser.current_url
    check_page(browser)

    wait_for_state(api, appeal["id"], "rework")
    wait_for_the_page_to_show(browser, portal, appeal["id"], "rework")
    assert browser.find_elements(By.CSS_SELECTOR, "#photos-rework img")
    assert "після дощу" in browser.find_element(By.CSS_SELECTOR, "ol.timeline").text
    check_page(browser)


def test_journey_a_second_resident_supports_the_nearby_appeal_instead_of_filing(
        browser, portal, platform, api):
    lat, lon = somewhere_in_kyiv()
    existing = api_submit(api, appeal_payload(
        title="Вибоїна на перехресті",
        location={"lat": lat, "lon": lon, "address": "перехрестя біля ринку"})).json()

    register_and_sign_in(browser, portal, platform, name="Петро Шевчук")
    pick_the_pothole(browser, portal)
    fill(browser, lat=str(round(lat + 0.0005, 6)), lon=str(lon), address="біля ринку")
    submit(browser, "/file")
    fill(browser, title="Яма на перехресті", description="Та сама яма, мабуть.")
    submit(browser, "/file")

    nearby = browser.find_element(By.ID, f"nearby-{existing['id']}")
    assert "Вибоїна на перехресті" in nearby.text
    check_page(browser)
    _leads_to_a_new_page(browser, nearby.find_element(By.CSS_SELECTOR,
                                                      'button[type="submit"]').click)

    assert path(browser).startswith(f"/appeals/{existing['id']}?done=supported")
    assert browser.find_element(By.CSS_SELECTOR, "#notice[role=status]").is_displayed()
    supporters = browser.find_element(By.ID, "supporters").text
    assert int(re.findall(r"\d+", supporters)[-1]) >= 1, supporters
    assert browser.find_elements(By.CSS_SELECTOR, f'form[action="/appeals/{existing["id"]}'
                                                  '/support/withdraw"]')
    check_page(browser)


def test_journey_filing_with_javascript_off_by_address_and_typed_coordinates(
        browser_without_js, portal, api):
    browser = browser_without_js
    sign_in_as_the_demo_resident(browser, portal)
    pick_the_pothole(browser, portal, check=check_page_without_js)
    assert not browser.find_element(By.ID, "place-map").is_displayed()
    assert not browser.find_element(By.ID, "pin-centre").is_displayed()
    check_page_without_js(browser)
    lat, lon = somewhere_in_kyiv()
    fill(browser, lat=str(lat), lon=str(lon), address="просп. Перемоги, 37")
    submit(browser, "/file")
    fill(browser, title="Яма без карти", description="Подано без JavaScript.")
    check_page_without_js(browser)
    submit(browser, "/file")
    review = browser.find_element(By.CSS_SELECTOR, ".review").text
    assert str(lat) in review and str(lon) in review
    check_page_without_js(browser)
    submit(browser, "/file/submit")
    assert path(browser).startswith("/file/filed/")
    check_page_without_js(browser)
    appeal_id = path(browser).rsplit("/", 1)[1]
    stored = api.get(f"{api.base}/appeals/{appeal_id}", timeout=10).json()["location"]
    assert (stored["lat"], stored["lon"]) == pytest.approx((lat, lon), abs=1e-6)
    assert stored["address"] == "просп. Перемоги, 37"


def ukrainian_ui_left(browser):
    """The page's visible text, but for what is marked as another language (the switch to
    Ukrainian), where a Cyrillic letter would be a string left untranslated."""
    return browser.execute_script(
        """const copy = document.body.cloneNode(true);
           for (const other of copy.querySelectorAll('[lang]:not([lang="en"])')) other.remove();
           for (const hidden of copy.querySelectorAll('script, [hidden]')) hidden.remove();
           return copy.textContent;""")


# on purpose: the category search's hint gives a Ukrainian search word, the address's hint an
# address as Kyiv writes it
UKRAINIAN_EXAMPLES = ("ліхтар", "вул. Хрещатик")


def check_english(browser):
    assert html_lang(browser) == "en"
    left = ukrainian_ui_left(browser)
    for example in UKRAINIAN_EXAMPLES:
        left = left.replace(example, "")
    assert not CYRILLIC.search(left), f"{browser.current_url}: {CYRILLIC.findall(left)[:20]}"


def test_journey_the_filing_pages_in_english_after_the_language_switch(
        browser, portal, platform):
    go(browser, portal + "/register")
    click(browser, link="English")
    check_english(browser)
    register_and_sign_in(browser, portal, platform, name="Olena Bondar")
    check_english(browser)
    pick_the_pothole(browser, portal)
    check_english(browser)
    check_page(browser)
    browser.find_element(By.ID, "pin-centre").click()
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_element(By.ID, "f-lat").get_attribute("value"))
    fill(browser, address="Khreshchatyk St, 1")
    submit(browser, "/file")
    check_english(browser)
    fill(browser, title="Pothole by the bus stop", description="Deep, cars swerve around it.")
    submit(browser, "/file")
    check_english(browser)
    check_page(browser)
    submit(browser, "/file/submit")
    assert path(browser).startswith("/file/filed/")
    check_english(browser)
    click(browser, 'main a.button[href^="/appeals/"]')
    check_english(browser)
    check_page(browser)


def test_journey_the_stored_photo_has_no_gps_tag(browser, portal, tmp_path):
    from PIL import Image

    sign_in_as_the_demo_resident(browser, portal)
    appeal_id = file_a_pothole(browser, portal, "Яма з фото", at=somewhere_in_kyiv(),
                               photo=photo_with_gps(tmp_path))
    go(browser, f"{portal}/appeals/{appeal_id}")
    links = browser.find_elements(By.CSS_SELECTOR, "#photos-appeal a[href]")
    assert links, "the appeal's page shows no photo"
    for link in links:
        url = link.get_attribute("href")  # absolute, as the browser resolved it
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, url
        stored = Image.open(io.BytesIO(response.content))
        assert stored.size == (640, 480)
        assert not stored.getexif().get_ifd(GPS), f"{url} still carries GPS"
        assert GPS not in stored.getexif()


# ---- keyboard only -----------------------------------------------------------------------

def keys(browser, *sequence):
    ActionChains(browser).send_keys(*sequence).perform()


def focused_matches(browser, css) -> bool:
    return browser.execute_script(
        "return !!document.activeElement && document.activeElement.matches(arguments[0])", css)


def tab_to(browser, css, limit=80):
    """Press Tab until the focus is on ``css`` (the keyboard's way to reach a control)."""
    for _ in range(limit):
        keys(browser, Keys.TAB)
        if focused_matches(browser, css):
            return
    raise AssertionError(f"{css} is not reachable with Tab on {browser.current_url}")


def press_enter_for_a_new_page(browser):
    _leads_to_a_new_page(browser, lambda: keys(browser, Keys.ENTER))


def test_journey_filing_with_the_keyboard_alone(browser, portal, api):
    from deploy.demo import DEMO_PASSWORD

    go(browser, portal + "/signin?next=/file")
    tab_to(browser, "#f-email")
    keys(browser, "resident@demo.hromada")
    tab_to(browser, "#f-password")
    keys(browser, DEMO_PASSWORD)
    press_enter_for_a_new_page(browser)
    assert path(browser) == "/file"

    tab_to(browser, "#f-q")
    keys(browser, "pothole")
    press_enter_for_a_new_page(browser)
    tab_to(browser, f'button[value="{POTHOLE}"]')
    press_enter_for_a_new_page(browser)

    # the map takes the focus; arrows move it; the button puts the pin in its middle
    tab_to(browser, "#place-map")
    keys(browser, Keys.ARROW_UP, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    tab_to(browser, "#pin-centre")
    keys(browser, Keys.SPACE)
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_element(By.ID, "f-lat").get_attribute("value"))
    lat = float(browser.find_element(By.ID, "f-lat").get_attribute("value"))
    lon = float(browser.find_element(By.ID, "f-lon").get_attribute("value"))
    assert 50.213 <= lat <= 50.591 and 30.239 <= lon <= 30.826
    assert browser.find_elements(By.CSS_SELECTOR, "#place-map .leaflet-marker-icon")
    check_page(browser)
    tab_to(browser, "#f-address")
    keys(browser, "вул. Велика Васильківська, 10")
    press_enter_for_a_new_page(browser)  # a text field's Enter: the first button, Continue

    tab_to(browser, "#f-title")
    keys(browser, "Яма, подана клавіатурою")
    tab_to(browser, "#f-description")
    keys(browser, "Без миші: Tab, Enter, пробіл і стрілки.")
    tab_to(browser, 'button[name="go"][value="photos"]')
    press_enter_for_a_new_page(browser)

    tab_to(browser, "#file-appeal")
    check_page(browser)
    press_enter_for_a_new_page(browser)
    assert path(browser).startswith("/file/filed/")
    appeal_id = path(browser).rsplit("/", 1)[1]
    tab_to(browser, f'main a.button[href="/appeals/{appeal_id}"]')
    press_enter_for_a_new_page(browser)
    assert path(browser) == f"/appeals/{appeal_id}"
    check_page(browser)
    stored = api.get(f"{api.base}/appeals/{appeal_id}", timeout=10).json()
    assert stored["title"] == "Яма, подана клавіатурою"
    assert stored["location"]["lat"] == pytest.approx(lat, abs=1e-6)


# ---- the public list's map ---------------------------------------------------------------

def test_journey_the_public_lists_map_draws_a_circle_per_appeal_with_javascript(
        browser, portal, api):
    lat, lon = somewhere_in_kyiv()
    api_submit(api, appeal_payload(location={"lat": lat, "lon": lon, "address": "на мапі"}))
    go(browser, portal + "/appeals")
    the_map = browser.find_element(By.ID, "appeals-map")
    WebDriverWait(browser, WAIT).until(lambda b: the_map.is_displayed())
    placed = browser.execute_script(
        """return Array.from(document.querySelectorAll('#appeal-cards li[data-lat]'))
             .filter(li => !isNaN(Number(li.dataset.lat)) && !isNaN(Number(li.dataset.lon)))
             .length""")
    assert placed >= 1
    circles = browser.find_elements(By.CSS_SELECTOR, "#appeals-map path.map-appeal")
    assert len(circles) == placed
    check_page(browser)


def test_journey_the_public_lists_map_stays_hidden_without_javascript(
        browser_without_js, portal, api):
    api_submit(api, appeal_payload())
    go(browser_without_js, portal + "/appeals")
    assert browser_without_js.find_elements(By.CSS_SELECTOR, "#appeal-cards li[data-lat]")
    assert not browser_without_js.find_element(By.ID, "appeals-map").is_displayed()
    check_page_without_js(browser_without_js)
