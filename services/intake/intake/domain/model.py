"""The appeal aggregate. Plain Python: no framework, no database.

Intake owns the appeal record. Other services decide state changes (routing assigns,
feedback closes) and publish them as events; intake applies each one here, where the
lifecycle table is enforced, the version grows and the history is kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hromada_common.lifecycle import AppealState, check_transition


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    address: str


@dataclass(frozen=True)
class CityBounds:
    """The rectangle a city accepts appeals in (a first, cheap test; districts come later)."""

    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    state: AppealState
    at: datetime
    by: str
    note: str | None = None
    cause: str | None = None
    reason_code: str | None = None
    """Why a moderator rejected it (spam, not_constructive, out_of_remit, other); rejections
    only."""


@dataclass(frozen=True)
class AppealSubmitted:
    appeal: "Appeal"


@dataclass(frozen=True)
class AppealStateChanged:
    appeal: "Appeal"
    previous_state: AppealState
    entry: HistoryEntry


@dataclass
class Appeal:
    id: str
    title: str
    description: str
    category: str
    location: Location
    author_id: str | None
    channel: str
    created_at: datetime
    state: AppealState
    version: int
    updated_at: datetime
    extra_fields: dict = field(default_factory=dict)
    body: str | None = None
    district: str | None = None
    due_at: datetime | None = None
    complexity: str | None = None
    escalated: bool = False
    rework_count: int = 0
    rating: int | None = None
    supporters_count: int = 0
    history: list[HistoryEntry] = field(default_factory=list)
    events: list = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def submit(cls, *, id: str, title: str, description: str, category: str,
               location: Location, author_id: str, channel: str, extra_fields: dict,
               now: datetime) -> "Appeal":
        appeal = cls(
            id=id, title=title, description=description, category=category,
            location=location, author_id=author_id, channel=channel, created_at=now,
            updated_at=now, state=AppealState.SUBMITTED, version=1, extra_fields=extra_fields,
        )
        appeal.history.append(HistoryEntry(1, AppealState.SUBMITTED, now, author_id))
        appeal.events.append(AppealSubmitted(appeal))
        return appeal

    def _move_to(self, target: AppealState, *, at: datetime, by: str, cause: str | None,
                 note: str | None = None, reason_code: str | None = None) -> None:
        previous = self.state
        self.state = check_transition(self.state, target)
        self.version += 1
        self.updated_at = at
        entry = HistoryEntry(self.version, target, at, by, note, cause, reason_code)
        self.history.append(entry)
        self.events.append(AppealStateChanged(self, previous, entry))

    def assign(self, *, body: str, due_at: datetime, complexity: str, at: datetime,
               by: str, cause: str, district: str | None = None) -> None:
        """Routing chose the body that must act and its deadline (and found the city
        district the appeal lies in, None outside every district)."""
        self._move_to(AppealState.ASSIGNED, at=at, by=by, cause=cause)
        self.body = body
        self.district = district
        self.due_at = due_at
        self.complexity = complexity


    def take(self, *, at: datetime, by: str, cause: str) -> None:
        """The responsible body's executor took the appeal into work."""
        self._move_to(AppealState.IN_PROGRESS, at=at, by=by, cause=cause)

    def resolve(self, *, comment: str, at: datetime, by: str, cause: str) -> None:
        """The executor reports the work done; only the resident's confirmation closes it."""
        self._move_to(AppealState.RESOLVED, at=at, by=by, cause=cause, note=comment)

    def confirm(self, *, rating: int, comment: str | None, at: datetime, by: str,
                cause: str) -> None:
        """The author confirmed the resolution with a rating: the only way to ``closed``."""
        if by != self.author_id:
            raise ValueError("only the author confirms an appeal")
        note = f"rating {rating}" + (f": {comment}" if comment else "")
        self._move_to(AppealState.CLOSED, at=at, by=by, cause=cause, note=note)
        self.rating = rating

    def send_back_for_rework(self, *, reason: str, rework_count: int, at: datetime, by: str,
                             cause: str) -> None:
        """The author is not satisfied: back to the same body, with a reason."""
        if by != self.author_id:
            raise ValueError("only the author sends an appeal back for rework")
        self._move_to(AppealState.REWORK, at=at, by=by, cause=cause, note=reason)
        self.rework_count = rework_count
        self.rating = None

    def archive(self, *, reason: str, at: datetime, by: str, cause: str) -> None:
        """Staff archived an appeal its author never answered: never counted as done."""
        self._move_to(AppealState.ARCHIVED, at=at, by=by, cause=cause, note=reason)

    def change_deadline(self, *, due_at: datetime, complexity: str, note: str, at: datetime,
                        by: str, cause: str) -> None:
        """Routing moved the deadline (triage, extension, reassignment): not a new state, but
        a change everyone can see in the history."""
        self.due_at, self.complexity = due_at, complexity
        self._record_same_state(at=at, by=by, cause=cause, note=note)

    def escalate(self, *, reason: str, at: datetime, by: str, cause: str) -> None:
        """The deadline was broken; the head of the body is now answerable."""
        if self.escalated:
            return
        self.escalated = True
        self._record_same_state(at=at, by=by, cause=cause, note=f"escalated: {reason}")

    def _record_same_state(self, *, at: datetime, by: str, cause: str, note: str) -> None:
        self.version += 1
        self.updated_at = at
        self.history.append(HistoryEntry(self.version, self.state, at, by, note, cause))

    def reject(self, *, reason: str, at: datetime, by: str, reason_code: str = "other") -> None:
        """A moderator found the appeal not constructive, spam or outside the city's remit.
        ``reason_code`` classifies the free-text reason (gamification docks points for spam)."""
        if not reason or not reason.strip():
            raise ValueError("a rejection needs a reason")
        if not reason_code:
            raise ValueError("a rejection needs a reason code")
        self._move_to(AppealState.REJECTED, at=at, by=by, cause=None, note=reason.strip(),
                      reason_code=reason_code)

    def anonymise(self) -> None:
        """The author deleted their account: the appeal stays, the link to the person goes."""
        self.author_id = None


