"""Benchmark of routing's durable SLA timers: detection lag, burst clearing, exactly once.

    .venv/bin/python bench/sla_timers.py                          # 1,000,000 + 100,000
    .venv/bin/python bench/sla_timers.py --timers 10000 --burst 1000   # while developing
    .venv/bin/python bench/sla_timers.py --queue-version 2   # the vhost's queues on CQv2

What it does, on a throwaway PostgreSQL database (migrated to head) and a throwaway vhost:

1. COPY ``--timers`` pending timers whose fire_at spreads over the next ``--spread-hours``
   (a steady trickle falls due while the benchmark runs: those measure detection lag), then
   VACUUM ANALYZE the table, as a table that grew over days would be;
2. start ``--runners`` runner processes: each is a nameko container with routing's real
   ``UnitOfWorkProvider`` (outbox relay) and ``SlaTimerRunner``, routing's default config;
3. COPY ``--burst`` timers all due within the same second (deadlines cluster, e.g. at the end
   of a working day), ``--burst-lead`` seconds ahead;
4. kill -9 one runner when about a third of the burst has been received, start it again;
5. a listener stands in for the services subscribed to the SLA events: it consumes and
   acknowledges their durable queues (the broker does what it does in production, no extra
   queue), and at the end every timer due before the cut must have been received exactly once
   on its type's first subscriber's queue (by event id and by (appeal, kind)), and the
   database must agree (fired rows = received events, no pending row due before the cut).

Lag is ``received by the subscriber − fire_at``: detection, the claim, the runner's publish
with confirms and delivery. CPU seconds used during the burst by the runners, the broker, the
database's backends and the listener are printed too (the machine has 2 cores). Results: printed, and JSON in bench/results/.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.infra import (  # noqa: E402
    DEFAULT_AMQP_URI, DEFAULT_POSTGRES, RabbitAdmin, create_databases, drop_databases,
    mgmt_uri_for, run_label, throwaway_vhost,
)

ROUTING_DIR = ROOT / "services" / "routing"
RESULTS_DIR = ROOT / "bench" / "results"
SPREAD_BODY, BURST_BODY = "bench_spread", "bench_burst"
BURST_MARK = f'"body": "{BURST_BODY}"'.encode()
FRAME_HEAD, LONGLONG = struct.Struct(">BHI"), struct.Struct(">Q")
BASIC_DELIVER = struct.pack(">HH", 60, 60)
SLA_TYPES = {"hromada.appeal.sla_breached.v1": "breach",
             "hromada.appeal.escalated.v1": "escalation"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    runner = sub.add_parser("runner", help="(internal) one timer runner process")
    runner.add_argument("--database-url", required=True)
    runner.add_argument("--amqp-uri", required=True)
    parser.add_argument("--timers", type=int, default=1_000_000)
    parser.add_argument("--burst", type=int, default=100_000)
    parser.add_argument("--spread-hours", type=float, default=48.0)
    parser.add_argument("--runners", type=int, default=2)
    parser.add_argument("--burst-lead", type=float, default=10.0,
                        help="seconds between inserting the burst and its due time")
    parser.add_argument("--tail", type=float, default=20.0,
                        help="seconds of trickle measured after the burst has cleared")
    parser.add_argument("--no-restart", action="store_true")
    parser.add_argument("--queue-version", type=int, choices=(1, 2),
                        help="apply a policy with this classic queue storage version to every "
                             "queue of the vhost before the topology is declared (default: "
                             "none, the broker's default; RabbitMQ 3.10 defaults to 1)")
    parser.add_argument("--queue-mode", choices=("default", "lazy"),
                        help="the same, with this queue mode (lazy pages messages to disk at "
                             "once)")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL",
                                                             DEFAULT_POSTGRES))
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", DEFAULT_AMQP_URI))
    return parser.parse_args(argv)


# --- the runner process: routing's real code --------------------------------------------

def routing_config() -> dict:
    """routing's config.yml as `nameko run` reads it (``${VAR:default}`` from the
    environment, so ``SLA_BATCH_SIZE=2500 bench/sla_timers.py`` tries another batch size)."""
    import yaml
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with open(ROOT / "services" / "routing" / "config.yml") as handle:
        return yaml.safe_load(handle)


def run_runner(database_url: str, amqp_uri: str) -> int:
    import warnings

    warnings.filterwarnings("ignore", message="(?s).*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    from nameko.containers import ServiceContainer

    from hromada_common.messaging.nameko_ext import UnitOfWorkProvider
    from routing.adapters.orm import inbox, outbox
    from routing.adapters.timer_runner import SlaTimerRunner
    from routing.adapters.uow import RoutingUnitOfWork

    class SlaTimerBenchService:
        """Routing's timer runner and outbox relay, without its RPC and event entrypoints."""

        name = "routing"
        uow = UnitOfWorkProvider(RoutingUnitOfWork, outbox, inbox)
        sla_timers = SlaTimerRunner()

    # routing's own config.yml, pointed at the benchmark's broker and database: the figures
    # then describe the configuration that ships.
    config = routing_config()
    config.update({"AMQP_URI": amqp_uri, "DATABASE_URL": database_url})
    if os.environ.get("BENCH_RUNNER_DEBUG"):  # each batch's timings, on stderr
        import logging

        config.pop("LOGGING", None)
        logging.basicConfig(level=logging.INFO, format=f"%(created).3f {os.getpid()} %(message)s")
        logging.getLogger("routing.service_layer.sla").setLevel(logging.DEBUG)
    container = ServiceContainer(SlaTimerBenchService, config)
    container.start()
    signal.signal(signal.SIGTERM, lambda *_: eventlet.spawn(container.stop))
    print("ready", flush=True)
    container.wait()
    return 0


