"""The portal's photos and support on the running platform, as a browser without JavaScript
does: a resident files through the four steps with a photo (a multipart post), sees it on the
appeal's page, and the stored file carries no GPS; a neighbour about to file the same problem
finds it on the last step and supports it instead through its form."""
import random
import re
from io import BytesIO

import pytest
import requests
from PIL import ExifTags, Image

pytestmark = pytest.mark.e2e
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
CATEGORY = "roads.surface.pothole"


def hidden(html: str) -> dict:
    return dict(HIDDEN.findall(html))


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                  ExifTags.GPS.GPSLatitude: (50.0, 27.0, 1.5),
                                  ExifTags.GPS.GPSLongitudeRef: "E",
                                  ExifTags.GPS.GPSLongitude: (30.0, 31.0, 2.5)}
    out = BytesIO()
    Image.new("RGB", (640, 480), "darkorange").save(out, "JPEG", exif=exif)
    return out.getvalue()


def browser_signed_in(base: str, email: str) -> requests.Session:
    from deploy.demo import DEMO_PASSWORD, sign_in

    sign_in(base, email)  # waits until accounts seeded the demo
    browser = requests.Session()
    browser.headers["Accept-Language"] = "uk"
    page = browser.get(base + "/signin?next=%2Ffile", timeout=30)
    signed_in = browser.post(base + "/signin", timeout=30, data={
        **hidden(page.text), "email": email, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 200 and "Крок 1 з 4" in signed_in.text, signed_in.text
    return browser


def last_step(browser, base, spot, title):
    """Steps 1 to 3 by form posts; the last step's page."""
    start = browser.get(base + "/file", timeout=30)
    place = browser.post(base + "/file", timeout=30,
                         data={**hidden(start.text), "pick": CATEGORY})
    details = browser.post(base + "/file", timeout=30, data={
        **hidden(place.text), "go": "details", "lat": f"{spot[0]:.6f}", "lon": f"{spot[1]:.6f}",
        "address": "e2e portal photos"})
    photos = browser.post(base + "/file", timeout=30, data={
        **hidden(details.text), "go": "photos", "title": title,
        "description": "Глибока яма посеред смуги, з фото."})
    assert photos.status_code == 200 and "Крок 4 з 4" in photos.text, photos.text
    return photos


def test_filing_with_a_photo_then_a_neighbour_supports_it_instead_of_filing_again(platform):
    base = platform.url
    spot = (50.22 + random.random() * 0.01, 30.79 + random.random() * 0.01)  # a spot of its own
    resident = browser_signed_in(base, "resident@demo.hromada")

    photos = last_step(resident, base, spot, "Яма з фото через портал")
    assert 'id="nearby"' not in photos.text  # nothing open here yet
    filed = resident.post(base + "/file/submit", data=hidden(photos.text), timeout=60,
                          files=[("photos", ("IMG_0001.jpg", jpeg_with_gps(), "image/jpeg"))])
    assert filed.status_code == 200 and "/file/filed/" in filed.url, filed.text
    assert 'id="photos-failed"' not in filed.text
    appeal_id = filed.url.rsplit("/", 1)[1]

    page = resident.get(f"{base}/appeals/{appeal_id}", timeout=30)
    gallery = re.search(r'<ul class="photos" id="photos-appeal">(.*?)</ul>', page.text, re.S)
    assert gallery, page.text
    full_url, thumb_url = re.search(r'<a href="([^"]+)"><img src="([^"]+)"',
                                    gallery.group(1)).groups()
    served = requests.get(base + full_url, timeout=30)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    image = Image.open(BytesIO(served.content))
    assert image.size == (640, 480) and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"PhoneMaker" not in served.content
    on_disk = platform.var_dir / "media" / full_url.removeprefix("/media/")
    assert on_disk.read_bytes() == served.content
    assert requests.get(base + thumb_url, timeout=30).status_code == 200

    # a neighbour about to report the same pothole 50 m away finds it on the last step
    neighbour = browser_signed_in(base, "resident2@demo.hromada")
    near = (spot[0] + 50 / 111_195.0, spot[1])
    offered = last_step(neighbour, base, near, "Та сама яма")
    section = offered.text[offered.text.index('id="nearby"'):offered.text.index('id="filing-form"')]
    assert f'href="/appeals/{appeal_id}"' in section
    assert f'<img src="{thumb_url}"' in section
    form = re.search(rf'<form method="post" action="/appeals/{appeal_id}/support">(.*?)</form>',
                     section, re.S)
    supported = neighbour.post(f"{base}/appeals/{appeal_id}/support", timeout=30,
                               data=hidden(form.group(1)))
    assert supported.status_code == 200 and supported.url.startswith(
        f"{base}/appeals/{appeal_id}?done=supported"), supported.text
    assert "Ви підтримуєте це звернення; ви дізнаватиметеся про кожну зміну." in supported.text
    assert f'action="/appeals/{appeal_id}/support/withdraw"' in supported.text

    shown = requests.get(f"{base}/api/v1/appeals/{appeal_id}", timeout=30).json()
    assert shown["supporters_count"] == 1

    # the author's own appeal takes no support from them: a notice, not an error page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    own = resident.post(f"{base}/appeals/{appeal_id}/support", data={"csrf_token": token},
                        timeout=30)
    assert own.status_code == 409 and "Це звернення подали ви" in own.text
