"""Routing's repositories: the taxonomy and the assignments."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..domain.assignment import Assignment
from ..domain.taxonomy import Body, Category, Taxonomy
from .orm import (
    AssignmentAuditRecord,
    AssignmentRecord,
    BodyRecord,
    CategoryRecord,
    TaxonomyAuditRecord,
    TaxonomyMeta,
)


class TaxonomyRepository:
    def __init__(self, session: Session):
        self.session = session

    def version(self) -> int:
        meta = self.session.get(TaxonomyMeta, 1)
        return meta.version if meta else 0

    def add(self, taxonomy: Taxonomy, now: datetime) -> None:
        self.session.add(TaxonomyMeta(id=1, version=taxonomy.version, seeded_at=now))
        self.session.add_all(
            BodyRecord(code=b.code, name_uk=b.name_uk, name_en=b.name_en, kind=b.kind)
            for b in taxonomy.bodies.values()
        )
        self.session.add_all(
            CategoryRecord(
                code=c.code, parent=c.parent, level=c.level, name_uk=c.name_uk,
                name_en=c.name_en, body=c.body, active=c.active,
                default_complexity=c.default_complexity, deadline_hours=c.deadline_hours,
                emergency=c.emergency, fields=list(c.fields), position=position,
            )
            for position, c in enumerate(taxonomy.categories.values())
        )

    def load(self) -> Taxonomy:
        taxonomy = Taxonomy(version=self.version())
        for b in self.session.execute(select(BodyRecord)).scalars():
            taxonomy.bodies[b.code] = Body(b.code, b.name_uk, b.name_en, b.kind)
        query = select(CategoryRecord).order_by(CategoryRecord.position)
        for c in self.session.execute(query).scalars():
            taxonomy.categories[c.code] = Category(
                c.code, c.name_uk, c.name_en, c.level, c.parent, c.body, c.active,
                c.default_complexity, c.deadline_hours, c.emergency, tuple(c.fields or ()),
            )
        return taxonomy

    def next_version(self) -> int:
        """Lock the taxonomy's version row and move it on: concurrent administrators' changes
        apply one after the other, each under its own version."""
        meta = self.session.execute(
            select(TaxonomyMeta).where(TaxonomyMeta.id == 1).with_for_update()).scalar_one()
        meta.version += 1
        return meta.version

    def put_category(self, c: Category) -> None:
        """Insert or update one category row (never delete: appeals keep their codes)."""
        record = self.session.get(CategoryRecord, c.code)
        if record is None:
            position = self.session.execute(
                select(func.coalesce(func.max(CategoryRecord.position), -1))).scalar_one() + 1
            record = CategoryRecord(code=c.code, position=position)
            self.session.add(record)
        record.parent, record.level = c.parent, c.level
        record.name_uk, record.name_en = c.name_uk, c.name_en
        record.body, record.active = c.body, c.active
        record.default_complexity, record.deadline_hours = c.default_complexity, c.deadline_hours
        record.emergency, record.fields = c.emergency, list(c.fields)

    def audit(self, *, code: str, action: str, by: str, at: datetime, version: int,
              before: dict | None, after: dict | None) -> None:
        self.session.add(TaxonomyAuditRecord(code=code, action=action, by=by, at=at,
                                             taxonomy_version=version, before=before,
                                             after=after))

    def history(self, code: str) -> list[TaxonomyAuditRecord]:
        query = (select(TaxonomyAuditRecord).where(TaxonomyAuditRecord.code == code)
                 .order_by(TaxonomyAuditRecord.id))
        return list(self.session.execute(query).scalars())


class AssignmentRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, appeal_id: str) -> AssignmentRecord | None:
        return self.session.get(AssignmentRecord, appeal_id)

    def add(self, a: Assignment) -> None:
        self.session.add(AssignmentRecord(
            appeal_id=a.appeal_id, appeal_version=a.appeal_version, category=a.category,
            body=a.body, complexity=a.complexity, due_at=a.due_at, assigned_at=a.assigned_at,
            rule=a.rule, district=a.district, state=a.state,
            clock_started_at=a.clock_started_at, finished_at=a.finished_at,
            taken_by=a.taken_by, escalated=a.escalated,
        ))
        self._audit(a)

    def load(self, appeal_id: str, for_update: bool = False) -> Assignment | None:
        """The assignment as a domain object; ``for_update`` locks its row until commit."""
        query = select(AssignmentRecord).where(AssignmentRecord.appeal_id == appeal_id)
        if for_update:
            query = query.with_for_update()
        record = self.session.execute(query).scalar_one_or_none()
        return _assignment(record) if record is not None else None

    def save(self, a: Assignment) -> None:
        """Write back a loaded assignment and audit the changes it recorded."""
        record = self.session.get(AssignmentRecord, a.appeal_id)
        for name in _MUTABLE:
            setattr(record, name, getattr(a, name))
        self._audit(a)

    def _audit(self, a: Assignment) -> None:
        self.session.add_all(
            AssignmentAuditRecord(appeal_id=a.appeal_id, action=c.action, by=c.by, at=c.at,
                                  reason=c.reason, before=c.before, after=c.after)
            for c in a.changes
        )
        a.changes.clear()

    def history(self, appeal_id: str) -> list[AssignmentAuditRecord]:
        query = (select(AssignmentAuditRecord)
                 .where(AssignmentAuditRecord.appeal_id == appeal_id)
                 .order_by(AssignmentAuditRecord.id))
        return list(self.session.execute(query).scalars())

    def open_queue(self, *, bodies: list[str], limit: int,
                   after: tuple[datetime, str] | None = None) -> list[Assignment]:
        """Unfinished assignments of the bodies by due time (overdue first, since they are
        due earliest), keyset-paginated on (due_at, appeal_id)."""
        query = select(AssignmentRecord).where(AssignmentRecord.body.in_(bodies),
                                               AssignmentRecord.finished_at.is_(None))
        if after is not None:
            due_at, appeal_id = after
            query = query.where(or_(
                AssignmentRecord.due_at > due_at,
                and_(AssignmentRecord.due_at == due_at, AssignmentRecord.appeal_id > appeal_id)))
        query = query.order_by(AssignmentRecord.due_at, AssignmentRecord.appeal_id).limit(limit)
        return [_assignment(r) for r in self.session.execute(query).scalars()]


_MUTABLE = ("appeal_version", "body", "complexity", "due_at", "assigned_at", "rule", "district",
            "state", "clock_started_at", "finished_at", "taken_by", "escalated")


def _assignment(r: AssignmentRecord) -> Assignment:
    return Assignment(
        appeal_id=r.appeal_id, appeal_version=r.appeal_version, category=r.category,
        body=r.body, complexity=r.complexity, due_at=r.due_at, assigned_at=r.assigned_at,
        rule=r.rule, district=r.district, state=r.state or "assigned",
        clock_started_at=r.clock_started_at, finished_at=r.finished_at, taken_by=r.taken_by,
        escalated=bool(r.escalated),
    )
