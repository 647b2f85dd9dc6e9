"""Rate limits at the gateway: which quotas a request counts against, counting it, and saying so.

Four parts, each usable alone:

* :class:`Policy` / :func:`policies_from_config` — named quotas (``limit`` requests per
  ``window`` seconds) from the ``RATE_LIMITS`` config key, defaults for any name left out.
* :func:`choose_policies` — the pure decision of which policies a request counts against and
  under which partition key (client IP or account id).
* :class:`RateLimiter` — counts hits. Algorithm: a **fixed window per key that starts at the
  key's first hit** (counter + expiry), run as one Lua script in Redis, so concurrent gateways
  and greenthreads cannot over-admit. A request that counts against several policies is
  admitted **all or nothing**: it consumes quota under every policy, or (when any policy
  denies it) under none, so a throttled submit does not also eat the account's read budget.
  Without Redis (no URL, or Redis unreachable or failing) the same algorithm runs in process
  and the gateway keeps serving: it fails *open* to per-process limits, never closed.
* :func:`headers` — the response fields of draft-ietf-httpapi-ratelimit-headers (-11, the
  latest draft; structured fields, RFC 9651), see its docstring.

:class:`RateLimitGate` ties them together for the HTTP layer: one ``check`` per request.
"""
from __future__ import annotations

import heapq
import ipaddress
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Mapping, NamedTuple, Sequence

log = logging.getLogger(__name__)

API = "/api/v1"
AUTH_PATH = f"{API}/auth"
AUTH_PAGES = frozenset({"/signin", "/register", "/verify", "/verify/resend", "/reset",
                        "/reset/confirm"})
"""The portal's forms that do what ``/api/v1/auth`` does: their POSTs share its quota."""
APPEALS_PATH = f"{API}/appeals"
FILING_PAGE = "/file/submit"
"""The portal's filing form: its POST files an appeal, so it shares the submit quotas."""

DEFAULT_PREFIX = "hromada:rl:"
CONFIG_KEY = "RATE_LIMITS"
"""``{policy name: {limit: int, window: int}}``; names left out keep :data:`DEFAULT_POLICIES`."""
ENABLED_CONFIG_KEY = "RATE_LIMITS_ENABLED"
REDIS_URL_CONFIG_KEY = "REDIS_URL"
PREFIX_CONFIG_KEY = "RATE_LIMITS_PREFIX"

ANONYMOUS = "anonymous"
ACCOUNT = "account"
NEW_ACCOUNT = "new_account"
AUTH = "auth"
SUBMIT = "submit"
SUBMIT_LOW_TRUST = "submit_low_trust"
TRUSTED_ACCOUNT = "trusted_account"
SUBMIT_TRUSTED = "submit_trusted"
TRUSTED = 2
"""Trust from which an account gets the looser quotas (docs/accounts.md, Trust levels: 2 for
integrations and residents from gamification level 3, 3 from level 5)."""

_NAME = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")
# Largest window accepted from config: a week. Larger is almost surely a unit mistake (ms).
MAX_WINDOW = 7 * 24 * 3600


@dataclass(frozen=True)
class Policy:
    """A quota: at most ``limit`` requests per ``window`` seconds for one partition key."""

    name: str
    limit: int
    window: int

    def __post_init__(self):
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(f"rate limit policy name {self.name!r} must be 1-64 characters of "
                             "a-z 0-9 _ - starting with a letter")
        for attr, upper in (("limit", None), ("window", MAX_WINDOW)):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"rate limit policy {self.name!r}: {attr} must be a positive "
                                 f"integer, got {value!r}")
            if upper is not None and value > upper:
                raise ValueError(f"rate limit policy {self.name!r}: {attr} must be at most "
                                 f"{upper} seconds, got {value!r}")


