"""Event contracts: the CloudEvents 1.0 envelope and one marshmallow schema per type and version.

Every event that leaves a service is built by :func:`make_event` and checked against
``SCHEMAS`` (the one registry). Event types read ``hromada.<aggregate>.<fact>.v<N>``; a
breaking change adds a new version next to the old one, never edits it.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from .lifecycle import AppealState

SPECVERSION = "1.0"

APPEAL_SUBMITTED = "hromada.appeal.submitted.v1"
APPEAL_ASSIGNED = "hromada.appeal.assigned.v1"
APPEAL_STATE_CHANGED = "hromada.appeal.state_changed.v1"
TAXONOMY_PUBLISHED = "hromada.taxonomy.published.v1"
APPEAL_TAKEN = "hromada.appeal.taken.v1"
APPEAL_RESOLVED = "hromada.appeal.resolved.v1"
APPEAL_DEADLINE_CHANGED = "hromada.appeal.deadline_changed.v1"
SLA_WARNING = "hromada.appeal.sla_warning.v1"
SLA_BREACHED = "hromada.appeal.sla_breached.v1"
APPEAL_ESCALATED = "hromada.appeal.escalated.v1"
APPEAL_CONFIRMED = "hromada.appeal.confirmed.v1"
APPEAL_REWORK_REQUESTED = "hromada.appeal.rework_requested.v1"
APPEAL_ARCHIVED = "hromada.appeal.archived.v1"
APPEAL_RATED = "hromada.appeal.rated.v1"
APPEAL_COMMENTED = "hromada.appeal.commented.v1"
CONFIRMATION_REMINDER_DUE = "hromada.appeal.confirmation_reminder_due.v1"
APPEAL_SUPPORTED = "hromada.appeal.supported.v1"
APPEAL_SUPPORT_WITHDRAWN = "hromada.appeal.support_withdrawn.v1"
PORTAL_FEEDBACK_ANSWERED = "hromada.portal_feedback.answered.v1"
ACCOUNT_STATUS_CHANGED = "hromada.account.status_changed.v1"
ACCOUNT_TRUST_CHANGED = "hromada.account.trust_changed.v1"
ACCOUNT_DELETED = "hromada.account.deleted.v1"
ACCOUNT_ROLES_CHANGED = "hromada.account.roles_changed.v1"
ACCOUNT_ACCESS_REVOKED = "hromada.account.access_revoked.v1"
POINTS_AWARDED = "hromada.resident.points_awarded.v1"
BADGE_AWARDED = "hromada.resident.badge_awarded.v1"
LEVEL_REACHED = "hromada.resident.level_reached.v1"
NOMINATION_CREATED = "hromada.reward.nominated.v1"
NOMINATION_DECIDED = "hromada.reward.nomination_decided.v1"
REWARD_GRANTED = "hromada.reward.granted.v1"
REWARD_DELIVERED = "hromada.reward.delivered.v1"


UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
"""NUL (PostgreSQL text refuses it) and lone UTF-16 surrogates (no UTF-8 encoding exists for
them: a JSON ``"\\udfff"`` decodes to one): text no service can store or send on."""
UNSTORABLE_MESSAGE = "Must not contain NUL characters or unpaired surrogates (\\u0000, \\ud800-\\udfff)."


def unstorable_text(data) -> dict:
    """Where ``data`` (decoded JSON) holds a string, or a key, with :data:`UNSTORABLE_TEXT`:
    marshmallow-style nested messages (``{"location": {"address": [...]}}``), empty if none.
    Iterative, so no nesting depth makes it recurse."""
    found: dict = {}
    stack = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if UNSTORABLE_TEXT.search(value):
                _put(found, path, UNSTORABLE_MESSAGE)
        elif isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(key, str) and UNSTORABLE_TEXT.search(key):
                    # Named without the offending characters: the error itself must be storable.
                    _put(found, path + (UNSTORABLE_TEXT.sub("\ufffd", key),),
                         "A field name " + UNSTORABLE_MESSAGE[0].lower() + UNSTORABLE_MESSAGE[1:])
                else:
                    stack.append((path + (key,), inner))
        elif isinstance(value, (list, tuple)):
            stack.extend((path + (index,), inner) for index, inner in enumerate(value))
    return found


def _put(tree: dict, path: tuple, message: str) -> None:
    if not path:
        path = ("_schema",)
    for key in path[:-1]:
        node = tree.get(key)
        if not isinstance(node, dict):
            node = tree[key] = {}
        tree = node
    tree.setdefault(path[-1], []).append(message)


class StrictSchema(Schema):
    """The shared base of every schema that loads outside input (requests, RPC payloads,
    events): unknown keys are errors, and no string anywhere in the input, nor any key, may
    hold text that cannot be stored (:data:`UNSTORABLE_TEXT`); the field at fault is named."""

    class Meta:
        unknown = RAISE

    @pre_load
    def refuse_unstorable_text(self, data, **kwargs):
        found = unstorable_text(data)
        if found:
            raise ValidationError(found)
        return data


class LocalisedName(StrictSchema):
    uk = fields.String(required=True, validate=validate.Length(min=1))
    en = fields.String(required=True, validate=validate.Length(min=1))


class Location(StrictSchema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    address = fields.String(required=True)


class AppealSubmittedV1(StrictSchema):
    """Intake accepted a new appeal. Carries no personal data beyond the author's opaque id."""

    appeal_id = fields.String(required=True)
    appeal_version = fields.Integer(required=True, validate=validate.Range(min=1))
    title = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(required=True)
    location = fields.Nested(Location, required=True)
    channel = fields.String(required=True)
    author_id = fields.String(required=True)
    submitted_at = fields.AwareDateTime(required=True, format="iso")


