"""Badges of residents: each awarded at most once, when a counter of the resident's useful
actions reaches a threshold (city-wide, or in one district)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Badge:
    code: str
    counter: str
    threshold: int
    name: dict  # {"uk": …, "en": …}
    description: dict
    per_district: bool = False

    def reached_by(self, value: int, district: str | None) -> bool:
        """Whether a counter now at ``value`` earns this badge; ``district`` is the scope
        the counter was counted in (None: city-wide)."""
        if self.per_district != (district is not None):
            return False
        return value >= self.threshold

    def view(self) -> dict:
        return {"code": self.code, "name": dict(self.name),
                "description": dict(self.description), "counter": self.counter,
                "threshold": self.threshold, "per_district": self.per_district}


def badge_from_data(spec: dict) -> Badge:
    from .points import InvalidRules, _localised

    if not isinstance(spec, dict) or not spec.get("code") or not spec.get("counter"):
        raise InvalidRules(f"badge {spec!r}: needs code and counter")
    threshold = spec.get("threshold")
    if not isinstance(threshold, int) or threshold < 1:
        raise InvalidRules(f"badge {spec['code']}: threshold must be a positive integer")
    return Badge(str(spec["code"]), str(spec["counter"]), threshold,
                 _localised(spec.get("name"), f"badge {spec['code']}"),
                 _localised(spec.get("description"), f"badge {spec['code']} description"),
                 bool(spec.get("per_district", False)))


def earned(badges, counter: str, value: int, district: str | None) -> list[Badge]:
    """The badges a counter at ``value`` (in ``district``, or city-wide) has reached."""
    return [b for b in badges if b.counter == counter and b.reached_by(value, district)]
