"""The portal's public boards and a resident's own points: leaderboards (public names only),
each body's rating page, the body filter of the appeals list, /me/points and the certificate
download. The real gateway with stand-ins for the services behind it."""
import base64
import re

import pytest
from hromada_common.errors import Forbidden, NotFound

# The browser-style fixtures and helpers of the account pages' tests (cookies, CSRF).
from test_web_accounts import config, sign_in, web  # noqa: F401

BODIES = [{"code": "kyivavtodor", "name": {"uk": "КК «Київавтодор»", "en": "Kyivavtodor"},
           "kind": "department"},
          {"code": "kyivvodokanal", "name": {"uk": "Київводоканал", "en": "Kyivvodokanal"},
           "kind": "utility"}]
CATEGORIES = [{"code": "roads", "name": {"uk": "Дороги", "en": "Roads"}, "parent": None,
               "level": "domain"},
              {"code": "roads.surface.pothole", "name": {"uk": "Вибоїна", "en": "Pothole"},
               "parent": "roads", "level": "leaf"}]
RESIDENTS = {"period": "2026-12", "district": None, "limit": 50, "offset": 0, "items": [
    {"rank": 1, "name": "Сміливий Їжак", "points": 1250, "level": {"number": 5, "name": {
        "uk": "Амбасадор", "en": "Ambassador"}}, "resident_id": "acc-secret-1",
     "email": "secret@example.org"},
    {"rank": 2, "name": "Олена П.", "points": 90, "level": {"number": 2, "name": {
        "uk": "Активіст", "en": "Activist"}}}]}
FIGURES = {"status": "ranked", "appeals": 40, "on_time_rate": 0.875, "confirmed_rate": 0.5,
           "rework_rate": 0.1, "breaches": 5, "mean_rating": 4.2, "counts": {}, "score": 71.3,
           "shrunk": {}}
BODY_BOARD = {"period": "2026-12", "period_kind": "month", "domain": "*",
              "ranked": [{"rank": 1, "body": "kyivavtodor", **FIGURES}],
              "unranked": [{"body": "kyivvodokanal", "status": "not_yet_ranked", "appeals": 2,
                            "on_time_rate": 1.0, "confirmed_rate": None, "rework_rate": 0.0,
                            "breaches": 0, "mean_rating": None, "counts": {}}],
              "ranked_total": 1, "unranked_total": 1, "minimum_sample": 10, "prior": {}}
BODY_RATING = {"body": "kyivavtodor", "minimum_sample": 10, "prior": {}, "periods": {
    "month": {"period": "2026-12", "domains": {
        "*": {**FIGURES, "rank": 1, "ranked_bodies": 7, "prior": {}},
        "roads": {**FIGURES, "rank": 2, "ranked_bodies": 3, "prior": {}}}},
    "quarter": {"period": "2026-Q4", "domains": {}},
    "year": {"period": "2026", "domains": {}},
    "all": {"period": "all", "domains": {"*": {**FIGURES, "rank": 3, "ranked_bodies": 9,
                                               "prior": {}}}}}}
POINTS = {"resident_id": "acc-1", "points": 120, "level": {
    "number": 2, "name": {"uk": "Активіст", "en": "Activist"}, "min_points": 50},
    "next_level": {"number": 3, "name": {"uk": "Помічник міста", "en": "City helper"},
                   "min_points": 200},
    "periods": {"month": 30, "quarter": 60, "year": 120},
    "badges": [{"code": "first_appeal", "name": {"uk": "Перше звернення", "en": "First appeal"},
                "awarded_at": "2026-11-02T10:00:00+00:00"}],
    "ledger": {"items": [{"id": "e1", "rule": "appeal_accepted", "points": 10, "capped": False,
                          "appeal_id": "ap-1", "district": "podilskyi",
                          "at": "2026-12-01T10:00:00+00:00"}], "limit": 20, "offset": 0},
    "public_profile": {"shown_as": "pseudonym", "name": "Сміливий Їжак", "pseudonym": None}}
REWARDS = {"nominations": [], "rewards": [
    {"id": "rw-1", "nomination_id": "n-1", "kind": "certificate", "period": "2026-11",
     "gift": None, "granted_at": "2026-12-02T10:00:00+00:00", "delivered_at": None,
     "certificate_available": True},
    {"id": "rw-2", "nomination_id": "n-2", "kind": "gift", "period": "2026-Q3",
     "gift": {"id": "g-1", "name": {"uk": "Квитки до театру", "en": "Theatre tickets"},
              "description": None},
     "granted_at": "2026-10-02T10:00:00+00:00", "delivered_at": None,
     "certificate_available": False}]}
