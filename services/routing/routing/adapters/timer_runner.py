"""The SLA timer runner: a nameko extension that fires routing's durable timers.

Everything lives in the database, so the runner keeps no state worth losing: a restarted
instance picks up whatever is due, and any number of routing instances can run it at once
(timers are claimed with ``FOR UPDATE SKIP LOCKED``). The runner publishes a batch's events
itself, on its own confirming channel, and commits the claim only after the broker has
confirmed them all; SLA facts do not go through the outbox (see
``service_layer.sla.fire_due_timers``).

Config (``config.yml``):

``SLA_TIMERS_ENABLED``            run the loop in this instance (default true)
``SLA_WARNING_SHARE``             warn at this share of the allotted time (default 0.75)
``SLA_ESCALATION_DELAY_MINUTES``  grace between breach and escalation (default 0)
``SLA_POLL_INTERVAL``             longest sleep between looks at the table, s (default 0.5)
``SLA_BATCH_SIZE``                timers fired per transaction (default 5000)
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone

from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider

from hromada_common.messaging.nameko_ext import UnitOfWorkProvider
from hromada_common.messaging.relay import ConfirmingPublisher, retry_delay
from hromada_common.messaging.topology import retry_delays_from_config

from ..domain.sla import SlaPolicy
from ..service_layer import sla

log = logging.getLogger(__name__)

# When due timers remain that another runner holds locked, look again this soon.
CONTENDED_RETRY = 0.02
# How long a batch may wait for the broker's confirms. Generous: a batch that times out is
# rolled back and published again, so a too-short limit under load would only add work.
CONFIRM_TIMEOUT = 60.0


def policy_from_config(config: dict) -> SlaPolicy:
    return SlaPolicy(
        warning_share=float(config.get("SLA_WARNING_SHARE", 0.75)),
        escalation_delay=timedelta(minutes=float(config.get("SLA_ESCALATION_DELAY_MINUTES", 0))),
    )


class SlaTimerRunner(DependencyProvider):
    """Fires due SLA timers in a managed thread of the service container.

    Each round fires one batch in one transaction, publishing its events on the runner's own
    confirming channel; after a partial batch it sleeps until the earliest pending
    ``fire_at``, never longer than ``SLA_POLL_INTERVAL`` (timers another instance scheduled
    are seen within that), and is woken at once when this process schedules a nearer timer.
    The worker dependency is the runner itself (for inspection).
    """

    def setup(self):
        config = self.container.config
        self.enabled = str(config.get("SLA_TIMERS_ENABLED", True)).lower() not in (
            "false", "0", "no", "off", "")
        self.poll_interval = float(config.get("SLA_POLL_INTERVAL", 0.5))
        self.batch_size = int(config.get("SLA_BATCH_SIZE", 5000))
        sla.configure(policy_from_config(config))
        # Its own connection: a burst's confirms are awaited here, never on the relay's.
        self.publisher = ConfirmingPublisher(
            config[AMQP_URI_CONFIG_KEY], retry_delays_from_config(config),
            confirm_timeout=CONFIRM_TIMEOUT)
        self.fired_total = 0
        self._wakeup = threading.Event()
        # While a round runs, any scheduled timer must wake the next sleep: infinity.
        self._wake_at = float("inf")
        self._running = False
        self._thread = None

    def _unit_of_work_provider(self) -> UnitOfWorkProvider:
        for dependency in self.container.dependencies:
            if isinstance(dependency, UnitOfWorkProvider):
                return dependency
        raise RuntimeError(f"{self.container.service_name} has no UnitOfWorkProvider")

    def start(self):
        if not self.enabled:
            return
        provider = self._unit_of_work_provider()

        def unit_of_work():
            return provider.uow_class(
                provider.session_factory, provider.outbox, provider.inbox, provider.source,
                on_commit=provider.wake_relay, actor="routing",
            )

        self._uow = unit_of_work
        self._running = True
        sla.add_schedule_listener(self._on_scheduled)
        self._thread = self.container.spawn_managed_thread(
            self._run_forever, identifier=f"{self.container.service_name}.sla_timers"
        )

    def stop(self):
        self._halt()
        if self._thread is not None:
            self._thread.wait()
        self.publisher.close()

    def kill(self):
        self._halt()
        # A batch awaiting confirms fails and rolls back: its rows stay pending.
        self.publisher.close()

    def _halt(self):
        self._running = False
        sla.remove_schedule_listener(self._on_scheduled)
        self._wakeup.set()

    def _on_scheduled(self, fire_at: datetime) -> None:
        if fire_at.timestamp() < self._wake_at:
            self._wakeup.set()

    def _sleep_for(self, next_at: datetime | None) -> float:
        if next_at is None:
            return self.poll_interval
        until_next = (next_at - datetime.now(timezone.utc)).total_seconds()
        if until_next <= 0:
            # Due but not claimable by us: another runner holds it and will commit soon.
            return min(self.poll_interval, CONTENDED_RETRY)
        return min(self.poll_interval, until_next)

    def run_once(self) -> tuple[int, datetime | None]:
        """One round: fire a batch; if it was not full, also read the next fire time."""
        fired = sla.fire_due_timers(self._uow(), self.publisher.publish_serialised_batch,
                                    self.batch_size)
        self.fired_total += fired
        if fired >= self.batch_size:
            return fired, None
        return fired, sla.next_fire_at(self._uow())

    def _run_forever(self):
        failures = 0
        while self._running:
            # Clear before looking: a nearer timer scheduled after this sets it again.
            self._wakeup.clear()
            try:
                fired, next_at = self.run_once()
                failures = 0
            except Exception:  # noqa: BLE001 - the runner must outlive database outages
                if not self._running:
                    break  # killed mid-batch: the rolled-back rows are the next runner's
                failures += 1
                log.exception("SLA timer runner failed (attempt %d)", failures)
                self._wakeup.wait(retry_delay(failures))
                continue
            if fired >= self.batch_size:
                continue  # a full batch: more are due
            delay = self._sleep_for(next_at)
            self._wake_at = time.time() + delay
            self._wakeup.wait(delay)
            self._wake_at = float("inf")

    def get_dependency(self, worker_ctx):
        return self
