"""Who hears about what: the notifier's rules, in plain Python.

An event about an appeal becomes zero or more *deliveries*: a :class:`Notice` (what to say,
in Ukrainian and English) for a recipient, either one account (:class:`ToAccount`, e.g. the
appeal's author), the staff of a body (:class:`ToBodyStaff`: every executor and the head
whose ``body`` is the appeal's body) or the active holders of one role (:class:`ToRole`: the
heads of a body, its executors, the admins), with a fallback when there are none. The service
layer turns recipients into accounts, writes one in-app notification per account and queues
the email (unless the notice is in-app only).

Notices carry appeal ids, body codes, dates and what the recipient may do next, never anyone
else's personal data: not a name, not an address, not what another person wrote.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .messages import notice_text


class NoticeKind(StrEnum):
    # to the appeal's author
    APPEAL_ASSIGNED = "appeal_assigned"
    APPEAL_IN_PROGRESS = "appeal_in_progress"
    APPEAL_RESOLVED = "appeal_resolved"
    APPEAL_REJECTED = "appeal_rejected"
    APPEAL_CLOSED = "appeal_closed"
    APPEAL_ARCHIVED = "appeal_archived"
    APPEAL_REWORK = "appeal_rework"
    STAFF_COMMENTED = "staff_commented"
    CONFIRMATION_REMINDER = "confirmation_reminder"
    PORTAL_FEEDBACK_ANSWERED = "portal_feedback_answered"
    # to the appeal's supporters (they follow it)
    SUPPORTED_APPEAL_CHANGED = "supported_appeal_changed"
    # to a resident, about their own activity (gamification)
    BADGE_AWARDED = "badge_awarded"
    LEVEL_REACHED = "level_reached"
    REWARD_CERTIFICATE = "reward_certificate"
    REWARD_GIFT = "reward_gift"
    # to the staff of the responsible body
    BODY_APPEAL_ASSIGNED = "body_appeal_assigned"
    BODY_APPEAL_REWORK = "body_appeal_rework"
    AUTHOR_COMMENTED = "author_commented"
    BODY_DEADLINE_NEAR = "body_deadline_near"
    BODY_APPEAL_ESCALATED = "body_appeal_escalated"
    # to the admins, when the body has nobody to escalate to
    ESCALATION_WITHOUT_HEAD = "escalation_without_head"


AUTHOR_KIND_OF_STATE = {
    "assigned": NoticeKind.APPEAL_ASSIGNED,
    "in_progress": NoticeKind.APPEAL_IN_PROGRESS,
    "resolved": NoticeKind.APPEAL_RESOLVED,
    "rejected": NoticeKind.APPEAL_REJECTED,
    "closed": NoticeKind.APPEAL_CLOSED,
    "archived": NoticeKind.APPEAL_ARCHIVED,
    "rework": NoticeKind.APPEAL_REWORK,
}
"""Appeal states the author is told about (``submitted`` they did themselves; ``duplicate``
is not in issue #5's list)."""

BODY_KIND_OF_STATE = {
    "assigned": NoticeKind.BODY_APPEAL_ASSIGNED,
    "rework": NoticeKind.BODY_APPEAL_REWORK,
}
"""Appeal states that put work in front of the responsible body's staff."""

BODY_STAFF_ROLES = frozenset({"executor", "head"})

IN_APP_ONLY = frozenset({NoticeKind.BODY_DEADLINE_NEAR, NoticeKind.LEVEL_REACHED})
"""Kinds never copied to email: a deadline warning reaches every executor of the body for
every appeal that gets near its deadline, which by mail would be noise that buries the mails
that matter (an escalation, new work). A level reached is news to see next time one opens
the app (where points and levels are shown), not worth a mail: it comes with the points a
resident just earned, often along with a badge, which is mailed."""


@dataclass(frozen=True)
class Notice:
    """What to tell someone: a kind, the appeal it is about, a bilingual title and text."""

    kind: NoticeKind
    appeal_id: str | None
    title: str
    text: str
    title_uk: str
    title_en: str
    text_uk: str
    text_en: str
    by_email: bool = True

    @classmethod
    def of(cls, kind: NoticeKind, appeal_id: str | None, **values) -> "Notice":
        (title_uk, title_en), (text_uk, text_en) = notice_text(kind, appeal_id=appeal_id,
                                                               **values)
        return cls(kind=kind, appeal_id=appeal_id, title=f"{title_uk} / {title_en}",
                   text=f"{text_uk}\n\n{text_en}", title_uk=title_uk, title_en=title_en,
                   text_uk=text_uk, text_en=text_en, by_email=kind not in IN_APP_ONLY)


@dataclass(frozen=True)
class ToAccount:
    account_id: str


@dataclass(frozen=True)
class ToBodyStaff:
    """Every executor and head of ``body``, except ``exclude`` (whoever acted: nobody needs
    to be told about what they did themselves)."""

    body: str
    exclude: str | None = None


@dataclass(frozen=True)
class ToRole:
    """Every *active* account (not blocked, not deleted: they could not act on it) holding
    ``role`` in ``body``, or in any body when ``body`` is None (admins have none). If there is
    nobody, ``otherwise`` (another delivery) is made instead, so that what must reach someone
    never goes to nobody."""

    role: str
    body: str | None = None
    otherwise: "Delivery | None" = None


Recipient = ToAccount | ToBodyStaff | ToRole
Delivery = tuple[Recipient, Notice]


@dataclass
class Notification:
    """One in-app notification of one account, made from one event (at most once per kind)."""

    id: str
    account_id: str
    kind: str
    appeal_id: str | None
    title: str
    text: str
    created_at: datetime
    source_event_id: str
    read_at: datetime | None = None

    @property
    def unread(self) -> bool:
        return self.read_at is None


def is_body_staff(roles, body: str | None, wanted_body: str) -> bool:
    return body == wanted_body and bool(BODY_STAFF_ROLES & set(roles))


# --------------------------------------------------------------------- events → deliveries


def deliveries_for_state_change(data: dict) -> list[Delivery]:
    """``hromada.appeal.state_changed.v1``: the author hears about every state on the list;
    the body's staff about new work (assigned, or sent back for rework)."""
    state, appeal_id, body = data["state"], data["appeal_id"], data.get("body")
    deliveries: list[Delivery] = []
    kind = AUTHOR_KIND_OF_STATE.get(state)
    if kind is not None and data.get("author_id"):
        deliveries.append((ToAccount(data["author_id"]), Notice.of(
            kind, appeal_id, body=body, reason=data.get("reason"), due_at=data.get("due_at"))))
    kind = BODY_KIND_OF_STATE.get(state)
    if kind is not None and body:
        deliveries.append((ToBodyStaff(body, exclude=data.get("by")), Notice.of(
            kind, appeal_id, body=body, due_at=data.get("due_at"))))
    return deliveries


def deliveries_for_followers(data: dict, followers: list[str]) -> list[Delivery]:
    """``hromada.appeal.state_changed.v1``, to the appeal's supporters: each change of state
    (they support it instead of filing a copy, so they hear what its author hears, without the
    author's calls to act, nor anybody's words: the reason stays in the appeal). Never to the
    author (told already) nor to whoever made the change."""
    skip = {data.get("author_id"), data.get("by")}
    notice = Notice.of(NoticeKind.SUPPORTED_APPEAL_CHANGED, data["appeal_id"],
                       state=data["state"], body=data.get("body"), due_at=data.get("due_at"))
    return [(ToAccount(account_id), notice) for account_id in followers
            if account_id not in skip]


def deliveries_for_comment(data: dict) -> list[Delivery]:
    """``hromada.appeal.commented.v1``: staff wrote → the author; the author wrote → the body's
    staff. Other residents' comments notify nobody (they would be noise, and an open door to
    spamming staff)."""
    appeal_id, author = data["appeal_id"], data["author_id"]
    appeal_author = data.get("appeal_author_id")
    if data["author_role"] == "staff":
        if appeal_author and appeal_author != author:
            return [(ToAccount(appeal_author), Notice.of(NoticeKind.STAFF_COMMENTED, appeal_id))]
        return []
    if author == appeal_author and data.get("body"):
        return [(ToBodyStaff(data["body"], exclude=author),
                 Notice.of(NoticeKind.AUTHOR_COMMENTED, appeal_id, body=data["body"]))]
    return []


def deliveries_for_reminder(data: dict) -> list[Delivery]:
    """``hromada.appeal.confirmation_reminder_due.v1``: remind the author to answer."""
    return [(ToAccount(data["author_id"]), Notice.of(
        NoticeKind.CONFIRMATION_REMINDER, data["appeal_id"], resolved_at=data["resolved_at"],
        reminder_number=data["reminder_number"]))]


def deliveries_for_portal_feedback(data: dict) -> list[Delivery]:
    """``hromada.portal_feedback.answered.v1``: tell the author their feedback was answered."""
    return [(ToAccount(data["author_id"]), Notice.of(
        NoticeKind.PORTAL_FEEDBACK_ANSWERED, None, feedback_id=data["feedback_id"]))]


def deliveries_for_badge(data: dict) -> list[Delivery]:
    """``hromada.resident.badge_awarded.v1``: congratulate the resident, naming the badge."""
    return [(ToAccount(data["resident_id"]), Notice.of(
        NoticeKind.BADGE_AWARDED, None, badge=data["name"]))]


def deliveries_for_level(data: dict, raised_trust: int | None = None) -> list[Delivery]:
    """``hromada.resident.level_reached.v1``: congratulate the resident on the level, by its
    name, and say so if it raised their account's trust (to ``raised_trust``)."""
    return [(ToAccount(data["resident_id"]), Notice.of(
        NoticeKind.LEVEL_REACHED, None, level=data["level"], level_name=data["name"],
        points=data["points"], trust=raised_trust))]


REWARD_KINDS = {"certificate": NoticeKind.REWARD_CERTIFICATE, "gift": NoticeKind.REWARD_GIFT}
"""A certificate is downloaded by the resident; a gift is handed over by staff."""


def deliveries_for_reward(data: dict) -> list[Delivery]:
    """``hromada.reward.granted.v1``: tell the resident what they were granted for which
    period, and how it reaches them (download the certificate, or wait for staff to hand the
    gift over)."""
    return [(ToAccount(data["resident_id"]), Notice.of(
        REWARD_KINDS[data["kind"]], None, reward_id=data["reward_id"], period=data["period"]))]


def deliveries_for_sla_warning(data: dict) -> list[Delivery]:
    """``hromada.appeal.sla_warning.v1``: the body's executors (they do the work) are told the
    deadline is near, in the app only (see ``IN_APP_ONLY``). The head hears only if it is
    broken (the escalation)."""
    return [(ToRole("executor", data["body"]), Notice.of(
        NoticeKind.BODY_DEADLINE_NEAR, data["appeal_id"], body=data["body"],
        due_at=data["due_at"]))]


def deliveries_for_escalation(data: dict) -> list[Delivery]:
    """``hromada.appeal.escalated.v1`` (a broken deadline from routing, too many rework rounds
    from feedback): every active head of the body, in the app and by email. A body without an
    active head escalates to the admins instead, told why, so that an escalation never goes to
    nobody (and the missing head gets noticed and appointed).

    ``hromada.appeal.sla_breached.v1`` notifies nobody: the escalation that follows it (at once
    or after routing's configured delay) tells the person answerable, and a second notice about
    the same broken deadline would only be noise."""
    appeal_id, body = data["appeal_id"], data["body"]
    values = {"body": body, "due_at": data["due_at"], "reason": data["reason"]}
    to_admins = (ToRole("admin"), Notice.of(NoticeKind.ESCALATION_WITHOUT_HEAD, appeal_id,
                                            **values))
    return [(ToRole("head", body, otherwise=to_admins),
             Notice.of(NoticeKind.BODY_APPEAL_ESCALATED, appeal_id, **values))]
