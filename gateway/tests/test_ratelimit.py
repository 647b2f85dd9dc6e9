"""Rate limits: policies from config, counting in Redis (and in process without it), headers,
and which policies a request counts against.

The Redis-backed cases use the Redis at ``REDIS_URL`` (default ``redis://127.0.0.1:6379/0``)
under a prefix unique to this run, and delete only their own keys afterwards.
"""
import logging
import os
import time
import uuid

import eventlet
import pytest
import redis
import yaml

from gateway.ratelimit import (
    DEFAULT_POLICIES,
    Decision,
    LocalCounter,
    Policy,
    RateLimiter,
    RateLimitGate,
    choose_policies,
    client_key,
    headers,
    policies_from_config,
)
from hromada_common.auth import Identity

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"
LOGGER = "gateway.ratelimit"


@pytest.fixture(scope="module")
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"no Redis at {REDIS_URL} ({exc}): start one or set REDIS_URL")
    yield client
    client.close()


@pytest.fixture(scope="module")
def prefix(redis_client):
    """A key prefix for this run; every key under it is deleted at the end."""
    run_prefix = f"hromada:rl:test:{uuid.uuid4().hex}:"
    yield run_prefix
    keys = list(redis_client.scan_iter(match=run_prefix + "*", count=1000))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture(params=["redis", "local", "unreachable"])
def limiter(request):
    """The same behaviour is expected from Redis, from no Redis at all, and from a Redis URL
    that refuses connections (the in-process fallback)."""
    if request.param == "redis":
        return RateLimiter(REDIS_URL, prefix=request.getfixturevalue("prefix"))
    if request.param == "local":
        return RateLimiter(None)
    return RateLimiter(CLOSED_PORT_URL, prefix="hromada:rl:test:unreachable:")


def unique_key() -> str:
    return f"ip:{uuid.uuid4().hex}"


# ---------------------------------------------------------------- counting


def test_allows_exactly_limit_hits_then_denies(limiter):
    policy = Policy("t_limit", limit=5, window=60)
    key = unique_key()
    decisions = [limiter.hit(policy, key) for _ in range(5)]

    assert [d.allowed for d in decisions] == [True] * 5
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]
    assert all(d.limit == 5 and 0 < d.reset <= 60 and d.retry_after is None for d in decisions)
    assert all(d.policy is policy and d.key == key for d in decisions)

    for _ in range(3):  # denials do not consume anything, and keep saying when to come back
        denied = limiter.hit(policy, key)
        assert not denied.allowed
        assert denied.remaining == 0
        assert 0 < denied.retry_after <= 60
        assert denied.retry_after == denied.reset


def test_window_resets(limiter):
    policy = Policy("t_reset", limit=2, window=1)
    key = unique_key()
    assert [limiter.hit(policy, key).allowed for _ in range(3)] == [True, True, False]
    assert limiter.hit(policy, key).retry_after == 1

    time.sleep(1.1)

    fresh = limiter.hit(policy, key)
    assert fresh.allowed and fresh.remaining == 1
    assert limiter.hit(policy, key).allowed
    assert not limiter.hit(policy, key).allowed


def test_keys_and_policies_are_independent(limiter):
    one = Policy("t_one", limit=1, window=60)
    two = Policy("t_two", limit=1, window=60)
    key, other_key = unique_key(), unique_key()

    assert limiter.hit(one, key).allowed
    assert not limiter.hit(one, key).allowed
    assert limiter.hit(one, other_key).allowed  # another key, same policy
    assert limiter.hit(two, key).allowed  # same key, another policy


def test_cost_counts_several_units_and_zero_peeks(limiter):
    policy = Policy("t_cost", limit=5, window=60)
    key = unique_key()
    assert limiter.hit(policy, key, cost=0).remaining == 5  # a peek starts no window
    assert limiter.hit(policy, key, cost=3).remaining == 2
    assert not limiter.hit(policy, key, cost=3).allowed
    assert limiter.hit(policy, key, cost=0).remaining == 2
    assert limiter.hit(policy, key, cost=2).remaining == 0
    with pytest.raises(ValueError):
        limiter.hit(policy, key, cost=-1)


