"""Executor and body ratings: raw figures, Bayesian shrinkage, a composite score and ranking.

Plain Python on counters (see :class:`Counters`); the rules — prior strengths, weights,
minimum samples — are data (``data/ratings.yml``) loaded into :class:`RatingRules`.

Every rate is shrunk towards the city-wide value ``m`` of the same period and category domain
with a Beta prior worth ``C`` observations: ``(successes + C·m) / (n + C)``; the mean quality
rating likewise: ``(sum + C·m) / (count + C)``. A body with three perfect appeals therefore sits
close to the city average, while one with three thousand stands on its own record. Below the
minimum sample a subject is not ranked at all and is shown with its raw figures only.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Hashable, Iterable, Mapping

ALL_DOMAINS = "*"
WHOLE_BODY = ""
"""The ``executor`` of a body's own counters (every executor of the body together)."""

COUNTER_NAMES = ("resolved", "resolved_on_time", "confirmed", "archived", "reworks",
                 "breaches", "rating_sum", "rating_count")

RATES = ("on_time_rate", "confirmed_rate", "rework_rate", "breach_rate")
FIGURES = RATES + ("mean_rating",)
LOWER_IS_BETTER = frozenset({"rework_rate", "breach_rate"})
RATING_SCALE = (1, 5)


def category_domain(category: str | None) -> str | None:
    """The domain of a category code: its first dotted segment (``roads.surface.pothole`` →
    ``roads``)."""
    if not category:
        return None
    return category.split(".", 1)[0]


@dataclass(frozen=True)
class Counters:
    """What happened to a subject's appeals in one period and category domain.

    ``resolved`` counts resolution reports (a resolution after a rework counts again: each
    round had its own deadline); ``confirmed``, ``archived`` and ``reworks`` are the three
    ways a resolution round ends, so together they are the *answered* rounds.
    """

    resolved: int = 0
    resolved_on_time: int = 0
    confirmed: int = 0
    archived: int = 0
    reworks: int = 0
    breaches: int = 0
    rating_sum: int = 0
    rating_count: int = 0

    def __add__(self, other: "Counters") -> "Counters":
        return Counters(*(getattr(self, n) + getattr(other, n) for n in COUNTER_NAMES))

    @classmethod
    def total(cls, many: Iterable["Counters"]) -> "Counters":
        result = cls()
        for counters in many:
            result = result + counters
        return result

    @property
    def answered(self) -> int:
        """Resolution rounds the resident answered (or staff archived unanswered)."""
        return self.confirmed + self.archived + self.reworks

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def evidence(c: Counters) -> dict[str, tuple[float, int]]:
    """``figure → (successes, n)``: the numerator and the number of observations of each
    figure (for the mean rating: the sum of ratings and their count).

    The breach rate is breaches per resolution, with ``n = max(resolved, breaches)`` so that
    appeals left to breach and never resolved still weigh (and the rate stays within 0…1).
    """
    return {
        "on_time_rate": (c.resolved_on_time, c.resolved),
        "confirmed_rate": (c.confirmed, c.answered),
        "rework_rate": (c.reworks, c.answered),
        "breach_rate": (c.breaches, max(c.resolved, c.breaches)),
        "mean_rating": (c.rating_sum, c.rating_count),
    }


def raw_figures(c: Counters) -> dict[str, float | None]:
    """Each figure as observed, ``None`` where there is nothing to observe yet."""
    return {name: (s / n if n else None) for name, (s, n) in evidence(c).items()}


def shrink(successes: float, n: int, prior_mean: float, strength: float) -> float:
    """The Bayesian (shrunk) estimate: ``(successes + C·m) / (n + C)``.

    For a rate it is the posterior mean of a Beta(C·m, C·(1−m)) prior after ``successes`` of
    ``n``; for a mean rating the same form pulls ``sum / count`` towards ``m``. With ``n = 0``
    it is ``m`` itself.
    """
    if strength <= 0 and n == 0:
        return prior_mean
    return (successes + strength * prior_mean) / (n + strength)


class InvalidRules(ValueError):
    """The ratings data file is malformed."""


