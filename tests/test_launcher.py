"""`make up` supervises: the launcher (run exactly as `make up` runs it, as a child process)
restarts a service that was SIGKILLed and keeps the rest running; SIGINT (Ctrl-C) still stops
every process cleanly."""
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from deploy.launcher import SERVICES

from .e2e.conftest import free_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by the launcher) is not alive
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/ready", timeout=3) as response:
            return response.status == 200
    except Exception:  # noqa: BLE001 - not ready yet
        return False


class Output:
    """The launcher's merged stdout/stderr, collected line by line."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in iter(stream.readline, ""):
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = re.search(pattern, line)
                if match:
                    return match
            time.sleep(0.2)
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines[-40:]))


@pytest.fixture
def launcher(make_amqp_uri, postgres_server_url, tmp_path):
    amqp_uri, vhost = make_amqp_uri("launcher")
    prefix = f"hromada_t_up_{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = dict(os.environ, AMQP_URI=amqp_uri, GATEWAY_RATE_LIMITS="false",
               GATEWAY_RATE_LIMITS_PREFIX=f"hromada:test:{vhost}:", DB_POOL_SIZE="2",
               PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.launcher", "up", "--port", str(port),
         "--mail-port", str(free_port()), "--postgres", postgres_server_url,
         "--db-prefix", prefix, "--var-dir", str(tmp_path / "var")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    output = Output(process.stdout)
    try:
        yield process, output, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in SERVICES:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{prefix}_{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_killed_service_is_restarted_and_ctrl_c_stops_everything(launcher):
    process, output, url = launcher
    started = output.wait_for(r"^processes: (.*)$", timeout=120)
    pids = {name: int(pid) for name, pid in
            (item.split() for item in started.group(1).split(", "))}
    assert set(pids) == {"mailsink", *SERVICES, "gateway"}
    assert _ready(url)

    os.killpg(pids["intake"], signal.SIGKILL)

    output.wait_for(r"intake exited with -9; restarting it in", timeout=20)
    restarted = output.wait_for(r"intake restarted \(pid (\d+)", timeout=30)
    new_pid = int(restarted.group(1))
    assert new_pid != pids["intake"]
    deadline = time.monotonic() + 60
    while not _ready(url):
        assert time.monotonic() < deadline, "the platform was not ready again within 60 s"
        time.sleep(0.5)
    assert process.poll() is None, "the launcher stopped the platform"
    for name, pid in pids.items():
        if name != "intake":
            assert _alive(pid), f"{name} did not keep running"
    assert _alive(new_pid)

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    output.wait_for(r"^stopped$", timeout=5)
    for name, pid in {**pids, "intake": new_pid}.items():
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), f"{name} still runs after Ctrl-C"
