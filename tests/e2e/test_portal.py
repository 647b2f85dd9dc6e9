"""The portal's public pages on the running platform (real services behind the gateway)."""
import re

import pytest

from .helpers import appeal_payload, submit

pytestmark = pytest.mark.e2e


def test_the_portal_shows_a_filed_appeal_on_the_list_and_on_its_own_page(platform, api):
    title = "Зламаний ліхтар на зупинці"
    appeal_id = submit(api, appeal_payload(title=title)).json()["id"]

    home = api.get(platform.url + "/", timeout=30)
    assert home.status_code == 200 and '<html lang="uk">' in home.text
    listing = api.get(platform.url + "/appeals", timeout=30)
    assert listing.status_code == 200 and f'href="/appeals/{appeal_id}"' in listing.text
    page = api.get(f"{platform.url}/appeals/{appeal_id}", headers={"Accept-Language": "en"},
                   timeout=30)
    assert page.status_code == 200 and title in page.text and "What happened" in page.text
    css = re.search(r'href="(/static/site\.[0-9a-f]{12}\.css)"', page.text).group(1)
    assert api.get(platform.url + css, timeout=30).status_code == 200
    assert api.get(platform.url + "/appeals/no-such-appeal", timeout=30).status_code == 404
