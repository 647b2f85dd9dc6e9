"""The gateway's HTTP plumbing: one entrypoint, one error table, problem+json everywhere.

Every error the gateway answers with is an RFC 9457 problem document. Typed errors raised by
the services behind it cross RPC as the same classes (see ``hromada_common.errors``) and are
mapped to statuses once, in :data:`mapped_errors`. Routing misses (404, 405) never reach an
entrypoint, so the WSGI app turns them into problems too. The same layer honours or issues
the ``X-Request-Id`` and hands it to nameko as context data, so every RPC call carries it.
"""
from __future__ import annotations

import json
import logging
import math
import re
import socket
import uuid
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from urllib.parse import quote

import amqp.exceptions
import kombu.exceptions
import sqlalchemy.exc
from eventlet.event import Event
from hromada_common.auth import (
    AUTH_CONTEXT_KEY, CLIENT_IP_CONTEXT_KEY, Identity, TooManyRequests, Unauthenticated,
    verifier_from_config,
)
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from hromada_common.events import UNSTORABLE_MESSAGE, UNSTORABLE_TEXT
from hromada_common.messaging.ledger import REQUEST_KEY_CONTEXT_KEY
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from hromada_common.revocation import RevocationFeed

from gateway.headers import HeaderPolicy, is_preflight, options_response, secure
from gateway.ratelimit import RateLimitGate, retry_after_seconds

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"
JSON_MIMETYPE = "application/json"
PROBLEM_TYPE_BASE = "https://hromada.city/problems/"

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_CONTEXT_KEY = "hromada.request_id"
"""nameko context data key; RPC proxies send it on as the ``nameko.hromada.request_id`` header."""
_REQUEST_ID_ENVIRON_KEY = "hromada.request_id"
# A caller's id is kept only if it is a plausible token: it ends up in logs and headers downstream.
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
MAX_BODY_BYTES = 1024 * 1024
"""Far above any valid appeal (4,000-character description); stops memory abuse early."""
MAX_JSON_DEPTH = 32
"""Nesting of arrays and objects a request body may have; the deepest valid body has 4. Far
deeper input would exhaust the stack (a RecursionError) of whatever walks it next."""


class Problem(Exception):
    """An error the gateway itself detects (bad header, wrong media type, malformed JSON)."""

    def __init__(self, status: int, detail: str, fields: dict | None = None, title: str | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.fields = fields or {}
        self.title = title


@dataclass(frozen=True)
class Remote:
    """Matches an error a service raised without meaning to tell its caller (no typed
    ``HromadaError``): nameko hands it over as a ``RemoteError`` naming the class only."""

    exc_type: str

    def matches(self, exc: Exception) -> bool:
        return isinstance(exc, RemoteError) and exc.exc_type == self.exc_type


@dataclass(frozen=True)
class ConnectionInvalidated:
    """Matches a SQLAlchemy ``DBAPIError`` on which the connection was invalidated: whatever
    the driver called it, the database went away under the statement."""

    def matches(self, exc: Exception) -> bool:
        return isinstance(exc, sqlalchemy.exc.DBAPIError) and bool(exc.connection_invalidated)


mapped_errors: dict[type[Exception] | Remote | ConnectionInvalidated, int] = {
    Unauthenticated: 401,
    TooManyRequests: 429,
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    Unavailable: 503,
    RpcTimeout: 503,
    UnknownService: 503,
    # A dependency is down (a PostgreSQL or RabbitMQ restart): the request may well succeed
    # in a few seconds, so it is a 503 with Retry-After, never a 500. Raised here, by the
    # gateway's own RPC proxy (kombu/py-amqp, the socket underneath) ...
    kombu.exceptions.OperationalError: 503,
    amqp.exceptions.RecoverableConnectionError: 503,
    amqp.exceptions.ConnectionError: 503,
    ConnectionError: 503,  # refused, reset, aborted, broken pipe
    socket.timeout: 503,
    socket.gaierror: 503,
    sqlalchemy.exc.OperationalError: 503,
    ConnectionInvalidated(): 503,
    # ... or by a service behind it, whose database or broker connection failed the same way
    # (SQLAlchemy's, psycopg2's and kombu's OperationalError share the name).
    Remote("OperationalError"): 503,
    Remote("ConnectionRefusedError"): 503,
    Remote("ConnectionResetError"): 503,
    Remote("ConnectionAbortedError"): 503,
    Remote("BrokenPipeError"): 503,
    Remote("RecoverableConnectionError"): 503,
    Remote("ConnectionForced"): 503,
}
"""The one place an error becomes an HTTP status: a typed error class (local, or raised by a
service and deserialised to the same class), or a matcher for what crossed RPC untyped."""

UNAVAILABLE_RETRY_AFTER = 5
"""Seconds a 503 asks the client to wait (``Retry-After``) unless the error says otherwise:
about what a PostgreSQL or RabbitMQ restart takes."""

PROBLEM_SLUGS: dict[int, str] = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}

