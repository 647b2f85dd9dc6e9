"""Phase C: the same hops as the platform, with no framework — the floor to compare against.

    driver threads ("intake" submit):  INSERT appeal + outbox row, NOTIFY, COMMIT
    intake relay (process "intake"):   outbox → exchange, publisher confirms per batch
    routing consumer (process "routing"): INSERT assignment + outbox row, COMMIT, ack;
                                          its relay publishes ``assigned``
    intake consumer (process "intake"): UPDATE appeal + outbox row (state_changed), COMMIT, ack;
                                        the relay publishes ``state_changed``
    bench listener:                     receives ``state_changed`` → the appeal is assigned

Plain psycopg2 and py-amqp (kombu's transport), one OS thread per consumer worker, one
process per service. Omitted compared with the platform: HTTP, the gateway's RPC hop,
validation, the state-history and processed-events rows, deadline computation. Relays are
woken by PostgreSQL ``NOTIFY`` on commit (the platform wakes its relay in-process).
"""
from __future__ import annotations

import json
import multiprocessing
import os
import queue
import select
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

import amqp
import psycopg2
from kombu import Exchange

from load import AssignedListener, appeal_payload
from profiling import CpuMeter

EXCHANGE = "bench.raw"
SUBMITTED, ASSIGNED, STATE_CHANGED = "raw.appeal.submitted", "raw.appeal.assigned", "raw.appeal.state_changed"
ROUTING_QUEUE, INTAKE_QUEUE = "raw.routing.appeal_submitted", "raw.intake.appeal_assigned"

OUTBOX_DDL = """
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    event_id varchar(36) NOT NULL UNIQUE,
    event_type varchar(120) NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX ix_outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
"""
INTAKE_DDL = OUTBOX_DDL + """
CREATE TABLE appeals (
    id varchar(36) PRIMARY KEY,
    title varchar(200) NOT NULL, description text NOT NULL, category varchar(120) NOT NULL,
    lat double precision NOT NULL, lon double precision NOT NULL, address varchar(500) NOT NULL,
    author_id varchar(64) NOT NULL, channel varchar(32) NOT NULL,
    state varchar(32) NOT NULL, version integer NOT NULL,
    body varchar(64), due_at timestamptz,
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL
);
"""
ROUTING_DDL = OUTBOX_DDL + """
CREATE TABLE assignments (
    appeal_id varchar(36) PRIMARY KEY,
    category varchar(120) NOT NULL, body varchar(64) NOT NULL,
    due_at timestamptz NOT NULL, assigned_at timestamptz NOT NULL
);
"""

RAW_AUTHOR = "bench-raw-author"


def _amqp_params(amqp_uri: str) -> dict:
    parts = urlsplit(amqp_uri)
    return {"host": f"{parts.hostname or '127.0.0.1'}:{parts.port or 5672}",
            "userid": unquote(parts.username or "guest"),
            "password": unquote(parts.password or "guest"),
            "virtual_host": unquote(parts.path[1:]) if len(parts.path) > 1 else "/"}


def _connect_amqp(amqp_uri: str) -> amqp.Connection:
    connection = amqp.Connection(**_amqp_params(amqp_uri), heartbeat=0)
    connection.connect()
    return connection


def declare_topology(amqp_uri: str) -> None:
    connection = _connect_amqp(amqp_uri)
    try:
        channel = connection.channel()
        channel.exchange_declare(EXCHANGE, "topic", durable=True, auto_delete=False)
        for name, key in ((ROUTING_QUEUE, SUBMITTED), (INTAKE_QUEUE, ASSIGNED)):
            channel.queue_declare(name, durable=True, auto_delete=False)
            channel.queue_bind(name, EXCHANGE, key)
    finally:
        connection.close()


def create_schema(database_url: str, ddl: str) -> None:
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(ddl)
    finally:
        connection.close()


def insert_outbox(cursor, event_type: str, subject: str, data: dict) -> None:
    """Record an event (a CloudEvents-shaped envelope) in the transaction of ``cursor``."""
    event_id = str(uuid.uuid4())
    envelope = {"specversion": "1.0", "id": event_id, "type": event_type, "source": "/bench/raw",
                "subject": subject, "time": datetime.now(timezone.utc).isoformat(), "data": data}
    cursor.execute("INSERT INTO outbox (event_id, event_type, payload) VALUES (%s, %s, %s)",
                   (event_id, event_type, json.dumps(envelope)))
    cursor.execute("NOTIFY outbox")


