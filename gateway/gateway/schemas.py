"""Request and response schemas of the public API (marshmallow 4).

Request schemas validate what arrives and reject unknown keys; response schemas describe
what the services return (the gateway passes their dicts through) and feed the OpenAPI
document. Validation failures become :class:`~hromada_common.errors.InvalidInput`, so they
take the same 422 path as the services' own.
"""
from __future__ import annotations

from datetime import timezone

from hromada_common.errors import InvalidInput, validation_fields
from hromada_common.events import REJECTION_CODES, UNSTORABLE_TEXT, StrictSchema
from hromada_common.lifecycle import AppealState
from hromada_common.text import visible
from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

CHANNELS = ("web", "mobile", "api", "phone", "chatbot")
CATEGORY_LEVELS = ("domain", "category", "leaf")
COMPLEXITIES = ("simple", "standard", "complex")
STATES = tuple(state.value for state in AppealState)
IDEMPOTENCY_KEY_MAX_LENGTH = 200

CATEGORY_CODE_MAX_LENGTH = 120
"""What routing and intake store (and enforce): a longer code can name no category."""
CATEGORY_CODE = validate.Regexp(
    r"^[a-z0-9_]+(\.[a-z0-9_]+)*$",
    error="Not a category code (dot-separated lowercase segments, e.g. roads.surface.pothole).",
)


not_blank = visible
"""Free text (titles, descriptions, reasons, names) must show something: not only whitespace,
zero-width or other invisible characters."""


LANGUAGES = ("uk", "en")
"""The languages residents read (accounts' ``domain.model.LANGUAGES``, the portal's locales)."""


class RequestSchema(StrictSchema):
    """Base of request schemas: unknown keys are errors, not silently dropped, and no string
    (nor key) may hold NUL or a lone surrogate (see ``StrictSchema``)."""

    class Meta:
        unknown = RAISE


class ResponseSchema(Schema):
    """Base of response schemas: they document what services return, which may grow."""

    class Meta:
        unknown = INCLUDE


# --- appeals -------------------------------------------------------------------------------


class Location(ResponseSchema):
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    address = fields.String(
        required=True, validate=[validate.Length(1, 500), not_blank],
        metadata={"description": "Human-readable address or landmark."},
    )


class LocationInput(Location, RequestSchema):
    class Meta(RequestSchema.Meta):
        pass


class AppealCreate(RequestSchema):
    title = fields.String(required=True, validate=[validate.Length(1, 200), not_blank])
    description = fields.String(required=True, validate=[validate.Length(1, 4000), not_blank])
    category = fields.String(
        required=True, validate=[validate.Length(1, CATEGORY_CODE_MAX_LENGTH), CATEGORY_CODE],
        metadata={"description": "Code of a category from GET /api/v1/categories."},
    )
    location = fields.Nested(LocationInput, required=True)
    channel = fields.String(load_default="web", validate=validate.OneOf(CHANNELS))
    # Declared last: in a class body the name shadows the ``fields`` module for what follows.
    fields = fields.Dict(
        keys=fields.String(), load_default=dict,
        metadata={"description": "Extra fields the category asks for, e.g. a lamp post number."},
    )


class HistoryEntry(ResponseSchema):
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    at = fields.DateTime(required=True)
    by = fields.String(allow_none=True, metadata={"description": "Account id (or service) that made the change."})
    version = fields.Integer(required=True)
    note = fields.String(allow_none=True, metadata={"description": "A reason, where the change needs one."})
    reason_code = fields.String(allow_none=True, validate=validate.OneOf(REJECTION_CODES), metadata={
        "description": "For a rejection: spam, not_constructive, out_of_remit or other."})


