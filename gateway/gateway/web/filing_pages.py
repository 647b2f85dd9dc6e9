"""Filing an appeal in the portal, in at most four steps: category, place, details, photos.

Mixed into the gateway's nameko service before :class:`~gateway.web.account_pages.AccountPages`
(whose session and ``_page`` it uses). No server state is kept between the steps: every step
is a POST of one form whose hidden fields carry what the earlier steps gave (CSRF-checked
like every form), and every POST validates all the steps before the one it asks for, so a
tampered hidden field is caught at its own step. The last step files through the same RPC as
``POST /api/v1/appeals`` (``intake.submit_appeal``) with an idempotency key drawn once per
filing and carried in the form: a double click or a refresh finds the appeal already filed.

Without JavaScript every step works (the map is only a convenience over the coordinate and
address fields; search runs on the server); ``filing.js`` adds the map pin, live checks and
photo previews. See docs/web.md, "Filing an appeal".
"""
from __future__ import annotations

import logging
import math
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from hromada_common.errors import Conflict, Forbidden, InvalidInput
from nameko.exceptions import RpcTimeout
from nameko.extensions import DependencyProvider
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.http import Problem
from gateway.media_upload import chosen_files
from gateway.rest.support import with_photo_url
from gateway.schemas import AppealCreate, load

from .account_pages import GENERIC_FIELD_MESSAGE, UNAVAILABLE, see_other
from .i18n import negotiate
from .pages import CATEGORY_CACHE_SECONDS, N_, page
from .photo_forms import STORAGE_DOWN, upload_errors
from .render import CONTENT_SECURITY_POLICY

log = logging.getLogger(__name__)

FILE_PATH = "/file"
SUBMIT_PATH = "/file/submit"
"""Counted against the submit rate limits like ``POST /api/v1/appeals`` (gateway.ratelimit)."""
STEPS = ("category", "place", "details", "photos")
STEP_TITLES = {"category": N_("Category"), "place": N_("Place"), "details": N_("Details"),
               "photos": N_("Photos and filing")}
SEARCH_RESULTS = 40
NEARBY_SHOWN = 10
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
FIELD_PREFIX = "fields."
"""Extra fields are posted as ``fields.<name>``: the key intake's errors name them by."""

TILE_URL_CONFIG_KEY = "WEB_MAP_TILE_URL"
ATTRIBUTION_CONFIG_KEY = "WEB_MAP_ATTRIBUTION"
BOUNDS_CONFIG_KEY = "CITY_BOUNDS"
DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_ATTRIBUTION = "© OpenStreetMap contributors"
DEFAULT_BOUNDS = (50.213, 30.239, 50.591, 30.826)
"""Kyiv, as intake's ``CITY_BOUNDS`` (min_lat, min_lon, max_lat, max_lon): keep them equal."""

COMPLEXITY_LABELS = {"simple": N_("simple"), "standard": N_("standard"),
                     "complex": N_("complex")}
# What the gateway's schema and intake say about a field, as the reader sees it (anything
# else shows GENERIC_FIELD_MESSAGE: never untranslated text).
FIELD_MESSAGES = {
    "Missing data for required field.": N_("Fill this in."),
    "Field may not be null.": N_("Fill this in."),
    "required": N_("Fill this in."),
    "required for this category": N_("Fill this in: this category needs it."),
    "Not a valid number.": N_("Enter a number, such as 50.4501."),
    "must be a number": N_("Enter a number."),
    "must be text of at most 200 characters": N_("Use at most 200 characters."),
    "not a field of this category": N_("This category does not ask for this."),
    "Must be greater than or equal to -90 and less than or equal to 90.":
        N_("A latitude lies between -90 and 90."),
    "Must be greater than or equal to -180 and less than or equal to 180.":
        N_("A longitude lies between -180 and 180."),
    "outside the city": N_("This place is outside the city; put the pin inside it."),
    "unknown category": N_("Choose a category from the list."),
    "choose one of its subcategories": N_("Choose a more precise category from the list."),
    "no longer takes appeals": N_("This category no longer takes appeals; choose another."),
    "Longer than maximum length": N_("This is too long."),
    "Length must be between": N_("This is too long."),
    "Must contain a visible character": N_("Write something here."),
    "must be one of": N_("Choose one of the options."),
}
REFUSALS = {
    "verify your email address before filing appeals":
        N_("Confirm your email address before filing an appeal."),
    "this account is blocked; it can only read": N_("This account is blocked; it can only read."),
}
NOT_ALLOWED = N_("Only residents (and dispatchers for them) file appeals.")
KEY_REUSED = N_("This form was already used to file a different appeal. Start a new one.")


