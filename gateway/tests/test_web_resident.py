"""The resident's appeals, answers and notifications in the browser: the actions an appeal's
page offers in each state, the forms behind them (CSRF, errors beside the field, the RPC they
call), /me/appeals, /me/notifications and the header's unread count. The real gateway with
stand-ins for the services behind it."""
import io
import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from hromada_common.lifecycle import AppealState

from gateway.web.i18n import Formatter
from gateway.web.resident_pages import (
    RESIDENT_MOVES, UNREAD_CACHE_SECONDS, cached_unread, resident_actions, timeline_in_words,
)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ME = "acc-1"
APPEAL_ID = str(uuid.uuid4())
FORMS = {"confirm": f'action="/appeals/{APPEAL_ID}/confirm"',
         "rework": f'action="/appeals/{APPEAL_ID}/rework"',
         "comment": f'action="/appeals/{APPEAL_ID}/comments"'}


def appeal(state="resolved", author_id=ME, **overrides):
    due = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    view = {
        "id": APPEAL_ID, "state": state, "title": "Не світить ліхтар",
        "description": "Ліхтар біля під'їзду не світить тиждень.", "category": "light.lamp",
        "location": {"lat": 50.45, "lon": 30.52, "address": "вул. Січових Стрільців, 5"},
        "channel": "web", "fields": {}, "body": "kyivmisksvitlo", "due_at": due,
        "complexity": "standard", "escalated": False, "rework_count": 0, "rating": None,
        "created_at": "2026-12-01T08:00:00+00:00", "updated_at": "2026-12-02T09:00:00+00:00",
        "version": 5, "author_id": author_id,
        "history": [
            {"state": "submitted", "at": "2026-12-01T08:00:00+00:00", "by": author_id,
             "version": 1, "note": None, "reason_code": None},
            {"state": "assigned", "at": "2026-12-01T08:00:05+00:00", "by": "routing",
             "version": 2, "note": "deadline (assignment): 2026-12-04T08:00:00+00:00, standard",
             "reason_code": None},
            {"state": "in_progress", "at": "2026-12-01T10:00:00+00:00", "by": "acc-exec",
             "version": 3, "note": None, "reason_code": None},
            {"state": "resolved", "at": "2026-12-02T09:00:00+00:00", "by": "acc-exec",
             "version": 4, "note": "Замінили лампу і запобіжник", "reason_code": None},
        ],
    }
    if author_id is None:
        view.pop("author_id")
    view.update(overrides)
    return view


@pytest.fixture
def config(config):
    return {**config, "WEB_SESSION_SECRET": "a test secret"}


@pytest.fixture
def web(gateway):
    """The gateway, called as a browser does: no Authorization header, cookies only."""
    gateway.api.headers.pop("Authorization")
    gateway.routing.list_categories.return_value = [
        {"code": "light.lamp", "name": {"uk": "Ліхтар", "en": "Street lamp"}}]
    gateway.intake.get_appeal.return_value = appeal()
    gateway.intake.list_appeals.return_value = {"items": [], "next_cursor": None}
    gateway.feedback.list_comments.return_value = {"items": [
        {"id": "c1", "text": "Коли приїдете?", "at": "2026-12-01T11:00:00+00:00",
         "author_role": "resident", "author_id": ME, "display": "author of the appeal"},
        {"id": "c2", "text": "Завтра зранку", "at": "2026-12-01T12:00:00+00:00",
         "author_role": "staff", "author_id": "acc-exec",
         "display": "executor · kyivmisksvitlo"}]}
    gateway.accounts.my_notifications.return_value = {"items": [], "next_cursor": None,
                                                      "unread_count": 0}
    return gateway


def put_cookie(web, name, value):
    for cookie in [c for c in web.api.cookies if c.name == name]:
        web.api.cookies.clear(cookie.domain, cookie.path, cookie.name)
    host = web.api.base_url.split("://", 1)[1].rsplit(":", 1)[0]
    web.api.cookies.set(name, value, domain=host, path="/")


def sign_in(web, signing_keys, account_id=ME, *roles, body=None):
    put_cookie(web, "hromada_access", signing_keys.token_for(account_id, *roles, body=body))
    put_cookie(web, "hromada_refresh", "refresh-1")


def page_token(web, path=f"/appeals/{APPEAL_ID}") -> str:
    page = web.api.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def forms_on(html: str) -> set[str]:
    return {name for name, marker in FORMS.items() if marker in html}


