"""Points rules, caps, levels, badges and profiles as plain Python (no database, no broker)."""
from datetime import datetime, timezone

import pytest

from gamification.domain import periods
from gamification.domain.badges import earned
from gamification.domain.points import (
    AppealProgress, InvalidRules, Rule, is_capped, rules_from_data,
)
from gamification.domain.profiles import generated_pseudonym, public_name, pseudonym_problem
from gamification.service_layer.residents import rules

AT = datetime(2026, 3, 10, 9, tzinfo=timezone.utc)


def test_rules_file_loads_with_the_documented_points_and_caps():
    loaded = rules()
    assert {code: (r.points, r.daily_cap) for code, r in loaded.rules.items()} == {
        "appeal_accepted": (10, 5), "resolution_confirmed": (5, 5), "rating_given": (2, 10),
        "appeal_rejected_spam": (-20, None), "suggestion_useful": (5, 3)}


@pytest.mark.parametrize("points,level", [(-20, 1), (0, 1), (49, 1), (50, 2), (199, 2),
                                          (200, 3), (999, 4), (1000, 5), (10**6, 5)])
def test_level_follows_all_time_points(points, level):
    assert rules().level_for(points).number == level


def test_next_level_is_none_at_the_top():
    assert rules().next_level(1000) is None
    assert rules().next_level(60).min_points == 200


def test_caps_count_the_nth_entry_of_the_day_and_never_cap_a_penalty():
    accepted = Rule("appeal_accepted", 10, 5)
    assert not is_capped(5, accepted) and is_capped(6, accepted)
    assert not is_capped(100, Rule("appeal_rejected_spam", -20, 1))
    assert not is_capped(100, Rule("free", 1, None))


def test_city_day_decides_the_cap_day():
    assert periods.day_of(datetime(2026, 3, 10, 21, 59, tzinfo=timezone.utc)).day == 10
    assert periods.day_of(datetime(2026, 3, 10, 22, 1, tzinfo=timezone.utc)).day == 11


def test_acceptance_waits_for_both_the_assignment_and_the_state_change():
    progress = AppealProgress("a1")
    progress.note_acceptance(AT, "evt-1")
    progress.note_author("r1")
    assert not progress.acceptance_due
    progress.note_assignment("podil", 1)
    assert progress.acceptance_due and progress.district == "podil"
    progress.note_assignment("obolon", 3)  # a reassignment does not move the first district
    assert progress.district == "podil"


def test_author_acting_as_staff_makes_the_appeal_their_own_in_either_order():
    seen_first = AppealProgress("a1")
    assert not seen_first.note_staff_action("r1")
    assert seen_first.note_author("r1") and seen_first.own and not seen_first.staff_seen
    author_first = AppealProgress("a2", author_id="r1")
    assert not author_first.note_staff_action("executor-9")
    assert author_first.note_staff_action("r1")
    assert not author_first.note_staff_action("r1")  # only once
    assert not author_first.earns("r1") and author_first.earns("someone-else")


def test_badges_by_counter_and_scope():
    badges = rules().badges
    assert [b.code for b in earned(badges, "accepted_appeals", 1, None)] == ["first_appeal"]
    assert [b.code for b in earned(badges, "accepted_appeals", 5, "podil")] == ["district_helper"]
    assert earned(badges, "accepted_appeals", 4, "podil") == []
    assert [b.code for b in earned(badges, "ratings_given", 20, None)] == ["quality_critic"]


def test_broken_rules_are_refused():
    with pytest.raises(InvalidRules):
        rules_from_data({"rules": {"appeal_accepted": {"points": "ten"}}})
    good = {"rules": {c: {"points": 1, "counter": "x"} for c in (
        "appeal_accepted", "resolution_confirmed", "rating_given", "appeal_rejected_spam",
        "suggestion_useful")},
        "levels": [{"number": 1, "min_points": 0, "name": {"uk": "a", "en": "a"}},
                   {"number": 2, "min_points": 0, "name": {"uk": "b", "en": "b"}}]}
    with pytest.raises(InvalidRules, match="rise"):
        rules_from_data(good)


def test_pseudonyms_and_public_names():
    assert generated_pseudonym().startswith("Мешканець-")
    assert pseudonym_problem("me@mail") and pseudonym_problem("ab")
    assert pseudonym_problem("x" * 41) and pseudonym_problem("Добрий сусід") is None
    assert public_name("name", "Іван", "Мешканець-AAAAAA") == "Іван"
    assert public_name("pseudonym", "Іван", "Мешканець-AAAAAA") == "Мешканець-AAAAAA"
    assert public_name("name", None, "Мешканець-AAAAAA") == "Мешканець-AAAAAA"