def start_runner(database_url: str, amqp_uri: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, __file__, "runner", "--database-url", database_url,
         "--amqp-uri", amqp_uri],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    line = process.stdout.readline()
    if line.strip() != "ready":
        raise RuntimeError(f"runner did not start: {line!r}")
    return process


# --- the listener --------------------------------------------------------------------------

class SlaListener:
    """Stands in for the services that subscribe to the SLA events: consumes their queues in a
    thread, acknowledging as they would, and notes when each message arrived.

    No queue of its own: the broker does for the benchmark exactly what it does in production
    (each event enqueued into its subscribers' durable queues, delivered, acknowledged), and the
    events are checked on the queue of the first subscriber of each type. Acks go every
    ``ACK_EVERY`` messages with ``multiple`` (a nameko consumer acks each message: more work
    for the broker than this). Messages are parsed after the run; during it only the event id
    of a burst event is cut out of the body, to count distinct burst events."""

    ACK_EVERY = 500
    PREFETCH = 5000

    def __init__(self, amqp_uri: str):
        from kombu import Connection

        from hromada_common.messaging.topology import SUBSCRIPTIONS, Subscription, events_exchange

        self._kombu = Connection(amqp_uri, heartbeat=0)
        self._channel = self._kombu.channel()  # py-amqp's channel (kombu's pyamqp transport)
        self.connection = self._kombu.connection  # py-amqp's connection, read directly below
        # Declared as the services declare them (idempotent): the queues exist before the
        # first SLA event, whoever starts first.
        events_exchange(self._channel).declare()
        self.queues: dict[str, str | None] = {}  # queue → the event type it checks
        for event_type in SLA_TYPES:
            for n, service in enumerate(SUBSCRIPTIONS[event_type]):
                subscription = Subscription(service, event_type)
                subscription.queue()(self._channel).declare()
                self.queues[subscription.queue_name] = event_type if n == 0 else None
        self._channel.basic_qos(0, self.PREFETCH, False)
        self.raw: list[tuple[bytes, float]] = []  # (body, arrived at) on the checked queues
        self.other_deliveries = 0  # on the other subscribers' queues
        self.burst_received = 0
        self._burst_ids: set[bytes] = set()
        self._unacked = 0
        self._last_tag = None
        self._stop = threading.Event()

    def _deliver(self, checks: bool, body: bytes, delivery_tag: int) -> None:
        if checks:
            self.raw.append((body, time.time()))
            if BURST_MARK in body:
                start = body.find(b'"id": "') + 7
                event_id = body[start:start + 36]
                if event_id not in self._burst_ids:
                    # Distinct events: a batch published again after the kill -9 repeats
                    # its ids.
                    self._burst_ids.add(event_id)
                    self.burst_received += 1
        else:
            self.other_deliveries += 1
        self._unacked += 1
        self._last_tag = delivery_tag
        if self._unacked >= self.ACK_EVERY:
            self._ack()

    def _ack(self):
        if self._unacked:
            self._channel.basic_ack(self._last_tag, multiple=True)
            self._unacked = 0

    def _consume(self):
        """Reads the deliveries' frames straight off the socket.

        py-amqp turns each delivery into three parsed frames, a Message with decoded
        properties and a chain of callbacks: over 100 µs of CPU per message here, which the
        listener would take from the two cores the benchmark measures. This loop cuts out
        the consumer tag, the delivery tag and the body (a few µs); acks go through py-amqp.
        Anything but a delivery (a channel or connection close) stops the run loudly."""
        checks_of = {}
        for queue, checks in self.queues.items():
            checks_of[queue.encode()] = bool(checks)
            # Deliveries arriving while later consumers are set up go through py-amqp.
            self._channel.basic_consume(
                queue=queue, consumer_tag=queue, no_ack=False,
                callback=lambda m, c=bool(checks): self._deliver(
                    c, m.body.encode() if isinstance(m.body, str) else m.body,
                    m.delivery_tag))
        transport = self.connection.transport
        sock = transport.sock
        buffer = bytes(transport._read_buffer)
        sock.settimeout(0.2)
        current = None  # [checks, delivery tag, body size, body parts, bytes so far]
        while not self._stop.is_set():
            try:
                chunk = sock.recv(262_144)
            except socket.timeout:
                self._ack()  # quiet: acknowledge what is left
                continue
            if not chunk:
                raise OSError("the broker closed the listener's connection")
            buffer += chunk
            offset, end = 0, len(buffer)
            while end - offset >= 7:
                frame_type, _channel, size = FRAME_HEAD.unpack_from(buffer, offset)
                if end - offset < size + 8:
                    break
                start = offset + 7
                offset += size + 8
                if frame_type == 1:
                    method = buffer[start:start + 4]
                    if method != BASIC_DELIVER:
                        raise RuntimeError(f"listener got method {method.hex()}: "
                                           f"{buffer[start:start + size]!r}")
                    tag_length = buffer[start + 4]
                    tag = buffer[start + 5:start + 5 + tag_length]
                    (delivery_tag,) = LONGLONG.unpack_from(buffer, start + 5 + tag_length)
                    current = [checks_of[tag], delivery_tag, 0, [], 0]
                elif frame_type == 2:
                    (current[2],) = LONGLONG.unpack_from(buffer, start + 4)
                    if current[2] == 0:
                        self._deliver(current[0], b"", current[1])
                elif frame_type == 3:
                    current[3].append(buffer[start:start + size])
                    current[4] += size
                    if current[4] >= current[2]:
                        self._deliver(current[0], b"".join(current[3]), current[1])
            buffer = buffer[offset:]

    def start(self) -> "SlaListener":
        self._thread = threading.Thread(target=self._consume, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self._kombu.collect()

    @property
    def received(self) -> list[tuple[str, str, str, float, float, bool]]:
        """Every SLA event on the checked queues as (id, appeal, kind, due, arrived, burst)."""
        events = []
        for body, at in self.raw:
            envelope = json.loads(body)
            kind = SLA_TYPES.get(envelope["type"])
            if kind:
                due = datetime.fromisoformat(envelope["data"]["due_at"]).timestamp()
                events.append((envelope["id"], envelope["subject"], kind, due, at,
                               envelope["data"]["body"] == BURST_BODY))
        return events


# --- loading -------------------------------------------------------------------------------

def copy_timers(database_url: str, fire_times, body: str,
                kinds=("breach", "escalation"), vacuum: bool = False) -> float:
    """COPY pending timers (one appeal each); return the seconds it took."""
    import psycopg2

    started = time.perf_counter()
    now = datetime.now(timezone.utc).isoformat()
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            chunk = io.StringIO()
            for n, fire_at in enumerate(fire_times, 1):
                at = fire_at.isoformat()
                chunk.write(f"{uuid.uuid4()}\t{body}\t{kinds[n % len(kinds)]}\t{at}\t{at}"
                            f"\tpending\t1\t{now}\n")
                if n % 100_000 == 0:
                    chunk.seek(0)
                    cursor.copy_expert(COPY_SQL, chunk)
                    chunk = io.StringIO()
            chunk.seek(0)
            cursor.copy_expert(COPY_SQL, chunk)
        if vacuum:
            # A table that grew over days has been vacuumed; one bulk-loaded a second ago has
            # not, and autovacuum would otherwise scan its million rows during the burst.
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) sla_timers")
        else:
            with connection, connection.cursor() as cursor:
                cursor.execute("ANALYZE sla_timers")
    finally:
        connection.close()
    return time.perf_counter() - started


