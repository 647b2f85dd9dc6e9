"""deploy/ops.py against a real RabbitMQ (a throwaway vhost per test) and a real PostgreSQL."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from kombu import Connection, Exchange, Producer, Queue
from sqlalchemy import MetaData, create_engine, insert

from deploy import ops
from hromada_common import events as ev
from hromada_common.db import define_messaging_tables
from hromada_common.messaging.topology import Subscription, declare_topology

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIPTION = Subscription("routing", ev.APPEAL_SUBMITTED)
MAIN = SUBSCRIPTION.queue_name  # routing.hromada.appeal.submitted.v1
DEAD = SUBSCRIPTION.dead_letter_queue_name


def _envelope(number: int) -> dict:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "type": ev.APPEAL_SUBMITTED,
            "source": "/hromada/intake", "subject": f"appeal-{number}",
            "data": {"appeal_id": f"appeal-{number}", "title": "Яма на дорозі"}}


def _dead_letter(amqp_uri: str, count: int, queue: str = DEAD) -> list[dict]:
    """Declare the topology, then park ``count`` messages in ``queue`` the way
    DomainEventHandler does after the last retry (headers included). Published with
    confirms: every message is in the queue when this returns (without them a replay started
    right after could count fewer and replay fewer)."""
    envelopes = [_envelope(n) for n in range(count)]
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        declare_topology(channel)
        producer = Producer(channel, exchange=Exchange(""), serializer="json")
        for envelope in envelopes:
            producer.publish(
                envelope, routing_key=queue, delivery_mode=2,
                headers={"x-hromada-attempt": 4,
                         "x-hromada-error": f"RuntimeError: broke on {envelope['id']}",
                         "x-hromada-traceback": "Traceback (most recent call last):\n  ...",
                         "ce-type": envelope["type"], "ce-id": envelope["id"],
                         "x-death": [{"queue": f"{MAIN}.retry.30s", "reason": "expired",
                                      "count": 1}]},
            )
        channel.close()
    return envelopes


def _depth(amqp_uri: str, queue: str) -> int:
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        _, count, _ = channel.queue_declare(queue=queue, passive=True)
        channel.close()
        return count


def _drain(amqp_uri: str, queue: str) -> list:
    """Every message of ``queue`` (acked), in order: (headers, decoded body)."""
    taken = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        simple = Queue(queue, channel=channel, no_declare=True)
        while (message := simple.get(no_ack=True)) is not None:
            taken.append((message.headers, message.decode()))
        channel.close()
    return taken


@pytest.fixture
def vhost(make_amqp_uri):
    return make_amqp_uri("ops")


@pytest.fixture
def mgmt_uri(rabbit_admin):
    if not rabbit_admin._has_http:
        pytest.skip("RabbitMQ's management API is not enabled here")
    user, password = rabbit_admin.auth
    scheme, hostport = rabbit_admin.base.split("://", 1)
    return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{hostport}"


def test_replay_moves_every_dead_letter_back_to_its_queue_with_attempt_reset(vhost, capsys):
    amqp_uri, _ = vhost
    envelopes = _dead_letter(amqp_uri, 3)
    assert _depth(amqp_uri, DEAD) == 3

    code = ops.main(["dead-letters", "replay", DEAD, "--amqp-uri", amqp_uri])

    assert code == 0
    out = capsys.readouterr().out
    assert f"replayed 3 message(s) from {DEAD} to {MAIN}" in out
    for envelope in envelopes:
        assert envelope["id"] in out
    assert _depth(amqp_uri, DEAD) == 0
    replayed = _drain(amqp_uri, MAIN)
    assert [body for _, body in replayed] == envelopes  # same bodies, same order
    for (headers, body) in replayed:
        assert headers["x-hromada-attempt"] == 0
        assert headers["x-hromada-replayed"] == 1
        assert headers["x-hromada-last-error"] == f"RuntimeError: broke on {body['id']}"
        assert "x-hromada-error" not in headers and "x-hromada-traceback" not in headers
        assert "x-death" not in headers
        assert headers["ce-id"] == body["id"]
    for retry_queue in SUBSCRIPTION.retry_queues():
        assert _depth(amqp_uri, retry_queue.name) == 0


def test_replay_limit_moves_only_that_many_from_the_head(vhost, capsys):
    amqp_uri, _ = vhost
    envelopes = _dead_letter(amqp_uri, 3)

    assert ops.main(["--amqp-uri", amqp_uri, "dead-letters", "replay", DEAD, "--limit", "2"]) == 0

    assert "1 left in" in capsys.readouterr().out
    assert [body for _, body in _drain(amqp_uri, MAIN)] == envelopes[:2]
    assert [body for _, body in _drain(amqp_uri, DEAD)] == envelopes[2:]


def test_replay_counts_a_second_replay(vhost):
    amqp_uri, _ = vhost
    _dead_letter(amqp_uri, 1)
    assert ops.main(["dead-letters", "replay", DEAD, "--amqp-uri", amqp_uri]) == 0
    # The event fails again: the handler parks it with its headers (the replay count kept).
    (headers, body), = _drain(amqp_uri, MAIN)
    with Connection(amqp_uri) as connection:
        Producer(connection.channel(), exchange=Exchange(""), serializer="json").publish(
            body, routing_key=DEAD, headers={**headers, "x-hromada-attempt": 4,
                                             "x-hromada-error": "RuntimeError: again"})
    assert ops.main(["dead-letters", "replay", DEAD, "--amqp-uri", amqp_uri]) == 0
    (headers, _), = _drain(amqp_uri, MAIN)
    assert headers["x-hromada-replayed"] == 2
    assert headers["x-hromada-attempt"] == 0
    assert headers["x-hromada-last-error"] == "RuntimeError: again"


def test_replay_without_a_main_queue_leaves_the_messages_where_they_are(vhost, capsys):
    amqp_uri, _ = vhost
    orphan = "gone.hromada.appeal.submitted.v1.dead"
    with Connection(amqp_uri) as connection:
        Queue(orphan, durable=True)(connection.channel()).declare()
    envelopes = _dead_letter(amqp_uri, 2, queue=orphan)

    assert ops.main(["dead-letters", "replay", orphan, "--amqp-uri", amqp_uri]) == 1

    assert "no queue 'gone.hromada.appeal.submitted.v1'" in capsys.readouterr().err
    assert [body for _, body in _drain(amqp_uri, orphan)] == envelopes


def test_replay_refuses_a_queue_that_is_not_a_dead_letter_queue(vhost, capsys):
    amqp_uri, _ = vhost
    _dead_letter(amqp_uri, 0)
    assert ops.main(["dead-letters", "replay", MAIN, "--amqp-uri", amqp_uri]) == 1
    assert "not a dead-letter queue" in capsys.readouterr().err


def test_show_peeks_without_removing(vhost, mgmt_uri, capsys):
    amqp_uri, name = vhost
    envelopes = _dead_letter(amqp_uri, 3)

    code = ops.main(["--mgmt-uri", mgmt_uri, "--vhost", name, "dead-letters", "show", DEAD,
                     "--limit", "2", "--full"])

    assert code == 0
    out = capsys.readouterr().out
    assert envelopes[0]["id"] in out and envelopes[1]["id"] in out
    assert envelopes[2]["id"] not in out
    assert ev.APPEAL_SUBMITTED in out and "RuntimeError: broke on" in out
    assert "Traceback (most recent call last)" in out  # --full
    assert "2 shown, 1 more" in out
    assert [body for _, body in _drain(amqp_uri, DEAD)] == envelopes  # still all there, in order


def test_dead_letters_lists_every_dead_letter_queue_and_unrouted(vhost, mgmt_uri, capsys):
    amqp_uri, name = vhost
    _dead_letter(amqp_uri, 3)
    args = ["--mgmt-uri", mgmt_uri, "--vhost", name, "dead-letters", "--fail-if-any"]

    # The management API's message counts are refreshed every few seconds.
    deadline = time.monotonic() + 20
    while True:
        code = ops.main(args)
        out = capsys.readouterr().out
        if code == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    assert code == 2, out
    assert "3 message(s) parked" in out
    lines = {line.split()[0]: line.split()[1] for line in out.splitlines()
             if line.startswith(("routing.", "intake.", "hromada."))}
    assert lines[DEAD] == "3"
    assert "hromada.unrouted" in lines
    assert "intake.hromada.appeal.assigned.v1.dead" in lines
    assert not any(queue.endswith(".retry.1s") or queue == MAIN for queue in lines)


def test_outbox_reports_backlog_and_its_age(make_database, capsys):
    from hromada_common.migrations import upgrade_to_head

    url = make_database("ops")
    upgrade_to_head(str(ROOT / "services" / "intake"), url)
    outbox, _ = define_messaging_tables(MetaData())
    now = datetime.now(timezone.utc)
    rows = [(ev.APPEAL_SUBMITTED, now - timedelta(minutes=10), None),
            (ev.APPEAL_SUBMITTED, now - timedelta(minutes=1), None),
            (ev.APPEAL_STATE_CHANGED, now - timedelta(seconds=30), None),
            (ev.APPEAL_SUBMITTED, now - timedelta(hours=1), now - timedelta(minutes=59))]
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.begin() as connection:
        for event_type, created_at, published_at in rows:
            envelope = {"id": str(uuid.uuid4()), "type": event_type}
            connection.execute(insert(outbox).values(
                event_id=envelope["id"], event_type=event_type, payload=envelope,
                created_at=created_at, published_at=published_at))
    engine.dispose()

    assert ops.main(["outbox", "intake", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "intake outbox: 3 unpublished, oldest 10m" in out
    assert "last published 59m" in out
    assert ops.main(["outbox", "intake", "--database-url", url, "--max-age", "60"]) == 2
    assert ops.main(["outbox", "intake", "--database-url", url, "--max-age", "3600"]) == 0


def test_connection_options_follow_the_amqp_uri_and_may_come_after_the_command(monkeypatch):
    monkeypatch.delenv("AMQP_URI", raising=False)
    monkeypatch.delenv("RABBIT_MGMT_URI", raising=False)
    parser = ops.build_parser()

    defaults = ops.Settings.from_args(parser.parse_args(["dead-letters"]))
    assert defaults.vhost == "/"
    assert defaults.mgmt_uri == ops.DEFAULT_MGMT_URI
    assert defaults.amqp_uri == "amqp://guest:guest@127.0.0.1:5672/%2F"

    late = ops.Settings.from_args(parser.parse_args(
        ["dead-letters", "show", DEAD, "--amqp-uri", "amqp://u:p@rabbit:5672/city", "--mgmt-uri",
         "http://u:p@rabbit:15672"]))
    assert late.vhost == "city" and late.mgmt_uri == "http://u:p@rabbit:15672"

    override = ops.Settings.from_args(parser.parse_args(
        ["--vhost", "other", "--amqp-uri", "amqp://u:p@rabbit:5672/city", "queues"]))
    assert override.vhost == "other"
    assert override.amqp_uri == "amqp://u:p@rabbit:5672/other"