# --- the relay: one per service process ---------------------------------------------------

class BatchConfirmPublisher:
    """Publishes a batch on a confirm-mode channel, then waits once for all the acks."""

    def __init__(self, amqp_uri: str):
        self.connection = _connect_amqp(amqp_uri)
        self.channel = self.connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.next_tag = 1
        self.unconfirmed: set[int] = set()
        self.nacked = 0

    def _settle(self, tag, multiple) -> int:
        settled = {t for t in self.unconfirmed if t <= tag} if multiple else {tag} & self.unconfirmed
        self.unconfirmed -= settled
        return len(settled)

    def _on_ack(self, tag, multiple):
        self._settle(tag, multiple)

    def _on_nack(self, tag, multiple):
        self.nacked += self._settle(tag, multiple)

    def publish_batch(self, messages: list[tuple[str, str]]) -> None:
        for routing_key, body in messages:
            self.channel.basic_publish(
                amqp.Message(body, content_type="application/json", delivery_mode=2),
                exchange=EXCHANGE, routing_key=routing_key)
            self.unconfirmed.add(self.next_tag)
            self.next_tag += 1
        while self.unconfirmed:
            self.connection.drain_events(timeout=10)
        if self.nacked:
            raise RuntimeError(f"broker nacked {self.nacked} messages")

    def close(self):
        self.connection.close()


def relay_forever(database_url: str, amqp_uri: str, stop, batch_size: int = 500) -> None:
    listen = psycopg2.connect(database_url)
    listen.autocommit = True
    listen.cursor().execute("LISTEN outbox")
    work = psycopg2.connect(database_url)
    publisher = BatchConfirmPublisher(amqp_uri)
    try:
        while not stop.is_set():
            with work, work.cursor() as cursor:
                cursor.execute(
                    "SELECT id, event_type, payload FROM outbox WHERE published_at IS NULL "
                    "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED", (batch_size,))
                rows = cursor.fetchall()
                if rows:
                    publisher.publish_batch([(t, json.dumps(p)) for _, t, p in rows])
                    cursor.execute("UPDATE outbox SET published_at = now() WHERE id = ANY(%s)",
                                   ([r[0] for r in rows],))
            if rows:
                continue
            if select.select([listen], [], [], 0.5)[0]:
                listen.poll()
                listen.notifies.clear()
    finally:
        publisher.close()
        work.close()
        listen.close()


# --- the consumers ------------------------------------------------------------------------

def consume_forever(queue_name: str, handle, database_url: str, amqp_uri: str, stop,
                    prefetch: int) -> None:
    """One worker: its own AMQP connection and database connection; ack after commit."""
    database = psycopg2.connect(database_url)
    connection = _connect_amqp(amqp_uri)
    channel = connection.channel()
    channel.basic_qos(0, prefetch, False)

    def on_message(message):
        envelope = json.loads(message.body)
        with database, database.cursor() as cursor:
            handle(cursor, envelope)
        channel.basic_ack(message.delivery_tag)

    channel.basic_consume(queue_name, callback=on_message)
    try:
        while not stop.is_set():
            try:
                connection.drain_events(timeout=0.2)
            except TimeoutError:
                pass
    finally:
        connection.close()
        database.close()


def route_appeal(cursor, envelope: dict) -> None:
    data = envelope["data"]
    now = datetime.now(timezone.utc)
    due_at = now + timedelta(days=3)
    cursor.execute(
        "INSERT INTO assignments (appeal_id, category, body, due_at, assigned_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (appeal_id) DO NOTHING",
        (data["appeal_id"], data["category"], "roads_department", due_at, now))
    insert_outbox(cursor, ASSIGNED, data["appeal_id"], {
        "appeal_id": data["appeal_id"], "body": "roads_department",
        "due_at": due_at.isoformat(), "assigned_at": now.isoformat()})


def apply_assignment(cursor, envelope: dict) -> None:
    data = envelope["data"]
    cursor.execute(
        "UPDATE appeals SET state = 'assigned', version = version + 1, body = %s, due_at = %s, "
        "updated_at = now() WHERE id = %s AND state = 'submitted' RETURNING version",
        (data["body"], data["due_at"], data["appeal_id"]))
    if cursor.fetchone() is not None:
        insert_outbox(cursor, STATE_CHANGED, data["appeal_id"],
                      {"appeal_id": data["appeal_id"], "state": "assigned"})


