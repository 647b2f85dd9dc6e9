"""Public pages are kept a few seconds for readers without a session (micro-caching), and
nothing personal is ever kept."""
import pytest
from hromada_common.errors import NotFound
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from gateway.web.page_cache import PageCache
from test_web import APPEAL_ID, appeal, statistics


@pytest.fixture
def config(config):
    return {**config, "WEB_PAGE_CACHE_SECONDS": 60}


@pytest.fixture
def portal(gateway):
    gateway.intake.statistics.return_value = statistics()
    gateway.intake.list_appeals.return_value = {"items": [appeal()], "next_cursor": None}
    gateway.intake.get_appeal.return_value = appeal()
    gateway.routing.list_categories.return_value = [
        {"code": "roads.surface.pothole", "name": {"uk": "Вибоїна", "en": "Pothole"}}]
    return gateway


def test_an_anonymous_crowd_on_the_home_page_costs_one_render(portal):
    first = portal.api.get("/")
    again = [portal.api.get("/") for _ in range(5)]

    assert portal.intake.statistics.call_count == 1
    for response in again:
        assert response.status_code == 200 and response.text == first.text
        # the edge's headers are added to a kept page as to a fresh one
        assert response.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
        assert response.headers["Content-Language"] == "uk"


def test_each_language_and_each_query_is_kept_apart(portal):
    uk = portal.api.get("/appeals")
    en = portal.api.get("/appeals", headers={"Accept-Language": "en"})
    filtered = portal.api.get("/appeals?state=assigned")

    assert portal.intake.list_appeals.call_count == 3
    assert '<html lang="uk">' in uk.text and '<html lang="en">' in en.text
    assert filtered.status_code == 200


def test_a_signed_in_reader_always_gets_a_fresh_page(portal, signing_keys):
    portal.api.cookies.set("hromada_access", signing_keys.token_for("acc-1"))
    portal.api.get(f"/appeals/{APPEAL_ID}")
    portal.api.get(f"/appeals/{APPEAL_ID}")

    assert portal.intake.get_appeal.call_count == 2


def test_an_error_page_is_never_kept(portal):
    portal.intake.get_appeal.side_effect = NotFound("no such appeal")

    assert portal.api.get(f"/appeals/{APPEAL_ID}").status_code == 404
    assert portal.api.get(f"/appeals/{APPEAL_ID}").status_code == 404
    assert portal.intake.get_appeal.call_count == 2


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def request(path="/", **kwargs):
    return Request(EnvironBuilder(path=path, **kwargs).get_environ())


def test_a_kept_page_expires():
    clock = Clock()
    cache = PageCache(2, clock=clock)
    cache.put(request(), None, Response("home"))

    assert cache.get(request(), None)[2] == b"home"
    clock.now += 2.5
    assert cache.get(request(), None) is None  # this reader renders it again


def test_while_one_reader_renders_an_expired_page_the_others_get_the_old_copy():
    clock = Clock()
    cache = PageCache(2, clock=clock)
    cache.put(request(), None, Response("old"))
    clock.now += 3

    assert cache.get(request(), None) is None          # the first renders
    assert cache.get(request(), None)[2] == b"old"     # the rest meanwhile: no stampede
    cache.put(request(), None, Response("new"))
    assert cache.get(request(), None)[2] == b"new"


def test_a_render_that_never_finishes_does_not_pin_the_old_copy():
    clock = Clock()
    cache = PageCache(2, clock=clock)
    cache.put(request(), None, Response("old"))
    clock.now += 3
    assert cache.get(request(), None) is None          # renders, then fails: no put
    clock.now += 6
    assert cache.get(request(), None) is None          # the next reader tries again
    clock.now += 60
    assert cache.get(request(), None) is None          # far too old: gone
    assert len(cache._entries) == 0


@pytest.mark.parametrize("case", ["set-cookie", "status", "post", "identity", "session cookie"])
def test_nothing_personal_or_failed_is_kept(case):
    cache = PageCache(60)
    response = Response("page")
    kwargs, identity = {}, None
    if case == "set-cookie":
        response.set_cookie("hromada_csrf", "x")
    elif case == "status":
        response.status_code = 400
    elif case == "post":
        kwargs["method"] = "POST"
    elif case == "identity":
        identity = object()
    elif case == "session cookie":
        kwargs["headers"] = {"Cookie": "hromada_refresh=r"}

    cache.put(request(**kwargs), identity, response)

    assert cache.get(request(**kwargs), identity) is None
    assert len(cache._entries) == 0


def test_the_cache_holds_a_bounded_number_of_pages():
    cache = PageCache(60, max_entries=3)
    for number in range(10):
        cache.put(request(f"/appeals/{number}"), None, Response(str(number)))

    assert len(cache._entries) == 3
    assert cache.get(request("/appeals/9"), None)[2] == b"9"
    assert cache.get(request("/appeals/0"), None) is None