class AppealAssignedV1(StrictSchema):
    """Routing assigned an appeal to the body that must act, with a due time."""

    appeal_id = fields.String(required=True)
    appeal_version = fields.Integer(
        required=True, metadata={"description": "the appeal version routing acted on"}
    )
    category = fields.String(required=True)
    body = fields.String(required=True)
    complexity = fields.String(
        required=True, validate=validate.OneOf(["simple", "standard", "complex"])
    )
    due_at = fields.AwareDateTime(required=True, format="iso")
    assigned_at = fields.AwareDateTime(required=True, format="iso")
    rule = fields.String(required=True, metadata={"description": "why this body was chosen"})
    district = fields.String(load_default=None, allow_none=True, metadata={
        "description": "code of the city district the appeal's location lies in; null outside "
                       "every district (added later in v1: absent means null)"})


REJECTION_CODES = ("spam", "not_constructive", "out_of_remit", "other")
"""Why a moderator rejected an appeal; ``spam`` costs the author points."""


class AppealStateChangedV1(StrictSchema):
    """Intake, the owner of the appeal record, applied a state change.

    ``appeal_version`` is the authoritative version after the change: a subscriber that has
    seen a higher version for the same appeal drops this event as stale.
    """

    appeal_id = fields.String(required=True)
    appeal_version = fields.Integer(required=True, validate=validate.Range(min=1))
    state = fields.String(required=True, validate=validate.OneOf([s.value for s in AppealState]))
    previous_state = fields.String(
        required=True, allow_none=True, validate=validate.OneOf([s.value for s in AppealState])
    )
    category = fields.String(required=True)
    body = fields.String(required=True, allow_none=True)
    due_at = fields.AwareDateTime(required=True, allow_none=True, format="iso")
    author_id = fields.String(
        required=True, allow_none=True,
        metadata={"description": "opaque account id of the author; null once anonymised"},
    )
    at = fields.AwareDateTime(required=True, format="iso")
    by = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)
    reason_code = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(REJECTION_CODES),
        metadata={"description": "why a moderator rejected it (only with state rejected; "
                                 "added later in v1: absent means null)"})
    cause = fields.String(required=True, allow_none=True, metadata={
        "description": "id of the event that caused it; null when a person's command did"})


class CategoryField(StrictSchema):
    name = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(["text", "number", "choice"]))
    required = fields.Boolean(required=True)
    label = fields.Nested(LocalisedName, required=True)
    choices = fields.List(fields.String(), load_default=None)


class CategoryContract(StrictSchema):
    code = fields.String(required=True)
    name = fields.Nested(LocalisedName, required=True)
    parent = fields.String(required=True, allow_none=True)
    level = fields.String(required=True, validate=validate.OneOf(["domain", "category", "leaf"]))
    body = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    fields_ = fields.List(fields.Nested(CategoryField), data_key="fields", required=True)


