"""Operator commands for a running Hromada: dead letters, queue depths, outbox backlog.

    python -m deploy.ops dead-letters                       # every *.dead queue + hromada.unrouted
    python -m deploy.ops dead-letters show QUEUE [--limit N] [--full]
    python -m deploy.ops dead-letters replay QUEUE [--limit N] [--to QUEUE]
    python -m deploy.ops queues                             # every queue: depth and consumers
    python -m deploy.ops outbox SERVICE [--database-url URL] [--max-age SECONDS]
    python -m deploy.ops sign-ins [--database-url URL] [--window SECONDS] [--alert N]

Connections (each also accepted after the command):
  --mgmt-uri  RabbitMQ management HTTP API, default $RABBIT_MGMT_URI or
              http://guest:guest@127.0.0.1:15672
  --amqp-uri  AMQP, for ``replay``; default $AMQP_URI or the management URI's host on 5672
  --vhost     default: the AMQP URI's vhost, else "/"

``show`` only peeks (the messages are requeued in order); ``replay`` moves messages one at a
time: get from the dead-letter queue, publish to the subscription's main queue through the
default exchange (mandatory, with publisher confirms) with ``x-hromada-attempt`` reset to 0,
and only then ack the original. A failure at any step leaves the message in the dead-letter
queue; the worst case is a message in both queues, which the consumers' inbox deduplicates.

Exit codes: 0 ok, 1 error, 2 a ``--fail-if-any``/``--max-age`` threshold was crossed.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

DEFAULT_MGMT_URI = "http://guest:guest@127.0.0.1:15672"
DEAD_SUFFIX = ".dead"
UNROUTED_QUEUE = "hromada.unrouted"
SERVICES = tuple(sorted(
    p.parent.name for p in (Path(__file__).resolve().parent.parent / "services").glob("*/alembic.ini")
)) or ("feedback", "gamification", "intake", "routing")

ATTEMPT_HEADER = "x-hromada-attempt"
ERROR_HEADER = "x-hromada-error"
TRACEBACK_HEADER = "x-hromada-traceback"
REPLAYED_HEADER = "x-hromada-replayed"
LAST_ERROR_HEADER = "x-hromada-last-error"
# Set by RabbitMQ when a message passes through the retry queues; a replay starts afresh.
BROKER_DEATH_HEADERS = (
    "x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
    "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason",
)


class OpsError(Exception):
    """A failure to report to the operator in one line (exit code 1)."""


# --------------------------------------------------------------------------------- output


def format_table(headers: list[str], rows: list[list], right: set[int] = frozenset()) -> str:
    """A plain-text table; columns whose index is in ``right`` are right-aligned."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "  ".join(
            (cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]))
            for i, cell in enumerate(row)
        ).rstrip()

    return "\n".join([line(cells[0]), line(["-" * w for w in widths])] + [line(r) for r in cells[1:]])


def _one_line(text, limit: int = 100) -> str:
    if text is None:
        return ""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


# ---------------------------------------------------------------------------- connections


def _redact(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(f":{parts.password}@", ":***@") if parts.password else url


def vhost_of(amqp_uri: str) -> str:
    """The vhost an AMQP URI names, as kombu reads it ("/" when the path is empty)."""
    path = urlsplit(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def with_vhost(amqp_uri: str, vhost: str) -> str:
    parts = urlsplit(amqp_uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), parts.query, ""))


def amqp_uri_from_mgmt(mgmt_uri: str) -> str:
    parts = urlsplit(mgmt_uri)
    user = quote(unquote(parts.username or "guest"), safe="")
    password = quote(unquote(parts.password or "guest"), safe="")
    return f"amqp://{user}:{password}@{parts.hostname or '127.0.0.1'}:5672/"


@dataclass
class Settings:
    mgmt_uri: str
    amqp_uri: str
    vhost: str

    @classmethod
    def from_args(cls, args) -> "Settings":
        mgmt_uri = args.mgmt_uri or os.environ.get("RABBIT_MGMT_URI") or DEFAULT_MGMT_URI
        amqp_uri = args.amqp_uri or os.environ.get("AMQP_URI") or amqp_uri_from_mgmt(mgmt_uri)
        vhost = args.vhost or vhost_of(amqp_uri)
        return cls(mgmt_uri, with_vhost(amqp_uri, vhost), vhost)


