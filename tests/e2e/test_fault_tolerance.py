"""Kill routing with SIGKILL in the middle of a stream of appeals, restart it, and check
that every appeal was assigned exactly once."""
import signal
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from .conftest import start_platform
from .helpers import appeal_payload, bearer, submit

pytestmark = pytest.mark.e2e

APPEALS = 150


@pytest.fixture
def fault_platform(make_amqp_uri, make_database, tmp_path_factory):
    platform = start_platform(make_amqp_uri, make_database, tmp_path_factory, "fault")
    yield platform
    platform.stop()


def test_routing_killed_mid_stream_assigns_every_appeal_exactly_once(fault_platform):
    import requests

    from deploy.demo import sign_in

    api = requests.Session()
    api.base = fault_platform.url + "/api/v1"
    api.resident_token = sign_in(fault_platform.url, "resident@demo.hromada")
    submit(api, appeal_payload())
    ids: list[str] = []
    errors: list[str] = []

    def file_appeals(worker: int, count: int):
        session = requests.Session()
        session.base = api.base
        for i in range(count):
            key = f"fault-{worker}-{i}"
            for _attempt in range(5):  # a resident's app retries with the same key
                try:
                    response = session.post(session.base + "/appeals", json=appeal_payload(),
                                            headers={"Idempotency-Key": key,
                                                     **bearer(api.resident_token)}, timeout=30)
                except requests.RequestException as exc:
                    errors.append(str(exc))
                    continue
                if response.status_code in (200, 201):
                    ids.append(response.json()["id"])
                    break
                errors.append(f"{response.status_code} {response.text[:200]}")
                time.sleep(0.5)

    workers = [threading.Thread(target=file_appeals, args=(w, APPEALS // 5)) for w in range(5)]
    for worker in workers:
        worker.start()
    while len(ids) < APPEALS // 3:
        time.sleep(0.05)
    fault_platform.kill("routing", signal.SIGKILL)
    killed_at = len(ids)
    time.sleep(1.0)
    fault_platform.start_process("routing")
    for worker in workers:
        worker.join(timeout=120)
    assert len(ids) == APPEALS, errors
    assert 0 < killed_at < APPEALS

    intake_db = create_engine(fault_platform.database_urls["intake"])
    routing_db = create_engine(fault_platform.database_urls["routing"])
    deadline = time.monotonic() + 90
    while True:
        with intake_db.connect() as connection:
            assigned = connection.execute(text(
                "SELECT count(*) FROM appeals WHERE state = 'assigned' AND id = ANY(:ids)"),
                {"ids": ids}).scalar()
        if assigned == APPEALS or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert assigned == APPEALS
    with intake_db.connect() as connection:
        per_appeal = connection.execute(text(
            "SELECT appeal_id, count(*) FROM appeal_history WHERE state = 'assigned' "
            "AND appeal_id = ANY(:ids) GROUP BY appeal_id"), {"ids": ids}).all()
        versions = set(connection.execute(text(
            "SELECT version FROM appeals WHERE id = ANY(:ids)"), {"ids": ids}).scalars())
    assert len(per_appeal) == APPEALS and {count for _, count in per_appeal} == {1}
    assert versions == {2}
    with routing_db.connect() as connection:
        assignments = connection.execute(text(
            "SELECT count(*) FROM assignments WHERE appeal_id = ANY(:ids)"), {"ids": ids}).scalar()
        unpublished = connection.execute(text(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
    assert assignments == APPEALS and unpublished == 0
    intake_db.dispose()
    routing_db.dispose()


def test_intake_killed_mid_stream_without_keys_files_each_request_at_most_once(fault_platform):
    """No Idempotency-Key: the gateway's per-request key makes a redelivered RPC (intake died
    between its commit and its reply) find the appeal it filed instead of filing another."""
    import requests

    from deploy.demo import sign_in

    base = fault_platform.url + "/api/v1"
    token = sign_in(fault_platform.url, "resident@demo.hromada")
    answers: dict[str, tuple[int, str | None]] = {}  # title -> (status, appeal id)

    def file_appeals(worker: int, count: int):
        session = requests.Session()
        for i in range(count):
            title = f"Яма на дорозі, запит {worker}-{i}"
            try:
                response = session.post(base + "/appeals", json=appeal_payload(title=title),
                                        headers=bearer(token), timeout=30)
            except requests.RequestException:
                answers[title] = (0, None)
                continue
            answers[title] = (response.status_code,
                              response.json().get("id") if response.status_code == 201 else None)

    workers = [threading.Thread(target=file_appeals, args=(w, APPEALS // 5)) for w in range(5)]
    for worker in workers:
        worker.start()
    for share in (5, 3, 2):  # three kills, spread over the stream
        while len(answers) < APPEALS // share:
            time.sleep(0.02)
        fault_platform.kill("intake", signal.SIGKILL)
        time.sleep(0.5)
        fault_platform.start_process("intake")
    for worker in workers:
        worker.join(timeout=180)
    assert len(answers) == APPEALS

    intake_db = create_engine(fault_platform.database_urls["intake"])
    with intake_db.connect() as connection:
        filed = connection.execute(text(
            "SELECT title, array_agg(id::text) FROM appeals WHERE title LIKE 'Яма на дорозі, запит %' "
            "GROUP BY title")).all()
    intake_db.dispose()
    filed = {title: ids for title, ids in filed}
    assert all(len(ids) == 1 for ids in filed.values()), \
        {title: ids for title, ids in filed.items() if len(ids) > 1}
    accepted = {title: appeal_id for title, (status, appeal_id) in answers.items() if status == 201}
    assert accepted, answers
    for title, appeal_id in accepted.items():
        assert filed.get(title) == [appeal_id]
    assert set(filed) <= set(answers)