def message_id(message: str) -> str:
    """The translated message for what a schema or intake said (by its start, since some
    carry values: "outside the city (lat …)", "must be one of […]")."""
    if message in FIELD_MESSAGES:
        return FIELD_MESSAGES[message]
    for start, translated in FIELD_MESSAGES.items():
        if message.startswith(start) or start in message:
            return translated
    return GENERIC_FIELD_MESSAGE


def step_of(key: str) -> str:
    """Which step shows the field an error names."""
    if key == "category":
        return "category"
    if key in ("lat", "lon", "address") or key.startswith("location"):
        return "place"
    if key in ("title", "description") or key.startswith(FIELD_PREFIX):
        return "details"
    return "photos"


def form_key(key: str) -> str:
    """``location.lat`` → ``lat``: the form's own field names."""
    return key.split(".", 1)[1] if key.startswith("location.") else key


# --- the taxonomy and the map -------------------------------------------------------------


@dataclass(frozen=True)
class Taxonomy:
    """The active categories by code, with their children in order."""

    by_code: dict
    children: dict

    @classmethod
    def of(cls, categories: list[dict]) -> "Taxonomy":
        by_code = {c["code"]: c for c in categories if c.get("active", True)}
        children: dict = {}
        for c in by_code.values():
            children.setdefault(c.get("parent"), []).append(c)
        return cls(by_code, children)

    def leaf(self, code: str | None) -> dict | None:
        category = self.by_code.get(code or "")
        return category if category and category.get("level") == "leaf" else None

    def path(self, category: dict) -> list[dict]:
        """Domain → … → the category itself."""
        trail = [category]
        while trail[0].get("parent") in self.by_code:
            trail.insert(0, self.by_code[trail[0]["parent"]])
        return trail

    def search(self, query: str) -> list[dict]:
        """Leaves whose name, or their parents' names, in either language, hold every word
        of ``query`` (case and apostrophe forms do not matter)."""
        words = _normalised(query).split()
        if not words:
            return []
        found = []
        for leaf in (c for c in self.by_code.values() if c.get("level") == "leaf"):
            text = " ".join(_normalised(f"{c['name'].get('uk', '')} {c['name'].get('en', '')}")
                            for c in self.path(leaf))
            if all(word in text for word in words):
                found.append(leaf)
        return found[:SEARCH_RESULTS]


def _normalised(text: str) -> str:
    return re.sub(r"[’'ʼ`«»\"]", "", text.casefold())


class FilingSettings(DependencyProvider):
    """The map's settings from config and the taxonomy, kept a minute per gateway process."""

    def setup(self):
        config = self.container.config
        self.tile_url = map_tile_url(config.get(TILE_URL_CONFIG_KEY))
        attribution = config.get(ATTRIBUTION_CONFIG_KEY)
        if not isinstance(attribution, str) or not attribution.strip():
            attribution = DEFAULT_ATTRIBUTION if self.tile_url == DEFAULT_TILE_URL else ""
        self.attribution = attribution.strip()
        bounds = config.get(BOUNDS_CONFIG_KEY) or DEFAULT_BOUNDS
        self.bounds = tuple(float(value) for value in bounds)
        self.csp = content_security_policy(self.tile_url)
        self.fetched_at, self.taxonomy = float("-inf"), Taxonomy({}, {})

    def get_dependency(self, worker_ctx):
        return self

    def categories(self, routing_rpc) -> Taxonomy:
        if time.monotonic() - self.fetched_at > CATEGORY_CACHE_SECONDS:
            self.taxonomy = Taxonomy.of(routing_rpc.list_categories(False))
            self.fetched_at = time.monotonic()
        return self.taxonomy

    def inside(self, lat: float, lon: float) -> bool:
        min_lat, min_lon, max_lat, max_lon = self.bounds
        return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon

    @property
    def centre(self) -> tuple[float, float]:
        min_lat, min_lon, max_lat, max_lon = self.bounds
        return round((min_lat + max_lat) / 2, 6), round((min_lon + max_lon) / 2, 6)


