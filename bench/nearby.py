"""Benchmark of the nearby-duplicates query: open appeals of one category within 250 m, at
1,000,000 appeals, target p99 < 20 ms.

    .venv/bin/python bench/nearby.py                         # 1,000,000 appeals
    .venv/bin/python bench/nearby.py --appeals 50000         # while developing
    .venv/bin/python bench/nearby.py --keep                  # keep the seeded database…
    .venv/bin/python bench/nearby.py --database-url URL      # …and time it again

What it does, on a throwaway PostgreSQL database (intake migrated to head):

1. seed: ``--appeals`` appeals written straight into intake's ``appeals`` table with one
   ``INSERT … SELECT … FROM generate_series`` (it benchmarks intake's query, not its intake),
   in a Kyiv-sized rectangle: 70 % clustered around 60 hot spots (a normal spread of about
   1 km), the rest uniform; 140 leaf categories of very unequal size (category k takes a
   share ∝ k^-1.2 roughly: the biggest holds about a fifth of all appeals); ``--open-share``
   of them open (submitted, assigned, in_progress, rework), the others resolved, closed,
   archived or rejected; then the 140 categories into intake's taxonomy copy, VACUUM ANALYZE;
2. time ``--queries`` nearby queries at random points (drawn like the appeals: mostly in the
   hot spots, where duplicates are) in random categories (drawn like the appeals: the big ones
   most), after a warm-up:
   (a) the repository's ``nearby_open`` alone (the index range, then the exact distance);
   (b) the whole use case ``handlers.nearby_appeals`` (input checks, the category check, the
       query, ``supported_by_me`` for a signed-in caller, the view), a unit of work each;
3. print p50/p95/p99 in ms against the target, the sizes (rows, open rows, the index's size)
   and ``EXPLAIN (ANALYZE, BUFFERS)`` of the query at the busiest hot spot in the biggest
   category, which shows the partial index ``ix_appeals_open_nearby`` is used. Results:
   printed, and JSON in bench/results/.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path

warnings.filterwarnings("ignore", message="(?s).*Eventlet is deprecated")

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "services" / "intake", ROOT / "libs" / "common"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench.infra import DEFAULT_POSTGRES, create_databases, drop_databases, run_label  # noqa: E402

INTAKE_DIR = ROOT / "services" / "intake"
RESULTS_DIR = ROOT / "bench" / "results"
TARGET_MS = 20.0
CATEGORIES = 140
HOT_SPOTS = 60
BOUNDS = (50.213, 30.239, 50.591, 30.826)  # Kyiv, intake's DEFAULT_BOUNDS
SPREAD_DEG = 0.009  # about 1 km of latitude


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appeals", type=int, default=1_000_000)
    parser.add_argument("--open-share", type=float, default=0.3,
                        help="share of the appeals that are open (default 0.3)")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11,
                        help="the data's seed (hot spots); give a --keep run's to its database")
    parser.add_argument("--query-seed", type=int, default=1,
                        help="the seed of the query points and categories")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL",
                                                             DEFAULT_POSTGRES))
    parser.add_argument("--keep", action="store_true",
                        help="keep the seeded database (its URL is printed)")
    parser.add_argument("--database-url", help="time a database a --keep run seeded")
    return parser.parse_args(argv)


def category_code(k: int) -> str:
    return f"bench.c{k:03d}.leaf"


def hot_spots(rng: random.Random) -> list[tuple[float, float]]:
    min_lat, min_lon, max_lat, max_lon = BOUNDS
    return [(rng.uniform(min_lat + 0.03, max_lat - 0.03), rng.uniform(min_lon + 0.03, max_lon - 0.03))
            for _ in range(HOT_SPOTS)]


# Category k (0-based) = floor(CATEGORIES * u^3): category 0 takes (1/140)^(1/3) ≈ 19 %.
SEED_SQL = """
INSERT INTO appeals (id, title, description, category, lat, lon, address, author_id, channel,
                     extra_fields, state, version, escalated, rework_count, supporters_count,
                     created_at, updated_at)