EXPECTED_EXCEPTIONS = (Problem, *(key for key in mapped_errors if isinstance(key, type)))
"""Errors that are answers, not bugs: nameko logs them as warnings rather than errors."""


def problem_type(status: int) -> str:
    return PROBLEM_TYPE_BASE + PROBLEM_SLUGS.get(status, "about-blank")


def problem_response(
    status: int,
    detail: str,
    instance: str,
    title: str | None = None,
    fields: dict | None = None,
    extra: dict | None = None,
    headers: dict | None = None,
) -> Response:
    """Build an RFC 9457 ``application/problem+json`` response.

    ``fields`` (``{"location.lat": ["..."]}``) becomes the ``errors`` member; ``extra`` adds
    extension members (it never overrides the standard ones).
    """
    body = dict(extra or {})
    body.update(
        type=problem_type(status),
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
    )
    if fields:
        body["errors"] = [
            {"field": field, "messages": list(messages)} for field, messages in fields.items()
        ]
    return Response(_json_text(body), status=status, mimetype=PROBLEM_MIMETYPE, headers=headers)


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON success response (UTF-8, non-ASCII kept as is)."""
    return Response(_json_text(payload), status=status, mimetype=JSON_MIMETYPE, headers=headers)


def _json_text(payload) -> str:
    """JSON with non-ASCII kept as is, unless it holds a lone surrogate (which has no UTF-8
    form): then escaped, so that echoing odd input can never fail the response itself."""
    text = json.dumps(payload, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(payload)
    return text


def read_json_object(request: Request) -> dict:
    """Return the request body as a dict; 415 unless it is ``application/json``, 413 when it
    is too large, 400 unless it parses as a JSON object nested at most
    :data:`MAX_JSON_DEPTH` deep."""
    if request.mimetype != JSON_MIMETYPE:
        raise Problem(415, f"The request body must be sent as {JSON_MIMETYPE}.")
    too_large = Problem(413, f"The request body exceeds {MAX_BODY_BYTES} bytes.")
    try:
        data = request.get_data(cache=True)
        if request.content_length is None and len(data) >= MAX_BODY_BYTES:
            # A chunked body is read up to the limit and no further: it may be longer.
            raise too_large
        body = json.loads(data or b"")
    except RequestEntityTooLarge:
        raise too_large from None
    except RecursionError:
        raise Problem(400, _TOO_DEEP) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise Problem(400, "The request body must be a JSON object.")
    if json_depth(body) > MAX_JSON_DEPTH:
        raise Problem(400, _TOO_DEEP)
    return body


_TOO_DEEP = f"The request body nests arrays and objects more than {MAX_JSON_DEPTH} deep."


def json_depth(value) -> int:
    """How deep arrays and objects nest in decoded JSON (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        stack.extend((inner, depth + 1) for inner in value)
    return deepest


def check_path_values(values: dict) -> None:
    """A path parameter holding NUL or a lone surrogate names nothing that can exist: 404,
    naming the parameter (it would otherwise reach a database that refuses it)."""
    bad = {name: [UNSTORABLE_MESSAGE] for name, value in values.items()
           if isinstance(value, str) and UNSTORABLE_TEXT.search(value)}
    if bad:
        raise Problem(404, "There is no resource at this path: a path parameter holds "
                           "characters no identifier has.", fields=bad)


def mapped_status(exc: Exception) -> int | None:
    """The status :data:`mapped_errors` gives ``exc``, or None for an unexpected error."""
    for key, status in mapped_errors.items():
        if key.matches(exc) if hasattr(key, "matches") else isinstance(exc, key):
            return status
    return None


def error_response(exc: Exception, request: Request) -> Response:
    """Translate an exception raised while handling ``request`` into a problem response."""
    instance = instance_of(request)
    if isinstance(exc, Problem):
        return problem_response(exc.status, exc.detail, instance, title=exc.title, fields=exc.fields)
    status = mapped_status(exc)
    if status == 503 and not isinstance(exc, (Unavailable, RpcTimeout, UnknownService)):
        # The client learns that it may retry, not which driver failed how: that is logged.
        log.warning("dependency unavailable answering %s %s (request id %s): %r",
                    request.method, request.path, request_id_of(request), exc)
        return problem_response(
            503, "A service the request depends on is unavailable; retry shortly.", instance,
            headers=_error_headers(exc, status))
    if status is not None:
        return problem_response(
            status,
            _remote_detail(exc),
            instance,
            title=getattr(exc, "title", None),
            fields=getattr(exc, "fields", None),
            extra=_error_extra(exc),
            headers=_error_headers(exc, status),
        )
    log.error(
        "unexpected error answering %s %s (request id %s)",
        request.method, request.path, request_id_of(request), exc_info=exc,
    )
    return problem_response(500, "The server failed to handle the request.", instance)


def _error_extra(exc: Exception) -> dict | None:
    extra = getattr(exc, "extra", None)
    if isinstance(exc, TooManyRequests):  # every 429 says how long to wait, in whole seconds
        return {**(extra or {}), "retry_after": retry_after_seconds(exc)}
    return extra


def _error_headers(exc: Exception, status: int) -> dict:
    if status == 401:
        return {"WWW-Authenticate": 'Bearer realm="hromada"'}
    if status == 429:
        seconds = (retry_after_seconds(exc) if isinstance(exc, TooManyRequests)
                   else _whole_seconds(exc, default=1))
        return {"Retry-After": str(seconds)}
    if status == 503:
        return {"Retry-After": str(_whole_seconds(exc, default=UNAVAILABLE_RETRY_AFTER))}
    return {}


def _whole_seconds(exc: Exception, default: int) -> int:
    """``extra["retry_after"]`` of a typed error as a whole number of seconds (at least 1)."""
    extra = getattr(exc, "extra", None) or {}
    try:
        return max(1, math.ceil(float(extra.get("retry_after") or default)))
    except (TypeError, ValueError):
        return default


def bearer_token(request: Request) -> str | None:
    """The access token of ``Authorization: Bearer <token>``; None when there is no header."""
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("use 'Authorization: Bearer <access token>'")
    return token.strip()


def client_ip(request: Request) -> str | None:
    return request.remote_addr


def _remote_detail(exc: Exception) -> str:
    if isinstance(exc, RpcTimeout):
        return "A service the request depends on did not answer in time."
    if isinstance(exc, UnknownService):
        return "A service the request depends on is not running."
    return getattr(exc, "detail", None) or str(exc)


def instance_of(request: Request) -> str:
    """The request's path as a URI reference (percent-encoded, as the client sent it), the
    ``instance`` of a problem about it."""
    return quote(request.path, safe="/:@!$&'()*+,;=~")


def request_id_of(request: Request) -> str:
    return request.environ.get(_REQUEST_ID_ENVIRON_KEY, "")


class GatewayRequest(Request):
    max_content_length = MAX_BODY_BYTES


class ProblemWsgiApp(WsgiApp):
    """nameko's WSGI app, answering routing misses with problems and tagging every response
    with the request id."""

    def __call__(self, environ, start_response):
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _ACCEPTABLE_REQUEST_ID.match(incoming) else str(uuid.uuid4())
        environ[_REQUEST_ID_ENVIRON_KEY] = request_id

        def start_response_with_id(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != REQUEST_ID_HEADER.lower()]
            headers.append((REQUEST_ID_HEADER, request_id))
            if status.startswith("503") and not any(k.lower() == "retry-after" for k, _ in headers):
                # Every 503 (/ready's too) tells the client when to try again.
                headers.append(("Retry-After", str(UNAVAILABLE_RETRY_AFTER)))
            return start_response(status, headers, exc_info)

        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            # eventlet's wsgi.input decodes the chunks and ends at the last one, but says not
            # so: without this werkzeug sees no Content-Length and reads the body as empty.
            # werkzeug still caps what it reads at max_content_length (413 beyond).
            environ["wsgi.input_terminated"] = True
        request = GatewayRequest(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        policy = self.server.header_policy
        try:
            if is_preflight(request):
                # Answered here for every route, signed in or not: a browser's preflight
                # carries no token, and no entrypoint runs for it.
                methods = adapter.allowed_methods()
                if not methods:
                    raise RouteNotFound()
                response = options_response(request, methods, policy)
            else:
                provider, values = adapter.match()
                request.path_values = values
                response = provider.handle_request(request)
        except HTTPException as exc:
            response = self._routing_response(exc, request)
            if not isinstance(response, Response):  # a redirect werkzeug decided on
                response = response.get_response(environ)
        return secure(response, request, policy)(environ, start_response_with_id)

    @staticmethod
    def _routing_response(exc: HTTPException, request: Request):
        status = exc.code or 500
        if status < 400:  # a redirect werkzeug's router decided on; let it through
            return exc
        headers = {}
        detail = exc.description or HTTPStatus(status).description
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))
            detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}."
        elif status == 404:
            detail = f"There is no resource at {instance_of(request)}."
        problem = problem_response(status, detail, instance_of(request), headers=headers)
        if wants_a_page(request):
            # A browser that followed a stale link gets the portal's page, not JSON text.
            from gateway.web.pages import error_page  # the web edge builds on this module

            return error_page(problem, request)
        return problem


