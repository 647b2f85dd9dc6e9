"""Queues exist before anything is published: an event for a subscriber that has never run
waits in its queue instead of being dropped."""
from datetime import datetime, timezone

from hromada_common import events as ev
from hromada_common.messaging.topology import SUBSCRIPTIONS, Subscription, all_subscriptions
from hromada_common.testing.helpers import publish_events, queue_depth


def submitted_event():
    return ev.make_event(ev.APPEAL_SUBMITTED, {
        "appeal_id": "t-1", "appeal_version": 1, "title": "t", "description": "d",
        "category": "roads.surface.pothole",
        "location": {"lat": 50.45, "lon": 30.52, "address": "a"}, "channel": "web",
        "author_id": "r", "submitted_at": datetime(2026, 11, 28, 10, tzinfo=timezone.utc),
    }, source="/hromada/intake", subject="t-1")


def test_event_published_before_its_consumer_ever_started_waits_in_the_queue(
        make_amqp_uri, rabbit_admin):
    amqp_uri, vhost = make_amqp_uri("topology")  # a vhost nothing has ever touched
    publish_events(amqp_uri, [submitted_event()])
    assert queue_depth(amqp_uri, f"routing.{ev.APPEAL_SUBMITTED}") == 1
    # and every subscription got its retry and dead-letter queues
    for subscription in all_subscriptions((1, 1, 1)):
        assert queue_depth(amqp_uri, subscription.dead_letter_queue_name) == 0


def test_event_nobody_subscribes_to_lands_in_unrouted_not_nowhere(make_amqp_uri, rabbit_admin):
    amqp_uri, vhost = make_amqp_uri("unrouted")
    assert SUBSCRIPTIONS[ev.ACCOUNT_TRUST_CHANGED] == ()
    event = ev.make_event(ev.ACCOUNT_TRUST_CHANGED, {
        "account_id": "acc-1", "trust_level": 0, "reason": "three rejected appeals",
        "at": datetime(2026, 11, 28, 10, tzinfo=timezone.utc),
    }, source="/hromada/accounts", subject="acc-1")
    publish_events(amqp_uri, [event])
    assert queue_depth(amqp_uri, "hromada.unrouted") == 1


def test_subscription_queue_names():
    subscription = Subscription("routing", ev.APPEAL_SUBMITTED, (1, 5))
    assert subscription.queue_name == "routing.hromada.appeal.submitted.v1"
    assert [q.name for q in subscription.retry_queues()] == [
        "routing.hromada.appeal.submitted.v1.retry.1s", "routing.hromada.appeal.submitted.v1.retry.5s"]
    assert subscription.retry_queues()[1].queue_arguments["x-dead-letter-routing-key"] == \
        subscription.queue_name
