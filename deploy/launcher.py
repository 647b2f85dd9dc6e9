"""Start the whole Hromada platform on one machine: every service and the gateway as
separate processes, migrations applied, optionally the demo city seeded.

    python -m deploy.launcher up --demo          # what `make up` runs
    python -m deploy.launcher up --port 9000     # another port

A process that exits is restarted with a backoff (see :class:`Supervisor`) while the rest
keeps running; Ctrl-C (or SIGTERM) stops everything.

Databases: ``--postgres URL`` (a server URL; one database per service is created on it),
else the local PostgreSQL at 127.0.0.1:5432 if it answers, else SQLite files under ./var/.
RabbitMQ: ``AMQP_URI`` (default amqp://guest:guest@127.0.0.1:5672/).

The same :class:`Platform` class drives the end-to-end and fault tests.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {
    "accounts": ROOT / "services" / "accounts",
    "intake": ROOT / "services" / "intake",
    "routing": ROOT / "services" / "routing",
    "feedback": ROOT / "services" / "feedback",
    "gamification": ROOT / "services" / "gamification",
}
GATEWAY_DIR = ROOT / "gateway"
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_databases(server_url: str, prefix: str = "hromada") -> dict[str, str]:
    """Create ``<prefix>_<service>`` on the server if missing; return each service's URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from hromada_common.db import normalise_url

    server_url = normalise_url(server_url)
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    urls = {}
    with engine.connect() as connection:
        existing = set(connection.execute(text("SELECT datname FROM pg_database")).scalars())
        for service in SERVICES:
            name = f"{prefix}_{service}"
            if name not in existing:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            urls[service] = make_url(server_url).set(database=name).render_as_string(
                hide_password=False)
    engine.dispose()
    return urls


def migrate(database_urls: dict[str, str]) -> None:
    from hromada_common.migrations import upgrade_to_head

    for service, service_dir in SERVICES.items():
        upgrade_to_head(str(service_dir), database_urls[service])


