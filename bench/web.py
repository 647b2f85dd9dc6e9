"""The portal's speed: server time of the main pages under load, and the weight of a first load.

    .venv/bin/python bench/web.py                       # starts the platform on throwaway infra
    .venv/bin/python bench/web.py --seconds 5           # quicker
    .venv/bin/python bench/web.py --url http://127.0.0.1:8000   # a running platform (make up)

Part 1 (server time): wrk (Debian's package) drives each page from ``--connections``
keep-alive clients (20 by default, the issue's figure) for ``--seconds``, after one warm-up
request, and prints req/s, p50 and p99 latency and the gateway's CPU milliseconds per page.
wrk sends no cookies: these are anonymous readers, whom the gateway serves from its page
cache (gateway/web/page_cache.py) — ``--signed-in`` measures a signed-in resident instead,
rendered fresh on every request. The clients are on the same
loopback, so p99 is the server's time plus a loopback round trip. Target: p99 < 50 ms for the
home page, the public list and an appeal's page.

Part 2 (first load): each page is fetched as a browser with an empty cache would fetch it —
the HTML and every stylesheet, script, image and icon it references on this site — with
``Accept-Encoding: gzip``, and the bytes on the wire are added up (map tiles are not
counted: they come from the tile server). Target: under 250 KB.

Exit status 0 when every target is met, 1 otherwise. Figures also go to
bench/results/web-<timestamp>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from infra import DEFAULT_AMQP_URI, DEFAULT_POSTGRES, bench_platform, run_label
from load import GatewayClient, appeal_payload
from profiling import CpuMeter
from report import fmt, table

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET_P99_MS = 50.0
TARGET_FIRST_LOAD_KB = 250.0
LOADED_PAGES = ("home", "public list", "appeal page")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running platform instead of a throwaway one")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per page (whole seconds)")
    parser.add_argument("--connections", type=int, default=20, help="concurrent clients")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--appeals", type=int, default=120,
                        help="appeals filed first, so the list and the home page have content")
    parser.add_argument("--email", default="resident@demo.hromada")
    parser.add_argument("--password", default="demo-password")
    parser.add_argument("--language", default="uk", help="Accept-Language of every request")
    parser.add_argument("--signed-in", action="store_true",
                        help="drive the pages as the signed-in demo resident (session cookie: "
                             "never from the page cache)")
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", DEFAULT_AMQP_URI))
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    return parser.parse_args(argv)


# --- seeding ---------------------------------------------------------------------------------

def sign_in(base_url: str, email: str, password: str) -> str:
    client = GatewayClient(base_url)
    status, body = client.post_json("/api/v1/auth/token", {"email": email, "password": password})
    client.close()
    if status != 200:
        raise SystemExit(f"cannot sign in as {email}: HTTP {status} {body}")
    return body["access_token"]


def seed_appeals(base_url: str, token: str, count: int, label: str) -> list[str]:
    """File ``count`` appeals; return their ids (the last one is the page measured)."""
    client, ids = GatewayClient(base_url, token), []
    for number in range(count):
        status, body = client.post_json("/api/v1/appeals", appeal_payload(number, label))
        if status != 201:
            raise SystemExit(f"seeding failed: HTTP {status} {body}")
        ids.append(body["id"])
    client.close()
    return ids


# --- part 1: wrk -----------------------------------------------------------------------------

_DURATION = re.compile(r"([\d.]+)(us|ms|s|m)\b")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    value, unit = _DURATION.match(text).groups()
    return float(value) * _UNIT_MS[unit]


def parse_wrk(output: str) -> dict:
    """req/s, p50/p99 (ms), requests and non-2xx/3xx answers from ``wrk --latency`` output."""
    figures = {"non_2xx": 0, "socket_errors": 0}
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("50%"):
            figures["p50_ms"] = _ms(line.split()[1])
        elif line.startswith("99%"):
            figures["p99_ms"] = _ms(line.split()[1])
        elif line.startswith("Requests/sec:"):
            figures["req_per_s"] = float(line.split()[1])
        elif "requests in" in line:
            figures["requests"] = int(line.split()[0])
        elif line.startswith("Non-2xx or 3xx responses:"):
            figures["non_2xx"] = int(line.split(":")[1])
        elif line.startswith("Socket errors:"):
            figures["socket_errors"] = sum(int(n) for n in re.findall(r"\d+", line))
    return figures


def drive(url: str, args, pids: dict[str, int], cookie: str | None = None) -> dict:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{max(1, round(args.seconds))}s",
               "--latency", "-H", f"Accept-Language: {args.language}", url]
    if cookie:
        command[-1:-1] = ["-H", f"Cookie: {cookie}"]
    meter = CpuMeter(pids).start()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    used = meter.stop()
    figures = parse_wrk(done.stdout)
    if "gateway" in used and figures.get("requests"):
        figures["gateway_cpu_ms_per_page"] = 1000.0 * used["gateway"] / figures["requests"]
    figures["cpu_seconds"] = used
    return figures


# --- part 2: first-load weight ---------------------------------------------------------------

class _References(HTMLParser):
    """The same-site resources a browser fetches for a page (stylesheets, scripts, images,
    icons), in document order."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href") and any(
                rel in (attrs.get("rel") or "").split() for rel in ("stylesheet", "icon", "preload")):
            self.urls.append(attrs["href"])
        elif tag in ("script", "img") and attrs.get("src"):
            self.urls.append(attrs["src"])