class TaxonomyPublishedV1(StrictSchema):
    """Routing published the whole taxonomy; subscribers replace their copy if it is newer."""

    taxonomy_version = fields.Integer(required=True, validate=validate.Range(min=1))
    categories = fields.List(fields.Nested(CategoryContract), required=True)


COMPLEXITY = validate.OneOf(["simple", "standard", "complex"])


class AppealTakenV1(StrictSchema):
    """The responsible body's executor took the appeal into work (``in_progress``)."""

    appeal_id = fields.String(required=True)
    body = fields.String(required=True)
    by = fields.String(required=True, metadata={"description": "the executor's account id"})
    at = fields.AwareDateTime(required=True, format="iso")


class AppealResolvedV1(StrictSchema):
    """The executor reports the work done. Only the resident's confirmation closes it."""

    appeal_id = fields.String(required=True)
    body = fields.String(required=True)
    by = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")
    comment = fields.String(required=True)
    photo_ref = fields.String(load_default=None, allow_none=True)


class AppealDeadlineChangedV1(StrictSchema):
    """The deadline moved: complexity set at triage, or an extension decided by the head."""

    appeal_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["complexity", "extension", "reassignment", "rework"]))
    complexity = fields.String(required=True, validate=COMPLEXITY)
    due_at = fields.AwareDateTime(required=True, format="iso")
    previous_due_at = fields.AwareDateTime(required=True, allow_none=True, format="iso")
    reason = fields.String(required=True, allow_none=True)
    by = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


class SlaEventV1(StrictSchema):
    """A deadline fact about an appeal (not a state): warning at a share of the time, breach
    at the deadline."""

    appeal_id = fields.String(required=True)
    body = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True, format="iso")
    fired_at = fields.AwareDateTime(required=True, format="iso")


class AppealEscalatedV1(StrictSchema):
    """The deadline was broken: the head of the responsible body is now answerable."""

    appeal_id = fields.String(required=True)
    body = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True, format="iso")
    reason = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


class AppealConfirmedV1(StrictSchema):
    """The author confirmed the resolution: the only way an appeal becomes ``closed``."""

    appeal_id = fields.String(required=True)
    by = fields.String(required=True, metadata={"description": "the author's account id"})
    at = fields.AwareDateTime(required=True, format="iso")
    rating = fields.Integer(required=True, validate=validate.Range(1, 5))
    comment = fields.String(required=True, allow_none=True)
    round = fields.Integer(required=True, validate=validate.Range(min=1),
                           metadata={"description": "resolution round (1 + rework count)"})


class AppealReworkRequestedV1(StrictSchema):
    """The author sent the resolved appeal back to the same body, with a reason."""

    appeal_id = fields.String(required=True)
    by = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")
    reason = fields.String(required=True)
    photo_ref = fields.String(required=True, allow_none=True)
    rework_count = fields.Integer(required=True, validate=validate.Range(min=1))


class AppealArchivedV1(StrictSchema):
    """Staff archived a resolved appeal the author never answered. Never counts as done."""

    appeal_id = fields.String(required=True)
    by = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")
    reason = fields.String(required=True)


class AppealRatedV1(StrictSchema):
    """The author rated the quality of the work of one resolution round (1–5)."""

    appeal_id = fields.String(required=True)
    body = fields.String(required=True, allow_none=True)
    category = fields.String(required=True, allow_none=True)
    rating = fields.Integer(required=True, validate=validate.Range(1, 5))
    comment = fields.String(required=True, allow_none=True)
    round = fields.Integer(required=True, validate=validate.Range(min=1))
    by = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


class AppealCommentedV1(StrictSchema):
    """Someone commented on an appeal (the text stays in feedback; no personal data here)."""

    appeal_id = fields.String(required=True)
    comment_id = fields.String(required=True)
    author_id = fields.String(required=True)
    author_role = fields.String(required=True, validate=validate.OneOf(["resident", "staff"]))
    appeal_author_id = fields.String(required=True, allow_none=True)
    body = fields.String(required=True, allow_none=True)
    at = fields.AwareDateTime(required=True, format="iso")