def has_error(html: str, tag: str, key: str) -> bool:
    element = re.search(rf'<{tag} id="f-{re.escape(key)}"[^>]*>', html)
    return bool(element and 'aria-invalid="true"' in element.group(0)
                and f"e-{key}" in element.group(0)
                and f'<p class="error" id="e-{key}" role="alert">' in html)


# --- the one lifecycle decides which forms are offered ---------------------------------------


def test_the_actions_follow_the_lifecycle_for_the_author_and_none_for_others():
    assert set(RESIDENT_MOVES) == {AppealState.CLOSED, AppealState.REWORK}
    for state in AppealState:
        moves = ["confirm", "rework"] if state is AppealState.RESOLVED else []
        assert resident_actions(state, True) == moves + ["comment"], state
        assert resident_actions(state, False) == []


@pytest.mark.parametrize("state, offered", [
    ("submitted", {"comment"}), ("assigned", {"comment"}), ("in_progress", {"comment"}),
    ("resolved", {"confirm", "rework", "comment"}), ("rework", {"comment"}),
    ("closed", {"comment"}), ("archived", {"comment"}), ("rejected", {"comment"}),
])
def test_the_author_sees_exactly_the_forms_the_state_allows(web, signing_keys, state, offered):
    sign_in(web, signing_keys)
    web.intake.get_appeal.return_value = appeal(state)

    response = web.api.get(f"/appeals/{APPEAL_ID}")

    assert response.status_code == 200, response.text
    assert forms_on(response.text) == offered
    if "confirm" in offered:
        for n in range(1, 6):
            assert f'<input type="radio" id="f-rating-{n}" name="rating" value="{n}"' \
                in response.text
        assert 'enctype="multipart/form-data"' in response.text and 'name="photo"' in response.text


def test_someone_else_s_appeal_shows_no_actions_and_no_identity(web, signing_keys):
    sign_in(web, signing_keys, "acc-neighbour")
    web.intake.get_appeal.return_value = appeal(author_id=None)  # intake hides the author

    response = web.api.get(f"/appeals/{APPEAL_ID}")

    assert response.status_code == 200
    assert forms_on(response.text) == set()
    assert ME not in response.text and "acc-exec" not in response.text


def test_the_body_s_executor_sees_no_resident_actions(web, signing_keys):
    sign_in(web, signing_keys, "acc-exec", "executor", body="kyivmisksvitlo")
    web.intake.get_appeal.return_value = appeal()  # staff of the body may see the author id

    response = web.api.get(f"/appeals/{APPEAL_ID}")

    assert forms_on(response.text) == set()
    assert ME not in response.text


def test_a_visitor_sees_the_timeline_report_and_discussion_without_identities(web):
    web.intake.get_appeal.return_value = appeal(author_id=None, supporters_count=7)

    response = web.api.get(f"/appeals/{APPEAL_ID}", headers={"Accept-Language": "en"})

    text = response.text
    assert response.status_code == 200 and forms_on(text) == set()
    assert "Appeal filed" in text and "(the resident)" in text
    assert "Sent to the responsible body" in text and "Deadline set:" in text
    assert "Taken into work" in text and "(the executor)" in text
    assert re.search("The executor(&#39;|')s report", text)
    assert "Замінили лампу і запобіжник" in text
    assert "Коли приїдете?" in text and "Executor · kyivmisksvitlo" in text
    assert "The resident who filed it" in text
    assert "Supporters: 7" in text
    assert "/signin?next=" in text
    assert ME not in text and "acc-exec" not in text


def test_the_author_sees_their_own_moves_and_comments_as_yours(web, signing_keys):
    sign_in(web, signing_keys)

    response = web.api.get(f"/appeals/{APPEAL_ID}", headers={"Accept-Language": "en"})

    assert "Appeal filed</strong> <span class=\"who\">(you)</span>" in response.text
    assert "<strong>You</strong>" in response.text
    assert ME not in response.text  # the author's id never reaches the page


def test_comments_that_feedback_cannot_show_yet_do_not_break_the_page(web, signing_keys):
    web.feedback.list_comments.side_effect = NotFound("no appeal known to feedback")
    assert "Коментарів ще немає" in web.api.get(f"/appeals/{APPEAL_ID}").text
    web.feedback.list_comments.side_effect = Unavailable("feedback restarting")
    page = web.api.get(f"/appeals/{APPEAL_ID}")
    assert page.status_code == 200 and "Обговорення зараз неможливо показати" in page.text


