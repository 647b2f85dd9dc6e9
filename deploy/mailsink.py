"""A local mail sink for development and tests: an SMTP server that keeps every message.

    python -m deploy.mailsink --port 8025 --dir var/mail

Each message received is written to ``<dir>/<time>-<n>.eml`` (exactly as received) and a line
is printed per message. Nothing is ever relayed anywhere.

Importable too::

    controller = start_mail_sink("127.0.0.1", 8025, "var/mail")   # runs in its own thread
    ...
    latest_code("var/mail", "olena@example.org")                  # "123456"
    controller.stop()

The SMTP server (aiosmtpd) runs an asyncio loop in a real OS thread; in a process that eventlet
has monkey-patched, run the sink as a subprocess instead (``python -m deploy.mailsink``).
``read_messages`` and ``latest_code`` need only the standard library and work anywhere.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import os
import re
import signal
import sys
import threading
import time
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

CODE_PATTERN = re.compile(r"(?<!\d)(\d{6})(?!\d)")
_counter = itertools.count()
_counter_lock = threading.Lock()


class _SaveToDirectory:
    """aiosmtpd handler: write each message to an .eml file, atomically."""

    def __init__(self, directory: Path, quiet: bool = False):
        self.directory = directory
        self.quiet = quiet

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        with _counter_lock:
            n = next(_counter)
        name = f"{time.time_ns():020d}-{os.getpid()}-{n:06d}.eml"
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        temporary = self.directory / (name + ".tmp")
        temporary.write_bytes(data)
        temporary.rename(self.directory / name)  # readers never see half a message
        if not self.quiet:
            subject = _parse(data).get("Subject", "")
            print(f"mailsink: {envelope.mail_from} -> {', '.join(envelope.rcpt_tos)}: "
                  f"{subject} [{name}]", flush=True)
        return "250 Message accepted for delivery"


def start_mail_sink(host: str = "127.0.0.1", port: int = 8025, directory: str | Path = "var/mail",
                    quiet: bool = False):
    """Start the sink in a background thread; returns the aiosmtpd ``Controller`` (``.stop()``)."""
    from aiosmtpd.controller import Controller

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(_SaveToDirectory(directory, quiet), hostname=host, port=port,
                            decode_data=False, enable_SMTPUTF8=True)
    controller.start()
    return controller


def _parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def read_messages(directory: str | Path) -> list[EmailMessage]:
    """Every message in the sink, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return [_parse(path.read_bytes()) for path in sorted(directory.glob("*.eml"))]


def messages_to(directory: str | Path, to_address: str) -> list[EmailMessage]:
    """Messages addressed to ``to_address`` (case-insensitive), oldest first."""
    wanted = to_address.strip().lower()
    return [m for m in read_messages(directory)
            if wanted in {addr.lower() for _, addr in getaddresses(m.get_all("To", []))}]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def latest_code(directory: str | Path, to_address: str) -> str | None:
    """The six-digit code in the newest message to ``to_address``, or None."""
    for message in reversed(messages_to(directory, to_address)):
        found = CODE_PATTERN.search(text_of(message))
        if found:
            return found.group(1)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.mailsink", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default="var/mail", help="where .eml files are written")
    parser.add_argument("--quiet", action="store_true", help="no line per message")
    args = parser.parse_args(argv)
    controller = start_mail_sink(args.host, args.port, args.dir, args.quiet)
    print(f"mailsink: listening on {args.host}:{args.port}, writing to "
          f"{Path(args.dir).resolve()}", flush=True)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    try:
        stopped.wait()
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
