"""Revoked means revoked within seconds: every verifier refuses access tokens that accounts has
revoked since it signed them, long before they expire.

An access token carries its session (``sid``, the refresh-token family) and the account's
*auth version* (``ver``) at signing. Accounts raises the version whenever what a token says
about the account stops being true (roles or body changed, blocked, unblocked, deleted, every
session signed out by a password reset) and revokes a session at sign-out or on refresh-token
reuse; each is published through its outbox as ``hromada.account.access_revoked.v1``.

Every process that verifies tokens (the gateway, and each service through
:class:`~hromada_common.caller.CallerProvider`) runs one :class:`RevocationFeed`: an exclusive,
auto-deleted queue of its own bound to that event (a broadcast: every process hears every
revocation, unlike a service's shared subscription queue) feeding an in-memory
:class:`RevocationList`. A token is refused if its session is revoked or its version is below
the account's newest known one.

Only the last ``ACCESS_TOKEN_TTL`` (+ leeway) matters: a token signed before an older
revocation has expired anyway, so entries are forgotten then and memory stays small.

**Start-up.** Events published before the queue was bound never reach it. So the feed then
loads once, by RPC, what accounts revoked within the token lifetime
(``accounts.revocations()``, retried until it answers). Until it has, a token signed before
the queue was bound cannot be judged and is refused as *unavailable* (503, retry), never
accepted; tokens signed after are judged by the events alone. After a broker outage the feed
binds again and reloads the same snapshot, judging meanwhile by what it knew (no revocation
can be published while the broker is down).
"""
from __future__ import annotations

import logging
import threading
import time
import uuid

from nameko.extensions import SharedExtension

from .errors import Unavailable
from .events import ACCOUNT_ACCESS_REVOKED

log = logging.getLogger(__name__)

ACCESS_REVOKED = ACCOUNT_ACCESS_REVOKED
SNAPSHOT_SERVICE_CONFIG_KEY = "TOKEN_REVOCATION_SNAPSHOT"
"""The service answering ``revocations()`` at start (default ``accounts``). Empty: no
snapshot, judge by the events heard since start only (tests that run no accounts service)."""
DEFAULT_TTL = 900
CLOCK_MARGIN = 5
"""Seconds of clock difference between accounts (``iat``) and a verifier tolerated when deciding
whether a token was signed after the feed started listening."""


class RevocationList:
    """What this process knows about revoked sessions and auth versions (thread-safe)."""

    def __init__(self, ttl: int = DEFAULT_TTL, leeway: int = 60, clock=time.time,
                 needs_snapshot: bool = True):
        self.ttl = ttl
        self.leeway = leeway
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, float] = {}  # sid -> forget after (epoch seconds)
        self._versions: dict[str, tuple[int, float]] = {}  # account -> (version, forget after)
        self.listening_since: float | None = None
        self.snapshot_loaded = not needs_snapshot

    # ------------------------------------------------------------------- feeding it

    def _forget_at(self, at: float) -> float:
        return at + self.ttl + self.leeway

    def revoke_session(self, session_id: str, at: float) -> None:
        with self._lock:
            self._sessions[session_id] = max(self._sessions.get(session_id, 0),
                                             self._forget_at(at))

    def raise_version(self, account_id: str, version: int, at: float) -> None:
        with self._lock:
            known, forget = self._versions.get(account_id, (-1, 0))
            if version >= known:
                self._versions[account_id] = (version, max(forget, self._forget_at(at)))

    def apply(self, data: dict) -> None:
        """Apply one ``access_revoked`` event's data."""
        at = _epoch(data["at"])
        if data.get("session_id"):
            self.revoke_session(data["session_id"], at)
        if data.get("auth_version") is not None:
            self.raise_version(data["account_id"], int(data["auth_version"]), at)
        self._sweep()

    def load_snapshot(self, snapshot: dict) -> None:
        """Apply accounts' ``revocations()`` answer and mark the list complete."""
        for account_id, version, at in snapshot.get("accounts", ()):
            self.raise_version(account_id, int(version), _epoch(at))
        for session_id, at in snapshot.get("sessions", ()):
            self.revoke_session(session_id, _epoch(at))
        with self._lock:
            self.snapshot_loaded = True
        self._sweep()

    def status(self) -> str:
        """``ok`` once this process can judge every token (the start-up snapshot is in);
        ``loading`` before: readiness probes report it, so no load balancer sends requests
        that would be answered 503 meanwhile."""
        with self._lock:
            return "ok" if self.snapshot_loaded else "loading"

    def mark_listening(self) -> None:
        """The broadcast queue is bound: every revocation from now on will arrive."""
        with self._lock:
            if self.listening_since is None:
                self.listening_since = self._clock()

    def _sweep(self) -> None:
        now = self._clock()
        with self._lock:
            for sid in [s for s, until in self._sessions.items() if until <= now]:
                del self._sessions[sid]
            for account in [a for a, (_v, until) in self._versions.items() if until <= now]:
                del self._versions[account]

    # -------------------------------------------------------------------- judging

    def check(self, claims: dict) -> None:
        """Raise Unauthenticated for a revoked token, Unavailable for one that cannot be judged
        yet; return quietly otherwise."""
        from .auth import Unauthenticated

        session_id = claims.get("sid")
        account_id = str(claims.get("sub"))
        with self._lock:
            revoked_session = session_id is not None and session_id in self._sessions
            known = self._versions.get(account_id)
            complete = self.snapshot_loaded
            since = self.listening_since
        if revoked_session:
            raise Unauthenticated("this session was signed out; sign in again")
        if known is not None and int(claims.get("ver") or 0) < known[0]:
            raise Unauthenticated("the account changed since this token was issued (roles, "
                                  "block or sign-out); refresh it or sign in again")
        if not complete:
            issued = claims.get("iat") or 0
            if since is None or issued < since + CLOCK_MARGIN:
                raise Unavailable("token revocations are still loading; retry in a few seconds",
                                  extra={"retry_after": 2})


