"""Who may attach which photos, when: plain Python, no broker, no database."""
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from hromada_common.lifecycle import AppealState
from intake.domain.model import Appeal, Location, photo_refusal

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
RESIDENT = frozenset({"resident"})
EXECUTOR = frozenset({"executor"})


def appeal_in(state: AppealState, body="kyivavtodor") -> Appeal:
    appeal = Appeal.submit(id="a-1", title="t", description="d", category="roads.surface.pothole",
                           location=Location(50.45, 30.52, "addr"), author_id="r-1",
                           channel="web", extra_fields={}, now=NOW)
    return replace(appeal, state=state, body=body)


@pytest.mark.parametrize("purpose, state, allowed", [
    ("appeal", AppealState.SUBMITTED, True),
    ("appeal", AppealState.IN_PROGRESS, True),
    ("appeal", AppealState.RESOLVED, False),
    ("appeal", AppealState.CLOSED, False),
    ("rework", AppealState.RESOLVED, True),
    ("rework", AppealState.REWORK, True),
    ("rework", AppealState.SUBMITTED, False),
])
def test_the_author_attaches_the_problems_and_the_reworks_photos_in_their_states(
        purpose, state, allowed):
    refusal = photo_refusal(appeal_in(state), purpose, "r-1", RESIDENT, None)
    assert (refusal is None) is allowed
    if refusal:
        assert not refusal.forbidden and state.value in refusal.reason


@pytest.mark.parametrize("purpose", ["appeal", "rework"])
def test_nobody_else_attaches_the_authors_photos(purpose):
    refusal = photo_refusal(appeal_in(AppealState.RESOLVED), purpose, "r-2", RESIDENT, None)
    assert refusal.forbidden
    anonymised = replace(appeal_in(AppealState.SUBMITTED), author_id=None)
    assert photo_refusal(anonymised, purpose, "r-1", RESIDENT, None).forbidden


def test_only_the_assigned_bodys_staff_attach_resolution_photos():
    in_work = appeal_in(AppealState.IN_PROGRESS)
    assert photo_refusal(in_work, "resolution", "e-1", EXECUTOR, "kyivavtodor") is None
    assert photo_refusal(in_work, "resolution", "h-1", frozenset({"head"}), "kyivavtodor") is None
    assert photo_refusal(in_work, "resolution", "e-2", EXECUTOR, "kyivmiskvitlo").forbidden
    assert photo_refusal(in_work, "resolution", "r-1", RESIDENT, None).forbidden
    assert photo_refusal(in_work, "resolution", "d-1", frozenset({"dispatcher"}),
                         "kyivavtodor").forbidden
    unassigned = appeal_in(AppealState.SUBMITTED, body=None)
    assert photo_refusal(unassigned, "resolution", "e-1", EXECUTOR, None).forbidden
    closed = photo_refusal(appeal_in(AppealState.CLOSED), "resolution", "e-1", EXECUTOR,
                           "kyivavtodor")
    assert closed and not closed.forbidden
