"""The portal's page routes, mixed into the gateway's nameko service (:class:`WebPages`).

Each page makes the same RPC calls its REST counterpart makes, and renders HTML instead of
JSON. Errors become an HTML page in the reader's language (:class:`PageEntrypoint`), never a
problem+json document and never a 500 for bad input.
"""
from __future__ import annotations

import time
from urllib.parse import urlencode

import eventlet
from hromada_common.errors import InvalidInput
from hromada_common.lifecycle import AppealState, DONE_STATES
from nameko.extensions import DependencyProvider
from werkzeug.datastructures import MultiDict
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from gateway.http import PROBLEM_MIMETYPE, PUBLIC, Access, HttpEntrypoint
from gateway.schemas import AppealListQuery, load_query

from .maps import MapSettings
from .page_cache import CACHE_SECONDS_CONFIG_KEY, DEFAULT_CACHE_SECONDS, PageCache
from .i18n import DEFAULT_LOCALE, LANG_COOKIE, LOCALES, negotiate
from .render import assets, gettext, render_page
from .session import apply_cookies, caller_from_cookies, header_account


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


STATE_LABELS = {
    AppealState.SUBMITTED: N_("Submitted"),
    AppealState.REJECTED: N_("Rejected"),
    AppealState.DUPLICATE: N_("Duplicate"),
    AppealState.ASSIGNED: N_("Assigned"),
    AppealState.IN_PROGRESS: N_("In progress"),
    AppealState.RESOLVED: N_("Resolved, awaiting confirmation"),
    AppealState.REWORK: N_("Sent back for rework"),
    AppealState.CLOSED: N_("Confirmed by the resident"),
    AppealState.ARCHIVED: N_("Archived without confirmation"),
}
STATE_MEANINGS = {
    AppealState.SUBMITTED: N_("The appeal was filed and waits for a moderator or for routing "
                              "to the responsible body."),
    AppealState.REJECTED: N_("A moderator rejected it, with the reason shown on its page."),
    AppealState.DUPLICATE: N_("The same problem was already reported; follow the original "
                              "appeal."),
    AppealState.ASSIGNED: N_("The responsible body has it, with a deadline set by its category "
                             "and complexity."),
    AppealState.IN_PROGRESS: N_("An executor took it into work."),
    AppealState.RESOLVED: N_("The executor reported the work done; the resident who filed it "
                             "confirms and rates it, or sends it back."),
    AppealState.REWORK: N_("The resident sent it back: the work was not done well enough."),
    AppealState.CLOSED: N_("The resident confirmed the work. Only this state counts as done."),
    AppealState.ARCHIVED: N_("Nobody confirmed the reported work in time; it is closed but "
                             "never counted as done."),
}
ERROR_TITLES = {
    400: N_("This request cannot be understood"),
    401: N_("Please sign in"),
    403: N_("This is not open to you"),
    404: N_("Nothing here"),
    409: N_("This cannot be done now"),
    413: N_("What you sent is too large"),
    429: N_("Too many requests; try again in a minute"),
    503: N_("The service is busy or restarting; try again in a moment"),
}
UNKNOWN_ERROR = N_("Something went wrong on our side")
CATEGORY_CACHE_SECONDS = 60.0


class PageEntrypoint(HttpEntrypoint):
    """An HTTP entrypoint whose failures are HTML pages in the reader's language. Pages are
    public unless they say otherwise (``access=``)."""

    def __init__(self, method, url, access: Access = PUBLIC, cached: bool = False, **kwargs):
        super().__init__(method, url, access=access, **kwargs)
        self.cached = cached  # a public page anonymous readers may get from the page cache

    def setup(self):
        super().setup()
        seconds = self.container.config.get(CACHE_SECONDS_CONFIG_KEY, DEFAULT_CACHE_SECONDS)
        self.page_cache = PageCache(float(seconds or 0) if self.cached else 0.0)

    def cached_response(self, request, identity):
        kept = self.page_cache.get(request, identity)
        if kept is None:
            return None
        # A kept page costs no I/O wait, so without this the green thread of one keep-alive
        # connection would answer it again and again while the others starve (a long tail).
        eventlet.sleep(0)
        status, headers, body = kept
        return Response(body, status=status, headers=headers)

    def remember_response(self, request, identity, response) -> None:
        self.page_cache.put(request, identity, response)

    def caller(self, request):
        """A page acts as the account of its session cookie, never of a bearer header."""
        return caller_from_cookies(self.server.verifier, request)

    def handle_request(self, request):
        response = super().handle_request(request)
        if response.mimetype == PROBLEM_MIMETYPE:  # the edge's own answer (rate limits: 429)
            response = self._error_page(response, request)
        apply_cookies(request, response)  # the session's, on any answer (web.session)
        return response

    def response_from_exception(self, exc, request=None):
        problem = super().response_from_exception(exc, request)
        if request is None:
            return problem
        return self._error_page(problem, request, getattr(exc, "page_title", None))

    def _error_page(self, problem, request, page_title=None):
        return error_page(problem, request, page_title)


def error_page(problem, request, page_title=None):
    """The HTML page, in the reader's language, for a problem response: the same status and
    the headers that tell the client when to come back."""
    status = problem.status_code if problem.status_code < 500 or problem.status_code == 503 \
        else 500
    locale = negotiate(request)
    _ = gettext(locale)
    title = _(page_title or ERROR_TITLES.get(status, UNKNOWN_ERROR))
    response = render_page("error.html", locale, request, status=status, title=title,
                           status_code=status, account=header_account(request),
                           retry_after=problem.headers.get("Retry-After"))
    for header in ("Retry-After", "RateLimit-Policy", "RateLimit", "Allow"):
        if header in problem.headers:
            response.headers[header] = problem.headers[header]
    return response


