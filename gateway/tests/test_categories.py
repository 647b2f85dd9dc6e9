"""GET /api/v1/categories against mocked routing."""
import pytest

from gateway_support import assert_problem, fields_in

POTHOLE = {
    "code": "roads.surface.pothole",
    "name": {"uk": "Вибоїна на дорозі", "en": "Pothole"},
    "parent": "roads.surface",
    "level": "leaf",
    "body": "kyivavtodor",
    "active": True,
    "fields": [{"code": "lane", "required": False}],
    "deadline_hours": {"simple": 24, "standard": 40, "complex": 80},
}


def test_active_categories_are_listed_by_default(gateway):
    gateway.routing.list_categories.return_value = [POTHOLE]

    response = gateway.api.get("/api/v1/categories")

    assert response.status_code == 200
    assert response.json() == {"items": [POTHOLE]}
    assert "Вибоїна" in response.content.decode("utf-8")
    gateway.routing.list_categories.assert_called_once_with(False)


@pytest.mark.parametrize("value", ["true", "1"])
def test_inactive_categories_on_request(gateway, value):
    gateway.routing.list_categories.return_value = []

    gateway.api.get("/api/v1/categories", params={"include_inactive": value})

    gateway.routing.list_categories.assert_called_once_with(True)


def test_include_inactive_must_be_a_boolean(gateway):
    response = gateway.api.get("/api/v1/categories", params={"include_inactive": "perhaps"})

    problem = assert_problem(response, 422, "invalid-input")
    assert list(fields_in(problem)) == ["include_inactive"]