@dataclass(frozen=True)
class RatingRules:
    """How ratings are computed: the prior's strength ``C`` per figure, the weights of the
    composite score, the minimum sample (resolved appeals) before a subject is ranked, and the
    prior means used when the city itself has no observation of a figure yet."""

    prior_strength: Mapping[str, float]
    weights: Mapping[str, float]
    minimum_sample: Mapping[str, int]
    fallback_prior: Mapping[str, float]

    @classmethod
    def from_mapping(cls, data: Mapping) -> "RatingRules":
        """Rules from their data-file shape (see ``data/ratings.yml``); checks every figure."""
        try:
            strength = _figures(data["prior_strength"], "prior_strength")
            weights = _figures(data["weights"], "weights")
            fallback = _figures(data["fallback_prior"], "fallback_prior")
            minimum = {kind: int(data["minimum_sample"][kind]) for kind in ("body", "executor")}
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRules(f"ratings rules: {exc}") from exc
        if any(v < 0 for v in strength.values()) or any(v < 0 for v in weights.values()):
            raise InvalidRules("ratings rules: prior strengths and weights must be ≥ 0")
        if not sum(weights.values()) > 0:
            raise InvalidRules("ratings rules: at least one weight must be positive")
        if any(v < 1 for v in minimum.values()):
            raise InvalidRules("ratings rules: minimum samples must be ≥ 1")
        for name in RATES:
            if not 0 <= fallback[name] <= 1:
                raise InvalidRules(f"ratings rules: fallback_prior.{name} must be within 0…1")
        if not RATING_SCALE[0] <= fallback["mean_rating"] <= RATING_SCALE[1]:
            raise InvalidRules("ratings rules: fallback_prior.mean_rating must be within 1…5")
        return cls(strength, weights, minimum, fallback)

    def public(self) -> dict:
        return {"strength": dict(self.prior_strength), "weights": dict(self.weights)}


def _figures(mapping: Mapping, label: str) -> dict[str, float]:
    unknown = set(mapping) - set(FIGURES)
    if unknown:
        raise ValueError(f"{label}: unknown figures {sorted(unknown)}")
    return {name: float(mapping[name]) for name in FIGURES}


def city_priors(city: Counters, rules: RatingRules) -> dict[str, float]:
    """The prior mean ``m`` of each figure: the city-wide value, or the rules' fallback where
    the city has observed nothing yet."""
    raw = raw_figures(city)
    return {name: (raw[name] if raw[name] is not None else rules.fallback_prior[name])
            for name in FIGURES}


def _goodness(name: str, value: float) -> float:
    """A figure on a 0…1 scale where higher is better (the mean rating 1…5 → 0…1)."""
    if name == "mean_rating":
        low, high = RATING_SCALE
        return (value - low) / (high - low)
    return 1 - value if name in LOWER_IS_BETTER else value


@dataclass(frozen=True)
class Standing:
    """One subject's figures: raw, shrunk, the composite score, and whether it is ranked."""

    subject: Hashable
    counters: Counters
    raw: dict
    shrunk: dict
    score: float
    ranked: bool

    def view(self) -> dict:
        """JSON-safe, as the leaderboards publish it (rates rounded to 4 places); the caller
        adds who the subject is."""
        c = self.counters
        entry = {
            "status": "ranked" if self.ranked else "not_yet_ranked",
            "appeals": c.resolved,
            **{name: _round(self.raw[name]) for name in ("on_time_rate", "confirmed_rate",
                                                          "rework_rate")},
            "breaches": c.breaches,
            "mean_rating": _round(self.raw["mean_rating"]),
            "counts": c.as_dict(),
        }
        if self.ranked:
            entry["score"] = round(self.score, 2)
            entry["shrunk"] = {name: _round(value) for name, value in self.shrunk.items()}
        return entry


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def standing(subject: Hashable, c: Counters, priors: Mapping[str, float], rules: RatingRules,
             minimum_sample: int) -> Standing:
    """A subject's figures shrunk towards ``priors`` and its composite score: the weighted
    mean of the shrunk figures on a 0…100 scale (each figure turned so higher is better)."""
    shrunk = {name: shrink(s, n, priors[name], rules.prior_strength[name])
              for name, (s, n) in evidence(c).items()}
    total_weight = sum(rules.weights.values())
    score = 100 * sum(rules.weights[name] * _goodness(name, shrunk[name])
                      for name in FIGURES) / total_weight
    return Standing(subject, c, raw_figures(c), shrunk, score,
                    ranked=c.resolved >= minimum_sample)


@dataclass(frozen=True)
class Leaderboard:
    ranked: list[Standing]
    unranked: list[Standing]
    priors: dict[str, float]

    def rank_of(self, subject: Hashable) -> int | None:
        for place, s in enumerate(self.ranked, start=1):
            if s.subject == subject:
                return place
        return None


def leaderboard(subjects: Mapping[Hashable, Counters], city: Counters, rules: RatingRules,
                kind: str = "body") -> Leaderboard:
    """Rank subjects (bodies, or executors) by composite score, best first.

    Shrinkage is towards ``city`` (all bodies together in the same period and domain). Ties
    break on more resolved appeals, then the subject's code, so the order is stable. Subjects
    below the minimum sample of their ``kind`` are listed apart, most appeals first.
    """
    priors = city_priors(city, rules)
    minimum = rules.minimum_sample[kind]
    standings = [standing(subject, c, priors, rules, minimum) for subject, c in subjects.items()]
    ranked = sorted((s for s in standings if s.ranked),
                    key=lambda s: (-s.score, -s.counters.resolved, s.subject))
    unranked = sorted((s for s in standings if not s.ranked),
                      key=lambda s: (-s.counters.resolved, s.subject))
    return Leaderboard(ranked, unranked, priors)