def map_tile_url(configured) -> str:
    """The tile URL template from config: empty or unset means OpenStreetMap's, ``none``
    means no tiles (nameko's ``${VAR:default}`` cannot hold braces, hence the sentinel)."""
    if not isinstance(configured, str) or not configured.strip():
        return DEFAULT_TILE_URL
    if configured.strip().lower() == "none":
        return ""
    return configured.strip()


def tile_origin(tile_url: str) -> str | None:
    """``https://{s}.tile.example/{z}/{x}/{y}.png`` → ``https://*.tile.example``: what the
    page's ``img-src`` must allow for the tiles (None: no tiles, or not an http(s) URL)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{s}", "s-placeholder"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.replace("s-placeholder", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_url: str) -> str:
    """The pages' CSP, with ``blob:`` images (photo previews) and the tile server."""
    extra = " blob:"
    origin = tile_origin(tile_url)
    if origin:
        extra += " " + origin
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", "img-src 'self' data:" + extra)


# --- the draft carried between steps ------------------------------------------------------


class Draft:
    """What the resident has given so far: the form's fields, as strings."""

    BASIC = ("key", "category", "lat", "lon", "address", "title", "description")

    def __init__(self, values: dict, extra: dict):
        self.values = values
        self.extra = extra  # "fields.<name>" → string

    @classmethod
    def new(cls) -> "Draft":
        return cls({"key": secrets.token_urlsafe(18)}, {})

    @classmethod
    def from_form(cls, form) -> "Draft":
        values = {name: form.get(name, "").strip() if name != "description"
                  else form.get(name, "") for name in cls.BASIC}
        if not _KEY.match(values["key"]):
            values["key"] = secrets.token_urlsafe(18)  # a new filing, not someone else's key
        extra = {name: form.get(name, "").strip() for name in form
                 if name.startswith(FIELD_PREFIX)}
        return cls(values, extra)

    def get(self, name: str, default: str = "") -> str:
        if name.startswith(FIELD_PREFIX):
            return self.extra.get(name, default)
        return self.values.get(name, default)

    def hidden(self, leaving_out: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """Hidden fields that carry the draft through a step's form (all but its own)."""
        pairs = [(n, v) for n, v in self.values.items() if v and n not in leaving_out]
        if "extra" not in leaving_out:
            pairs += [(n, v) for n, v in self.extra.items() if v]
        return pairs


# --- the checks of each step ----------------------------------------------------------------


def check_category(taxonomy: Taxonomy, draft: Draft) -> dict:
    if not draft.get("category"):
        return {"category": [N_("Choose a category.")]}
    if taxonomy.leaf(draft.get("category")) is None:
        return {"category": [N_("Choose a category from the list.")]}
    return {}


def place_payload(settings: FilingSettings, draft: Draft) -> tuple[dict | None, dict]:
    """The location to file, or the errors beside the place fields. Without a pin (no
    coordinates) the city's centre is filed and the address tells the body where."""
    errors: dict = {}
    address = draft.get("address")
    if not address:
        errors["address"] = [N_("Write the address or a landmark.")]
    elif len(address) > 500:
        errors["address"] = [N_("This is too long.")]
    lat, lon = draft.get("lat"), draft.get("lon")
    coordinates = None
    if lat or lon:
        numbers = {}
        for name, text, low, high, message in (
                ("lat", lat, -90, 90, N_("A latitude lies between -90 and 90.")),
                ("lon", lon, -180, 180, N_("A longitude lies between -180 and 180."))):
            number = _number(text)
            if number is None:
                errors[name] = [N_("Enter a number, such as 50.4501.")]
            elif not low <= number <= high:
                errors[name] = [message]
            else:
                numbers[name] = number
        if len(numbers) == 2:
            if settings.inside(numbers["lat"], numbers["lon"]):
                coordinates = (numbers["lat"], numbers["lon"])
            else:
                errors["lat"] = [N_("This place is outside the city; put the pin inside it.")]
    if errors:
        return None, errors
    lat_value, lon_value = coordinates or settings.centre
    return {"lat": lat_value, "lon": lon_value, "address": address}, {}


def _number(text: str) -> float | None:
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def extra_values(category: dict, draft: Draft) -> tuple[dict, dict]:
    """The category's extra fields as intake takes them (numbers as numbers), or errors
    beside each (the same rules intake applies; intake checks again)."""
    values, errors = {}, {}
    for definition in category.get("fields") or ():
        key = FIELD_PREFIX + definition["name"]
        text = draft.get(key)
        if not text:
            if definition.get("required"):
                errors[key] = [N_("Fill this in: this category needs it.")]
            continue
        kind = definition.get("type")
        if kind == "number":
            number = _number(text)
            if number is None:
                errors[key] = [N_("Enter a number.")]
            else:
                values[definition["name"]] = int(number) if number.is_integer() else number
        elif kind == "choice":
            if text not in (definition.get("choices") or ()):
                errors[key] = [N_("Choose one of the options.")]
            else:
                values[definition["name"]] = text
        else:
            if len(text) > 200:
                errors[key] = [N_("Use at most 200 characters.")]
            else:
                values[definition["name"]] = text
    return values, errors


def appeal_payload(taxonomy: Taxonomy, settings: FilingSettings,
                   draft: Draft) -> tuple[dict | None, dict]:
    """The whole ``POST /api/v1/appeals`` body, validated by its schema, or the errors by
    form field."""
    errors = check_category(taxonomy, draft)
    location, place_errors = place_payload(settings, draft)
    errors.update(place_errors)
    category = taxonomy.leaf(draft.get("category"))
    extra, extra_errors = extra_values(category, draft) if category else ({}, {})
    errors.update(extra_errors)
    body = {"title": draft.get("title"), "description": draft.get("description"),
            "category": draft.get("category"), "channel": "web", "fields": extra,
            "location": location or {"lat": 0.0, "lon": 0.0, "address": "-"}}
    body = {k: v for k, v in body.items() if v != ""}
    try:
        payload = load(AppealCreate(), body)
    except InvalidInput as exc:
        payload = None
        for key, messages in (exc.fields or {}).items():
            if key in ("title", "description"):
                errors.setdefault(key, [message_id(str(m)) for m in messages])
    if errors:
        return None, errors
    return payload, {}


def first_failing_step(errors: dict) -> str | None:
    steps = {step_of(key) for key in errors}
    return next((step for step in STEPS if step in steps), None)


def translated_errors(exc: Exception) -> dict:
    """A service's field errors as message ids by form field."""
    errors: dict = {}
    for key, messages in (getattr(exc, "fields", None) or {"form": [str(exc)]}).items():
        key = form_key(key)
        if key == "location":
            key = "lat"
        for message in messages if isinstance(messages, (list, tuple)) else [messages]:
            errors.setdefault(key, []).append(message_id(str(message)))
    return errors


FILING_ROLES = frozenset({"resident", "dispatcher"})
"""Who files appeals in the portal (intake's rule; integrations use the API)."""


class CannotFile(Forbidden):
    """A signed-in account whose roles do not file appeals (staff, executors)."""

    page_title = NOT_ALLOWED


def deadline_preview(category: dict | None) -> dict | None:
    """What the category's deadline rules promise before triage: the hours of its default
    complexity, and whether they are working hours or around the clock."""
    if not category or not category.get("deadline_hours"):
        return None
    complexity = category.get("default_complexity") or "standard"
    hours = category["deadline_hours"].get(complexity)
    if hours is None:
        return None
    return {"hours": int(hours) if float(hours).is_integer() else hours,
            "emergency": bool(category.get("emergency")), "complexity": complexity}


# --- the pages ------------------------------------------------------------------------------


class FilingPages:
    """The filing pages. The service class that mixes this in provides ``intake_rpc`` and
    ``routing_rpc``, and (from AccountPages) ``sessions`` and ``_page``."""

    filing = FilingSettings()

    # --- entry and the steps --------------------------------------------------------------

    @page("GET", FILE_PATH)
    def file_page(self, request):
        """Step 1, the category: search in both languages, or browse domain → category →
        leaf (links, ``?browse=<code>``; the search form is a GET too)."""
        away = self._filer_or_redirect(request)
        if away:
            return away
        return self._category_step(request, Draft.new(), query=request.args.get("q", ""),
                                   browse=request.args.get("browse", ""), carrying=False)

    @page("POST", FILE_PATH)
    def file_post(self, request):
        """Every later move: ``go`` names the step to show; the steps before it are checked
        first, and the first with an error is shown instead."""
        away = self._filer_or_redirect(request)
        if away:
            return away
        form = self.sessions(request).form()
        draft = Draft.from_form(form)
        if form.get("pick"):  # a category chosen from the list
            draft.values["category"] = form["pick"]
            go = "place"
        elif form.get("browse") is not None or form.get("go") in ("search", "category"):
            return self._category_step(request, draft, query=form.get("q", ""),
                                       browse=form.get("browse", ""), carrying=True)
        else:
            go = form.get("go") if form.get("go") in STEPS else "category"
        return self._show(request, draft, go)

    @page("POST", SUBMIT_PATH)
    def file_submit(self, request):
        """Check and store the photos, file the appeal (the same RPC and checks as
        ``POST /api/v1/appeals``), attach the photos, then on to the result page. A bad
        photo is shown beside the photo field and nothing is filed; photos that cannot be
        attached once the appeal is filed are removed, and the result page says so. A
        repeated post of the same form (double click, refresh) finds the appeal already filed
        and goes to the same page."""
        away = self._filer_or_redirect(request)
        if away:
            return away
        # This form alone carries up to five photos (the gateway's usual limit is 1 MB).
        request.max_content_length = self.media.limits.max_upload_bytes
        form = self.sessions(request).form()
        draft = Draft.from_form(form)
        try:
            files = chosen_files(request.files.getlist("photos"))
        except RequestEntityTooLarge:
            raise Problem(413, "The photos are too large.") from None
        taxonomy = self._taxonomy()
        payload, errors = appeal_payload(taxonomy, self.filing, draft)
        if errors:
            return self._show(request, draft, "photos", errors)
        stored, errors = self._store_photos(files)
        if errors:
            return self._step(request, draft, "photos", errors)
        try:
            appeal = self.intake_rpc.submit_appeal(payload, f"web:{draft.get('key')}")
        except Exception as exc:
            self.media.discard(stored)  # nothing filed: nothing kept
            answer = self._refused_filing(request, draft, exc)
            if answer is None:
                raise
            return answer
        target = f"{FILE_PATH}/filed/{appeal['id']}"
        if appeal.get("replayed"):
            self.media.discard(stored)  # the first post already attached its own copies
        elif stored and not self._attach_photos(appeal["id"], stored):
            target += "?" + urlencode({"photos": "not-added"})
        return see_other(target)

    def _refused_filing(self, request, draft: Draft, exc: Exception):
        """The last step again with intake's refusal, or None for an error that is not one."""
        if isinstance(exc, InvalidInput):
            errors = translated_errors(exc)
            return self._step(request, draft, first_failing_step(errors) or "photos", errors)
        if isinstance(exc, Conflict):
            return self._step(request, draft, "photos", {"form": [KEY_REUSED]})
        if isinstance(exc, Forbidden):
            refusal = REFUSALS.get(str(getattr(exc, "detail", None) or exc), NOT_ALLOWED)
            return self._step(request, draft, "photos", {"form": [refusal]})
        return None

    @page("GET", f"{FILE_PATH}/filed/<string:appeal_id>")
    def filed_page(self, request, appeal_id):
        """What happens next, and by when: the appeal's number, its routing, the deadline its
        category promises (or, once assigned, the deadline itself)."""
        away = self._filer_or_redirect(request)
        if away:
            return away
        appeal = self.intake_rpc.get_appeal(appeal_id)
        appeal.pop("author_id", None)
        category = self._taxonomy().by_code.get(appeal["category"])
        return self._filing_page(request, "filing/filed.html", appeal=appeal,
                                 preview=deadline_preview(category),
                                 photos_failed=request.args.get("photos") == "not-added",
                                 category_label=self._label(category, request))

    # --- photos -------------------------------------------------------------------------

    def _store_photos(self, files: list) -> tuple[list[dict], dict]:
        """Check, re-encode and store the chosen files before anything is filed: their
        metadata, or the messages beside the photo field (and nothing stored)."""
        if not files:
            return [], {}
        try:
            return self.media.store_photos(files), {}
        except Problem as exc:
            messages = upload_errors(exc, self.media.limits)
            if messages is None:
                raise
            return [], {"photos": messages}
        except UNAVAILABLE as exc:
            log.error("photos could not be stored while filing: %r", exc)
            return [], {"photos": [STORAGE_DOWN]}

    def _attach_photos(self, appeal_id: str, stored: list[dict]) -> bool:
        """Attach the stored photos to the just-filed appeal (purpose ``appeal``). False when
        intake would not: the stored files are removed again (unless intake did not answer
        in time and may still record them, as the API does) and the appeal stays filed."""
        try:
            self.intake_rpc.attach_photos(appeal_id, stored, "appeal")
        except RpcTimeout:
            log.error("attaching photos to %s timed out; the files are kept", appeal_id)
            return False
        except Exception as exc:
            log.error("photos of %s could not be attached: %r", appeal_id, exc)
            self.media.discard(stored)
            return False
        return True

    # --- helpers ----------------------------------------------------------------------------

    def _filer_or_redirect(self, request):
        """None when the request may go on filing; the sign-in page when it has no session.
        An account whose roles do not file is told so at once (403), not after four steps;
        intake decides again when the appeal is filed."""
        session = self.sessions(request)
        if not session.require(self.accounts_rpc):
            back = request.full_path.rstrip("?") if request.method == "GET" else FILE_PATH
            return see_other("/signin?" + urlencode({"next": back}))
        identity = session.identity
        if identity is not None and not identity.has_role(*FILING_ROLES):
            raise CannotFile("this account's roles do not file appeals")
        return None

    def _unconfirmed(self, request) -> bool:
        """A resident whose email is not confirmed yet (intake refuses their appeals)."""
        identity = self.sessions(request).identity
        return bool(identity is not None and not identity.verified
                    and not identity.has_role("dispatcher"))

    def _taxonomy(self) -> Taxonomy:
        return self.filing.categories(self.routing_rpc)

    def _label(self, category: dict | None, request) -> str:
        if not category:
            return ""
        locale = negotiate(request)
        return " › ".join(c["name"].get(locale) or c["code"]
                          for c in self._taxonomy().path(category))

    def _show(self, request, draft: Draft, go: str, errors: dict | None = None):
        """Step ``go``, unless a step before it has an error: then the first such step, with
        its errors beside the fields."""
        found = dict(errors or {}) | self._errors_before(draft, go)
        if found:
            return self._step(request, draft, first_failing_step(found) or go, found)
        return self._step(request, draft, go)

    def _errors_before(self, draft: Draft, go: str) -> dict:
        wanted = STEPS.index(go)
        if wanted == 0:
            return {}
        taxonomy = self._taxonomy()
        if wanted == 1:
            return check_category(taxonomy, draft)
        if wanted == 2:
            return check_category(taxonomy, draft) | place_payload(self.filing, draft)[1]
        return appeal_payload(taxonomy, self.filing, draft)[1]

    def _step(self, request, draft: Draft, step: str, errors: dict | None = None):
        if step == "category":
            return self._category_step(request, draft, errors=errors, carrying=True)
        taxonomy = self._taxonomy()
        category = taxonomy.leaf(draft.get("category"))
        own = {"place": ("lat", "lon", "address"), "details": ("title", "description", "extra"),
               "photos": ()}[step]
        nearby = self._nearby(draft, category) if step == "photos" else []
        return self._filing_page(
            request, f"filing/{step}.html", draft=draft, step=step, errors=errors or {},
            nearby=nearby,
            hidden=draft.hidden(leaving_out=own), category=category,
            category_label=self._label(category, request),
            extra_fields=(category or {}).get("fields") or [],
            preview=deadline_preview(category), map=self._map_settings())

    def _nearby(self, draft: Draft, category: dict | None) -> list[dict]:
        """Open appeals of the same category within 250 m of the pin, to support instead of
        filing the same problem again. Only with a pin (no coordinates, no place to compare);
        a failing lookup is logged and shows nothing: it never stands in the way of filing."""
        lat, lon = _number(draft.get("lat")), _number(draft.get("lon"))
        if category is None or lat is None or lon is None or not self.filing.inside(lat, lon):
            return []
        try:
            found = self.intake_rpc.nearby_appeals(
                {"lat": lat, "lon": lon, "category": category["code"], "limit": NEARBY_SHOWN})
        except Exception as exc:  # any failure: filing goes on without the list
            log.warning("nearby appeals could not be listed: %r", exc)
            return []
        return [with_photo_url(item) for item in found.get("items") or ()]

    def _category_step(self, request, draft: Draft, query: str = "", browse: str = "",
                       errors: dict | None = None, carrying: bool = True):
        taxonomy = self._taxonomy()
        query = query.strip()[:200]
        current = taxonomy.by_code.get(browse) if browse else None
        if current is not None and current.get("level") == "leaf":
            current = taxonomy.by_code.get(current.get("parent"))
        chosen = taxonomy.leaf(draft.get("category"))
        return self._filing_page(
            request, "filing/category.html", draft=draft, step="category",
            errors=errors or {}, hidden=draft.hidden(leaving_out=("category",)),
            query=query, results=taxonomy.search(query) if query else None,
            current=current, trail=taxonomy.path(current) if current else [],
            entries=taxonomy.children.get(current["code"] if current else None, []),
            chosen=chosen, chosen_label=self._label(chosen, request),
            path_label=lambda c: self._label(c, request), carrying=carrying)

    def _filing_page(self, request, template, errors=None, **context):
        locale = negotiate(request)
        context["name_of"] = lambda c: (c.get("name") or {}).get(locale) or c.get("code")
        context["label_of"] = lambda d: (d.get("label") or {}).get(locale) or d.get("name")
        context.setdefault("category_name", str)
        context.setdefault("unconfirmed", self._unconfirmed(request))
        return self._page(request, template, status=422 if errors else 200,
                          errors=errors or {}, steps=STEPS, step_titles=STEP_TITLES,
                          photo_limits={"count": self.media.limits.max_count,
                                        "megabytes": self.media.limits.max_bytes // 2**20},
                          complexities=COMPLEXITY_LABELS,
                          headers={"Content-Security-Policy": self.filing.csp}, **context)

    def _map_settings(self) -> dict:
        settings = self.filing
        return {"tiles": settings.tile_url, "attribution": settings.attribution,
                "bounds": ",".join(str(v) for v in settings.bounds),
                "centre": "{},{}".format(*settings.centre)}
