"""The appeal lifecycle table: which state may follow which, and what counts as done."""
import pytest

from hromada_common.lifecycle import (
    ALLOWED_TRANSITIONS,
    DONE_STATES,
    FINAL_STATES,
    AppealState,
    IllegalTransition,
    can_transition,
    check_transition,
)

S = AppealState

HAPPY_PATH = [S.SUBMITTED, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED]


def test_every_state_has_a_row_in_the_transition_table():
    assert set(ALLOWED_TRANSITIONS) == set(AppealState)
    for targets in ALLOWED_TRANSITIONS.values():
        assert targets <= set(AppealState)


def test_appeal_walks_the_happy_path_from_submitted_to_closed():
    for current, target in zip(HAPPY_PATH, HAPPY_PATH[1:]):
        assert check_transition(current, target) is target


@pytest.mark.parametrize("current, target", [
    ("submitted", "rejected"),
    ("submitted", "duplicate"),
    ("assigned", "assigned"),  # reassignment to another body
    ("assigned", "rejected"),
    ("in_progress", "assigned"),
    ("resolved", "rework"),
    ("resolved", "archived"),
    ("rework", "in_progress"),
    ("rework", "resolved"),
    ("rework", "assigned"),
])
def test_allowed_transitions_accept_plain_strings(current, target):
    assert can_transition(current, target)
    assert check_transition(current, target) == AppealState(target)


@pytest.mark.parametrize("current, target", [
    ("submitted", "in_progress"),
    ("submitted", "resolved"),
    ("submitted", "closed"),
    ("assigned", "resolved"),
    ("assigned", "closed"),
    ("in_progress", "closed"),
    ("in_progress", "in_progress"),
    ("resolved", "in_progress"),
    ("rework", "closed"),
])
def test_illegal_transition_raises_a_typed_error_naming_both_states(current, target):
    assert not can_transition(current, target)
    with pytest.raises(IllegalTransition) as err:
        check_transition(current, target)
    assert err.value.current is AppealState(current)
    assert err.value.target is AppealState(target)
    assert f"'{current}'" in str(err.value) and f"'{target}'" in str(err.value)


def test_unknown_state_is_not_silently_accepted():
    with pytest.raises(ValueError):
        check_transition("submitted", "sleeping")
    with pytest.raises(ValueError):
        can_transition("sleeping", "assigned")


def test_final_states_are_exactly_the_ones_without_exits():
    assert FINAL_STATES == {S.REJECTED, S.DUPLICATE, S.CLOSED, S.ARCHIVED}
    for final in FINAL_STATES:
        assert ALLOWED_TRANSITIONS[final] == frozenset()
        for target in AppealState:
            with pytest.raises(IllegalTransition):
                check_transition(final, target)


def test_non_final_states_have_at_least_one_exit():
    for state in set(AppealState) - FINAL_STATES:
        assert ALLOWED_TRANSITIONS[state], state


def test_every_state_is_reachable_from_submitted():
    reached, frontier = {S.SUBMITTED}, [S.SUBMITTED]
    while frontier:
        for target in ALLOWED_TRANSITIONS[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(AppealState)


def test_closed_is_the_only_done_state_and_archived_is_not_done():
    assert DONE_STATES == frozenset({S.CLOSED})
    assert S.ARCHIVED not in DONE_STATES
    assert S.ARCHIVED in FINAL_STATES
    assert DONE_STATES <= FINAL_STATES