DEFAULT_POLICIES: dict[str, Policy] = {
    p.name: p for p in (
        Policy(ANONYMOUS, 60, 60),          # per client IP, unauthenticated requests
        Policy(ACCOUNT, 120, 60),           # per account
        Policy(NEW_ACCOUNT, 30, 60),        # per account with trust 0 or an unverified email
        Policy(AUTH, 10, 60),               # per client IP on /api/v1/auth/*
        Policy(SUBMIT, 20, 3600),           # per account, POST /api/v1/appeals
        Policy(SUBMIT_LOW_TRUST, 3, 3600),  # the same for trust-0 / unverified / anonymous
        Policy(TRUSTED_ACCOUNT, 240, 60),   # per account with trust 2 or 3 (instead of account)
        Policy(SUBMIT_TRUSTED, 60, 3600),   # the same for POST /api/v1/appeals (instead of submit)
    )
}


def _as_int(policy: str, attr: str, value) -> int:
    """An int from config (YAML or an env-substituted string); ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"{CONFIG_KEY}.{policy}.{attr} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError(f"{CONFIG_KEY}.{policy}.{attr} must be an integer, got {value!r}")


def policies_from_config(config: Mapping | None) -> dict[str, Policy]:
    """The policies under ``config["RATE_LIMITS"]`` merged over :data:`DEFAULT_POLICIES`.

    Each entry is ``name: {limit: int, window: int}``; either field may be left out to keep
    its default (for a known name). Unknown names are allowed (for policies the code may use
    later) but must give both fields. Anything malformed raises ``ValueError`` naming the key.
    """
    raw = (config or {}).get(CONFIG_KEY)
    policies = dict(DEFAULT_POLICIES)
    if raw is None:
        return policies
    if not isinstance(raw, Mapping):
        raise ValueError(f"{CONFIG_KEY} must be a mapping of policy name to "
                         f"{{limit, window}}, got {type(raw).__name__}")
    for name, entry in raw.items():
        if not isinstance(entry, Mapping):
            raise ValueError(f"{CONFIG_KEY}.{name} must be a mapping with limit and window, "
                             f"got {entry!r}")
        unknown = set(entry) - {"limit", "window"}
        if unknown:
            raise ValueError(f"{CONFIG_KEY}.{name} has unknown keys {sorted(map(str, unknown))}; "
                             "allowed: limit, window")
        default = DEFAULT_POLICIES.get(name)
        values = {}
        for attr in ("limit", "window"):
            if attr in entry:
                values[attr] = _as_int(name, attr, entry[attr])
            elif default is not None:
                values[attr] = getattr(default, attr)
            else:
                raise ValueError(f"{CONFIG_KEY}.{name} is not a built-in policy, so it needs "
                                 f"both limit and window (missing {attr})")
        policies[str(name)] = Policy(str(name), **values)
    return policies


@dataclass(frozen=True)
class Decision:
    """The verdict of one policy on one request.

    ``remaining``: quota left in the current window after this request (0 when denied).
    ``reset``: whole seconds until the window ends and the full quota is back.
    ``retry_after``: whole seconds (>= 1) to wait when denied; ``None`` when allowed.
    """

    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int | None
    policy: Policy
    key: str = ""


def _ceil_seconds(ms: float) -> int:
    return max(0, math.ceil(ms / 1000))


def _decision(policy: Policy, key: str, allowed: bool, count: int, ttl_ms: float,
              cost: int) -> Decision:
    """``count`` is the counter after the request (before it, when not admitted); ``ttl_ms`` is
    the window's remaining life, negative when the window has not started."""
    reset = _ceil_seconds(ttl_ms) if ttl_ms >= 0 else policy.window
    remaining = max(0, policy.limit - count)
    own_verdict = count + (0 if allowed else cost) <= policy.limit
    retry_after = None
    if not own_verdict:
        remaining = 0
        retry_after = max(1, reset)
    return Decision(own_verdict, policy.limit, remaining, reset, retry_after, policy, key)


