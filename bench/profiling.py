"""Where the time goes: per-process CPU accounting and py-spy sampling of one service."""
from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path

PY_SPY = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "py-spy"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time the process has used so far (None if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU seconds each named process used between :meth:`start` and :meth:`stop`, plus the
    whole machine's busy CPU seconds over the same interval (everyone's: RabbitMQ, PostgreSQL
    and whatever else runs on the host)."""

    def __init__(self, pids: dict[str, int], groups: dict[str, str] | None = None):
        self.pids = pids
        self.groups = groups or {}  # name → substring of the command line of its processes
        self.before: dict[str, float | None] = {}
        self.group_before: dict[str, dict[int, float]] = {}
        self.used: dict[str, float] = {}

    def _group_times(self, needle: str) -> dict[int, float]:
        times = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if needle in cmdline:
                seconds = cpu_seconds(int(entry.name))
                if seconds is not None:
                    times[int(entry.name)] = seconds
        return times

    def start(self) -> "CpuMeter":
        self.before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.group_before = {name: self._group_times(needle) for name, needle in self.groups.items()}
        self.machine_before = _machine_jiffies()
        return self

    def stop(self) -> dict[str, float]:
        for name, pid in self.pids.items():
            now, then = cpu_seconds(pid), self.before.get(name)
            if now is not None and then is not None:
                self.used[name] = round(now - then, 2)
        for name, needle in self.groups.items():
            before = self.group_before[name]
            self.used[name] = round(sum(seconds - before.get(pid, 0.0)
                                        for pid, seconds in self._group_times(needle).items()), 2)
        busy, _ = _machine_jiffies()
        machine = (busy - self.machine_before[0]) / CLOCK_TICKS
        self.used["(machine total, all processes)"] = round(machine, 2)
        return self.used


def start_py_spy(pid: int, seconds: int, output: Path, rate: int = 100) -> subprocess.Popen:
    """Sample ``pid`` for ``seconds`` into a collapsed-stacks file (flamegraph.pl input;
    speedscope.app opens it too). ``--nonblocking`` keeps the service running while sampled."""
    output.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", str(rate),
         "--format", "raw", "--nonblocking", "--output", str(output)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _short(frame: str) -> str:
    """``send (eventlet/greenio/base.py:401)`` → ``send (eventlet/greenio/base.py)``."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})" if path else name


def summarise_collapsed(path: Path, top: int = 15) -> dict:
    """Top frames by self time and by inclusive time, as shares of all samples."""
    self_time, inclusive, by_package = Counter(), Counter(), Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_short(f) for f in stack.split(";") if f]
        if frames:
            self_time[frames[-1]] += samples
            by_package[_package(frames[-1])] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    share = lambda n: round(100 * n / total, 1) if total else 0.0  # noqa: E731
    return {
        "samples": total,
        "self": [(frame, share(n)) for frame, n in self_time.most_common(top)],
        "inclusive": [(frame, share(n)) for frame, n in inclusive.most_common(top)],
        "self_by_package": [(name, share(n)) for name, n in by_package.most_common(top)],
    }


def _package(short_frame: str) -> str:
    """The top-level package (or stdlib module) a shortened frame belongs to."""
    path = short_frame.partition(" (")[2].rstrip(")")
    head = path.split("/", 1)[0]
    if head in ("libs", "services", "gateway"):
        return "hromada (" + "/".join(path.split("/")[:2]) + ")"
    return head.removesuffix(".py") or "?"
