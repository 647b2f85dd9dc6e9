"""The nameko side of authentication: who is calling this worker.

``caller = CallerProvider()`` on a service gives each worker an object whose
:meth:`Caller.identity` verifies the access token that came in the call's context data, with
this service's own copy of the public key. Services use it to re-check every state-changing
call themselves.
"""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from .auth import AUTH_CONTEXT_KEY, Identity, TokenVerifier, Unauthenticated, verifier_from_config
from .revocation import RevocationFeed


class Caller:
    def __init__(self, token: str | None, verifier: TokenVerifier):
        self._token = token
        self._verifier = verifier
        self._identity: Identity | None = None

    def identity(self) -> Identity | None:
        """The verified caller, or None for an anonymous call. Raises on a bad token."""
        if self._token is None:
            return None
        if self._identity is None:
            self._identity = self._verifier.verify(self._token)
        return self._identity

    def revocations_status(self) -> str:
        """``ok`` when this process can tell revoked tokens from valid ones, else ``loading``
        (health checks include it: see :meth:`RevocationList.status`)."""
        revocations = getattr(self._verifier, "revocations", None)
        return "ok" if revocations is None else revocations.status()

    def require(self) -> Identity:
        identity = self.identity()
        if identity is None:
            raise Unauthenticated("sign in first")
        return identity


class CallerProvider(DependencyProvider):
    """Verifies the caller's token with this service's public key and refuses revoked ones
    (its :class:`~hromada_common.revocation.RevocationFeed`, one per container)."""

    revocation_feed = RevocationFeed()

    def setup(self):
        self.verifier = verifier_from_config(self.container.config,
                                             revocations=self.revocation_feed.revocations)

    def get_dependency(self, worker_ctx):
        return Caller(worker_ctx.context_data.get(AUTH_CONTEXT_KEY), self.verifier)