COPY_SQL = ("COPY sla_timers (appeal_id, body, kind, fire_at, due_at, state, generation, "
            "created_at) FROM STDIN")


def queue_policy(queue_version: int | None, queue_mode: str | None) -> dict:
    """The definition of the bench vhost's queue policy ({} for none)."""
    definition: dict = {}
    if queue_version is not None:
        definition["queue-version"] = queue_version
    if queue_mode is not None:
        definition["queue-mode"] = queue_mode
    return definition


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"n": len(ordered), "p50_ms": round(at(0.50) * 1000, 1),
            "p99_ms": round(at(0.99) * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1)}


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def pids_matching(text: str, prefix: str = "") -> list[int]:
    """Processes whose command line starts with ``prefix`` and contains ``text``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    cmdline = handle.read()
            except OSError:
                continue
            if cmdline.startswith(prefix.encode()) and text.encode() in cmdline:
                found.append(int(entry))
    return found


class CpuMeter:
    """CPU seconds used during the burst by the runners, the broker, the database's backends
    and this process (the listener), so a run says where the machine's two cores went."""

    def __init__(self, db_name: str):
        self.db_name = db_name
        self.broker = pids_matching("beam.smp")[:1]
        self.start: dict[str, dict[int, float]] = {}
        self.gone: dict[str, float] = {}

    def _sample(self, runners) -> dict[str, dict[int, float]]:
        # A backend's title is "postgres: <user> <database> <client> <state>"; the runners'
        # command lines name the database too, and are not the database's.
        groups = {"runners": [p.pid for p in runners], "rabbitmq": self.broker,
                  "postgres": pids_matching(self.db_name, prefix="postgres:"),
                  "listener": [os.getpid()]}
        return {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in groups.items()}

    def begin(self, runners) -> None:
        self.start = self._sample(runners)

    def before_kill(self, process) -> None:
        """A killed runner's CPU so far counts too."""
        self.gone["runners"] = self.gone.get("runners", 0.0) + cpu_seconds(process.pid) - \
            self.start["runners"].get(process.pid, 0.0)

    def end(self, runners) -> dict[str, float]:
        now = self._sample(runners)
        return {name: round(sum(cpu - self.start[name].get(pid, 0.0)
                                for pid, cpu in now[name].items()) + self.gone.get(name, 0.0), 1)
                for name in now}