class AuthorContact(ResponseSchema):
    id = fields.String(required=True)
    display_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class Photo(ResponseSchema):
    id = fields.String(required=True)
    purpose = fields.String(required=True, validate=validate.OneOf(("appeal", "rework", "resolution")),
                            metadata={"description": "What it shows: the problem (appeal), what is "
                                                     "still wrong (rework), the work done (resolution)."})
    url = fields.String(required=True, metadata={"description": "The photo (re-encoded, without metadata)."})
    thumbnail_url = fields.String(required=True, metadata={"description": "A JPEG at most 320 px."})
    content_type = fields.String(required=True, validate=validate.OneOf(("image/jpeg", "image/png", "image/webp")))
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    size = fields.Integer(required=True, metadata={"description": "Bytes of the stored photo."})
    sha256 = fields.String(required=True, metadata={"description": "Of the stored photo."})
    created_at = fields.DateTime(required=True)


class PhotoList(ResponseSchema):
    items = fields.List(fields.Nested(Photo), required=True)


class Appeal(ResponseSchema):
    id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    title = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(required=True)
    location = fields.Nested(Location, required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    body = fields.String(allow_none=True, metadata={"description": "Code of the responsible body, once routed."})
    due_at = fields.DateTime(allow_none=True)
    complexity = fields.String(allow_none=True, validate=validate.OneOf(COMPLEXITIES))
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(required=True)
    history = fields.List(
        fields.Nested(HistoryEntry),
        metadata={"description": "Every state the appeal went through; absent in lists."},
    )
    author_id = fields.String(allow_none=True, metadata={
        "description": "Only for the author, moderators and staff of the responsible body."})
    author = fields.Nested(AuthorContact, metadata={
        "description": "Contact of the author, for the same viewers as author_id (single appeal)."})
    supporters_count = fields.Integer(metadata={
        "description": "Residents who support it instead of filing a copy (they follow it)."})
    supported_by_me = fields.Boolean(metadata={
        "description": "Whether the signed-in caller supports it; absent for anonymous callers."})
    photos = fields.List(fields.Nested(Photo), metadata={"description": "Oldest first; absent in lists."})
    fields = fields.Dict(keys=fields.String())


class AppealPage(ResponseSchema):
    items = fields.List(fields.Nested(Appeal), required=True)
    next_cursor = fields.String(
        required=True, allow_none=True,
        metadata={"description": "Pass as ?cursor= for the next page; null on the last page."},
    )


class BoundingBox(fields.Field):
    """``minLon,minLat,maxLon,maxLat`` → ``[minLon, minLat, maxLon, maxLat]`` floats."""

    default_error_messages = {
        "invalid": "Must be four numbers: minLon,minLat,maxLon,maxLat.",
        "range": "Longitudes must lie in -180..180 and latitudes in -90..90.",
        "order": "The minimum must not exceed the maximum.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            parts = [float(part) for part in str(value).split(",")]
        except ValueError:
            raise self.make_error("invalid") from None
        if len(parts) != 4 or any(part != part or part in (float("inf"), float("-inf")) for part in parts):
            raise self.make_error("invalid")
        min_lon, min_lat, max_lon, max_lat = parts
        if not all(-180 <= lon <= 180 for lon in (min_lon, max_lon)) or not all(
            -90 <= lat <= 90 for lat in (min_lat, max_lat)
        ):
            raise self.make_error("range")
        if min_lon > max_lon or min_lat > max_lat:
            raise self.make_error("order")
        return parts


class AppealListQuery(RequestSchema):
    state = fields.String(validate=validate.OneOf(STATES))
    category = fields.String(validate=[validate.Length(1, CATEGORY_CODE_MAX_LENGTH), CATEGORY_CODE])
    body = fields.String(validate=validate.Length(1, 200), metadata={"description": "Code of the responsible body."})
    district = fields.String(validate=validate.Length(1, 64), metadata={
        "description": "Code of the city district routing found the appeal in (appeals "
                       "routed before intake kept districts have none)."})
    created_from = fields.AwareDateTime(
        default_timezone=timezone.utc,
        metadata={"description": "ISO 8601; without an offset it is taken as UTC."},
    )
    created_to = fields.AwareDateTime(
        default_timezone=timezone.utc,
        metadata={"description": "ISO 8601; without an offset it is taken as UTC."},
    )
    bbox = BoundingBox(metadata={"description": "minLon,minLat,maxLon,maxLat", "example": "30.4,50.35,30.7,50.55"})
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
    cursor = fields.String(validate=validate.Length(1, 1000))
    mine = fields.Boolean(metadata={"description": "Only the signed-in caller's own appeals."})

    @validates_schema
    def created_range_is_ordered(self, data, **kwargs):
        if "created_from" in data and "created_to" in data and data["created_from"] > data["created_to"]:
            raise ValidationError("Must not be earlier than created_from.", "created_to")


# --- categories ----------------------------------------------------------------------------


class LocalisedName(ResponseSchema):
    uk = fields.String(required=True)
    en = fields.String(required=True)


class Category(ResponseSchema):
    code = fields.String(required=True)
    name = fields.Nested(LocalisedName, required=True)
    parent = fields.String(required=True, allow_none=True)
    level = fields.String(required=True, validate=validate.OneOf(CATEGORY_LEVELS))
    body = fields.String(required=True, allow_none=True, metadata={"description": "Default responsible body."})
    active = fields.Boolean(required=True)
    deadline_hours = fields.Dict(
        keys=fields.String(), values=fields.Float(), required=True, allow_none=True,
        metadata={"description": "Response deadline by complexity (working hours)."},
    )
    default_complexity = fields.String(allow_none=True, validate=validate.OneOf(COMPLEXITIES))
    emergency = fields.Boolean(metadata={"description": "Deadlines count around the clock, not in working hours."})
    fields = fields.List(
        fields.Dict(), required=True,
        metadata={"description": "Extra fields an appeal in this category must or may carry."},
    )


class CategoryList(ResponseSchema):
    items = fields.List(fields.Nested(Category), required=True)


class CategoryListQuery(RequestSchema):
    include_inactive = fields.Boolean(load_default=False)


# --- operations and errors -----------------------------------------------------------------


class Health(ResponseSchema):
    status = fields.String(required=True, metadata={"example": "ok"})


class Readiness(ResponseSchema):
    status = fields.String(required=True, metadata={"example": "ready"})
    checks = fields.Dict(
        keys=fields.String(), values=fields.Dict(), required=True,
        metadata={"description": "Each service's health report, by service name."},
    )


class ProblemFieldError(ResponseSchema):
    field = fields.String(required=True, metadata={"example": "location.lat"})
    messages = fields.List(fields.String(), required=True)


class ProblemDetails(ResponseSchema):
    """RFC 9457 problem details (the ``Problem`` component of the OpenAPI document)."""

    type = fields.String(required=True, metadata={"example": "https://hromada.city/problems/invalid-input"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True, metadata={"description": "The request path."})
    errors = fields.List(
        fields.Nested(ProblemFieldError),
        metadata={"description": "Present on validation problems: the fields (or parameters, or headers) at fault."},
    )


# --- loading -------------------------------------------------------------------------------


def load(schema: Schema, data, what: str = "request body"):
    """``schema.load(data)``, raising :class:`InvalidInput` (422) naming each field at fault."""
    try:
        return schema.load(data)
    except ValidationError as err:
        raise InvalidInput(f"The {what} is invalid.", fields=validation_fields(err.messages)) from None


def load_query(schema: Schema, args) -> dict:
    """Validate query parameters (a werkzeug ``MultiDict``); each may be given once."""
    repeated = {key: ["Give this parameter once."] for key, values in args.lists() if len(values) > 1}
    if repeated:
        raise InvalidInput("The query parameters are invalid.", fields=repeated)
    return load(schema, args.to_dict(flat=True), what="query")


def idempotency_key_from(headers) -> str | None:
    """The ``Idempotency-Key`` header, if any; 422 when it is empty or too long."""
    key = headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key.strip() or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or UNSTORABLE_TEXT.search(key):
        raise InvalidInput(
            "The Idempotency-Key header is invalid.",
            fields={"Idempotency-Key": [f"Must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters."]},
        )
    return key


# --- accounts ------------------------------------------------------------------------------

ROLES = ("resident", "executor", "dispatcher", "head", "admin", "integration")
SCOPES = ("appeals:read", "appeals:write", "events:read")
CODE = validate.Regexp(r"^[0-9]{6}$", error="Must be the 6-digit code from the email.")


class Register(RequestSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(1, 200), load_only=True)
    display_name = fields.String(required=True, validate=[validate.Length(1, 80), not_blank])
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    language = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LANGUAGES),
                             metadata={"description": "The language the resident reads (mails "
                                       "come in it); default: the best of Accept-Language, "
                                       "else uk."})


class VerifyEmail(RequestSchema):
    email = fields.Email(required=True)
    code = fields.String(required=True, validate=CODE)


class EmailOnly(RequestSchema):
    email = fields.Email(required=True)


class TokenRequest(RequestSchema):
    """Residents and staff sign in with email and password; integrations with an API key."""

    email = fields.Email()
    password = fields.String(validate=validate.Length(1, 200), load_only=True)
    api_key = fields.String(validate=validate.Length(1, 200), load_only=True)

    @validates_schema
    def one_way_to_sign_in(self, data, **kwargs):
        if "api_key" in data:
            if "email" in data or "password" in data:
                raise ValidationError("Give either api_key or email and password.", "api_key")
            return
        missing = {name: ["Missing data for required field."]
                   for name in ("email", "password") if name not in data}
        if missing:
            raise ValidationError(missing)


class RefreshToken(RequestSchema):
    refresh_token = fields.String(required=True, validate=validate.Length(1, 500), load_only=True)


class PasswordResetConfirm(RequestSchema):
    email = fields.Email(required=True)
    code = fields.String(required=True, validate=CODE)
    new_password = fields.String(required=True, validate=validate.Length(1, 200), load_only=True)


class PasswordConfirmation(RequestSchema):
    password = fields.String(required=True, validate=validate.Length(1, 200), load_only=True)


class Reason(RequestSchema):
    reason = fields.String(required=True, validate=[validate.Length(3, 1000), not_blank])


class Rejection(Reason):
    reason_code = fields.String(
        load_default="other", validate=validate.OneOf(REJECTION_CODES),
        metadata={"description": "Why it is rejected: spam (costs the author points), "
                                 "not_constructive, out_of_remit or other (the default)."})


class RolesUpdate(RequestSchema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1))
    body = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))