class ConfirmationReminderDueV1(StrictSchema):
    """A resolved appeal still awaits its author's answer: remind them (never auto-close)."""

    appeal_id = fields.String(required=True)
    author_id = fields.String(required=True)
    resolved_at = fields.AwareDateTime(required=True, format="iso")
    reminder_number = fields.Integer(required=True, validate=validate.Range(min=1))
    at = fields.AwareDateTime(required=True, format="iso")


class AppealSupportV1(StrictSchema):
    """A resident supported an open appeal instead of filing the same problem again
    (``supported``), or withdrew that support (``support_withdrawn``). A supporter follows the
    appeal: accounts notifies them of each later change."""

    appeal_id = fields.String(required=True)
    supporter_id = fields.String(required=True, metadata={
        "description": "opaque account id of the supporter"})
    supporters_count = fields.Integer(required=True, validate=validate.Range(min=0), metadata={
        "description": "the appeal's supporters after this change"})
    at = fields.AwareDateTime(required=True, format="iso")


class PortalFeedbackAnsweredV1(StrictSchema):
    """Staff answered a resident's suggestion or complaint about the portal."""

    feedback_id = fields.String(required=True)
    author_id = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")
    useful = fields.Boolean(load_default=False, metadata={
        "description": "staff marked the suggestion useful (added later in v1: absent means "
                       "false)"})


class AccountStatusChangedV1(StrictSchema):
    """A moderator blocked or unblocked an account (blocked accounts may only read)."""

    account_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "blocked"]))
    reason = fields.String(required=True, allow_none=True)
    by = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


class AccountTrustChangedV1(StrictSchema):
    """An account's trust level moved (0 new or low … 3 high); rate limits follow it."""

    account_id = fields.String(required=True)
    trust_level = fields.Integer(required=True, validate=validate.Range(0, 3))
    reason = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


class AccountDeletedV1(StrictSchema):
    """A resident deleted their account; subscribers drop every link to the person."""

    account_id = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


class AccountRolesChangedV1(StrictSchema):
    """An administrator replaced an account's roles (and the body it acts for)."""

    account_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    body = fields.String(required=True, allow_none=True)
    previous_roles = fields.List(fields.String(), required=True)
    previous_body = fields.String(required=True, allow_none=True)
    by = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


class AccountAccessRevokedV1(StrictSchema):
    """Access tokens signed before now for this account (``auth_version`` raised: roles,
    block, unblock, deletion, every session signed out) or for one session (``session_id``:
    signed out, or its refresh token reused) no longer hold. Every token verifier applies it
    (hromada_common.revocation)."""

    account_id = fields.String(required=True)
    session_id = fields.String(required=True, allow_none=True)
    auth_version = fields.Integer(required=True, allow_none=True, validate=validate.Range(min=0))
    reason = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


class PointsAwardedV1(StrictSchema):
    """A ledger entry: a resident earned (or, negative, lost) points for something they did."""

    entry_id = fields.String(required=True)
    resident_id = fields.String(required=True)
    rule = fields.String(required=True, metadata={"description": "e.g. appeal_accepted"})
    points = fields.Integer(required=True)
    appeal_id = fields.String(required=True, allow_none=True)
    district = fields.String(required=True, allow_none=True)
    cause = fields.String(required=True, metadata={"description": "id of the event that earned it"})
    at = fields.AwareDateTime(required=True, format="iso")


class BadgeAwardedV1(StrictSchema):
    """A resident earned a badge (each badge at most once per resident)."""

    resident_id = fields.String(required=True)
    badge = fields.String(required=True, metadata={"description": "badge code, e.g. first_appeal"})
    name = fields.Nested(LocalisedName, required=True)
    awarded_at = fields.AwareDateTime(required=True, format="iso")
    cause = fields.String(required=True, metadata={"description": "id of the event that earned it"})


class LevelReachedV1(StrictSchema):
    """A resident's all-time points crossed the threshold of a higher level."""

    resident_id = fields.String(required=True)
    level = fields.Integer(required=True, validate=validate.Range(min=1))
    name = fields.Nested(LocalisedName, required=True)
    points = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


PERIOD_KINDS = ("month", "quarter", "year")