# KEYS: one counter per policy. ARGV: cost, then (limit, window_ms) per key.
# Admits all-or-nothing; returns {admitted, count_1, ttl_ms_1, count_2, ttl_ms_2, ...} where
# a ttl of -1 means the window has not started (no hit has been counted yet).
_LUA_HIT = """
local cost = tonumber(ARGV[1])
local n = #KEYS
local counts, ttls = {}, {}
local admitted = 1
for i = 1, n do
  local limit = tonumber(ARGV[2 * i])
  local ttl = redis.call('PTTL', KEYS[i])
  local count = 0
  if ttl >= 0 then
    count = tonumber(redis.call('GET', KEYS[i]) or '0')
  else
    ttl = -1
  end
  counts[i] = count
  ttls[i] = ttl
  if count + cost > limit then admitted = 0 end
end
if admitted == 1 and cost > 0 then
  for i = 1, n do
    if ttls[i] < 0 then
      ttls[i] = tonumber(ARGV[2 * i + 1])
      redis.call('SET', KEYS[i], cost, 'PX', ttls[i])
    else
      redis.call('INCRBY', KEYS[i], cost)
    end
    counts[i] = counts[i] + cost
  end
end
local out = {admitted}
for i = 1, n do
  out[#out + 1] = counts[i]
  out[#out + 1] = ttls[i]
end
return out
"""


class LocalCounter:
    """The Lua script's algorithm in process: thread- and greenthread-safe (the lock is held
    only for dictionary work, so no greenthread switch can happen inside it)."""

    def __init__(self, max_keys: int = 100_000, clock=time.monotonic):
        self._lock = threading.Lock()
        self._windows: dict[str, list] = {}  # key -> [count, expires_at]
        self._max_keys = max_keys
        self._clock = clock
        self._ops = 0

    def hit(self, keys: Sequence[str], limits: Sequence[tuple[int, int]],
            cost: int) -> tuple[bool, list[tuple[int, float]]]:
        with self._lock:
            now = self._clock()
            self._maybe_sweep(now)
            state = []
            admitted = True
            for key, (limit, _window_ms) in zip(keys, limits):
                entry = self._windows.get(key)
                if entry is None or entry[1] <= now:
                    count, ttl_ms = 0, -1.0
                else:
                    count, ttl_ms = entry[0], (entry[1] - now) * 1000
                state.append([count, ttl_ms])
                if count + cost > limit:
                    admitted = False
            if admitted and cost > 0:
                for key, (_limit, window_ms), item in zip(keys, limits, state):
                    if item[1] < 0:
                        self._windows[key] = [cost, now + window_ms / 1000]
                        item[1] = float(window_ms)
                    else:
                        self._windows[key][0] += cost
                    item[0] += cost
            return admitted, [(count, ttl) for count, ttl in state]

    def _maybe_sweep(self, now: float) -> None:
        self._ops += 1
        if self._ops % 1000 and len(self._windows) < self._max_keys:
            return
        for key in [k for k, (_c, expires) in self._windows.items() if expires <= now]:
            del self._windows[key]
        overflow = len(self._windows) - self._max_keys
        if overflow >= 0:  # still full of live windows: forget a tenth, those closest to ending
            for key in heapq.nsmallest(overflow + 1 + self._max_keys // 10, self._windows,
                                       key=lambda k: self._windows[k][1]):
                del self._windows[key]

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()