class ApiKeyCreate(RequestSchema):
    name = fields.String(required=True, validate=[validate.Length(1, 100), not_blank])
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(min=1))


class TokenPair(ResponseSchema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(metadata={"description": "Absent for API-key sign-ins."})
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds."})


class Account(ResponseSchema):
    id = fields.String(required=True)
    email = fields.String(allow_none=True)
    display_name = fields.String(required=True)
    phone = fields.String(allow_none=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True)
    body = fields.String(allow_none=True, metadata={"description": "Staff's body."})
    status = fields.String(required=True)
    verified = fields.Boolean(required=True)
    trust_level = fields.Integer()
    email_notifications = fields.Boolean(metadata={"description": "Notifications also by email."})
    language = fields.String(validate=validate.OneOf(LANGUAGES),
                             metadata={"description": "The language the resident reads: "
                                       "mails come in it, the portal speaks it."})
    created_at = fields.DateTime()


# --- executor workflow, triage, queues, taxonomy management -------------------------------


class Resolve(RequestSchema):
    comment = fields.String(required=True, validate=[validate.Length(1, 4000), not_blank])
    photo_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 500),
                              metadata={"description": "Reference to an uploaded photo."})


class ComplexityUpdate(RequestSchema):
    complexity = fields.String(required=True, validate=validate.OneOf(COMPLEXITIES))


