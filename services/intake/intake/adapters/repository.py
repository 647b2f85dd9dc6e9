"""Appeal repository: maps the aggregate to rows and back, and answers list queries."""
from __future__ import annotations

import base64
import json
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from hromada_common.audit import AuditRepository as SharedAuditRepository
from hromada_common.db import aware
from hromada_common.lifecycle import OPEN_STATES, AppealState

from ..domain.model import Appeal, HistoryEntry, Location
from ..domain.nearby import box_around, distance_m
from .orm import (
    AccountStanding,
    AppealHistoryRecord,
    AppealRecord,
    AppealSupportRecord,
    AttachmentRecord,
    AuditRecord,
    CategoryCopy,
    TaxonomyCopyVersion,
)

_OPEN = sorted(s.value for s in OPEN_STATES)

DELETED_ACCOUNT = "deleted-account"


def encode_cursor(created_at: datetime, appeal_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), appeal_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raise ValueError on anything that is not a cursor we issued."""
    padded = cursor + "=" * (-len(cursor) % 4)
    created_at, appeal_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
    return datetime.fromisoformat(created_at), str(appeal_id)


def _to_domain(record: AppealRecord, with_history: bool = True) -> Appeal:
    appeal = Appeal(
        id=record.id, title=record.title, description=record.description,
        category=record.category,
        location=Location(record.lat, record.lon, record.address),
        author_id=record.author_id, channel=record.channel, created_at=aware(record.created_at),
        updated_at=aware(record.updated_at), state=AppealState(record.state),
        version=record.version, extra_fields=record.extra_fields or {}, body=record.body,
        district=record.district,
        due_at=aware(record.due_at), complexity=record.complexity,
        escalated=bool(record.escalated), rework_count=record.rework_count or 0,
        rating=record.rating, supporters_count=record.supporters_count or 0,
    )
    if with_history:
        appeal.history = [
            HistoryEntry(h.version, AppealState(h.state), aware(h.at), h.by, h.note, h.cause,
                         h.reason_code)
            for h in record.history
        ]
    return appeal


def nearby_statement(category: str, box):
    """The open appeals of ``category`` inside ``box`` (a ``domain.nearby.Box``): the index
    range of ``ix_appeals_open_nearby`` (bench/nearby.py shows its plan)."""
    a = AppealRecord
    return (select(a.id, a.title, a.state, a.category, a.lat, a.lon, a.address,
                   a.supporters_count, a.created_at)
            .where(a.category == category, a.state.in_(_OPEN),
                   a.lat.between(box.min_lat, box.max_lat),
                   a.lon.between(box.min_lon, box.max_lon)))


class AppealRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, appeal: Appeal, idempotency_key: str | None = None,
            request_hash: str | None = None) -> None:
        record = AppealRecord(
            id=appeal.id, title=appeal.title, description=appeal.description,
            category=appeal.category, lat=appeal.location.lat, lon=appeal.location.lon,
            address=appeal.location.address, author_id=appeal.author_id, channel=appeal.channel,
            extra_fields=appeal.extra_fields, state=appeal.state.value, version=appeal.version,
            body=appeal.body, district=appeal.district, due_at=appeal.due_at,
            complexity=appeal.complexity,
            escalated=appeal.escalated, rework_count=appeal.rework_count, rating=appeal.rating,
            created_at=appeal.created_at, updated_at=appeal.updated_at,
            idempotency_key=idempotency_key, request_hash=request_hash,
        )
        record.history = [self._history_record(appeal.id, h) for h in appeal.history]
        self.session.add(record)

    @staticmethod
    def _history_record(appeal_id: str, entry: HistoryEntry) -> AppealHistoryRecord:
        return AppealHistoryRecord(
            appeal_id=appeal_id, version=entry.version, state=entry.state.value, at=entry.at,
            by=entry.by, note=entry.note, cause=entry.cause, reason_code=entry.reason_code,
        )

    def get(self, appeal_id: str, for_update: bool = False) -> Appeal | None:
        query = select(AppealRecord).where(AppealRecord.id == appeal_id)
        if for_update:
            query = query.with_for_update()
        record = self.session.execute(query).scalar_one_or_none()
        return _to_domain(record) if record else None

    def save(self, appeal: Appeal) -> None:
        """Write back a loaded appeal: its current fields and the history it gained."""
        record = self.session.get(AppealRecord, appeal.id)
        record.state = appeal.state.value
        record.version = appeal.version
        record.body = appeal.body
        record.district = appeal.district
        record.due_at = appeal.due_at
        record.complexity = appeal.complexity
        record.escalated = appeal.escalated
        record.rework_count = appeal.rework_count
        record.rating = appeal.rating
        record.updated_at = appeal.updated_at
        known = {h.version for h in record.history}
        for entry in appeal.history:
            if entry.version not in known:
                record.history.append(self._history_record(appeal.id, entry))

    def find_by_idempotency_key(self, author_id: str, key: str) -> tuple[Appeal, str] | None:
        record = self.session.execute(
            select(AppealRecord).where(
                AppealRecord.author_id == author_id, AppealRecord.idempotency_key == key
            )
        ).scalar_one_or_none()
        return (_to_domain(record), record.request_hash) if record else None

    def count_by_state(self) -> dict[str, int]:
        rows = self.session.execute(
            select(AppealRecord.state, func.count()).group_by(AppealRecord.state)).all()
        return {state: count for state, count in rows}

    def anonymise_author(self, account_id: str) -> None:
        self.session.execute(update(AppealHistoryRecord)
                             .where(AppealHistoryRecord.by == account_id)
                             .values(by=DELETED_ACCOUNT))
        self.session.execute(update(AttachmentRecord)
                             .where(AttachmentRecord.uploaded_by == account_id)
                             .values(uploaded_by=DELETED_ACCOUNT))
        self.session.execute(update(AuditRecord).where(AuditRecord.by == account_id)
                             .values(by=DELETED_ACCOUNT))
        self.session.execute(update(AppealRecord).where(AppealRecord.author_id == account_id)
                             .values(author_id=None, idempotency_key=None, request_hash=None))

    def list(self, *, state=None, category=None, body=None, district=None, created_from=None,
             created_to=None, bbox=None, cursor=None, limit=20, author_id=None) -> tuple[list[Appeal], str | None]:
        """Newest first, keyset-paginated on (created_at, id) so pages never skip or repeat."""
        query = select(AppealRecord)
        if author_id:
            query = query.where(AppealRecord.author_id == author_id)
        if state:
            query = query.where(AppealRecord.state == state)
        if category:
            # A domain or category code matches every leaf under it.
            query = query.where(or_(AppealRecord.category == category,
                                    AppealRecord.category.startswith(category + ".")))
        if body:
            query = query.where(AppealRecord.body == body)
        if district:
            query = query.where(AppealRecord.district == district)
        if created_from:
            query = query.where(AppealRecord.created_at >= created_from)
        if created_to:
            query = query.where(AppealRecord.created_at < created_to)
        if bbox:
            min_lon, min_lat, max_lon, max_lat = bbox
            query = query.where(AppealRecord.lon.between(min_lon, max_lon),
                                AppealRecord.lat.between(min_lat, max_lat))
        if cursor:
            created_at, appeal_id = cursor
            query = query.where(or_(AppealRecord.created_at < created_at,
                                    and_(AppealRecord.created_at == created_at,
                                         AppealRecord.id < appeal_id)))
        query = query.order_by(AppealRecord.created_at.desc(), AppealRecord.id.desc()).limit(limit + 1)
        records = list(self.session.execute(query.execution_options(populate_existing=False)).scalars())
        next_cursor = None
        if len(records) > limit:
            records = records[:limit]
            next_cursor = encode_cursor(aware(records[-1].created_at), records[-1].id)
        return [_to_domain(r, with_history=False) for r in records], next_cursor


    def nearby_open(self, category: str, lat: float, lon: float, radius_m: float,
                    limit: int) -> list[dict]:
        """Open appeals of ``category`` within ``radius_m`` of (lat, lon), nearest first.

        Served by the partial index ``ix_appeals_open_nearby`` (category, lat, lon) WHERE the
        state is open: the box around the circle is an index range (category =, lat between,
        lon between checked in the index), and only the few rows inside it are read; the exact
        distance then keeps the circle. The state condition repeats the index's predicate so
        the planner can use it.
        """
        rows = self.session.execute(
            nearby_statement(category, box_around(lat, lon, radius_m))).all()
        found = []
        for row in rows:
            distance = distance_m(lat, lon, row.lat, row.lon)
            if distance <= radius_m:
                found.append((distance, row))
        found.sort(key=lambda pair: (pair[0], pair[1].id))
        return [{"id": row.id, "title": row.title, "state": row.state,
                 "category": row.category, "lat": row.lat, "lon": row.lon,
                 "address": row.address, "supporters_count": row.supporters_count or 0,
                 "created_at": aware(row.created_at), "distance_m": distance}
                for distance, row in found[:limit]]


class SupporterRepository:
    """Who supports which appeal; the appeal's ``supporters_count`` moves with every row (the
    caller holds the appeal's row lock, so counts never race)."""

    def __init__(self, session: Session):
        self.session = session

    def is_supporter(self, appeal_id: str, account_id: str) -> bool:
        return self.session.get(AppealSupportRecord, (appeal_id, account_id)) is not None

    def supported_among(self, account_id: str, appeal_ids: list[str]) -> set[str]:
        """Which of ``appeal_ids`` ``account_id`` supports (one query for a page)."""
        if not appeal_ids:
            return set()
        return set(self.session.execute(
            select(AppealSupportRecord.appeal_id).where(
                AppealSupportRecord.account_id == account_id,
                AppealSupportRecord.appeal_id.in_(appeal_ids))).scalars())

    def add(self, appeal_id: str, account_id: str, at: datetime) -> int:
        """Add the support (the caller checked it is new); returns the new count."""
        self.session.add(AppealSupportRecord(appeal_id=appeal_id, account_id=account_id,
                                             supported_at=at))
        self.session.flush()
        return self._move_count(appeal_id, +1)

    def remove(self, appeal_id: str, account_id: str) -> int | None:
        """Withdraw the support; the new count, or None if there was none."""
        removed = self.session.execute(delete(AppealSupportRecord).where(
            AppealSupportRecord.appeal_id == appeal_id,
            AppealSupportRecord.account_id == account_id)).rowcount
        return self._move_count(appeal_id, -1) if removed else None

    def count(self, appeal_id: str) -> int:
        return self.session.execute(select(AppealRecord.supporters_count)
                                    .where(AppealRecord.id == appeal_id)).scalar_one() or 0

    def _move_count(self, appeal_id: str, by: int) -> int:
        return self.session.execute(
            update(AppealRecord).where(AppealRecord.id == appeal_id)
            .values(supporters_count=AppealRecord.supporters_count + by)
            .returning(AppealRecord.supporters_count)
            .execution_options(synchronize_session=False)).scalar_one()

    def remove_all_of(self, account_id: str) -> None:
        """The account was deleted: its support goes, and the counts with it."""
        appeal_ids = list(self.session.execute(
            select(AppealSupportRecord.appeal_id)
            .where(AppealSupportRecord.account_id == account_id)).scalars())
        if not appeal_ids:
            return
        self.session.execute(delete(AppealSupportRecord)
                             .where(AppealSupportRecord.account_id == account_id))
        self.session.execute(update(AppealRecord).where(AppealRecord.id.in_(appeal_ids))
                             .values(supporters_count=AppealRecord.supporters_count - 1)
                             .execution_options(synchronize_session=False))