def author_visible_to(appeal: Appeal, viewer_id: str | None, viewer_roles: frozenset,
                      viewer_body: str | None) -> bool:
    """Who may see who filed an appeal: the author, moderators and administrators, and the
    staff of the body responsible for it. Everyone else sees the appeal without its author."""
    if viewer_id is None or appeal.author_id is None:
        return False
    if viewer_id == appeal.author_id:
        return True
    if viewer_roles & {"dispatcher", "admin"}:
        return True
    return bool(viewer_roles & {"executor", "head"}) and viewer_body is not None \
        and viewer_body == appeal.body


def filing_refusal(roles: frozenset, verified: bool, active: bool, scopes: frozenset) -> str | None:
    """Why this caller may not file an appeal, or None if they may.

    Residents file once their email is verified; dispatchers file for residents who call or
    come in; integrations need the ``appeals:write`` scope. Blocked accounts only read.
    """
    if not active:
        return "this account is blocked; it can only read"
    if "integration" in roles:
        return None if "appeals:write" in scopes else "this API key lacks the scope appeals:write"
    if "dispatcher" in roles:
        return None
    if "resident" in roles:
        return None if verified else "verify your email address before filing appeals"
    return "only residents, dispatchers and integrations file appeals"


def unknown_category_reason(code: str, categories: dict) -> str | None:
    """Why ``code`` cannot take appeals, or None if it can.

    ``categories`` maps code → a mapping with ``level`` and ``active``.
    """
    category = categories.get(code)
    if category is None:
        return f"unknown category '{code}'"
    if category["level"] != "leaf":
        return f"'{code}' is a {category['level']}; choose one of its subcategories"
    if not category["active"]:
        return f"category '{code}' no longer takes appeals"
    return None


def extra_field_errors(definitions: list[dict], given: dict) -> dict[str, list[str]]:
    """Check the category's extra fields (e.g. a lamp post number) against what was given."""
    errors: dict[str, list[str]] = {}
    known = {d["name"]: d for d in definitions}
    for name in given:
        if name not in known:
            errors[f"fields.{name}"] = ["not a field of this category"]
    for name, definition in known.items():
        value = given.get(name)
        if value is None or value == "":
            if definition["required"]:
                errors[f"fields.{name}"] = ["required for this category"]
            continue
        kind = definition["type"]
        if kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            errors[f"fields.{name}"] = ["must be a number"]
        elif kind == "text" and (not isinstance(value, str) or len(value) > 200):
            errors[f"fields.{name}"] = ["must be text of at most 200 characters"]
        elif kind == "choice" and value not in (definition.get("choices") or []):
            errors[f"fields.{name}"] = [f"must be one of {definition.get('choices')}"]
    return errors


# --- photos attached to an appeal ----------------------------------------------------------

PHOTO_PURPOSES = ("appeal", "rework", "resolution")
"""What a photo shows: the problem (filed with the appeal), what is still wrong (with a
rework request), the work done (with the resolution report)."""
MAX_PHOTOS_PER_PURPOSE = 5

_PHOTO_STATES = {
    # The problem's photos while the appeal is still being worked on, not once it is answered.
    "appeal": (AppealState.SUBMITTED, AppealState.ASSIGNED, AppealState.IN_PROGRESS),
    # With the request to rework: it may arrive just before or after intake applies it.
    "rework": (AppealState.RESOLVED, AppealState.REWORK),
    # With the report: while in work, or just after the executor reported it resolved.
    "resolution": (AppealState.IN_PROGRESS, AppealState.RESOLVED),
}


@dataclass(frozen=True)
class PhotoRefusal:
    forbidden: bool
    """True: the caller may never attach these; False: not in the appeal's current state."""
    reason: str


def photo_refusal(appeal: Appeal, purpose: str, account_id: str, roles: frozenset,
                  body: str | None) -> PhotoRefusal | None:
    """Why the caller may not attach photos for ``purpose`` to the appeal now, or None.

    The author attaches the appeal's own photos and those of a rework request; the staff
    (executor, head) of the body the appeal is assigned to attach the resolution's."""
    if purpose == "resolution":
        if not (roles & {"executor", "head"}) or body is None or body != appeal.body:
            return PhotoRefusal(True, "only the staff of the body the appeal is assigned to "
                                      "attach photos of its resolution")
    elif appeal.author_id is None or account_id != appeal.author_id:
        return PhotoRefusal(True, f"only the appeal's author attaches photos of the {purpose}")
    if appeal.state not in _PHOTO_STATES[purpose]:
        allowed = ", ".join(state.value for state in _PHOTO_STATES[purpose])
        return PhotoRefusal(False, f"photos of the {purpose} can be attached while the appeal "
                                   f"is {allowed}; it is {appeal.state.value}")
    return None
