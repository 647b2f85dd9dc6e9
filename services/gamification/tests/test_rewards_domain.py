"""Rewards rules as plain Python: who is nominated, when a decision is refused, and the
Ukrainian words of a certificate."""
from datetime import date, datetime, timezone

import pytest

from gamification.domain.rewards import (
    Nominee,
    RewardRefused,
    achievement_in_words,
    check_decidable,
    check_deliverable,
    check_gift_grantable,
    choose_nominees,
    date_in_words,
    period_in_words,
    points_in_words,
)


def board(*rows):
    return [{"rank": n + 1, "resident_id": r, "points": p} for n, (r, p) in enumerate(rows)]


def test_top_residents_of_each_district_are_nominated_with_their_place():
    boards = {"pecherskyi": board(("a", 135), ("b", 90), ("c", 40), ("d", 30)),
              "podilskyi": board(("e", 20), ("f", 10))}
    assert choose_nominees(boards, 3) == [
        Nominee("a", "pecherskyi", 1, 135), Nominee("b", "pecherskyi", 2, 90),
        Nominee("c", "pecherskyi", 3, 40),
        Nominee("e", "podilskyi", 1, 20), Nominee("f", "podilskyi", 2, 10)]


def test_residents_without_points_are_never_nominated():
    boards = {"obolonskyi": board(("a", 5), ("b", 0), ("c", -10))}
    assert [n.resident_id for n in choose_nominees(boards, 3)] == ["a"]


def test_a_resident_on_two_boards_is_nominated_once_where_their_place_is_best():
    # "x" is 2nd in Pecherskyi and 1st in Podilskyi: nominated in Podilskyi; Pecherskyi's
    # places then go down its board (its 4th resident moves up into the three places).
    boards = {"pecherskyi": board(("a", 100), ("x", 90), ("b", 80), ("c", 70)),
              "podilskyi": board(("x", 30), ("e", 20))}
    chosen = choose_nominees(boards, 3)
    assert [(n.resident_id, n.district, n.rank) for n in chosen] == [
        ("a", "pecherskyi", 1), ("b", "pecherskyi", 3), ("c", "pecherskyi", 4),
        ("x", "podilskyi", 1), ("e", "podilskyi", 2)]
    assert len({n.resident_id for n in chosen}) == len(chosen)


def test_equal_places_go_to_the_board_with_more_points():
    boards = {"a_district": board(("x", 10)), "b_district": board(("x", 50))}
    assert choose_nominees(boards, 1) == [Nominee("x", "b_district", 1, 50)]


def test_city_wide_places_only_when_configured():
    boards = {None: board(("a", 100), ("b", 50)), "pecherskyi": board(("a", 60), ("c", 40))}
    assert [(n.resident_id, n.district) for n in choose_nominees(boards, 1)] == [
        ("a", "pecherskyi")]
    assert [(n.resident_id, n.district) for n in choose_nominees(boards, 1, city_wide=1)] == [
        ("a", None), ("c", "pecherskyi")]


@pytest.mark.parametrize("status", ["approved", "declined", "withdrawn"])
def test_a_decided_nomination_cannot_be_decided_again(status):
    with pytest.raises(RewardRefused) as refused:
        check_decidable(status)
    assert refused.value.extra == {"status": status}
    check_decidable("pending")


def test_a_gift_must_be_offered_and_in_stock():
    check_gift_grantable(True, 1)
    with pytest.raises(RewardRefused, match="out of stock"):
        check_gift_grantable(True, 0)
    with pytest.raises(RewardRefused, match="no longer offered"):
        check_gift_grantable(False, 5)


def test_only_an_undelivered_gift_is_delivered():
    check_deliverable("gift", None)
    with pytest.raises(RewardRefused, match="certificate"):
        check_deliverable("certificate", None)
    with pytest.raises(RewardRefused, match="already delivered"):
        check_deliverable("gift", datetime(2026, 12, 1, tzinfo=timezone.utc))


@pytest.mark.parametrize("key, words", [
    ("2026-11", "у листопаді 2026 року"), ("2026-02", "у лютому 2026 року"),
    ("2027-01", "у січні 2027 року"), ("2026-Q4", "у IV кварталі 2026 року"),
    ("2026-Q1", "у I кварталі 2026 року"), ("2026", "у 2026 році"),
])
def test_periods_in_ukrainian_words(key, words):
    assert period_in_words(key) == words


@pytest.mark.parametrize("points, words", [
    (1, "1 бал"), (2, "2 бали"), (4, "4 бали"), (5, "5 балів"), (11, "11 балів"),
    (12, "12 балів"), (21, "21 бал"), (22, "22 бали"), (111, "111 балів"), (135, "135 балів"),
])
def test_points_take_the_ukrainian_plural(points, words):
    assert points_in_words(points) == words


def test_achievement_and_date_in_words():
    assert achievement_in_words(1, 135, "Печерський") == \
        "за 1 місце серед мешканців району «Печерський» — 135 балів"
    assert achievement_in_words(2, 41, None) == "за 2 місце серед мешканців міста — 41 бал"
    assert date_in_words(date(2026, 12, 3)) == "3 грудня 2026 року"
