"""End-to-end pipeline benchmark: gateway → intake → routing → intake, and a raw baseline.

    .venv/bin/python bench/pipeline.py --appeals 2000 --concurrency 32
    .venv/bin/python bench/pipeline.py --appeals 300 --concurrency 16 --seconds 5   # quick
    .venv/bin/python bench/pipeline.py --profile-service intake                     # + py-spy
    .venv/bin/python bench/pipeline.py --url http://127.0.0.1:8000 --amqp-uri amqp://…/vhost

Phase A (throughput): N appeals through the gateway from C closed-loop clients; ends when
every appeal's ``state_changed`` (state ``assigned``) event has been received.
Phase B (latency at offered load): an open loop at ``--rate`` appeals/s for ``--seconds``.
Phase C (raw baseline): the same hops in plain psycopg2 + py-amqp, no framework (bench/raw.py).

By default the platform is started on a throwaway vhost and throwaway databases, removed at
the end. Figures go to stdout (a Markdown table) and bench/results/pipeline-<timestamp>.json.
Exit status: 0 if every appeal was accepted and assigned, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import platform as host_platform
import shutil
import sys
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from infra import (DEFAULT_AMQP_URI, DEFAULT_POSTGRES, ROOT, bench_platform, create_databases,
                   drop_databases, run_label, throwaway_vhost)
from load import AssignedListener, closed_loop, open_loop
from profiling import CpuMeter, start_py_spy, summarise_collapsed
from report import fmt, latency_summary, table

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET_THROUGHPUT = 200.0  # appeals/s end to end
TARGET_HTTP_P99_MS = 100.0  # at TARGET_RATE appeals/s offered
SERVICES = ("gateway", "intake", "routing", "feedback", "gamification")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appeals", type=int, default=2000, help="phase A: appeals to submit")
    parser.add_argument("--concurrency", type=int, default=32, help="closed-loop clients (A, C)")
    parser.add_argument("--rate", type=float, default=100.0, help="phase B: appeals per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="phase B: duration")
    parser.add_argument("--open-loop-threads", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=50,
                        help="appeals sent (and awaited) before phase A, not measured")
    parser.add_argument("--phases", default="ABC", help="which phases to run, e.g. AB or C")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the last assignment after the last submit")
    parser.add_argument("--url", help="target a running platform instead of starting one")
    parser.add_argument("--email", default="resident@demo.hromada",
                        help="the resident the benchmark files appeals as (a demo account)")
    parser.add_argument("--password", default="demo-password")
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", DEFAULT_AMQP_URI),
                        help="broker; vhosts for the run are created on it (with --url: the "
                             "platform's vhost, where the listener binds its queue)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="PostgreSQL server URL for throwaway databases")
    parser.add_argument("--service-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the started services, e.g. "
                             "INTAKE_MAX_WORKERS=40 (repeatable)")
    parser.add_argument("--raw-workers", type=int, default=8,
                        help="phase C: consumer threads per raw service process")
    parser.add_argument("--profile-service", type=_services, default=[],
                        help="py-spy these services (gateway, intake, routing; comma-separated) "
                             "during phase A and summarise their hot frames")
    parser.add_argument("--profile-seconds", type=int, default=8)
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    args.phases = args.phases.upper()
    if args.profile_service and args.url:
        parser.error("--profile-service needs the platform this script starts (it knows the pids)")
    return args


def _services(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = set(names) - set(SERVICES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown service(s): {', '.join(sorted(unknown))}")
    return names


# --- phases -------------------------------------------------------------------------------

def await_assigned(listener: AssignedListener, submissions, timeout: float) -> set[str]:
    ids = [s.appeal_id for s in submissions if s.appeal_id]
    return listener.wait_for(ids, timeout)


def pipeline_figures(submissions, assigned_at: dict[str, float]) -> dict:
    accepted = [s for s in submissions if s.appeal_id]
    done = [s for s in accepted if s.appeal_id in assigned_at]
    figures = {
        "submitted": len(submissions),
        "accepted": len(accepted),
        "failed_requests": len(submissions) - len(accepted),
        "errors": sorted({s.error for s in submissions if s.error})[:5],
        "assigned": len(done),
        "missing": len(accepted) - len(done),
        "http": latency_summary(s.http_latency for s in submissions if s.appeal_id),
        "submit_to_assigned": latency_summary(assigned_at[s.appeal_id] - s.started for s in done),
    }
    if done:
        first_submit = min(s.started for s in submissions)
        last_assigned = max(assigned_at[s.appeal_id] for s in done)
        last_answer = max(s.finished for s in submissions)
        figures["wall_seconds"] = round(last_assigned - first_submit, 3)
        figures["appeals_per_s"] = round(len(done) / (last_assigned - first_submit), 1)
        figures["http_accepted_per_s"] = round(len(accepted) / (last_answer - first_submit), 1)
    return figures


def cpu_groups(label: str) -> dict[str, str]:
    """Processes to account for by command line: this run's PostgreSQL backends (their
    title names the database) and the RabbitMQ broker (shared with anyone else using it)."""
    return {"postgres (this run's databases)": f"hromada_bench_{label}",
            "rabbitmq (whole broker)": "beam.smp"}


def phase_throughput(args, base_url, listener, label, pids) -> dict:
    if args.warmup:
        warm = closed_loop(base_url, args.warmup, min(args.concurrency, args.warmup), label,
                           token=args.token,
                           first_number=1_000_000)
        await_assigned(listener, warm, 30)
    profiles = []
    for service in args.profile_service:
        output = RESULTS_DIR / f"pyspy-{service}-{label}.txt"
        profiles.append((service, start_py_spy(pids[service], args.profile_seconds, output), output))
    meter = CpuMeter({**pids, "bench (this process)": os.getpid()}, cpu_groups(label)).start()
    started = time.monotonic()
    submissions = closed_loop(base_url, args.appeals, args.concurrency, label, token=args.token)
    missing = await_assigned(listener, submissions, args.timeout)
    figures = pipeline_figures(submissions, dict(listener.received))
    figures["cpu_seconds"] = meter.stop()
    figures["elapsed_s"] = round(time.monotonic() - started, 2)
    if missing:
        figures["missing_ids_sample"] = sorted(missing)[:5]
    figures["profiles"] = []
    for service, process, output in profiles:
        _, stderr = process.communicate(timeout=args.profile_seconds + 60)
        if process.returncode == 0 and output.exists():
            figures["profiles"].append({"service": service, "file": str(output.relative_to(ROOT)),
                                        "seconds": args.profile_seconds,
                                        **summarise_collapsed(output)})
        else:
            figures["profiles"].append({"service": service,
                                        "error": stderr.decode(errors="replace")[-500:]})
    return figures


def phase_open_loop(args, base_url, listener, label, pids) -> dict:
    meter = CpuMeter({**pids, "bench (this process)": os.getpid()}, cpu_groups(label)).start()
    started = time.monotonic()
    result = open_loop(base_url, args.rate, args.seconds, label, first_number=2_000_000,
                       token=args.token,
                       threads=args.open_loop_threads)
    await_assigned(listener, result.submissions, args.timeout)
    figures = pipeline_figures(result.submissions, dict(listener.received))
    figures["cpu_seconds"] = meter.stop()
    figures["elapsed_s"] = round(time.monotonic() - started, 2)
    figures["offered_per_s"] = args.rate
    figures["generator_max_lag_ms"] = round(result.max_send_lag * 1000, 1)
    figures["generator_threads"] = result.threads
    p99 = figures["http"]["p99_ms"]
    figures["target_http_p99_met"] = p99 is not None and p99 < TARGET_HTTP_P99_MS
    return figures


def phase_raw(args, label) -> dict:
    from raw import run_raw_pipeline

    names = [f"hromada_bench_{label}_raw_intake", f"hromada_bench_{label}_raw_routing"]
    with throwaway_vhost(args.amqp_uri, f"{label}-raw") as amqp_uri:
        urls = create_databases(args.postgres, names)
        try:
            raw = run_raw_pipeline(urls[names[0]], urls[names[1]], amqp_uri, args.appeals,
                                   args.concurrency, label, args.raw_workers, args.timeout)
        finally:
            drop_databases(args.postgres, names)
    submissions, assigned_at = raw["submissions"], raw["assigned_at"]
    done = [s for s in submissions if s.appeal_id in assigned_at]
    figures = {"submitted": len(submissions), "assigned": len(done), "missing": raw["missing"],
               "cpu_seconds": raw["cpu_seconds"],
               "workers_per_service": args.raw_workers,
               "submit_txn": latency_summary(s.finished - s.started for s in submissions),
               "submit_to_assigned": latency_summary(assigned_at[s.appeal_id] - s.started
                                                     for s in done)}
    if done:
        first = min(s.started for s in submissions)
        last = max(assigned_at[s.appeal_id] for s in done)
        figures["wall_seconds"] = round(last - first, 3)
        figures["appeals_per_s"] = round(len(done) / (last - first), 1)
    return figures


# --- output -------------------------------------------------------------------------------

def source_version() -> str:
    """The commit measured (set by run-at-commit.sh), else the working tree's HEAD."""
    if os.environ.get("BENCH_COMMIT"):
        return f"commit {os.environ['BENCH_COMMIT']}"
    import subprocess

    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return f"working tree at {head}" + (" with uncommitted changes" if dirty else "")


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "?")
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo")
                  if line.startswith("MemTotal"))
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "memory_gb": round(mem_kb / 1024 ** 2, 1),
            "kernel": host_platform.release(), "python": host_platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def render(results: dict) -> str:
    rows = []
    a, b, c = (results["phases"].get(k) for k in ("A", "B", "C"))
    if a:
        rows.append(("A closed loop", f"{a['submitted']} × c{results['args']['concurrency']}",
                     fmt(a.get("appeals_per_s")), fmt(a["http"]["p50_ms"]), fmt(a["http"]["p99_ms"]),
                     fmt(a["submit_to_assigned"]["p50_ms"]), fmt(a["submit_to_assigned"]["p99_ms"]),
                     f"{a['failed_requests']} / {a['missing']}"))
    if b:
        rows.append(("B open loop", f"{b['offered_per_s']:g}/s × {results['args']['seconds']:g} s",
                     fmt(b.get("appeals_per_s")), fmt(b["http"]["p50_ms"]), fmt(b["http"]["p99_ms"]),
                     fmt(b["submit_to_assigned"]["p50_ms"]), fmt(b["submit_to_assigned"]["p99_ms"]),
                     f"{b['failed_requests']} / {b['missing']}"))
    if c:
        rows.append(("C raw baseline", f"{c['submitted']} × c{results['args']['concurrency']}",
                     fmt(c.get("appeals_per_s")), fmt(c["submit_txn"]["p50_ms"]) + " (txn)",
                     fmt(c["submit_txn"]["p99_ms"]) + " (txn)",
                     fmt(c["submit_to_assigned"]["p50_ms"]), fmt(c["submit_to_assigned"]["p99_ms"]),
                     f"0 / {c['missing']}"))
    out = [f"source: {results['source']}; machine: {results['machine']['cpus']} × "
           f"{results['machine']['cpu_model']}, load average at start "
           f"{results['machine']['load_average_at_start']}", ""]
    out += [table(rows, ("phase", "load", "appeals/s e2e", "HTTP p50 ms", "HTTP p99 ms",
                        "submit→assigned p50 ms", "p99 ms", "failed / unassigned"))]
    if a and c and a.get("appeals_per_s") and c.get("appeals_per_s"):
        ratios = results["framework_vs_raw"]
        out.append("")
        out.append(table([
            ("throughput (appeals/s)", fmt(a["appeals_per_s"]), fmt(c["appeals_per_s"]),
             f"{ratios['throughput']:.2f}×"),
            ("submit→assigned p50 (ms)", fmt(a["submit_to_assigned"]["p50_ms"]),
             fmt(c["submit_to_assigned"]["p50_ms"]), f"{ratios['latency_p50']:.1f}×"),
            ("submit→assigned p99 (ms)", fmt(a["submit_to_assigned"]["p99_ms"]),
             fmt(c["submit_to_assigned"]["p99_ms"]), f"{ratios['latency_p99']:.1f}×"),
        ], ("framework vs raw (phase A vs C)", "framework", "raw", "framework / raw")))
    targets = results["targets"]
    out.append("")
    for name, target in targets.items():
        out.append(f"target {name}: {target['target']} → measured {target['measured']} → "
                   f"{'MET' if target['met'] else 'NOT MET'}")
    for phase_name, phase in (("A", a), ("B", b), ("C", c)):
        if phase and phase.get("cpu_seconds"):
            wall = phase.get("wall_seconds") or phase.get("elapsed_s") or 1
            shares = ", ".join(f"{name} {sec:.1f}s ({100 * sec / wall:.0f}%)"
                               for name, sec in sorted(phase["cpu_seconds"].items(),
                                                       key=lambda kv: -kv[1]))
            out.append(f"\nCPU used during phase {phase_name} "
                       f"({wall:.1f}s wall; {os.cpu_count()} cores = {100 * os.cpu_count()}%): "
                       f"{shares}")
    for profile in (a or {}).get("profiles", []):
        if "error" in profile:
            out.append(f"\npy-spy of {profile['service']} failed: {profile['error']}")
            continue
        possible = profile["seconds"] * 100
        out.append(f"\npy-spy, {profile['service']}: {profile['samples']} non-idle samples of "
                   f"{possible} ({100 * profile['samples'] / possible:.0f}% of the time runnable "
                   f"or on CPU); stacks in {profile['file']}")
        out.append(table([(f, f"{p}%") for f, p in profile["self_by_package"][:8]],
                         ("self time by package", "share")))
        out.append("")
        out.append(table([(f, f"{p}%") for f, p in profile["self"][:12]],
                         ("hottest frames (self time)", "share")))
    return "\n".join(out)


