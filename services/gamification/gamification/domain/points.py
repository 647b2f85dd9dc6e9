"""Points of residents: rules as data, daily caps, levels, and the per-appeal facts that decide
whether an appeal earns its author anything.

Plain Python: the rules come from ``data/residents.yml`` (read by the service layer) and are
checked here by :func:`rules_from_data`, so a broken file fails at start, not mid-event.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .badges import Badge, badge_from_data

ACCEPTED = "appeal_accepted"
CONFIRMED = "resolution_confirmed"
RATED = "rating_given"
SPAM = "appeal_rejected_spam"
SUGGESTION = "suggestion_useful"
OWN_APPEAL_REVERSAL = "own_appeal_reversal"
"""The compensating entry when an appeal's author turns out to have acted on it as staff."""

STAFF_STATES = frozenset({"rejected", "assigned", "in_progress", "resolved", "archived"})
"""States only staff (or routing on their behalf) move an appeal into. The author moves it
into ``submitted``, ``rework``, ``closed`` and may choose ``duplicate``; an author who is
the ``by`` of any of these acted on their own appeal as staff."""


class InvalidRules(ValueError):
    """``residents.yml`` does not describe a usable set of rules."""


@dataclass(frozen=True)
class Rule:
    code: str
    points: int
    daily_cap: int | None = None
    counter: str | None = None

    @property
    def capped(self) -> bool:
        """Negative rules are never capped: a penalty always applies."""
        return self.points > 0 and self.daily_cap is not None


@dataclass(frozen=True)
class Level:
    number: int
    min_points: int
    name: dict  # {"uk": …, "en": …}

    def view(self) -> dict:
        return {"number": self.number, "name": dict(self.name), "min_points": self.min_points}


@dataclass(frozen=True)
class Rules:
    rules: dict[str, Rule]
    levels: tuple[Level, ...]
    badges: tuple[Badge, ...]

    def rule(self, code: str) -> Rule:
        return self.rules[code]

    def level_for(self, points: int) -> Level:
        """The highest level whose threshold ``points`` reaches (the first one below 0)."""
        reached = self.levels[0]
        for level in self.levels:
            if points >= level.min_points:
                reached = level
        return reached

    def next_level(self, points: int) -> Level | None:
        for level in self.levels:
            if level.min_points > points:
                return level
        return None

    def level(self, number: int) -> Level:
        return next(level for level in self.levels if level.number == number)

    def badges_for(self, counter: str) -> list[Badge]:
        return [b for b in self.badges if b.counter == counter]

    def badge(self, code: str) -> Badge | None:
        return next((b for b in self.badges if b.code == code), None)


def _localised(value, where: str) -> dict:
    if not (isinstance(value, dict) and value.get("uk") and value.get("en")):
        raise InvalidRules(f"{where}: needs a name with uk and en")
    return {"uk": str(value["uk"]), "en": str(value["en"])}


REQUIRED_RULES = (ACCEPTED, CONFIRMED, RATED, SPAM, SUGGESTION)


def rules_from_data(data: dict) -> Rules:
    """Check and build the rules from the parsed YAML. Raises :class:`InvalidRules`."""
    if not isinstance(data, dict):
        raise InvalidRules("the rules file must be a mapping")
    rules = {}
    for code, spec in (data.get("rules") or {}).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("points"), int):
            raise InvalidRules(f"rule {code}: points must be an integer")
        cap = spec.get("daily_cap")
        if cap is not None and (not isinstance(cap, int) or cap < 0):
            raise InvalidRules(f"rule {code}: daily_cap must be a non-negative integer or null")
        rules[code] = Rule(code, spec["points"], cap, spec.get("counter"))
    missing = [code for code in REQUIRED_RULES if code not in rules]
    if missing:
        raise InvalidRules(f"rules missing: {', '.join(missing)}")
    levels = []
    for n, spec in enumerate(data.get("levels") or (), 1):
        if spec.get("number") != n or not isinstance(spec.get("min_points"), int):
            raise InvalidRules(f"level {n}: number must be {n} and min_points an integer")
        levels.append(Level(n, spec["min_points"], _localised(spec.get("name"), f"level {n}")))
    if not levels or levels[0].min_points != 0:
        raise InvalidRules("levels: the first level must start at 0 points")
    if any(b.min_points <= a.min_points for a, b in zip(levels, levels[1:])):
        raise InvalidRules("levels: thresholds must rise")
    badges = tuple(badge_from_data(spec) for spec in data.get("badges") or ())
    codes = [b.code for b in badges]
    if len(codes) != len(set(codes)):
        raise InvalidRules("badges: codes must be unique")
    counters = {r.counter for r in rules.values() if r.counter}
    for badge in badges:
        if badge.counter not in counters:
            raise InvalidRules(f"badge {badge.code}: no rule counts {badge.counter}")
    return Rules(rules, tuple(levels), badges)


def is_capped(count_today: int, rule: Rule) -> bool:
    """Whether the ``count_today``-th entry of ``rule`` today (1-based, this one included)
    goes over the rule's daily cap."""
    return rule.capped and count_today > rule.daily_cap


# --- one appeal, as gamification knows it ----------------------------------------------------

@dataclass
class AppealProgress:
    """What gamification knows about one appeal, from events that may arrive in any order:
    who filed it, its district (from routing's assignment), whether intake accepted it, and
    what has already been awarded for it."""

    appeal_id: str
    author_id: str | None = None
    district: str | None = None
    assignment_version: int | None = None  # None: no appeal.assigned seen yet
    accepted_at: datetime | None = None
    accepted_cause: str | None = None
    accepted_awarded: bool = False
    confirmed_awarded: bool = False
    rated_awarded: bool = False
    own: bool = False  # the author acted on it as staff: it earns them nothing
    staff_seen: set[str] = field(default_factory=set)  # staff actors while the author is unknown

    def note_author(self, author_id: str | None) -> bool:
        """Learn the author; True when that makes the appeal the author's own as staff."""
        if author_id is None or self.author_id is not None:
            return False
        self.author_id = author_id
        if author_id in self.staff_seen:
            self.staff_seen = set()
            return self._mark_own()
        self.staff_seen = set()
        return False

    def note_staff_action(self, actor: str) -> bool:
        """A staff action by ``actor``; True when it makes the appeal the author's own."""
        if self.author_id is None:
            self.staff_seen.add(actor)
            return False
        return actor == self.author_id and self._mark_own()

    def _mark_own(self) -> bool:
        if self.own:
            return False
        self.own = True
        return True

    def note_assignment(self, district: str | None, version: int) -> None:
        """Routing assigned it; the first assignment (lowest version) names the district."""
        if self.assignment_version is None or version < self.assignment_version:
            self.assignment_version = version
            if not self.accepted_awarded:
                self.district = district

    def note_acceptance(self, at: datetime, cause: str) -> None:
        if self.accepted_at is None:
            self.accepted_at, self.accepted_cause = at, cause

    @property
    def acceptance_due(self) -> bool:
        """Accepted (submitted → assigned) and assigned both seen, author known, not awarded
        yet, and not the author's own appeal."""
        return (self.accepted_at is not None and self.assignment_version is not None
                and self.author_id is not None and not self.accepted_awarded and not self.own)

    def earns(self, resident_id: str | None) -> bool:
        """Whether a positive entry for this appeal may go to ``resident_id``."""
        return resident_id is not None and not (self.own and resident_id == self.author_id)
