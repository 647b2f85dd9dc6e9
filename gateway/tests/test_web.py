"""The portal's pages over HTTP: the real gateway with stand-ins for the services behind it
(their RPC answers), real templates and compiled catalogues."""
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hromada_common.errors import NotFound, Unavailable

from gateway.web import i18n

WEB = Path(__file__).resolve().parent.parent / "gateway" / "web"
APPEAL_ID = str(uuid.uuid4())


def statistics(total=12):
    return {"total": total, "by_state": {}, "done_confirmed_by_residents": 5,
            "resolved_awaiting_confirmation": 3, "archived_unconfirmed": 1}


def appeal(**overrides):
    due = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
    view = {
        "id": APPEAL_ID, "state": "assigned", "title": "Яма біля школи",
        "description": "Глибока яма на проїжджій частині.", "category": "roads.surface.pothole",
        "location": {"lat": 50.45, "lon": 30.52, "address": "вул. Хрещатик, 1"},
        "channel": "web", "fields": {}, "body": "kyivavtodor", "due_at": due,
        "complexity": 2, "escalated": False, "rework_count": 0, "rating": None,
        "created_at": "2026-12-01T08:00:00+00:00", "updated_at": "2026-12-01T09:00:00+00:00",
        "version": 2, "author_id": "acc-secret-author",
        "history": [{"state": "submitted", "at": "2026-12-01T08:00:00+00:00", "by": "acc-x",
                     "version": 1, "note": None, "reason_code": None},
                    {"state": "assigned", "at": "2026-12-01T09:00:00+00:00", "by": "routing",
                     "version": 2, "note": None, "reason_code": None}],
    }
    view.update(overrides)
    return view


@pytest.fixture
def portal(gateway):
    gateway.intake.statistics.return_value = statistics()
    gateway.intake.list_appeals.return_value = {"items": [appeal()], "next_cursor": None}
    gateway.intake.get_appeal.return_value = appeal()
    gateway.routing.list_categories.return_value = [
        {"code": "roads.surface.pothole", "name": {"uk": "Вибоїна", "en": "Pothole"}}]
    return gateway


def test_the_home_page_speaks_ukrainian_by_default_with_strict_headers(portal):
    response = portal.api.get("/")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert '<html lang="uk">' in response.text
    assert "Ваше місто — лагодимо разом" in response.text
    assert "Яма біля школи" in response.text and "Вибоїна" in response.text
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "<script>" not in response.text and "style=" not in response.text  # no inline code


def test_english_from_accept_language_and_the_cookie_wins_over_it(portal):
    english = portal.api.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Your city, fixed together" in english.text

    chosen = portal.api.get("/", headers={"Accept-Language": "en"}, cookies={"lang": "uk"})
    assert '<html lang="uk">' in chosen.text

    other = portal.api.get("/", headers={"Accept-Language": "de, fr"})
    assert '<html lang="uk">' in other.text


def test_the_language_switch_sets_a_cookie_and_returns_to_the_page(portal):
    response = portal.api.get("/lang/en?next=/appeals%3Fstate%3Dassigned", allow_redirects=False)

    assert response.status_code == 303
    assert response.headers["Location"] == "/appeals?state=assigned"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie

    for outside in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        away = portal.api.get("/lang/en", params={"next": outside}, allow_redirects=False)
        assert away.headers["Location"] == "/"


def test_an_appeals_page_shows_state_deadline_and_timeline_but_nobody_s_identity(portal):
    response = portal.api.get(f"/appeals/{APPEAL_ID}")

    assert response.status_code == 200
    text = response.text
    assert "Яма біля школи" in text and "Призначено" in text
    # the timeline in words: what happened, and who by role (web.resident_pages)
    assert "Звернення подано" in text and "(мешканець)" in text
    assert "Передано відповідальному органу" in text and "(автоматичний розподіл)" in text
    assert "Термін:" in text
    assert "acc-secret-author" not in text and "acc-x" not in text
    assert 'property="og:title" content="Яма біля школи"' in text
    # times in Europe/Kyiv: 09:00 UTC on 1 December is 11:00 in Kyiv
    assert "11:00" in text


def test_a_missing_appeal_is_a_translated_404_page(portal):
    portal.intake.get_appeal.side_effect = NotFound("No appeal.")

    response = portal.api.get(f"/appeals/{uuid.uuid4()}", headers={"Accept-Language": "en"})

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Nothing here" in response.text


