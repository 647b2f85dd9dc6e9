"""Load generation against the gateway, and the listener that sees appeals become assigned.

Plain threads and ``http.client`` keep-alive connections: the benchmark process is not
eventlet-monkeypatched, so its own scheduling does not distort the latencies it measures.
All times are ``time.perf_counter()`` seconds (CLOCK_MONOTONIC, comparable across threads).
"""
from __future__ import annotations

import http.client
import json
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from kombu import Connection, Consumer, Exchange, Queue

STATE_CHANGED = "hromada.appeal.state_changed.v1"


def appeal_payload(number: int, run_label: str) -> dict:
    """A valid pothole appeal in Kyiv; numbers vary the text and position slightly."""
    return {
        "title": f"Bench pothole {number}",
        "description": f"Pothole number {number} filed by benchmark run {run_label}.",
        "category": "roads.surface.pothole",
        "location": {"lat": 50.45 + (number % 100) * 0.0005, "lon": 30.52 + (number % 37) * 0.0005,
                     "address": f"вул. Хрещатик, {number % 200 + 1}"},
        "channel": "web",
    }


@dataclass
class Submission:
    number: int
    started: float  # when the request was (or, open loop, was scheduled to be) sent
    finished: float = 0.0
    status: int = 0
    appeal_id: str | None = None
    error: str | None = None

    @property
    def http_latency(self) -> float:
        return self.finished - self.started