SELECT md5(g::text || 'nearby')::uuid::text, 'Bench appeal ' || g, 'Generated for bench/nearby.py',
       'bench.c' || lpad(LEAST(%(categories)s - 1, floor(%(categories)s * power(u_cat, 3)))::int::text, 3, '0') || '.leaf',
       CASE WHEN u_cluster < 0.7
            THEN (%(spot_lat)s::float8[])[1 + floor(u_spot * %(spots)s)::int]
                 + %(spread)s * sqrt(-2 * ln(1 - u_r)) * cos(2 * pi() * u_theta)
            ELSE %(min_lat)s + u_lat * (%(max_lat)s - %(min_lat)s) END,
       CASE WHEN u_cluster < 0.7
            THEN (%(spot_lon)s::float8[])[1 + floor(u_spot * %(spots)s)::int]
                 + %(spread)s / cos(radians(50.45)) * sqrt(-2 * ln(1 - u_r)) * sin(2 * pi() * u_theta)
            ELSE %(min_lon)s + u_lon * (%(max_lon)s - %(min_lon)s) END,
       'вул. Тестова, ' || g, 'bench-author-' || (g %% 50000), 'web', '{}'::json,
       CASE WHEN u_state < %(open_share)s
            THEN (ARRAY['submitted', 'assigned', 'in_progress', 'rework'])[1 + floor(u_state / %(open_share)s * 4)::int]
            ELSE (ARRAY['resolved', 'closed', 'closed', 'closed', 'archived', 'rejected'])[1 + floor((u_state - %(open_share)s) / (1 - %(open_share)s) * 6)::int] END,
       2, false, 0, floor(power(u_lat, 8) * 20)::int,
       now() - u_lon * interval '365 days', now()
FROM (SELECT g, random() AS u_cat, random() AS u_cluster, random() AS u_spot, random() AS u_r,
             random() AS u_theta, random() AS u_lat, random() AS u_lon,
             LEAST(random(), 0.999999) AS u_state
      FROM generate_series(1, %(appeals)s) AS g) AS u