class NominationCreatedV1(StrictSchema):
    """A period ended and a resident was nominated for a reward by their place in it."""

    nomination_id = fields.String(required=True)
    resident_id = fields.String(required=True)
    period = fields.String(required=True, metadata={
        "description": "2026-11 (month), 2026-Q4 (quarter) or 2026 (year)"})
    district = fields.String(required=True, allow_none=True,
                             metadata={"description": "null for a city-wide nomination"})
    rank = fields.Integer(required=True, validate=validate.Range(min=1))
    points = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


class NominationDecidedV1(StrictSchema):
    """Staff approved (with a reward kind) or declined (with a reason) a nomination."""

    nomination_id = fields.String(required=True)
    resident_id = fields.String(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "declined"]))
    reason = fields.String(required=True, allow_none=True)
    by = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


class RewardGrantedV1(StrictSchema):
    """An approved nomination yielded a reward: a certificate to download or a gift to hand
    over."""

    reward_id = fields.String(required=True)
    nomination_id = fields.String(required=True)
    resident_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["certificate", "gift"]))
    gift_id = fields.String(required=True, allow_none=True)
    period = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


class RewardDeliveredV1(StrictSchema):
    """Staff handed a gift over to the resident."""

    reward_id = fields.String(required=True)
    resident_id = fields.String(required=True)
    by = fields.String(required=True)
    at = fields.AwareDateTime(required=True, format="iso")


SCHEMAS: dict[str, type[Schema]] = {
    APPEAL_SUBMITTED: AppealSubmittedV1,
    APPEAL_ASSIGNED: AppealAssignedV1,
    APPEAL_STATE_CHANGED: AppealStateChangedV1,
    TAXONOMY_PUBLISHED: TaxonomyPublishedV1,
    APPEAL_TAKEN: AppealTakenV1,
    APPEAL_RESOLVED: AppealResolvedV1,
    APPEAL_DEADLINE_CHANGED: AppealDeadlineChangedV1,
    SLA_WARNING: SlaEventV1,
    SLA_BREACHED: SlaEventV1,
    APPEAL_ESCALATED: AppealEscalatedV1,
    APPEAL_CONFIRMED: AppealConfirmedV1,
    APPEAL_REWORK_REQUESTED: AppealReworkRequestedV1,
    APPEAL_ARCHIVED: AppealArchivedV1,
    APPEAL_RATED: AppealRatedV1,
    APPEAL_COMMENTED: AppealCommentedV1,
    CONFIRMATION_REMINDER_DUE: ConfirmationReminderDueV1,
    APPEAL_SUPPORTED: AppealSupportV1,
    APPEAL_SUPPORT_WITHDRAWN: AppealSupportV1,
    PORTAL_FEEDBACK_ANSWERED: PortalFeedbackAnsweredV1,
    ACCOUNT_STATUS_CHANGED: AccountStatusChangedV1,
    ACCOUNT_TRUST_CHANGED: AccountTrustChangedV1,
    ACCOUNT_DELETED: AccountDeletedV1,
    ACCOUNT_ROLES_CHANGED: AccountRolesChangedV1,
    ACCOUNT_ACCESS_REVOKED: AccountAccessRevokedV1,
    POINTS_AWARDED: PointsAwardedV1,
    BADGE_AWARDED: BadgeAwardedV1,
    LEVEL_REACHED: LevelReachedV1,
    NOMINATION_CREATED: NominationCreatedV1,
    NOMINATION_DECIDED: NominationDecidedV1,
    REWARD_GRANTED: RewardGrantedV1,
    REWARD_DELIVERED: RewardDeliveredV1,
}
"""The one registry of event types: type → schema of its ``data``."""


class InvalidEvent(ValueError):
    """An event that does not match its contract. Retrying cannot fix it: it is dead-lettered."""


EVENT_ID_MAX_LENGTH = 36
"""The longest event id a consumer's inbox (and a producer's outbox) can store: a UUID's
text. A longer id breaks the contract: retrying it would fail at the inbox every time."""


class EnvelopeV1(StrictSchema):
    specversion = fields.String(required=True, validate=validate.Equal(SPECVERSION))
    id = fields.String(required=True, validate=validate.Length(min=1, max=EVENT_ID_MAX_LENGTH))
    source = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(list(SCHEMAS)))
    time = fields.String(required=True)
    subject = fields.String(required=True, allow_none=True)
    datacontenttype = fields.String(load_default="application/json")
    data = fields.Dict(required=True)
    # CloudEvents extension attributes (lowercase alphanumerics, as the spec requires).
    actor = fields.String(load_default="system")
    correlationid = fields.String(load_default=None, allow_none=True)