class Reassign(RequestSchema):
    body = fields.String(required=True, validate=validate.Length(1, 64))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 1000))


class Extension(RequestSchema):
    until = fields.AwareDateTime(required=True)
    reason = fields.String(required=True, validate=[validate.Length(3, 1000), not_blank])


class QueueQuery(RequestSchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(validate=validate.Length(1, 1000))


class CategoryFieldInput(RequestSchema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,62}$"))
    type = fields.String(required=True, validate=validate.OneOf(("text", "number", "choice")))
    required = fields.Boolean(load_default=False)
    label = fields.Nested(LocalisedName, required=True)
    choices = fields.List(fields.String(), load_default=None, allow_none=True)


class CategoryInput(RequestSchema):
    """A new category, or (with every field optional) a change to one."""

    code = fields.String(validate=[validate.Length(1, CATEGORY_CODE_MAX_LENGTH), CATEGORY_CODE])
    name = fields.Nested(LocalisedName)
    parent = fields.String(allow_none=True,
                           validate=[validate.Length(1, CATEGORY_CODE_MAX_LENGTH), CATEGORY_CODE])
    level = fields.String(validate=validate.OneOf(CATEGORY_LEVELS))
    body = fields.String(allow_none=True, validate=validate.Length(1, 64))
    active = fields.Boolean()
    deadline_hours = fields.Dict(keys=fields.String(validate=validate.OneOf(COMPLEXITIES)),
                                 values=fields.Integer(strict=True, validate=validate.Range(1, 10000)))
    default_complexity = fields.String(validate=validate.OneOf(COMPLEXITIES))
    emergency = fields.Boolean()
    fields = fields.List(fields.Nested(CategoryFieldInput))


# --- resident's answer, discussion, portal feedback, notifications -------------------------

PORTAL_FEEDBACK_CATEGORIES = ("usability", "bug", "idea", "complaint")


class Confirm(RequestSchema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5),
                            metadata={"description": "Quality of the work, 1 (poor) to 5."})
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class Rework(RequestSchema):
    reason = fields.String(required=True, validate=[validate.Length(3, 2000), not_blank])
    photo_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 500))


