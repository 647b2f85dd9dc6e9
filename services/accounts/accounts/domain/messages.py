"""What notifications say, in Ukrainian and English (the in-app notification shows both; its
email copy, written by ``accounts.mails``, the recipient's language only). Deadlines and dates
are written in Kyiv time, each language's way (Babel's formats: plain functions, no framework).
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

API = "/api/v1"
"""Paths in notifications are the public API's (docs/api.md), so a client can act on them."""

_NOTICES = {
    "appeal_assigned": {
        "title": ("Звернення передано виконавцю", "Your appeal was assigned"),
        "uk": "Ваше звернення {appeal_id} передано на виконання підрозділу «{body}».{due_uk}\n"
              "Стежити за ним: GET {api}/appeals/{appeal_id}",
        "en": "Your appeal {appeal_id} was assigned to the body \"{body}\".{due_en}\n"
              "Follow it: GET {api}/appeals/{appeal_id}",
    },
    "appeal_in_progress": {
        "title": ("Звернення взято в роботу", "Work on your appeal has started"),
        "uk": "Виконавець узяв ваше звернення {appeal_id} в роботу. Ми повідомимо, коли роботу "
              "буде завершено.\nСтежити за ним: GET {api}/appeals/{appeal_id}",
        "en": "An executor started work on your appeal {appeal_id}. We will let you know when "
              "it is done.\nFollow it: GET {api}/appeals/{appeal_id}",
    },
    "appeal_resolved": {
        "title": ("Звернення виконано: підтвердіть або поверніть",
                  "Appeal resolved: please confirm or send back"),
        "uk": "Виконавець повідомляє, що проблему зі звернення {appeal_id} усунуто. Перевірте, "
              "будь ласка, і дайте відповідь:\n"
              "- підтвердити та оцінити роботу (1–5): POST {api}/appeals/{appeal_id}/confirm\n"
              "- повернути на доопрацювання з поясненням: POST {api}/appeals/{appeal_id}/rework\n"
              "Без вашого підтвердження звернення не вважається виконаним.",
        "en": "The executor reports that the problem in appeal {appeal_id} is fixed. Please "
              "check and answer:\n"
              "- confirm and rate the work (1–5): POST {api}/appeals/{appeal_id}/confirm\n"
              "- send it back for rework, saying why: POST {api}/appeals/{appeal_id}/rework\n"
              "Without your confirmation the appeal does not count as done.",
    },
    "appeal_rejected": {
        "title": ("Звернення відхилено", "Your appeal was rejected"),
        "uk": "Ваше звернення {appeal_id} відхилено. Причина: {reason_uk}\n"
              "Якщо проблему можна описати інакше, подайте нове звернення: POST {api}/appeals",
        "en": "Your appeal {appeal_id} was rejected. Reason: {reason_en}\n"
              "If the problem can be described differently, file a new appeal: "
              "POST {api}/appeals",
    },
    "appeal_closed": {
        "title": ("Звернення закрито", "Your appeal is closed"),
        "uk": "Звернення {appeal_id} закрито після вашого підтвердження. Дякуємо за оцінку!\n"
              "Переглянути: GET {api}/appeals/{appeal_id}",
        "en": "Appeal {appeal_id} is closed after your confirmation. Thank you for the rating!\n"
              "View it: GET {api}/appeals/{appeal_id}",
    },
    "appeal_archived": {
        "title": ("Звернення перенесено до архіву", "Your appeal was archived"),
        "uk": "Звернення {appeal_id} перенесено до архіву без вашого підтвердження, тож воно не "
              "вважається виконаним.{reason_line_uk}\n"
              "Якщо проблема залишилася, подайте нове звернення: POST {api}/appeals",
        "en": "Appeal {appeal_id} was archived without your confirmation, so it does not count "
              "as done.{reason_line_en}\n"
              "If the problem is still there, file a new appeal: POST {api}/appeals",
    },
    "appeal_rework": {
        "title": ("Звернення повернуто на доопрацювання", "Your appeal was sent back for rework"),
        "uk": "Звернення {appeal_id} повернуто на доопрацювання тому ж підрозділу. Ми "
              "повідомимо, коли виконавець знову завершить роботу.\n"
              "Стежити за ним: GET {api}/appeals/{appeal_id}",
        "en": "Appeal {appeal_id} went back to the same body for rework. We will let you know "
              "when the executor reports it done again.\n"
              "Follow it: GET {api}/appeals/{appeal_id}",
    },
    "staff_commented": {
        "title": ("Новий коментар до вашого звернення", "New comment on your appeal"),
        "uk": "Працівник відповідального підрозділу прокоментував ваше звернення {appeal_id}.\n"
              "Прочитати й відповісти: GET {api}/appeals/{appeal_id}/comments",
        "en": "Staff of the responsible body commented on your appeal {appeal_id}.\n"
              "Read and reply: GET {api}/appeals/{appeal_id}/comments",
    },
    "confirmation_reminder": {
        "title": ("Нагадування: підтвердіть виконання звернення",
                  "Reminder: please confirm your appeal"),
        "uk": "Звернення {appeal_id} позначено виконаним {resolved_on_uk} і чекає вашої відповіді "
              "(нагадування № {reminder_number}).\n"
              "- підтвердити та оцінити: POST {api}/appeals/{appeal_id}/confirm\n"
              "- повернути на доопрацювання: POST {api}/appeals/{appeal_id}/rework",
        "en": "Appeal {appeal_id} was reported resolved on {resolved_on_en} and awaits your answer "
              "(reminder no. {reminder_number}).\n"
              "- confirm and rate: POST {api}/appeals/{appeal_id}/confirm\n"
              "- send back for rework: POST {api}/appeals/{appeal_id}/rework",
    },
    "supported_appeal_changed": {
        "title": ("Зміни у зверненні, яке ви підтримали", "An appeal you support changed"),
        "uk": "Звернення {appeal_id}, яке ви підтримали, тепер у стані «{state_uk}».{due_uk}\n"
              "Стежити за ним: GET {api}/appeals/{appeal_id}\n"
              "Більше не стежити: DELETE {api}/appeals/{appeal_id}/support",
        "en": "Appeal {appeal_id}, which you support, is now \"{state_en}\".{due_en}\n"
              "Follow it: GET {api}/appeals/{appeal_id}\n"
              "Stop following it: DELETE {api}/appeals/{appeal_id}/support",
    },
    "portal_feedback_answered": {
        "title": ("Відповідь на ваш відгук про портал", "Your portal feedback was answered"),
        "uk": "Ми відповіли на ваш відгук про портал ({feedback_id}). Дякуємо, що допомагаєте "
              "нам ставати кращими!\nПрочитати відповідь: GET {api}/portal-feedback",
        "en": "We answered your feedback about the portal ({feedback_id}). Thank you for helping "
              "us improve!\nRead the answer: GET {api}/portal-feedback",
    },
    "badge_awarded": {
        "title": ("Нова відзнака", "You earned a badge"),
        "uk": "Вітаємо! Ви отримали відзнаку «{badge_uk}». Дякуємо за вашу активність у "
              "громаді!\nУсі ваші бали й відзнаки: GET {api}/me/points",
        "en": "Congratulations! You earned the badge \"{badge_en}\". Thank you for what you do "
              "for the community!\nAll your points and badges: GET {api}/me/points",
    },
    "level_reached": {
        "title": ("Новий рівень", "You reached a new level"),
        "uk": "Вітаємо! Ви досягли рівня {level} «{level_uk}»: {points} балів за корисну "
              "активність у громаді.{trust_uk}\nУсі ваші бали й відзнаки: GET {api}/me/points",
        "en": "Congratulations! You reached level {level}, \"{level_en}\": {points} points for "
              "useful activity in the community.{trust_en}\n"
              "All your points and badges: GET {api}/me/points",
    },
    "reward_certificate": {
        "title": ("Подяка від міста", "A certificate of gratitude for you"),
        "uk": "Вітаємо! За вашу активність у період {period} місто дякує вам грамотою.\n"
              "Завантажте свою грамоту (PDF): GET {api}/me/rewards/{reward_id}/certificate",
        "en": "Congratulations! For your activity in {period} the city thanks you with a "
              "certificate of gratitude.\n"
              "Download your certificate (PDF): GET {api}/me/rewards/{reward_id}/certificate",
    },
    "reward_gift": {
        "title": ("Подарунок від міста", "A gift from the city for you"),
        "uk": "Вітаємо! За вашу активність у період {period} вам призначено подарунок від "
              "міста. Працівники міста зв'яжуться з вами та передадуть його.\n"
              "Ваші нагороди: GET {api}/me/rewards",
        "en": "Congratulations! For your activity in {period} the city grants you a gift. "
              "City staff will contact you and hand it over.\n"
              "Your rewards: GET {api}/me/rewards",
    },
    "body_appeal_assigned": {
        "title": ("Нове звернення для вашого підрозділу", "New appeal for your body"),
        "uk": "Звернення {appeal_id} передано підрозділу «{body}».{due_uk}\n"
              "Взяти в роботу: POST {api}/appeals/{appeal_id}/take",
        "en": "Appeal {appeal_id} was assigned to \"{body}\".{due_en}\n"
              "Take it into work: POST {api}/appeals/{appeal_id}/take",
    },
    "body_appeal_rework": {
        "title": ("Звернення повернуто на доопрацювання", "Appeal sent back for rework"),
        "uk": "Автор повернув звернення {appeal_id} підрозділу «{body}» на доопрацювання.{due_uk}"
              "\nПричина — у зверненні: GET {api}/appeals/{appeal_id}",
        "en": "The author sent appeal {appeal_id} back to \"{body}\" for rework.{due_en}\n"
              "The reason is in the appeal: GET {api}/appeals/{appeal_id}",
    },
    "author_commented": {
        "title": ("Автор прокоментував звернення", "The author commented on an appeal"),
        "uk": "Автор звернення {appeal_id} (підрозділ «{body}») додав коментар.\n"
              "Прочитати й відповісти: GET {api}/appeals/{appeal_id}/comments",
        "en": "The author of appeal {appeal_id} (body \"{body}\") added a comment.\n"
              "Read and reply: GET {api}/appeals/{appeal_id}/comments",
    },
    "body_deadline_near": {
        "title": ("Строк виконання спливає", "Deadline approaching"),
        "uk": "Строк виконання звернення {appeal_id} підрозділом «{body}» спливає {due_at_uk}. "
              "Більшу частину часу вже використано.\n"
              "Переглянути звернення: GET {api}/appeals/{appeal_id}",
        "en": "Appeal {appeal_id} for \"{body}\" is due by {due_at_en}, and most of the time is "
              "used up.\nView the appeal: GET {api}/appeals/{appeal_id}",
    },
    "body_appeal_escalated": {
        "title": ("Звернення ескальовано вам", "Appeal escalated to you"),
        "uk": "Звернення {appeal_id} підрозділу «{body}» (строк виконання: {due_at_uk}) "
              "ескальовано вам як керівнику підрозділу. Причина: {reason_uk}\n"
              "Переглянути звернення: GET {api}/appeals/{appeal_id}",
        "en": "Appeal {appeal_id} of \"{body}\" (due by {due_at_en}) was escalated to you as the "
              "head of the body. Reason: {reason_en}\n"
              "View the appeal: GET {api}/appeals/{appeal_id}",
    },
    "escalation_without_head": {
        "title": ("Ескалація без керівника підрозділу", "Escalation with no head to take it"),
        "uk": "Звернення {appeal_id} підрозділу «{body}» (строк виконання: {due_at_uk}) "
              "ескальовано, але в підрозділі немає активного керівника, тож повідомляємо "
              "адміністраторів. "
              "Причина: {reason_uk}\n"
              "Переглянути звернення: GET {api}/appeals/{appeal_id}\n"
              "Призначити керівника: PUT {api}/accounts/{{id}}/roles",
        "en": "Appeal {appeal_id} of \"{body}\" (due by {due_at_en}) was escalated, but the body "
              "has no active head, so the administrators are told. Reason: {reason_en}\n"
              "View the appeal: GET {api}/appeals/{appeal_id}\n"
              "Appoint a head: PUT {api}/accounts/{{id}}/roles",
    },
}

