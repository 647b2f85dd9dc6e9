"""The audit repository every part of gamification writes to."""
from __future__ import annotations

from sqlalchemy.orm import Session

from hromada_common.audit import AuditRepository as SharedAuditRepository

from .orm import AuditRecord


class AuditRepository(SharedAuditRepository):
    def __init__(self, session: Session):
        super().__init__(session, AuditRecord)
