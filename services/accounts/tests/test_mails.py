"""The mails' words: every string in both catalogues, each mail in one language, times in Kyiv."""
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from accounts import mails
from accounts.domain.codes import CodePurpose
from accounts.domain.model import LANGUAGES
from accounts.domain.notifications import Notice, NoticeKind

PACKAGE = Path(mails.__file__).resolve().parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def extracted_messages() -> set[str]:
    """What ``make extract-messages`` collects from the accounts package."""
    return {message if isinstance(message, str) else message[0]
            for _file, _line, message, _comments, _context in extract_from_dir(
                str(PACKAGE), method_map=[("**.py", "python")],
                keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None})}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_mail_string_is_translated_in_each_catalogue(language):
    with open(PACKAGE / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalogue = read_po(po)
    translated = {m.id: m for m in catalogue if m.id}
    needed = extracted_messages()

    assert len(needed) > 10, "too few strings extracted: the extraction itself is broken"
    missing = sorted(needed - set(translated))
    assert not missing, f"not in the {language} catalogue (run `make extract-messages`): {missing}"
    empty = sorted(m for m in needed if not translated[m].string or translated[m].fuzzy)
    assert not empty, f"untranslated or fuzzy in {language}: {empty}"
    wrong = sorted(m for m in needed
                   if set(PLACEHOLDER.findall(m)) != set(PLACEHOLDER.findall(translated[m].string)))
    assert not wrong, f"placeholders differ from the msgid in {language}: {wrong}"


def test_the_catalogue_test_would_catch_a_string_missing_from_the_catalogue():
    assert "Hromada: verify your email" in extracted_messages()
    assert "a mail nobody wrote yet" not in extracted_messages()


EXPIRES = datetime(2026, 7, 1, 9, 30, tzinfo=timezone.utc)  # summer: Kyiv is UTC+3


@pytest.mark.parametrize("language, words, time", [
    ("uk", ("Громада: зміна пароля", "Вітаємо, Олена!", "за київським часом"), "12:30"),
    ("en", ("Hromada: password reset", "Hello, Олена!", "(Kyiv time)"), "12:30"),
    ("de", ("Громада: зміна пароля", "Вітаємо, Олена!", "за київським часом"), "12:30"),
])
def test_a_code_mail_is_in_one_language_with_the_portal_link_and_kyiv_expiry(language, words,
                                                                            time):
    writer = mails.MailWriter("https://hromada.example.org/")
    subject, body = writer.code_mail(CodePurpose.RESET_PASSWORD, "042917", "Олена", language,
                                     "o+x@example.org", EXPIRES)
    assert subject == words[0] and "042917" not in subject and "042917" in body
    assert body.startswith(words[1]) and words[2] in body and f"{time}" in body
    assert "https://hromada.example.org/reset/confirm?email=o%2Bx%40example.org" in body
    assert ("Hello" in body) != ("Вітаємо" in body)  # one language, never both


def test_a_notification_mail_takes_the_notice_in_the_recipients_language():
    notice = Notice.of(NoticeKind.APPEAL_CLOSED, "a/1")
    writer = mails.MailWriter()
    uk_subject, uk_body = writer.notification_mail(notice, None, "uk")
    en_subject, en_body = writer.notification_mail(notice, "Olena", "en")
    assert uk_subject == f"Громада: {notice.title_uk}" and notice.text_uk in uk_body
    assert notice.text_en not in uk_body and uk_body.startswith("Вітаємо!")
    assert en_subject == f"Hromada: {notice.title_en}" and notice.text_en in en_body
    assert notice.text_uk not in en_body and en_body.startswith("Hello, Olena!")
    assert "http://127.0.0.1:8000/appeals/a%2F1" in en_body
    assert "You can turn these emails off on your account page: http://127.0.0.1:8000/me" in en_body


def test_the_portal_url_of_the_config_loads_as_written(monkeypatch):
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    path = PACKAGE.parent / "config.yml"
    monkeypatch.delenv("PORTAL_URL", raising=False)
    assert yaml.safe_load(path.read_text())["PORTAL_URL"] == mails.DEFAULT_PORTAL_URL
    monkeypatch.setenv("PORTAL_URL", "https://hromada.kyiv.ua:8443/portal")
    assert yaml.safe_load(path.read_text())["PORTAL_URL"] == "https://hromada.kyiv.ua:8443/portal"
