"""Unit tests of the SLA schedule: plain Python, no infrastructure."""
from datetime import datetime, timedelta, timezone

import pytest

from routing.domain.sla import (
    BREACH, ESCALATION, WARNING, SlaPolicy, clock_runs, sla_schedule, warning_time,
)

KYIV_MORNING = datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc)


def test_warning_falls_at_three_quarters_of_the_allotted_time_by_default():
    due = KYIV_MORNING + timedelta(hours=8)
    schedule = sla_schedule(KYIV_MORNING, due, SlaPolicy())
    assert schedule.warning_at == KYIV_MORNING + timedelta(hours=6)
    assert schedule.breach_at == due
    assert schedule.escalation_at == due


def test_warning_share_and_escalation_grace_come_from_the_policy():
    due = KYIV_MORNING + timedelta(days=10)
    policy = SlaPolicy(warning_share=0.5, escalation_delay=timedelta(minutes=30))
    schedule = sla_schedule(KYIV_MORNING, due, policy)
    assert schedule.warning_at == KYIV_MORNING + timedelta(days=5)
    assert schedule.escalation_at == due + timedelta(minutes=30)
    assert schedule.fire_times() == {WARNING: schedule.warning_at, BREACH: due,
                                     ESCALATION: due + timedelta(minutes=30)}


def test_warning_of_an_assignment_already_due_is_the_deadline_itself():
    assert warning_time(KYIV_MORNING, KYIV_MORNING, 0.75) == KYIV_MORNING
    earlier = KYIV_MORNING - timedelta(hours=1)
    assert warning_time(KYIV_MORNING, earlier, 0.75) == earlier


def test_warning_keeps_sub_second_precision_of_short_deadlines():
    due = KYIV_MORNING + timedelta(seconds=4)
    assert warning_time(KYIV_MORNING, due, 0.75) == KYIV_MORNING + timedelta(seconds=3)


@pytest.mark.parametrize("share", [0, 1, 1.5, -0.1])
def test_a_warning_share_outside_the_open_interval_is_refused(share):
    with pytest.raises(ValueError):
        SlaPolicy(warning_share=share)


def test_a_negative_escalation_grace_is_refused():
    with pytest.raises(ValueError):
        SlaPolicy(escalation_delay=timedelta(minutes=-1))


@pytest.mark.parametrize("state", [None, "assigned", "in_progress", "rework"])
def test_the_clock_runs_while_the_body_works_on_the_appeal(state):
    assert clock_runs(state)


@pytest.mark.parametrize("state", ["resolved", "closed", "rejected", "duplicate", "archived",
                                   "awaiting_resident"])
def test_the_clock_stops_when_the_appeal_is_finished_or_waits_for_the_resident(state):
    assert not clock_runs(state)
