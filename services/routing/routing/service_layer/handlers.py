"""Routing's use cases: one function per command or event, each one transaction."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError

from hromada_common import events as ev

from ..domain.assignment import Assignment, assign_appeal
from ..domain.deadlines import Calendars, WorkingCalendar
from ..domain.districts import district_at
from ..domain.taxonomy import Category, Taxonomy
from . import sla

CONSUMER = "routing"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def category_view(c: Category) -> dict:
    return {
        "code": c.code, "name": {"uk": c.name_uk, "en": c.name_en}, "parent": c.parent,
        "level": c.level, "body": c.body, "active": c.active, "fields": list(c.fields),
        "deadline_hours": c.deadline_hours, "default_complexity": c.default_complexity,
        "emergency": c.emergency,
    }


_CONTRACT_KEYS = ("code", "name", "parent", "level", "body", "active")


def category_contract(c: Category) -> dict:
    """The category as ``taxonomy.published`` carries it: the view without routing's own
    deadline settings (``fields_`` is the contract schema's attribute for ``fields``)."""
    view = category_view(c)
    return {key: view[key] for key in _CONTRACT_KEYS} | {"fields_": view["fields"]}


class TaxonomyCache:
    """The taxonomy in memory, reloaded when its version in the database moves on."""

    def __init__(self):
        self._taxonomy: Taxonomy | None = None

    def get(self, uow) -> Taxonomy:
        version = uow.taxonomy.version()
        if self._taxonomy is None or self._taxonomy.version != version:
            self._taxonomy = uow.taxonomy.load()
        return self._taxonomy


def _record_taxonomy_published(uow, taxonomy: Taxonomy) -> None:
    uow.record_event(ev.TAXONOMY_PUBLISHED, {
        "taxonomy_version": taxonomy.version,
        "categories": [category_contract(c) for c in taxonomy.categories.values()],
    }, subject=None)


def seed_taxonomy(uow, load_default) -> bool:
    """Store the default taxonomy (``load_default()``, read only when needed) if routing has
    none yet. Safe when instances race."""
    with uow:
        if uow.taxonomy.version():
            return False
        taxonomy = load_default()
        uow.taxonomy.add(taxonomy, _now())
        _record_taxonomy_published(uow, taxonomy)
        try:
            uow.commit()
        except IntegrityError:
            return False  # another instance seeded it first
    return True


def publish_taxonomy(uow) -> int:
    """Publish the whole current taxonomy again, so subscribers that missed it converge."""
    with uow:
        taxonomy = uow.taxonomy.load()
        if not taxonomy.version:
            return 0
        _record_taxonomy_published(uow, taxonomy)
        uow.commit()
    return taxonomy.version


def assigned_event_data(a: Assignment) -> dict:
    """The ``appeal.assigned`` data of an assignment, first or after a reassignment. It names
    the district the appeal lies in (None outside every district): gamification counts a
    resident's activity per district by it."""
    return {
        "appeal_id": a.appeal_id, "appeal_version": a.appeal_version, "category": a.category,
        "body": a.body, "complexity": a.complexity, "due_at": a.due_at,
        "assigned_at": a.assigned_at, "rule": a.rule, "district": a.district,
    }


def assign(uow, envelope: dict, cache: TaxonomyCache, calendar: WorkingCalendar | Calendars,
           fallback_body: str, districts=(), rules=()) -> None:
    """An appeal was submitted: assign it to its body with a deadline, exactly once. The
    body comes from the routing rules for its category and district (see domain/rules.py)."""
    envelope, data = ev.parse_event(envelope, ev.APPEAL_SUBMITTED)
    with uow:
        if uow.already_processed(CONSUMER, envelope["id"]):
            return
        if uow.assignments.get(data["appeal_id"]) is None:
            district = district_at(districts, data["location"]["lat"], data["location"]["lon"])
            assignment = assign_appeal(
                appeal_id=data["appeal_id"], appeal_version=data["appeal_version"],
                category_code=data["category"], taxonomy=cache.get(uow), calendar=calendar,
                now=_now(), fallback_body=fallback_body,
                district=district.code if district else None, rules=rules,
            )
            uow.assignments.add(assignment)
            sla.on_assignment_changed(uow, assignment)
            uow.record_event(ev.APPEAL_ASSIGNED, assigned_event_data(assignment),
                             subject=assignment.appeal_id, actor="routing",
                             correlation_id=envelope.get("correlationid"))
        uow.mark_processed(CONSUMER, envelope["id"])
        uow.commit()


def list_categories(uow, cache: TaxonomyCache, include_inactive: bool = False) -> list[dict]:
    with uow:
        taxonomy = cache.get(uow)
    return [category_view(c) for c in taxonomy.categories.values()
            if include_inactive or c.active]


def health(uow) -> dict:
    """Ready means: the database answers and the taxonomy is seeded."""
    with uow:
        seeded = uow.taxonomy.version() > 0
    return {"database": "ok", "taxonomy": "ok" if seeded else "not seeded yet"}
