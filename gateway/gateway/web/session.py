"""Browser sessions of the portal: the token pair in cookies, its refresh, and CSRF tokens.

* **Cookies.** A signed-in browser holds the access token (:data:`ACCESS_COOKIE`) and the
  refresh token (:data:`REFRESH_COOKIE`) the accounts service issued, both ``HttpOnly``
  (no page script can read them), ``SameSite=Lax``, ``Path=/`` and ``Secure`` when the
  request came over HTTPS (the WSGI scheme, or ``X-Forwarded-Proto`` when the gateway is told
  to trust its proxy: :data:`TRUST_PROTO_CONFIG_KEY`). The display name for the header rides
  along in :data:`NAME_COOKIE` (no secret; saves a ``get_me`` call on every page).
* **Acting as the account.** :func:`caller_from_cookies` is the page entrypoint's
  :meth:`~gateway.http.HttpEntrypoint.caller`: the access cookie's token is verified at the
  edge exactly as a bearer token is, and becomes the token every RPC call of the request
  carries. A token the edge refuses (expired, revoked, garbage) makes the request anonymous
  at the edge and marks it stale.
* **Refresh.** A page that needs the account calls :meth:`Session.require`: with a stale or
  missing access cookie and a refresh cookie it rotates the pair once
  (``accounts.refresh_tokens``), puts the new access token into the worker's context data (so
  the page's next RPC calls carry it) and queues the new cookies; a refused refresh token
  ends the session. Cookies queued by a worker are set on whatever response the request gets,
  an error page included (:func:`apply_cookies`), so a used-up refresh token is never kept.
* **CSRF.** Every browser gets a random :data:`CSRF_COOKIE`; every state-changing form carries
  ``HMAC(secret, that value)`` in its hidden :data:`CSRF_FIELD`, and :meth:`Session.form`
  checks it (and ``Origin``/``Referer`` when present) before anything in the body is used.
  The value is replaced at sign-in and sign-out. The secret is :data:`SECRET_CONFIG_KEY`
  (every gateway instance must share it; without one each process makes its own).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from urllib.parse import quote, unquote, urlsplit

from hromada_common.auth import AUTH_CONTEXT_KEY, Unauthenticated
from hromada_common.errors import Forbidden
from nameko.extensions import DependencyProvider
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.http import Problem

log = logging.getLogger(__name__)

ACCESS_COOKIE = "hromada_access"
REFRESH_COOKIE = "hromada_refresh"
NAME_COOKIE = "hromada_name"
CSRF_COOKIE = "hromada_csrf"
CSRF_FIELD = "csrf_token"
SECRET_CONFIG_KEY = "WEB_SESSION_SECRET"
TRUST_PROTO_CONFIG_KEY = "WEB_TRUST_FORWARDED_PROTO"
REFRESH_MAX_AGE = 30 * 24 * 3600
"""The refresh token's lifetime in accounts (``refresh_ttl``): the cookie lasts as long."""
CSRF_MAX_AGE = 365 * 24 * 3600

_IDENTITY_KEY = "hromada.session.identity"
_STALE_KEY = "hromada.session.stale"
_COOKIES_KEY = "hromada.session.cookies"
_SESSION_KEY = "hromada.session"


def caller_from_cookies(verifier, request):
    """The page's access token and whom it names, from the access cookie (never from an
    ``Authorization`` header); ``(None, None)`` when there is none or the edge refuses it."""
    token = request.cookies.get(ACCESS_COOKIE)
    if not token:
        return None, None
    try:
        identity = verifier.verify(token)
    except Unauthenticated:
        request.environ[_STALE_KEY] = True  # expired or revoked: the refresh cookie may help
        return None, None
    request.environ[_IDENTITY_KEY] = identity
    return token, identity