def _ensure_secret(path: Path) -> str:
    """A random secret kept in ``path`` (made on first use, readable by the owner only)."""
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass
class Platform:
    """The running platform: one process per service plus the gateway."""

    amqp_uri: str
    database_urls: dict[str, str]
    port: int = 8000
    host: str = "127.0.0.1"
    log_dir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    demo: bool = False
    var_dir: Path = ROOT / "var"
    mail_port: int = 0
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self):
        from hromada_common.auth import ensure_key_files

        self.private_key, self.public_key = ensure_key_files(self.var_dir / "keys")
        self.web_session_secret = _ensure_secret(self.var_dir / "keys" / "web-session.secret")
        self.mail_dir = self.var_dir / "mail"
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        if not self.mail_port:
            self.mail_port = _free_port()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _env(self, name: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env["AMQP_URI"] = self.amqp_uri
        env["GATEWAY_ADDRESS"] = f"{self.host}:{self.port}"
        env["HROMADA_VAR_DIR"] = str(self.var_dir)
        env["PYTHONUNBUFFERED"] = "1"
        env["JWT_PUBLIC_KEY_FILE"] = str(self.public_key)
        env["SMTP_HOST"], env["SMTP_PORT"] = "127.0.0.1", str(self.mail_port)
        env["HROMADA_DEMO"] = "true" if self.demo else "false"
        if name == "gateway":  # the portal's CSRF key: the same across gateway restarts
            env.setdefault("GATEWAY_WEB_SESSION_SECRET", self.web_session_secret)
        if name == "accounts":  # the only holder of the signing key; mails link to the portal
            env["JWT_PRIVATE_KEY_FILE"] = str(self.private_key)
            env.setdefault("PORTAL_URL", self.url)
        for service, url in self.database_urls.items():
            env[f"{service.upper()}_DATABASE_URL"] = url
        return env

    def _command(self, name: str) -> tuple[list[str], Path]:
        if name == "mailsink":
            return ([sys.executable, "-m", "deploy.mailsink", "--host", "127.0.0.1",
                     "--port", str(self.mail_port), "--dir", str(self.mail_dir)], ROOT)
        if name == "gateway":
            return ([sys.executable, "-m", "nameko", "run", "--config", "config.yml",
                     "gateway.service"], GATEWAY_DIR)
        return ([sys.executable, "-m", "nameko", "run", "--config", "config.yml",
                 f"{name}.service"], SERVICES[name])

    def start_process(self, name: str) -> None:
        command, cwd = self._command(name)
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{name}.log", "ab")
        else:
            output = None
        self.processes[name] = subprocess.Popen(
            command, cwd=cwd, env=self._env(name), stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self, names=None, wait: float = 60.0) -> None:
        for name in names or ["mailsink", *SERVICES, "gateway"]:
            self.start_process(name)
        self.wait_ready(wait)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the gateway's /ready says every service answers."""
        import urllib.request

        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}; see its log")
            try:
                with urllib.request.urlopen(self.url + "/ready", timeout=5) as response:
                    if response.status == 200:
                        return
            except Exception as exc:  # noqa: BLE001 - keep polling until the deadline
                last = exc
            time.sleep(0.3)
        raise RuntimeError(f"the platform was not ready within {timeout}s: {last}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop every process gracefully (nameko finishes running workers), then force."""
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


class Supervisor:
    """Keeps the platform running: a process that exits is started again after a backoff
    (``min_backoff`` doubling to ``max_backoff``; back to ``min_backoff`` once a process has
    run ``stable_after`` seconds), and the others go on. Each exit and restart is logged.

    Call :meth:`check` periodically (``up`` does, every half second)."""

    def __init__(self, platform: Platform, log=None, min_backoff: float = 1.0,
                 max_backoff: float = 30.0, stable_after: float = 60.0, clock=time.monotonic):
        self.platform = platform
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.min_backoff, self.max_backoff, self.stable_after = min_backoff, max_backoff, stable_after
        self.clock = clock
        self.started_at = {name: clock() for name in platform.processes}
        self.backoff = {name: min_backoff for name in platform.processes}
        self.restart_due: dict[str, float] = {}
        self.restarts: dict[str, int] = {name: 0 for name in platform.processes}

    def check(self) -> None:
        now = self.clock()
        for name, process in list(self.platform.processes.items()):
            if process.poll() is None:
                if now - self.started_at.get(name, now) >= self.stable_after:
                    self.backoff[name] = self.min_backoff
                continue
            if name not in self.restart_due:
                delay = self.backoff.get(name, self.min_backoff)
                self.restart_due[name] = now + delay
                self.log(f"{name} exited with {process.returncode}; restarting it in {delay:g}s "
                         f"(see {self._log_of(name)}); the rest keeps running")
            elif now >= self.restart_due[name]:
                del self.restart_due[name]
                self.platform.start_process(name)
                self.started_at[name] = now
                self.restarts[name] = self.restarts.get(name, 0) + 1
                self.backoff[name] = min(self.max_backoff,
                                         2 * self.backoff.get(name, self.min_backoff))
                self.log(f"{name} restarted (pid {self.platform.processes[name].pid}, "
                         f"restart {self.restarts[name]})")

    def _log_of(self, name: str) -> str:
        log_dir = self.platform.log_dir
        return str(log_dir / f"{name}.log") if log_dir is not None else "its output"


def choose_databases(postgres: str | None, prefix: str = "hromada",
                     var_dir: Path = ROOT / "var") -> tuple[dict[str, str], str]:
    if postgres:
        return ensure_databases(postgres, prefix), f"PostgreSQL ({_redact(postgres)})"
    if _port_open("127.0.0.1", 5432):
        try:
            return (ensure_databases(LOCAL_POSTGRES, prefix),
                    "PostgreSQL (local, 127.0.0.1:5432)")
        except Exception as exc:  # noqa: BLE001 - fall back to SQLite, and say why
            print(f"local PostgreSQL unusable ({exc}); using SQLite", file=sys.stderr)
    var_dir.mkdir(parents=True, exist_ok=True)
    return ({name: f"sqlite:///{var_dir / (name + '.db')}" for name in SERVICES},
            f"SQLite files under {var_dir}")


def _redact(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(parts.password, "***") if parts.password else url


def _check_broker(amqp_uri: str) -> None:
    parts = urlsplit(amqp_uri)
    if not _port_open(parts.hostname or "127.0.0.1", parts.port or 5672, timeout=3):
        sys.exit(f"RabbitMQ does not answer at {_redact(amqp_uri)}. Start it "
                 "(`rabbitmq-server -detached`) or set AMQP_URI.")


def up(args) -> int:
    amqp_uri = os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)
    _check_broker(amqp_uri)
    var_dir = Path(args.var_dir).resolve()
    database_urls, described = choose_databases(args.postgres, args.db_prefix, var_dir)
    print(f"databases: {described}")
    migrate(database_urls)
    print("migrations applied")
    platform = Platform(amqp_uri, database_urls, port=args.port, host=args.host,
                        log_dir=var_dir / "log", demo=args.demo, var_dir=var_dir,
                        mail_port=args.mail_port)
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        platform.start()
        if args.demo:
            from .demo import DEMO_ACCOUNTS, seed_demo_city

            print(seed_demo_city(platform.url))
            print("demo accounts (password demo-password): " + ", ".join(DEMO_ACCOUNTS))
        print(f"\nHromada is running at {platform.url}  (portal: {platform.url}/, "
              f"API: {platform.url}/api/v1, "
              f"OpenAPI: {platform.url}/api/v1/openapi.json)")
        print(f"mail sent by the platform lands in {platform.mail_dir}")
        print("processes: " + ", ".join(f"{name} {process.pid}"
                                        for name, process in platform.processes.items()))
        print(f"logs: {platform.log_dir}; press Ctrl-C to stop\n", flush=True)
        supervisor = Supervisor(platform)
        while not stopping:
            supervisor.check()
            time.sleep(0.5)
    finally:
        print("stopping…", flush=True)
        platform.stop()
        print("stopped")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.launcher")
    sub = parser.add_subparsers(dest="command", required=True)
    up_parser = sub.add_parser("up", help="start every service and the gateway")
    up_parser.add_argument("--port", type=int, default=int(os.environ.get("HROMADA_PORT", 8000)))
    up_parser.add_argument("--host", default=os.environ.get("HROMADA_HOST", "127.0.0.1"))
    up_parser.add_argument("--postgres", default=os.environ.get("HROMADA_POSTGRES_URL"),
                           help="PostgreSQL server URL; one database per service is created")
    up_parser.add_argument("--demo", action="store_true",
                           help="seed the demo city and its demo accounts")
    up_parser.add_argument("--mail-port", type=int, default=int(os.environ.get("HROMADA_MAIL_PORT", 8025)),
                           help="port of the development mail sink (mail lands in var/mail)")
    up_parser.add_argument("--db-prefix", default=os.environ.get("HROMADA_DB_PREFIX", "hromada"),
                           help="databases are named <prefix>_<service> (default hromada)")
    up_parser.add_argument("--var-dir", default=os.environ.get("HROMADA_VAR_DIR", str(ROOT / "var")),
                           help="logs, signing keys, mail and SQLite files (default ./var)")
    args = parser.parse_args(argv)
    return up(args)


if __name__ == "__main__":
    sys.exit(main())
