"""Photos through the running platform: uploaded to the gateway, stored on disk without their
metadata, recorded by intake, served back."""
from io import BytesIO

import pytest
from PIL import ExifTags, Image

from .helpers import appeal_payload, bearer, submit, wait_for_state

pytestmark = pytest.mark.e2e


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                  ExifTags.GPS.GPSLatitude: (50.0, 27.0, 1.5),
                                  ExifTags.GPS.GPSLongitudeRef: "E",
                                  ExifTags.GPS.GPSLongitude: (30.0, 31.0, 2.5)}
    out = BytesIO()
    Image.new("RGB", (640, 480), "steelblue").save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(api, appeal_id, token, purpose="appeal", content=None):
    return api.post(f"{api.base}/appeals/{appeal_id}/photos", headers=bearer(token),
                    data={"purpose": purpose},
                    files=[("photo", ("IMG_0001.jpg", content or jpeg_with_gps(), "image/jpeg"))],
                    timeout=30)


def test_a_photo_with_gps_is_stored_and_served_without_it(api, platform, tokens):
    appeal = submit(api, appeal_payload()).json()

    response = upload(api, appeal["id"], tokens["resident"])

    assert response.status_code == 201, response.text
    (photo,) = response.json()["items"]
    shown = api.get(f"{api.base}/appeals/{appeal['id']}", timeout=10).json()["photos"]
    assert [p["url"] for p in shown] == [photo["url"]]
    served = api.get(platform.url + photo["url"], timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    image = Image.open(BytesIO(served.content))
    assert image.size == (640, 480)
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo) and not image.getexif()
    assert b"PhoneMaker" not in served.content
    on_disk = platform.var_dir / "media" / photo["url"].removeprefix("/media/")
    assert on_disk.read_bytes() == served.content
    thumbnail = api.get(platform.url + photo["thumbnail_url"], timeout=10)
    assert max(Image.open(BytesIO(thumbnail.content)).size) == 320


def test_nobody_but_the_author_attaches_and_a_refusal_stores_nothing(api, platform, tokens):
    appeal = submit(api, appeal_payload()).json()
    media = platform.var_dir / "media"
    before = {p for p in media.rglob("*") if p.is_file()} if media.exists() else set()

    response = upload(api, appeal["id"], tokens["resident2"])

    assert response.status_code == 403, response.text
    bad = upload(api, appeal["id"], tokens["resident"], content=b"<html>not a photo</html>")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "photo[0]"
    after = {p for p in media.rglob("*") if p.is_file()} if media.exists() else set()
    assert after == before
    assert api.get(f"{api.base}/appeals/{appeal['id']}/photos", timeout=10).json()["items"] == []


def test_the_executor_attaches_photos_of_the_work_done(api, tokens):
    appeal = submit(api, appeal_payload()).json()
    wait_for_state(api, appeal["id"], "assigned")
    taken = api.post(f"{api.base}/appeals/{appeal['id']}/take", headers=bearer(tokens["executor"]),
                     timeout=30)
    assert taken.status_code == 200, taken.text
    wait_for_state(api, appeal["id"], "in_progress")

    response = upload(api, appeal["id"], tokens["executor"], purpose="resolution")

    assert response.status_code == 201, response.text
    listed = api.get(f"{api.base}/appeals/{appeal['id']}/photos", timeout=10).json()["items"]
    assert [p["purpose"] for p in listed] == ["resolution"]