def test_a_request_under_several_policies_is_admitted_all_or_nothing(limiter):
    reads = Policy("t_reads", limit=10, window=60)
    submits = Policy("t_submits", limit=1, window=3600)
    key = unique_key()

    first = limiter.hit_many([(reads, key), (submits, key)])
    assert [(d.allowed, d.remaining) for d in first] == [(True, 9), (True, 0)]

    second = limiter.hit_many([(reads, key), (submits, key)])
    assert [d.allowed for d in second] == [True, False]  # only the submit quota says no
    assert second[0].remaining == 9  # ... and the refused request cost no read quota
    assert second[1].retry_after > 60

    assert limiter.hit(reads, key).remaining == 8


def test_concurrent_hits_never_admit_more_than_the_limit(limiter):
    policy = Policy("t_concurrent", limit=20, window=60)
    key = unique_key()
    pool = eventlet.GreenPool(50)
    decisions = list(pool.imap(lambda _: limiter.hit(policy, key), range(50)))

    assert sum(d.allowed for d in decisions) == 20
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(20))
    assert not limiter.hit(policy, key).allowed


def test_redis_keys_are_prefixed_and_expire(redis_client, prefix):
    limiter = RateLimiter(REDIS_URL, prefix=prefix)
    policy = Policy("t_keys", limit=3, window=60)
    limiter.hit(policy, "acct:42")

    assert limiter.backend == "redis"
    assert limiter.redis_key(policy, "acct:42") == f"{prefix}t_keys:acct:42"
    assert redis_client.get(f"{prefix}t_keys:acct:42") == b"1"
    assert 0 < redis_client.pttl(f"{prefix}t_keys:acct:42") <= 60_000


def test_a_key_without_expiry_starts_a_fresh_window(redis_client, prefix):
    """Whatever left a counter without a TTL, the script never lets it block forever."""
    limiter = RateLimiter(REDIS_URL, prefix=prefix)
    policy = Policy("t_nottl", limit=2, window=60)
    redis_client.set(limiter.redis_key(policy, "k"), 99)

    decision = limiter.hit(policy, "k")
    assert decision.allowed and decision.remaining == 1
    assert redis_client.pttl(limiter.redis_key(policy, "k")) > 0


# ---------------------------------------------------------------- no Redis: fail open


