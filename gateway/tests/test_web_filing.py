"""Filing an appeal in the portal: each step's form, errors beside the field, CSRF, the
signed-in check, the idempotent submit, the map's settings. The real gateway with stand-ins
for the services behind it, posting forms as a browser without JavaScript does."""
import io
import re
import uuid
from pathlib import Path

import pytest
from hromada_common.errors import Conflict, Forbidden, InvalidInput, Unavailable
from PIL import ExifTags, Image

from gateway.ratelimit import choose_policies
from gateway.web.filing_pages import content_security_policy, map_tile_url, tile_origin

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
ME = {"id": "acc-1", "email": "olena@example.org", "display_name": "Олена", "roles": ["resident"],
      "verified": True}


def category(code, uk, en, level, parent=None, **more):
    return {"code": code, "name": {"uk": uk, "en": en}, "level": level, "parent": parent,
            "active": True, "body": None, "fields": [], "deadline_hours": None,
            "default_complexity": None, "emergency": False, **more}


TAXONOMY = [
    category("roads", "Дороги", "Roads", "domain"),
    category("roads.surface", "Дорожнє покриття", "Road surface", "category", "roads"),
    category("roads.surface.pothole", "Вибоїна на дорозі", "Pothole", "leaf", "roads.surface",
             body="kyivavtodor", deadline_hours={"simple": 16, "standard": 80, "complex": 240},
             default_complexity="standard"),
    category("lighting", "Освітлення", "Lighting", "domain"),
    category("lighting.street", "Вуличне освітлення", "Street lighting", "category", "lighting"),
    category("lighting.street.lamp_out", "Не горить ліхтар", "Street lamp out", "leaf",
             "lighting.street", body="kyivmiskvitlo",
             deadline_hours={"simple": 8, "standard": 24, "complex": 80},
             default_complexity="simple",
             fields=[{"name": "lamp_post_number", "type": "text", "required": True,
                      "label": {"uk": "Номер опори", "en": "Lamp post number"}, "choices": None},
                     {"name": "lamps_out", "type": "number", "required": False,
                      "label": {"uk": "Скільки не горить", "en": "How many are out"},
                      "choices": None}]),
    category("water", "Вода", "Water", "domain"),
    category("water.supply", "Водопостачання", "Water supply", "category", "water"),
    category("water.supply.poor_quality", "Незадовільна якість води", "Poor water quality",
             "leaf", "water.supply", body="kyivvodokanal",
             deadline_hours={"simple": 8, "standard": 40, "complex": 120},
             default_complexity="standard",
             fields=[{"name": "water_issue", "type": "choice", "required": True,
                      "choices": ["rusty", "cloudy"],
                      "label": {"uk": "Характер проблеми", "en": "Nature of the problem"}}]),
]
PLACE = {"lat": "50.4501", "lon": "30.5234", "address": "вул. Хрещатик, 1"}
DETAILS = {"title": "Не горить ліхтар біля школи",
           "description": "Третій вечір поспіль темно на переході."}


@pytest.fixture
def config(config):
    return {**config, "WEB_SESSION_SECRET": "a test secret", "WEB_MAP_TILE_URL": "",
            "CITY_BOUNDS": [50.213, 30.239, 50.591, 30.826]}


@pytest.fixture
def web(gateway, signing_keys):
    """A signed-in resident's browser: cookies only, no Authorization header."""
    gateway.api.headers.pop("Authorization")
    gateway.api.headers["Accept-Language"] = "uk"
    gateway.accounts.get_me.return_value = dict(ME)
    gateway.routing.list_categories.return_value = TAXONOMY
    host = gateway.api.base_url.split("://", 1)[1].rsplit(":", 1)[0]
    gateway.api.cookies.set("hromada_access", signing_keys.token_for("acc-1"), domain=host, path="/")
    gateway.api.cookies.set("hromada_refresh", "refresh-1", domain=host, path="/")
    return gateway


def form_of(html: str) -> dict:
    """The form's hidden fields (CSRF, the carried draft), as a browser would send them."""
    return dict(HIDDEN.findall(html))