class AuditRepository(SharedAuditRepository):
    def __init__(self, session: Session):
        super().__init__(session, AuditRecord)


class CategoryCopyRepository:
    def __init__(self, session: Session):
        self.session = session

    def current_version(self) -> int:
        row = self.session.get(TaxonomyCopyVersion, 1)
        return row.version if row else 0

    def get(self, code: str) -> dict | None:
        record = self.session.get(CategoryCopy, code)
        if record is None:
            return None
        return {"code": record.code, "level": record.level, "active": record.active,
                "fields": record.fields or [], "body": record.body}

    def replace_all(self, version: int, categories: list[dict], received_at: datetime) -> None:
        self.session.execute(delete(CategoryCopy))
        self.session.add_all(
            CategoryCopy(
                code=c["code"], parent=c["parent"], level=c["level"], name_uk=c["name"]["uk"],
                name_en=c["name"]["en"], body=c["body"], active=c["active"],
                fields=c["fields_"],
            )
            for c in categories
        )
        row = self.session.get(TaxonomyCopyVersion, 1, with_for_update=True)
        if row is None:
            self.session.add(TaxonomyCopyVersion(id=1, version=version, received_at=received_at))
        else:
            row.version, row.received_at = version, received_at


class AccountStandingRepository:
    def __init__(self, session: Session):
        self.session = session

    def is_blocked(self, account_id: str) -> bool:
        record = self.session.get(AccountStanding, account_id)
        return record is not None and record.status != "active"

    def set(self, account_id: str, status: str, at: datetime) -> None:
        record = self.session.get(AccountStanding, account_id, with_for_update=True)
        if record is None:
            self.session.add(AccountStanding(account_id=account_id, status=status, updated_at=at))
        elif aware(record.updated_at) <= at:  # an older event arriving late changes nothing
            record.status, record.updated_at = status, at


