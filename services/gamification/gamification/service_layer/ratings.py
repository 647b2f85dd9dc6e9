"""Use cases of the ratings part of gamification: fold the lifecycle events into per-subject
counters, and serve executor ratings and body leaderboards computed from them.

Attribution: a resolution belongs to the body and executor that reported it; the resident's
answer to it (confirmation, rework request, or staff archiving it unanswered) and its quality
rating belong to that same body and executor, even if the appeal moved on since; a breach
belongs to the body responsible when the deadline passed (and its executor, if one had taken
the appeal). Each counts in the periods of the outcome's own time (city time zone).
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import yaml

from hromada_common import events as ev
from hromada_common.auth import Identity, Unauthenticated
from hromada_common.errors import Forbidden, InvalidInput, NotFound, load_or_invalid

from ..domain import periods
from ..domain.ratings import (
    ALL_DOMAINS,
    WHOLE_BODY,
    Counters,
    Leaderboard,
    RatingRules,
    category_domain,
    leaderboard,
)
from ..schemas import CODE, BodyLeaderboardIn, BodyRatingIn, ExecutorRatingsIn


log = logging.getLogger(__name__)

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "ratings.yml"
STAFF_ROLES = ("head", "dispatcher", "admin")
"""Who may see executors' individual ratings (a head only those of their own body)."""


@lru_cache(maxsize=None)
def load_rules(path: str | None = None) -> RatingRules:
    """The rules in ``data/ratings.yml`` (read once)."""
    with open(path or RULES_FILE, encoding="utf-8") as handle:
        return RatingRules.from_mapping(yaml.safe_load(handle))


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- consumed events ---------------------------------------------------------------------------

def apply(uow, envelope: dict, data: dict) -> None:
    """Fold one consumed event (already parsed and checked against its contract) into this
    part's tables, inside the caller's unit of work; must not commit."""
    applier = _APPLIERS.get(envelope["type"])
    if applier is not None:
        applier(uow.ratings, data)


def _count(repo, at: datetime, body: str | None, executor: str | None,
           category: str | None, **increments: int) -> None:
    """Add to the counters of ``body`` (and of ``executor`` within it) in every period ``at``
    falls in, for all domains and for the category's own domain."""
    if not body:
        return
    domains = [ALL_DOMAINS] + ([category_domain(category)] if category else [])
    subjects = [WHOLE_BODY] + ([executor] if executor else [])
    repo.add([(period, domain, subject, body)
              for period in periods.keys_at(at).values()
              for domain in domains for subject in subjects], increments)


def _on_assigned(repo, data: dict) -> None:
    appeal = repo.appeal(data["appeal_id"], create_at=_now())
    if appeal.body is not None and appeal.body != data["body"]:
        appeal.executor = None  # reassigned: the new body's executor is not known yet
    appeal.body = data["body"]
    appeal.category = data["category"]
    appeal.due_at = data["due_at"]
    appeal.updated_at = _now()


def _on_taken(repo, data: dict) -> None:
    appeal = repo.appeal(data["appeal_id"], create_at=_now())
    appeal.body = data["body"]
    appeal.executor = data["by"]
    appeal.updated_at = _now()


def _on_deadline_changed(repo, data: dict) -> None:
    appeal = repo.appeal(data["appeal_id"], create_at=_now())
    appeal.due_at = data["due_at"]
    appeal.updated_at = _now()


def _on_resolved(repo, data: dict) -> None:
    appeal = repo.appeal(data["appeal_id"], create_at=_now())
    on_time = appeal.due_at is not None and data["at"] <= appeal.due_at
    _count(repo, data["at"], data["body"], data["by"], appeal.category,
           resolved=1, resolved_on_time=int(on_time))
    appeal.body = data["body"]
    appeal.executor = data["by"]
    appeal.resolved_body, appeal.resolved_by = data["body"], data["by"]
    appeal.resolved_at = data["at"]
    appeal.resolved_round = appeal.round
    appeal.updated_at = _now()


