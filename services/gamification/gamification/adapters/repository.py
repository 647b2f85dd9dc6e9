"""The audit repository every part of gamification writes to."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hromada_common.db import aware

from .orm import AuditRecord


class AuditRepository:
    def __init__(self, session: Session):
        self.session = session

    def record(self, subject_type: str, subject_id: str, action: str, by: str, at: datetime,
               **details) -> None:
        self.session.add(AuditRecord(subject_type=subject_type, subject_id=subject_id,
                                     action=action, by=by, at=at,
                                     details=_json_safe(details) or None))

    def for_subject(self, subject_type: str, subject_id: str) -> list[dict]:
        rows = self.session.execute(select(AuditRecord).where(
            AuditRecord.subject_type == subject_type, AuditRecord.subject_id == subject_id
        ).order_by(AuditRecord.id)).scalars()
        return [{"action": r.action, "by": r.by, "at": aware(r.at), "details": r.details}
                for r in rows]


def _json_safe(details: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in details.items()}