"""


def seed(database_url: str, appeals: int, open_share: float, spots) -> dict:
    import psycopg2

    timings = {}
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(SEED_SQL, {
                "categories": CATEGORIES, "spots": HOT_SPOTS, "spread": SPREAD_DEG,
                "spot_lat": [s[0] for s in spots], "spot_lon": [s[1] for s in spots],
                "min_lat": BOUNDS[0], "min_lon": BOUNDS[1], "max_lat": BOUNDS[2],
                "max_lon": BOUNDS[3], "open_share": open_share, "appeals": appeals})
            timings["insert_s"] = round(time.perf_counter() - started, 1)
            cursor.execute("INSERT INTO category_copy (code, parent, level, name_uk, name_en, "
                           "body, active, fields) SELECT 'bench.c' || lpad(k::text, 3, '0') "
                           "|| '.leaf', NULL, 'leaf', 'k', 'k', NULL, true, '[]' "
                           "FROM generate_series(0, %s) AS k", (CATEGORIES - 1,))
            cursor.execute("INSERT INTO taxonomy_copy_version (id, version, received_at) "
                           "VALUES (1, 1, now())")
        connection.autocommit = True
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute("VACUUM ANALYZE appeals")
            timings["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
    finally:
        connection.close()
    return timings


def sizes(database_url: str) -> dict:
    import psycopg2

    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), count(*) FILTER (WHERE state IN ('submitted', "
                           "'assigned', 'in_progress', 'rework')), "
                           "pg_size_pretty(pg_relation_size('ix_appeals_open_nearby')), "
                           "pg_size_pretty(pg_relation_size('appeals')) FROM appeals")
            total, open_, index_size, table_size = cursor.fetchone()
            cursor.execute("SELECT category, count(*) FROM appeals GROUP BY category "
                           "ORDER BY 2 DESC LIMIT 1")
            biggest, biggest_count = cursor.fetchone()
    finally:
        connection.close()
    return {"appeals": total, "open": open_, "index_size": index_size, "table_size": table_size,
            "biggest_category": biggest, "biggest_category_appeals": biggest_count}


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(q):
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    return {"n": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(ordered[-1] * 1000, 3)}


def query_points(rng: random.Random, spots, count: int) -> list[dict]:
    """Where residents file: like the appeals (hot spots mostly), in categories like theirs."""
    points = []
    for _ in range(count):
        if rng.random() < 0.7:
            lat0, lon0 = rng.choice(spots)
            r = SPREAD_DEG * math.sqrt(-2 * math.log(1 - rng.random()))
            theta = 2 * math.pi * rng.random()
            lat = lat0 + r * math.cos(theta)
            lon = lon0 + r / math.cos(math.radians(50.45)) * math.sin(theta)
        else:
            lat = rng.uniform(BOUNDS[0], BOUNDS[2])
            lon = rng.uniform(BOUNDS[1], BOUNDS[3])
        k = min(CATEGORIES - 1, int(CATEGORIES * rng.random() ** 3))
        points.append({"lat": lat, "lon": lon, "category": category_code(k)})
    return points


def timed(call, points: list[dict], warmup: int = 100) -> tuple[dict, list[int]]:
    for point in points[:warmup]:
        call(point)
    samples, found = [], []
    for point in points:
        started = time.perf_counter()
        result = call(point)
        samples.append(time.perf_counter() - started)
        found.append(len(result))
    return percentiles(samples), found


def explain(database_url: str, point: dict) -> str:
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql

    from hromada_common.db import make_engine
    from intake.adapters.repository import nearby_statement
    from intake.domain.nearby import DUPLICATE_RADIUS_M, box_around

    statement = nearby_statement(point["category"],
                                 box_around(point["lat"], point["lon"], DUPLICATE_RADIUS_M))
    sql = str(statement.compile(dialect=postgresql.dialect(),
                                compile_kwargs={"literal_binds": True}))
    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            return "\n".join(connection.execute(
                text("EXPLAIN (ANALYZE, BUFFERS) " + sql)).scalars())
    finally:
        engine.dispose()


def server_side(database_url: str, points: list[dict]) -> dict:
    """``EXPLAIN (ANALYZE, FORMAT JSON)`` of the query at each point: PostgreSQL's own
    execution time (no client, no transport, no Python) and which plans were used."""
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql

    from hromada_common.db import make_engine
    from intake.adapters.repository import nearby_statement
    from intake.domain.nearby import DUPLICATE_RADIUS_M, box_around

    engine = make_engine(database_url, pool_size=1)
    samples, plans = [], {}
    try:
        with engine.connect() as connection:
            for point in points:
                sql = str(nearby_statement(point["category"], box_around(
                    point["lat"], point["lon"], DUPLICATE_RADIUS_M)).compile(
                        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
                (doc,) = connection.execute(
                    text("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)).scalar_one()
                samples.append(doc["Execution Time"] / 1000)
                plan = doc["Plan"]
                index = plan.get("Index Name") or next(
                    (p.get("Index Name") for p in plan.get("Plans", []) if p.get("Index Name")),
                    "no index")
                key = f"{plan['Node Type']} on {index}"
                plans[key] = plans.get(key, 0) + 1
    finally:
        engine.dispose()
    return {"execution": percentiles(samples), "plans": plans}


def run(args) -> dict:
    from sqlalchemy.orm import sessionmaker

    from hromada_common.auth import Identity
    from hromada_common.db import make_engine, normalise_url
    from hromada_common.migrations import upgrade_to_head
    from intake.adapters.orm import inbox, outbox
    from intake.adapters.uow import IntakeUnitOfWork
    from intake.domain.nearby import DUPLICATE_RADIUS_M, NEARBY_LIMIT
    from intake.service_layer import handlers

    spots = hot_spots(random.Random(args.seed))
    rng = random.Random(f"{args.seed}-{args.query_seed}")
    label = run_label()
    db_name = None
    results = {"run": label, "started": datetime.now().isoformat(timespec="seconds"),
               "args": vars(args), "cpus": os.cpu_count(), "target_ms": TARGET_MS,
               "load_before": [round(x, 2) for x in os.getloadavg()]}
    if args.database_url:
        database_url = args.database_url
    else:
        db_name = f"bench_nearby_{label}"
        (database_url,) = create_databases(args.postgres, [db_name]).values()
    try:
        if not args.database_url:
            upgrade_to_head(str(INTAKE_DIR), normalise_url(database_url))
            print(f"seeding {args.appeals:,} appeals…", file=sys.stderr, flush=True)
            results["seed"] = seed(database_url, args.appeals, args.open_share, spots)
        results["sizes"] = sizes(database_url)
        engine = make_engine(database_url, pool_size=2)
        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        points = query_points(rng, spots, args.queries)

        def repository_only(point):
            with sessions() as session:
                from intake.adapters.repository import AppealRepository

                return AppealRepository(session).nearby_open(
                    point["category"], point["lat"], point["lon"], DUPLICATE_RADIUS_M,
                    NEARBY_LIMIT)

        resident = Identity("bench-resident", frozenset({"resident"}), None, "active", True, 1,
                            frozenset())

        def use_case(point):
            uow = IntakeUnitOfWork(sessions, outbox, inbox, source="/hromada/intake")
            return handlers.nearby_appeals(uow, point, resident)["items"]

        print(f"timing {args.queries:,} queries…", file=sys.stderr, flush=True)
        results["repository"], found = timed(repository_only, points)
        results["use_case"], _ = timed(use_case, points)
        results["server_side"] = server_side(database_url, points[:500])
        results["found"] = {"mean": round(sum(found) / len(found), 2), "max": max(found),
                            "share_with_any": round(sum(1 for f in found if f) / len(found), 3)}
        busiest = {"lat": spots[0][0], "lon": spots[0][1], "category": category_code(0)}
        results["explain_point"] = busiest
        results["explain"] = explain(database_url, busiest)
        engine.dispose()
    finally:
        if db_name and not args.keep:
            drop_databases(args.postgres, [db_name])
        elif db_name:
            print(f"kept: --database-url {database_url}", file=sys.stderr)
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return results


def report(r: dict) -> str:
    s = r["sizes"]
    lines = [
        f"nearby query, {s['appeals']:,} appeals ({s['open']:,} open; biggest category "
        f"{s['biggest_category_appeals']:,}), index ix_appeals_open_nearby {s['index_size']}, "
        f"table {s['table_size']}; target p99 < {r['target_ms']:g} ms",
    ]
    if "seed" in r:
        lines.append(f"  seed: INSERT … generate_series {r['seed']['insert_s']} s, "
                     f"VACUUM ANALYZE {r['seed']['vacuum_analyze_s']} s")
    lines.append("| measured | n | p50 ms | p95 ms | p99 ms | max ms |")
    lines.append("|---|---|---|---|---|---|")
    for key, name in (("repository", "repository nearby_open"),
                      ("use_case", "use case nearby_appeals (unit of work, checks, view)")):
        p = r[key]
        lines.append(f"| {name} | {p['n']} | {p['p50_ms']} | {p['p95_ms']} | {p['p99_ms']} | "
                     f"{p['max_ms']} |")
    ss = r["server_side"]
    lines.append(f"| PostgreSQL's execution time (EXPLAIN ANALYZE) | {ss['execution']['n']} | "
                 f"{ss['execution']['p50_ms']} | {ss['execution']['p95_ms']} | "
                 f"{ss['execution']['p99_ms']} | {ss['execution']['max_ms']} |")
    lines.append(f"  plans: {ss['plans']}")
    f = r["found"]
    lines.append(f"  found per query: mean {f['mean']}, max {f['max']}, "
                 f"share with at least one {f['share_with_any']}")
    lines.append(f"  load average before {r['load_before']}, after {r['load_after']} "
                 f"({r['cpus']} CPUs)")
    lines.append(f"EXPLAIN at the busiest hot spot, biggest category ({r['explain_point']}):")
    lines.append(r["explain"])
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    results = run(args)
    print(report(results))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"nearby-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"results: {out}", file=sys.stderr)
    ok = results["repository"]["p99_ms"] < TARGET_MS and results["use_case"]["p99_ms"] < TARGET_MS
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