def _on_sla_breached(repo, data: dict) -> None:
    appeal = repo.appeal(data["appeal_id"], create_at=_now())
    if appeal.breached_due_at is not None and appeal.breached_due_at == data["due_at"]:
        return  # one breach per deadline, however many times its timer fired
    executor = appeal.executor if appeal.body == data["body"] else None
    _count(repo, data["fired_at"], data["body"], executor, appeal.category, breaches=1)
    appeal.breached_due_at = data["due_at"]
    appeal.body = appeal.body or data["body"]
    appeal.updated_at = _now()


def _answered_by(appeal) -> tuple[str | None, str | None]:
    """The body and executor whose resolution the resident's answer is about."""
    if appeal.resolved_body:
        return appeal.resolved_body, appeal.resolved_by
    return appeal.body, appeal.executor


def _on_rework_requested(repo, data: dict) -> None:
    appeal = repo.appeal(data["appeal_id"])
    new_round = data["rework_count"] + 1
    if appeal is None or new_round <= appeal.round:
        return
    body, executor = _answered_by(appeal)
    _count(repo, data["at"], body, executor, appeal.category, reworks=1)
    appeal.round = new_round
    appeal.updated_at = _now()


def _closing(outcome: str):
    def on_closing(repo, data: dict) -> None:
        appeal = repo.appeal(data["appeal_id"])
        if appeal is None:
            log.warning("%s of appeal %s that ratings never saw assigned: not counted",
                        outcome, data["appeal_id"])
            return
        if appeal.outcome is not None:
            return
        body, executor = _answered_by(appeal)
        _count(repo, data["at"], body, executor, appeal.category, **{outcome: 1})
        appeal.outcome = outcome
        appeal.updated_at = _now()
    return on_closing


def _on_rated(repo, data: dict) -> None:
    appeal = repo.appeal(data["appeal_id"], create_at=_now())
    if data["round"] <= appeal.rated_round:
        return  # each resolution round is rated once
    appeal.category = appeal.category or data["category"]
    body, executor = _answered_by(appeal)
    if body is None:
        body, executor = data["body"], None
    _count(repo, data["at"], body, executor, appeal.category,
           rating_sum=data["rating"], rating_count=1)
    appeal.rated_round = data["round"]
    appeal.updated_at = _now()


def _on_state_changed(repo, data: dict) -> None:
    """Intake's record fills what routing's events did not tell (e.g. events missed before
    this part existed); it never overrides them."""
    if data["body"] is None:
        return
    appeal = repo.appeal(data["appeal_id"], create_at=_now())
    appeal.body = appeal.body or data["body"]
    appeal.category = appeal.category or data["category"]
    appeal.due_at = appeal.due_at or data["due_at"]
    appeal.updated_at = _now()


_APPLIERS = {
    ev.APPEAL_ASSIGNED: _on_assigned,
    ev.APPEAL_TAKEN: _on_taken,
    ev.APPEAL_DEADLINE_CHANGED: _on_deadline_changed,
    ev.APPEAL_RESOLVED: _on_resolved,
    ev.SLA_BREACHED: _on_sla_breached,
    ev.APPEAL_REWORK_REQUESTED: _on_rework_requested,
    ev.APPEAL_CONFIRMED: _closing("confirmed"),
    ev.APPEAL_ARCHIVED: _closing("archived"),
    ev.APPEAL_RATED: _on_rated,
    ev.APPEAL_STATE_CHANGED: _on_state_changed,
}


def _period(value, now: datetime) -> periods.Period:
    try:
        return periods.resolve(value, now)
    except periods.InvalidPeriod as exc:
        raise InvalidInput(str(exc), {"period": [str(exc)]})


def _board_view(board: Leaderboard, who, limit: int) -> dict:
    """The ranked and the not-yet-ranked entries; ``who(subject)`` names each subject."""
    return {
        "ranked": [{"rank": n} | who(s.subject) | s.view()
                   for n, s in enumerate(board.ranked[:limit], start=1)],
        "unranked": [who(s.subject) | s.view() for s in board.unranked[:limit]],
        "ranked_total": len(board.ranked),
        "unranked_total": len(board.unranked),
    }