def _warnings(caplog):
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def test_unreachable_redis_falls_back_in_process_and_warns_once(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    limiter = RateLimiter(CLOSED_PORT_URL, prefix="hromada:rl:test:unreachable:")
    policy = Policy("t_fallback", limit=3, window=60)

    started = time.monotonic()
    verdicts = [limiter.hit(policy, "k").allowed for _ in range(10)]

    assert verdicts == [True] * 3 + [False] * 7
    assert limiter.backend == "local"
    assert len(_warnings(caplog)) == 1
    assert "Redis failed" in _warnings(caplog)[0].getMessage()
    assert time.monotonic() - started < 2  # no retry storm on every request


def test_no_redis_url_counts_in_process_and_warns_once(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    limiter = RateLimiter(None)
    for _ in range(5):
        limiter.hit(DEFAULT_POLICIES["auth"], "ip:10.0.0.1")
    assert limiter.backend == "local"
    assert len(_warnings(caplog)) == 1


def test_redis_failing_midway_serves_locally_then_goes_back(caplog, prefix):
    caplog.set_level(logging.INFO, logger=LOGGER)
    limiter = RateLimiter(REDIS_URL, prefix=prefix, retry_interval=0.2)
    policy = Policy("t_outage", limit=100, window=60)
    key = unique_key()
    assert limiter.hit(policy, key).remaining == 99

    script = limiter._script

    def broken(*args, **kwargs):
        raise redis.ConnectionError("Redis went away")

    limiter._script = broken
    during = [limiter.hit(policy, key) for _ in range(3)]
    assert all(d.allowed for d in during)  # fail open ...
    assert during[-1].remaining == 97  # ... to the local counter, which started empty
    assert len(_warnings(caplog)) == 1

    limiter._script = script
    time.sleep(0.25)
    back = limiter.hit(policy, key)
    assert back.remaining == 98  # Redis's own count carried on
    assert limiter.backend == "redis"
    assert any("answers again" in r.getMessage() for r in caplog.records if r.name == LOGGER)


def test_local_counter_forgets_expired_and_bounds_its_size():
    now = [0.0]
    counter = LocalCounter(max_keys=100, clock=lambda: now[0])
    for i in range(100):
        counter.hit([f"k{i}"], [(5, 1000)], 1)
    now[0] = 2.0  # all those windows are over
    for i in range(150):
        counter.hit([f"n{i}"], [(5, 60_000)], 1)
    assert len(counter._windows) <= 100


# ---------------------------------------------------------------- headers


def decision(name, limit, window, remaining, reset, allowed=True):
    return Decision(allowed, limit, remaining, reset, None if allowed else reset,
                    Policy(name, limit, window))


def test_headers_name_every_policy_and_the_tightest_limit():
    result = headers([decision("account", 120, 60, 3, 31), decision("submit", 20, 3600, 17, 3000)])
    assert result == {
        "RateLimit-Policy": '"account";q=120;w=60, "submit";q=20;w=3600',
        "RateLimit": '"account";r=3;t=31',
    }


def test_headers_on_a_tie_point_at_the_longer_wait():
    result = headers([decision("account", 120, 60, 19, 31), decision("submit", 20, 3600, 19, 3000)])
    assert result["RateLimit"] == '"submit";r=19;t=3000'


def test_headers_when_denied_add_retry_after_matching_the_window():
    result = headers([
        decision("account", 120, 60, 87, 31),
        decision("submit", 20, 3600, 0, 1800, allowed=False),
    ])
    assert result == {
        "RateLimit-Policy": '"account";q=120;w=60, "submit";q=20;w=3600',
        "RateLimit": '"submit";r=0;t=1800',
        "Retry-After": "1800",
    }


def test_headers_for_nothing_are_empty():
    assert headers([]) == {}


def test_headers_from_real_decisions(limiter):
    policy = Policy("t_headers", limit=2, window=60)
    key = unique_key()
    limiter.hit(policy, key)
    limiter.hit(policy, key)
    result = headers([limiter.hit(policy, key)])
    assert result["RateLimit-Policy"] == '"t_headers";q=2;w=60'
    assert result["RateLimit"].startswith('"t_headers";r=0;t=')
    assert result["Retry-After"] == result["RateLimit"].rsplit("t=", 1)[1]


# ---------------------------------------------------------------- which policies apply

IP = "203.0.113.7"
RESIDENT = Identity("r-1", roles=frozenset({"resident"}), verified=True, trust=1)
NEWCOMER = Identity("r-2", roles=frozenset({"resident"}), verified=True, trust=0)
UNVERIFIED = Identity("r-3", roles=frozenset({"resident"}), verified=False, trust=2)
HELPER = Identity("r-4", roles=frozenset({"resident"}), verified=True, trust=2)
AMBASSADOR = Identity("r-5", roles=frozenset({"resident"}), verified=True, trust=3)
INTEGRATION = Identity("apikey:k-1", roles=frozenset({"integration"}), verified=True, trust=2)


@pytest.mark.parametrize("method, path, identity, expected", [
    ("GET", "/api/v1/appeals", None, [("anonymous", f"ip:{IP}")]),
    ("GET", "/api/v1/appeals", RESIDENT, [("account", "acct:r-1")]),
    ("GET", "/api/v1/appeals/a-1", NEWCOMER, [("new_account", "acct:r-2")]),
    ("GET", "/api/v1/categories", UNVERIFIED, [("new_account", "acct:r-3")]),
    ("POST", "/api/v1/auth/login", None, [("auth", f"ip:{IP}")]),
    ("POST", "/api/v1/auth/refresh", RESIDENT, [("auth", f"ip:{IP}")]),
    ("POST", "/api/v1/auth", None, [("auth", f"ip:{IP}")]),
    ("GET", "/api/v1/authors", None, [("anonymous", f"ip:{IP}")]),  # not an auth endpoint
    ("POST", "/api/v1/appeals", RESIDENT, [("account", "acct:r-1"), ("submit", "acct:r-1")]),
    ("post", "/api/v1/appeals/", RESIDENT, [("account", "acct:r-1"), ("submit", "acct:r-1")]),
    ("POST", "/api/v1/appeals", NEWCOMER,
     [("new_account", "acct:r-2"), ("submit_low_trust", "acct:r-2")]),
    ("POST", "/api/v1/appeals", UNVERIFIED,
     [("new_account", "acct:r-3"), ("submit_low_trust", "acct:r-3")]),
    ("POST", "/api/v1/appeals", None,
     [("anonymous", f"ip:{IP}"), ("submit_low_trust", f"ip:{IP}")]),
    ("POST", "/api/v1/appeals/a-1/comments", RESIDENT, [("account", "acct:r-1")]),
    # trust 2 and 3 (earned by gamification levels 3 and 5; integrations) loosen the limits
    ("GET", "/api/v1/appeals", HELPER, [("trusted_account", "acct:r-4")]),
    ("POST", "/api/v1/appeals", AMBASSADOR,
     [("trusted_account", "acct:r-5"), ("submit_trusted", "acct:r-5")]),
    ("POST", "/api/v1/appeals", INTEGRATION,
     [("trusted_account", "acct:apikey:k-1"), ("submit_trusted", "acct:apikey:k-1")]),
])

def test_choose_policies(method, path, identity, expected):
    assert choose_policies(method, path, identity, IP) == expected


def test_trusted_quotas_are_looser_than_the_ordinary_ones():
    assert DEFAULT_POLICIES["trusted_account"].limit > DEFAULT_POLICIES["account"].limit
    assert DEFAULT_POLICIES["submit_trusted"].limit > DEFAULT_POLICIES["submit"].limit


@pytest.mark.parametrize("ip, key", [
    ("198.51.100.4", "ip:198.51.100.4"),
    ("2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff::1", "ip:2001:db8:1:2::/64"),
    ("::ffff:198.51.100.4", "ip:198.51.100.4"),
    (None, "ip:unknown"),
    ("", "ip:unknown"),
    ("not-an-ip", "ip:not-an-ip"),
])
def test_client_keys(ip, key):
    assert client_key(ip) == key


# ---------------------------------------------------------------- config

EXAMPLE = """
RATE_LIMITS:
  anonymous: {limit: 60, window: 60}
  account: {limit: 120, window: 60}
  new_account: {limit: 30, window: 60}
  auth: {limit: 10, window: 60}
  submit: {limit: 20, window: 3600}
  submit_low_trust: {limit: 3, window: 3600}
  trusted_account: {limit: 240, window: 60}
  submit_trusted: {limit: 60, window: 3600}
"""


def test_policies_from_the_documented_config():
    policies = policies_from_config(yaml.safe_load(EXAMPLE))
    assert policies["account"] == Policy("account", 120, 60)
    assert policies["submit_low_trust"] == Policy("submit_low_trust", 3, 3600)
    assert policies == DEFAULT_POLICIES


def test_policies_default_and_merge():
    assert policies_from_config({}) == DEFAULT_POLICIES
    assert policies_from_config({"RATE_LIMITS": None}) == DEFAULT_POLICIES
    policies = policies_from_config({"RATE_LIMITS": {
        "auth": {"limit": 5}, "submit": {"limit": "40", "window": 7200},
        "exports": {"limit": 2, "window": 60},
    }})
    assert policies["auth"] == Policy("auth", 5, 60)
    assert policies["submit"] == Policy("submit", 40, 7200)
    assert policies["exports"] == Policy("exports", 2, 60)
    assert policies["account"] == DEFAULT_POLICIES["account"]


@pytest.mark.parametrize("raw, message", [
    ([1, 2], "RATE_LIMITS must be a mapping"),
    ({"auth": 10}, "RATE_LIMITS.auth must be a mapping"),
    ({"auth": {"limit": 0}}, "limit must be a positive integer"),
    ({"auth": {"limit": -3}}, "limit must be a positive integer"),
    ({"auth": {"limit": "ten"}}, "RATE_LIMITS.auth.limit must be an integer"),
    ({"auth": {"limit": 1.5}}, "RATE_LIMITS.auth.limit must be an integer"),
    ({"auth": {"limit": True}}, "RATE_LIMITS.auth.limit must be an integer"),
    ({"auth": {"window": 0}}, "window must be a positive integer"),
    ({"auth": {"window": 60_000_000}}, "window must be at most"),
    ({"auth": {"limt": 10}}, "unknown keys ['limt']"),
    ({"exports": {"limit": 2}}, "needs both limit and window (missing window)"),
    ({"Bad Name": {"limit": 2, "window": 1}}, "policy name 'Bad Name'"),
])
def test_bad_config_is_a_clear_value_error(raw, message):
    with pytest.raises(ValueError) as caught:
        policies_from_config({"RATE_LIMITS": raw})
    assert message in str(caught.value)


# ---------------------------------------------------------------- the gate


def test_gate_counts_a_request_and_reports_it(prefix):
    gate = RateLimitGate.from_config({
        "REDIS_URL": REDIS_URL, "RATE_LIMITS_PREFIX": prefix,
        "RATE_LIMITS": {"submit": {"limit": 2, "window": 3600}},
    })
    resident = Identity(f"r-{uuid.uuid4().hex}", roles=frozenset({"resident"}), verified=True)

    allowed, decisions, result_headers = gate.check("POST", "/api/v1/appeals", IP, resident)
    assert allowed
    assert [d.policy.name for d in decisions] == ["account", "submit"]
    assert result_headers["RateLimit-Policy"] == '"account";q=120;w=60, "submit";q=2;w=3600'
    assert result_headers["RateLimit"] == '"submit";r=1;t=3600'

    assert gate.check("POST", "/api/v1/appeals", IP, resident).allowed
    denied = gate.check("POST", "/api/v1/appeals", IP, resident)
    assert not denied.allowed
    assert denied.violated_policies == ["submit"]
    assert 3500 < denied.retry_after <= 3600
    assert denied.headers["Retry-After"] == str(denied.retry_after)

    reads = gate.check("GET", "/api/v1/appeals", IP, resident)  # reads still flow
    assert reads.allowed
    assert reads.headers["RateLimit"] == '"account";r=117;t=60'  # the refused submit cost none


def test_gate_without_redis_url_serves_from_process():
    gate = RateLimitGate.from_config({"REDIS_URL": "", "RATE_LIMITS": {"auth": {"limit": 2}}})
    verdicts = [gate.check("POST", "/api/v1/auth/login", IP, None).allowed for _ in range(3)]
    assert verdicts == [True, True, False]
    assert gate.limiter.backend == "local"


def test_disabled_gate_lets_everything_through():
    gate = RateLimitGate.from_config({"RATE_LIMITS_ENABLED": "false"})
    assert gate.check("POST", "/api/v1/auth/login", IP, None) == (True, [], {})