DISTRICTS = [{"code": "podilskyi", "name": {"uk": "Подільський район", "en": "Podilskyi district"}},
             {"code": "obolonskyi", "name": {"uk": "Оболонський район", "en": "Obolonskyi district"}}]
PDF = b"%PDF-1.7\n% a certificate\n"


@pytest.fixture
def boards(web):
    web.routing.list_bodies.return_value = BODIES
    web.routing.list_districts.return_value = DISTRICTS
    web.routing.list_categories.return_value = CATEGORIES
    web.gamification.leaderboard_residents.return_value = RESIDENTS
    web.gamification.leaderboard_bodies.return_value = BODY_BOARD
    web.gamification.body_rating.return_value = BODY_RATING
    web.gamification.my_points.return_value = POINTS
    web.gamification.my_rewards.return_value = REWARDS
    web.gamification.certificate.return_value = {
        "filename": 'certificate-2026-11 "x"\r\nSet-Cookie: a=b.pdf',
        "content_type": "application/pdf", "content_base64": base64.b64encode(PDF).decode()}
    return web


# --- leaderboards -----------------------------------------------------------------------------


def test_the_leaderboards_show_public_names_points_and_bodies(boards):
    response = boards.api.get("/leaderboards", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    text = response.text
    assert "Сміливий Їжак" in text and "1,250" in text and "Ambassador" in text
    assert "Олена П." in text
    assert "acc-secret-1" not in text and "secret@example.org" not in text  # public names only
    assert 'href="/bodies/kyivavtodor">Kyivavtodor</a>' in text
    assert "87.5%" in text or "88%" in text
    assert "not yet ranked" in text and 'href="/bodies/kyivvodokanal"' in text
    boards.gamification.leaderboard_residents.assert_called_once_with({"period": "month", "limit": 50})
    boards.gamification.leaderboard_bodies.assert_called_once_with({"period": "month", "limit": 50})


def test_the_leaderboards_filter_by_period_district_and_domain(boards):
    response = boards.api.get("/leaderboards?period=quarter&domain=roads&district=podilskyi")

    assert response.status_code == 200
    boards.gamification.leaderboard_residents.assert_called_once_with(
        {"period": "quarter", "district": "podilskyi", "limit": 50})
    assert '<option value="podilskyi" selected>' in response.text
    boards.gamification.leaderboard_bodies.assert_called_once_with(
        {"period": "quarter", "domain": "roads", "limit": 50})
    assert '<option value="quarter" selected>' in response.text
    assert '<option value="roads" selected>' in response.text


@pytest.mark.parametrize("query, field", [
    ("period=fortnight", "period"), ("period=%00", "period"), ("domain=space", "domain"),
    ("domain=roads.surface.pothole", "domain"), ("period=month&period=year", "period"),
    ("district=atlantis", "district"), ("district=%2A", "district"),
])
def test_a_bad_leaderboard_filter_is_a_400_beside_its_field_never_a_500(boards, query, field):
    response = boards.api.get(f"/leaderboards?{query}")

    assert response.status_code == 400
    assert f'id="f-{field}" name="{field}" aria-invalid="true" aria-describedby="e-{field}"' in response.text
    assert f'<p class="error" id="e-{field}" role="alert">' in response.text
    called = boards.gamification.leaderboard_bodies.call_args.args[0]
    assert called["period"] in ("month", "year") and called.get("domain") in (None, "roads")
    assert "district" not in boards.gamification.leaderboard_residents.call_args.args[0]


def test_an_unknown_leaderboard_parameter_is_reported_not_a_500(boards):
    response = boards.api.get("/leaderboards?colour=red")

    assert response.status_code == 400 and "colour" in response.text and 'role="alert"' in response.text


# --- a body's page ----------------------------------------------------------------------------


def test_a_body_s_page_shows_its_record_per_period_and_domain(boards):
    response = boards.api.get("/bodies/kyivavtodor", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    text = response.text
    assert "<h1>Kyivavtodor</h1>" in text
    boards.gamification.body_rating.assert_called_once_with("kyivavtodor", {})
    assert 'id="period-month"' in text and 'id="period-all"' in text
    assert 'id="period-quarter"' not in text  # nothing counted there
    assert "1 of 7" in text and "2 of 3" in text and "3 of 9" in text
    assert "All domains" in text and "Roads" in text
    assert 'href="/appeals?body=kyivavtodor"' in text


def test_a_body_without_ratings_yet_still_has_its_page(boards):
    boards.gamification.body_rating.side_effect = NotFound("nothing yet", {"body": ["no ratings yet"]})

    response = boards.api.get("/bodies/kyivvodokanal", headers={"Accept-Language": "en"})

    assert response.status_code == 200 and "This body has no rating yet" in response.text


@pytest.mark.parametrize("body", ["nobody", "kyiv%20avtodor", "KYIVAVTODOR"])
def test_an_unknown_body_is_a_404_page(boards, body):
    response = boards.api.get(f"/bodies/{body}")

    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
    assert not boards.gamification.body_rating.called


# --- the appeals list's body filter -----------------------------------------------------------


def test_the_appeals_list_filters_by_body(boards):
    response = boards.api.get("/appeals?body=kyivavtodor")

    assert response.status_code == 200
    assert boards.intake.list_appeals.call_args.args[0]["body"] == "kyivavtodor"
    assert '<option value="kyivavtodor" selected>' in response.text


def test_the_appeals_list_filters_by_district(boards):
    response = boards.api.get("/appeals?district=podilskyi&state=assigned",
                              headers={"Accept-Language": "en"})

    assert response.status_code == 200
    filters = boards.intake.list_appeals.call_args.args[0]
    assert filters["district"] == "podilskyi" and filters["state"] == "assigned"
    assert '<option value="podilskyi" selected>Podilskyi district</option>' in response.text


@pytest.mark.parametrize("field, value", [("body", "nobody"), ("district", "atlantis"),
                                          ("district", "x" * 65)])
def test_an_unknown_body_or_district_filter_is_a_400_beside_the_field(boards, field, value):
    response = boards.api.get(f"/appeals?{field}={value}")

    assert response.status_code == 400
    assert f'id="f-{field}" name="{field}" aria-invalid="true" aria-describedby="e-{field}"' in response.text
    assert f'<p class="error" id="e-{field}" role="alert">' in response.text
    assert field not in boards.intake.list_appeals.call_args.args[0]


def test_bodies_and_districts_are_kept_a_minute_not_asked_for_on_every_page(boards):
    for _ in range(3):
        assert boards.api.get("/appeals").status_code == 200
    assert boards.routing.list_bodies.call_count == 1
    assert boards.routing.list_districts.call_count == 1


# --- the resident's points and certificates ---------------------------------------------------


def test_my_points_needs_a_session(boards):
    for path in ("/me/points", "/me/rewards/rw-1/certificate"):
        response = boards.api.get(path, allow_redirects=False)
        assert response.status_code == 303 and response.headers["Location"].startswith("/signin?next=")
    assert not boards.gamification.my_points.called and not boards.gamification.certificate.called


def test_my_points_shows_points_level_badges_rewards_and_the_ledger(boards, signing_keys):
    sign_in(boards, signing_keys)

    response = boards.api.get("/me/points", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    text = response.text
    assert "Level: Activist" in text and "City helper" in text and "200" in text
    assert "First appeal" in text
    assert "Appeal accepted into work" in text and 'href="/appeals/ap-1"' in text
    assert 'href="/me/rewards/rw-1/certificate"' in text
    assert 'href="/me/rewards/rw-2/certificate"' not in text
    assert "Gift: Theatre tickets" in text
    assert "Leaderboards show you as: Сміливий Їжак" in text


def test_the_certificate_is_a_pdf_download_with_a_safe_file_name(boards, signing_keys):
    sign_in(boards, signing_keys)

    response = boards.api.get("/me/rewards/rw-1/certificate")

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9._-]+"', disposition), disposition
    assert disposition.startswith('attachment; filename="certificate-2026-11-x-Set-Cookie-a-b.pdf"')
    assert "a=b" not in response.headers.get("Set-Cookie", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    boards.gamification.certificate.assert_called_once_with("rw-1")


@pytest.mark.parametrize("error, status", [(Forbidden("not yours"), 403),
                                           (NotFound("no reward", {"reward_id": ["no such reward"]}), 404)])
def test_someone_else_s_or_a_missing_certificate_is_an_error_page(boards, signing_keys, error, status):
    sign_in(boards, signing_keys)
    boards.gamification.certificate.side_effect = error

    response = boards.api.get("/me/rewards/rw-9/certificate")

    assert response.status_code == status and response.headers["Content-Type"].startswith("text/html")