def apply_cookies(request, response) -> None:
    """Set (or clear) on ``response`` the cookies the request's worker queued."""
    for name, (value, options) in request.environ.get(_COOKIES_KEY, {}).items():
        if value is None:
            response.delete_cookie(name, path="/", secure=options["secure"], httponly=True,
                                   samesite="Lax")
        else:
            response.set_cookie(name, value, path="/", httponly=True, samesite="Lax", **options)


def has_queued_cookies(request) -> bool:
    """Whether the request's worker queued a cookie for its answer (a session refresh, a new
    CSRF value): such an answer belongs to that browser alone."""
    return bool(request.environ.get(_COOKIES_KEY))


def header_account(request, session: "Session | None" = None) -> dict:
    """What the page header shows: signed in or not, the display name, and the CSRF token
    of the sign-out button (None outside a worker, e.g. on an error page: then a link)."""
    if session is not None:
        return {"signed_in": session.signed_in, "name": session.display_name,
                "csrf": session.csrf_token}
    name = request.cookies.get(NAME_COOKIE)
    signed_in = bool(request.environ.get(_IDENTITY_KEY) or request.cookies.get(REFRESH_COOKIE))
    return {"signed_in": signed_in, "name": unquote(name) if name else None, "csrf": None}


def N_(message: str) -> str:
    """Marks a string for extraction (as in :mod:`.pages`); translated where it is shown."""
    return message


class CsrfRejected(Forbidden):
    """A state-changing form without the right CSRF token, or from another site."""

    page_title = N_("This form has expired or did not come from this site; go back, reload "
                    "the page and try again")


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class Sessions(DependencyProvider):
    """Gives a page worker ``self.sessions(request)``: the :class:`Session` of its request."""

    def setup(self):
        config = self.container.config
        secret = config.get(SECRET_CONFIG_KEY)
        if not isinstance(secret, str) or not secret:
            log.warning("%s is not set: this gateway process signs CSRF tokens with a key of "
                        "its own (forms of other instances, or from before a restart, fail)",
                        SECRET_CONFIG_KEY)
            secret = secrets.token_hex(32)
        self.secret = secret.encode()
        self.trust_forwarded_proto = _truthy(config.get(TRUST_PROTO_CONFIG_KEY))

    def get_dependency(self, worker_ctx):
        def session_of(request) -> Session:
            """One :class:`Session` per request, however often a worker asks for it."""
            if _SESSION_KEY not in request.environ:
                request.environ[_SESSION_KEY] = Session(self, worker_ctx, request)
            return request.environ[_SESSION_KEY]
        return session_of


