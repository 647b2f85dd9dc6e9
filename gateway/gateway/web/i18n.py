"""Which language a page speaks, and the localised formatting of dates and numbers.

The choice, in order: the ``lang`` cookie (set by the language switch), then the signed-in
account's preference, then ``Accept-Language``, then Ukrainian. Times are shown in Europe/Kyiv.

The account's preference costs no RPC call per page: the session copies it into
:data:`ACCOUNT_LANG_COOKIE` when it learns it (sign-in, the account page, the language switch,
which also stores the choice in the account) and clears it at sign-out, as it does the
display name's cookie (``web.session``). A token claim would have gone stale for the access
token's lifetime after a change and would have meant a claim every service must know.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES = ("uk", "en")
DEFAULT_LOCALE = "uk"
LANG_COOKIE = "lang"
ACCOUNT_LANG_COOKIE = "hromada_account_lang"
TIMEZONE = ZoneInfo("Europe/Kyiv")
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


def negotiate(request, account_locale: str | None = None) -> str:
    """The locale for ``request`` (one of :data:`LOCALES`); ``account_locale`` defaults to the
    signed-in account's, as the session's cookie remembers it."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return chosen
    if account_locale is None:
        account_locale = request.cookies.get(ACCOUNT_LANG_COOKIE)
    if account_locale in LOCALES:
        return account_locale
    best = request.accept_languages.best_match(LOCALES)
    return best or DEFAULT_LOCALE


@lru_cache(maxsize=None)
def translations(locale: str) -> Translations:
    """The compiled catalogue of ``locale`` (``make install`` compiles them)."""
    loaded = Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")
    if not isinstance(loaded, Translations):
        raise RuntimeError(f"no compiled catalogue for {locale!r} under {TRANSLATIONS_DIR}; "
                           "run `make install` (it compiles them with pybabel)")
    return loaded


class Formatter:
    """Dates, deadlines and numbers as a reader of ``locale`` expects them."""

    def __init__(self, locale: str):
        try:
            self.locale = Locale.parse(locale)
        except (ValueError, UnknownLocaleError):
            self.locale = Locale.parse(DEFAULT_LOCALE)

    def datetime(self, value: str | datetime | None, format: str = "medium") -> str:
        moment = _parse(value)
        if moment is None:
            return ""
        return format_datetime(moment, format=format, tzinfo=TIMEZONE, locale=self.locale)

    def number(self, value) -> str:
        return format_decimal(value, locale=self.locale) if value is not None else ""

    def until(self, value: str | datetime | None, now: datetime | None = None) -> str:
        """How long until ``value`` ("in 3 days"; "2 hours ago" once it has passed)."""
        moment = _parse(value)
        if moment is None:
            return ""
        now = now or datetime.now(TIMEZONE)
        return format_timedelta(moment - now, add_direction=True, threshold=1.0,
                                locale=self.locale)


def _parse(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
