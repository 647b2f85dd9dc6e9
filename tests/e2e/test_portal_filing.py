"""Filing an appeal in the portal on the running platform, as a browser without JavaScript
does: plain form posts with the session cookies, the real taxonomy, intake and routing behind
the pages (the real browser tests come later)."""
import re

import pytest
import requests

from .helpers import eventually

pytestmark = pytest.mark.e2e
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden(html: str) -> dict:
    return dict(HIDDEN.findall(html))


def post(browser, url, html, **fields):
    response = browser.post(url, data={**hidden(html), **fields}, timeout=30)
    assert response.status_code == 200, response.text
    return response


def test_a_resident_files_an_appeal_through_the_four_steps_with_forms_only(platform):
    from deploy.demo import DEMO_PASSWORD, sign_in

    sign_in(platform.url, "resident@demo.hromada")  # waits until accounts seeded the demo
    base = platform.url
    browser = requests.Session()
    browser.headers["Accept-Language"] = "uk"
    away = browser.get(base + "/file", timeout=30)
    assert "/signin" in away.url  # not signed in yet: sent to sign in, and back
    signed_in = post(browser, base + "/signin", away.text, email="resident@demo.hromada",
                     password=DEMO_PASSWORD)
    assert signed_in.url.endswith("/file") and "Крок 1 з 4" in signed_in.text

    # 1. the category: the server's search, in English, over the real taxonomy
    found = browser.get(base + "/file", params={"q": "street light"}, timeout=30)
    assert 'name="pick" value="lighting.street.lamp_out"' in found.text
    place = post(browser, base + "/file", found.text, pick="lighting.street.lamp_out")
    assert "Крок 2 з 4" in place.text

    # 2. the place: outside the city first, then inside
    outside = browser.post(base + "/file", data={**hidden(place.text), "go": "details",
                                                 "lat": "49.84", "lon": "24.03",
                                                 "address": "Львів"}, timeout=30)
    assert outside.status_code == 422 and 'id="e-lat" role="alert"' in outside.text
    details = post(browser, base + "/file", outside.text, go="details", lat="50.4501",
                   lon="30.5234", address="вул. Хрещатик, 1")
    assert "Номер опори" in details.text  # the leaf's required extra field

    # 3. the details: the required extra field is checked before anything is filed
    title = "Не горить ліхтар біля зупинки"
    text = {"title": title, "description": "Третій вечір поспіль темно на зупинці."}
    missing = browser.post(base + "/file", data={**hidden(details.text), "go": "photos",
                                                 **text}, timeout=30)
    assert missing.status_code == 422
    assert 'id="e-fields.lamp_post_number" role="alert"' in missing.text
    photos = post(browser, base + "/file", missing.text, go="photos", **text,
                  **{"fields.lamp_post_number": "К-17"})
    assert "Крок 4 з 4" in photos.text and 'enctype="multipart/form-data"' in photos.text

    # 4. file it (twice, as a double click would: one appeal)
    form = hidden(photos.text)
    filed = browser.post(base + "/file/submit", data=form, timeout=30)
    assert filed.status_code == 200 and "/file/filed/" in filed.url, filed.text
    again = browser.post(base + "/file/submit", data=form, timeout=30)
    assert again.url == filed.url
    appeal_id = filed.url.rsplit("/", 1)[1]
    assert appeal_id in filed.text and "Що далі" in filed.text

    appeal = requests.get(f"{base}/api/v1/appeals/{appeal_id}", timeout=30).json()
    assert appeal["title"] == title and appeal["channel"] == "web"
    assert appeal["fields"] == {"lamp_post_number": "К-17"}
    assert appeal["location"] == {"lat": 50.4501, "lon": 30.5234, "address": "вул. Хрещатик, 1"}
    mine = requests.get(f"{base}/api/v1/appeals", params={"limit": 100}, timeout=30).json()
    assert sum(item["title"] == title for item in mine["items"]) == 1

    # routing assigns it a moment later: the result page then shows the deadline itself
    assigned = eventually(lambda: "Термін:" in browser.get(filed.url, timeout=30).text)
    assert assigned