def wants_a_page(request: Request) -> bool:
    """A browser asking for a page outside the API (it prefers HTML to JSON): routing errors
    are answered with the portal's error page. API clients, which send ``Accept: */*`` or
    JSON, keep problem+json."""
    if request.method not in ("GET", "HEAD") or request.path.startswith(("/api/", "/media/")):
        return False
    return request.accept_mimetypes.best_match(
        ["application/json", "text/html"]) == "text/html"


class EdgeRevocations(DependencyProvider):
    """The gateway's own :class:`RevocationList` (the web server's feed: a shared extension,
    one per container), so ``/ready`` can say whether the edge can judge tokens yet."""

    revocation_feed = RevocationFeed()

    def get_dependency(self, worker_ctx):
        return self.revocation_feed.revocations


class ProblemWebServer(WebServer):
    """nameko's web server with :class:`ProblemWsgiApp`, request-id and caller context data,
    token verification and rate limits."""

    revocation_feed = RevocationFeed()  # refuses revoked tokens (hromada_common.revocation)

    def setup(self):
        super().setup()
        config = self.container.config
        self.verifier = verifier_from_config(config, revocations=self.revocation_feed.revocations)
        self.rate_limits = RateLimitGate.from_config(config)
        self.header_policy = HeaderPolicy.from_config(config)

    def process_request(self, sock, address):
        # No Nagle: a page longer than one segment is written in several sends, and the last
        # would otherwise wait for the client's delayed ACK (40 ms on Linux) on keep-alive.
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not a TCP socket (a test's socketpair): nothing to tune
            pass
        super().process_request(sock, address)

    def stop(self):
        super().stop()
        self.rate_limits.close()

    def get_wsgi_app(self):
        return ProblemWsgiApp(self)

    def context_data_from_headers(self, request, token: str | None = None):
        # The request key is the gateway's own, fresh per HTTP request (the client's
        # X-Request-Id may repeat): each service's state-changing RPCs apply it at most once,
        # however often the broker delivers them (messaging.commands).
        context = {REQUEST_ID_CONTEXT_KEY: request_id_of(request),
                   REQUEST_KEY_CONTEXT_KEY: f"gateway:{uuid.uuid4().hex}",
                   CLIENT_IP_CONTEXT_KEY: client_ip(request)}  # sign-in throttling's source
        if token:  # the caller's access token (HttpEntrypoint.caller)
            # Passed on to every RPC call: each service verifies it again itself.
            context[AUTH_CONTEXT_KEY] = token
        return context


@dataclass(frozen=True)
class Access:
    """Who may call a route, checked at the edge from the token alone, before the body is
    read: who you are comes before what you sent (401 anonymous, 403 without the role, on
    every route alike). The services check again, finer (the author, the body's staff)."""

    signed_in: bool = True
    roles: frozenset[str] = frozenset()
    """Any of these roles will do; empty: any signed-in caller."""

    def check(self, identity: Identity | None) -> None:
        if not self.signed_in:
            return
        if identity is None:
            raise Unauthenticated("sign in first: this needs an access token")
        if self.roles and not identity.has_role(*self.roles):
            raise Forbidden(f"this needs one of the roles: {', '.join(sorted(self.roles))}")


PUBLIC = Access(signed_in=False)
"""Anyone; a token, if sent, must still be valid."""
SIGNED_IN = Access()
"""Any signed-in caller (the default: a route is open only if it says so)."""


def roles(*names: str) -> Access:
    """Only callers with one of ``names``."""
    return Access(roles=frozenset(names))


class HttpEntrypoint(HttpRequestHandler):
    """The gateway's only HTTP entrypoint: successes as returned, failures as problem+json.

    ``access`` (default :data:`SIGNED_IN`) says who may call the route; it is checked before
    a worker runs, so before the body is read. Errors listed in :data:`mapped_errors` and
    :class:`Problem` are expected by default, so they do not count as worker failures.
    """

    server = ProblemWebServer()

    def __init__(self, method, url, access: Access = SIGNED_IN,
                 expected_exceptions=EXPECTED_EXCEPTIONS, **kwargs):
        self.access = access
        super().__init__(method, url, expected_exceptions=expected_exceptions, **kwargs)

    def handle_request(self, request):
        """Run a worker for ``request``; the same as nameko's, except that error responses
        are built with the request at hand (a problem names its ``instance``)."""
        request.shallow = False
        limits = {}
        try:
            token, identity = self.caller(request)
            gate = self.server.rate_limits.check(
                request.method, request.path, client_ip(request), identity)
            limits = gate.headers
            if not gate.allowed:
                return problem_response(
                    429, f"Too many requests; retry in {gate.retry_after} s.", instance_of(request),
                    extra={"violated_policies": list(gate.violated_policies),
                           "retry_after": gate.retry_after},
                    headers=limits,
                )
            self.access.check(identity)
            check_path_values(getattr(request, "path_values", None) or {})
            response = self.cached_response(request, identity)
            if response is None:
                context_data = self.server.context_data_from_headers(request, token)
                args, kwargs = self.get_entrypoint_parameters(request)
                self.check_signature(args, kwargs)
                event = Event()
                self.container.spawn_worker(
                    self, args, kwargs, context_data=context_data,
                    handle_result=partial(self.handle_result, event),
                )
                result = event.wait()
                response = self.response_from_result(result)
                self.remember_response(request, identity, response)
        except Exception as exc:
            response = self.response_from_exception(exc, request)
        response.headers.update(limits)
        return response

    def cached_response(self, request, identity):
        """A response kept from an earlier identical request, or None to run a worker; after
        the rate limits and the access check, so a cached answer obeys both. The API keeps
        none (:class:`gateway.web.pages.PageEntrypoint` keeps public pages briefly)."""
        return None

    def remember_response(self, request, identity, response) -> None:
        """Called with each response a worker made; see :meth:`cached_response`."""

    def caller(self, request) -> tuple[str | None, Identity | None]:
        """The access token ``request`` carries and whom it names ((None, None): anonymous).
        The API's is the bearer token; a page's comes from its session cookie instead
        (:mod:`gateway.web.session`)."""
        token = bearer_token(request)
        return token, (self.server.verifier.verify(token) if token else None)

    def response_from_exception(self, exc, request=None):
        """Map ``exc`` to a problem response (see :data:`mapped_errors`)."""
        if request is None:  # only nameko's own code paths call without one
            request = Request.from_values(path="/")
        return error_response(exc, request)


http = HttpEntrypoint.decorator
