"""The portal's help and its feedback form: the help's pages in both languages, rendered from
the rules' one source (the lifecycle, routing's taxonomy, gamification's catalogue), and the
portal feedback form with the staff's answer shown to its author. The real gateway with
stand-ins for the services behind it."""
import re
from pathlib import Path

import pytest
import yaml
from hromada_common.errors import InvalidInput, Unavailable
from hromada_common.lifecycle import AppealState

from gateway.schemas import PORTAL_FEEDBACK_CATEGORIES
from gateway.web import help_pages

# The browser-style fixtures and helpers of the account pages' tests (cookies, CSRF).
from test_web_accounts import config, csrf_token, sign_in, web  # noqa: F401

HELP_PAGES = ["/help"] + [f"/help/{slug}" for slug, _title in help_pages.HELP_TOPICS if slug]
CATEGORIES = [
    {"code": "roads", "name": {"uk": "Дороги", "en": "Roads"}, "parent": None,
     "level": "domain", "body": None, "active": True, "fields": [], "deadline_hours": None,
     "default_complexity": None, "emergency": False},
    {"code": "roads.surface", "name": {"uk": "Покриття", "en": "Road surface"},
     "parent": "roads", "level": "category", "body": None, "active": True, "fields": [],
     "deadline_hours": None, "default_complexity": None, "emergency": False},
    {"code": "roads.surface.pothole", "name": {"uk": "Вибоїна", "en": "Pothole"},
     "parent": "roads.surface", "level": "leaf", "body": "kyivavtodor", "active": True,
     "fields": [], "deadline_hours": {"simple": 16, "standard": 40, "complex": 120},
     "default_complexity": "standard", "emergency": False},
    {"code": "water", "name": {"uk": "Вода", "en": "Water"}, "parent": None,
     "level": "domain", "body": None, "active": True, "fields": [], "deadline_hours": None,
     "default_complexity": None, "emergency": False},
    {"code": "water.burst", "name": {"uk": "Прорив труби", "en": "Burst pipe"},
     "parent": "water", "level": "leaf", "body": "kyivvodokanal", "active": True,
     "fields": [], "deadline_hours": {"simple": 3, "standard": 7, "complex": 21},
     "default_complexity": "simple", "emergency": True},
]
BODIES = [{"code": "kyivavtodor", "name": {"uk": "КК «Київавтодор»", "en": "Kyivavtodor"},
           "kind": "department"},
          {"code": "kyivvodokanal", "name": {"uk": "Київводоканал", "en": "Kyivvodokanal"},
           "kind": "utility"}]
CATALOGUE = {
    "badges": [{"code": "first_appeal", "name": {"uk": "Перше звернення", "en": "First appeal"},
                "description": {"uk": "Перше звернення прийнято", "en": "First appeal accepted"},
                "counter": "accepted_appeals", "threshold": 1, "per_district": False}],
    "levels": [{"number": 1, "name": {"uk": "Новачок", "en": "Newcomer"}, "min_points": 0},
               {"number": 2, "name": {"uk": "Активіст", "en": "Activist"}, "min_points": 77}],
    "rules": [{"rule": "appeal_accepted", "points": 13, "daily_cap": 4},
              {"rule": "appeal_rejected_spam", "points": -20, "daily_cap": None}],
    "rewards": {"nominated_periods": ["month", "year"], "nominees_per_district": 4,
                "nominees_city_wide": 2},
}
FEEDBACK = {"id": "fb-1", "author_id": "acc-1", "category": "idea",
            "text": "Додайте темну тему", "state": "answered",
            "answer": "Дякуємо, додамо в наступному випуску.", "answered_by": "acc-staff",
            "answered_at": "2026-12-02T10:00:00+00:00", "closed_by": None, "closed_at": None,
            "useful": True, "created_at": "2026-12-01T10:00:00+00:00"}


@pytest.fixture
def helped(web):
    web.routing.list_categories.return_value = CATEGORIES
    web.routing.list_bodies.return_value = BODIES
    web.gamification.badge_catalogue.return_value = CATALOGUE
    web.feedback.submit_portal_feedback.return_value = dict(FEEDBACK, state="new", answer=None)
    web.feedback.list_portal_feedback.return_value = {"items": [FEEDBACK], "next_cursor": None}
    return web


# --- the help ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", HELP_PAGES)
@pytest.mark.parametrize("lang, html_lang", [("uk", '<html lang="uk">'), ("en", '<html lang="en">')])
def test_every_help_page_renders_in_both_languages_with_the_table_of_contents(
        helped, path, lang, html_lang):
    response = helped.api.get(path, cookies={"lang": lang})

    assert response.status_code == 200, response.text
    assert html_lang in response.text
    for other in HELP_PAGES:  # every page links every other one, and the feedback form
        assert f'href="{other}"' in response.text
    assert 'href="/feedback"' in response.text
    assert re.search(rf'href="{re.escape(path)}" aria-current="page"', response.text)
    assert 'role="alert"' not in response.text


