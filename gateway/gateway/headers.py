"""Security and CORS headers, applied once to every response the gateway sends.

- ``X-Content-Type-Options: nosniff`` on every response;
- ``Cache-Control: no-store`` on tokens and personal data (``/api/v1/auth/*``, ``/api/v1/me*``),
  errors included;
- ``Strict-Transport-Security`` when the request came over HTTPS: ``wsgi.url_scheme`` is
  ``https``, or ``X-Forwarded-Proto: https`` was set by a proxy listed in ``TRUSTED_PROXIES``
  (a header from anyone else is ignored: a client could send it over plain HTTP);
- CORS for the origins in ``CORS_ALLOWED_ORIGINS``: the actual response names the origin, and a
  preflight ``OPTIONS`` is answered here (204) for any route, before any entrypoint. Any other
  ``OPTIONS`` is a 204 listing the route's methods in ``Allow``.

Browsers send no cookies to the API (it takes bearer tokens), so credentials are never allowed.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

PERSONAL_PREFIXES = ("/api/v1/auth/", "/api/v1/me")
"""Paths whose answers hold tokens or personal data: no cache may keep them."""
DEFAULT_HSTS_MAX_AGE = 365 * 24 * 3600
PREFLIGHT_MAX_AGE = 600
ALLOWED_REQUEST_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id")
EXPOSED_RESPONSE_HEADERS = (
    "X-Request-Id", "Location", "Link", "Retry-After", "Idempotent-Replayed",
    "RateLimit", "RateLimit-Policy", "WWW-Authenticate", "Content-Disposition",
)


def _listed(value) -> list[str]:
    """A config value given as ``"a, b"`` text (``!raw_env_var``) or as a YAML list."""
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [str(item).strip() for item in items if str(item).strip()]


@dataclass(frozen=True)
class HeaderPolicy:
    """What :func:`secure` adds; built from the gateway's config by :meth:`from_config`."""

    allowed_origins: frozenset[str] = frozenset()
    trusted_proxies: tuple = ()
    hsts_max_age: int = DEFAULT_HSTS_MAX_AGE
    allow_any_origin: bool = field(default=False)

    @classmethod
    def from_config(cls, config: dict) -> "HeaderPolicy":
        origins = [origin.rstrip("/") for origin in _listed(config.get("CORS_ALLOWED_ORIGINS"))]
        proxies = tuple(ipaddress.ip_network(proxy, strict=False)
                        for proxy in _listed(config.get("TRUSTED_PROXIES")))
        max_age = config.get("HSTS_MAX_AGE")
        return cls(
            allowed_origins=frozenset(origin for origin in origins if origin != "*"),
            allow_any_origin="*" in origins,
            trusted_proxies=proxies,
            hsts_max_age=DEFAULT_HSTS_MAX_AGE if max_age in (None, "") else int(max_age),
        )

    def origin_allowed(self, origin: str | None) -> bool:
        return bool(origin) and (self.allow_any_origin or origin in self.allowed_origins)

    def over_https(self, request: Request) -> bool:
        if request.environ.get("wsgi.url_scheme") == "https":
            return True
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        return forwarded == "https" and self._from_trusted_proxy(request.remote_addr)

    def _from_trusted_proxy(self, address: str | None) -> bool:
        if not address or not self.trusted_proxies:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)


def is_preflight(request: Request) -> bool:
    return request.method == "OPTIONS"


def options_response(request: Request, allowed_methods: list[str], policy: HeaderPolicy) -> Response:
    """204 to ``OPTIONS`` on an existing route: ``Allow`` always, and for a CORS preflight from
    an allowed origin the ``Access-Control-Allow-*`` headers (for another origin none, so the
    browser refuses: the API never says who is allowed)."""
    methods = sorted(set(allowed_methods) | {"OPTIONS"})
    response = Response(status=204, headers={"Allow": ", ".join(methods)})
    origin = request.headers.get("Origin")
    wanted = request.headers.get("Access-Control-Request-Method")
    if wanted and policy.origin_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        response.headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_REQUEST_HEADERS)
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    response.vary.add("Origin")
    return response


def secure(response, request: Request, policy: HeaderPolicy):
    """Add the security and CORS headers to ``response`` (any werkzeug response)."""
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    if request.path.startswith(PERSONAL_PREFIXES):
        headers["Cache-Control"] = "no-store"
    if policy.over_https(request):
        headers["Strict-Transport-Security"] = f"max-age={policy.hsts_max_age}; includeSubDomains"
    origin = request.headers.get("Origin")
    if policy.allowed_origins or policy.allow_any_origin:
        response.vary.add("Origin")
    if policy.origin_allowed(origin) and "Access-Control-Allow-Origin" not in headers:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_RESPONSE_HEADERS)
    return response
