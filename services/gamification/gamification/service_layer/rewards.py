"""Use cases of the rewards part of gamification: nominating the top residents when a period
ends, staff decisions, certificates of gratitude, the gift catalogue and gift delivery.

Each use case is one transaction; every event (``reward.nominated``,
``reward.nomination_decided``, ``reward.granted``, ``reward.delivered``) is recorded through
the unit of work in the transaction of the change it announces, and every change a person
causes is written to the audit log.
"""
from __future__ import annotations

import base64
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import yaml
from marshmallow import ValidationError

from hromada_common import events as ev
from hromada_common.auth import Identity
from hromada_common.db import iso
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound, load_or_invalid

from ..adapters.certificate import CertificateData, render_certificate
from ..adapters.rewards_orm import Gift, Nomination, Reward
from ..domain import periods
from ..domain.rewards import (
    APPROVED,
    CERTIFICATE,
    GIFT,
    PENDING,
    WITHDRAWN,
    RewardRefused,
    check_decidable,
    check_deliverable,
    check_gift_grantable,
    choose_nominees,
)
from ..schemas import (
    DecisionIn,
    GiftIn,
    GiftListIn,
    GiftUpdateIn,
    NominationListIn,
    nominated_period,
)


DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "rewards.yml"
DECIDING_ROLES = ("admin", "dispatcher")
SYSTEM = "gamification"


@lru_cache(maxsize=8)
def _district_names(path: str) -> dict[str, str]:
    with open(path, encoding="utf-8") as handle:
        return dict((yaml.safe_load(handle) or {}).get("district_names") or {})


def _kinds(value) -> tuple[str, ...]:
    if value is None or value == "":
        return periods.KINDS
    items = value.split(",") if isinstance(value, str) else list(value)
    kinds = tuple(str(item).strip() for item in items if str(item).strip())
    unknown = [k for k in kinds if k not in periods.KINDS]
    if unknown:
        raise ValueError(f"NOMINATED_PERIODS: {unknown} are not period kinds "
                         f"({', '.join(periods.KINDS)})")
    return kinds


@dataclass(frozen=True)
class RewardsSettings:
    """The knobs from config.yml (see docs/gamification.md, "Rewards")."""

    nominated_periods: tuple[str, ...] = periods.KINDS
    nominees_per_district: int = 3
    nominees_city_wide: int = 0
    grace: timedelta = timedelta(minutes=15)
    authority: str = "Київська міська державна адміністрація"
    signatory_title: str = "Голова Київської міської державної адміністрації"
    signatory_name: str = "Олена Петренко"
    city: str | None = "Київ"
    district_names: dict = field(default_factory=lambda: _district_names(str(DATA_FILE)))

    @classmethod
    def from_config(cls, config: dict) -> "RewardsSettings":
        defaults = cls()
        return cls(
            nominated_periods=_kinds(config.get("NOMINATED_PERIODS")),
            nominees_per_district=int(config.get("NOMINEES_PER_DISTRICT", 3)),
            nominees_city_wide=int(config.get("NOMINEES_CITY_WIDE") or 0),
            grace=timedelta(seconds=float(config.get("NOMINATION_GRACE",
                                                     defaults.grace.total_seconds()))),
            authority=config.get("CITY_AUTHORITY_NAME") or defaults.authority,
            signatory_title=config.get("CERTIFICATE_SIGNATORY_TITLE") or defaults.signatory_title,
            signatory_name=config.get("CERTIFICATE_SIGNATORY_NAME") or defaults.signatory_name,
            city=config.get("CERTIFICATE_CITY") or defaults.city,
            district_names=_district_names(config.get("REWARDS_FILE") or str(DATA_FILE)),
        )


def nomination_rules(settings: RewardsSettings) -> dict:
    """What the public may know of the rewards settings: which periods are nominated and
    how many residents per district (and city-wide) each time."""
    return {"nominated_periods": list(settings.nominated_periods),
            "nominees_per_district": settings.nominees_per_district,
            "nominees_city_wide": settings.nominees_city_wide}


# --- helpers ---------------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(timezone.utc)


def _staff(identity: Identity) -> Identity:
    """Admins and dispatchers decide nominations and keep the gift catalogue."""
    return identity.require_role(*DECIDING_ROLES).require_active()