def test_the_help_is_linked_from_every_page_s_header_and_footer(helped):
    for path in ("/", "/appeals", "/signin", "/leaderboards"):
        page = helped.api.get(path).text
        assert 'href="/help"' in page and 'href="/help/privacy"' in page
        assert 'href="/leaderboards"' in page and 'href="/feedback"' in page


def test_the_states_on_the_help_are_exactly_the_lifecycle_s(helped):
    response = helped.api.get("/help", headers={"Accept-Language": "en"})

    shown = re.findall(r'<div id="state-([a-z_]+)">', response.text)
    assert shown == [state.value for state in AppealState]
    assert "Only this state counts as done." in response.text
    assert "This is a final state." in response.text


def test_the_deadline_table_is_rendered_from_the_taxonomy(helped):
    response = helped.api.get("/help/deadlines", headers={"Accept-Language": "en"})

    text = response.text
    assert response.status_code == 200
    helped.routing.list_categories.assert_called_with(False)
    # one table per domain, one row per leaf with its three deadlines and its body
    assert 'id="domain-roads"' in text and 'id="domain-water"' in text
    row = re.search(r'<tr id="category-roads\.surface\.pothole">(.*?)</tr>', text, re.S).group(1)
    assert "Road surface: Pothole" in row
    assert [re.sub(r"<.*", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][:3] \
        == ["16 hours", "40 hours", "120 hours"]
    assert 'class="usual">40 hours' in row  # the category's default complexity is marked
    assert 'href="/bodies/kyivavtodor">Kyivavtodor</a>' in row
    burst = re.search(r'<tr id="category-water\.burst">(.*?)</tr>', text, re.S).group(1)
    assert "around the clock" in burst and "3 hours" in burst
    assert 'id="category-roads"' not in text and 'id="category-roads.surface"' not in text

    ukrainian = helped.api.get("/help/deadlines", cookies={"lang": "uk"}).text
    assert "40 годин" in ukrainian and "16 годин" in ukrainian and "Вибоїна" in ukrainian


def test_points_levels_and_badges_come_from_gamification_s_catalogue(helped):
    text = helped.api.get("/help/points", headers={"Accept-Language": "en"}).text

    accepted = re.search(r'<tr id="rule-appeal_accepted">(.*?)</tr>', text, re.S).group(1)
    assert "Your appeal is accepted into work" in accepted
    assert "<td>13</td>" in accepted and "<td>4</td>" in accepted
    spam = re.search(r'<tr id="rule-appeal_rejected_spam">(.*?)</tr>', text, re.S).group(1)
    assert "-20" in spam and "no limit" in spam
    assert "Activist: from 77 points" in text
    assert "First appeal" in text and "First appeal accepted" in text
    nominations = re.search(r'<p id="nominations">(.*?)</p>', text, re.S).group(1)
    assert "(a month, a year), the 4 residents" in nominations
    assert "the 2 residents with the most points in the whole city" in nominations


def test_the_points_help_still_renders_while_gamification_restarts(helped):
    helped.gamification.badge_catalogue.side_effect = Unavailable("gamification restarting")

    response = helped.api.get("/help/points", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert "The points table cannot be shown right now" in response.text
    assert "certificate of gratitude" in response.text


def test_every_point_rule_and_feedback_kind_of_the_services_has_words():
    from gateway.web.board_pages import LEDGER_RULES

    rules_file = Path(__file__).resolve().parents[2] / "services" / "gamification" / \
        "gamification" / "data" / "residents.yml"
    gamification_rules = set(yaml.safe_load(rules_file.read_text())["rules"])
    assert set(help_pages.POINT_RULES) == gamification_rules == set(LEDGER_RULES)
    assert set(help_pages.FEEDBACK_CATEGORIES) == set(PORTAL_FEEDBACK_CATEGORIES)


# --- feedback about the portal ----------------------------------------------------------------


def test_the_feedback_form_needs_a_session(helped):
    response = helped.api.get("/feedback", allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == "/signin?next=%2Ffeedback"

    post = helped.api.post("/feedback", data={"category": "idea", "text": "x",
                                              "csrf_token": csrf_token(helped)},
                           allow_redirects=False)
    assert post.status_code == 303 and post.headers["Location"] == "/signin?next=%2Ffeedback"
    assert not helped.feedback.submit_portal_feedback.called


@pytest.mark.parametrize("how", ["missing", "wrong", "cross-site origin"])
def test_the_feedback_form_refuses_a_bad_csrf_token_before_anything_is_sent(
        helped, signing_keys, how):
    sign_in(helped, signing_keys)
    token = csrf_token(helped, "/feedback")
    data, headers = {"category": "idea", "text": "Темна тема"}, {}
    if how == "wrong":
        data["csrf_token"] = "0" * 64
    elif how == "cross-site origin":
        data["csrf_token"], headers["Origin"] = token, "https://evil.example"

    response = helped.api.post("/feedback", data=data, headers=headers, allow_redirects=False)

    assert response.status_code == 403 and "Ця форма застаріла" in response.text
    assert not helped.feedback.submit_portal_feedback.called


def test_sending_feedback_calls_the_api_s_rpc_and_redirects_to_the_list(helped, signing_keys):
    sign_in(helped, signing_keys)
    response = helped.api.post("/feedback", data={
        "category": "idea", "text": "Додайте темну тему",
        "csrf_token": csrf_token(helped, "/feedback")}, allow_redirects=False)

    assert response.status_code == 303 and response.headers["Location"] == "/me/feedback?done=sent"
    helped.feedback.submit_portal_feedback.assert_called_once_with(
        {"category": "idea", "text": "Додайте темну тему"})


@pytest.mark.parametrize("data, field", [
    ({"category": "idea", "text": ""}, "text"),
    ({"category": "idea", "text": "   "}, "text"),
    ({"category": "idea", "text": "x" * 4001}, "text"),
    ({"text": "Додайте темну тему"}, "category"),
    ({"category": "praise", "text": "Додайте темну тему"}, "category"),
])
def test_feedback_errors_are_shown_beside_the_field(helped, signing_keys, data, field):
    sign_in(helped, signing_keys)
    response = helped.api.post("/feedback", data={**data, "csrf_token": csrf_token(helped, "/feedback")})

    assert response.status_code == 422
    if field == "text":
        assert re.search(r'<textarea id="f-text"[^>]*aria-invalid="true" aria-describedby="e-text"',
                         response.text)
    else:
        assert '<fieldset aria-invalid="true" aria-describedby="e-category">' in response.text
        assert "Виберіть, що саме ви надсилаєте." in response.text
    assert f'<p class="error" id="e-{field}" role="alert">' in response.text
    assert not helped.feedback.submit_portal_feedback.called
    if data.get("text", "").strip() and len(data["text"]) < 100:
        assert data["text"] in response.text  # what was typed is kept


def test_the_service_s_own_refusal_is_shown_beside_the_field(helped, signing_keys):
    sign_in(helped, signing_keys)
    helped.feedback.submit_portal_feedback.side_effect = InvalidInput(
        "invalid", {"text": ["Length must be between 1 and 4000."]})

    response = helped.api.post("/feedback", data={
        "category": "bug", "text": "Не працює", "csrf_token": csrf_token(helped, "/feedback")})

    assert response.status_code == 422
    assert '<p class="error" id="e-text" role="alert">Це задовго.' in response.text


def test_the_author_sees_their_own_feedback_with_the_staff_s_answer(helped, signing_keys):
    sign_in(helped, signing_keys)

    response = helped.api.get("/me/feedback?done=sent")

    assert response.status_code == 200
    # only the reader's own, even for staff who may read everyone's
    helped.feedback.list_portal_feedback.assert_called_once_with({"mine": True, "limit": 20})
    assert "Додайте темну тему" in response.text
    assert "Дякуємо, додамо в наступному випуску." in response.text
    assert "Є відповідь" in response.text and "Пропозиція" in response.text
    assert "Позначено корисним" in response.text
    assert 'role="status"' in response.text
    assert "acc-staff" not in response.text and "acc-1" not in response.text


def test_older_feedback_is_one_link_away(helped, signing_keys):
    sign_in(helped, signing_keys)
    helped.feedback.list_portal_feedback.return_value = {"items": [FEEDBACK], "next_cursor": "c-2"}

    first = helped.api.get("/me/feedback")
    assert '<a rel="next" href="/me/feedback?cursor=c-2">' in first.text
    helped.api.get("/me/feedback?cursor=c-2")
    assert helped.feedback.list_portal_feedback.call_args.args[0] == {
        "mine": True, "limit": 20, "cursor": "c-2"}


def test_nobody_else_sees_the_list_of_feedback(helped):
    response = helped.api.get("/me/feedback", allow_redirects=False)

    assert response.status_code == 303 and response.headers["Location"].startswith("/signin")
    assert not helped.feedback.list_portal_feedback.called
