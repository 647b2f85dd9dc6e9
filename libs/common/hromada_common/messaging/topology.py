"""The broker topology, declared before anything is published.

One durable topic exchange, ``hromada.events``, carries every domain event with the event
type as routing key (``hromada.appeal.submitted.v1``). Each internal subscription gets a
durable queue ``<service>.<event type>`` plus its retry queues and a dead-letter queue.
External subscribers bind their own queues to the same exchange (see docs/events.md).

Events no queue is bound to are not dropped: the exchange's alternate exchange routes them to
``hromada.unrouted`` (bounded), where operators can see them.

Every publisher and every consumer declares the whole table at start (declarations are
idempotent), so a queue exists before the first event for it is published, whichever process
happens to start first.
"""
from __future__ import annotations

from dataclasses import dataclass

from kombu import Exchange, Queue

from .. import events as ev

EVENTS_EXCHANGE_NAME = "hromada.events"
UNROUTED_EXCHANGE_NAME = "hromada.unrouted"
UNROUTED_QUEUE_NAME = "hromada.unrouted"
UNROUTED_MAX_LENGTH = 100_000

DEFAULT_RETRY_DELAYS = (1, 5, 30)
"""Seconds to wait before each retry of a failed handler; after the last, dead-letter."""

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    ev.APPEAL_SUBMITTED: ("routing",),
    ev.APPEAL_ASSIGNED: ("intake", "gamification"),
    ev.APPEAL_STATE_CHANGED: ("accounts", "routing", "feedback", "gamification"),
    ev.APPEAL_TAKEN: ("intake", "gamification"),
    ev.APPEAL_RESOLVED: ("intake", "gamification"),
    ev.APPEAL_DEADLINE_CHANGED: ("intake", "gamification"),
    ev.SLA_WARNING: ("accounts",),
    ev.SLA_BREACHED: ("gamification",),
    ev.APPEAL_ESCALATED: ("intake", "accounts"),
    ev.APPEAL_CONFIRMED: ("intake", "gamification"),
    ev.APPEAL_REWORK_REQUESTED: ("intake", "gamification"),
    ev.APPEAL_ARCHIVED: ("intake", "gamification"),
    ev.APPEAL_RATED: ("gamification",),
    ev.APPEAL_COMMENTED: ("accounts",),
    ev.CONFIRMATION_REMINDER_DUE: ("accounts",),
    ev.APPEAL_SUPPORTED: ("accounts",),
    ev.APPEAL_SUPPORT_WITHDRAWN: ("accounts",),
    ev.PORTAL_FEEDBACK_ANSWERED: ("accounts", "gamification"),
    ev.TAXONOMY_PUBLISHED: ("intake",),
    ev.ACCOUNT_STATUS_CHANGED: ("intake",),
    ev.ACCOUNT_TRUST_CHANGED: (),
    ev.ACCOUNT_DELETED: ("intake", "gamification"),
    ev.ACCOUNT_ROLES_CHANGED: (),
    # every token verifier hears it on a broadcast queue of its own (hromada_common.revocation)
    ev.ACCOUNT_ACCESS_REVOKED: (),
    ev.POINTS_AWARDED: (),
    ev.BADGE_AWARDED: ("accounts",),
    ev.LEVEL_REACHED: ("accounts",),
    ev.NOMINATION_CREATED: (),
    ev.NOMINATION_DECIDED: (),
    ev.REWARD_GRANTED: ("accounts",),
    ev.REWARD_DELIVERED: (),
}
"""Event type → the services that consume it. The source of truth for queue declarations."""

events_exchange = Exchange(
    EVENTS_EXCHANGE_NAME,
    type="topic",
    durable=True,
    arguments={"alternate-exchange": UNROUTED_EXCHANGE_NAME},
)
unrouted_exchange = Exchange(UNROUTED_EXCHANGE_NAME, type="fanout", durable=True)


@dataclass(frozen=True)
class Subscription:
    """The queues behind one service's subscription to one event type."""

    service: str
    event_type: str
    retry_delays: tuple[int, ...] = DEFAULT_RETRY_DELAYS

    @property
    def queue_name(self) -> str:
        return f"{self.service}.{self.event_type}"

    @property
    def dead_letter_queue_name(self) -> str:
        return f"{self.queue_name}.dead"

    def retry_queue_name(self, delay: int) -> str:
        return f"{self.queue_name}.retry.{delay}s"

    def queue(self) -> Queue:
        return Queue(
            self.queue_name,
            exchange=events_exchange,
            routing_key=self.event_type,
            durable=True,
            auto_delete=False,
        )

    def retry_queues(self) -> list[Queue]:
        # A message waits out the queue's TTL, then RabbitMQ dead-letters it through the
        # default exchange back onto the main queue: a delay without any timer of ours.
        return [
            Queue(
                self.retry_queue_name(delay),
                durable=True,
                auto_delete=False,
                queue_arguments={
                    "x-message-ttl": delay * 1000,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": self.queue_name,
                },
            )
            for delay in self.retry_delays
        ]

    def dead_letter_queue(self) -> Queue:
        return Queue(self.dead_letter_queue_name, durable=True, auto_delete=False)


def all_subscriptions(retry_delays: tuple[int, ...] = DEFAULT_RETRY_DELAYS) -> list[Subscription]:
    return [
        Subscription(service, event_type, retry_delays)
        for event_type, services in SUBSCRIPTIONS.items()
        for service in services
    ]


def declare_topology(channel, retry_delays: tuple[int, ...] = DEFAULT_RETRY_DELAYS) -> None:
    """Declare exchanges and every subscription's queues on a kombu channel."""
    unrouted_exchange(channel).declare()
    Queue(
        UNROUTED_QUEUE_NAME,
        exchange=unrouted_exchange,
        durable=True,
        queue_arguments={"x-max-length": UNROUTED_MAX_LENGTH},
    )(channel).declare()
    events_exchange(channel).declare()
    for subscription in all_subscriptions(retry_delays):
        subscription.queue()(channel).declare()
        for retry_queue in subscription.retry_queues():
            retry_queue(channel).declare()
        subscription.dead_letter_queue()(channel).declare()


def retry_delays_from_config(config: dict) -> tuple[int, ...]:
    delays = config.get("EVENT_RETRY_DELAYS") or DEFAULT_RETRY_DELAYS
    return tuple(int(d) for d in delays)