@contextmanager
def _refusals():
    try:
        yield
    except RewardRefused as exc:
        raise Conflict(str(exc), extra=exc.extra)


def _nomination_view(n: Nomination, reward_id: str | None = None) -> dict:
    return {"id": n.id, "resident_id": n.resident_id, "period": n.period, "kind": n.kind,
            "district": n.district, "rank": n.rank, "points": n.points, "status": n.status,
            "created_at": iso(n.created_at), "decided_by": n.decided_by,
            "decided_at": iso(n.decided_at), "reason": n.reason, "reward_id": reward_id}


def _gift_view(g: Gift) -> dict:
    return {"id": g.id, "name": {"uk": g.name_uk, "en": g.name_en},
            "description": g.description, "stock": g.stock, "active": g.active,
            "created_at": iso(g.created_at), "updated_at": iso(g.updated_at)}


def _reward_view(r: Reward, gift: Gift | None) -> dict:
    return {"id": r.id, "nomination_id": r.nomination_id, "resident_id": r.resident_id,
            "kind": r.kind, "period": r.period,
            "gift": ({"id": gift.id, "name": {"uk": gift.name_uk, "en": gift.name_en},
                      "description": gift.description} if gift is not None else None),
            "granted_at": iso(r.granted_at), "delivered_at": iso(r.delivered_at),
            "certificate_available": _certificate_available(r)}


def _certificate_available(r: Reward) -> bool:
    return r.kind == CERTIFICATE and bool((r.certificate or {}).get("resident_name"))


# --- nominating ------------------------------------------------------------------------------

def close_ended_periods(uow, settings: RewardsSettings, now: datetime | None = None) -> list:
    """The timer: nominate the last ended period of each configured kind that has no run yet.

    A period counts as ended ``grace`` after its end, so events of its last seconds still in
    flight are folded into the totals first. Safe with many instances (see
    :func:`nominate_period`)."""
    now = now or _now()
    results = []
    for kind in settings.nominated_periods:
        key = periods.previous_key(kind, now - settings.grace)
        with uow:
            if uow.rewards.run(key) is not None:
                continue
        results.append(nominate_period(uow, key, settings, SYSTEM, now))
    return results


def run_nominations(uow, key, identity: Identity, settings: RewardsSettings,
                    now: datetime | None = None) -> dict:
    """An administrator nominates an ended period by hand (e.g. one missed while the service
    was down). Idempotent: a period already nominated is reported, not nominated again."""
    identity.require_role("admin").require_active()
    now = now or _now()
    if not isinstance(key, str):
        raise InvalidInput("the period must be a string", {"period": ["not a string"]})
    try:
        nominated_period(key)
    except ValidationError as exc:
        raise InvalidInput(f"{key!r} is not a period to nominate", {"period": exc.messages})
    if not periods.period(key).has_ended(now):
        raise InvalidInput(f"the period {key} has not ended yet",
                           {"period": ["has not ended yet"]})
    return nominate_period(uow, key, settings, identity.actor, now)


def nominate_period(uow, key: str, settings: RewardsSettings, by: str,
                    now: datetime | None = None) -> dict:
    """Nominate the top residents of each district for the ended period ``key``, exactly once.

    The period's run row is inserted in the transaction that creates the nominations: a second
    instance doing the same waits on that row's primary key and, once the first commits, finds
    it taken and changes nothing. ``{"period", "kind", "created", "nominations", "ran_at",
    "by"}``; ``created`` is False when the period had already been nominated."""
    now = now or _now()
    kind = periods.period(key).kind
    with uow:
        run = uow.rewards.claim_run(key, kind, by, now)
        if run is None:
            run = uow.rewards.run(key)
            return {"period": key, "kind": run.kind, "created": False,
                    "nominations": run.nominations, "ran_at": iso(run.ran_at), "by": run.by}
        districts = uow.residents.districts(key)
        boards = len(districts) + (1 if settings.nominees_city_wide else 0)
        depth = max(settings.nominees_per_district, settings.nominees_city_wide) * max(boards, 1)
        tops = {d: uow.residents.top(key, d, limit=depth) for d in districts}
        if settings.nominees_city_wide:
            tops[None] = uow.residents.top(key, None, limit=depth)
        nominees = choose_nominees(tops, settings.nominees_per_district,
                                   settings.nominees_city_wide)
        nominations = [Nomination(id=str(uuid.uuid4()), period=key, kind=kind,
                                  district=n.district, resident_id=n.resident_id, rank=n.rank,
                                  points=n.points, status=PENDING, created_at=now)
                       for n in nominees]
        uow.rewards.add_nominations(nominations)
        run.nominations = len(nominations)
        if nominations:
            uow.record_events(ev.NOMINATION_CREATED, [
                ({"nomination_id": n.id, "resident_id": n.resident_id, "period": key,
                  "district": n.district, "rank": n.rank, "points": n.points, "at": now}, n.id)
                for n in nominations], actor=by)
        uow.audit.record("nomination_run", key, "nominated", by, now,
                         nominations=len(nominations))
        uow.commit()
    return {"period": key, "kind": kind, "created": True, "nominations": len(nominations),
            "ran_at": iso(now), "by": by}