def test_an_unavailable_service_is_a_503_page_with_retry_after(portal):
    portal.intake.statistics.side_effect = Unavailable("intake is restarting")

    response = portal.api.get("/")

    assert response.status_code == 503
    assert "Сервіс зайнятий" in response.text
    assert response.headers["Retry-After"].isdigit()


@pytest.mark.parametrize("query", ["state=bogus", "limit=abc", "category=%00", "cursor=" + "x" * 2000])
def test_bad_filters_are_shown_beside_the_field_never_a_500(portal, query):
    response = portal.api.get(f"/appeals?{query}")

    assert response.status_code == 400
    assert 'role="alert"' in response.text
    if query.startswith("state"):
        assert 'id="f-state" name="state" aria-invalid="true"' in response.text


def test_static_assets_are_fingerprinted_and_cached_for_ever(portal):
    page = portal.api.get("/").text
    css = re.search(r'href="(/static/site\.[0-9a-f]{12}\.css)"', page).group(1)
    js = re.search(r'src="(/static/site\.[0-9a-f]{12}\.js)"', page).group(1)

    for url, kind in ((css, "text/css"), (js, "javascript")):
        response = portal.api.get(url)
        assert response.status_code == 200 and kind in response.headers["Content-Type"]
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        again = portal.api.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
    assert portal.api.get("/static/site.000000000000.css").status_code == 404


def test_text_assets_go_gzipped_to_browsers_that_accept_it(portal):
    page = portal.api.get("/").text
    css = re.search(r'href="(/static/site\.[0-9a-f]{12}\.css)"', page).group(1)
    plain = portal.api.get(css, headers={"Accept-Encoding": "identity"})
    packed = portal.api.get(css, headers={"Accept-Encoding": "gzip, deflate"})

    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Vary"] == "Accept-Encoding" == plain.headers["Vary"]
    assert int(packed.headers["Content-Length"]) < int(plain.headers["Content-Length"])
    assert packed.content == plain.content  # as requests decodes it: the same file


def test_the_help_page_explains_every_state_of_the_lifecycle(portal):
    from hromada_common.lifecycle import AppealState

    response = portal.api.get("/help", headers={"Accept-Language": "en"})

    for state in AppealState:
        assert f'id="state-{state}"' in response.text
    assert "Only this state counts as done." in response.text


def extracted_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(WEB), method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n",
                                                  "trim_blocks": "True", "lstrip_blocks": "True"}},
            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_visible_string_is_translated_in_each_catalogue(locale):
    with open(WEB / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalogue = read_po(po)
    translated = {m.id: m for m in catalogue if m.id}
    needed = extracted_messages()

    assert needed, "no strings extracted: the extraction itself is broken"
    missing = sorted(needed - set(translated))
    assert not missing, f"not in the {locale} catalogue (run `make extract-messages`): {missing}"
    empty = sorted(m for m in needed if not translated[m].string or translated[m].fuzzy)
    assert not empty, f"untranslated or fuzzy in {locale}: {empty}"


def test_dates_and_numbers_are_localised_in_kyiv_time():
    moment = "2026-07-01T09:30:00+00:00"  # summer: Kyiv is UTC+3
    assert "12:30" in i18n.Formatter("uk").datetime(moment)
    assert "липня" in i18n.Formatter("uk").datetime(moment, "long")
    assert "July" in i18n.Formatter("en").datetime(moment, "long")
    assert i18n.Formatter("uk").number(12345) == "12\xa0345"
    assert i18n.Formatter("en").number(12345) == "12,345"


def test_a_browser_on_a_path_that_does_not_exist_gets_the_portals_404_page(portal):
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = portal.api.get("/no-such-page", headers={"Accept": browser_accept})
    api = portal.api.get("/api/v1/no-such-thing", headers={"Accept": browser_accept})
    client = portal.api.get("/no-such-page")  # requests sends Accept: */*

    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert '<html lang="uk">' in page.text and "Тут нічого немає" in page.text
    assert "Content-Security-Policy" in page.headers
    assert api.status_code == 404 and api.headers["Content-Type"] == "application/problem+json"
    assert client.status_code == 404 and client.headers["Content-Type"] == "application/problem+json"


def test_the_filter_forms_any_is_no_filter_not_a_bad_one(portal):
    response = portal.api.get("/appeals?state=assigned&category=&body=&district=")

    assert response.status_code == 200 and 'role="alert"' not in response.text
    filters = portal.intake.list_appeals.call_args.args[0]
    assert filters["state"] == "assigned"
    assert not {"category", "body", "district"} & set(filters)