def test_the_timeline_turns_intake_s_notes_into_words_by_role():
    history = appeal()["history"] + [
        {"state": "rework", "at": "2026-12-03T08:00:00+00:00", "by": ME, "note": "Не світить"},
        {"state": "rework", "at": "2026-12-03T08:00:01+00:00", "by": "routing",
         "note": "deadline (rework): 2026-12-05T08:00:00+00:00, standard; Не світить"},
        {"state": "rework", "at": "2026-12-05T09:00:00+00:00", "by": "routing",
         "note": "escalated: deadline passed"},
        {"state": "rework", "at": "2026-12-05T10:00:00+00:00", "by": "acc-head",
         "note": "deadline (extension): 2026-12-08T08:00:00+00:00, standard; погода"},
        {"state": "resolved", "at": "2026-12-06T08:00:00+00:00", "by": "acc-exec",
         "note": "Готово"},
        {"state": "closed", "at": "2026-12-06T09:00:00+00:00", "by": ME, "note": "rating 4: Дякую"},
    ]

    public = timeline_in_words(history, "en", Formatter("en"))
    mine = timeline_in_words(history, "en", Formatter("en"), True, ME)

    words = [(w["what"], w["who"], w["detail"]) for w in public]
    assert words[0] == ("Appeal filed", "the resident", None)
    assert words[1][:2] == ("Sent to the responsible body", "routing")
    assert words[1][2].startswith("Deadline set: Dec 4, 2026")
    assert words[4] == ("Sent back for rework", "the resident", "Не світить")
    assert words[5][0].startswith("Deadline set: Dec 5, 2026") and words[5][1:] == ("routing", None)
    assert words[6] == ("Escalated to the head of the responsible body", "routing", None)
    assert words[7][1:] == ("the head of the body", "погода")
    assert words[-1] == ("Work confirmed, appeal closed; rating 4 of 5", "the resident", "Дякую")
    assert [w["who"] for w in mine if w["who"] == "you"] == ["you", "you", "you"]
    assert all(ME not in str(w) for w in public)


# --- the forms: the right RPC with the right payload, then a redirect with a notice ----------


def test_confirming_with_a_rating_calls_feedback_and_redirects_with_thanks(web, signing_keys):
    sign_in(web, signing_keys)
    web.feedback.confirm.return_value = {"appeal_id": APPEAL_ID, "outcome": "confirmed"}

    response = web.api.post(f"/appeals/{APPEAL_ID}/confirm", data={
        "rating": "4", "comment": "Дякую!", "csrf_token": page_token(web)},
        allow_redirects=False)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/appeals/{APPEAL_ID}?done=confirmed#notice"
    web.feedback.confirm.assert_called_once_with(APPEAL_ID, {"rating": 4, "comment": "Дякую!"})
    after = web.api.get(f"/appeals/{APPEAL_ID}?done=confirmed")
    assert "Дякуємо — вашу оцінку збережено" in after.text
    # the new state reaches intake a moment later: the answered forms are not offered again
    assert forms_on(after.text) == {"comment"}


def test_a_confirmation_without_a_comment_sends_none(web, signing_keys):
    sign_in(web, signing_keys)
    web.api.post(f"/appeals/{APPEAL_ID}/confirm", data={
        "rating": "5", "comment": "", "csrf_token": page_token(web)}, allow_redirects=False)
    web.feedback.confirm.assert_called_once_with(APPEAL_ID, {"rating": 5, "comment": None})


@pytest.mark.parametrize("rating", [None, "0", "6", "abc"])
def test_a_missing_or_wrong_rating_is_shown_beside_the_choice(web, signing_keys, rating):
    sign_in(web, signing_keys)
    data = {"comment": "так собі", "csrf_token": page_token(web)}
    if rating is not None:
        data["rating"] = rating

    response = web.api.post(f"/appeals/{APPEAL_ID}/confirm", data=data)

    assert response.status_code == 422
    assert '<fieldset aria-invalid="true" aria-describedby="e-rating">' in response.text
    assert '<p class="error" id="e-rating" role="alert">Оберіть оцінку від 1 до 5.' \
        in response.text
    assert "так собі" in response.text  # what was written is kept
    web.feedback.confirm.assert_not_called()


def test_sending_back_for_rework_calls_feedback_with_the_reason(web, signing_keys):
    sign_in(web, signing_keys)
    web.feedback.request_rework.return_value = {"appeal_id": APPEAL_ID, "outcome": "rework"}

    response = web.api.post(f"/appeals/{APPEAL_ID}/rework", data={
        "reason": "Ліхтар знову не світить", "csrf_token": page_token(web)},
        allow_redirects=False)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/appeals/{APPEAL_ID}?done=rework#notice"
    web.feedback.request_rework.assert_called_once_with(
        APPEAL_ID, {"reason": "Ліхтар знову не світить", "photo_ref": None})


