"""The media library: photos judged by content, re-encoded without metadata, stored whole."""
import subprocess
import sys
from io import BytesIO

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from hromada_common.media import (
    ImageRejected,
    LocalDirectoryStorage,
    S3Storage,
    process_image,
    storage_from_config,
)
from hromada_common.media.storage import InvalidKey

GPS = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (50.0, 27.0, 1.5),
       ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (30.0, 31.0, 2.5)}


def jpeg_with_gps(size=(64, 48), orientation=None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1]))  # left half blue
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.BodySerialNumber] = "SN-123456"
    exif[ExifTags.IFD.GPSInfo] = GPS
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=b"<x:xmpmeta>secret place</x:xmpmeta>",
               comment=b"taken at home")
    return out.getvalue()


def png_bytes(mode="RGBA", size=(40, 30), text=None) -> bytes:
    image = Image.new(mode, size, (10, 200, 10, 128) if mode == "RGBA" else (10, 200, 10))
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
        info.add_itxt(key + "-i", value)
    out = BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def test_a_jpeg_with_gps_exif_is_stored_without_any_exif_xmp_or_comment():
    upload = jpeg_with_gps()
    assert Image.open(BytesIO(upload)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the premise

    photo = process_image(upload)

    stored = Image.open(BytesIO(photo.content))
    assert stored.format == "JPEG" and photo.content_type == "image/jpeg"
    assert not stored.getexif()
    assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "exif" not in stored.info and "xmp" not in stored.info
    assert "comment" not in stored.info
    for secret in (b"PhoneMaker", b"SN-123456", b"secret place", b"taken at home", b"Exif"):
        assert secret not in photo.content and secret not in photo.thumbnail
    assert (photo.width, photo.height) == (64, 48)
    assert len(photo.sha256) == 64


def test_the_exif_orientation_is_applied_to_the_pixels_before_the_exif_goes():
    photo = process_image(jpeg_with_gps(size=(64, 48), orientation=6))  # rotate 90° clockwise

    stored = Image.open(BytesIO(photo.content))
    assert stored.size == (48, 64)
    top_pixel = stored.convert("RGB").getpixel((24, 2))
    assert top_pixel[2] > 150 and top_pixel[0] < 100  # the blue half is now on top


def test_png_text_chunks_are_dropped_and_transparency_is_kept():
    upload = png_bytes(text={"Location": "50.45,30.52", "Author": "Olena"})
    assert Image.open(BytesIO(upload)).text  # the premise

    photo = process_image(upload)

    stored = Image.open(BytesIO(photo.content))
    assert stored.format == "PNG" and photo.content_type == "image/png"
    assert stored.mode == "RGBA"
    assert not stored.text and not stored.info
    assert b"Olena" not in photo.content and b"50.45" not in photo.content
    thumbnail = Image.open(BytesIO(photo.thumbnail))
    assert thumbnail.format == "JPEG" and thumbnail.mode == "RGB"


def test_webp_is_accepted_and_stays_webp():
    out = BytesIO()
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = GPS
    Image.new("RGB", (30, 30), "orange").save(out, "WEBP", exif=exif)

    photo = process_image(out.getvalue())

    stored = Image.open(BytesIO(photo.content))
    assert stored.format == "WEBP" and photo.content_type == "image/webp"
    assert not stored.getexif()


def test_the_thumbnail_is_a_small_jpeg():
    photo = process_image(jpeg_with_gps(size=(1200, 900)))

    thumbnail = Image.open(BytesIO(photo.thumbnail))
    assert thumbnail.format == "JPEG"
    assert max(thumbnail.size) == 320 and (photo.thumbnail_width, photo.thumbnail_height) == (320, 240)


def test_big_photos_are_scaled_down_to_the_longest_edge():
    photo = process_image(jpeg_with_gps(size=(900, 300)), max_edge=300)
    assert (photo.width, photo.height) == (300, 100)


@pytest.mark.parametrize("content", [
    b"<html><script>alert(1)</script></html>",
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    b"%PDF-1.7\n",
])
def test_what_is_not_a_jpeg_png_or_webp_is_refused_whatever_it_is_called(content):
    with pytest.raises(ImageRejected) as refused:
        process_image(content)
    assert refused.value.code == "unsupported_type"


def test_a_png_named_jpg_is_judged_by_its_content():
    photo = process_image(png_bytes(mode="RGB"))  # whatever the name said, it is a PNG
    assert photo.content_type == "image/png" and photo.extension == "png"


def test_a_truncated_jpeg_is_refused_as_corrupt():
    upload = jpeg_with_gps(size=(400, 300))
    with pytest.raises(ImageRejected) as refused:
        process_image(upload[: len(upload) // 2])
    assert refused.value.code == "corrupt"


def test_a_damaged_png_is_refused_as_corrupt():
    upload = bytearray(png_bytes(mode="RGB", size=(200, 200)))
    upload[60:80] = b"\x00" * 20  # inside the image data: the checksum no longer matches
    with pytest.raises(ImageRejected) as refused:
        process_image(bytes(upload))
    assert refused.value.code == "corrupt"


def test_an_image_claiming_too_many_pixels_is_refused_before_it_is_decoded():
    # A few hundred bytes that claim 20000×20000 pixels (400 megapixels).
    out = BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    upload = out.getvalue()
    assert len(upload) < 100_000

    with pytest.raises(ImageRejected) as refused:
        process_image(upload)
    assert refused.value.code == "too_many_pixels"

    with pytest.raises(ImageRejected) as refused:
        process_image(jpeg_with_gps(size=(300, 200)), max_pixels=50_000)
    assert refused.value.code == "too_many_pixels"


def test_empty_and_too_large_files_are_refused():
    with pytest.raises(ImageRejected) as refused:
        process_image(b"")
    assert refused.value.code == "empty"
    with pytest.raises(ImageRejected) as refused:
        process_image(jpeg_with_gps(), max_bytes=100)
    assert refused.value.code == "too_large"


# --- storage ---------------------------------------------------------------------------------

def test_local_directory_storage_keeps_content_and_type_and_forgets_on_delete(tmp_path):
    storage = LocalDirectoryStorage(tmp_path / "media")

    storage.put("photos/ab/abc123.jpg", b"\xff\xd8\xffdata", "image/jpeg")

    stored = storage.get("photos/ab/abc123.jpg")
    assert stored.content == b"\xff\xd8\xffdata" and stored.content_type == "image/jpeg"
    assert not [p for p in (tmp_path / "media" / "photos" / "ab").iterdir()
                if p.name.startswith(".upload-")]
    storage.delete("photos/ab/abc123.jpg")
    assert storage.get("photos/ab/abc123.jpg") is None
    storage.delete("photos/ab/abc123.jpg")  # gone already: not an error


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs.jpg", "photos/../../x.jpg", "a//b.jpg",
                                 "Photos/X.JPG", "photos/a.jpg/", "", "a\x00.jpg"])
def test_storage_refuses_keys_that_could_leave_its_directory(tmp_path, key):
    storage = LocalDirectoryStorage(tmp_path)
    with pytest.raises(InvalidKey):
        storage.put(key, b"x", "image/jpeg")
    with pytest.raises(InvalidKey):
        storage.get(key)


def test_storage_comes_from_config(tmp_path):
    local = storage_from_config({"MEDIA_DIR": str(tmp_path)})
    assert isinstance(local, LocalDirectoryStorage) and local.root == tmp_path.resolve()
    s3 = storage_from_config({"MEDIA_STORAGE": "s3", "MEDIA_S3_BUCKET": "photos",
                              "MEDIA_S3_PREFIX": "/hromada/"})
    assert isinstance(s3, S3Storage) and s3.prefix == "hromada/"
    with pytest.raises(ValueError):
        storage_from_config({"MEDIA_STORAGE": "s3"})  # no bucket
    with pytest.raises(ValueError):
        storage_from_config({"MEDIA_STORAGE": "ftp"})


S3_ROUND_TRIP = """
import eventlet
eventlet.monkey_patch()  # first, as `nameko run` does: the gateway's process, not pytest's

import boto3, moto
from hromada_common.media import S3Storage
from hromada_common.media.storage import InvalidKey

with moto.mock_aws():
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    client.create_bucket(Bucket="city-photos")
    storage = S3Storage("city-photos", prefix="hromada", client=client)

    storage.put("photos/ab/abc.webp", b"RIFF....WEBP", "image/webp")

    head = client.head_object(Bucket="city-photos", Key="hromada/photos/ab/abc.webp")
    assert head["ContentType"] == "image/webp", head
    stored = storage.get("photos/ab/abc.webp")
    assert stored.content == b"RIFF....WEBP" and stored.content_type == "image/webp", stored
    storage.delete("photos/ab/abc.webp")
    assert storage.get("photos/ab/abc.webp") is None
    try:
        storage.get("../other-bucket")
    except InvalidKey:
        pass
    else:
        raise AssertionError("a key leaving the prefix was accepted")
print("round trip ok")
"""


def test_s3_storage_puts_gets_and_deletes_objects_in_the_bucket():
    """Against moto's in-process S3 (boto3 speaking the S3 protocol to moto's backend), in a
    process of its own: eventlet must patch ssl before urllib3 is imported, which pytest's
    plugins have already done here."""
    pytest.importorskip("moto")
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", S3_ROUND_TRIP],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "round trip ok" in result.stdout
