"""A short-lived, bounded, in-process cache of public resident leaderboard pages.

A public board a few seconds old is as good as a fresh one, and a popular board is asked for
far more often than it changes: each service instance keeps the pages it served for
``LEADERBOARD_CACHE_SECONDS`` (config; default 5, 0 turns the cache off), at most
``LEADERBOARD_CACHE_ENTRIES`` of them (least recently used dropped first). Nothing personal is
cached beyond what the public board shows, and a resident's own view (``my_points``) never
goes through it.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Hashable

from nameko.extensions import DependencyProvider

DEFAULT_SECONDS = 5.0
DEFAULT_ENTRIES = 512


class BoardCache:
    """``key → page`` for ``seconds`` after it was stored, at most ``max_entries`` pages.

    ``clock`` (monotonic seconds) is injectable so tests drive time without sleeping.
    ``seconds <= 0`` disables it: :meth:`get` always misses and :meth:`put` keeps nothing."""

    def __init__(self, seconds: float = DEFAULT_SECONDS, max_entries: int = DEFAULT_ENTRIES,
                 clock: Callable[[], float] = time.monotonic):
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.seconds = float(seconds)
        self.max_entries = int(max_entries)
        self.clock = clock
        self._pages: OrderedDict[Hashable, tuple[float, dict]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def get(self, key: Hashable) -> dict | None:
        if not self.enabled:
            return None
        now = self.clock()
        with self._lock:
            found = self._pages.get(key)
            if found is None or found[0] <= now:
                if found is not None:
                    del self._pages[key]
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: Hashable, page: dict) -> None:
        if not self.enabled:
            return
        expires = self.clock() + self.seconds
        with self._lock:
            self._pages[key] = (expires, page)
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


class BoardCacheProvider(DependencyProvider):
    """One :class:`BoardCache` per service container, shared by its workers, sized from
    ``LEADERBOARD_CACHE_SECONDS`` and ``LEADERBOARD_CACHE_ENTRIES``."""

    def setup(self):
        config = self.container.config
        seconds = config.get("LEADERBOARD_CACHE_SECONDS", DEFAULT_SECONDS)
        entries = config.get("LEADERBOARD_CACHE_ENTRIES", DEFAULT_ENTRIES)
        self.cache = BoardCache(
            seconds=float(seconds) if seconds not in (None, "") else DEFAULT_SECONDS,
            max_entries=int(entries) if entries not in (None, "") else DEFAULT_ENTRIES)

    def get_dependency(self, worker_ctx):
        return self.cache