@pytest.mark.parametrize("reason, message", [
    ("", "Заповніть це поле."), ("  ", "Заповніть це поле."),
    ("ой", "Напишіть щонайменше 3 символи."), ("x" * 2001, "Це задовго."),
])
def test_a_rework_reason_is_required_and_its_error_is_beside_the_field(
        web, signing_keys, reason, message):
    sign_in(web, signing_keys)

    response = web.api.post(f"/appeals/{APPEAL_ID}/rework", data={
        "reason": reason, "csrf_token": page_token(web)})

    assert response.status_code == 422
    assert has_error(response.text, "textarea", "reason")
    assert message in response.text
    web.feedback.request_rework.assert_not_called()


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (80, 60), (40, 40, 180))
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                  ExifTags.GPS.GPSLatitude: (50.0, 27.0, 1.5)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def stored_files(config) -> list[Path]:
    root = Path(config["MEDIA_DIR"])
    return [p for p in root.rglob("*") if p.is_file() and p.suffix != ".type"] \
        if root.exists() else []


def rework_with_photo(web, content, name="lamp.jpg"):
    return web.api.post(f"/appeals/{APPEAL_ID}/rework",
                        data={"reason": "Ліхтар знову не світить",
                              "csrf_token": page_token(web)},
                        files={"photo": (name, content, "image/jpeg")}, allow_redirects=False)


def test_a_rework_photo_is_stored_clean_referenced_and_attached_as_rework(web, signing_keys,
                                                                          config):
    sign_in(web, signing_keys)
    web.intake.photo_allowance.return_value = {"remaining": 5, "limit": 5}
    order = []
    web.feedback.request_rework.side_effect = lambda *a: order.append("rework") or {}
    web.intake.attach_photos.side_effect = lambda *a: order.append("attached") or {"items": []}

    response = rework_with_photo(web, jpeg_with_gps())

    assert response.status_code == 303, response.text
    assert response.headers["Location"] == f"/appeals/{APPEAL_ID}?done=rework#notice"
    web.intake.photo_allowance.assert_called_once_with(APPEAL_ID, "rework")
    assert order == ["rework", "attached"]
    appeal_id, photos, purpose = web.intake.attach_photos.call_args.args
    assert appeal_id == APPEAL_ID and purpose == "rework" and len(photos) == 1
    assert set(photos[0]) == {"key", "content_type", "size", "width", "height", "sha256",
                              "thumbnail_key", "thumbnail_content_type", "thumbnail_size"}
    payload = web.feedback.request_rework.call_args.args[1]
    assert payload == {"reason": "Ліхтар знову не світить",
                       "photo_ref": f"/media/{photos[0]['key']}"}
    with Image.open(Path(config["MEDIA_DIR"]) / photos[0]["key"]) as image:
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_a_bad_rework_photo_is_shown_beside_the_field_and_nothing_is_sent(web, signing_keys,
                                                                         config):
    sign_in(web, signing_keys)
    web.intake.photo_allowance.return_value = {"remaining": 5, "limit": 5}

    response = rework_with_photo(web, b"<html>not a photo</html>", name="lamp.jpg")

    assert response.status_code == 422
    assert has_error(response.text, "input", "photo")
    assert "Фото 1 (lamp.jpg) не є зображенням JPEG, PNG або WebP." in response.text
    assert "Ліхтар знову не світить" in response.text  # the reason is kept
    web.feedback.request_rework.assert_not_called()
    web.intake.attach_photos.assert_not_called()
    assert stored_files(config) == []


def test_no_room_for_rework_photos_is_said_before_any_image_is_read(web, signing_keys):
    sign_in(web, signing_keys)
    web.intake.photo_allowance.return_value = {"remaining": 0, "limit": 5}

    response = rework_with_photo(web, jpeg_with_gps())

    assert response.status_code == 422 and has_error(response.text, "input", "photo")
    assert "щонайбільше 5" in response.text
    web.feedback.request_rework.assert_not_called()


def test_a_refused_rework_discards_its_stored_photo(web, signing_keys, config):
    sign_in(web, signing_keys)
    web.intake.photo_allowance.return_value = {"remaining": 5, "limit": 5}
    web.feedback.request_rework.side_effect = Conflict("not resolved", extra={})

    response = rework_with_photo(web, jpeg_with_gps())

    assert response.status_code == 409
    web.intake.attach_photos.assert_not_called()
    assert stored_files(config) == []