class RateLimiter:
    """Counts hits per ``(policy, key)``: in Redis when it answers, in process otherwise.

    The Redis key is ``prefix + policy.name + ":" + key``, so policies never share a counter.
    On any Redis error the limiter logs one WARNING, serves from the in-process counter for
    ``retry_interval`` seconds, then tries Redis again (logging INFO when it is back).
    In-process counts are per gateway process and start empty, so during an outage each
    process admits up to the full quota: fail open, never fail closed.
    """

    def __init__(self, redis_url: str | None, prefix: str = DEFAULT_PREFIX, *,
                 socket_timeout: float = 0.25, retry_interval: float = 5.0,
                 local: LocalCounter | None = None):
        self.prefix = prefix
        self.retry_interval = retry_interval
        self.local = local or LocalCounter()
        self._redis = None
        self._script = None
        self._down_until = 0.0
        self._degraded = False
        self._state_lock = threading.Lock()
        if redis_url:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # One immediate retry on a broken pooled connection (a Redis restart); short
            # timeouts so a stuck Redis costs a request a fraction of a second, once.
            self._redis = redis.Redis.from_url(
                redis_url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout,
                retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
            )
            self._script = self._redis.register_script(_LUA_HIT)
        else:
            self._degraded = True
            log.warning("rate limits: no Redis URL configured; counting in process only "
                        "(limits apply per gateway process)")

    @property
    def backend(self) -> str:
        """``"redis"`` or ``"local"``: where the next hit will be counted."""
        return "redis" if self._redis is not None and not self._redis_resting() else "local"

    def hit(self, policy: Policy, key: str, cost: int = 1) -> Decision:
        """Count ``cost`` hits on ``key`` under ``policy`` (0 peeks without counting)."""
        return self.hit_many([(policy, key)], cost)[0]

    def hit_many(self, items: Sequence[tuple[Policy, str]], cost: int = 1) -> list[Decision]:
        """Count one request under several policies at once, all or nothing: if any policy
        denies it, no counter moves. One decision per item, in order."""
        if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0:
            raise ValueError(f"cost must be a non-negative integer, got {cost!r}")
        if not items:
            return []
        keys = [self.redis_key(policy, key) for policy, key in items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"the same policy and key appear twice: {keys}")
        limits = [(policy.limit, policy.window * 1000) for policy, _key in items]
        admitted, state = self._count(keys, limits, cost)
        return [_decision(policy, key, admitted, count, ttl, cost)
                for (policy, key), (count, ttl) in zip(items, state)]

    def close(self) -> None:
        """Drop pooled Redis connections (for a container's ``stop``)."""
        if self._redis is not None:
            self._redis.close()

    def redis_key(self, policy: Policy, key: str) -> str:
        return f"{self.prefix}{policy.name}:{key}"

    def _count(self, keys, limits, cost) -> tuple[bool, list[tuple[int, float]]]:
        if self._redis is not None and not self._redis_resting():
            args = [cost]
            for limit, window_ms in limits:
                args += [limit, window_ms]
            try:
                reply = self._script(keys=keys, args=args)
            except Exception as exc:  # any Redis failure: serve on, from the local counter
                self._redis_failed(exc)
            else:
                self._redis_ok()
                admitted = bool(int(reply[0]))
                state = [(int(reply[i]), float(reply[i + 1])) for i in range(1, len(reply), 2)]
                return admitted, state
        return self.local.hit(keys, limits, cost)

    def _redis_resting(self) -> bool:
        return self._down_until > time.monotonic()

    def _redis_failed(self, exc: Exception) -> None:
        with self._state_lock:
            self._down_until = time.monotonic() + self.retry_interval
            first = not self._degraded
            self._degraded = True
        if first:
            log.warning("rate limits: Redis failed (%s: %s); counting in process until it "
                        "answers again (retrying every %ss)", type(exc).__name__, exc,
                        self.retry_interval)

    def _redis_ok(self) -> None:
        if self._degraded:
            with self._state_lock:
                recovered, self._degraded = self._degraded, False
            if recovered:
                log.info("rate limits: Redis answers again; counting there")


