"""The mails accounts sends, in Ukrainian and then English. Plain text: every client shows it."""
from __future__ import annotations

from .codes import CODE_TTL, CodePurpose

_MINUTES = int(CODE_TTL.total_seconds() // 60)

_TEXT = {
    CodePurpose.VERIFY_EMAIL: {
        "subject": "Громада: підтвердження адреси / Hromada: verify your email",
        "uk": ("Вітаємо, {name}!\n\n"
               "Ваш код для підтвердження адреси електронної пошти на платформі «Громада»: {code}\n"
               "Код дійсний {minutes} хвилин. Якщо ви не реєструвалися, просто ігноруйте цей лист."),
        "en": ("Hello {name},\n\n"
               "Your code to verify your email address on Hromada: {code}\n"
               "It is valid for {minutes} minutes. If you did not sign up, ignore this message."),
    },
    CodePurpose.RESET_PASSWORD: {
        "subject": "Громада: зміна пароля / Hromada: password reset",
        "uk": ("Вітаємо, {name}!\n\n"
               "Ваш код для встановлення нового пароля на платформі «Громада»: {code}\n"
               "Код дійсний {minutes} хвилин. Якщо ви не просили змінити пароль, ігноруйте цей "
               "лист: ваш пароль залишиться без змін."),
        "en": ("Hello {name},\n\n"
               "Your code to set a new password on Hromada: {code}\n"
               "It is valid for {minutes} minutes. If you did not ask to reset your password, "
               "ignore this message: your password stays as it is."),
    },
}


def code_mail(purpose: CodePurpose, code: str, display_name: str) -> tuple[str, str]:
    """``(subject, text)`` of the mail carrying ``code`` (only in the text: subjects show up
    in notifications and logs)."""
    text = _TEXT[CodePurpose(purpose)]
    values = {"code": code, "name": display_name, "minutes": _MINUTES}
    body = (text["uk"].format(**values) + "\n\n— — —\n\n" + text["en"].format(**values)
            + "\n\n-- \nГромада / Hromada\n")
    return text["subject"].format(**values), body