class GatewayClient:
    """One keep-alive HTTP/1.1 connection to the gateway (one per load thread)."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0):
        parts = urlsplit(base_url)
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.connection.connect()
            self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.connection

    def post_json(self, path: str, body: dict) -> tuple[int, dict | None]:
        data = json.dumps(body).encode()
        for attempt in (1, 2):  # the server may have closed an idle keep-alive connection
            connection = self._connect()
            try:
                connection.request("POST", path, body=data, headers=self.headers)
                response = connection.getresponse()
                raw = response.read()
                if response.will_close:
                    self.close()
                return response.status, (json.loads(raw) if raw else None)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def submit(client: GatewayClient, number: int, run_label: str, started: float | None = None,
           path: str = "/api/v1/appeals") -> Submission:
    record = Submission(number, started if started is not None else time.perf_counter())
    try:
        record.status, body = client.post_json(path, appeal_payload(number, run_label))
        if record.status == 201 and body:
            record.appeal_id = body["id"]
        else:
            record.error = f"HTTP {record.status}: {str(body)[:200]}"
    except Exception as exc:  # noqa: BLE001 - a failed request is a result, not a crash
        record.error = f"{type(exc).__name__}: {exc}"
    record.finished = time.perf_counter()
    return record


class AssignedListener:
    """Records when each appeal's ``state_changed`` event with the wanted state arrives.

    Its own thread and its own AMQP connection; an exclusive auto-delete queue bound to the
    events exchange, so it sees what any external subscriber would see.
    """

    def __init__(self, amqp_uri: str, exchange: Exchange | None = None,
                 routing_key: str = STATE_CHANGED, state: str = "assigned"):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.routing_key = routing_key
        self.state = state
        self.received: dict[str, float] = {}
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="assigned-listener", daemon=True)

    def start(self) -> "AssignedListener":
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError(f"listener did not start: {self._error}")
        return self

    def _exchange(self) -> Exchange:
        if self.exchange is not None:
            return self.exchange
        # The platform's own definition (with its alternate-exchange argument): re-declaring
        # an exchange with identical arguments is a no-op.
        from hromada_common.messaging.topology import events_exchange

        return events_exchange

    def _on_message(self, body, message) -> None:
        now = time.perf_counter()
        envelope = json.loads(body) if isinstance(body, (bytes, str)) else body
        if (envelope.get("data") or {}).get("state") == self.state:
            with self.changed:
                self.received.setdefault(envelope["subject"], now)
                self.changed.notify_all()

    def _run(self) -> None:
        try:
            with Connection(self.amqp_uri, heartbeat=0) as connection:
                channel = connection.channel()
                bench_queue = Queue(f"bench-listener-{uuid.uuid4().hex[:8]}",
                                    exchange=self._exchange(), routing_key=self.routing_key,
                                    exclusive=True, auto_delete=True, durable=False)
                with Consumer(channel, queues=[bench_queue], callbacks=[self._on_message],
                              no_ack=True, accept=["json", "application/json"]):
                    self._ready.set()
                    while not self._stop.is_set():
                        try:
                            connection.drain_events(timeout=0.2)
                        except socket.timeout:
                            pass
        except BaseException as exc:  # noqa: BLE001 - surfaced to the caller
            self._error = exc
            self._ready.set()
            with self.changed:
                self.changed.notify_all()

    def wait_for(self, appeal_ids, timeout: float) -> set[str]:
        """Wait until every id has been seen or ``timeout`` passes; return the missing ids."""
        wanted = set(appeal_ids)
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                missing = wanted - self.received.keys()
                remaining = deadline - time.monotonic()
                if not missing or remaining <= 0 or self._error is not None:
                    return missing
                self.changed.wait(min(remaining, 0.5))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        if self._error is not None:
            raise RuntimeError(f"listener failed: {self._error!r}")


def closed_loop(base_url: str, count: int, concurrency: int, run_label: str,
                first_number: int = 0, token: str | None = None) -> list[Submission]:
    """``concurrency`` clients, each sending its next appeal as soon as the last one answered."""
    numbers = queue.Queue()
    for number in range(first_number, first_number + count):
        numbers.put(number)
    results: list[Submission] = []
    lock = threading.Lock()

    def client_loop():
        client = GatewayClient(base_url, token)
        mine = []
        try:
            while True:
                try:
                    number = numbers.get_nowait()
                except queue.Empty:
                    break
                mine.append(submit(client, number, run_label))
        finally:
            client.close()
            with lock:
                results.extend(mine)

    threads = [threading.Thread(target=client_loop, name=f"client-{i}") for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results, key=lambda r: r.number)


@dataclass
class OpenLoopResult:
    submissions: list[Submission]
    max_send_lag: float = 0.0  # how late the generator itself sent a request (s)
    threads: int = 0  # client threads it needed (one per request in flight, at most)


def open_loop(base_url: str, rate: float, seconds: float, run_label: str, first_number: int,
              threads: int = 64, max_threads: int = 2000, token: str | None = None) -> OpenLoopResult:
    """Send ``rate`` appeals per second on a fixed schedule for ``seconds``, whatever the
    latency; each latency is measured from the scheduled send time (no coordinated omission).

    ``threads`` clients start idle; when a request is due and none is idle, another client
    is started (up to ``max_threads``), so a slow platform cannot slow the schedule down.
    """
    total = int(rate * seconds)
    slots: queue.Queue = queue.Queue()
    results: list[Submission] = []
    lags: list[float] = []
    lock = threading.Lock()
    idle = [0]
    pool: list[threading.Thread] = []

    def worker():
        client = GatewayClient(base_url, token)
        mine, my_lags = [], []
        try:
            while True:
                with lock:
                    idle[0] += 1
                slot = slots.get()
                with lock:
                    idle[0] -= 1
                if slot is None:
                    break
                number, due = slot
                my_lags.append(time.perf_counter() - due)
                mine.append(submit(client, number, run_label, started=due))
        finally:
            client.close()
            with lock:
                results.extend(mine)
                lags.extend(my_lags)

    def add_worker():
        thread = threading.Thread(target=worker, name=f"open-{len(pool)}", daemon=True)
        pool.append(thread)
        thread.start()

    for _ in range(threads):
        add_worker()
    time.sleep(0.2)  # let the clients reach slots.get()
    start = time.perf_counter() + 0.1
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        with lock:
            starved = idle[0] <= slots.qsize()  # every idle client already has a slot waiting
        if starved and len(pool) < max_threads:
            add_worker()
        slots.put((first_number + i, due))
    for _ in pool:
        slots.put(None)
    for thread in pool:
        thread.join()
    return OpenLoopResult(sorted(results, key=lambda r: r.number), max(lags, default=0.0),
                          len(pool))
