"""Benchmark of the resident leaderboards: top 100 at 1,000,000 residents, target < 20 ms.

    .venv/bin/python bench/leaderboards.py                       # 1,000,000 residents
    .venv/bin/python bench/leaderboards.py --residents 50000     # while developing
    .venv/bin/python bench/leaderboards.py --keep                # keep the seeded database…
    .venv/bin/python bench/leaderboards.py --database-url URL    # …and time it again

What it does, on a throwaway PostgreSQL database (gamification migrated to head) and a
throwaway vhost:

1. COPY ``--residents`` residents spread over ``--districts`` districts for one period: their
   totals city-wide and in their district for the month, their all-time totals (the level on
   the board comes from them) and their public profiles (one in five shown by name); ANALYZE
   (skipped with ``--database-url`` of a database a ``--keep`` run left seeded);
2. time top-100 boards (city-wide and per district, first page and a deeper page):
   (a) in process: the repository's ``board`` query alone, and the whole use case
       ``residents.leaderboard_residents`` (input checks, query, public names, levels), cold
       (no cache) and warm (the service's board cache, ``LEADERBOARD_CACHE_SECONDS``);
   (b) through the running gamification service (a nameko container in a child process,
       gamification's own config.yml) over nameko RPC with ``ClusterRpcProxy``, as the gateway
       calls it — cold (the service started with ``LEADERBOARD_CACHE_SECONDS=0``) and warm
       (the default TTL);
   (c) through the gateway over HTTP (the gateway container in a child process, as
       ``deploy/launcher.py`` starts it, rate limits off): ``GET
       /api/v1/leaderboards/residents?period=…`` on a kept-alive connection, cold and warm;
   plus the floor of (b) and (c): a call that touches no database (``badge_catalogue``,
   ``GET /api/v1/badges``), to tell the transport's cost from the board's;
3. print p50/p95/p99 in ms against the target, with the machine's load average before and
   after. Results: printed, and JSON in bench/results/.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.infra import (  # noqa: E402
    DEFAULT_AMQP_URI, DEFAULT_POSTGRES, create_databases, drop_databases, run_label,
    throwaway_vhost,
)

GAMIFICATION_DIR = ROOT / "services" / "gamification"
GATEWAY_DIR = ROOT / "gateway"
RESULTS_DIR = ROOT / "bench" / "results"
TARGET_MS = 20.0
PERIOD = "2026-03"
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    service = sub.add_parser("service", help="(internal) the gamification service process")
    service.add_argument("--database-url", required=True)
    service.add_argument("--amqp-uri", required=True)
    service.add_argument("--key-file", required=True)
    service.add_argument("--cache-seconds", type=float, default=None,
                         help="LEADERBOARD_CACHE_SECONDS (default: config.yml's)")
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--districts", type=int, default=10)
    parser.add_argument("--queries", type=int, default=1000,
                        help="timed calls per measurement (after a warm-up)")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL",
                                                             DEFAULT_POSTGRES))
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", DEFAULT_AMQP_URI))
    parser.add_argument("--keep", action="store_true",
                        help="keep the seeded database (its URL is printed) for --database-url")
    parser.add_argument("--database-url",
                        help="time an existing database a --keep run seeded (no COPY, not "
                             "dropped)")
    return parser.parse_args(argv)


# --- the service process: gamification's real code and config ----------------------------------

def run_service(database_url: str, amqp_uri: str, key_file: str,
                cache_seconds: float | None = None) -> int:
    import warnings

    warnings.filterwarnings("ignore", message="(?s).*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    import yaml
    from nameko.cli.main import setup_yaml_parser
    from nameko.containers import ServiceContainer

    from gamification.service import GamificationService

    setup_yaml_parser()
    with open(GAMIFICATION_DIR / "config.yml") as handle:
        config = yaml.safe_load(handle)
    config.update({"AMQP_URI": amqp_uri, "DATABASE_URL": database_url,
                   "JWT_PUBLIC_KEY_FILE": key_file,
                   # no nomination scan competing with the boards while they are timed
                   "NOMINATION_CHECK_INTERVAL": 86400})
    if cache_seconds is not None:
        config["LEADERBOARD_CACHE_SECONDS"] = cache_seconds
    container = ServiceContainer(GamificationService, config)
    container.start()
    signal.signal(signal.SIGTERM, lambda *_: eventlet.spawn(container.stop))
    print("ready", flush=True)
    container.wait()
    return 0


def start_service(database_url: str, amqp_uri: str, key_file: str,
                  cache_seconds: float | None = None) -> subprocess.Popen:
    command = [sys.executable, __file__, "service", "--database-url", database_url,
               "--amqp-uri", amqp_uri, "--key-file", key_file]
    if cache_seconds is not None:
        command += ["--cache-seconds", str(cache_seconds)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = process.stdout.readline()
    if line.strip() != "ready":
        raise RuntimeError(f"gamification did not start: {line!r}")
    return process


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the gateway process, started as deploy/launcher.py starts it -------------------------------

def start_gateway(amqp_uri: str, key_file: str, port: int) -> subprocess.Popen:
    """``nameko run gateway.service`` on ``port`` with rate limits off (one client asking
    thousands of times a minute is exactly what they stop); returns once it answers HTTP."""
    import http.client

    env = dict(os.environ, AMQP_URI=amqp_uri, GATEWAY_ADDRESS=f"127.0.0.1:{port}",
               JWT_PUBLIC_KEY_FILE=key_file, GATEWAY_RATE_LIMITS="false",
               GATEWAY_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "nameko", "run", "--config", "config.yml", "gateway.service"],
        cwd=GATEWAY_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the gateway exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/v1/badges")
            if connection.getresponse().status == 200:
                connection.close()
                return process
        except OSError:
            pass
        time.sleep(0.3)
    stop(process)
    raise RuntimeError("the gateway did not answer within 60 s")


class HttpClient:
    """GET on one kept-alive connection (as a browser or an app would), JSON decoded."""

    def __init__(self, port: int):
        import http.client

        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str) -> dict:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return json.loads(body)

    def close(self) -> None:
        self.connection.close()


def board_path(params: dict) -> str:
    from urllib.parse import urlencode

    return "/api/v1/leaderboards/residents?" + urlencode(params)


# --- seeding -------------------------------------------------------------------------------------

def pseudonym(n: int) -> str:
    suffix = []
    for _ in range(6):
        n, digit = divmod(n, len(_ALPHABET))
        suffix.append(_ALPHABET[digit])
    return "Мешканець-" + "".join(suffix)


def seed(database_url: str, residents: int, districts: int, rng: random.Random) -> dict:
    """COPY totals and profiles; return the seconds each step took."""
    import psycopg2

    timings = {}
    month_start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    created = datetime.now(timezone.utc).isoformat()
    connection = psycopg2.connect(database_url)
    try:
        started = time.perf_counter()
        with connection, connection.cursor() as cursor:
            totals, profiles = io.StringIO(), io.StringIO()
            for n in range(residents):
                resident = f"bench-{n:09d}"
                district = f"district-{n % districts:02d}"
                # Heavy-tailed activity: most residents have a few points, a few have many.
                month = max(1, int(rng.paretovariate(1.3) * 5))
                ever = month + int(rng.paretovariate(1.2) * 10)
                at = (month_start + timedelta(seconds=rng.randrange(30 * 86400))).isoformat()
                totals.write(f"{PERIOD}\t*\t{resident}\t{month}\t{at}\n"
                             f"{PERIOD}\t{district}\t{resident}\t{month}\t{at}\n"
                             f"all\t*\t{resident}\t{ever}\t{at}\n")
                by_name = n % 5 == 0
                name = f"Мешканка {n}" if by_name else r"\N"
                profiles.write(f"{resident}\t{'name' if by_name else 'pseudonym'}\t{name}\t"
                               f"{pseudonym(n)}\t1\t{created}\t{created}\n")
                if (n + 1) % 200_000 == 0 or n + 1 == residents:
                    totals.seek(0)
                    cursor.copy_expert("COPY resident_totals (period, district, resident_id, "
                                       "points, reached_at) FROM STDIN", totals)
                    profiles.seek(0)
                    cursor.copy_expert("COPY resident_profiles (resident_id, shown_as, "
                                       "display_name, pseudonym, level, created_at, updated_at) "
                                       "FROM STDIN", profiles)
                    totals, profiles = io.StringIO(), io.StringIO()
                    print(f"  {n + 1:,} residents", file=sys.stderr, flush=True)
        timings["copy_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE resident_totals")
            cursor.execute("VACUUM ANALYZE resident_profiles")
        timings["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
    finally:
        connection.close()
    return timings


# --- measuring ------------------------------------------------------------------------------

def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(q):
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {"n": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(ordered[-1] * 1000, 2)}


def timed(call, queries: int, variants: list, warmup: int = 20) -> dict:
    for n in range(warmup):
        call(variants[n % len(variants)])
    samples = []
    for n in range(queries):
        started = time.perf_counter()
        call(variants[n % len(variants)])
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def board_variants(districts: int) -> list[dict]:
    """City-wide and per-district boards, first page and page 5 (ranks 401–500)."""
    variants = [{"period": PERIOD, "limit": 100}, {"period": PERIOD, "limit": 100, "offset": 400}]
    for n in range(districts):
        variants.append({"period": PERIOD, "district": f"district-{n:02d}", "limit": 100})
    return variants


def explain(database_url: str) -> str:
    """The plan of the city-wide board query, to show it walks the index."""
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql

    from gamification.adapters.residents_repo import _board_statement
    from hromada_common.db import make_engine

    statement = _board_statement().params(period=PERIOD, district="*", limit=100, offset=0)
    sql = str(statement.compile(dialect=postgresql.dialect(),
                                compile_kwargs={"literal_binds": True}))
    engine = make_engine(database_url, pool_size=1)
    with engine.connect() as connection:
        plan = connection.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql)).scalars()
        result = "\n".join(plan)
    engine.dispose()
    return result


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(args) -> dict:
    from sqlalchemy.orm import sessionmaker

    from bench.infra import free_port
    from gamification.adapters.orm import inbox, outbox
    from gamification.adapters.residents_cache import DEFAULT_SECONDS, BoardCache
    from gamification.adapters.residents_repo import ResidentsRepository
    from gamification.adapters.uow import GamificationUnitOfWork
    from gamification.service_layer import residents
    from hromada_common.auth import generate_key_pair
    from hromada_common.db import make_engine, normalise_url
    from hromada_common.migrations import upgrade_to_head

    label = run_label()
    db_name = f"bench_boards_{label}"
    results = {"run": label, "started": datetime.now().isoformat(timespec="seconds"),
               "args": {k: v for k, v in vars(args).items() if k != "command"},
               "cpus": os.cpu_count(), "target_ms": TARGET_MS,
               "load_before": load_average(), "cache_seconds": DEFAULT_SECONDS}
    if args.database_url:
        database_url, owned = args.database_url, False
    else:
        (database_url,) = create_databases(args.postgres, [db_name]).values()
        owned = True
    processes = {}
    try:
        upgrade_to_head(str(GAMIFICATION_DIR), normalise_url(database_url))
        if owned:
            print(f"COPY {args.residents:,} residents…", file=sys.stderr, flush=True)
            results["seed"] = seed(database_url, args.residents, args.districts,
                                   random.Random(label))
        results["plan"] = explain(database_url)
        variants = board_variants(args.districts)

        engine = make_engine(database_url, pool_size=2)
        factory = sessionmaker(bind=engine)

        def repository_board(params):
            with factory() as session:
                ResidentsRepository(session).board(params["period"], params.get("district"),
                                                   params["limit"], params.get("offset", 0))

        def use_case(cache):
            def call(params):
                uow = GamificationUnitOfWork(factory, outbox, inbox, "/hromada/gamification")
                board = residents.leaderboard_residents(uow, params, cache=cache)
                assert len(board["items"]) == 100, board
            return call

        print("timing in process…", file=sys.stderr, flush=True)
        results["in_process_repository"] = timed(repository_board, args.queries, variants)
        results["in_process_use_case"] = timed(use_case(None), args.queries, variants)
        results["in_process_use_case_warm"] = timed(
            use_case(BoardCache(DEFAULT_SECONDS)), args.queries, variants)
        engine.dispose()

        with throwaway_vhost(args.amqp_uri, f"boards-{label}") as amqp_uri, \
                tempfile.TemporaryDirectory() as keys:
            key_file = Path(keys) / "jwt-public.pem"
            key_file.write_text(generate_key_pair()[1])
            from nameko.standalone.rpc import ClusterRpcProxy

            port = free_port()
            for mode, seconds in (("cold", 0), ("warm", None)):
                processes["service"] = start_service(database_url, amqp_uri, str(key_file),
                                                     cache_seconds=seconds)
                if "gateway" not in processes:
                    processes["gateway"] = start_gateway(amqp_uri, str(key_file), port)
                print(f"timing over nameko RPC and HTTP ({mode})…", file=sys.stderr,
                      flush=True)
                with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as proxy:
                    def over_rpc(params):
                        board = proxy.gamification.leaderboard_residents(params)
                        assert len(board["items"]) == 100

                    results[f"nameko_rpc_{mode}"] = timed(over_rpc, args.queries, variants)
                    if mode == "cold":
                        # The floor: a call that touches no database, to tell the RPC round
                        # trip (AMQP both ways, a worker) from the board's own cost.
                        results["nameko_rpc_floor"] = timed(
                            lambda _: proxy.gamification.badge_catalogue(), args.queries,
                            [None])
                        results["sample_top3"] = proxy.gamification.leaderboard_residents(
                            {"period": PERIOD, "limit": 3})["items"]
                client = HttpClient(port)
                try:
                    def over_http(params):
                        board = client.get(board_path(params))
                        assert len(board["items"]) == 100

                    results[f"gateway_http_{mode}"] = timed(over_http, args.queries, variants)
                    if mode == "cold":
                        results["gateway_http_floor"] = timed(
                            lambda _: client.get("/api/v1/badges"), args.queries, [None])
                finally:
                    client.close()
                stop(processes.pop("service"))
            stop(processes.pop("gateway"))
    finally:
        for process in processes.values():
            process.kill()
        if owned and not args.keep:
            drop_databases(args.postgres, [db_name])
        elif owned:
            print(f"kept: --database-url {database_url}", file=sys.stderr)
    results["load_after"] = load_average()
    results["ok"] = all(results[k]["p99_ms"] < TARGET_MS for k in (
        "in_process_use_case", "nameko_rpc_warm", "gateway_http_warm"))
    return results


LINES = [
    ("in_process_repository", "(a) repository query"),
    ("in_process_use_case", "(a) use case, cold"),
    ("in_process_use_case_warm", "(a) use case, warm"),
    ("nameko_rpc_cold", "(b) nameko RPC, cold"),
    ("nameko_rpc_warm", "(b) nameko RPC, warm"),
    ("nameko_rpc_floor", "    RPC floor (no database)"),
    ("gateway_http_cold", "(c) gateway HTTP, cold"),
    ("gateway_http_warm", "(c) gateway HTTP, warm"),
    ("gateway_http_floor", "    HTTP floor (GET /badges)"),
]


def render(r: dict) -> str:
    def line(name, s):
        verdict = "within" if s["p99_ms"] < TARGET_MS else "OVER"
        return (f"  {name:<30} n={s['n']} p50={s['p50_ms']} ms p95={s['p95_ms']} ms "
                f"p99={s['p99_ms']} ms max={s['max_ms']} ms ({verdict} {TARGET_MS:.0f} ms at "
                "p99)")

    seed_line = (f"  seed: COPY {r['seed']['copy_s']} s, VACUUM ANALYZE "
                 f"{r['seed']['vacuum_analyze_s']} s" if "seed" in r
                 else "  seed: an existing database (--database-url)")
    return "\n".join([
        f"Resident leaderboards run {r['run']}: {r['args']['residents']:,} residents, "
        f"{r['args']['districts']} districts, top 100, {r['cpus']} CPUs, load average "
        f"{r['load_before']} before, {r['load_after']} after; cold = no cache, warm = "
        f"{r['cache_seconds']:g} s board cache",
        seed_line,
        *(line(title, r[key]) for key, title in LINES if key in r),
        "  top 3: " + ", ".join(f"{i['rank']}. {i['name']} {i['points']}"
                                for i in r["sample_top3"]),
        f"  target: top 100 < {TARGET_MS:.0f} ms at p99 — {'OK' if r['ok'] else 'MISSED'} "
        "(use case cold in process; RPC and gateway warm)",
    ])


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == "service":
        return run_service(args.database_url, args.amqp_uri, args.key_file,
                           args.cache_seconds)
    results = run(args)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"leaderboards-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False))
    print(results["plan"], file=sys.stderr)
    print(render(results))
    print(f"results: {path}")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
