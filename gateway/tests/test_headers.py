"""Security and CORS headers on every response, applied once at the edge."""
import uuid

import pytest

from gateway_support import appeal_from, appeal_request, assert_problem

ANONYMOUS = {"Authorization": None}
APP = "https://app.hromada.example"


def test_every_response_says_nosniff(gateway):
    gateway.routing.list_categories.return_value = []
    gateway.intake.get_appeal.side_effect = KeyError("bug")

    responses = [
        gateway.api.get("/api/v1/categories"),                     # 200
        gateway.api.get("/api/v1/nowhere"),                        # routing miss
        gateway.api.delete("/api/v1/categories"),                  # 405
        gateway.api.get("/api/v1/me", headers=ANONYMOUS),          # 401
        gateway.api.get(f"/api/v1/appeals/{uuid.uuid4()}"),        # 500
        gateway.api.options("/api/v1/categories"),                 # OPTIONS
    ]

    for response in responses:
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.request.url


def test_tokens_and_personal_data_are_never_cached(gateway):
    gateway.accounts.issue_tokens.return_value = {
        "access_token": "a", "refresh_token": "r", "token_type": "Bearer", "expires_in": 900}
    gateway.accounts.get_me.return_value = {"id": "acc-1", "display_name": "Olena"}
    gateway.accounts.export_my_data.return_value = {"account": {}}
    gateway.intake.list_appeals.return_value = {"items": [], "next_cursor": None}
    gateway.routing.list_categories.return_value = []

    personal = [
        gateway.api.post("/api/v1/auth/token", json={"email": "a@example.org", "password": "pw"},
                         headers=ANONYMOUS),
        gateway.api.post("/api/v1/auth/token", data="not json",
                         headers={"Content-Type": "application/json", **ANONYMOUS}),
        gateway.api.get("/api/v1/me"),
        gateway.api.get("/api/v1/me/export"),
        gateway.api.get("/api/v1/me", headers=ANONYMOUS),
    ]

    assert [r.status_code for r in personal] == [200, 400, 200, 200, 401]
    for response in personal:
        assert response.headers["Cache-Control"] == "no-store", response.request.url
    assert "no-store" not in gateway.api.get("/api/v1/categories").headers.get("Cache-Control", "")


def test_hsts_only_over_https_as_a_trusted_proxy_says(config, start_gateway):
    config["TRUSTED_PROXIES"] = "10.0.0.0/8, 127.0.0.1"
    api, _ = start_gateway()

    plain = api.get("/health")
    forwarded = api.get("/health", headers={"X-Forwarded-Proto": "https"})

    assert "Strict-Transport-Security" not in plain.headers
    assert forwarded.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_forwarded_proto_from_anyone_else_is_ignored(gateway):
    response = gateway.api.get("/health", headers={"X-Forwarded-Proto": "https"})

    assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def cors_gateway(config, start_gateway):
    config["CORS_ALLOWED_ORIGINS"] = f"{APP}, https://map.hromada.example"
    api, mocks = start_gateway()
    return api, list(mocks)


def test_a_preflight_from_an_allowed_origin_is_answered_without_a_token(cors_gateway):
    api, _ = cors_gateway

    response = api.options("/api/v1/staff/gifts", headers={
        "Origin": APP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})

    assert response.status_code == 204, response.text
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert {"GET", "POST", "OPTIONS"} <= set(response.headers["Access-Control-Allow-Methods"].split(", "))
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_preflight_from_another_origin_gets_no_cors_headers(cors_gateway):
    api, _ = cors_gateway

    response = api.options("/api/v1/appeals", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})

    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_allowed_origin_can_read_the_answer_and_its_headers(cors_gateway, signing_keys):
    api, mocks = cors_gateway
    mocks[0].submit_appeal.side_effect = lambda payload, key: appeal_from(payload)
    token = signing_keys.token_for(None, "resident")

    filed = api.post("/api/v1/appeals", json=appeal_request(),
                     headers={"Origin": APP, "Authorization": f"Bearer {token}"})
    refused = api.post("/api/v1/appeals", json=appeal_request(), headers={"Origin": APP})
    elsewhere = api.get("/health", headers={"Origin": "https://evil.example"})

    assert filed.status_code == 201
    for response in (filed, refused):
        assert response.headers["Access-Control-Allow-Origin"] == APP
        exposed = response.headers["Access-Control-Expose-Headers"]
        assert "Location" in exposed and "X-Request-Id" in exposed
    assert_problem(refused, 401, "unauthenticated")
    assert "Access-Control-Allow-Origin" not in elsewhere.headers
    assert "Origin" in elsewhere.headers["Vary"]


def test_options_without_cors_lists_the_methods_instead_of_405(gateway):
    response = gateway.api.options("/api/v1/categories", headers=ANONYMOUS)

    assert response.status_code == 204
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_options_on_no_route_is_a_404_problem(gateway):
    assert_problem(gateway.api.options("/api/v1/nothing-here"), 404, "not-found")