class Session:
    """One page request's session, in its worker."""

    def __init__(self, settings: Sessions, worker_ctx, request):
        self.settings = settings
        self.worker_ctx = worker_ctx
        self.request = request
        self.identity = request.environ.get(_IDENTITY_KEY)
        self._refreshed = False
        self._fresh = False  # a new access token is in the context (signed in or refreshed)
        self._csrf_value = request.cookies.get(CSRF_COOKIE) or None

    # --- who is here --------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        """A valid access token, or a refresh token that may still give one."""
        return self.identity is not None or bool(self.request.cookies.get(REFRESH_COOKIE))

    @property
    def display_name(self) -> str | None:
        value = self.request.cookies.get(NAME_COOKIE)
        return unquote(value) if value else None

    def require(self, accounts_rpc) -> bool:
        """Whether the request can act as its account: a valid access cookie, or (once) a
        refresh with the refresh cookie, whose new access token the following RPC calls
        carry. A refused refresh token ends the session."""
        if self.identity is not None or self._fresh:
            return True
        refresh = self.request.cookies.get(REFRESH_COOKIE)
        if not refresh or self._refreshed:
            return False
        self._refreshed = True
        try:
            pair = accounts_rpc.refresh_tokens(refresh)
        except Unauthenticated:
            self.end()
            return False
        self._store_pair(pair)
        return True

    # --- starting and ending ------------------------------------------------------------

    def start(self, pair: dict) -> None:
        """Signed in with ``pair`` (``issue_tokens``'s answer): set the cookies, use the
        access token for the rest of the request, and start a new CSRF value."""
        self._store_pair(pair)
        self._new_csrf_value()

    def remember_name(self, display_name: str | None) -> None:
        if display_name:
            self._queue(NAME_COOKIE, quote(display_name, safe=""), REFRESH_MAX_AGE)

    def keep_cookie(self, name: str, value: str | None, max_age: int | None = None) -> None:
        """Set a cookie of the portal's own on the answer (``None`` clears it), with the
        session cookies' attributes (``HttpOnly``, ``SameSite=Lax``, ``Secure`` over HTTPS)."""
        self._queue(name, value, max_age)

    def end(self) -> None:
        """Signed out (or the session is gone): clear the cookies, forget the token."""
        self.worker_ctx.data.pop(AUTH_CONTEXT_KEY, None)
        self.identity = None
        self._fresh = False
        for name in (ACCESS_COOKIE, REFRESH_COOKIE, NAME_COOKIE):
            self._queue(name, None)
        self._new_csrf_value()

    def _store_pair(self, pair: dict) -> None:
        self.worker_ctx.data[AUTH_CONTEXT_KEY] = pair["access_token"]
        self._fresh = True
        self._queue(ACCESS_COOKIE, pair["access_token"], int(pair.get("expires_in") or 900))
        if pair.get("refresh_token"):
            self._queue(REFRESH_COOKIE, pair["refresh_token"], REFRESH_MAX_AGE)

    # --- CSRF ---------------------------------------------------------------------------

    def csrf_token(self) -> str:
        """The hidden field's value for this browser's forms (makes the cookie if needed)."""
        if not self._csrf_value:
            self._new_csrf_value()
        return self._sign(self._csrf_value)

    def form(self):
        """The posted form, once its CSRF token and origin are checked; :class:`CsrfRejected`
        (403) otherwise."""
        self._check_origin()
        try:
            form = self.request.form
        except RequestEntityTooLarge:
            raise Problem(413, "The form is too large.") from None
        sent = form.get(CSRF_FIELD, "")
        cookie = self.request.cookies.get(CSRF_COOKIE)
        if not cookie or not sent or not hmac.compare_digest(sent, self._sign(cookie)):
            raise CsrfRejected("the form's CSRF token is missing or wrong")
        return form

    def _check_origin(self) -> None:
        headers = self.request.headers
        origin = headers.get("Origin")
        if origin is not None:
            if origin == "null" or urlsplit(origin).netloc.lower() != self.request.host.lower():
                raise CsrfRejected("the form was posted from another site (Origin)")
            return
        referer = headers.get("Referer")
        if referer and urlsplit(referer).netloc.lower() != self.request.host.lower():
            raise CsrfRejected("the form was posted from another site (Referer)")

    def _sign(self, value: str) -> str:
        return hmac.new(self.settings.secret, value.encode(), hashlib.sha256).hexdigest()

    def _new_csrf_value(self) -> None:
        self._csrf_value = secrets.token_urlsafe(32)
        self._queue(CSRF_COOKIE, self._csrf_value, CSRF_MAX_AGE)

    # --- cookies ------------------------------------------------------------------------

    @property
    def secure(self) -> bool:
        """Whether the browser reached us over HTTPS (then every cookie is ``Secure``)."""
        if self.request.scheme == "https":
            return True
        if self.settings.trust_forwarded_proto:
            forwarded = self.request.headers.get("X-Forwarded-Proto", "")
            return forwarded.split(",")[0].strip().lower() == "https"
        return False

    def _queue(self, name: str, value: str | None, max_age: int | None = None) -> None:
        options = {"secure": self.secure}
        if value is not None:
            options["max_age"] = max_age
        self.request.environ.setdefault(_COOKIES_KEY, {})[name] = (value, options)
