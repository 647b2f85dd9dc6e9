"""Routing's repositories: the taxonomy and the assignments."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.assignment import Assignment
from ..domain.taxonomy import Body, Category, Taxonomy
from .orm import AssignmentRecord, BodyRecord, CategoryRecord, TaxonomyMeta


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


class AssignmentRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, appeal_id: str) -> AssignmentRecord | None:
        return self.session.get(AssignmentRecord, appeal_id)

    def add(self, a: Assignment) -> None:
        self.session.add(AssignmentRecord(
            appeal_id=a.appeal_id, appeal_version=a.appeal_version, category=a.category,
            body=a.body, complexity=a.complexity, due_at=a.due_at, assigned_at=a.assigned_at,
            rule=a.rule,
        ))
