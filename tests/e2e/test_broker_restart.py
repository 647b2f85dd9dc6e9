"""Restart RabbitMQ under a stream of appeals: every process rides it out.

The platform runs against a RabbitMQ node of the test's own (tests/e2e/rabbit_node.py; never
the machine's shared broker). Residents file appeals through the gateway's HTTP API the whole
time, retrying with the same Idempotency-Key as an app does; the node is stopped and started
again in the middle. Afterwards every process is still running, the gateway is ready again
within 30 s of the broker coming back, every appeal the API accepted is assigned exactly
once, and no outbox row is left unpublished.
"""
from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from deploy.launcher import SERVICES

from . import rabbit_node
from .conftest import start_platform
from .helpers import appeal_payload, bearer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not rabbit_node.available(),
                       reason="needs rabbitmq-server and rabbitmqctl on this machine"),
]

WRITERS = 4
BEFORE_STOP = 40  # appeals accepted before the broker goes down
AFTER_RESTART = 40  # and after it is back
OUTAGE = 4.0  # seconds the broker stays down
READY_WITHIN = 30.0  # seconds, after the broker is back (docs/operations.md)


@pytest.fixture
def node(tmp_path_factory):
    node = rabbit_node.RabbitNode(tmp_path_factory.mktemp("rabbit"))
    node.start()
    yield node
    node.stop()
    node.kill()


@pytest.fixture
def restart_platform(node, make_database, tmp_path_factory):
    def own_broker(label):
        return node.amqp_uri, f"{label}-{uuid.uuid4().hex[:8]}"

    platform = start_platform(own_broker, make_database, tmp_path_factory, "brokerrestart")
    yield platform
    platform.stop()


def ready(platform) -> bool:
    import requests

    try:
        return requests.get(platform.url + "/ready", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def dead_processes(platform) -> dict[str, int]:
    return {name: process.returncode for name, process in platform.processes.items()
            if process.poll() is not None}


def test_a_broker_restart_takes_nothing_down(restart_platform, node):
    import requests

    from deploy.demo import sign_in

    platform = restart_platform
    token = sign_in(platform.url, "resident@demo.hromada")
    accepted: dict[str, str] = {}  # Idempotency-Key → appeal id
    failures: list[str] = []
    lock = threading.Lock()
    halt = threading.Event()

    def file_appeals(writer: int):
        session = requests.Session()
        number = 0
        while not halt.is_set():
            key = f"restart-{writer}-{number}"
            number += 1
            while not halt.is_set():  # the app retries the same request until it is answered
                try:
                    response = session.post(platform.url + "/api/v1/appeals",
                                            json=appeal_payload(),
                                            headers={"Idempotency-Key": key, **bearer(token)},
                                            timeout=30)
                except requests.RequestException as exc:
                    failures.append(f"{key}: {exc}")
                    time.sleep(0.2)
                    continue
                if response.status_code in (200, 201):
                    with lock:
                        accepted[key] = response.json()["id"]
                    break
                failures.append(f"{key}: {response.status_code} {response.text[:200]}")
                time.sleep(0.2)

    def wait_for_accepted(count: int, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while len(accepted) < count:
            assert time.monotonic() < deadline, (len(accepted), failures[-5:])
            time.sleep(0.05)

    intake_db = create_engine(platform.database_urls["intake"])
    with intake_db.connect() as connection:
        appeals_before = connection.execute(text("SELECT count(*) FROM appeals")).scalar()
    writers = [threading.Thread(target=file_appeals, args=(w,), daemon=True)
               for w in range(WRITERS)]
    for writer in writers:
        writer.start()
    try:
        wait_for_accepted(BEFORE_STOP)
        node.stop()
        stopped_with = len(accepted)
        time.sleep(OUTAGE)
        node.start()
        back_at = time.monotonic()
        while not ready(platform):
            assert not dead_processes(platform), dead_processes(platform)
            assert time.monotonic() - back_at < READY_WITHIN, \
                f"/ready not true within {READY_WITHIN}s of the broker's return"
            time.sleep(0.2)
        wait_for_accepted(len(accepted) + AFTER_RESTART)
    finally:
        halt.set()
        for writer in writers:
            writer.join(timeout=60)

    assert not dead_processes(platform), dead_processes(platform)
    assert stopped_with >= BEFORE_STOP
    ids = sorted(set(accepted.values()))
    assert len(ids) == len(accepted)  # one appeal per request, whatever the retries

    routing_db = create_engine(platform.database_urls["routing"])
    try:
        deadline = time.monotonic() + 120
        while True:
            with intake_db.connect() as connection:
                assigned = connection.execute(text(
                    "SELECT count(*) FROM appeals WHERE state = 'assigned' AND id = ANY(:ids)"),
                    {"ids": ids}).scalar()
            if assigned == len(ids) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert assigned == len(ids)
        with intake_db.connect() as connection:
            per_appeal = connection.execute(text(
                "SELECT appeal_id, count(*) FROM appeal_history WHERE state = 'assigned' "
                "AND appeal_id = ANY(:ids) GROUP BY appeal_id"), {"ids": ids}).all()
            filed = connection.execute(text("SELECT count(*) FROM appeals")).scalar()
        assert filed == appeals_before + len(ids)  # no request filed twice
        assert len(per_appeal) == len(ids) and {count for _, count in per_appeal} == {1}
        with routing_db.connect() as connection:
            assignments = connection.execute(text(
                "SELECT count(*) FROM assignments WHERE appeal_id = ANY(:ids)"),
                {"ids": ids}).scalar()
        assert assignments == len(ids)
    finally:
        intake_db.dispose()
        routing_db.dispose()

    # every relay caught up: nothing committed during the outage is left in an outbox
    deadline = time.monotonic() + 60
    while True:
        unpublished = {}
        for service in SERVICES:
            engine = create_engine(platform.database_urls[service])
            with engine.connect() as connection:
                unpublished[service] = connection.execute(text(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
            engine.dispose()
        if not any(unpublished.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not any(unpublished.values()), unpublished
    assert not dead_processes(platform), dead_processes(platform)
    assert ready(platform)
