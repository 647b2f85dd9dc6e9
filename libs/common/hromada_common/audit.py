"""The audit trail: who changed what, when, and with which details.

Each service keeps its own ``audit_log`` table (no foreign keys: the trail must outlive what
it describes) declared with :class:`AuditRecordMixin`, and writes it through
:class:`AuditRepository` inside the unit of work of the change it records.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from .db import aware

BIGINT = BigInteger().with_variant(Integer, "sqlite")


class AuditRecordMixin:
    """Columns of an ``audit_log`` table; set ``subject_id_length`` to the ids it records."""

    subject_id_length = 64

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(40))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    details: Mapped[dict | None] = mapped_column(JSON)

    @declared_attr
    def subject_id(cls) -> Mapped[str]:
        return mapped_column(String(cls.subject_id_length))

    @declared_attr.directive
    def __table_args__(cls):
        return (Index(f"ix_{cls.__tablename__}_subject", "subject_type", "subject_id"),)


class AuditRepository:
    """Appends to and reads one service's audit trail (``record_class``: its mapped class)."""

    def __init__(self, session: Session, record_class):
        self.session = session
        self.record_class = record_class

    def record(self, subject_type: str, subject_id: str, action: str, by: str, at: datetime,
               **details) -> None:
        self.session.add(self.record_class(
            subject_type=subject_type, subject_id=subject_id, action=action, by=by, at=at,
            details=_json_safe(details) or None))

    def for_subject(self, subject_type: str, subject_id: str) -> list[dict]:
        record = self.record_class
        rows = self.session.execute(select(record).where(
            record.subject_type == subject_type, record.subject_id == subject_id
        ).order_by(record.id)).scalars()
        return [{"action": r.action, "by": r.by, "at": aware(r.at), "details": r.details}
                for r in rows]


def _json_safe(details: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in details.items()}