ATTACHMENT_FIELDS = ("key", "content_type", "size", "width", "height", "sha256",
                     "thumbnail_key", "thumbnail_content_type", "thumbnail_size")


class AttachmentRepository:
    """Photos attached to appeals, as rows of metadata (the bytes are in the gateway's
    storage)."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, *, id: str, appeal_id: str, purpose: str, position: int, uploaded_by: str,
            created_at: datetime, **photo) -> dict:
        record = AttachmentRecord(id=id, appeal_id=appeal_id, purpose=purpose, position=position,
                                  uploaded_by=uploaded_by, created_at=created_at,
                                  **{name: photo[name] for name in ATTACHMENT_FIELDS})
        self.session.add(record)
        return self._as_dict(record)

    def count(self, appeal_id: str, purpose: str) -> int:
        return self.session.execute(
            select(func.count()).select_from(AttachmentRecord).where(
                AttachmentRecord.appeal_id == appeal_id, AttachmentRecord.purpose == purpose)
        ).scalar_one()

    def keys_taken(self, keys: list[str]) -> set[str]:
        rows = self.session.execute(select(AttachmentRecord.key, AttachmentRecord.thumbnail_key).where(
            or_(AttachmentRecord.key.in_(keys), AttachmentRecord.thumbnail_key.in_(keys)))).all()
        return {key for row in rows for key in row} & set(keys)

    def for_appeal(self, appeal_id: str) -> list[dict]:
        records = self.session.execute(
            select(AttachmentRecord).where(AttachmentRecord.appeal_id == appeal_id)
            .order_by(AttachmentRecord.created_at, AttachmentRecord.position,
                      AttachmentRecord.id)).scalars()
        return [self._as_dict(record) for record in records]

    def first_photos(self, appeal_ids: list[str], purpose: str = "appeal") -> dict[str, dict]:
        """Each appeal's first photo of ``purpose`` (its key and thumbnail's), for a list of
        appeals: one query on ``ix_attachments_appeal_id_created_at`` for the whole page."""
        if not appeal_ids:
            return {}
        rows = self.session.execute(
            select(AttachmentRecord.appeal_id, AttachmentRecord.key,
                   AttachmentRecord.thumbnail_key)
            .where(AttachmentRecord.appeal_id.in_(appeal_ids),
                   AttachmentRecord.purpose == purpose)
            .order_by(AttachmentRecord.appeal_id, AttachmentRecord.created_at,
                      AttachmentRecord.position, AttachmentRecord.id)).all()
        first: dict[str, dict] = {}
        for row in rows:
            first.setdefault(row.appeal_id, {"key": row.key, "thumbnail_key": row.thumbnail_key})
        return first

    @staticmethod
    def _as_dict(record: AttachmentRecord) -> dict:
        return {"id": record.id, "appeal_id": record.appeal_id, "purpose": record.purpose,
                "uploaded_by": record.uploaded_by, "created_at": aware(record.created_at),
                **{name: getattr(record, name) for name in ATTACHMENT_FIELDS}}