def _epoch(value) -> float:
    from datetime import datetime

    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value)).timestamp()


class RevocationFeed(SharedExtension):
    """One per container: the broadcast queue that keeps :attr:`revocations` current, and the
    start-up snapshot. Declare it as a sub-extension (``revocations = RevocationFeed()``) of
    whatever verifies tokens and pass :attr:`revocations` to the verifier."""

    _revocations: RevocationList | None = None

    @property
    def snapshot_service(self) -> str | None:
        return self.container.config.get(SNAPSHOT_SERVICE_CONFIG_KEY, "accounts") or None

    @property
    def revocations(self) -> RevocationList:
        """The list this feed keeps current (made on first use: the extensions' ``setup``
        runs in no particular order, and the verifier's may come first)."""
        if self._revocations is None:
            config = self.container.config
            self._revocations = RevocationList(
                ttl=int(config.get("ACCESS_TOKEN_TTL") or DEFAULT_TTL),
                needs_snapshot=self.snapshot_service is not None)
        return self._revocations

    def setup(self):
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.revocations  # noqa: B018 - made now, before any worker runs
        self.queue_name = (f"hromada.revocations.{self.container.service_name}."
                           f"{uuid.uuid4().hex[:12]}")
        self._running = False
        self._snapshot_wanted = threading.Event()

    def start(self):
        self._running = True
        self._thread = self.container.spawn_managed_thread(
            self._consume_forever, identifier=f"{self.container.service_name}.revocation_feed")
        if self.snapshot_service:
            self._snapshot_thread = self.container.spawn_managed_thread(
                self._load_snapshots, identifier=f"{self.container.service_name}.revocation_snapshot")

    def stop(self):
        self._running = False
        self._snapshot_wanted.set()
        for name in ("_thread", "_snapshot_thread"):
            thread = getattr(self, name, None)
            if thread is not None:
                thread.kill()

    kill = stop

    def _consume_forever(self):
        from kombu import Connection, Queue

        from .events import InvalidEvent, parse_event
        from .messaging.topology import events_exchange

        failures = 0
        while self._running:
            try:
                with Connection(self.amqp_uri, heartbeat=30) as connection:
                    queue = Queue(self.queue_name, exchange=events_exchange,
                                  routing_key=ACCESS_REVOKED, exclusive=True, auto_delete=True,
                                  durable=False)

                    def on_message(body, message):
                        try:
                            _envelope, data = parse_event(body, ACCESS_REVOKED)
                            self.revocations.apply(data)
                        except (InvalidEvent, KeyError, ValueError, TypeError) as exc:
                            log.error("ignored a malformed %s: %s", ACCESS_REVOKED, exc)
                        message.ack()

                    with connection.Consumer(queue, callbacks=[on_message], accept=["json"]):
                        self.revocations.mark_listening()
                        self._snapshot_wanted.set()  # anything published while unbound
                        if failures:
                            log.info("revocation feed of %s listening again",
                                     self.container.service_name)
                        failures = 0
                        while self._running:
                            try:
                                connection.drain_events(timeout=1)
                            except TimeoutError:
                                connection.heartbeat_check()
            except Exception as exc:  # noqa: BLE001 - outlive broker restarts
                failures += 1
                if self._running:
                    log.warning("revocation feed of %s lost the broker (%s: %s); reconnecting",
                                self.container.service_name, type(exc).__name__, exc)
                    time.sleep(min(10.0, 0.5 * 2 ** min(failures, 5)))

    def _load_snapshots(self):
        from nameko.standalone.rpc import ClusterRpcProxy

        failures = 0
        while self._running:
            self._snapshot_wanted.wait()
            if not self._running:
                return
            self._snapshot_wanted.clear()
            try:
                with ClusterRpcProxy(self.container.config, timeout=5) as cluster:
                    snapshot = getattr(cluster, self.snapshot_service).revocations()
                self.revocations.load_snapshot(snapshot)
                failures = 0
            except Exception as exc:  # noqa: BLE001 - accounts may start after us
                failures += 1
                if failures == 1 or failures % 10 == 0:
                    log.warning("%s cannot load token revocations from %s yet (%s: %s); "
                                "tokens older than this process are refused meanwhile",
                                self.container.service_name, self.snapshot_service,
                                type(exc).__name__, exc)
                time.sleep(min(5.0, 0.2 * 2 ** min(failures, 5)))
                self._snapshot_wanted.set()

