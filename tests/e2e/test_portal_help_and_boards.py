"""The portal's help, boards and feedback form on the running platform: the real services
behind the pages (routing's taxonomy in the deadline table, gamification's catalogue and
boards, feedback's portal feedback answered by a moderator through the API), a cookie
session as a browser keeps one."""
import re
import uuid

import pytest
import requests

from .helpers import bearer, eventually, post

pytestmark = pytest.mark.e2e
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in_browser(platform, email):
    from deploy.demo import DEMO_PASSWORD, sign_in

    sign_in(platform.url, email)  # waits until accounts has seeded the demo account
    browser = requests.Session()
    browser.headers["Accept-Language"] = "uk"
    page = browser.get(platform.url + "/signin", timeout=30)
    done = browser.post(platform.url + "/signin", timeout=30, data={
        "email": email, "password": DEMO_PASSWORD, "next": "/me",
        "csrf_token": CSRF.search(page.text).group(1)})
    assert done.status_code == 200 and done.url.endswith("/me"), done.text
    return browser


def test_portal_feedback_from_the_form_gets_the_moderator_s_answer_seen_by_its_author_only(
        platform, tokens):
    base = platform.url
    author = signed_in_browser(platform, "resident2@demo.hromada")
    text = f"Додайте темну тему порталу {uuid.uuid4().hex[:8]}"

    form = author.get(base + "/feedback", timeout=30)
    assert form.status_code == 200, form.text
    sent = author.post(base + "/feedback", timeout=30, data={
        "category": "idea", "text": text, "csrf_token": CSRF.search(form.text).group(1)})
    assert sent.status_code == 200 and "/me/feedback" in sent.url, sent.text
    assert text in sent.text and "Очікує на відповідь" in sent.text

    listed = requests.get(base + "/api/v1/portal-feedback", timeout=30,
                          headers=bearer(tokens["dispatcher"]), params={"limit": 200})
    assert listed.status_code == 200, listed.text
    feedback_id = next(item["id"] for item in listed.json()["items"] if item["text"] == text)
    api = requests.Session()
    api.base = base + "/api/v1"
    answered = post(api, f"/portal-feedback/{feedback_id}/answer", tokens["dispatcher"],
                    {"answer": "Дякуємо, темна тема вже в планах", "useful": True})
    assert answered.status_code == 200, answered.text

    page = author.get(base + "/me/feedback", timeout=30)
    assert page.status_code == 200
    assert "Дякуємо, темна тема вже в планах" in page.text and "Є відповідь" in page.text

    other = signed_in_browser(platform, "resident@demo.hromada")
    assert text not in other.get(base + "/me/feedback", timeout=30).text
    # the useful answer earned the author points, listed on their points page
    assert eventually(lambda: "Корисна пропозиція щодо порталу" in author.get(
        base + "/me/points", timeout=30).text)


def test_the_help_and_the_boards_render_from_the_real_services(platform):
    base = platform.url
    browser = requests.Session()
    browser.headers["Accept-Language"] = "en"

    deadlines = browser.get(base + "/help/deadlines", timeout=30)
    assert deadlines.status_code == 200
    categories = requests.get(base + "/api/v1/categories", timeout=30).json()["items"]
    leaf = next(c for c in categories if c["level"] == "leaf" and c["deadline_hours"])
    row = re.search(rf'<tr id="category-{re.escape(leaf["code"])}">(.*?)</tr>',
                    deadlines.text, re.S).group(1)
    assert leaf["name"]["en"] in row
    assert f'{leaf["deadline_hours"]["complex"]} hours' in row

    points = browser.get(base + "/help/points", timeout=30)
    assert points.status_code == 200 and "Newcomer" in points.text

    boards = browser.get(base + "/leaderboards?period=year&district=podilskyi", timeout=30)
    assert boards.status_code == 200, boards.text
    assert browser.get(base + "/leaderboards?period=fortnight", timeout=30).status_code == 400
    assert browser.get(base + "/bodies/kyivavtodor", timeout=30).status_code == 200
    assert browser.get(base + "/bodies/no-such-body", timeout=30).status_code == 404
    listed = browser.get(base + "/appeals?district=podilskyi&body=kyivavtodor", timeout=30)
    assert listed.status_code == 200, listed.text
    assert browser.get(base + "/appeals?district=atlantis", timeout=30).status_code == 400