class ManagementApi:
    """The few calls of RabbitMQ's management HTTP API these commands need."""

    def __init__(self, mgmt_uri: str, timeout: float = 15.0):
        import requests

        parts = urlsplit(mgmt_uri)
        port = f":{parts.port}" if parts.port else ""
        self.base = urlunsplit((parts.scheme or "http", f"{parts.hostname}{port}",
                                parts.path.rstrip("/"), "", ""))
        self.auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
        self.timeout = timeout
        self.http = requests.Session()

    def _call(self, method: str, path: str, **kwargs):
        import requests

        url = f"{self.base}/api/{path}"
        try:
            response = self.http.request(method, url, auth=self.auth, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise OpsError(
                f"RabbitMQ's management API does not answer at {self.base} ({exc.__class__.__name__}); "
                "enable it (`rabbitmq-plugins enable rabbitmq_management`) or pass --mgmt-uri"
            ) from exc
        if response.status_code == 401:
            raise OpsError(f"the management API at {self.base} refused the credentials")
        return response

    def queues(self, vhost: str) -> list[dict]:
        response = self._call(
            "GET", f"queues/{quote(vhost, safe='')}",
            params={"columns": "name,messages,messages_ready,messages_unacknowledged,consumers"},
        )
        if response.status_code == 404:
            raise OpsError(f"no vhost {vhost!r} on {self.base}")
        response.raise_for_status()
        return sorted(response.json(), key=lambda q: q["name"])

    def peek(self, vhost: str, queue: str, count: int) -> list[dict]:
        """Up to ``count`` messages from the head of the queue, requeued in place."""
        response = self._call(
            "POST", f"queues/{quote(vhost, safe='')}/{quote(queue, safe='')}/get",
            json={"count": count, "ackmode": "ack_requeue_true", "encoding": "auto",
                  "truncate": 1_000_000},
        )
        if response.status_code == 404:
            raise OpsError(f"no queue {queue!r} in vhost {vhost!r}")
        response.raise_for_status()
        return response.json()


# ------------------------------------------------------------------------------- messages


def _decode_body(body) -> dict | None:
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        value = json.loads(body)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def describe(headers: dict | None, properties: dict | None, body) -> dict:
    """Event id, type, attempt and error of a message, from its properties, headers or body."""
    headers = headers or {}
    properties = properties or {}
    envelope = _decode_body(body) or {}
    return {
        "id": properties.get("message_id") or headers.get("ce-id") or envelope.get("id"),
        "type": properties.get("type") or headers.get("ce-type") or envelope.get("type"),
        "attempt": headers.get(ATTEMPT_HEADER),
        "error": headers.get(ERROR_HEADER),
        "traceback": headers.get(TRACEBACK_HEADER),
        "replayed": headers.get(REPLAYED_HEADER),
        "envelope": envelope,
    }


def replay_headers(headers: dict | None) -> dict:
    """The headers a replayed message carries: a fresh attempt count, the last error kept."""
    headers = dict(headers or {})
    for name in BROKER_DEATH_HEADERS:
        headers.pop(name, None)
    headers.pop(TRACEBACK_HEADER, None)
    error = headers.pop(ERROR_HEADER, None)
    if error is not None:
        headers[LAST_ERROR_HEADER] = error
    headers[ATTEMPT_HEADER] = 0
    headers[REPLAYED_HEADER] = int(headers.get(REPLAYED_HEADER) or 0) + 1
    return headers


@dataclass
class ReplayResult:
    source: str
    target: str
    found: int
    replayed: list[dict] = field(default_factory=list)
    remaining: int = 0


class ReturnedMessage(OpsError):
    pass


def replay_dead_letters(amqp_uri: str, queue: str, limit: int | None = None,
                        target: str | None = None, confirm_timeout: float = 30.0) -> ReplayResult:
    """Move up to ``limit`` messages (default: all present at the start) from ``queue`` to
    ``target`` (default: ``queue`` without ``.dead``), one at a time, never losing one."""
    import amqp
    from amqp.exceptions import NotFound
    from kombu import Connection

    if target is None:
        if not queue.endswith(DEAD_SUFFIX):
            raise OpsError(f"{queue} is not a dead-letter queue (*{DEAD_SUFFIX}); pass --to QUEUE")
        target = queue[: -len(DEAD_SUFFIX)]
    if target == queue:
        raise OpsError("the target queue is the dead-letter queue itself")

    with Connection(amqp_uri, connect_timeout=10,
                    transport_options={"confirm_publish": True}) as connection:
        try:
            connection.connect()
        except Exception as exc:  # noqa: BLE001
            raise OpsError(f"cannot connect to RabbitMQ at {_redact(amqp_uri)}: {exc}") from exc
        # Passive declares check that both queues exist (a miss closes its channel, so each
        # gets its own) and say how many messages wait: the replay's upper bound, so messages
        # that fail again and come back are not replayed twice in one run.
        for name in (target, queue):
            probe = connection.channel()
            try:
                _, found, _ = probe.queue_declare(queue=name, passive=True)
            except NotFound as exc:
                raise OpsError(f"no queue {name!r} in vhost {vhost_of(amqp_uri)!r}") from exc
            finally:
                if probe.is_open:
                    probe.close()
        result = ReplayResult(queue, target, found)
        budget = found if limit is None else min(limit, found)

        channel = connection.channel()
        channel.auto_decode = False  # republish the body byte for byte
        returned: list[tuple] = []
        channel.events["basic_return"].add(
            lambda exc, exchange, routing_key, message: returned.append((exc, routing_key)))
        try:
            while len(result.replayed) < budget:
                message = channel.basic_get(queue=queue, no_ack=False)
                if message is None:
                    break
                headers = message.properties.get("application_headers") or {}
                info = describe(headers, message.properties, message.body)
                properties = {k: v for k, v in message.properties.items()
                              if k not in ("application_headers", "expiration", "user_id")}
                properties["delivery_mode"] = 2
                copy = amqp.Message(message.body, application_headers=replay_headers(headers),
                                    **properties)
                try:
                    # Waits for the broker's confirm; raises on a nack or a timeout.
                    channel.basic_publish(copy, exchange="", routing_key=target, mandatory=True,
                                          confirm_timeout=confirm_timeout)
                    if returned:
                        raise ReturnedMessage(f"RabbitMQ could not route the message to {target} "
                                              f"({returned[-1][0]}); it stays in {queue}")
                except Exception:
                    # Not confirmed: give the original back (it keeps its place at the head).
                    try:
                        channel.basic_reject(message.delivery_tag, requeue=True)
                    except Exception:  # noqa: BLE001 - closing the channel requeues it anyway
                        pass
                    raise
                channel.basic_ack(message.delivery_tag)
                result.replayed.append(info)
            _, result.remaining, _ = channel.queue_declare(queue=queue, passive=True)
        finally:
            if channel.is_open:
                channel.close()
    return result


# ------------------------------------------------------------------------------- commands


def cmd_dead_letters_list(settings: Settings, args) -> int:
    api = ManagementApi(settings.mgmt_uri)
    queues = [q for q in api.queues(settings.vhost)
              if q["name"].endswith(DEAD_SUFFIX) or q["name"] == UNROUTED_QUEUE]
    if not queues:
        print(f"no dead-letter queues in vhost {settings.vhost!r} (has any service started?)")
        return 0
    rows, total = [], 0
    for q in queues:
        messages = q.get("messages")
        total += messages or 0
        rows.append([q["name"], "?" if messages is None else messages,
                     q.get("messages_unacknowledged", ""), q.get("consumers", "")])
    print(format_table(["QUEUE", "MESSAGES", "UNACKED", "CONSUMERS"], rows, right={1, 2, 3}))
    print(f"\n{total} message(s) parked in vhost {settings.vhost!r} "
          "(management statistics lag a few seconds)")
    if total:
        print("inspect: python -m deploy.ops dead-letters show QUEUE; "
              "replay: python -m deploy.ops dead-letters replay QUEUE")
    return 2 if total and args.fail_if_any else 0


def cmd_dead_letters_show(settings: Settings, args) -> int:
    api = ManagementApi(settings.mgmt_uri)
    messages = api.peek(settings.vhost, args.queue, args.limit)
    if not messages:
        print(f"{args.queue} is empty")
        return 0
    rows, described = [], []
    for number, m in enumerate(messages, 1):
        properties = m.get("properties") or {}
        body = m.get("payload")
        if m.get("payload_encoding") == "base64":
            body = base64.b64decode(body or "")
        info = describe(properties.get("headers"), properties, body)
        described.append(info)
        rows.append([number, info["id"] or "?", info["type"] or "?",
                     "" if info["attempt"] is None else info["attempt"],
                     _one_line(info["error"], 10_000 if args.full else 80)])
    print(format_table(["#", "EVENT ID", "TYPE", "ATTEMPT", "ERROR"], rows, right={0, 3}))
    remaining = messages[-1].get("message_count", 0)
    print(f"\n{len(messages)} shown, {remaining} more in {args.queue} (peeked: nothing was removed)")
    if args.full:
        for number, info in enumerate(described, 1):
            print(f"\n--- #{number} {info['id']}")
            if info["replayed"]:
                print(f"replayed before: {info['replayed']} time(s)")
            if info["traceback"]:
                print(info["traceback"].rstrip())
            print(json.dumps(info["envelope"], ensure_ascii=False, indent=2))
    return 0


def cmd_dead_letters_replay(settings: Settings, args) -> int:
    result = replay_dead_letters(settings.amqp_uri, args.queue, args.limit, args.to)
    if result.replayed:
        rows = [[n, i["id"] or "?", i["type"] or "?",
                 "" if i["attempt"] is None else i["attempt"], _one_line(i["error"], 80)]
                for n, i in enumerate(result.replayed, 1)]
        print(format_table(["#", "EVENT ID", "TYPE", "ATTEMPTS", "LAST ERROR"], rows, right={0, 3}))
        print()
    print(f"replayed {len(result.replayed)} message(s) from {result.source} to {result.target} "
          f"(attempt reset to 0); {result.remaining} left in {result.source}")
    return 0


def cmd_queues(settings: Settings, args) -> int:
    api = ManagementApi(settings.mgmt_uri)
    queues = api.queues(settings.vhost)
    if not queues:
        print(f"no queues in vhost {settings.vhost!r}")
        return 0
    rows = [[q["name"], q.get("messages", "?"), q.get("messages_ready", ""),
             q.get("messages_unacknowledged", ""), q.get("consumers", "")] for q in queues]
    print(format_table(["QUEUE", "MESSAGES", "READY", "UNACKED", "CONSUMERS"], rows,
                       right={1, 2, 3, 4}))
    idle = [q["name"] for q in queues if not q.get("consumers")
            and not q["name"].endswith(DEAD_SUFFIX) and ".retry." not in q["name"]
            and q["name"] != UNROUTED_QUEUE and not q["name"].startswith("rpc.reply-")]
    if idle:
        print(f"\nno consumer on: {', '.join(idle)}")
    return 0


def outbox_backlog(database_url: str) -> dict:
    """Unpublished outbox rows of one service's database: count, oldest, by event type."""
    from sqlalchemy import MetaData, create_engine, func, select
    from sqlalchemy.pool import NullPool

    from hromada_common.db import define_messaging_tables, normalise_url

    outbox, _ = define_messaging_tables(MetaData())
    engine = create_engine(normalise_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            pending = outbox.c.published_at.is_(None)
            by_type = connection.execute(
                select(outbox.c.event_type, func.count(), func.min(outbox.c.created_at))
                .where(pending).group_by(outbox.c.event_type).order_by(outbox.c.event_type)
            ).all()
            last_published = connection.execute(select(func.max(outbox.c.published_at))).scalar()
    except Exception as exc:  # noqa: BLE001
        raise OpsError(f"cannot read the outbox at {_redact(database_url)}: {exc}") from exc
    finally:
        engine.dispose()

    def aware(value):
        if value is not None and value.tzinfo is None:  # SQLite keeps no offset; rows are UTC
            value = value.replace(tzinfo=timezone.utc)
        return value

    types = [(t, n, aware(oldest)) for t, n, oldest in by_type]
    oldest = min((o for _, _, o in types if o is not None), default=None)
    return {"unpublished": sum(n for _, n, _ in types), "oldest": oldest, "by_type": types,
            "last_published": aware(last_published)}


def cmd_outbox(settings: Settings, args) -> int:
    url = args.database_url or os.environ.get(f"{args.service.upper()}_DATABASE_URL")
    if not url:
        raise OpsError(f"pass --database-url or set {args.service.upper()}_DATABASE_URL")
    backlog = outbox_backlog(url)
    now = datetime.now(timezone.utc)
    age = (now - backlog["oldest"]).total_seconds() if backlog["oldest"] else 0.0
    if backlog["by_type"]:
        rows = [[t, n, _age((now - o).total_seconds()) if o else ""] for t, n, o in backlog["by_type"]]
        print(format_table(["EVENT TYPE", "UNPUBLISHED", "OLDEST"], rows, right={1, 2}))
        print()
    last = backlog["last_published"]
    print(f"{args.service} outbox: {backlog['unpublished']} unpublished"
          + (f", oldest {_age(age)} old ({backlog['oldest'].isoformat(timespec='seconds')})"
             if backlog["oldest"] else "")
          + (f"; last published {_age((now - last).total_seconds())} ago" if last else ""))
    if args.max_age is not None and backlog["unpublished"] and age > args.max_age:
        print(f"the oldest unpublished event is older than {args.max_age:g}s: is the "
              f"{args.service} relay running, and can it reach RabbitMQ?", file=sys.stderr)
        return 2
    return 0


def sign_in_guessing(database_url: str, window: float = 3600.0, at_least: int = 1) -> list[dict]:
    """Failed sign-ins per email address within the last ``window`` seconds, from accounts'
    throttles (addresses only as hashes, as stored): failures, how many sources, how many of
    those are locked now, and the account id when the address has one. Busiest first."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from hromada_common.db import normalise_url

    engine = create_engine(normalise_url(database_url), poolclass=NullPool)
    query = text(
        "SELECT t.address_key, sum(t.failures) AS failures, count(*) AS sources,"
        " count(*) FILTER (WHERE t.locked_until > now()) AS locked, min(a.id) AS account_id"
        " FROM login_throttles t LEFT JOIN accounts a"
        "   ON a.email IS NOT NULL AND encode(sha256(convert_to(a.email, 'UTF8')), 'hex') = t.address_key"
        " WHERE t.address_key IS NOT NULL AND t.last_failure_at >= now() - make_interval(secs => :window)"
        " GROUP BY t.address_key HAVING sum(t.failures) >= :at_least"
        " ORDER BY failures DESC, t.address_key")
    try:
        with engine.connect() as connection:
            rows = connection.execute(query, {"window": window, "at_least": at_least}).all()
    except Exception as exc:  # noqa: BLE001
        raise OpsError(f"cannot read sign-in throttles at {_redact(database_url)}: {exc}") from exc
    finally:
        engine.dispose()
    return [{"address_key": r.address_key, "failures": int(r.failures), "sources": int(r.sources),
             "locked_sources": int(r.locked), "account_id": r.account_id} for r in rows]


def cmd_sign_ins(settings: Settings, args) -> int:
    url = args.database_url or os.environ.get("ACCOUNTS_DATABASE_URL")
    if not url:
        raise OpsError("pass --database-url or set ACCOUNTS_DATABASE_URL")
    rows = sign_in_guessing(url, args.window)
    if rows:
        print(format_table(
            ["ADDRESS (SHA-256)", "ACCOUNT", "FAILURES", "SOURCES", "LOCKED"],
            [[r["address_key"][:16] + "…", r["account_id"] or "(none)", r["failures"],
              r["sources"], r["locked_sources"]] for r in rows], right={2, 3, 4}))
        print()
    total = sum(r["failures"] for r in rows)
    print(f"failed sign-ins in the last {_age(args.window)}: {total} on {len(rows)} address(es)")
    if args.alert is not None and any(r["failures"] >= args.alert for r in rows):
        print(f"an address has {args.alert} or more failed sign-ins: sustained guessing",
              file=sys.stderr)
        return 2
    return 0


# ------------------------------------------------------------------------------------ CLI


def build_parser() -> argparse.ArgumentParser:
    # The connection options work before or after the command: the sub-parsers' copies only
    # set a value when given (SUPPRESS), the top-level parser holds the defaults.
    def connection_options(parser, suppress):
        default = argparse.SUPPRESS if suppress else None
        parser.add_argument("--mgmt-uri", default=default,
                            help="RabbitMQ management API, e.g. http://guest:guest@127.0.0.1:15672 "
                                 "(default $RABBIT_MGMT_URI, else that)")
        parser.add_argument("--amqp-uri", default=default,
                            help="AMQP URI for replay (default $AMQP_URI, else the management host)")
        parser.add_argument("--vhost", default=default,
                            help='RabbitMQ vhost (default: the AMQP URI\'s, else "/")')

    common = argparse.ArgumentParser(add_help=False)
    connection_options(common, suppress=True)

    parser = argparse.ArgumentParser(
        prog="python -m deploy.ops", description="Hromada operator commands.",
        epilog="See docs/operations.md.")
    connection_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dead = commands.add_parser("dead-letters", parents=[common],
                               help="list dead-letter queues (and show or replay their messages)")
    dead.add_argument("--fail-if-any", action="store_true",
                      help="exit 2 when any message is parked (for cron or monitoring checks)")
    actions = dead.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", parents=[common], help="peek at a queue's messages")
    show.add_argument("queue")
    show.add_argument("--limit", type=int, default=10, help="messages to show (default 10)")
    show.add_argument("--full", action="store_true", help="also print tracebacks and bodies")
    replay = actions.add_parser("replay", parents=[common],
                                help="move messages back to their subscription's queue")
    replay.add_argument("queue")
    replay.add_argument("--limit", type=int, default=None,
                        help="messages to replay (default: all there at the start)")
    replay.add_argument("--to", default=None,
                        help="target queue (default: QUEUE without its .dead suffix)")

    commands.add_parser("queues", parents=[common], help="every queue's depth and consumers")

    outbox = commands.add_parser("outbox", parents=[common],
                                 help="unpublished outbox rows of one service")
    outbox.add_argument("service", choices=SERVICES)
    outbox.add_argument("--database-url", default=None,
                        help="the service's database (default $<SERVICE>_DATABASE_URL)")
    outbox.add_argument("--max-age", type=float, default=None, metavar="SECONDS",
                        help="exit 2 when the oldest unpublished event is older than this")

    sign_ins = commands.add_parser("sign-ins", parents=[common],
                                   help="failed sign-ins per address (password guessing)")
    sign_ins.add_argument("--database-url", default=None,
                          help="accounts' database (default $ACCOUNTS_DATABASE_URL)")
    sign_ins.add_argument("--window", type=float, default=3600.0, metavar="SECONDS",
                          help="count failures of the last SECONDS (default 3600)")
    sign_ins.add_argument("--alert", type=int, default=None, metavar="N",
                          help="exit 2 when an address has N or more failures in the window")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for option in ("limit",):
        if getattr(args, option, None) is not None and getattr(args, option) < 1:
            print("error: --limit must be at least 1", file=sys.stderr)
            return 1
    settings = Settings.from_args(args)
    try:
        if args.command == "dead-letters":
            handler = {None: cmd_dead_letters_list, "show": cmd_dead_letters_show,
                       "replay": cmd_dead_letters_replay}[args.action]
        else:
            handler = {"queues": cmd_queues, "outbox": cmd_outbox,
                       "sign-ins": cmd_sign_ins}[args.command]
        return handler(settings, args)
    except OpsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