# --- staff decide ----------------------------------------------------------------------------

def decide_nomination(uow, nomination_id, payload, identity: Identity,
                      settings: RewardsSettings, now: datetime | None = None) -> dict:
    """Staff approve a pending nomination with a reward (a certificate, or a gift taken from
    stock) or decline it with a reason. ``{"nomination": {...}, "reward": {...} | None}``.
    Raises Forbidden, InvalidInput, NotFound, Conflict (decided already:
    ``extra["status"]``; gift out of stock or withdrawn: ``extra["stock"]``/``["active"]``)."""
    identity = _staff(identity)
    data = load_or_invalid(DecisionIn(), payload)
    now = now or _now()
    reward, gift = None, None
    with uow:
        nomination = uow.rewards.nomination(str(nomination_id), for_update=True)
        if nomination is None:
            raise NotFound(f"no nomination {nomination_id}",
                           {"nomination_id": ["no such nomination"]})
        with _refusals():
            check_decidable(nomination.status)
        nomination.status = data["decision"]
        nomination.decided_by = identity.account_id
        nomination.decided_at = now
        nomination.reason = data["reason"]
        if data["decision"] == APPROVED:
            reward, gift = _grant(uow, nomination, data, identity, settings, now)
        uow.audit.record("nomination", nomination.id, data["decision"], identity.actor, now,
                         reason=data["reason"],
                         reward_id=reward.id if reward else None,
                         reward_kind=reward.kind if reward else None)
        uow.record_event(ev.NOMINATION_DECIDED, {
            "nomination_id": nomination.id, "resident_id": nomination.resident_id,
            "decision": data["decision"], "reason": data["reason"],
            "by": identity.account_id, "at": now,
        }, subject=nomination.id, actor=identity.actor)
        if reward is not None:
            uow.record_event(ev.REWARD_GRANTED, {
                "reward_id": reward.id, "nomination_id": nomination.id,
                "resident_id": nomination.resident_id, "kind": reward.kind,
                "gift_id": reward.gift_id, "period": nomination.period, "at": now,
            }, subject=reward.id, actor=identity.actor)
        uow.commit()
        return {"nomination": _nomination_view(nomination, reward.id if reward else None),
                "reward": _reward_view(reward, gift) if reward else None}


def _grant(uow, nomination: Nomination, data: dict, identity: Identity,
           settings: RewardsSettings, now: datetime) -> tuple[Reward, Gift | None]:
    choice = data["reward"]
    gift, certificate = None, None
    if choice["kind"] == GIFT:
        # The row lock serialises staff granting the same gift: stock never goes below zero.
        gift = uow.rewards.gift(choice["gift_id"], for_update=True)
        if gift is None:
            raise NotFound(f"no gift {choice['gift_id']}", {"reward.gift_id": ["no such gift"]})
        with _refusals():
            check_gift_grantable(gift.active, gift.stock)
        gift.stock -= 1
        gift.updated_at = now
    else:
        district = nomination.district
        certificate = {
            "resident_name": data["resident_name"].strip(),
            "rank": nomination.rank, "points": nomination.points,
            "district": district,
            "district_name": settings.district_names.get(district, district) if district else None,
            "authority": settings.authority,
            "signatory_title": settings.signatory_title,
            "signatory_name": settings.signatory_name,
            "city": settings.city,
            "issued_on": periods.day_of(now).isoformat(),
        }
    reward = Reward(id=str(uuid.uuid4()), nomination_id=nomination.id,
                    resident_id=nomination.resident_id, kind=choice["kind"],
                    period=nomination.period, gift_id=gift.id if gift else None,
                    certificate=certificate, granted_by=identity.account_id, granted_at=now)
    uow.rewards.add_reward(reward)
    uow.audit.record("reward", reward.id, "granted", identity.actor, now, kind=reward.kind,
                     nomination_id=nomination.id, gift_id=reward.gift_id,
                     stock_left=gift.stock if gift else None)
    return reward, gift