STATE_NAMES = {
    "submitted": ("подано", "submitted"),
    "rejected": ("відхилено", "rejected"),
    "duplicate": ("дублікат", "duplicate"),
    "assigned": ("передано виконавцю", "assigned"),
    "in_progress": ("у роботі", "in progress"),
    "resolved": ("виконано, чекає підтвердження автора", "resolved, awaiting the author"),
    "rework": ("на доопрацюванні", "sent back for rework"),
    "closed": ("закрито, виконання підтверджено", "closed, confirmed by the author"),
    "archived": ("в архіві без підтвердження", "archived unconfirmed"),
}
"""The lifecycle's states as a notification names them (Ukrainian, English)."""

ESCALATION_REASONS_UK = {
    "deadline broken": "строк виконання порушено",
    "rework limit reached": "вичерпано ліміт повернень на доопрацювання",
}
"""Ukrainian for the reasons routing and feedback put in ``hromada.appeal.escalated.v1``
(English, machine-written); any other reason is shown as it came."""


KYIV = ZoneInfo("Europe/Kyiv")
"""Deadlines and dates are written as a reader in the city reads them: Kyiv time."""
_KYIV_TIME = {"uk": "{} за київським часом", "en": "{} Kyiv time"}


def _moment(value, language: str) -> str:
    """A deadline in Kyiv time, the ``language``'s way: "28 листопада 2026, 16:00 за
    київським часом", "28 November 2026, 16:00 Kyiv time"."""
    if value is None:
        return ""
    text = format_datetime(value, "d MMMM y, HH:mm", tzinfo=KYIV, locale=language)
    return _KYIV_TIME[language].format(text)


