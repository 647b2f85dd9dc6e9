"""Who is calling: signed access tokens and the identity they carry.

The accounts service issues short-lived access tokens (JWT, RS256): it alone holds the private
key. Every other service and the gateway hold the public key and verify the token themselves,
so no service trusts that the caller was checked upstream. The gateway passes the raw token to
every RPC call in nameko context data (``hromada.auth``); the callee verifies it again.

Claims: ``iss``, ``aud``, ``sub`` (account id), ``iat``, ``exp``, ``jti``, ``typ`` = "access",
``roles``, ``body`` (staff's body code or null), ``status`` ("active" | "blocked"),
``verified`` (email verified), ``trust`` (0 new/low … 3 high), ``scopes`` (integrations),
``sid`` (the sign-in session) and ``ver`` (the account's auth version at signing): a verifier
with a :class:`~hromada_common.revocation.RevocationList` refuses tokens of revoked sessions
and older versions (see :mod:`hromada_common.revocation`).
"""
from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt

from .errors import Forbidden, HromadaError
from nameko.exceptions import deserialize_to_instance

ROLES = ("resident", "executor", "dispatcher", "head", "admin", "integration")
STAFF_ROLES = frozenset({"executor", "dispatcher", "head", "admin"})
MODERATOR_ROLES = frozenset({"dispatcher", "admin"})
ALGORITHMS = ("RS256",)
"""The allow-list: tokens signed any other way (``none``, HS256 with the public key…) fail."""

AUTH_CONTEXT_KEY = "hromada.auth"
ACTOR_CONTEXT_KEY = "hromada.actor"
CLIENT_IP_CONTEXT_KEY = "hromada.client_ip"
"""nameko context data key: the client address the gateway saw (sign-in throttling binds a
lockout to it)."""
DEFAULT_ISSUER = "hromada"
DEFAULT_AUDIENCE = "hromada-api"


@deserialize_to_instance
class Unauthenticated(HromadaError):
    """No valid credentials: missing, expired, tampered or revoked."""

    title = "Unauthenticated"


@deserialize_to_instance
class TooManyRequests(HromadaError):
    """Throttled; ``extra["retry_after"]`` says how many seconds to wait."""

    title = "Too many requests"


@dataclass(frozen=True)
class Identity:
    account_id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    body: str | None = None
    status: str = "active"
    verified: bool = False
    trust: int = 1
    scopes: frozenset[str] = field(default_factory=frozenset)
    session_id: str | None = None
    """The sign-in session (refresh-token family) the token belongs to; None for API keys."""
    auth_version: int | None = None
    """The account's auth version when the token was signed (raised by every role change,
    block, unblock, deletion and sign-out everywhere)."""

    @property
    def actor(self) -> str:
        """How the audit history names this caller."""
        return self.account_id

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def is_moderator(self) -> bool:
        return bool(self.roles & MODERATOR_ROLES)

    @property
    def is_blocked(self) -> bool:
        return self.status != "active"

    def require_role(self, *roles: str) -> "Identity":
        if not self.has_role(*roles):
            raise Forbidden(f"this action needs one of the roles: {', '.join(roles)}")
        return self

    def require_active(self) -> "Identity":
        """Blocked accounts may read, never change anything."""
        if self.is_blocked:
            raise Forbidden("this account is blocked; it can only read")
        return self

    def require_scope(self, scope: str) -> "Identity":
        if "integration" in self.roles and scope not in self.scopes:
            raise Forbidden(f"this API key lacks the scope {scope}")
        return self

    def claims(self) -> dict:
        claims = {"sub": self.account_id, "roles": sorted(self.roles), "body": self.body,
                  "status": self.status, "verified": self.verified, "trust": self.trust,
                  "scopes": sorted(self.scopes)}
        if self.session_id is not None:
            claims["sid"] = self.session_id
        if self.auth_version is not None:
            claims["ver"] = self.auth_version
        return claims