class CommentIn(RequestSchema):
    text = fields.String(required=True, validate=[validate.Length(1, 4000), not_blank])


class PortalFeedbackIn(RequestSchema):
    category = fields.String(required=True, validate=validate.OneOf(PORTAL_FEEDBACK_CATEGORIES))
    text = fields.String(required=True, validate=[validate.Length(1, 4000), not_blank])


class PortalFeedbackAnswer(RequestSchema):
    answer = fields.String(required=True, validate=[validate.Length(1, 4000), not_blank])
    useful = fields.Boolean(load_default=False, metadata={
        "description": "The suggestion is useful: its author earns points for it."})


class NotificationsQuery(RequestSchema):
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
    unread_only = fields.Boolean(load_default=False)
    cursor = fields.String(validate=validate.Length(1, 1000))


class NotificationsRead(RequestSchema):
    ids = fields.List(fields.String(validate=validate.Length(1, 64)),
                      validate=validate.Length(min=1, max=500))
    all = fields.Boolean()

    @validates_schema
    def ids_or_all(self, data, **kwargs):
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ValidationError("Give either ids or all: true.", "ids")


class Preferences(RequestSchema):
    """Either or both; what is left out stays as it is."""

    email_notifications = fields.Boolean(metadata={"description": "Notifications also by email."})
    language = fields.String(validate=validate.OneOf(LANGUAGES),
                             metadata={"description": "The language mails come in (and the "
                                       "portal speaks when the browser has not chosen)."})

    @validates_schema
    def at_least_one(self, data, **kwargs):
        if not data:
            raise ValidationError('Give "email_notifications", "language" or both.', "_schema")


# --- gamification: points, leaderboards, ratings, rewards ----------------------------------

