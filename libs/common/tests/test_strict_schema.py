"""The shared schema base refuses text no service can store, naming the field at fault."""
import pytest
from marshmallow import Schema, ValidationError, fields

from hromada_common.errors import InvalidInput, load_or_invalid
from hromada_common.events import StrictSchema


class Place(StrictSchema):
    address = fields.String(required=True)


class Report(StrictSchema):
    title = fields.String(required=True)
    place = fields.Nested(Place)
    tags = fields.List(fields.String())
    extra = fields.Dict(keys=fields.String())


@pytest.mark.parametrize("bad", ["\x00", "a\x00b", "\udfff", "x\ud800y"])
@pytest.mark.parametrize("data, field", [
    (lambda bad: {"title": bad}, "title"),
    (lambda bad: {"title": "ok", "place": {"address": bad}}, "place.address"),
    (lambda bad: {"title": "ok", "tags": ["fine", bad]}, "tags.1"),
    (lambda bad: {"title": "ok", "extra": {"lamp": {"deep": [bad]}}}, "extra.lamp.deep.0"),
])
def test_nul_and_lone_surrogates_are_refused_wherever_they_are(data, field, bad):
    with pytest.raises(InvalidInput) as refused:
        load_or_invalid(Report(), data(bad))

    assert field in refused.value.fields


def test_a_key_holding_them_is_named_without_them():
    with pytest.raises(ValidationError) as refused:
        Report().load({"title": "ok", "extra": {"la\x00mp": 1}})

    assert refused.value.messages == {"extra": {"la\ufffdmp": [
        "A field name must not contain NUL characters or unpaired surrogates "
        "(\\u0000, \\ud800-\\udfff)."]}}


def test_ordinary_text_loads_unchanged():
    text = "вул. Хрещатик, 22 — 😀\ttab\nnew line"

    assert Report().load({"title": text, "tags": [text]}) == {"title": text, "tags": [text]}


@pytest.mark.parametrize("module", ["intake.schemas", "routing.schemas", "feedback.schemas",
                                    "accounts.schemas", "gamification.schemas",
                                    "gateway.schemas"])
def test_every_service_loads_input_through_the_shared_base(module):
    import importlib
    import inspect

    loaded = importlib.import_module(module)
    input_schemas = [cls for _, cls in inspect.getmembers(loaded, inspect.isclass)
                     if issubclass(cls, Schema) and cls.__module__ == module
                     and getattr(cls.Meta, "unknown", None) == "raise"]

    assert input_schemas
    for schema in input_schemas:
        assert issubclass(schema, StrictSchema), schema
