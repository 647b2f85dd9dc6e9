"""Unit tests of feedback's domain rules: plain Python, no broker or database."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from feedback.domain.model import (
    AppealView,
    NotPermitted,
    PortalFeedback,
    ReworkLimitReached,
    TooEarly,
    WrongState,
    describe,
    reminders_due,
)

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Caller:
    account_id: str
    roles: frozenset = frozenset({"resident"})
    body: str | None = None


AUTHOR = Caller("author")


def resolved(**overrides):
    values = dict(appeal_id="a1", author_id="author", body="roads", category="roads.pothole",
                  state="resolved", version=4, changed_at=NOW, resolved_at=NOW)
    return AppealView(**(values | overrides))


def test_stale_versions_change_nothing_but_reworks_still_count():
    view = resolved()
    assert not view.apply_state_change(version=3, state="rework", author_id="author",
                                       body="roads", category="roads.pothole", due_at=None, at=NOW)
    assert (view.state, view.version, view.rework_count) == ("resolved", 4, 1)


def test_only_the_author_confirms_and_only_once_per_round():
    view = resolved(rework_count=1)
    for caller in (Caller("x"), Caller("x", frozenset({"admin"})),
                   Caller("x", frozenset({"executor"}), "roads")):
        with pytest.raises(NotPermitted):
            view.confirm(caller)
    assert view.confirm(AUTHOR) == 2
    with pytest.raises(WrongState):
        view.confirm(AUTHOR)


def test_confirming_an_unresolved_appeal_names_its_state():
    with pytest.raises(WrongState) as refused:
        resolved(state="in_progress").confirm(AUTHOR)
    assert refused.value.extra == {"state": "in_progress"}


def test_the_rework_past_the_limit_is_refused_for_escalation():
    assert resolved(rework_count=2).request_rework(AUTHOR, limit=3) == 3
    with pytest.raises(ReworkLimitReached):
        resolved(rework_count=3).request_rework(AUTHOR, limit=3)


def test_archive_waits_for_the_author_and_is_for_staff():
    view = resolved(resolved_at=NOW - timedelta(days=13, hours=22))
    dispatcher = Caller("d", frozenset({"dispatcher"}))
    with pytest.raises(TooEarly) as early:
        view.archive(dispatcher, NOW, timedelta(days=14))
    assert early.value.extra["remaining_seconds"] == 2 * 3600
    with pytest.raises(NotPermitted):
        view.archive(Caller("h", frozenset({"head"}), "parks"), NOW, timedelta(days=14))
    resolved(resolved_at=NOW - timedelta(days=14)).archive(
        Caller("h", frozenset({"head"}), "roads"), NOW, timedelta(days=14))


def test_reminders_due_and_describe():
    assert reminders_due(NOW - timedelta(days=4), NOW, [10, 3]) == [1]
    assert reminders_due(NOW - timedelta(days=10), NOW, [3, 10]) == [1, 2]
    assert describe(timedelta(days=1, minutes=1)) == "1 day(s) 1 hour(s)"


def test_portal_feedback_workflow():
    item = PortalFeedback("f1", "author", "idea", "dark mode", NOW)
    staff = Caller("s", frozenset({"admin"}))
    with pytest.raises(WrongState):
        item.close_by(AUTHOR, NOW)
    with pytest.raises(NotPermitted):
        item.answer_by(AUTHOR, "ok", NOW)
    assert item.useful is False
    item.answer_by(staff, "planned", NOW, useful=True)
    assert item.useful is True
    item.close_by(AUTHOR, NOW)
    assert [c[0] for c in item.changes] == ["answered", "closed"]