def main(argv=None) -> int:
    args = parse_args(argv)
    label = run_label()
    results = {"run": label, "started": datetime.now().isoformat(timespec="seconds"),
               "source": source_version(),
               "args": vars(args), "machine": machine(), "phases": {}}
    ok = True
    wants_platform = "A" in args.phases or "B" in args.phases
    with ExitStack() as stack:
        if wants_platform:
            if args.url:
                base_url, amqp_uri, pids = args.url.rstrip("/"), args.amqp_uri, {}
            else:
                env = dict(item.split("=", 1) for item in args.service_env)
                print(f"starting the platform (run {label})…", file=sys.stderr, flush=True)
                platform = stack.enter_context(bench_platform(
                    args.amqp_uri, args.postgres, label, env))
                base_url, amqp_uri = platform.url, platform.bench_amqp_uri
                pids = {name: platform.processes[name].pid for name in SERVICES}
                results["service_env"] = env
                results["service_logs"] = str(platform.bench_log_dir)
            from deploy.demo import sign_in

            args.token = sign_in(base_url, args.email, args.password)
            listener = AssignedListener(amqp_uri).start()
            stack.callback(listener.stop)
            if "A" in args.phases:
                print(f"phase A: {args.appeals} appeals, {args.concurrency} clients…",
                      file=sys.stderr, flush=True)
                results["phases"]["A"] = phase_throughput(args, base_url, listener, label, pids)
            if "B" in args.phases:
                print(f"phase B: {args.rate:g}/s for {args.seconds:g}s…", file=sys.stderr, flush=True)
                results["phases"]["B"] = phase_open_loop(args, base_url, listener, label, pids)
            if not args.url:
                results["exited_services"] = {name: process.returncode for name, process
                                              in platform.processes.items()
                                              if process.poll() is not None}
    if "C" in args.phases:  # after the platform has stopped: the baseline gets the machine
        print("phase C: raw baseline…", file=sys.stderr, flush=True)
        results["phases"]["C"] = phase_raw(args, label)

    a, b, c = (results["phases"].get(k) for k in ("A", "B", "C"))
    for phase in (a, b, c):
        if phase and (phase.get("missing") or phase.get("failed_requests")):
            ok = False
    if a and c and a.get("appeals_per_s") and c.get("appeals_per_s"):
        results["framework_vs_raw"] = {
            "throughput": a["appeals_per_s"] / c["appeals_per_s"],
            "latency_p50": a["submit_to_assigned"]["p50_ms"] / c["submit_to_assigned"]["p50_ms"],
            "latency_p99": a["submit_to_assigned"]["p99_ms"] / c["submit_to_assigned"]["p99_ms"],
        }
    results["targets"] = {}
    if a:
        results["targets"]["throughput ≥ 200 appeals/s (phase A)"] = {
            "target": f"≥ {TARGET_THROUGHPUT:g}/s", "measured": f"{a.get('appeals_per_s')}/s",
            "met": (a.get("appeals_per_s") or 0) >= TARGET_THROUGHPUT}
    if b:
        results["targets"][f"HTTP p99 < 100 ms at {args.rate:g}/s (phase B)"] = {
            "target": f"< {TARGET_HTTP_P99_MS:g} ms", "measured": f"{b['http']['p99_ms']} ms",
            "met": b["target_http_p99_met"]}
    results["finished"] = datetime.now().isoformat(timespec="seconds")
    print(render(results))
    for name, phase in results["phases"].items():
        if phase.get("errors"):
            print(f"phase {name} errors: {phase['errors']}")
    if not args.no_json:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"pipeline-{datetime.now():%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
        print(f"\nfigures written to {path.relative_to(ROOT)}")
    logs = results.get("service_logs")
    if results.get("exited_services"):
        ok = False
        print(f"services that exited during the run: {results['exited_services']}", file=sys.stderr)
    if not ok:
        print("FAILED: some appeals were refused or never assigned (see above)"
              + (f"; service logs kept in {logs}" if logs else ""), file=sys.stderr)
    elif logs:
        shutil.rmtree(logs, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
