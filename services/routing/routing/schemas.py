"""What routing accepts over RPC. Routing re-validates everything: it never trusts that the
gateway checked. Unknown fields are rejected."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from hromada_common.events import StrictSchema

from .domain.taxonomy import COMPLEXITIES, LEVELS

CODE = validate.Regexp(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$",
                       error="lowercase letters, digits and _, levels joined by dots")


class _Strict(StrictSchema):
    """Unknown keys and unstorable text (NUL, lone surrogates) are errors."""


class ComplexityIn(_Strict):
    complexity = fields.String(required=True, validate=validate.OneOf(COMPLEXITIES))


class ExtendIn(_Strict):
    until = fields.AwareDateTime(required=True, metadata={"description": "the new deadline"})
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class ReassignIn(_Strict):
    body = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class ResolveIn(_Strict):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    photo_ref = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=500))


class QueueParamsIn(_Strict):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None, allow_none=True)


class LocalisedIn(_Strict):
    uk = fields.String(required=True, validate=validate.Length(min=1, max=300))
    en = fields.String(required=True, validate=validate.Length(min=1, max=300))


class FieldIn(_Strict):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$"))
    type = fields.String(required=True, validate=validate.OneOf(["text", "number", "choice"]))
    required = fields.Boolean(load_default=False)
    label = fields.Nested(LocalisedIn, required=True)
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                          load_default=None, allow_none=True)

    @validates_schema
    def _choices(self, data, **_):
        if data["type"] == "choice" and not data.get("choices"):
            raise ValidationError("a choice field needs its choices", "choices")
        if data["type"] != "choice" and data.get("choices"):
            raise ValidationError("only a choice field has choices", "choices")


class DeadlineHoursIn(_Strict):
    simple = fields.Integer(required=True, validate=validate.Range(1, 24 * 365))
    standard = fields.Integer(required=True, validate=validate.Range(1, 24 * 365))
    complex = fields.Integer(required=True, validate=validate.Range(1, 24 * 365))

    @validates_schema
    def _ordered(self, data, **_):
        if not data["simple"] <= data["standard"] <= data["complex"]:
            raise ValidationError("deadlines must grow from simple to complex", "standard")


class CategoryUpdateIn(_Strict):
    """Every key optional: only what is given changes."""

    name = fields.Nested(LocalisedIn)
    parent = fields.String(validate=validate.Length(min=1, max=120))
    body = fields.String(validate=validate.Length(min=1, max=64))
    deadline_hours = fields.Nested(DeadlineHoursIn)
    default_complexity = fields.String(validate=validate.OneOf(COMPLEXITIES))
    emergency = fields.Boolean()
    fields_ = fields.List(fields.Nested(FieldIn), data_key="fields",
                          validate=validate.Length(max=20))
    active = fields.Boolean()

    @validates_schema
    def _unique_field_names(self, data, **_):
        names = [f["name"] for f in data.get("fields_") or ()]
        if len(names) != len(set(names)):
            raise ValidationError("field names must be unique", "fields")


class CategoryIn(CategoryUpdateIn):
    code = fields.String(required=True, validate=[validate.Length(min=1, max=120), CODE])
    name = fields.Nested(LocalisedIn, required=True)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    parent = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=120))
