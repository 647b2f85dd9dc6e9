"""A few seconds' memory of public pages, for anonymous readers (micro-caching).

A public page read by someone without a session is the same for every such reader of the same
URL in the same language, and most readers of a city's portal are such readers: the home
page, the public list, an appeal's page shared on a social network. Each gateway process keeps
each of those answers for ``WEB_PAGE_CACHE_SECONDS`` (default 2) and serves it again without
running a worker or calling a service, so a crowd on one page costs one render per interval.

What is never kept: anything for a signed-in browser (a session cookie, or an identity at the
edge), an answer that sets a cookie, any status but 200, any method but GET. The rate limits
and the access check run before the cache is asked (:meth:`gateway.http.HttpEntrypoint.handle_request`).
A reader may see a page up to that many seconds old; the author of an appeal, signed in,
always sees it fresh.

No stampede: when a kept page has expired, the first request renders it again while the others
that arrive meanwhile still get the expired copy (stale-while-revalidate, for at most
:data:`STALE_FACTOR` intervals and only while one render is under way; a render that fails or
hangs gives the next request its turn after :data:`REFRESH_PATIENCE` seconds).
"""
from __future__ import annotations

import time
from collections import OrderedDict

from .i18n import negotiate
from .session import ACCESS_COOKIE, REFRESH_COOKIE, has_queued_cookies

CACHE_SECONDS_CONFIG_KEY = "WEB_PAGE_CACHE_SECONDS"
DEFAULT_CACHE_SECONDS = 2.0
MAX_ENTRIES = 2048
STALE_FACTOR = 10
REFRESH_PATIENCE = 5.0
_KEPT_HEADERS_EXCLUDED = {"set-cookie", "content-length"}


class PageCache:
    """URL + language → (expiry, status, headers, body), at most :data:`MAX_ENTRIES`."""

    def __init__(self, seconds: float, clock=time.monotonic, max_entries: int = MAX_ENTRIES):
        self.seconds = seconds
        self._clock = clock
        self._max_entries = max_entries
        self._entries: OrderedDict[tuple, tuple[float, int, list, bytes]] = OrderedDict()
        self._refreshing: dict[tuple, float] = {}  # key -> when its re-render started

    def _key(self, request, identity):
        if (self.seconds <= 0 or request.method != "GET" or identity is not None
                or ACCESS_COOKIE in request.cookies or REFRESH_COOKIE in request.cookies):
            return None
        return request.path, request.query_string, negotiate(request)

    def get(self, request, identity):
        """The kept answer for this request as ``(status, headers, body)``, or None."""
        key = self._key(request, identity)
        entry = self._entries.get(key) if key is not None else None
        if entry is None:
            return None
        expires, status, headers, body = entry
        now = self._clock()
        if now < expires:
            return status, headers, body
        if now >= expires + self.seconds * STALE_FACTOR:
            self._entries.pop(key, None)
            return None
        started = self._refreshing.get(key)
        if started is not None and now - started < REFRESH_PATIENCE:
            return status, headers, body  # someone is rendering it again: the old copy meanwhile
        self._refreshing[key] = now
        return None  # this request renders it

    def put(self, request, identity, response) -> None:
        """Keep ``response`` if it is a public answer every anonymous reader gets alike."""
        key = self._key(request, identity)
        if key is not None:
            self._refreshing.pop(key, None)
        if (key is None or response.status_code != 200 or response.direct_passthrough
                or "Set-Cookie" in response.headers or has_queued_cookies(request)):
            return
        headers = [(name, value) for name, value in response.headers.items()
                   if name.lower() not in _KEPT_HEADERS_EXCLUDED]
        self._entries[key] = (self._clock() + self.seconds, response.status_code, headers,
                              response.get_data())
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
