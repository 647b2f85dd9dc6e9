"""A RabbitMQ node of a test's own: its own node name, ports, data, log and config folders, so
a test may stop and start it at will. The machine's shared broker (port 5672) is never
touched: the node's config, plugins and environment files are the test's, not /etc/rabbitmq's.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

SERVER_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmq-server", "rabbitmq-server")
CTL_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmqctl", "rabbitmqctl")


def _find(candidates) -> str | None:
    for candidate in candidates:
        found = candidate if os.path.isabs(candidate) and os.access(candidate, os.X_OK) \
            else shutil.which(candidate)
        if found:
            return found
    return None


def available() -> bool:
    return _find(SERVER_CANDIDATES) is not None and _find(CTL_CANDIDATES) is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class RabbitNode:
    """``start()``, ``stop()`` (graceful, as an operator's restart) and ``start()`` again: the
    same ports and data folder, so durable queues and persistent messages survive, as on a
    real broker restart."""

    def __init__(self, base: Path):
        self.base = Path(base)
        self.name = f"hromada-test-{uuid.uuid4().hex[:10]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.server = _find(SERVER_CANDIDATES)
        self.ctl = _find(CTL_CANDIDATES)
        self.process: subprocess.Popen | None = None
        home, mnesia, log = (self.base / d for d in ("home", "mnesia", "log"))
        for folder in (home, mnesia, log):
            folder.mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            "log.console = false\n"
            "log.file.level = info\n")
        (self.base / "enabled_plugins").write_text("[].\n")  # no management listener
        (self.base / "rabbitmq-env.conf").write_text(
            "ERL_EPMD_ADDRESS=127.0.0.1\n"
            'export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"\n')
        self.env = {
            **os.environ,
            "HOME": str(home),  # the node's own Erlang cookie
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(mnesia),
            "RABBITMQ_LOG_BASE": str(log),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(self.base / "rabbitmq.pid"),
        }
        self.env.pop("ERL_FLAGS", None)
        self.env.pop("RABBITMQ_SERVER_START_ARGS", None)

    @property
    def amqp_uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([self.ctl, "-n", self.name, *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def start(self, timeout: float = 90) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        output = open(self.base / "log" / "server.out", "ab")
        self.process = subprocess.Popen([self.server], env=self.env, cwd=self.base,
                                        stdout=output, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server {self.name} exited with "
                                   f"{self.process.returncode}; see {self.base / 'log'}")
            if port_open(self.port) and self._ctl("await_startup", "--timeout", "10",
                                                  timeout=30).returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"rabbitmq-server {self.name} did not start in {timeout}s")
            time.sleep(0.5)

    def stop(self, timeout: float = 60) -> None:
        """Stop the node gracefully (``rabbitmqctl -n NODE stop``) and wait for it to exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self._ctl("stop", timeout=timeout)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """Last resort (teardown): end this node's own process group, by its id."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 9)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=30)
