"""The mails accounts sends, each in its recipient's language only (``Account.language``;
Ukrainian when unknown), through the Babel catalogues in ``translations/`` (English msgids;
``make messages`` compiles them, ``make extract-messages`` collects new strings). Plain text:
every client shows it.

Links point at the portal's pages (``PORTAL_URL`` in the config): the page to enter a code,
the appeal a notification is about, the account page where e-mails are turned off. Times are
written the recipient's way, in Europe/Kyiv.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.support import Translations

from .domain.codes import CODE_TTL, CodePurpose
from .domain.model import DEFAULT_LANGUAGE, LANGUAGES

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
TIMEZONE = ZoneInfo("Europe/Kyiv")
DEFAULT_PORTAL_URL = "http://127.0.0.1:8000"
"""The gateway's address on a laptop (``GATEWAY_ADDRESS`` 0.0.0.0:8000)."""
_MINUTES = int(CODE_TTL.total_seconds() // 60)
SIGNATURE = "\n-- \n"


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is written."""
    return message


@lru_cache(maxsize=None)
def translations(language: str) -> Translations:
    """The compiled catalogue of ``language`` (``make install`` compiles them)."""
    loaded = Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")
    if not isinstance(loaded, Translations):
        raise RuntimeError(f"no compiled catalogue for {language!r} under {TRANSLATIONS_DIR}; "
                           "run `make messages` (it compiles them with pybabel)")
    return loaded


def language_of(value) -> str:
    """One of :data:`LANGUAGES`: the account's choice, or the default."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


_CODE_MAILS = {
    CodePurpose.VERIFY_EMAIL: {
        "subject": N_("Hromada: verify your email"),
        "code": N_("Your code to verify your email address on Hromada: %(code)s"),
        "where": N_("Enter it on the page %(url)s"),
        "page": "/verify",
        "validity": N_("The code is valid for %(minutes)s minutes, until %(time)s (Kyiv time). "
                       "If you did not sign up, ignore this message."),
    },
    CodePurpose.RESET_PASSWORD: {
        "subject": N_("Hromada: password reset"),
        "code": N_("Your code to set a new password on Hromada: %(code)s"),
        "where": N_("Enter it with your new password on the page %(url)s"),
        "page": "/reset/confirm",
        "validity": N_("The code is valid for %(minutes)s minutes, until %(time)s (Kyiv time). "
                       "If you did not ask to reset your password, ignore this message: your "
                       "password stays as it is."),
    },
}


class MailWriter:
    """Writes the mails, in the recipient's language, with links to the portal at
    ``portal_url``."""

    def __init__(self, portal_url: str | None = None):
        self.portal_url = (portal_url or DEFAULT_PORTAL_URL).rstrip("/")

    @staticmethod
    def check_catalogues() -> None:
        """Raise if a language's compiled catalogue is missing (run ``make messages``)."""
        for language in LANGUAGES:
            translations(language)

    def _link(self, path: str, **query) -> str:
        return self.portal_url + path + (("?" + urlencode(query)) if query else "")

    @staticmethod
    def _greeting(_, display_name: str | None) -> str:
        return _("Hello, %(name)s!") % {"name": display_name} if display_name else _("Hello!")

    def _finish(self, _, *paragraphs: str) -> str:
        return "\n\n".join(paragraphs) + "\n" + SIGNATURE + _("Hromada") + "\n"

    def code_mail(self, purpose: CodePurpose, code: str, display_name: str | None,
                  language: str | None, email: str, expires_at: datetime) -> tuple[str, str]:
        """``(subject, text)`` of the mail carrying ``code`` (only in the text: subjects show
        up in notifications and logs)."""
        language = language_of(language)
        _ = translations(language).gettext
        text = _CODE_MAILS[CodePurpose(purpose)]
        until = format_datetime(expires_at, "HH:mm", tzinfo=TIMEZONE, locale=Locale(language))
        body = "\n".join((
            _(text["code"]) % {"code": code},
            _(text["where"]) % {"url": self._link(text["page"], email=email)},
            _(text["validity"]) % {"minutes": _MINUTES, "time": until},
        ))
        return _(text["subject"]), self._finish(_, self._greeting(_, display_name), body)

    def registration_attempt_mail(self, display_name: str | None,
                                  language: str | None) -> tuple[str, str]:
        """``(subject, text)`` telling the owner of an address that someone tried to register
        it again. The sign-up form answers such an attempt exactly as a new one (no account
        enumeration), so this mail is how the real owner learns of it."""
        _ = translations(language_of(language)).gettext
        body = "\n".join((
            _("Someone just tried to sign up on Hromada with your email address. An account "
              "with this address already exists, so no new one was created."),
            _("If it was you, just sign in: %(url)s") % {"url": self._link("/signin")},
            _("If you forgot your password, set a new one: %(url)s")
            % {"url": self._link("/reset")},
            _("If it was not you, there is nothing to do: your account and password are "
              "unchanged."),
        ))
        return (_("Hromada: someone tried to sign up with your address"),
                self._finish(_, self._greeting(_, display_name), body))

    def notification_mail(self, notice, display_name: str | None,
                          language: str | None) -> tuple[str, str]:
        """``(subject, text)`` of the email copy of a notification, to its own recipient: the
        notice's title and text in their language, in a translated frame."""
        language = language_of(language)
        _ = translations(language).gettext
        english = language == "en"
        title = notice.title_en if english else notice.title_uk
        text = notice.text_en if english else notice.text_uk
        paragraphs = [self._greeting(_, display_name), text]
        if notice.appeal_id:
            paragraphs.append(_("The appeal on the portal: %(url)s") % {
                "url": self._link("/appeals/" + quote(str(notice.appeal_id), safe=""))})
        paragraphs.append(_("You can turn these emails off on your account page: %(url)s")
                          % {"url": self._link("/me")})
        return _("Hromada: %(title)s") % {"title": title}, self._finish(_, *paragraphs)
