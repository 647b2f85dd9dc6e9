"""Choosing the body that must act on an appeal, and its deadline."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .deadlines import WorkingCalendar, deadline_for
from .taxonomy import Taxonomy


@dataclass(frozen=True)
class Assignment:
    appeal_id: str
    appeal_version: int
    category: str
    body: str
    complexity: str
    due_at: datetime
    assigned_at: datetime
    rule: str


def assign_appeal(*, appeal_id: str, appeal_version: int, category_code: str,
                  taxonomy: Taxonomy, calendar: WorkingCalendar, now: datetime,
                  fallback_body: str) -> Assignment:
    """Route by the category's default body; an appeal no rule covers goes to the fallback
    body (the dispatch centre), never nowhere."""
    category = taxonomy.categories.get(category_code)
    if category is None or not category.is_leaf:
        # Intake checks categories at submission, so this means the taxonomy changed in
        # between. A person must look at it: the dispatch centre, with a standard day.
        return Assignment(appeal_id, appeal_version, category_code, fallback_body, "standard",
                          calendar.add_working_hours(now, 8), now,
                          "fallback: category not in the taxonomy")
    complexity = category.default_complexity or "standard"
    return Assignment(
        appeal_id, appeal_version, category.code, category.body, complexity,
        deadline_for(category, complexity, calendar, now), now,
        "category default body",
    )