HANDLERS = {"routing": (ROUTING_QUEUE, route_appeal), "intake": (INTAKE_QUEUE, apply_assignment)}


def service_process(name: str, database_url: str, amqp_uri: str, workers: int, prefetch: int,
                    stop, ready) -> None:
    """A raw "service": ``workers`` consumer threads plus the outbox relay thread."""
    queue_name, handle = HANDLERS[name]
    threads = [threading.Thread(target=relay_forever, args=(database_url, amqp_uri, stop),
                                name=f"{name}-relay")]
    threads += [threading.Thread(target=consume_forever, name=f"{name}-worker-{i}",
                                 args=(queue_name, handle, database_url, amqp_uri, stop, prefetch))
                for i in range(workers)]
    for thread in threads:
        thread.start()
    ready.set()
    for thread in threads:
        thread.join()


# --- the driver ---------------------------------------------------------------------------

@dataclass
class RawSubmission:
    number: int
    started: float
    finished: float
    appeal_id: str


def submit_appeal(cursor, payload: dict) -> str:
    appeal_id = str(uuid.uuid4())
    now = datetime.now(timezone.utc)
    loc = payload["location"]
    cursor.execute(
        "INSERT INTO appeals (id, title, description, category, lat, lon, address, author_id, "
        "channel, state, version, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'submitted', 1, %s, %s)",
        (appeal_id, payload["title"], payload["description"], payload["category"], loc["lat"],
         loc["lon"], loc["address"], RAW_AUTHOR, payload["channel"], now, now))
    insert_outbox(cursor, SUBMITTED, appeal_id, {
        "appeal_id": appeal_id, "appeal_version": 1, "title": payload["title"],
        "description": payload["description"], "category": payload["category"],
        "location": loc, "channel": payload["channel"], "author_id": RAW_AUTHOR,
        "submitted_at": now.isoformat()})
    return appeal_id


def drive_closed_loop(database_url: str, count: int, concurrency: int, run_label: str):
    numbers = queue.Queue()
    for number in range(count):
        numbers.put(number)
    results, lock = [], threading.Lock()

    def client_loop():
        database = psycopg2.connect(database_url)
        mine = []
        try:
            while True:
                try:
                    number = numbers.get_nowait()
                except queue.Empty:
                    break
                started = time.perf_counter()
                with database, database.cursor() as cursor:
                    appeal_id = submit_appeal(cursor, appeal_payload(number, run_label))
                mine.append(RawSubmission(number, started, time.perf_counter(), appeal_id))
        finally:
            database.close()
            with lock:
                results.extend(mine)

    threads = [threading.Thread(target=client_loop) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def run_raw_pipeline(intake_url: str, routing_url: str, amqp_uri: str, count: int,
                     concurrency: int, run_label: str, workers: int, timeout: float) -> dict:
    """Set up schema and topology, start both service processes, drive ``count`` appeals,
    wait for every ``state_changed``; return the raw timings."""
    create_schema(intake_url, INTAKE_DDL)
    create_schema(routing_url, ROUTING_DDL)
    declare_topology(amqp_uri)
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    processes = []
    for name, url in (("intake", intake_url), ("routing", routing_url)):
        ready = context.Event()
        process = context.Process(target=service_process, name=f"raw-{name}",
                                  args=(name, url, amqp_uri, workers, 20, stop, ready))
        process.start()
        if not ready.wait(30):
            raise RuntimeError(f"raw {name} did not start")
        processes.append(process)
    listener = AssignedListener(amqp_uri, exchange=Exchange(EXCHANGE, type="topic", durable=True),
                                routing_key=STATE_CHANGED).start()
    meter = CpuMeter({"raw intake": processes[0].pid, "raw routing": processes[1].pid,
                      "bench (this process)": os.getpid()},
                     {"postgres (this run's databases)": urlsplit(intake_url).path.strip("/").rsplit("_", 1)[0],
                      "rabbitmq (whole broker)": "beam.smp"})
    try:
        meter.start()
        submissions = drive_closed_loop(intake_url, count, concurrency, run_label)
        missing = listener.wait_for([s.appeal_id for s in submissions], timeout)
        cpu = meter.stop()
    finally:
        stop.set()
        listener.stop()
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join()
    return {"submissions": submissions, "assigned_at": dict(listener.received),
            "missing": len(missing), "cpu_seconds": cpu}