_ENVELOPE = EnvelopeV1()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _dump_data(event_type: str, schema: Schema, data: dict) -> dict:
    """Serialise ``data``, turning what ``dump`` cannot handle into :class:`InvalidEvent`.

    ``dump`` silently drops keys the schema does not know and raises plain ``TypeError`` /
    ``ValueError`` on badly typed values; a contract violation must be an ``InvalidEvent``
    that names the field either way.
    """
    unknown = sorted(set(data) - set(schema.fields))
    if unknown:
        raise InvalidEvent(f"{event_type}: {{{', '.join(repr(k) for k in unknown)}: "
                           "['Unknown field.']}")
    try:
        return schema.dump(data)
    except (TypeError, ValueError, AttributeError):
        pass  # find the field at fault: the slow path, taken only on a contract breach
    for name, field in schema.fields.items():
        try:
            field.serialize(name, data)
        except (TypeError, ValueError, AttributeError) as exc:
            raise InvalidEvent(f"{event_type}: {{{field.data_key or name!r}: [{str(exc)!r}]}}"
                               ) from exc
    raise InvalidEvent(f"{event_type}: cannot be serialised")


_instances: dict[str, Schema] = {}


def _schema_instance(event_type: str) -> Schema:
    """One reusable instance per type: building a marshmallow schema costs more than using it."""
    if event_type not in _instances:
        _instances[event_type] = SCHEMAS[event_type]()
    return _instances[event_type]


def make_event(
    event_type: str,
    data: dict,
    *,
    source: str,
    subject: str | None,
    actor: str = "system",
    correlation_id: str | None = None,
    time: datetime | None = None,
) -> dict:
    """Build a validated CloudEvents envelope; ``data`` is checked against its schema."""
    if event_type not in SCHEMAS:
        raise InvalidEvent(f"unknown event type {event_type!r}")
    schema = _schema_instance(event_type)
    serialised = _dump_data(event_type, schema, data)
    try:
        schema.load(serialised)
    except ValidationError as exc:
        raise InvalidEvent(f"{event_type}: {exc.messages}") from exc
    return {
        "specversion": SPECVERSION,
        "id": str(uuid.uuid4()),
        "source": source,
        "type": event_type,
        "time": (time or _now()).isoformat(),
        "subject": subject,
        "datacontenttype": "application/json",
        "data": serialised,
        "actor": actor,
        "correlationid": correlation_id,
    }


def make_events(event_type: str, items: list[tuple[dict, str | None]], *, source: str,
                actor: str = "system") -> list[dict]:
    """Envelopes for many events of one type made by one code path (e.g. a burst of SLA
    timers): each ``(data, subject)`` is serialised by the type's schema, which rejects unknown
    keys and badly typed values, and the first is also loaded back through the schema, the full
    contract check. Loading every one would double the cost of a 100,000-event burst while
    checking the same code path again."""
    if not items:
        return []
    first, *rest = items
    envelopes = [make_event(event_type, first[0], source=source, subject=first[1], actor=actor)]
    schema = _schema_instance(event_type)
    time = envelopes[0]["time"]
    for data, subject in rest:
        envelopes.append({
            **envelopes[0], "id": str(uuid.uuid4()), "subject": subject, "time": time,
            "data": _dump_data(event_type, schema, data),
        })
    return envelopes


def parse_event(envelope: dict, expected_type: str | None = None) -> tuple[dict, dict]:
    """Check an incoming envelope and return ``(envelope, data)`` with ``data`` loaded.

    Raises :class:`InvalidEvent` if the envelope or its data breaks the contract.
    """
    try:
        checked = _ENVELOPE.load(envelope)
    except ValidationError as exc:
        raise InvalidEvent(f"bad envelope: {exc.messages}") from exc
    if expected_type and checked["type"] != expected_type:
        raise InvalidEvent(f"expected {expected_type}, got {checked['type']}")
    try:
        data = _schema_instance(checked["type"]).load(checked["data"])
    except ValidationError as exc:
        raise InvalidEvent(f"{checked['type']}: {exc.messages}") from exc
    return checked, data