def post_step(web, html, action="/file", **fields):
    response = web.api.post(action, data={**form_of(html), **fields}, allow_redirects=False)
    assert response.status_code in (200, 303, 422), response.text
    return response


def field_has_error(html: str, key: str) -> bool:
    tag = re.search(rf'<(?:input|textarea|select|div)[^>]* id="f-{re.escape(key)}"[^>]*>', html) \
        or re.search(rf'<(?:input|textarea|select|div) id="f-{re.escape(key)}"[^>]*>', html)
    return bool(tag and 'aria-invalid="true"' in tag.group(0)
                and re.search(rf'aria-describedby="[^"]*\be-{re.escape(key)}\b', tag.group(0))
                and f'<p class="error" id="e-{key}" role="alert">' in html)


def walk_to_photos(web, leaf="lighting.street.lamp_out", **extra):
    start = web.api.get("/file")
    place = post_step(web, start.text, pick=leaf)
    details = post_step(web, place.text, go="details", **PLACE)
    return post_step(web, details.text, go="photos", **DETAILS, **extra)


# --- who may file ---------------------------------------------------------------------------


def test_filing_needs_a_session_and_sends_to_sign_in_first(web):
    web.api.cookies.clear()
    response = web.api.get("/file?browse=roads", allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == "/signin?next=%2Ffile%3Fbrowse%3Droads"

    posted = web.api.post("/file/submit", data={"csrf_token": "x"}, allow_redirects=False)
    assert posted.status_code == 303 and posted.headers["Location"] == "/signin?next=%2Ffile"
    assert not web.intake.submit_appeal.called


def put_token(web, token):
    host = web.api.base_url.split("://", 1)[1].rsplit(":", 1)[0]
    for cookie in [c for c in web.api.cookies if c.name == "hromada_access"]:
        web.api.cookies.clear(cookie.domain, cookie.path, cookie.name)
    web.api.cookies.set("hromada_access", token, domain=host, path="/")


def test_an_account_that_does_not_file_is_told_at_once(web, signing_keys):
    put_token(web, signing_keys.token_for("acc-2", "executor", body="kyivavtodor"))
    response = web.api.get("/file", allow_redirects=False)
    assert response.status_code == 403 and "Лише мешканці" in response.text


def test_an_unconfirmed_resident_is_warned_on_every_step(web, signing_keys):
    put_token(web, signing_keys.token_for("acc-1", verified=False))
    response = web.api.get("/file")
    assert response.status_code == 200
    assert 'id="unconfirmed" role="alert"' in response.text and 'href="/verify"' in response.text
    put_token(web, signing_keys.token_for("acc-1"))
    assert 'id="unconfirmed"' not in web.api.get("/file").text


@pytest.mark.parametrize("path", ["/file", "/file/submit"])
@pytest.mark.parametrize("how", ["missing", "wrong", "cross-site origin"])
def test_every_filing_form_refuses_a_missing_or_wrong_csrf_token(web, path, how):
    page = web.api.get("/file").text
    data = {**form_of(page), "pick": "roads.surface.pothole", "go": "photos", **PLACE, **DETAILS}
    headers = {}
    if how == "missing":
        data.pop("csrf_token")
    elif how == "wrong":
        data["csrf_token"] = "0" * 64
    else:
        headers["Origin"] = "https://evil.example"

    response = web.api.post(path, data=data, headers=headers, allow_redirects=False)

    assert response.status_code == 403 and "Ця форма застаріла" in response.text
    assert not web.intake.submit_appeal.called


# --- step 1: the category ---------------------------------------------------------------------


@pytest.mark.parametrize("query, found, not_found", [
    ("ліхтар", "Не горить ліхтар", "Вибоїна"),
    ("LAMP", "Не горить ліхтар", "Вибоїна"),
    ("дороги вибоїна", "Вибоїна на дорозі", "ліхтар"),   # a parent's name counts too
    ("water rusty", None, None),                         # every word must match
])
def test_the_category_search_covers_both_languages_and_the_whole_tree(web, query, found,
                                                                      not_found):
    response = web.api.get("/file", params={"q": query})

    assert response.status_code == 200
    if found:
        results = response.text.split('id="search-results"', 1)[1].split("</ul>", 1)[0]
        assert found in results and not_found not in results
        assert 'name="pick" value=' in results
    else:
        assert "Жодна категорія не підходить" in response.text
        assert 'id="browse-list"' in response.text


def test_browsing_goes_domain_category_leaf_by_plain_links(web):
    top = web.api.get("/file").text
    assert 'href="/file?browse=roads"' in top and 'href="/file?browse=water"' in top

    domain = web.api.get("/file?browse=roads").text
    assert 'href="/file?browse=roads.surface"' in domain
    assert '<span aria-current="location">Дороги</span>' in domain

    leaves = web.api.get("/file?browse=roads.surface").text
    assert 'name="pick" value="roads.surface.pothole"' in leaves
    assert '<form method="post" action="/file"' in leaves


def test_choosing_a_domain_instead_of_a_leaf_is_an_error_beside_the_list(web):
    page = web.api.get("/file").text
    response = post_step(web, page, pick="roads")

    assert response.status_code == 422
    assert field_has_error(response.text, "category")
    assert "Оберіть категорію зі списку" in response.text


# --- step 2: the place ------------------------------------------------------------------------


def test_the_place_step_has_the_map_settings_and_always_the_fields(web):
    page = web.api.get("/file").text
    place = post_step(web, page, pick="roads.surface.pothole")
    html = place.text

    assert place.status_code == 200 and "Крок 2 з 4" in html
    assert 'id="f-lat"' in html and 'id="f-lon"' in html and 'id="f-address"' in html
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    assert 'data-bounds="50.213,30.239,50.591,30.826"' in html
    assert re.search(r'data-icon="/static/vendor/leaflet/images/marker-icon\.[0-9a-f]{12}\.png"',
                     html)
    assert re.search(r'src="/static/vendor/leaflet/leaflet\.[0-9a-f]{12}\.js"', html)
    assert form_of(html)["category"] == "roads.surface.pothole"
    policy = place.headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in html and "style=" not in html


@pytest.mark.parametrize("fields, key, words", [
    ({"lat": "", "lon": "", "address": ""}, "address", "Напишіть адресу"),
    ({"lat": "abc", "lon": "30.5", "address": "x"}, "lat", "Введіть число"),
    ({"lat": "49.0", "lon": "24.0", "address": "Львів"}, "lat", "поза межами міста"),
    ({"lat": "50.45", "lon": "200", "address": "x"}, "lon", "між -180 і 180"),
])
def test_place_errors_are_beside_their_field(web, fields, key, words):
    page = web.api.get("/file").text
    place = post_step(web, page, pick="roads.surface.pothole")
    response = post_step(web, place.text, go="details", **fields)

    assert response.status_code == 422 and "Крок 2 з 4" in response.text
    assert field_has_error(response.text, key), response.text
    assert words in response.text


def test_an_address_without_a_pin_is_enough(web):
    page = web.api.get("/file").text
    place = post_step(web, page, pick="roads.surface.pothole")
    details = post_step(web, place.text, go="details", address="вул. Хрещатик, 1")
    assert details.status_code == 200 and "Крок 3 з 4" in details.text


# --- step 3: the details ----------------------------------------------------------------------


def test_the_details_step_renders_the_category_s_extra_fields_by_type(web):
    page = web.api.get("/file").text
    place = post_step(web, page, pick="lighting.street.lamp_out")
    html = post_step(web, place.text, go="details", **PLACE).text

    assert '<label for="f-fields.lamp_post_number">Номер опори</label>' in html
    assert re.search(r'<input id="f-fields.lamp_post_number" name="fields.lamp_post_number" '
                     r'type="text"[^>]* required', html)
    assert re.search(r'<input id="f-fields.lamps_out" name="fields.lamps_out" type="text"'
                     r'[^>]*inputmode="decimal"', html)
    assert '<textarea id="f-description" name="description"' in html

    water = post_step(web, web.api.get("/file").text, pick="water.supply.poor_quality")
    water_html = post_step(web, water.text, go="details", **PLACE).text
    assert '<select id="f-fields.water_issue" name="fields.water_issue" required' in water_html
    assert '<option value="rusty">' in water_html


def test_details_errors_are_beside_the_field_and_nothing_is_filed(web):
    page = web.api.get("/file").text
    place = post_step(web, page, pick="lighting.street.lamp_out")
    details = post_step(web, place.text, go="details", **PLACE)
    response = post_step(web, details.text, go="photos", title="   ", description="",
                         **{"fields.lamps_out": "many"})

    assert response.status_code == 422 and "Крок 3 з 4" in response.text
    for key in ("title", "description", "fields.lamp_post_number", "fields.lamps_out"):
        assert field_has_error(response.text, key), key
    assert "Заповніть це поле: ця категорія цього потребує" in response.text
    assert not web.intake.submit_appeal.called


def test_a_tampered_carried_field_sends_back_to_its_own_step(web):
    photos = walk_to_photos(web, **{"fields.lamp_post_number": "17"})
    data = {**form_of(photos.text), "lat": "10"}
    response = web.api.post("/file/submit", data=data, allow_redirects=False)

    assert response.status_code == 422 and "Крок 2 з 4" in response.text
    assert field_has_error(response.text, "lat")
    assert not web.intake.submit_appeal.called


# --- step 4: photos and filing ----------------------------------------------------------------


def filed(web, **extra_form):
    photos = walk_to_photos(web, **{"fields.lamp_post_number": "17", "fields.lamps_out": "2"})
    assert photos.status_code == 200 and "Крок 4 з 4" in photos.text
    return photos, {**form_of(photos.text), **extra_form}


def test_filing_calls_intake_as_the_api_does_and_shows_what_happens_next(web):
    photos, data = filed(web)
    html = photos.text
    assert 'enctype="multipart/form-data"' in html and 'action="/file/submit"' in html
    assert 'accept="image/jpeg,image/png,image/webp"' in html and " multiple " in html
    assert "Номер опори" in html and "17" in html  # the review
    appeal_id = str(uuid.uuid4())
    web.intake.submit_appeal.return_value = {"id": appeal_id, "state": "submitted"}
    web.intake.get_appeal.return_value = {
        "id": appeal_id, "state": "submitted", "title": DETAILS["title"],
        "category": "lighting.street.lamp_out", "body": None, "due_at": None,
        "author_id": "acc-1"}

    response = web.api.post("/file/submit", data=data, allow_redirects=False)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/file/filed/{appeal_id}"
    payload, key = web.intake.submit_appeal.call_args.args
    assert payload == {"title": DETAILS["title"], "description": DETAILS["description"],
                       "category": "lighting.street.lamp_out", "channel": "web",
                       "location": {"lat": 50.4501, "lon": 30.5234,
                                    "address": "вул. Хрещатик, 1"},
                       "fields": {"lamp_post_number": "17", "lamps_out": 2}}
    assert key == f"web:{data['key']}"
    result = web.api.get(response.headers["Location"])
    assert result.status_code == 200
    assert appeal_id in result.text and "Що далі" in result.text
    assert "8 робочих годин" in result.text  # the category's deadline, simple complexity
    assert f'href="/appeals/{appeal_id}"' in result.text and "acc-1" not in result.text


def test_a_double_submit_files_once_and_both_land_on_the_same_page(web):
    _photos, data = filed(web)
    appeal_id = str(uuid.uuid4())
    web.intake.submit_appeal.side_effect = [{"id": appeal_id},
                                            {"id": appeal_id, "replayed": True}]

    first = web.api.post("/file/submit", data=data, allow_redirects=False)
    second = web.api.post("/file/submit", data=data, allow_redirects=False)

    assert first.headers["Location"] == second.headers["Location"] == f"/file/filed/{appeal_id}"
    keys = [call.args[1] for call in web.intake.submit_appeal.call_args_list]
    assert keys[0] == keys[1] == f"web:{data['key']}"
    # a new filing draws a new key
    assert form_of(web.api.get("/file").text)["key"] != data["key"]


def test_intake_s_field_errors_are_shown_beside_the_field_of_their_step(web):
    _photos, data = filed(web)
    web.intake.submit_appeal.side_effect = InvalidInput("bad", {
        "fields.lamp_post_number": ["must be text of at most 200 characters"]})

    response = web.api.post("/file/submit", data=data)

    assert response.status_code == 422 and "Крок 3 з 4" in response.text
    assert field_has_error(response.text, "fields.lamp_post_number")
    assert "Щонайбільше 200 символів" in response.text
    assert "must be text" not in response.text


@pytest.mark.parametrize("error, words", [
    (Forbidden("verify your email address before filing appeals"), "Підтвердьте адресу"),
    (Forbidden("only residents, dispatchers and integrations file appeals"), "Лише мешканці"),
    (Conflict("reused", {"Idempotency-Key": ["already used with a different request body"]}),
     "вже використано"),
])
def test_a_refusal_is_a_translated_message_on_the_last_step(web, error, words):
    _photos, data = filed(web)
    web.intake.submit_appeal.side_effect = error

    response = web.api.post("/file/submit", data=data)

    assert response.status_code == 422 and words in response.text
    assert '<p class="error" id="e-form" role="alert">' in response.text


def jpeg_with_gps(size=(120, 90)) -> bytes:
    """A real JPEG carrying GPS coordinates in its EXIF (what a phone's camera writes)."""
    image = Image.new("RGB", size, (180, 40, 40))
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                  ExifTags.GPS.GPSLatitude: (50.0, 27.0, 1.5),
                                  ExifTags.GPS.GPSLongitudeRef: "E",
                                  ExifTags.GPS.GPSLongitude: (30.0, 31.0, 2.5)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(out, "PNG")
    return out.getvalue()


def stored_files(config) -> list[Path]:
    root = Path(config["MEDIA_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".type") \
        if root.exists() else []


def file_as(web, appeal_id):
    web.intake.submit_appeal.return_value = {"id": appeal_id}
    web.intake.get_appeal.return_value = {"id": appeal_id, "state": "submitted", "title": "t",
                                          "category": "lighting.street.lamp_out"}


@pytest.mark.parametrize("files, words", [
    ([("photos", (f"p{i}.jpg", jpeg_with_gps(), "image/jpeg")) for i in range(6)],
     ["Не більше 5 фото"]),
    ([("photos", ("ok.jpg", jpeg_with_gps(), "image/jpeg")),
      ("photos", ("doc.pdf", b"%PDF-1.4 not a photo", "application/pdf"))],
     ["Фото 2 (doc.pdf) не є зображенням JPEG, PNG або WebP."]),
    ([("photos", ("fake.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, "image/jpeg")),
      ("photos", ("big.png", b"0" * (10 * 1024 * 1024 + 1), "image/png"))],
     ["Фото 1 (fake.jpg) пошкоджене", "Фото 2 (big.png) більше за 10 МБ."]),
    ([("photos", ("<b>x%d</b>.png", b"GIF89a", "image/png"))],
     ["Фото 1 (&lt;b&gt;x%d&lt;/b&gt;.png) не є зображенням"]),
])
def test_a_bad_photo_is_shown_beside_the_field_and_nothing_is_filed_or_kept(web, config, files,
                                                                             words):
    _photos, data = filed(web)

    response = web.api.post("/file/submit", data=data, files=files)

    assert response.status_code == 422 and "Крок 4 з 4" in response.text
    assert re.search(r'<input id="f-photos"[^>]*aria-invalid="true"[^>]*aria-describedby="h-photos '
                     r'e-photos"', response.text)
    error = re.search(r'<p class="error" id="e-photos" role="alert">(.*?)</p>', response.text, re.S)
    for expected in words:
        assert expected in error.group(1)
    assert not web.intake.submit_appeal.called and not web.intake.attach_photos.called
    assert stored_files(config) == []


def test_photos_are_stored_clean_then_the_appeal_filed_then_the_photos_attached(web, config):
    _photos, data = filed(web)
    appeal_id = str(uuid.uuid4())
    file_as(web, appeal_id)
    order = []
    web.intake.submit_appeal.side_effect = lambda *a: order.append("filed") or {"id": appeal_id}
    web.intake.attach_photos.side_effect = lambda *a: order.append("attached") or {"items": []}

    response = web.api.post("/file/submit", data=data, allow_redirects=False,
                            files=[("photos", ("street.jpg", jpeg_with_gps(), "image/jpeg")),
                                   ("photos", ("plan.png", png(), "image/png"))])

    assert response.status_code == 303
    assert response.headers["Location"] == f"/file/filed/{appeal_id}"
    assert order == ["filed", "attached"]
    attached_to, photos, purpose = web.intake.attach_photos.call_args.args
    assert attached_to == appeal_id and purpose == "appeal"
    assert [p["content_type"] for p in photos] == ["image/jpeg", "image/png"]
    for photo in photos:  # only metadata reaches intake, never the bytes
        assert set(photo) == {"key", "content_type", "size", "width", "height", "sha256",
                              "thumbnail_key", "thumbnail_content_type", "thumbnail_size"}
    kept = stored_files(config)
    assert len(kept) == 4  # two photos, two thumbnails
    with Image.open(Path(config["MEDIA_DIR"]) / photos[0]["key"]) as image:
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    result = web.api.get(response.headers["Location"])
    assert 'id="photos-failed"' not in result.text


def test_when_intake_refuses_the_photos_the_appeal_stays_filed_and_the_files_go(web, config):
    _photos, data = filed(web)
    appeal_id = str(uuid.uuid4())
    file_as(web, appeal_id)
    web.intake.attach_photos.side_effect = Conflict("no photos in this state",
                                                    extra={"state": "rejected"})

    response = web.api.post("/file/submit", data=data,
                            files=[("photos", ("street.jpg", jpeg_with_gps(), "image/jpeg"))])

    assert response.status_code == 200
    assert f"/file/filed/{appeal_id}?photos=not-added" in response.url
    assert 'id="photos-failed" role="alert"' in response.text
    assert "Ваше звернення подано, але його фото додати не вдалося." in response.text
    assert web.intake.attach_photos.called and stored_files(config) == []


def test_a_refused_filing_discards_the_photos_it_stored(web, config):
    _photos, data = filed(web)
    web.intake.submit_appeal.side_effect = Forbidden(
        "verify your email address before filing appeals")

    response = web.api.post("/file/submit", data=data,
                            files=[("photos", ("street.jpg", jpeg_with_gps(), "image/jpeg"))])

    assert response.status_code == 422 and "Підтвердьте адресу" in response.text
    assert stored_files(config) == [] and not web.intake.attach_photos.called


def test_a_replayed_filing_keeps_no_second_copy_of_the_photos(web, config):
    _photos, data = filed(web)
    appeal_id = str(uuid.uuid4())
    file_as(web, appeal_id)
    web.intake.submit_appeal.return_value = {"id": appeal_id, "replayed": True}

    response = web.api.post("/file/submit", data=data, allow_redirects=False,
                            files=[("photos", ("street.jpg", jpeg_with_gps(), "image/jpeg"))])

    assert response.headers["Location"] == f"/file/filed/{appeal_id}"
    assert not web.intake.attach_photos.called and stored_files(config) == []


def test_an_empty_photo_input_files_without_photos(web, config):
    _photos, data = filed(web)
    file_as(web, str(uuid.uuid4()))

    response = web.api.post("/file/submit", data=data, allow_redirects=False,
                            files=[("photos", ("", b"", "application/octet-stream"))])

    assert response.status_code == 303 and not web.intake.attach_photos.called


# --- nearby appeals on the last step ----------------------------------------------------------


def nearby_item(**overrides):
    return {"id": str(uuid.uuid4()), "title": "Темно на переході", "state": "assigned",
            "category": "lighting.street.lamp_out",
            "location": {"lat": 50.4502, "lon": 30.5234, "address": "вул. Хрещатик, 2"},
            "distance_m": 11, "supporters_count": 4, "created_at": "2026-12-01T09:00:00+00:00",
            "photo": None, "supported_by_me": False, **overrides}


def test_the_last_step_offers_open_appeals_nearby_to_support_instead(web):
    key = "photos/ab/" + "ab" * 16
    with_photo = nearby_item(photo={"key": f"{key}.jpg", "thumbnail_key": f"{key}.thumb.jpg"})
    supported = nearby_item(title="Ще одне", supported_by_me=True)
    web.intake.nearby_appeals.return_value = {"items": [with_photo, supported], "radius_m": 250}

    photos = walk_to_photos(web, **{"fields.lamp_post_number": "17"})

    web.intake.nearby_appeals.assert_called_once_with(
        {"lat": 50.4501, "lon": 30.5234, "category": "lighting.street.lamp_out", "limit": 10})
    html = photos.text
    section = html[html.index('id="nearby"'):html.index('id="filing-form"')]
    assert "Про це вже повідомили поруч?" in section
    assert f'href="/appeals/{with_photo["id"]}"' in section and "за 11 м" in section
    assert "Підтримали: 4" in section
    assert f'<img src="/media/{key}.thumb.jpg"' in section and 'loading="lazy"' in section
    form = re.search(
        rf'<form method="post" action="/appeals/{with_photo["id"]}/support">(.*?)</form>',
        section, re.S)
    assert form and 'name="csrf_token"' in form.group(1)
    assert "Підтримати це замість нового" in form.group(1)
    assert f'action="/appeals/{supported["id"]}/support"' not in section
    assert "Ви підтримуєте це звернення." in section


def test_no_pin_no_nearby_list(web):
    start = web.api.get("/file")
    place = post_step(web, start.text, pick="lighting.street.lamp_out")
    details = post_step(web, place.text, go="details", address="біля школи")
    photos = post_step(web, details.text, go="photos", **DETAILS,
                       **{"fields.lamp_post_number": "17"})

    assert photos.status_code == 200 and 'id="nearby"' not in photos.text
    assert not web.intake.nearby_appeals.called


@pytest.mark.parametrize("failure", [RuntimeError("intake is down"), Unavailable("busy")])
def test_a_failing_nearby_lookup_shows_nothing_and_filing_goes_on(web, failure):
    web.intake.nearby_appeals.side_effect = failure

    photos, data = filed(web)

    assert 'id="nearby"' not in photos.text and 'id="file-appeal"' in photos.text
    file_as(web, str(uuid.uuid4()))
    assert web.api.post("/file/submit", data=data, allow_redirects=False).status_code == 303


def test_the_pages_speak_english_too(web):
    web.api.headers["Accept-Language"] = "en"
    page = web.api.get("/file?q=lamp").text
    assert "Step 1 of 4: Category" in page and "Street lamp out" in page
    assert "Street lighting" in page  # the path of a search result


def test_an_emptied_tile_url_means_no_tiles_and_no_extra_image_origin():
    assert map_tile_url("") == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert map_tile_url("none") == "" and tile_origin("") is None
    assert "img-src 'self' data: blob:;" in content_security_policy("")
    assert tile_origin("https://{s}.tiles.example.org/{z}/{x}/{y}.png") == \
        "https://*.tiles.example.org"
    assert tile_origin("javascript:alert(1)") is None


def test_the_filing_form_counts_against_the_submit_quota():
    from hromada_common.auth import Identity

    identity = Identity(account_id="acc-1", roles=frozenset({"resident"}), trust=1,
                        verified=True)
    chosen = [name for name, _key in choose_policies("POST", "/file/submit", identity, "1.2.3.4")]
    assert "submit" in chosen
    assert "submit" not in [n for n, _ in choose_policies("POST", "/file", identity, "1.2.3.4")]


def test_vendored_files_are_also_served_under_their_plain_names(web):
    css = web.api.get("/static/vendor/leaflet/leaflet.css")
    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]
    assert css.headers["Cache-Control"] == "public, max-age=3600"
    icon = web.api.get("/static/vendor/leaflet/images/marker-icon.png")
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/png"
    assert web.api.get("/static/site.css").status_code == 404  # only vendor/ has plain names
