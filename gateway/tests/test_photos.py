"""Photos through the gateway against mocked intake: what is stored, what reaches intake (only
metadata), what comes back, and that a refusal leaves nothing stored."""
import uuid
from io import BytesIO
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound

from gateway_support import assert_problem, fields_in

PHOTO_METADATA_KEYS = {"key", "content_type", "size", "width", "height", "sha256",
                       "thumbnail_key", "thumbnail_content_type", "thumbnail_size"}


def jpeg_with_gps(size=(120, 90)) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                  ExifTags.GPS.GPSLatitude: (50.0, 27.0, 1.5),
                                  ExifTags.GPS.GPSLongitudeRef: "E",
                                  ExifTags.GPS.GPSLongitude: (30.0, 31.0, 2.5)}
    out = BytesIO()
    Image.new("RGB", size, "teal").save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bytes(size=(40, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, "gold").save(out, "PNG")
    return out.getvalue()


def stored_files(config) -> list[Path]:
    root = Path(config["MEDIA_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def attached_as_intake_would(appeal_id, photos, purpose):
    return {"items": [dict(photo, id=str(uuid.uuid4()), purpose=purpose,
                           created_at="2026-12-07T10:00:00+00:00") for photo in photos]}


@pytest.fixture
def photo_gateway(gateway):
    gateway.intake.photo_allowance.return_value = {"purpose": "appeal", "limit": 5,
                                                   "remaining": 5}
    gateway.intake.attach_photos.side_effect = attached_as_intake_would
    return gateway


def upload(gateway, appeal_id, *files, purpose=None, **kwargs):
    data = {"purpose": purpose} if purpose else {}
    return gateway.api.post(f"/api/v1/appeals/{appeal_id}/photos", data=data,
                            files=[("photo", file) for file in files], **kwargs)


def test_a_resident_uploads_a_photo_with_gps_and_it_is_served_back_without_any(
        photo_gateway, config):
    appeal_id = str(uuid.uuid4())

    response = upload(photo_gateway, appeal_id, ("pothole.jpg", jpeg_with_gps(), "image/jpeg"),
                      ("yard.png", png_bytes(), "image/png"))

    assert response.status_code == 201, response.text
    (photo, png) = response.json()["items"]
    assert photo["purpose"] == "appeal" and photo["content_type"] == "image/jpeg"
    assert png["content_type"] == "image/png"
    # Only metadata crossed RPC: no bytes, no file names.
    called_id, metadata, purpose = photo_gateway.intake.attach_photos.call_args.args
    assert (called_id, purpose) == (appeal_id, "appeal")
    assert all(set(item) == PHOTO_METADATA_KEYS for item in metadata)
    photo_gateway.intake.photo_allowance.assert_called_once_with(appeal_id, "appeal")

    served = photo_gateway.api.get(photo["url"], headers={"Authorization": None})
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert served.headers["Content-Disposition"] == (
        f'inline; filename="{photo["url"].rsplit("/", 1)[1]}"')
    assert "immutable" in served.headers["Cache-Control"]
    image = Image.open(BytesIO(served.content))
    assert image.size == (120, 90)
    assert not image.getexif() and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"PhoneMaker" not in served.content

    thumbnail = photo_gateway.api.get(photo["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/jpeg"
    again = photo_gateway.api.get(photo["url"], headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304


def test_purposes_go_to_intake_which_decides_who_may(photo_gateway):
    response = upload(photo_gateway, "a-1", ("after.webp", png_bytes(), "image/png"),
                      purpose="resolution")

    assert response.status_code == 201
    assert photo_gateway.intake.attach_photos.call_args.args[2] == "resolution"
    assert photo_gateway.intake.photo_allowance.call_args.args == ("a-1", "resolution")
    response = upload(photo_gateway, "a-1", ("x.jpg", jpeg_with_gps(), "image/jpeg"),
                      purpose="selfie")
    assert "purpose" in fields_in(assert_problem(response, 422, "invalid-input"))
    photo_gateway.intake.attach_photos.reset_mock()
    response = photo_gateway.api.post("/api/v1/appeals/a-1/photos",
                                      data={"purpose": "appeal", "colour": "red"},
                                      files={"photo": ("x.jpg", jpeg_with_gps())})
    assert "colour" in fields_in(assert_problem(response, 422, "invalid-input"))
    photo_gateway.intake.attach_photos.assert_not_called()


def test_anonymous_upload_is_401_before_the_body_is_looked_at(photo_gateway, config):
    response = photo_gateway.api.post("/api/v1/appeals/a-1/photos", data=b"not even multipart",
                                      headers={"Authorization": None,
                                               "Content-Type": "text/plain"})

    assert_problem(response, 401, "unauthenticated")
    photo_gateway.intake.photo_allowance.assert_not_called()
    assert stored_files(config) == []


def test_someone_elses_appeal_is_403_and_nothing_is_decoded_or_stored(photo_gateway, config):
    photo_gateway.intake.photo_allowance.side_effect = Forbidden(
        "only the appeal's author attaches photos of the appeal")

    response = upload(photo_gateway, "a-1", ("x.jpg", jpeg_with_gps(), "image/jpeg"))

    assert_problem(response, 403, "forbidden")
    photo_gateway.intake.attach_photos.assert_not_called()
    assert stored_files(config) == []
    # Who you are comes before what you sent: a bad form is still a 403.
    response = photo_gateway.api.post("/api/v1/appeals/a-1/photos", data={"colour": "red"},
                                      files={"picture": ("x.txt", b"hello")})
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("refusal, status, slug", [
    (Forbidden("blocked"), 403, "forbidden"),
    (Conflict("the appeal is closed", extra={"state": "closed"}), 409, "conflict"),
    (InvalidInput("too many", {"photo": ["too many photos"]}), 422, "invalid-input"),
    (NotFound("no appeal"), 404, "not-found"),
])
def test_when_intake_refuses_the_stored_files_are_removed(photo_gateway, config, refusal, status,
                                                          slug):
    photo_gateway.intake.attach_photos.side_effect = refusal

    response = upload(photo_gateway, "a-1", ("x.jpg", jpeg_with_gps(), "image/jpeg"),
                      ("y.png", png_bytes(), "image/png"))

    assert_problem(response, status, slug)
    assert photo_gateway.intake.attach_photos.called
    assert stored_files(config) == []


@pytest.mark.parametrize("name, content, code", [
    ("page.jpg", b"<html><script>alert(1)</script></html>", "unsupported_type"),
    ("logo.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "unsupported_type"),
    ("cut.jpg", jpeg_with_gps((400, 300))[:900], "corrupt"),
])
def test_a_bad_file_is_refused_by_content_naming_it_and_nothing_is_stored(
        photo_gateway, config, name, content, code):
    response = upload(photo_gateway, "a-1", ("fine.jpg", jpeg_with_gps(), "image/jpeg"),
                      (name, content, "image/jpeg"))

    problem = assert_problem(response, 422, "invalid-input")
    errors = fields_in(problem)
    assert list(errors) == ["photo[1]"] and code in errors["photo[1]"][0]
    assert name in problem["detail"]
    photo_gateway.intake.attach_photos.assert_not_called()
    assert stored_files(config) == []


def test_a_png_named_jpg_is_stored_as_the_png_it_is(photo_gateway):
    response = upload(photo_gateway, "a-1", ("photo.jpg", png_bytes(), "image/jpeg"))

    assert response.status_code == 201
    assert response.json()["items"][0]["url"].endswith(".png")


def test_too_many_pixels_is_refused(photo_gateway):
    out = BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")  # small file, 400 megapixels

    response = upload(photo_gateway, "a-1", ("bomb.png", out.getvalue(), "image/png"))

    errors = fields_in(assert_problem(response, 422, "invalid-input"))
    assert "too_many_pixels" in errors["photo[0]"][0]


def test_more_photos_than_the_appeal_has_room_for_are_refused_before_decoding(
        photo_gateway, config):
    photo_gateway.intake.photo_allowance.return_value = {"purpose": "appeal", "limit": 5,
                                                         "remaining": 2}
    files = [(f"{i}.jpg", jpeg_with_gps(), "image/jpeg") for i in range(3)]

    response = upload(photo_gateway, "a-1", *files)

    assert "photo" in fields_in(assert_problem(response, 422, "invalid-input"))
    photo_gateway.intake.attach_photos.assert_not_called()
    assert stored_files(config) == []


def test_no_photo_at_all_is_a_422_naming_photo(photo_gateway):
    response = photo_gateway.api.post("/api/v1/appeals/a-1/photos",
                                      files={"purpose": (None, "appeal")})
    assert "photo" in fields_in(assert_problem(response, 422, "invalid-input"))


def test_a_json_body_is_415(photo_gateway):
    response = photo_gateway.api.post("/api/v1/appeals/a-1/photos", json={"photo": "x"})
    assert_problem(response, 415, "unsupported-media-type")


def test_unknown_file_fields_are_refused(photo_gateway):
    response = photo_gateway.api.post("/api/v1/appeals/a-1/photos",
                                      files={"picture": ("x.jpg", jpeg_with_gps())})
    assert "picture" in fields_in(assert_problem(response, 422, "invalid-input"))


def test_too_large_photos_and_bodies_are_413(start_gateway, config, signing_keys):
    config["MEDIA_MAX_BYTES"] = 20_000  # a body may then carry 5 × 20 kB + 1 MiB
    api, mocks = start_gateway()
    api.headers["Authorization"] = f"Bearer {signing_keys.token_for()}"
    intake, *_ = mocks
    intake.photo_allowance.return_value = {"purpose": "appeal", "limit": 5, "remaining": 5}
    big_photo = jpeg_with_gps((1500, 1500))
    assert 20_000 < len(big_photo) < 1_000_000

    response = api.post("/api/v1/appeals/a-1/photos", files=[("photo", ("big.jpg", big_photo))])

    problem = assert_problem(response, 413, "payload-too-large")
    assert "photo[0]" in fields_in(problem)

    response = api.post("/api/v1/appeals/a-1/photos",
                        files=[("photo", ("huge.jpg", b"\xff\xd8\xff" + b"\0" * 1_300_000))])
    assert "photo" in fields_in(assert_problem(response, 413, "payload-too-large"))
    intake.attach_photos.assert_not_called()
    assert stored_files(config) == []


def test_photos_are_listed_with_urls_on_the_appeal_and_on_their_own(photo_gateway):
    upload_response = upload(photo_gateway, "a-1", ("x.jpg", jpeg_with_gps(), "image/jpeg"))
    photo = upload_response.json()["items"][0]
    key = photo["url"].removeprefix("/media/")
    from_intake = {"id": photo["id"], "purpose": "appeal", "key": key, "content_type": "image/jpeg",
                   "size": 1, "width": 120, "height": 90, "sha256": "ab" * 32,
                   "thumbnail_key": key.replace(".jpg", ".thumb.jpg"),
                   "thumbnail_content_type": "image/jpeg", "thumbnail_size": 1,
                   "created_at": "2026-12-07T10:00:00+00:00"}
    photo_gateway.intake.get_appeal.return_value = {"id": "a-1", "state": "submitted",
                                                    "photos": [from_intake]}
    photo_gateway.intake.list_photos.return_value = {"items": [from_intake]}

    shown = photo_gateway.api.get("/api/v1/appeals/a-1").json()["photos"]
    listed = photo_gateway.api.get("/api/v1/appeals/a-1/photos").json()["items"]

    assert shown == listed
    assert shown[0]["url"] == photo["url"] and shown[0]["thumbnail_url"] == photo["thumbnail_url"]
    assert shown[0]["purpose"] == "appeal" and shown[0]["created_at"]
    assert "key" not in shown[0]


@pytest.mark.parametrize("path", [
    "/media/photos/ab/" + "0" * 32 + ".jpg",        # well-formed, never stored
    "/media/../../etc/passwd",
    "/media/photos/ab/x.svg",
    "/media/keys/jwt-private.pem",
])
def test_media_outside_what_was_stored_is_404(photo_gateway, path):
    response = photo_gateway.api.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")
