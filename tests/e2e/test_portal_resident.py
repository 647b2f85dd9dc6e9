"""The resident's answer through the portal's forms on the running platform: filed and
resolved through the API, then sent back for rework and confirmed with a rating in the browser
(a cookie session as a browser keeps one; plain requests, no JavaScript)."""
import re

import pytest
import requests

from .helpers import appeal_payload, bearer, eventually, post, submit, wait_for_state

pytestmark = pytest.mark.e2e
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def resolve(api, tokens, appeal_id, comment, take=True):
    if take:
        assert post(api, f"/appeals/{appeal_id}/take", tokens["executor"]).status_code == 200
    response = post(api, f"/appeals/{appeal_id}/resolve", tokens["executor"], {"comment": comment})
    assert response.status_code == 200, response.text
    return wait_for_state(api, appeal_id, "resolved")


def signed_in_browser(base) -> requests.Session:
    from deploy.demo import DEMO_PASSWORD

    browser = requests.Session()
    browser.headers["Accept-Language"] = "uk"
    page = browser.get(base + "/signin", timeout=30)
    signed_in = browser.post(base + "/signin", timeout=30, data={
        "email": "resident@demo.hromada", "password": DEMO_PASSWORD, "next": "/me/appeals",
        "csrf_token": CSRF.search(page.text).group(1)})
    assert signed_in.status_code == 200 and signed_in.url.endswith("/me/appeals"), signed_in.text
    return browser


def answer_in_browser(browser, base, appeal_id, action, data, timeout=30):
    """POST the appeal page's form; feedback learns of the resolution by event, so the first
    attempts may find the appeal not yet resolved there (a 409 page that says so)."""
    page = browser.get(f"{base}/appeals/{appeal_id}", timeout=30)
    assert page.status_code == 200, page.text
    token = CSRF.search(page.text).group(1)
    response = None

    def attempt():
        nonlocal response
        response = browser.post(f"{base}/appeals/{appeal_id}/{action}", timeout=30,
                                data={**data, "csrf_token": token}, allow_redirects=False)
        return response.status_code != 409

    eventually(attempt, timeout)
    return response


def test_rework_then_confirmation_with_a_rating_through_the_portal(platform, api, tokens):
    base = platform.url
    appeal = submit(api, appeal_payload(title="Не світить ліхтар біля під'їзду")).json()
    appeal_id = appeal["id"]
    wait_for_state(api, appeal_id, "assigned")
    resolve(api, tokens, appeal_id, "Замінили лампу")
    browser = signed_in_browser(base)

    mine = browser.get(base + "/me/appeals", timeout=30)
    assert f'href="/appeals/{appeal_id}"' in mine.text
    assert "Про виконання повідомлено: підтвердьте" in mine.text

    page = browser.get(f"{base}/appeals/{appeal_id}", timeout=30)
    assert f'action="/appeals/{appeal_id}/confirm"' in page.text
    assert f'action="/appeals/{appeal_id}/rework"' in page.text
    assert "Звіт виконавця" in page.text and "Замінили лампу" in page.text
    assert "Звернення подано" in page.text and "(ви)" in page.text
    # someone else (here: a visitor) sees the report but no forms
    visitor = requests.get(f"{base}/appeals/{appeal_id}", timeout=30).text
    assert "Замінили лампу" in visitor and 'action="/appeals/' not in visitor

    # an empty reason is refused beside the field, and nothing is sent back
    empty = answer_in_browser(browser, base, appeal_id, "rework", {"reason": ""})
    assert empty.status_code == 422 and 'id="e-reason" role="alert"' in empty.text
    assert api.get(f"{api.base}/appeals/{appeal_id}").json()["state"] == "resolved"

    sent_back = answer_in_browser(browser, base, appeal_id, "rework",
                                  {"reason": "Лампа знову не світить увечері"})
    assert sent_back.status_code == 303, sent_back.text
    assert sent_back.headers["Location"].endswith("?done=rework#notice")
    wait_for_state(api, appeal_id, "rework")
    after = browser.get(base + sent_back.headers["Location"], timeout=30)
    assert "Повернуто на доопрацювання" in after.text

    commented = answer_in_browser(browser, base, appeal_id, "comments",
                                  {"text": "Перевірте, будь ласка, й запобіжник"})
    assert commented.status_code == 303, commented.text
    comments = api.get(f"{api.base}/appeals/{appeal_id}/comments").json()["items"]
    assert [c["text"] for c in comments] == ["Перевірте, будь ласка, й запобіжник"]

    resolve(api, tokens, appeal_id, "Замінили запобіжник", take=False)
    confirmed = answer_in_browser(browser, base, appeal_id, "confirm",
                                  {"rating": "4", "comment": "Тепер світить, дякую"})
    assert confirmed.status_code == 303, confirmed.text
    thanks = browser.get(base + confirmed.headers["Location"], timeout=30)
    assert "Дякуємо — вашу оцінку збережено" in thanks.text
    closed = wait_for_state(api, appeal_id, "closed")
    assert closed["rating"] == 4 and closed["rework_count"] == 1
    as_author = api.get(f"{api.base}/appeals/{appeal_id}", headers=bearer(tokens["resident"]))
    assert as_author.json()["history"][-1]["by"] == as_author.json()["author_id"]

    final = browser.get(f"{base}/appeals/{appeal_id}", timeout=30).text
    assert f'action="/appeals/{appeal_id}/confirm"' not in final
    assert "оцінка 4 з 5" in final and "Тепер світить, дякую" in final


def test_notifications_page_and_the_header_count(platform, api, tokens):
    base = platform.url
    appeal = submit(api, appeal_payload(title="Сміття біля зупинки")).json()
    wait_for_state(api, appeal["id"], "assigned")
    resolve(api, tokens, appeal["id"], "Прибрали")
    told = eventually(lambda: [n for n in api.get(
        f"{api.base}/me/notifications", params={"unread_only": "true", "limit": 100},
        headers=bearer(tokens["resident"])).json()["items"] if n["appeal_id"] == appeal["id"]
        and n["kind"] == "appeal_resolved"])
    assert told, "the resident was told the work is done"
    browser = signed_in_browser(base)

    page = browser.get(base + "/me/notifications", timeout=30)
    assert page.status_code == 200
    assert re.search(r'href="/me/notifications"[^>]*>Сповіщення <span class="badge">\d+', page.text)
    assert f'href="/appeals/{appeal["id"]}"' in page.text

    marked = browser.post(base + "/me/notifications/read", timeout=30, data={
        "all": "true", "next": "/me/notifications",
        "csrf_token": CSRF.search(page.text).group(1)})
    assert marked.status_code == 200 and marked.url.endswith("done=read")
    assert "Позначено як прочитане" in marked.text
    left = api.get(f"{api.base}/me/notifications", params={"unread_only": "true"},
                   headers=bearer(tokens["resident"])).json()
    assert left["unread_count"] == 0 or all(n["appeal_id"] != appeal["id"] for n in left["items"])