def identity_from_claims(claims: dict) -> Identity:
    return Identity(
        account_id=str(claims["sub"]), roles=frozenset(claims.get("roles") or ()),
        body=claims.get("body"), status=claims.get("status", "active"),
        verified=bool(claims.get("verified")), trust=int(claims.get("trust", 1)),
        scopes=frozenset(claims.get("scopes") or ()), session_id=claims.get("sid"),
        auth_version=claims.get("ver"),
    )


class TokenVerifier:
    """Checks signature (RS256 only), issuer, audience, expiry and token type, and, given a
    :class:`~hromada_common.revocation.RevocationList`, that the token was not revoked."""

    def __init__(self, public_key_pem: str, issuer: str = DEFAULT_ISSUER,
                 audience: str = DEFAULT_AUDIENCE, leeway: int = 5, revocations=None):
        self.public_key = public_key_pem
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.revocations = revocations

    def verify(self, token: str) -> Identity:
        try:
            claims = jwt.decode(
                token, self.public_key, algorithms=list(ALGORITHMS), audience=self.audience,
                issuer=self.issuer, leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the access token has expired; refresh it")
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid access token ({exc.__class__.__name__})")
        if claims.get("typ") != "access":
            raise Unauthenticated("not an access token")
        if self.revocations is not None:
            self.revocations.check(claims)
        return identity_from_claims(claims)


class TokenIssuer:
    """Signs access tokens. Only the accounts service has one."""

    def __init__(self, private_key_pem: str, issuer: str = DEFAULT_ISSUER,
                 audience: str = DEFAULT_AUDIENCE, ttl_seconds: int = 900):
        self.private_key = private_key_pem
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    def issue(self, identity: Identity, now: float | None = None) -> tuple[str, int]:
        now = int(now if now is not None else time.time())
        claims = identity.claims() | {
            "iss": self.issuer, "aud": self.audience, "iat": now,
            "exp": now + self.ttl_seconds, "jti": uuid.uuid4().hex, "typ": "access",
        }
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHMS[0]), self.ttl_seconds


def _read_key(config: dict, name: str) -> str | None:
    value = config.get(name) or os.environ.get(name)
    if value:
        return value.replace("\\n", "\n")
    path = config.get(f"{name}_FILE") or os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text()
    return None


def verifier_from_config(config: dict, revocations=None) -> TokenVerifier:
    """The verifier the config describes; ``revocations`` (a RevocationFeed's list) makes it
    refuse revoked tokens too."""
    key = _read_key(config, "JWT_PUBLIC_KEY")
    if not key:
        raise RuntimeError("set JWT_PUBLIC_KEY or JWT_PUBLIC_KEY_FILE (the accounts service's "
                           "public key) so this service can verify callers")
    return TokenVerifier(key, config.get("JWT_ISSUER") or DEFAULT_ISSUER,
                         config.get("JWT_AUDIENCE") or DEFAULT_AUDIENCE,
                         revocations=revocations)


def issuer_from_config(config: dict) -> TokenIssuer:
    key = _read_key(config, "JWT_PRIVATE_KEY")
    if not key:
        raise RuntimeError("set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE for the accounts service")
    return TokenIssuer(key, config.get("JWT_ISSUER") or DEFAULT_ISSUER,
                       config.get("JWT_AUDIENCE") or DEFAULT_AUDIENCE,
                       int(config.get("ACCESS_TOKEN_TTL", 900)))


def generate_key_pair() -> tuple[str, str]:
    """A fresh RSA key pair as PEM strings ``(private, public)`` (development and tests)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def ensure_key_files(directory: str | Path) -> tuple[Path, Path]:
    """Create ``jwt-private.pem`` / ``jwt-public.pem`` in ``directory`` unless they exist."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / "jwt-private.pem", directory / "jwt-public.pem"
    if not private_path.exists() or not public_path.exists():
        private, public = generate_key_pair()
        private_path.write_text(private)
        private_path.chmod(0o600)
        public_path.write_text(public)
    return private_path, public_path