def test_when_the_photo_cannot_be_attached_the_rework_stands_and_says_so(web, signing_keys,
                                                                        config):
    sign_in(web, signing_keys)
    web.intake.photo_allowance.return_value = {"remaining": 5, "limit": 5}
    web.intake.attach_photos.side_effect = Conflict("too many", extra={})

    response = rework_with_photo(web, jpeg_with_gps())

    assert response.headers["Location"] == \
        f"/appeals/{APPEAL_ID}?done=rework-without-photo#notice"
    assert stored_files(config) == []
    page = web.api.get(response.headers["Location"])
    assert "Фото додати не вдалося." in page.text
    assert forms_on(page.text) == {"comment"}  # the rework is under way: no second one


def test_a_stranger_cannot_attach_a_rework_photo(web, signing_keys, config):
    sign_in(web, signing_keys, "acc-neighbour")
    web.intake.photo_allowance.side_effect = Forbidden("only the author")

    response = rework_with_photo(web, jpeg_with_gps())

    assert response.status_code == 403 and stored_files(config) == []
    web.feedback.request_rework.assert_not_called()


# --- photos and support on the appeal page -----------------------------------------------------


def photo(purpose, n):
    key = f"photos/{n:02x}/" + f"{n:02x}" * 16
    return {"id": f"p{n}", "purpose": purpose, "key": f"{key}.jpg",
            "thumbnail_key": f"{key}.thumb.jpg", "content_type": "image/jpeg", "size": 1,
            "width": 10, "height": 10, "sha256": "ab" * 32, "thumbnail_content_type": "image/jpeg",
            "thumbnail_size": 1, "created_at": "2026-12-01T08:00:00+00:00"}


def test_the_page_shows_photos_by_purpose_as_lazy_thumbnails_linking_to_the_image(web):
    web.intake.get_appeal.return_value = appeal(author_id=None, photos=[
        photo("appeal", 1), photo("appeal", 2), photo("resolution", 3), photo("rework", 4)])

    html = web.api.get(f"/appeals/{APPEAL_ID}").text

    for purpose, numbers in (("appeal", [1, 2]), ("resolution", [3]), ("rework", [4])):
        gallery = re.search(rf'<ul class="photos" id="photos-{purpose}">(.*?)</ul>', html, re.S)
        assert gallery, purpose
        links = re.findall(r'<a href="([^"]+)"><img src="([^"]+)" alt="([^"]+)" loading="lazy">',
                           gallery.group(1))
        assert [(href, src) for href, src, _alt in links] == [
            (f"/media/photos/{n:02x}/{f'{n:02x}' * 16}.jpg",
             f"/media/photos/{n:02x}/{f'{n:02x}' * 16}.thumb.jpg") for n in numbers]
    assert "Фото 2 проблеми" in html and "Фото 1 виконаної роботи" in html
    assert "Фото 1 того, що досі не так" in html
    assert "Фото від мешканця" in html and "Фото до повернення на доопрацювання" in html


def test_a_visitor_is_asked_to_sign_in_to_support(web):
    web.intake.get_appeal.return_value = appeal("assigned", author_id=None, supporters_count=2)

    html = web.api.get(f"/appeals/{APPEAL_ID}").text

    assert "Підтримали: 2" in html and f'/appeals/{APPEAL_ID}/support"' not in html
    assert "Увійдіть, щоб підтримати це звернення." in html


@pytest.mark.parametrize("supported, action, label", [
    (False, "support", "Підтримати звернення"),
    (True, "support/withdraw", "Відкликати підтримку"),
])
def test_another_resident_sees_support_or_withdraw(web, signing_keys, supported, action, label):
    sign_in(web, signing_keys, "acc-neighbour")
    web.intake.get_appeal.return_value = appeal("in_progress", author_id=None,
                                                supporters_count=3, supported_by_me=supported)

    html = web.api.get(f"/appeals/{APPEAL_ID}").text

    form = re.search(rf'<form method="post" action="/appeals/{APPEAL_ID}/{action}" '
                     r'id="support-form">(.*?)</form>', html, re.S)
    assert form and 'name="csrf_token"' in form.group(1) and label in form.group(1)


def test_the_author_and_staff_get_no_support_button(web, signing_keys):
    web.intake.get_appeal.return_value = appeal("in_progress")
    sign_in(web, signing_keys)
    assert 'id="support-form"' not in web.api.get(f"/appeals/{APPEAL_ID}").text
    sign_in(web, signing_keys, "acc-exec", "executor", body="kyivmisksvitlo")
    assert 'id="support-form"' not in web.api.get(f"/appeals/{APPEAL_ID}").text