def _sf_string(value: str) -> str:
    """An RFC 9651 sf-string (policy names are validated to need no escapes; belt and braces)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def most_restrictive(decisions: Sequence[Decision]) -> Decision | None:
    """The decision a client must heed: among denials the longest wait; otherwise the lowest
    remaining quota (ties: the longer time to reset)."""
    if not decisions:
        return None
    denied = [d for d in decisions if not d.allowed]
    if denied:
        return max(denied, key=lambda d: (d.retry_after or 0, -d.remaining))
    return min(decisions, key=lambda d: (d.remaining, -d.reset))


def headers(decisions: Sequence[Decision]) -> dict[str, str]:
    """Response header fields for the decisions on one request.

    Format: draft-ietf-httpapi-ratelimit-headers-11 (May 2026, the latest; the same as -08
    to -10), whose fields are RFC 9651 structured fields:

    * ``RateLimit-Policy``: a List of every policy the request counted against, each a
      String item with ``q`` (quota) and ``w`` (window, seconds) parameters, e.g.
      ``"account";q=120;w=60, "submit";q=20;w=3600``.
    * ``RateLimit``: the service limit of the single most restrictive policy (the draft
      allows a List; one item tells the client the one thing that matters and keeps the
      field short), with ``r`` (remaining quota) and ``t`` (seconds until it resets), e.g.
      ``"account";r=87;t=31``.
    * ``Retry-After`` (delay-seconds) only when denied: the longest wait among the denying
      policies, which equals that policy's ``t``, as the draft asks (Retry-After no earlier
      than the end of the effective window).

    The optional ``pk`` (partition key) and ``qu`` (quota unit; the default is "requests")
    parameters are left out: the partition key would echo IPs and account ids back.
    The older draft fields (``RateLimit-Limit``/``-Remaining``/``-Reset``) are not sent.
    """
    if not decisions:
        return {}
    seen, policy_items = set(), []
    for d in decisions:
        if d.policy.name not in seen:
            seen.add(d.policy.name)
            policy = d.policy
            policy_items.append(f"{_sf_string(policy.name)};q={policy.limit};w={policy.window}")
    top = most_restrictive(decisions)
    result = {
        "RateLimit-Policy": ", ".join(policy_items),
        "RateLimit": f"{_sf_string(top.policy.name)};r={top.remaining};t={top.reset}",
    }
    if not top.allowed:
        result["Retry-After"] = str(top.retry_after)
    return result


def retry_after_seconds(exc) -> int:
    """The whole seconds (at least 1) a throttled caller must wait, from a
    ``TooManyRequests``'s ``extra["retry_after"]`` (rounded up; 1 when missing or unusable),
    so every 429 carries an integer in its body and its ``Retry-After``."""
    value = (getattr(exc, "extra", None) or {}).get("retry_after")
    try:
        seconds = math.ceil(float(value))
    except (TypeError, ValueError, OverflowError):
        return 1
    return max(1, min(seconds, MAX_WINDOW))


def client_key(client_ip: str | None) -> str:
    """The partition key for a client address: IPv4 as is, IPv6 by its /64 (one subscriber
    usually holds a whole /64, so per-address keys would be trivially dodged)."""
    if not client_ip:
        return "ip:unknown"
    text = client_ip.strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return f"ip:{text.lower()[:100]}"
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"ip:{address}"


def account_key(identity) -> str:
    return f"acct:{identity.account_id}"


def _low_trust(identity) -> bool:
    return identity.trust <= 0 or not identity.verified


def _trusted(identity) -> bool:
    return identity.trust >= TRUSTED and identity.verified


def _tier(identity, low: str, normal: str, trusted: str) -> str:
    """The policy of the caller's trust: low (0 or unverified), normal (1), trusted (2–3)."""
    if _low_trust(identity):
        return low
    return trusted if _trusted(identity) else normal