def _day(value, language: str) -> str:
    """A date (of the Kyiv calendar), the ``language``'s way: "28 листопада 2026"."""
    if value is None:
        return ""
    return format_date(value.astimezone(KYIV), "d MMMM y", locale=language)


def notice_text(kind: str, *, appeal_id: str | None = None, body: str | None = None,
                reason: str | None = None, due_at=None, resolved_at=None,
                reminder_number: int | None = None, feedback_id: str | None = None,
                badge: dict | None = None, reward_id: str | None = None,
                period: str | None = None, level: int | None = None,
                level_name: dict | None = None, points: int | None = None,
                trust: int | None = None, state: str | None = None) -> tuple[tuple[str, str], tuple[str, str]]:
    """``((title_uk, title_en), (text_uk, text_en))`` of a notification of ``kind``.
    ``badge`` and ``level_name`` are names ``{"uk": …, "en": …}``; ``trust`` is the trust
    level a level raised the account to (None: it did not); ``state`` an appeal state."""
    text = _NOTICES[str(kind)]
    reason = " ".join(reason.split()) if isinstance(reason, str) and reason.strip() else None
    state_uk, state_en = STATE_NAMES.get(state, (state, state))
    values = {
        "state_uk": state_uk, "state_en": state_en,
        "api": API, "appeal_id": appeal_id, "body": body, "feedback_id": feedback_id,
        "reminder_number": reminder_number, "reward_id": reward_id, "period": period,
        "badge_uk": (badge or {}).get("uk"), "badge_en": (badge or {}).get("en"),
        "level": level, "points": points,
        "level_uk": (level_name or {}).get("uk"), "level_en": (level_name or {}).get("en"),
        "trust_uk": (f" Дякуємо за конструктивну участь: рівень довіри до вашого облікового "
                     f"запису підвищено до {trust}." if trust is not None else ""),
        "trust_en": (f" Thank you for taking part constructively: your account's trust level "
                     f"rose to {trust}." if trust is not None else ""),
        "resolved_on_uk": _day(resolved_at, "uk"), "resolved_on_en": _day(resolved_at, "en"),
        "due_uk": f" Строк виконання: {_moment(due_at, 'uk')}." if due_at is not None else "",
        "due_en": f" Due by {_moment(due_at, 'en')}." if due_at is not None else "",
        "due_at_uk": _moment(due_at, "uk"), "due_at_en": _moment(due_at, "en"),
        "reason_uk": ESCALATION_REASONS_UK.get(reason, reason) if reason else "не вказано.",
        "reason_en": reason or "not given.",
        "reason_line_uk": f" Причина: {reason}" if reason else "",
        "reason_line_en": f" Reason: {reason}" if reason else "",
    }
    return text["title"], (text["uk"].format(**values), text["en"].format(**values))