PERIOD = validate.Regexp(
    r"^(month|quarter|year|all|\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?)$",
    error="Not a period: use month, quarter, year, all, or a key such as 2026-11, 2026-Q4, 2026.",
)
CODE_TEXT = validate.Length(1, 64)
NOMINATION_STATUSES = ("pending", "approved", "declined", "withdrawn")


class PageQuery(RequestSchema):
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000))


class ResidentLeaderboardQuery(RequestSchema):
    period = fields.String(load_default="month", validate=PERIOD, metadata={
        "description": "month, quarter, year (the running one), all, or a period key"})
    district = fields.String(validate=CODE_TEXT, metadata={
        "description": "a district code; absent: city-wide"})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 100))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 100_000))


class BodyLeaderboardQuery(RequestSchema):
    period = fields.String(load_default="month", validate=PERIOD)
    domain = fields.String(validate=CODE_TEXT, metadata={
        "description": "a category domain (e.g. roads); absent: all domains"})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 100))


class BodyRatingQuery(RequestSchema):
    domain = fields.String(validate=CODE_TEXT, metadata={
        "description": "a category domain; absent: every domain (the running periods are shown)"})


class ExecutorRatingsQuery(RequestSchema):
    period = fields.String(load_default="month", validate=PERIOD)
    body = fields.String(validate=CODE_TEXT)
    domain = fields.String(validate=CODE_TEXT)


class PublicProfileIn(RequestSchema):
    shown_as = fields.String(required=True, validate=validate.OneOf(["name", "pseudonym"]),
                             metadata={"description": "how leaderboards show you"})
    pseudonym = fields.String(validate=[validate.Length(3, 40), not_blank], metadata={
        "description": "your own pseudonym (otherwise one is made up for you)"})


class NominationsQuery(PageQuery):
    period = fields.String(validate=PERIOD)
    status = fields.String(validate=validate.OneOf(NOMINATION_STATUSES))
    district = fields.String(validate=CODE_TEXT)


class RunNominations(RequestSchema):
    period = fields.String(required=True, validate=PERIOD,
                           metadata={"description": "an ended period, e.g. 2026-10"})


class RewardChoice(RequestSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["certificate", "gift"]))
    gift_id = fields.String(validate=validate.Length(1, 64))

    @validates_schema
    def gift_needs_its_id(self, data, **kwargs):
        if data.get("kind") == "gift" and not data.get("gift_id"):
            raise ValidationError("Name the gift from the catalogue.", "gift_id")


class NominationDecision(RequestSchema):
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "declined"]))
    reason = fields.String(validate=[validate.Length(3, 1000), not_blank])
    reward = fields.Nested(RewardChoice)

    @validates_schema
    def what_each_decision_needs(self, data, **kwargs):
        if data.get("decision") == "declined" and not data.get("reason"):
            raise ValidationError("Say why the nomination is declined.", "reason")
        if data.get("decision") == "approved" and not data.get("reward"):
            raise ValidationError("Choose the reward: a certificate or a gift.", "reward")


class LocalisedNameIn(RequestSchema):
    uk = fields.String(required=True, validate=[validate.Length(1, 200), not_blank])
    en = fields.String(required=True, validate=[validate.Length(1, 200), not_blank])


class GiftIn(RequestSchema):
    name = fields.Nested(LocalisedNameIn, required=True)
    description = fields.String(validate=validate.Length(max=2000))
    stock = fields.Integer(required=True, strict=True, validate=validate.Range(0, 1_000_000),
                           metadata={"description": "A whole number: 2.5 is refused, not cut to 2."})


class GiftUpdate(RequestSchema):
    name = fields.Nested(LocalisedNameIn)
    description = fields.String(validate=validate.Length(max=2000))
    stock = fields.Integer(strict=True, validate=validate.Range(0, 1_000_000))
    active = fields.Boolean()

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one of name, description, stock, active.",
                                  "stock")
