"""Use cases of the residents part of gamification: the points ledger, daily caps, levels,
badges, public profiles and resident leaderboards.

Consumed events arrive through :func:`apply` (inside the one transaction
``handlers.apply_event`` opens; it never commits here). Every ledger entry updates the
resident's totals, counters, badges and level in that same transaction and records its events
(``points_awarded``, ``badge_awarded``, ``level_reached``) through the unit of work.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import yaml

from hromada_common import events as ev
from hromada_common.auth import Identity, Unauthenticated
from hromada_common.db import iso
from hromada_common.errors import Conflict, Forbidden, InvalidInput, load_or_invalid

from ..domain import periods
from ..domain.badges import earned
from ..domain.points import (
    ACCEPTED,
    CONFIRMED,
    OWN_APPEAL_REVERSAL,
    RATED,
    SPAM,
    STAFF_STATES,
    SUGGESTION,
    AppealProgress,
    Rule,
    Rules,
    is_capped,
    rules_from_data,
)
from ..domain.profiles import PseudonymTaken, public_name, pseudonym_problem
from ..schemas import LeaderboardIn, MyPointsIn, PublicProfileIn

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "residents.yml"
PROFILE_SUBJECT = "resident_profile"


@lru_cache(maxsize=4)
def rules(path: str | None = None) -> Rules:
    """The rules in ``data/residents.yml`` (or ``path``), read and checked once per process."""
    with open(path or RULES_FILE, encoding="utf-8") as handle:
        return rules_from_data(yaml.safe_load(handle))


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- consumed events ---------------------------------------------------------------------------

def apply(uow, envelope: dict, data: dict) -> None:
    """Fold one consumed event (already parsed and checked against its contract) into this
    part's tables, inside the caller's unit of work; must not commit."""
    applier = _APPLIERS.get(envelope["type"])
    if applier is not None:
        applier(uow, envelope, data, rules())


def _on_state_changed(uow, envelope: dict, data: dict, rules: Rules) -> None:
    if uow.residents.is_forgotten(data["author_id"]):
        return  # the author's account was deleted: keep nothing about their appeal
    progress = uow.residents.lock_appeal(data["appeal_id"])
    newly_own = progress.note_author(data["author_id"])
    if data["state"] in STAFF_STATES:
        newly_own = progress.note_staff_action(data["by"]) or newly_own
    if newly_own:
        _reverse_own_appeal(uow, rules, progress, envelope["id"], data["at"])
    if data["state"] == "assigned" and data["previous_state"] == "submitted":
        progress.note_acceptance(data["at"], envelope["id"])
    if (data["state"] == "rejected" and data.get("reason_code") == "spam"
            and progress.author_id is not None):
        # A penalty applies even to an appeal its author handled as staff.
        _award(uow, rules, rules.rule(SPAM), progress.author_id, cause=envelope["id"],
               at=data["at"], appeal_id=progress.appeal_id, district=progress.district)
    _award_acceptance_when_due(uow, rules, progress)
    uow.residents.save_appeal(progress)


def _on_assigned(uow, envelope: dict, data: dict, rules: Rules) -> None:
    progress = uow.residents.lock_appeal(data["appeal_id"])
    progress.note_assignment(data.get("district"), data["appeal_version"])
    _award_acceptance_when_due(uow, rules, progress)
    uow.residents.save_appeal(progress)


def _on_staff_action(uow, envelope: dict, data: dict, rules: Rules) -> None:
    """``appeal.taken`` / ``appeal.resolved``: an executor acted on the appeal."""
    if uow.residents.is_forgotten(data["by"]):
        return  # no trace of a deleted account (it can earn nothing either)
    progress = uow.residents.lock_appeal(data["appeal_id"])
    if progress.note_staff_action(data["by"]):
        _reverse_own_appeal(uow, rules, progress, envelope["id"], data["at"])
    uow.residents.save_appeal(progress)


def _on_confirmed(uow, envelope: dict, data: dict, rules: Rules) -> None:
    if uow.residents.is_forgotten(data["by"]):
        return
    progress = uow.residents.lock_appeal(data["appeal_id"])
    if progress.note_author(data["by"]):  # only the author confirms
        _reverse_own_appeal(uow, rules, progress, envelope["id"], data["at"])
    if not progress.confirmed_awarded and progress.earns(data["by"]):
        progress.confirmed_awarded = True
        _award(uow, rules, rules.rule(CONFIRMED), data["by"], cause=envelope["id"],
               at=data["at"], appeal_id=progress.appeal_id, district=progress.district)
    uow.residents.save_appeal(progress)


def _on_rated(uow, envelope: dict, data: dict, rules: Rules) -> None:
    """``appeal.rated`` earns ``rating_given``; ``appeal.confirmed`` carries the same rating but
    earns only ``resolution_confirmed``, so one rating is never counted twice. Once per appeal:
    feedback publishes ``rated`` only with the confirmation."""
    if uow.residents.is_forgotten(data["by"]):
        return
    progress = uow.residents.lock_appeal(data["appeal_id"])
    if progress.note_author(data["by"]):
        _reverse_own_appeal(uow, rules, progress, envelope["id"], data["at"])
    if not progress.rated_awarded and progress.earns(data["by"]):
        progress.rated_awarded = True
        _award(uow, rules, rules.rule(RATED), data["by"], cause=envelope["id"], at=data["at"],
               appeal_id=progress.appeal_id, district=progress.district)
    uow.residents.save_appeal(progress)


def _on_portal_feedback_answered(uow, envelope: dict, data: dict, rules: Rules) -> None:
    if data.get("useful"):
        _award(uow, rules, rules.rule(SUGGESTION), data["author_id"], cause=envelope["id"],
               at=data["at"])


def _on_account_deleted(uow, envelope: dict, data: dict, rules: Rules) -> None:
    """Forget the person and leave a tombstone (their opaque id alone): an event about them
    still in flight, applied after this, finds it and writes nothing."""
    uow.residents.forget(data["account_id"])


_APPLIERS = {
    ev.APPEAL_STATE_CHANGED: _on_state_changed,
    ev.APPEAL_ASSIGNED: _on_assigned,
    ev.APPEAL_TAKEN: _on_staff_action,
    ev.APPEAL_RESOLVED: _on_staff_action,
    ev.APPEAL_CONFIRMED: _on_confirmed,
    ev.APPEAL_RATED: _on_rated,
    ev.PORTAL_FEEDBACK_ANSWERED: _on_portal_feedback_answered,
    ev.ACCOUNT_DELETED: _on_account_deleted,
}


def _award_acceptance_when_due(uow, rules: Rules, progress: AppealProgress) -> None:
    """The acceptance is awarded once both intake's ``submitted → assigned`` and routing's
    ``appeal.assigned`` (which names the district) have been seen, in either order."""
    if progress.acceptance_due:
        progress.accepted_awarded = True
        _award(uow, rules, rules.rule(ACCEPTED), progress.author_id,
               cause=progress.accepted_cause, at=progress.accepted_at,
               appeal_id=progress.appeal_id, district=progress.district)


def _reverse_own_appeal(uow, rules: Rules, progress: AppealProgress, cause: str,
                        at: datetime) -> None:
    """The author acted on their own appeal as staff: it earns them nothing. What it already
    earned is taken back by one compensating entry (the ledger is append-only), and the
    counters those entries raised go back down (badges already awarded stay)."""
    author = progress.author_id
    earned_entries = [e for e in uow.residents.appeal_entries(progress.appeal_id, author)
                      if e["points"] > 0]
    net = sum(e["points"] for e in earned_entries)
    if net <= 0:
        return
    _award(uow, rules, Rule(OWN_APPEAL_REVERSAL, -net), author, cause=cause, at=at,
           appeal_id=progress.appeal_id, district=progress.district)
    for entry in earned_entries:
        counter = rules.rules.get(entry["rule"]) and rules.rules[entry["rule"]].counter
        if counter:
            uow.residents.bump_counter(author, counter, None, -1)
            if entry["district"]:
                uow.residents.bump_counter(author, counter, entry["district"], -1)


def _award(uow, rules: Rules, rule: Rule, resident_id: str, *, cause: str, at: datetime,
           appeal_id: str | None = None, district: str | None = None) -> None:
    """Write one ledger entry and everything that follows from it, once per
    ``(cause, resident, rule)``.

    Over the rule's daily cap the entry is still written, with 0 points and ``capped`` set, so
    the resident's ledger shows why an action earned nothing; no ``points_awarded`` is
    published for it and it counts towards no badge."""
    repo = uow.residents
    if repo.is_forgotten(resident_id):
        return  # deleted account: no points, badges or profile come back for it
    if repo.has_entry(cause, resident_id, rule.code):
        return  # the inbox already stops a redelivery; this stops a replay under a new id
    repo.ensure_profile(resident_id, at)
    capped = rule.capped and is_capped(
        repo.bump_daily_count(resident_id, rule.code, periods.day_of(at)), rule)
    points = 0 if capped else rule.points
    entry_id = repo.add_entry(resident_id=resident_id, rule=rule.code, points=points,
                              capped=capped, appeal_id=appeal_id, district=district,
                              cause=cause, at=at)
    if capped:
        return
    totals = repo.add_to_totals(resident_id, periods.keys_at(at).values(), district, points, at)
    uow.record_event(ev.POINTS_AWARDED, {
        "entry_id": str(entry_id), "resident_id": resident_id, "rule": rule.code,
        "points": points, "appeal_id": appeal_id, "district": district, "cause": cause,
        "at": at}, subject=resident_id)
    all_time = totals[(periods.ALL_TIME, "*")]
    level = rules.level_for(all_time)
    if repo.raise_level(resident_id, level.number):
        uow.record_event(ev.LEVEL_REACHED, {
            "resident_id": resident_id, "level": level.number, "name": level.name,
            "points": all_time, "at": at}, subject=resident_id)
    if points > 0 and rule.counter:
        for scope in (None, district) if district else (None,):
            value = repo.bump_counter(resident_id, rule.counter, scope)
            for badge in earned(rules.badges, rule.counter, value, scope):
                if repo.add_badge(resident_id, badge.code, at, cause):
                    uow.record_event(ev.BADGE_AWARDED, {
                        "resident_id": resident_id, "badge": badge.code, "name": badge.name,
                        "awarded_at": at, "cause": cause}, subject=resident_id)


# --- RPC use cases -----------------------------------------------------------------------------

def _signed_in(identity: Identity | None, action: str) -> Identity:
    if identity is None:
        raise Unauthenticated(f"sign in to {action}")
    return identity


def my_points(uow, identity: Identity | None, params: dict | None,
              now: datetime | None = None) -> dict:
    """The signed-in resident's points (all time and in the running periods), level, badges,
    a page of their ledger (newest first) and how they appear in public."""
    identity = _signed_in(identity, "see your points")
    query = load_or_invalid(MyPointsIn(), params or {})
    now = now or _now()
    keys = periods.keys_at(now)
    resident_id = identity.account_id
    catalogue = rules()
    with uow:
        repo = uow.residents
        if repo.profile(resident_id) is None:
            if repo.is_forgotten(resident_id):
                raise Forbidden("this account was deleted")
            repo.ensure_profile(resident_id, now)
            uow.commit()
        profile = repo.profile(resident_id)
        totals = repo.totals_of(resident_id, list(keys.values()))
        badges = repo.badges_of(resident_id)
        ledger = repo.ledger(resident_id, query["limit"], query["offset"])
        public = {"shown_as": profile.shown_as,
                  "name": public_name(profile.shown_as, profile.display_name, profile.pseudonym),
                  "pseudonym": profile.pseudonym}
    points = totals[periods.ALL_TIME]
    following = catalogue.next_level(points)
    return {
        "resident_id": resident_id,
        "points": points,
        "level": catalogue.level_for(points).view(),
        "next_level": following.view() if following else None,
        "periods": {kind: totals[keys[kind]] for kind in periods.KINDS},
        "badges": [{"code": b["code"], "name": _badge_name(catalogue, b["code"]),
                    "awarded_at": iso(b["awarded_at"])} for b in badges],
        "ledger": {"items": [{"id": e["id"], "rule": e["rule"], "points": e["points"],
                              "capped": e["capped"], "appeal_id": e["appeal_id"],
                              "district": e["district"], "at": iso(e["at"])} for e in ledger],
                   "limit": query["limit"], "offset": query["offset"]},
        "public_profile": public,
    }


def _badge_name(catalogue: Rules, code: str) -> dict:
    badge = catalogue.badge(code)
    return dict(badge.name) if badge else {"uk": code, "en": code}


def leaderboard_residents(uow, params: dict | None, now: datetime | None = None,
                          cache=None) -> dict:
    """A public board of residents for a period, city-wide or in one district: rank, public
    name (display name or pseudonym, by the resident's choice), points, level. Nothing else
    about a person leaves (no ids, no emails).

    With ``cache`` (an ``adapters.residents_cache.BoardCache``), a page served in the last
    few seconds is served again without touching the database: keyed by the period *key*
    (so ``month`` becomes a new board when the month turns), district, limit and offset."""
    query = load_or_invalid(LeaderboardIn(), params or {})
    now = now or _now()
    try:
        period = periods.resolve(query["period"], now)
    except periods.InvalidPeriod as exc:
        raise InvalidInput(str(exc), {"period": [str(exc)]})
    if query["district"] == "*":
        raise InvalidInput("not a district code", {"district": ["not a district code"]})
    key = (period.key, query["district"], query["limit"], query["offset"])
    if cache is not None:
        page = cache.get(key)
        if page is not None:
            return page
    catalogue = rules()
    with uow:
        rows = uow.residents.board(period.key, query["district"], query["limit"],
                                   query["offset"])
    page = {
        "period": period.key,
        "district": query["district"],
        "items": [{"rank": r["rank"],
                   "name": public_name(r["shown_as"], r["display_name"], r["pseudonym"]),
                   "points": r["points"],
                   "level": _level_brief(catalogue, r["all_time_points"])}
                  for r in rows],
        "limit": query["limit"],
        "offset": query["offset"],
    }
    if cache is not None:
        cache.put(key, page)
    return page


def _level_brief(catalogue: Rules, all_time_points: int) -> dict:
    level = catalogue.level_for(all_time_points)
    return {"number": level.number, "name": dict(level.name)}


def badge_catalogue() -> dict:
    """Every badge (name, description, what it counts and the threshold), every level and the
    points of each rule with its daily cap: public."""
    catalogue = rules()
    return {
        "badges": [b.view() for b in catalogue.badges],
        "levels": [level.view() for level in catalogue.levels],
        "rules": [{"rule": r.code, "points": r.points,
                   "daily_cap": r.daily_cap if r.capped else None}
                  for r in catalogue.rules.values()],
    }


def _pseudonym_taken() -> Conflict:
    return Conflict("that pseudonym is taken", {"pseudonym": ["already taken"]})


def set_public_profile(uow, identity: Identity | None, payload: dict,
                       now: datetime | None = None) -> dict:
    """The signed-in resident chooses how boards show them: by ``name`` (``display_name``,
    which the gateway takes from their account) or by ``pseudonym`` (their own, 3–40
    characters without ``@``, or the generated one). Audited.

    Raises Unauthenticated, Forbidden (blocked, or the account was deleted), InvalidInput,
    Conflict naming ``pseudonym`` (taken — also when claimed at the same moment)."""
    identity = _signed_in(identity, "set your public profile").require_active()
    data = load_or_invalid(PublicProfileIn(), payload)
    if data["shown_as"] == "name" and not (data["display_name"] or "").strip():
        raise InvalidInput("a name to show is needed",
                           {"display_name": ["required when shown_as is name"]})
    pseudonym = data["pseudonym"].strip() if data["pseudonym"] is not None else None
    if pseudonym is not None:
        problem = pseudonym_problem(pseudonym)
        if problem:
            raise InvalidInput(problem, {"pseudonym": [problem]})
    # A name not shown is not kept.
    display_name = data["display_name"].strip() if data["shown_as"] == "name" else None
    now = now or _now()
    resident_id = identity.account_id
    with uow:
        repo = uow.residents
        if repo.is_forgotten(resident_id):
            raise Forbidden("this account was deleted")
        repo.ensure_profile(resident_id, now)
        if pseudonym is not None and repo.pseudonym_taken(pseudonym, resident_id):
            raise _pseudonym_taken()
        try:
            repo.set_profile(resident_id, data["shown_as"], display_name, pseudonym, now)
        except PseudonymTaken:
            # Claimed by someone else in a transaction that committed while this one waited.
            raise _pseudonym_taken() from None
        uow.audit.record(PROFILE_SUBJECT, resident_id, "public_profile_set", identity.actor, now,
                         shown_as=data["shown_as"], own_pseudonym=pseudonym is not None)
        uow.commit()
        profile = repo.profile(resident_id)
        result = {"shown_as": profile.shown_as,
                  "name": public_name(profile.shown_as, profile.display_name,
                                      profile.pseudonym),
                  "pseudonym": profile.pseudonym}
    return result