page = PageEntrypoint.decorator


class CategoryNames(DependencyProvider):
    """Category code → {"uk": …, "en": …}, kept a minute per gateway process (the taxonomy
    changes rarely, and a page must not cost an extra RPC call each time)."""

    def setup(self):
        self.fetched_at, self.names = float("-inf"), {}

    def get_dependency(self, worker_ctx):
        return self

    def get(self, routing_rpc) -> dict:
        if time.monotonic() - self.fetched_at > CATEGORY_CACHE_SECONDS:
            self.names = {c["code"]: c["name"] for c in routing_rpc.list_categories(False)}
            self.fetched_at = time.monotonic()
        return self.names


class WebPages:
    """Page routes of the portal. The service class that mixes this in provides
    ``intake_rpc`` and ``routing_rpc``."""

    category_names = CategoryNames()
    maps = MapSettings()

    def _category_names(self) -> dict:
        return self.category_names.get(self.routing_rpc)

    def _page(self, request, template, status=200, **context):
        locale = negotiate(request)
        if "category_name" not in context:  # pages without categories need no routing call
            names = self._category_names()
            context["category_name"] = lambda code: (names.get(code) or {}).get(locale) or code
        return render_page(template, locale, request, status=status, states=STATE_LABELS,
                           **context)

    @page("GET", "/", cached=True)
    def home_page(self, request):
        """What the platform is, how to file, and the city's figures at a glance."""
        statistics = self.intake_rpc.statistics()
        recent = self.intake_rpc.list_appeals({"limit": 6})["items"]
        return self._page(request, "home.html", statistics=statistics, recent=recent)

    @page("GET", "/appeals", cached=True)
    def appeals_page(self, request):
        """The public list of appeals with filters and paging (no personal data)."""
        errors = {}
        # The filter form's "Any" is an empty value: no filter, not a bad one.
        args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if v != ""])
        try:
            query = load_query(AppealListQuery(), args)
        except InvalidInput as exc:
            errors = dict(getattr(exc, "fields", None) or {"query": ["invalid"]})
            query = {"limit": 20}
        query.pop("mine", None)
        query["limit"] = min(query.get("limit") or 20, 50)
        bodies, districts = self._bodies(), self._districts()  # web.board_pages
        for key, known in (("body", bodies), ("district", districts)):
            if query.get(key) and query[key] not in known:
                errors[key] = ["unknown"]
                query.pop(key)
        filters = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in query.items()}
        listing = self.intake_rpc.list_appeals(filters)
        next_url = None
        if listing.get("next_cursor"):
            kept = [(k, v) for k, v in args.items(multi=True) if k != "cursor"]
            next_url = f"/appeals?{urlencode(kept + [('cursor', listing['next_cursor'])])}"
        categories = sorted(self._category_names())
        return self._page(request, "appeals.html", appeals=listing["items"], next_url=next_url,
                          errors=errors, query=request.args, categories=categories,
                          bodies=bodies, districts=districts, map=self.maps.for_template(),
                          headers={"Content-Security-Policy": self.maps.csp},
                          status=400 if errors else 200)

    @page("GET", "/appeals/<string:appeal_id>", cached=True)
    def appeal_page(self, request, appeal_id):
        """One appeal's public page: its state, deadline and timeline in words."""
        return self._appeal_page(request, appeal_id)

    def _appeal_page(self, request, appeal_id, status=200, **context):
        appeal = self.intake_rpc.get_appeal(appeal_id)
        context = self._appeal_extras(request, appeal) | context
        # public page: nobody's identity, even when allowed (a copy: the answer is not ours)
        appeal = {key: value for key, value in appeal.items() if key != "author_id"}
        return self._page(request, "appeal.html", status=status, appeal=appeal,
                          done=appeal["state"] in DONE_STATES, **context)

    def _appeal_extras(self, request, appeal) -> dict:
        """What a mixin adds to an appeal's page for its reader (web.resident_pages)."""
        return {}

    @page("GET", "/lang/<string:locale>")
    def choose_language(self, request, locale):
        """The language switch: a plain link, so it works without JavaScript. A signed-in
        reader's choice is stored in the account too (:meth:`_language_chosen`)."""
        target = request.args.get("next") or "/"
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = "/"  # only paths on this site: never an open redirect
        response = redirect(target, code=303)
        chosen = locale if locale in LOCALES else DEFAULT_LOCALE
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=request.scheme == "https")
        self._language_chosen(request, chosen)
        return response

    def _language_chosen(self, request, locale: str) -> None:
        """Hook: the reader chose ``locale`` (AccountPages stores it in their account)."""

    @page("GET", "/static/<path:name>")
    def static_asset(self, request, name):
        asset = assets().get(name)
        if asset is None:
            return Response("not found", status=404, mimetype="text/plain")
        headers = {"ETag": asset.etag, "Cache-Control": asset.cache_control,
                   "Vary": "Accept-Encoding"}
        if request.headers.get("If-None-Match") == asset.etag:
            return Response(status=304, headers=headers)
        headers["X-Content-Type-Options"] = "nosniff"
        if asset.gzipped is not None and "gzip" in request.accept_encodings:
            headers["Content-Encoding"] = "gzip"
            return Response(asset.gzipped, mimetype=asset.mimetype, headers=headers)
        return Response(asset.content, mimetype=asset.mimetype, headers=headers)