@pytest.mark.parametrize("action, rpc, done, words", [
    ("support", "support_appeal", "supported",
     "Ви підтримуєте це звернення; ви дізнаватиметеся про кожну зміну."),
    ("support/withdraw", "withdraw_support", "withdrawn", "Ви більше не підтримуєте це звернення."),
])
def test_supporting_calls_intake_and_comes_back_with_a_notice(web, signing_keys, action, rpc,
                                                              done, words):
    sign_in(web, signing_keys, "acc-neighbour")
    web.intake.get_appeal.return_value = appeal("assigned", author_id=None)

    response = web.api.post(f"/appeals/{APPEAL_ID}/{action}",
                            data={"csrf_token": page_token(web)}, allow_redirects=False)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/appeals/{APPEAL_ID}?done={done}#notice"
    getattr(web.intake, rpc).assert_called_once_with(APPEAL_ID)
    assert words in web.api.get(response.headers["Location"]).text


def test_support_needs_a_session_then_a_csrf_token(web, signing_keys):
    response = web.api.post(f"/appeals/{APPEAL_ID}/support", data={"csrf_token": "x"},
                            allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/signin?next=%2Fappeals%2F{APPEAL_ID}"

    sign_in(web, signing_keys, "acc-neighbour")
    response = web.api.post(f"/appeals/{APPEAL_ID}/support", data={"csrf_token": "forged"},
                            allow_redirects=False)
    assert response.status_code == 403
    web.intake.support_appeal.assert_not_called()


@pytest.mark.parametrize("error, status, words", [
    (Conflict("you filed this appeal", extra={"reason": "own_appeal"}), 409,
     "Це звернення подали ви"),
    (Conflict("no more support", extra={"state": "closed"}), 409, "вже не відкрите"),
    (Forbidden("only residents support appeals"), 403, "лише мешканці"),
])
def test_a_refused_support_is_a_notice_on_the_page(web, signing_keys, error, status, words):
    sign_in(web, signing_keys)
    web.intake.get_appeal.return_value = appeal("assigned")
    web.intake.support_appeal.side_effect = error

    response = web.api.post(f"/appeals/{APPEAL_ID}/support",
                            data={"csrf_token": page_token(web)})

    assert response.status_code == status
    assert '<p class="error" id="notice" role="alert"' in response.text and words in response.text


def test_an_empty_file_field_is_no_photo(web, signing_keys):
    sign_in(web, signing_keys)
    response = web.api.post(f"/appeals/{APPEAL_ID}/rework",
                            data={"reason": "Ліхтар знову не світить",
                                  "csrf_token": page_token(web)},
                            files={"photo": ("", b"", "application/octet-stream")},
                            allow_redirects=False)
    assert response.status_code == 303
    web.feedback.request_rework.assert_called_once()


def test_commenting_calls_feedback_and_redirects(web, signing_keys):
    sign_in(web, signing_keys)
    web.intake.get_appeal.return_value = appeal("in_progress")

    response = web.api.post(f"/appeals/{APPEAL_ID}/comments", data={
        "text": "Дякую, чекаю", "csrf_token": page_token(web)}, allow_redirects=False)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/appeals/{APPEAL_ID}?done=commented#notice"
    web.feedback.add_comment.assert_called_once_with(APPEAL_ID, {"text": "Дякую, чекаю"})


def test_an_empty_comment_is_marked_beside_the_field(web, signing_keys):
    sign_in(web, signing_keys)
    response = web.api.post(f"/appeals/{APPEAL_ID}/comments", data={
        "text": "   ", "csrf_token": page_token(web)})
    assert response.status_code == 422 and has_error(response.text, "textarea", "text")
    web.feedback.add_comment.assert_not_called()


# --- the services' refusals: a notice, never a 500 -------------------------------------------


@pytest.mark.parametrize("error, status, words", [
    (Conflict("appeal is in_progress", extra={"state": "in_progress"}), 409,
     "Тим часом звернення змінилося"),
    (Conflict("limit", extra={"state": "resolved", "escalated": True}), 409,
     "передано керівникові відповідального органу"),
    (Forbidden("only the author"), 403, "лише мешканець, який подав це звернення"),
])
def test_a_service_refusal_is_a_notice_on_the_page(web, signing_keys, error, status, words):
    sign_in(web, signing_keys)
    web.feedback.request_rework.side_effect = error

    response = web.api.post(f"/appeals/{APPEAL_ID}/rework", data={
        "reason": "Ліхтар знову не світить", "csrf_token": page_token(web)})

    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'role="alert"' in response.text and words in response.text
    assert "Ліхтар знову не світить" in response.text  # the reason is not lost


def test_the_service_s_field_errors_are_shown_beside_the_field(web, signing_keys):
    sign_in(web, signing_keys)
    web.feedback.add_comment.side_effect = InvalidInput(
        "bad", {"text": ["Must not be blank."]})

    response = web.api.post(f"/appeals/{APPEAL_ID}/comments", data={
        "text": "щось", "csrf_token": page_token(web)})

    assert response.status_code == 422 and has_error(response.text, "textarea", "text")
    assert "Заповніть це поле." in response.text


# --- who may post, and CSRF ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["confirm", "rework", "comments"])
def test_a_visitor_posting_a_form_is_sent_to_sign_in(web, path):
    response = web.api.post(f"/appeals/{APPEAL_ID}/{path}", data={"rating": "5"},
                            allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/signin?next=%2Fappeals%2F{APPEAL_ID}"
    assert not web.feedback.method_calls


@pytest.mark.parametrize("path, data", [
    (f"/appeals/{APPEAL_ID}/confirm", {"rating": "5"}),
    (f"/appeals/{APPEAL_ID}/rework", {"reason": "не виправлено"}),
    (f"/appeals/{APPEAL_ID}/comments", {"text": "привіт"}),
    ("/me/notifications/read", {"all": "true"}),
])
@pytest.mark.parametrize("how", ["missing", "wrong", "cross-site origin"])
def test_every_resident_form_refuses_a_bad_csrf_token(web, signing_keys, path, data, how):
    sign_in(web, signing_keys)
    token = page_token(web)
    headers, data = {}, dict(data)
    if how == "wrong":
        data["csrf_token"] = "0" * 64
    elif how == "cross-site origin":
        data["csrf_token"], headers["Origin"] = token, "https://evil.example"
    web.feedback.reset_mock()
    web.accounts.reset_mock()

    response = web.api.post(path, data=data, headers=headers, allow_redirects=False)

    assert response.status_code == 403
    assert "Ця форма застаріла" in response.text
    assert not web.feedback.method_calls
    assert not web.accounts.mark_notifications_read.called


# --- my appeals --------------------------------------------------------------------------------


def test_my_appeals_needs_a_session(web):
    response = web.api.get("/me/appeals", allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == "/signin?next=%2Fme%2Fappeals"


def test_my_appeals_lists_the_caller_s_own_with_state_deadline_and_countdown(web, signing_keys):
    sign_in(web, signing_keys)
    web.intake.list_appeals.return_value = {
        "items": [appeal("in_progress", title="Яма"), appeal("resolved", title="Ліхтар")],
        "next_cursor": "abc123"}

    response = web.api.get("/me/appeals")

    assert response.status_code == 200
    web.intake.list_appeals.assert_called_once_with({"mine": True, "limit": 20})
    text = response.text
    assert "Яма" in text and "У роботі" in text
    assert "Термін:" in text and re.search(r"через \d+ (дні|день|днів)", text)
    assert '<span class="countdown" data-due="' in text  # site.js ticks it on
    assert "Про виконання повідомлено: підтвердьте" in text
    assert 'href="/me/appeals?cursor=abc123"' in text

    web.intake.list_appeals.reset_mock()
    web.api.get("/me/appeals?cursor=abc123")
    web.intake.list_appeals.assert_called_once_with({"mine": True, "limit": 20,
                                                     "cursor": "abc123"})


def test_my_appeals_with_a_bad_cursor_shows_the_newest_and_says_so(web, signing_keys):
    sign_in(web, signing_keys)
    web.intake.list_appeals.side_effect = [InvalidInput("malformed cursor", {"cursor": ["x"]}),
                                           {"items": [], "next_cursor": None}]
    response = web.api.get("/me/appeals?cursor=bogus")
    assert response.status_code == 400 and 'role="alert"' in response.text
    assert "Ви ще не подали жодного звернення" in response.text


# --- notifications and the header's count ----------------------------------------------------


def notification(n, read=False):
    return {"id": f"n{n}", "kind": "appeal_resolved", "appeal_id": APPEAL_ID,
            "title": f"Роботу виконано {n} / Work done {n}",
            "text": f"Підтвердьте {n}\n\nPlease confirm {n}",
            "created_at": "2026-12-02T09:00:00+00:00",
            "read_at": "2026-12-02T10:00:00+00:00" if read else None}


def test_the_notifications_page_in_the_reader_s_language_with_paging(web, signing_keys):
    sign_in(web, signing_keys)
    web.accounts.my_notifications.return_value = {
        "items": [notification(1), notification(2, read=True)], "next_cursor": "cur-2",
        "unread_count": 1}

    uk = web.api.get("/me/notifications")
    en = web.api.get("/me/notifications?unread_only=true", headers={"Accept-Language": "en"})

    assert uk.status_code == 200
    assert "Роботу виконано 1" in uk.text and "Work done 1" not in uk.text
    assert "Work done 1" in en.text and "Please confirm 1" in en.text
    assert uk.text.count('name="id" value="n1"') == 1 and 'value="n2"' not in uk.text
    assert 'href="/me/notifications?cursor=cur-2"' in uk.text
    assert 'href="/me/notifications?cursor=cur-2&amp;unread_only=true"' in en.text
    assert f'href="/appeals/{APPEAL_ID}"' in uk.text
    calls = [c.args[0] for c in web.accounts.my_notifications.call_args_list]
    assert {"limit": 20, "unread_only": False} in calls
    assert {"limit": 20, "unread_only": True} in calls


def test_marking_one_and_all_read(web, signing_keys):
    sign_in(web, signing_keys)
    web.accounts.my_notifications.return_value = {
        "items": [notification(1)], "next_cursor": None, "unread_count": 1}
    token = page_token(web, "/me/notifications")
    web.accounts.mark_notifications_read.return_value = {"updated": 1}

    one = web.api.post("/me/notifications/read", data={
        "id": "n1", "next": "/me/notifications?unread_only=true&done=read",
        "csrf_token": token}, allow_redirects=False)
    every = web.api.post("/me/notifications/read", data={
        "all": "true", "next": "https://evil.example/", "csrf_token": token},
        allow_redirects=False)

    assert one.status_code == 303
    assert one.headers["Location"] == "/me/notifications?unread_only=true&done=read"
    assert every.headers["Location"] == "/me/notifications?done=read"
    assert [c.args[0] for c in web.accounts.mark_notifications_read.call_args_list] == [
        {"ids": ["n1"]}, {"all": True}]
    assert "Позначено як прочитане" in web.api.get("/me/notifications?done=read").text


def test_the_notifications_page_needs_a_session(web):
    response = web.api.get("/me/notifications", allow_redirects=False)
    assert response.status_code == 303 and "/signin?next=" in response.headers["Location"]
    assert not web.accounts.my_notifications.called


def test_the_header_shows_the_unread_count_asking_accounts_once_a_minute(web, signing_keys):
    sign_in(web, signing_keys)
    web.accounts.my_notifications.return_value = {"items": [], "next_cursor": None,
                                                  "unread_count": 3}

    first = web.api.get("/help")
    second = web.api.get("/appeals")

    for page in (first, second):
        assert re.search(r'href="/me/notifications"[^>]*>Сповіщення <span class="badge">3<',
                         page.text)
    web.accounts.my_notifications.assert_called_once_with({"limit": 1, "unread_only": True})
    cookie = [h for h in first.raw.headers.getlist("Set-Cookie") if h.startswith("hromada_unread=")]
    assert cookie and "HttpOnly" in cookie[0] and f"Max-Age={UNREAD_CACHE_SECONDS}" in cookie[0]


def test_the_cached_count_belongs_to_one_account_and_expires():
    now = time.time()
    assert cached_unread(f"4.{int(now)}.acc-1", "acc-1", now) == 4
    assert cached_unread(f"4.{int(now)}.acc-1", "acc-2", now) is None
    assert cached_unread(f"4.{int(now) - UNREAD_CACHE_SECONDS}.acc-1", "acc-1", now) is None
    assert cached_unread("garbage", "acc-1", now) is None and cached_unread(None, "x") is None


def test_a_visitor_s_pages_cost_no_notification_call(web):
    page = web.api.get("/help")
    assert page.status_code == 200 and 'href="/me/notifications"' not in page.text
    assert not web.accounts.my_notifications.called


def test_the_header_count_is_left_out_while_accounts_is_down(web, signing_keys):
    sign_in(web, signing_keys)
    web.accounts.my_notifications.side_effect = Unavailable("accounts restarting")
    page = web.api.get("/help")
    assert page.status_code == 200 and 'href="/me/notifications"' in page.text
    assert 'class="badge"' not in page.text
