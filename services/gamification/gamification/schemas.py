"""What RPC callers may send gamification (marshmallow 4; unknown keys are refused).

The gateway validates requests too, but a service never trusts its callers: every RPC input is
loaded through one of these with ``load_or_invalid``, so bad input is an ``InvalidInput``
naming the field.
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from hromada_common.events import StrictSchema

from .domain import periods
from .domain.profiles import SHOWN_AS
from .domain.rewards import (
    CERTIFICATE,
    DECISIONS,
    DECLINED,
    GIFT,
    NOMINATION_STATUSES,
    REWARD_KINDS,
)

# --- residents: points and leaderboards --------------------------------------------------------

class MyPointsIn(StrictSchema):
    limit = fields.Integer(load_default=20, strict=True, validate=validate.Range(1, 100))
    offset = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0))


class LeaderboardIn(StrictSchema):
    period = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "2026-11, 2026-Q4, 2026, all, or a kind "
                                                    "(month, quarter, year) for the running "
                                                    "one; default month"})
    district = fields.String(load_default=None, allow_none=True,
                             validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$",
                                                      error="not a district code"))
    limit = fields.Integer(load_default=100, strict=True, validate=validate.Range(1, 100))
    offset = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 100_000))


class PublicProfileIn(StrictSchema):
    shown_as = fields.String(required=True, validate=validate.OneOf(SHOWN_AS))
    display_name = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(min=1, max=120))
    pseudonym = fields.String(load_default=None, allow_none=True)


# --- ratings: bodies and executors -------------------------------------------------------------

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_.-]{0,63}$",
                       error="a lowercase code of letters, digits, _ . -")



class BodyLeaderboardIn(StrictSchema):
    period = fields.String(load_default=None, metadata={
        "description": "a key (2026-11, 2026-Q4, 2026, all) or a kind (month, quarter, year): "
                       "the running period of that kind; default month"})
    domain = fields.String(load_default=None, allow_none=True, validate=CODE, metadata={
        "description": "category domain code (e.g. roads); absent: every domain"})
    limit = fields.Integer(load_default=100, strict=True, validate=validate.Range(1, 100))


class ExecutorRatingsIn(BodyLeaderboardIn):
    body = fields.String(load_default=None, allow_none=True, validate=CODE, metadata={
        "description": "a head sees only their own body (the default for them)"})


class BodyRatingIn(StrictSchema):
    domain = fields.String(load_default=None, allow_none=True, validate=CODE)


# --- rewards: nominations and the gift catalogue -----------------------------------------------

def nominated_period(value: str) -> None:
    """Nominations are made for a month, a quarter or a year: raise ValidationError else."""
    try:
        kind = periods.period(value).kind
    except periods.InvalidPeriod as exc:
        raise ValidationError(str(exc))
    if kind not in periods.KINDS:
        raise ValidationError("nominations are made for a month, a quarter or a year")


class RewardChoiceIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(REWARD_KINDS))
    gift_id = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=36))


class DecisionIn(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=3, max=1000))
    reward = fields.Nested(RewardChoiceIn, load_default=None, allow_none=True)
    resident_name = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(min=1, max=200),
                                  metadata={"description": "the name printed on a certificate"})

    @validates_schema
    def _consistent(self, data, **_):
        if data["decision"] == DECLINED:
            if not data.get("reason"):
                raise ValidationError({"reason": ["a declined nomination needs a reason"]})
            if data.get("reward"):
                raise ValidationError({"reward": ["a declined nomination yields no reward"]})
            return
        reward = data.get("reward")
        if not reward:
            raise ValidationError({"reward": ["an approved nomination needs a reward"]})
        if reward["kind"] == GIFT and not reward.get("gift_id"):
            raise ValidationError({"reward": {"gift_id": ["a gift reward names the gift"]}})
        if reward["kind"] == CERTIFICATE and reward.get("gift_id"):
            raise ValidationError({"reward": {"gift_id": ["a certificate has no gift"]}})
        if reward["kind"] == CERTIFICATE and not (data.get("resident_name") or "").strip():
            raise ValidationError(
                {"resident_name": ["a certificate needs the name to print on it"]})


class LocalisedNameIn(StrictSchema):
    uk = fields.String(required=True, validate=validate.Length(min=1, max=200))
    en = fields.String(required=True, validate=validate.Length(min=1, max=200))


class GiftIn(StrictSchema):
    name = fields.Nested(LocalisedNameIn, required=True)
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=2000))
    stock = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class GiftUpdateIn(StrictSchema):
    name = fields.Nested(LocalisedNameIn)
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    stock = fields.Integer(strict=True, validate=validate.Range(min=0))
    active = fields.Boolean()

    @validates_schema
    def _something(self, data, **_):
        if not data:
            raise ValidationError("give at least one of name, description, stock, active")


class GiftListIn(StrictSchema):
    active = fields.Boolean(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class NominationListIn(StrictSchema):
    period = fields.String(load_default=None, allow_none=True, validate=nominated_period)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(NOMINATION_STATUSES))
    district = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