def fetch(url: str, language: str) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip",
                                                   "Accept-Language": language})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()  # as sent: urllib does not decompress
        return response.status, body, response.headers.get("Content-Encoding", "")


def first_load(url: str, language: str) -> dict:
    status, body, encoding = fetch(url, language)
    html = body
    if encoding == "gzip":
        import gzip
        html = gzip.decompress(body)
    parser = _References()
    parser.feed(html.decode("utf-8", errors="replace"))
    site = urlsplit(url).netloc
    resources = {"html": len(body)}
    for reference in dict.fromkeys(parser.urls):
        absolute = urljoin(url, reference)
        if urlsplit(absolute).netloc != site:
            continue  # not ours (there should be none: no CDN)
        _, content, _ = fetch(absolute, language)
        resources[urlsplit(absolute).path] = len(content)
    # Leaflet's stylesheet asks for its images only when a marker or control is drawn; the
    # pages that show a map load the marker icon, so it is counted there.
    return {"status": status, "bytes": sum(resources.values()), "resources": resources}


# --- the run ---------------------------------------------------------------------------------

def pages_of(base_url: str, appeal_id: str) -> dict[str, str]:
    pages = {
        "home": f"{base_url}/",
        "public list": f"{base_url}/appeals",
        "appeal page": f"{base_url}/appeals/{appeal_id}",
        "help": f"{base_url}/help",
        "sign in": f"{base_url}/signin",
    }
    # Pages that exist only once their part of the portal has landed, measured when present.
    for name, path in (("filing (first step)", "/file"), ("map", "/map")):
        try:
            if fetch(base_url + path, "uk")[0] == 200:
                pages[name] = base_url + path
        except Exception:  # noqa: BLE001 - absent (404) or needs a session (redirect)
            pass
    return pages


def run(args, base_url: str, pids: dict[str, int], label: str) -> dict:
    token = sign_in(base_url, args.email, args.password)
    ids = seed_appeals(base_url, token, args.appeals, label)
    time.sleep(1.0)  # let the last assignments land, so the appeal page is a routed one
    pages = pages_of(base_url, ids[-1])
    results = {"load": {}, "weight": {}}
    for name in LOADED_PAGES:
        fetch(pages[name], args.language)  # steady state: the first render is not the figure
        cookie = f"hromada_access={token}" if args.signed_in else None
        results["load"][name] = drive(pages[name], args, pids, cookie)
    for name, url in pages.items():
        results["weight"][name] = first_load(url, args.language)
    return results


def report(results: dict, args) -> bool:
    ok = True
    rows = []
    for name, figures in results["load"].items():
        meets = (figures.get("p99_ms", 1e9) < TARGET_P99_MS and not figures["non_2xx"]
                 and not figures["socket_errors"])
        ok &= meets
        rows.append((name, fmt(figures.get("req_per_s")), fmt(figures.get("p50_ms"), " ms"),
                     fmt(figures.get("p99_ms"), " ms"),
                     fmt(figures.get("gateway_cpu_ms_per_page"), " ms"),
                     str(figures["non_2xx"] + figures["socket_errors"]),
                     "yes" if meets else "NO"))
    who = "a signed-in resident" if args.signed_in else "anonymous readers"
    print(f"\nServer time for {who} at {args.connections} concurrent clients, {args.seconds:g} s per page "
          f"(target p99 < {TARGET_P99_MS:g} ms):\n")
    print(table(rows, ("page", "req/s", "p50", "p99", "gateway CPU/page", "errors", "meets")))
    rows = []
    for name, figures in results["weight"].items():
        kb = figures["bytes"] / 1000
        meets = figures["status"] == 200 and kb < TARGET_FIRST_LOAD_KB
        ok &= meets
        rows.append((name, f"{kb:.1f} KB", str(len(figures["resources"])),
                     "yes" if meets else "NO"))
    print(f"\nFirst load with an empty cache, gzip, without map tiles "
          f"(target < {TARGET_FIRST_LOAD_KB:g} KB):\n")
    print(table(rows, ("page", "bytes on the wire", "requests", "meets")))
    return ok


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    label = run_label()
    with ExitStack() as stack:
        if args.url:
            base_url, pids = args.url.rstrip("/"), {}
        else:
            platform = stack.enter_context(bench_platform(args.amqp_uri, args.postgres, label))
            base_url = platform.url
            pids = {name: process.pid for name, process in platform.processes.items()}
        results = run(args, base_url, pids, label)
    ok = report(results, args)
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"web-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=2, default=str))
    print(f"\nfigures: {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