def choose_policies(method: str, path: str, identity,
                    client_ip: str | None) -> list[tuple[str, str]]:
    """Which policies a request counts against, as ``(policy name, partition key)`` pairs.

    ``identity`` is a :class:`hromada_common.auth.Identity` or ``None`` (anonymous).

    * ``/api/v1/auth`` and below, and a POST of the portal's sign-in, sign-up, verification
      and reset forms (:data:`AUTH_PAGES`): ``auth`` per client IP, whoever calls (password
      guessing, sign-up spam) — and nothing else.
    * otherwise signed in: ``account`` per account, or ``new_account`` when trust is 0 or
      the email is unverified, or ``trusted_account`` at trust 2–3 (the token's ``trust``
      claim); anonymous: ``anonymous`` per client IP;
    * ``POST /api/v1/appeals`` (and the portal's :data:`FILING_PAGE`) also counts against
      ``submit`` per account, or
      ``submit_low_trust`` when trust is 0 or unverified (and for anonymous callers, per
      IP), or ``submit_trusted`` at trust 2–3.

    Keys name their kind (``ip:…``, ``acct:…``); the limiter prefixes the policy name.
    """
    method = (method or "").upper()
    path = (path or "/").rstrip("/") or "/"
    if (path == AUTH_PATH or path.startswith(AUTH_PATH + "/")
            or (method == "POST" and path in AUTH_PAGES)):
        return [(AUTH, client_key(client_ip))]
    if identity is None:
        chosen = [(ANONYMOUS, client_key(client_ip))]
    else:
        chosen = [(_tier(identity, NEW_ACCOUNT, ACCOUNT, TRUSTED_ACCOUNT),
                   account_key(identity))]
    if method == "POST" and path in (APPEALS_PATH, FILING_PAGE):
        if identity is None:
            chosen.append((SUBMIT_LOW_TRUST, client_key(client_ip)))
        else:
            chosen.append((_tier(identity, SUBMIT_LOW_TRUST, SUBMIT, SUBMIT_TRUSTED),
                           account_key(identity)))
    return chosen


class GateResult(NamedTuple):
    """What :meth:`RateLimitGate.check` found; unpacks as ``allowed, decisions, headers``."""

    allowed: bool
    decisions: list[Decision]
    headers: dict[str, str]

    @property
    def violated_policies(self) -> list[str]:
        """Names of the denying policies (the draft's ``quota-exceeded`` problem member)."""
        return [d.policy.name for d in self.decisions if not d.allowed]

    @property
    def retry_after(self) -> int | None:
        value = self.headers.get("Retry-After")
        return int(value) if value else None


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)


class RateLimitGate:
    """Policies + limiter: the HTTP layer calls :meth:`check` once per request."""

    def __init__(self, policies: Mapping[str, Policy], limiter: RateLimiter | None,
                 enabled: bool = True):
        self.policies = dict(policies)
        self.limiter = limiter
        self.enabled = enabled and limiter is not None

    @classmethod
    def from_config(cls, config: Mapping) -> "RateLimitGate":
        """From ``RATE_LIMITS`` (policies), ``REDIS_URL`` (empty: in-process counting),
        ``RATE_LIMITS_PREFIX`` (Redis key prefix) and ``RATE_LIMITS_ENABLED`` (default on)."""
        policies = policies_from_config(config)
        if not _truthy(config.get(ENABLED_CONFIG_KEY, True)):
            return cls(policies, None, enabled=False)
        limiter = RateLimiter(config.get(REDIS_URL_CONFIG_KEY) or None,
                              prefix=config.get(PREFIX_CONFIG_KEY) or DEFAULT_PREFIX)
        return cls(policies, limiter)

    def close(self) -> None:
        if self.limiter is not None:
            self.limiter.close()

    def check(self, request_method: str, path: str, client_ip: str | None,
              identity=None, cost: int = 1) -> GateResult:
        """Count the request; ``allowed`` False means answer 429 with ``headers``."""
        if not self.enabled:
            return GateResult(True, [], {})
        items = [(self.policies[name], key)
                 for name, key in choose_policies(request_method, path, identity, client_ip)]
        decisions = self.limiter.hit_many(items, cost)
        return GateResult(all(d.allowed for d in decisions), decisions, headers(decisions))


__all__ = [
    "Policy", "DEFAULT_POLICIES", "policies_from_config", "Decision", "RateLimiter",
    "LocalCounter", "headers", "most_restrictive", "choose_policies", "client_key",
    "RateLimitGate", "GateResult", "retry_after_seconds",
]