def list_nominations(uow, params, identity: Identity) -> dict:
    """Staff page through nominations, filtered by period, status and district."""
    identity.require_role(*DECIDING_ROLES)
    data = load_or_invalid(NominationListIn(), params or {})
    with uow:
        rows, total = uow.rewards.nominations(period=data["period"], status=data["status"],
                                              district=data["district"], limit=data["limit"],
                                              offset=data["offset"])
        rewards = uow.rewards.rewards_for_nominations([n.id for n in rows])
        items = [_nomination_view(n, rewards.get(n.id)) for n in rows]
    return {"items": items, "total": total, "limit": data["limit"], "offset": data["offset"]}


def get_nomination(uow, nomination_id, identity: Identity) -> dict:
    """Staff read one nomination (with the id of its reward, once granted)."""
    identity.require_role(*DECIDING_ROLES)
    with uow:
        nomination = uow.rewards.nomination(str(nomination_id))
        if nomination is None:
            raise NotFound(f"no nomination {nomination_id}",
                           {"nomination_id": ["no such nomination"]})
        reward_id = uow.rewards.rewards_for_nominations([nomination.id]).get(nomination.id)
        return _nomination_view(nomination, reward_id)


# --- the resident's own rewards --------------------------------------------------------------

def my_rewards(uow, identity: Identity) -> dict:
    """The caller's nominations (with their status) and rewards."""
    with uow:
        rows, _ = uow.rewards.nominations(resident_id=identity.account_id, limit=500)
        rewards = uow.rewards.rewards_of(identity.account_id)
        nominations = [{key: value for key, value in _nomination_view(n).items()
                        if key not in ("resident_id", "decided_by", "reward_id")}
                       for n in rows]
        items = []
        for reward, gift in rewards:
            view = _reward_view(reward, gift)
            del view["resident_id"]
            items.append(view)
    return {"nominations": nominations, "rewards": items}


def certificate(uow, reward_id, identity: Identity) -> dict:
    """The certificate of gratitude as a PDF, for its owner or staff (admin, dispatcher).
    ``{"filename", "content_type": "application/pdf", "content_base64"}``."""
    with uow:
        reward = uow.rewards.reward(str(reward_id))
        if reward is None:
            raise NotFound(f"no reward {reward_id}", {"reward_id": ["no such reward"]})
        if reward.resident_id != identity.account_id and not identity.has_role(*DECIDING_ROLES):
            raise Forbidden("only the resident it was granted to (or staff) may download it")
        if reward.kind != CERTIFICATE:
            raise Conflict("this reward is a gift, not a certificate", extra={"kind": reward.kind})
        words = dict(reward.certificate or {})
        period, short_id = reward.period, reward.id[:8]
    if not words.get("resident_name"):
        raise Conflict("this certificate's holder deleted their account",
                       extra={"kind": CERTIFICATE, "available": False})
    pdf = render_certificate(CertificateData(
        resident_name=words["resident_name"], period=period, rank=words["rank"],
        points=words["points"], district_name=words.get("district_name"),
        authority=words["authority"], signatory_title=words["signatory_title"],
        signatory_name=words["signatory_name"], issued_on=date.fromisoformat(words["issued_on"]),
        city=words.get("city")))
    return {"filename": f"podyaka-{period}-{short_id}.pdf",
            "content_type": "application/pdf",
            "content_base64": base64.b64encode(pdf).decode("ascii")}


# --- the gift catalogue and delivery ---------------------------------------------------------

