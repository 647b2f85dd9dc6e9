"""intake re-checks what the gateway checked: nothing invisible, nothing unstorable."""
import pytest

from hromada_common.errors import InvalidInput, load_or_invalid
from intake.schemas import SubmitAppealIn

APPEAL = {"title": "Яма", "description": "Глибока яма", "category": "roads.surface.pothole",
          "location": {"lat": 50.45, "lon": 30.52, "address": "Хрещатик, 22"}}


@pytest.mark.parametrize("field, text", [
    ("title", "\u200b\u2060"), ("title", " \u3164 "), ("description", "\ufeff"),
    ("title", "a\x00b"), ("description", "\udfff"),
])
def test_an_appeal_with_invisible_or_unstorable_text_is_refused(field, text):
    with pytest.raises(InvalidInput) as refused:
        load_or_invalid(SubmitAppealIn(), {**APPEAL, field: text})

    assert field in refused.value.fields


def test_an_ordinary_appeal_loads():
    assert load_or_invalid(SubmitAppealIn(), APPEAL)["title"] == "Яма"
