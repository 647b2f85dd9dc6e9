"""Rate limits at the HTTP edge, counted in the real Redis."""
import os
import uuid

import pytest

from gateway_support import assert_problem

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def limited_config(config):
    prefix = f"hromada:test:{uuid.uuid4().hex[:8]}:"
    config.update({
        "RATE_LIMITS_ENABLED": True, "REDIS_URL": REDIS_URL, "RATE_LIMITS_PREFIX": prefix,
        "RATE_LIMITS": {"anonymous": {"limit": 3, "window": 60},
                        "account": {"limit": 5, "window": 60},
                        "new_account": {"limit": 2, "window": 60},
                        "trusted_account": {"limit": 8, "window": 60}},
    })
    yield config
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


def test_anonymous_client_gets_429_with_retry_after_and_ratelimit_headers(
        limited_config, start_gateway):
    api, (_intake, routing, *_others) = start_gateway()
    routing.list_categories.return_value = []
    statuses = [api.get("/api/v1/categories") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[0].headers["RateLimit-Policy"] == '"anonymous";q=3;w=60'
    assert statuses[2].headers["RateLimit"].startswith('"anonymous";r=0;t=')
    problem = assert_problem(statuses[3], 429, "too-many-requests")
    assert int(statuses[3].headers["Retry-After"]) > 0
    assert problem["violated_policies"] == ["anonymous"]
    assert routing.list_categories.call_count == 3  # the refused request never reached routing


def test_low_trust_account_has_a_stricter_limit_than_a_trusted_one(
        limited_config, start_gateway, signing_keys):
    api, (_intake, routing, *_others) = start_gateway()
    routing.list_categories.return_value = []
    ordinary = {"Authorization": f"Bearer {signing_keys.token_for(trust=1)}"}
    new = {"Authorization": f"Bearer {signing_keys.token_for(trust=0)}"}
    assert [api.get("/api/v1/categories", headers=new).status_code for _ in range(3)] == [
        200, 200, 429]
    assert [api.get("/api/v1/categories", headers=ordinary).status_code for _ in range(6)] == [
        200] * 5 + [429]


@pytest.mark.parametrize("trust", [2, 3])
def test_trust_2_and_3_loosen_the_limits(limited_config, start_gateway, signing_keys, trust):
    api, (_intake, routing, *_others) = start_gateway()
    routing.list_categories.return_value = []
    trusted = {"Authorization": f"Bearer {signing_keys.token_for(trust=trust)}"}
    responses = [api.get("/api/v1/categories", headers=trusted) for _ in range(9)]
    assert [r.status_code for r in responses] == [200] * 8 + [429]
    assert responses[0].headers["RateLimit-Policy"] == '"trusted_account";q=8;w=60'


def test_invalid_token_is_401_problem_with_www_authenticate(config, start_gateway, signing_keys):
    api, _ = start_gateway()
    response = api.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = api.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert_problem(response, 401, "unauthenticated")