def _prior_view(board: Leaderboard, rules: RatingRules) -> dict:
    return rules.public() | {"city": {name: round(v, 4) for name, v in board.priors.items()}}


def leaderboard_bodies(uow, params: dict | None, rules: RatingRules | None = None,
                       now: datetime | None = None) -> dict:
    """The public body leaderboard of one period and domain (see :func:`leaderboard`)."""
    rules = rules or load_rules()
    data = load_or_invalid(BodyLeaderboardIn(), params or {})
    period = _period(data["period"], now or _now())
    domain = data["domain"] or ALL_DOMAINS
    with uow:
        bodies = uow.ratings.bodies([period.key], domain).get((period.key, domain), {})
    board = leaderboard(bodies, Counters.total(bodies.values()), rules, kind="body")
    return {"period": period.key, "period_kind": period.kind, "domain": domain,
            **_board_view(board, lambda body: {"body": body}, data["limit"]),
            "minimum_sample": rules.minimum_sample["body"], "prior": _prior_view(board, rules)}


def executor_ratings(uow, params: dict | None, identity: Identity | None,
                     rules: RatingRules | None = None, now: datetime | None = None) -> dict:
    """Executors' individual ratings for staff: heads (their own body only), dispatchers and
    admins. Figures are shrunk towards the city-wide value, like the bodies'."""
    if identity is None:
        raise Unauthenticated("sign in first")
    identity.require_role(*STAFF_ROLES)
    rules = rules or load_rules()
    data = load_or_invalid(ExecutorRatingsIn(), params or {})
    body = data["body"]
    if not identity.has_role("dispatcher", "admin"):
        if not identity.body:
            raise Forbidden("a head without a body has no executors to see")
        if body is not None and body != identity.body:
            raise Forbidden(f"a head sees only the executors of their own body "
                            f"({identity.body})", {"body": ["not your body"]})
        body = identity.body
    period = _period(data["period"], now or _now())
    domain = data["domain"] or ALL_DOMAINS
    with uow:
        city = uow.ratings.bodies([period.key], domain).get((period.key, domain), {})
        executors = uow.ratings.executors(period.key, domain, body)
    # keyed by (body, executor): an account that worked for two bodies is rated in each
    board = leaderboard(executors, Counters.total(city.values()), rules, kind="executor")
    return {"period": period.key, "period_kind": period.kind, "domain": domain, "body": body,
            **_board_view(board, lambda s: {"executor": s[1], "body": s[0]}, data["limit"]),
            "minimum_sample": rules.minimum_sample["executor"],
            "prior": _prior_view(board, rules)}


def body_rating(uow, body, params: dict | None, rules: RatingRules | None = None,
                now: datetime | None = None) -> dict:
    """One body's public figures in the running month, quarter, year and all time, for every
    domain it worked in (or one), each with its place among the ranked bodies."""
    rules = rules or load_rules()
    if not isinstance(body, str) or not re.match(CODE.regex, body):
        raise InvalidInput("invalid body code", {"body": [CODE.error]})
    data = load_or_invalid(BodyRatingIn(), params or {})
    now = now or _now()
    keys = {kind: periods.current_key(kind, now) for kind in periods.KINDS + (periods.ALL_TIME,)}
    with uow:
        if not uow.ratings.body_known(body):
            raise NotFound(f"no appeal of {body} has been resolved or breached yet",
                           {"body": ["no ratings yet"]})
        boards = uow.ratings.bodies(list(keys.values()), data["domain"])
    result = {}
    for kind, key in keys.items():
        domains = {}
        for (period_key, domain), bodies in sorted(boards.items()):
            if period_key != key or body not in bodies:
                continue
            board = leaderboard(bodies, Counters.total(bodies.values()), rules, kind="body")
            standing = next(s for s in board.ranked + board.unranked if s.subject == body)
            domains[domain] = standing.view() | {
                "rank": board.rank_of(body), "ranked_bodies": len(board.ranked),
                "prior": {name: round(v, 4) for name, v in board.priors.items()}}
        result[kind] = {"period": key, "domains": domains}
    return {"body": body, "periods": result, "minimum_sample": rules.minimum_sample["body"],
            "prior": rules.public()}