def wait_for(check, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


# --- the run -------------------------------------------------------------------------------

def run(args) -> dict:
    import psycopg2

    from hromada_common.db import normalise_url
    from hromada_common.migrations import upgrade_to_head

    label = run_label()
    db_name = f"bench_sla_{label}"
    results = {"run": label, "started": datetime.now().isoformat(timespec="seconds"),
               "sla_batch_size": int(routing_config()["SLA_BATCH_SIZE"]),
               "args": {k: v for k, v in vars(args).items() if k != "command"},
               "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    (database_url,) = create_databases(args.postgres, [db_name]).values()
    runners: list[subprocess.Popen] = []
    try:
        upgrade_to_head(str(ROUTING_DIR), normalise_url(database_url))
        policy = queue_policy(args.queue_version, args.queue_mode)
        results["queue_policy"] = policy
        vhost = f"sla-{label}"
        with throwaway_vhost(args.amqp_uri, vhost,
                             policies={"hromada-queues": policy} if policy else None) as amqp_uri:
            listener = SlaListener(amqp_uri).start()
            # The trickle: fire_at spreads over the next hours, starting once runners are up.
            lead = 15.0 + args.timers / 40_000  # the COPY and the runners' start
            base = datetime.now(timezone.utc) + timedelta(seconds=lead)
            spread = args.spread_hours * 3600
            rng = random.Random(label)
            print(f"COPY {args.timers} spread timers…", file=sys.stderr, flush=True)
            results["copy_spread_s"] = round(copy_timers(database_url, (
                base + timedelta(seconds=rng.random() * spread) for _ in range(args.timers)),
                SPREAD_BODY, vacuum=True), 1)
            print(f"  {results['copy_spread_s']}s; starting {args.runners} runners…",
                  file=sys.stderr, flush=True)
            runners = [start_runner(database_url, amqp_uri) for _ in range(args.runners)]
            ready_at = datetime.now(timezone.utc)
            results["runners_ready_after_base_s"] = round((ready_at - base).total_seconds(), 1)

            burst_at = datetime.now(timezone.utc) + timedelta(seconds=args.burst_lead)
            burst_due = burst_at + timedelta(seconds=1)
            print(f"COPY {args.burst} burst timers due at {burst_at:%H:%M:%S}…",
                  file=sys.stderr, flush=True)
            results["copy_burst_s"] = round(copy_timers(database_url, (
                burst_at + timedelta(seconds=rng.random()) for _ in range(args.burst)),
                BURST_BODY, kinds=("breach",)), 1)
            # From here (the burst is loaded, not yet due) to the burst's last event.
            meter = CpuMeter(db_name)
            meter.begin(runners)

            def burst_received():
                return listener.burst_received

            restart = None
            if not args.no_restart and runners:
                wait_for(lambda: burst_received() >= args.burst // 3,
                         timeout=args.burst_lead + 120, interval=0.02)
                victim = runners[0]
                meter.before_kill(victim)
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait()
                killed_at = time.time()
                runners[0] = start_runner(database_url, amqp_uri)
                restart = {"killed_after_burst_events": burst_received(),
                           "restarted_in_s": round(time.time() - killed_at, 2)}
                print(f"  kill -9 and restart of runner 1: {restart}", file=sys.stderr,
                      flush=True)
            cleared = wait_for(lambda: burst_received() >= args.burst,
                               timeout=args.burst_lead + 300, interval=0.05)
            results["burst_cpu_s"] = meter.end(runners)
            results["load_average_after_burst"] = os.getloadavg()
            print(f"  burst {'cleared' if cleared else 'NOT cleared'}; {args.tail}s of trickle…",
                  file=sys.stderr, flush=True)
            time.sleep(args.tail)
            cut = datetime.now(timezone.utc) - timedelta(seconds=5)
            time.sleep(3)  # whatever was due before the cut has been delivered by now
            for process in runners:
                process.terminate()
            for process in runners:
                process.wait(30)
            runners = []
            time.sleep(0.5)
            listener.stop()
            # Which policy the broker applied to the subscription queues the burst filled.
            results["queue_policies"] = sorted(set(
                RabbitAdmin(mgmt_uri_for(args.amqp_uri)).queue_policies(f"hromada-bench-{vhost}").values()))

            connection = psycopg2.connect(database_url)
            with connection, connection.cursor() as cursor:
                cursor.execute("SELECT appeal_id, kind, fire_at FROM sla_timers "
                               "WHERE state = 'fired'")
                fired = {(a, k): f for a, k, f in cursor.fetchall()}
                cursor.execute("SELECT count(*) FROM sla_timers WHERE state = 'pending' "
                               "AND fire_at <= %s", (cut,))
                (pending_due,) = cursor.fetchone()
                cursor.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                (unpublished,) = cursor.fetchone()
            connection.close()
    finally:
        for process in runners:
            process.kill()
        drop_databases(args.postgres, [db_name])

    received = listener.received
    ids = [r[0] for r in received]
    timers = [(r[1], r[2]) for r in received]
    # A timer fired twice would show as two event ids for one (appeal, kind). The same event
    # id delivered twice is the relay's at-least-once publish after a crash (kill -9 between
    # the broker's confirm and the relay's commit); consumers drop it by id (their inbox).
    ids_per_timer: dict[tuple[str, str], set[str]] = {}
    for event_id, appeal_id, kind, *_ in received:
        ids_per_timer.setdefault((appeal_id, kind), set()).add(event_id)
    fired_twice = sum(1 for ids_of in ids_per_timer.values() if len(ids_of) > 1)
    redelivered = len(ids) - len(set(ids))
    burst_lags, trickle_lags = [], []
    last_burst = None
    for _, _, _, due, at, burst in received:
        if burst:
            burst_lags.append(at - due)
            last_burst = max(last_burst or at, at)
    # The trickle's lag, split: timers due while the burst's backlog was being cleared wait
    # behind it (claims go in fire_at order), the others show the steady-state lag.
    quiet_lags, behind_burst_lags = [], []
    for _, _, _, due, at, burst in received:
        if not burst and due >= ready_at.timestamp():
            trickle_lags.append(at - due)
            backlog = last_burst is not None and burst_at.timestamp() <= due <= last_burst
            (behind_burst_lags if backlog else quiet_lags).append(at - due)
    seen = set(timers)
    missed = [t for t, fire_at in fired.items() if fire_at <= cut and t not in seen]
    not_fired = [t for t in seen if t not in fired]
    clearing = (last_burst - burst_due.timestamp()) if last_burst else None
    results.update({
        "received": len(received), "fired_in_db": len(fired),
        "timers_fired_twice": fired_twice, "redelivered_same_event_id": redelivered,
        "distinct_events": len(set(ids)),
        "fired_but_not_received": len(missed), "pending_due_before_cut": pending_due,
        "outbox_unpublished_at_end": unpublished, "received_but_not_fired": len(not_fired),
        "restart": restart,
        "trickle_lag": percentiles(trickle_lags),
        "trickle_lag_outside_burst": percentiles(quiet_lags),
        "trickle_lag_behind_burst": percentiles(behind_burst_lags),
        "burst": {"timers": args.burst, "received": len(burst_lags),
                  "clearing_s": round(clearing, 2) if clearing is not None else None,
                  # From the first burst timer falling due to the last event received.
                  "timers_per_s": round(len(burst_lags) / (last_burst - burst_at.timestamp()))
                  if last_burst else None,
                  "lag": percentiles(burst_lags)},
    })
    # Burst events received in each second after the burst fell due: shows the restart's dip
    # and whether the rate was steady (one part of the pipeline saturated) or bursty.
    per_second: dict[int, int] = {}
    for _, _, _, _, at, burst in received:
        if burst:
            second = int(at - burst_at.timestamp())
            per_second[second] = per_second.get(second, 0) + 1
    results["burst"]["received_per_second"] = [per_second.get(n, 0)
                                               for n in range(max(per_second, default=-1) + 1)]
    burst_distinct = len({r[0] for r in received if r[5]})
    results["burst"]["distinct_received"] = burst_distinct
    results["ok"] = (fired_twice == 0 and not missed and pending_due == 0
                     and burst_distinct == args.burst and not not_fired
                     and (redelivered == 0 or restart is not None))
    return results


def render(r: dict) -> str:
    t, b = r["trickle_lag"], r["burst"]
    q, w = r["trickle_lag_outside_burst"], r["trickle_lag_behind_burst"]
    lines = [
        f"SLA timers run {r['run']}: {r['args']['timers']:,} spread + {r['args']['burst']:,} "
        f"burst, {r['args']['runners']} runners, SLA_BATCH_SIZE {r.get('sla_batch_size')}, "
        f"restart: {r['restart']}",
        f"  queue policy: {r.get('queue_policy') or 'none (broker default)'}; in effect on the "
        f"vhost's queues: {r.get('queue_policies')}",
        f"  COPY: spread {r['copy_spread_s']}s, burst {r['copy_burst_s']}s",
        f"  trickle lag (fire_at → received): n={t.get('n')} p50={t.get('p50_ms')} ms "
        f"p99={t.get('p99_ms')} ms max={t.get('max_ms')} ms; outside the burst: "
        f"n={q.get('n')} p50={q.get('p50_ms')} ms p99={q.get('p99_ms')} ms "
        f"max={q.get('max_ms')} ms; due during the burst: n={w.get('n')} "
        f"p99={w.get('p99_ms')} ms",
        f"  burst: {b['received']:,}/{b['timers']:,} received, cleared {b['clearing_s']} s after "
        f"the last was due ({b['timers_per_s']} timers/s); lag p50={b['lag'].get('p50_ms')} ms "
        f"p99={b['lag'].get('p99_ms')} ms",
        f"  exactly once: {r['distinct_events']:,} distinct events received "
        f"({r['received']:,} deliveries), {r['fired_in_db']:,} fired in the database, "
        f"timers fired twice {r['timers_fired_twice']}, same event id redelivered "
        f"{r['redelivered_same_event_id']}, fired but not received "
        f"{r['fired_but_not_received']}, pending and due before the cut "
        f"{r['pending_due_before_cut']}",
        f"  burst events received per second from its due time: {b.get('received_per_second')}",
        f"  CPU seconds from the burst's loading to its last event: {r.get('burst_cpu_s')}; "
        f"load average at start {tuple(round(x, 1) for x in r['load_average_at_start'])}, "
        f"after the burst {tuple(round(x, 1) for x in r.get('load_average_after_burst', ()))}",
        f"  {'OK' if r['ok'] else 'FAILED'}",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == "runner":
        return run_runner(args.database_url, args.amqp_uri)
    results = run(args)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"sla_timers-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    print(render(results))
    print(f"results: {path}")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