def create_gift(uow, payload, identity: Identity, now: datetime | None = None) -> dict:
    identity = _staff(identity)
    data = load_or_invalid(GiftIn(), payload)
    now = now or _now()
    gift = Gift(id=str(uuid.uuid4()), name_uk=data["name"]["uk"], name_en=data["name"]["en"],
                description=data["description"], stock=data["stock"], active=True,
                created_at=now, updated_at=now)
    with uow:
        uow.rewards.add_gift(gift)
        uow.audit.record("gift", gift.id, "created", identity.actor, now, stock=gift.stock,
                         name=data["name"])
        uow.commit()
        return _gift_view(gift)


def update_gift(uow, gift_id, payload, identity: Identity, now: datetime | None = None) -> dict:
    """Restock (``stock`` is the new count), rename, describe, or withdraw (``active``)."""
    identity = _staff(identity)
    data = load_or_invalid(GiftUpdateIn(), payload)
    now = now or _now()
    with uow:
        gift = uow.rewards.gift(str(gift_id), for_update=True)
        if gift is None:
            raise NotFound(f"no gift {gift_id}", {"gift_id": ["no such gift"]})
        before = _gift_view(gift)
        if "name" in data:
            gift.name_uk, gift.name_en = data["name"]["uk"], data["name"]["en"]
        if "description" in data:
            gift.description = data["description"]
        if "stock" in data:
            gift.stock = data["stock"]
        if "active" in data:
            gift.active = data["active"]
        gift.updated_at = now
        after = _gift_view(gift)
        changes = {k: {"from": before[k], "to": after[k]}
                   for k in ("name", "description", "stock", "active") if before[k] != after[k]}
        uow.audit.record("gift", gift.id, "updated", identity.actor, now, changes=changes)
        uow.commit()
        return after


def list_gifts(uow, params, identity: Identity) -> dict:
    identity.require_role(*DECIDING_ROLES)
    data = load_or_invalid(GiftListIn(), params or {})
    with uow:
        rows, total = uow.rewards.gifts(active=data["active"], limit=data["limit"],
                                        offset=data["offset"])
        items = [_gift_view(g) for g in rows]
    return {"items": items, "total": total, "limit": data["limit"], "offset": data["offset"]}


def mark_delivered(uow, reward_id, identity: Identity, now: datetime | None = None) -> dict:
    """Staff handed a gift over. Conflict for a certificate or a gift already delivered."""
    identity = _staff(identity)
    now = now or _now()
    with uow:
        reward = uow.rewards.reward(str(reward_id), for_update=True)
        if reward is None:
            raise NotFound(f"no reward {reward_id}", {"reward_id": ["no such reward"]})
        with _refusals():
            check_deliverable(reward.kind, reward.delivered_at)
        reward.delivered_at, reward.delivered_by = now, identity.account_id
        uow.audit.record("reward", reward.id, "delivered", identity.actor, now,
                         gift_id=reward.gift_id)
        uow.record_event(ev.REWARD_DELIVERED, {
            "reward_id": reward.id, "resident_id": reward.resident_id,
            "by": identity.account_id, "at": now,
        }, subject=reward.id, actor=identity.actor)
        gift = uow.rewards.gift(reward.gift_id) if reward.gift_id else None
        uow.commit()
        return _reward_view(reward, gift) | {"delivered_by": reward.delivered_by}


# --- consumed events -------------------------------------------------------------------------

def apply(uow, envelope: dict, data: dict) -> None:
    """Fold one consumed event (already parsed and checked against its contract) into this
    part's tables, inside the caller's unit of work; must not commit.

    ``account.deleted``: the person's pending nominations are withdrawn and their name is
    dropped from their certificates (which can then no longer be downloaded)."""
    if envelope["type"] != ev.ACCOUNT_DELETED:
        return
    account_id = data["account_id"]
    for nomination in uow.rewards.pending_of(account_id):
        nomination.status = WITHDRAWN
        nomination.decided_at = data["at"]
        nomination.decided_by = SYSTEM
        nomination.reason = "account deleted"
        uow.audit.record("nomination", nomination.id, "withdrawn", envelope.get("actor") or SYSTEM,
                         data["at"], reason="account_deleted", event_id=envelope["id"])
    uow.rewards.forget_names_of(account_id)
