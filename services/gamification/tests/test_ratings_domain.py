"""Ratings' domain rules in plain Python: each figure, the Bayesian shrinkage, the composite
score, and the ranking order a city can trust."""
import pytest

from gamification.domain.ratings import (
    Counters,
    InvalidRules,
    RatingRules,
    category_domain,
    city_priors,
    leaderboard,
    raw_figures,
    shrink,
    standing,
)
from gamification.service_layer.ratings import load_rules

RULES = RatingRules.from_mapping({
    "prior_strength": {"on_time_rate": 20, "confirmed_rate": 20, "rework_rate": 20,
                       "breach_rate": 20, "mean_rating": 10},
    "weights": {"on_time_rate": 0.3, "confirmed_rate": 0.25, "rework_rate": 0.15,
                "breach_rate": 0.1, "mean_rating": 0.2},
    "minimum_sample": {"body": 10, "executor": 5},
    "fallback_prior": {"on_time_rate": 0.5, "confirmed_rate": 0.5, "rework_rate": 0.5,
                       "breach_rate": 0.5, "mean_rating": 3},
})


def record(appeals, on_time, confirmed, reworks=0, archived=0, breaches=0, mean_rating=None,
           ratings=None):
    """Counters of a body with ``appeals`` resolutions, ``on_time`` of them on time, …"""
    ratings = confirmed if ratings is None else ratings
    return Counters(resolved=appeals, resolved_on_time=on_time, confirmed=confirmed,
                    archived=archived, reworks=reworks, breaches=breaches,
                    rating_sum=round((mean_rating or 0) * ratings), rating_count=ratings)


def test_category_domain_is_the_first_dotted_segment():
    assert category_domain("roads.surface.pothole") == "roads"
    assert category_domain("lighting") == "lighting"
    assert category_domain(None) is None


def test_on_time_rate_counts_resolutions_at_or_before_the_deadline():
    assert raw_figures(Counters(resolved=8, resolved_on_time=6))["on_time_rate"] == 0.75


def test_confirmed_rate_is_the_share_of_answered_rounds_the_resident_accepted():
    c = Counters(resolved=10, confirmed=6, reworks=2, archived=2)
    assert c.answered == 10
    assert raw_figures(c)["confirmed_rate"] == 0.6


def test_archived_rounds_never_count_as_done():
    only_archived = Counters(resolved=4, archived=4)
    assert raw_figures(only_archived)["confirmed_rate"] == 0.0


def test_rework_rate_is_the_share_of_answered_rounds_sent_back():
    assert raw_figures(Counters(resolved=5, confirmed=3, reworks=1))["rework_rate"] == 0.25


def test_breach_rate_weighs_appeals_left_to_breach_and_never_resolved():
    assert raw_figures(Counters(resolved=10, breaches=2))["breach_rate"] == 0.2
    # three breaches, one resolution: the rate stays within 0…1
    assert raw_figures(Counters(resolved=1, breaches=3))["breach_rate"] == 1.0


def test_mean_rating_is_the_sum_over_the_count():
    assert raw_figures(Counters(rating_sum=14, rating_count=3))["mean_rating"] == pytest.approx(
        14 / 3)


def test_figures_without_observations_are_none_not_zero():
    raw = raw_figures(Counters())
    assert set(raw.values()) == {None}


def test_shrinkage_pulls_small_samples_to_the_prior_and_leaves_large_ones():
    assert shrink(3, 3, prior_mean=0.8, strength=20) == pytest.approx((3 + 16) / 23)
    assert shrink(0, 0, prior_mean=0.8, strength=20) == 0.8
    large = shrink(2850, 3000, prior_mean=0.5, strength=20)
    assert large == pytest.approx(0.95, abs=0.005)
    # the mean rating the same way: (sum + C·m) / (count + C)
    assert shrink(15, 3, prior_mean=4.0, strength=10) == pytest.approx((15 + 40) / 13)


def test_city_priors_fall_back_where_the_city_observed_nothing():
    priors = city_priors(Counters(resolved=10, resolved_on_time=7), RULES)
    assert priors["on_time_rate"] == 0.7
    assert priors["confirmed_rate"] == 0.5 and priors["mean_rating"] == 3


def test_score_is_within_0_and_100_and_rewards_a_better_record():
    priors = city_priors(Counters(), RULES)
    best = standing("a", record(1000, 1000, 1000, mean_rating=5), priors, RULES, 10)
    # every round sent back, every deadline broken, every rating 1
    worst = standing("b", Counters(resolved=1000, reworks=1000, breaches=1000,
                                   rating_sum=1000, rating_count=1000), priors, RULES, 10)
    assert 99 < best.score <= 100
    assert 0 <= worst.score < 1


def test_a_small_perfect_body_does_not_outrank_a_large_very_good_one():
    large = record(300, on_time=285, confirmed=280, reworks=15, archived=5, breaches=10,
                   mean_rating=4.7)
    small = record(3, on_time=3, confirmed=3, mean_rating=5)
    bodies = {"large_very_good": large, "small_perfect": small}
    board = leaderboard(bodies, Counters.total(bodies.values()), RULES)

    assert [s.subject for s in board.ranked] == ["large_very_good"]
    assert [s.subject for s in board.unranked] == ["small_perfect"]
    assert board.unranked[0].view()["status"] == "not_yet_ranked"
    assert "score" not in board.unranked[0].view()
    assert board.unranked[0].view()["on_time_rate"] == 1.0  # its raw figures are shown


def test_a_perfect_record_just_above_the_minimum_sample_still_ranks_below_a_large_one():
    """In a realistic city (some mediocre bodies), twelve perfect appeals are not enough
    evidence to beat three hundred at 95 %: shrinkage, not only the minimum sample, decides."""
    bodies = {
        "large_very_good": record(300, 285, 280, reworks=15, archived=5, breaches=10,
                                  mean_rating=4.7),
        "small_perfect": record(12, 12, 12, mean_rating=5),
        **{f"mediocre_{n}": record(100, 70, 60, reworks=25, archived=15, breaches=30,
                                   mean_rating=3.5) for n in range(3)},
    }
    board = leaderboard(bodies, Counters.total(bodies.values()), RULES)
    order = [s.subject for s in board.ranked]
    assert order[:2] == ["large_very_good", "small_perfect"]
    assert set(order[2:]) == {"mediocre_0", "mediocre_1", "mediocre_2"}
    assert board.rank_of("large_very_good") == 1
    # without shrinkage the perfect record would be first on every figure
    small, large = (next(s for s in board.ranked if s.subject == name)
                    for name in ("small_perfect", "large_very_good"))
    assert small.raw["on_time_rate"] > large.raw["on_time_rate"]
    assert small.shrunk["on_time_rate"] < large.shrunk["on_time_rate"]


def test_even_with_a_minimum_sample_of_one_three_perfect_appeals_do_not_top_the_city():
    rules = RatingRules.from_mapping({**_data(RULES), "minimum_sample": {"body": 1,
                                                                         "executor": 1}})
    bodies = {"large_very_good": record(300, 285, 280, reworks=15, archived=5, mean_rating=4.7),
              "small_perfect": record(3, 3, 3, mean_rating=5),
              "mediocre": record(200, 140, 120, reworks=50, archived=30, mean_rating=3.5)}
    board = leaderboard(bodies, Counters.total(bodies.values()), rules)
    assert [s.subject for s in board.ranked][0] == "large_very_good"


def test_ties_break_on_more_appeals_then_on_the_code():
    same = record(20, 20, 20, mean_rating=5)
    bodies = {"b_body": same, "a_body": same, "big": record(40, 40, 40, mean_rating=5)}
    board = leaderboard(bodies, Counters.total(bodies.values()), RULES)
    assert [s.subject for s in board.ranked] == ["big", "a_body", "b_body"]


def test_executors_have_their_own_minimum_sample():
    executors = {("roads", "u1"): record(5, 5, 5, mean_rating=5),
                 ("roads", "u2"): record(4, 4, 4, mean_rating=5)}
    board = leaderboard(executors, Counters.total(executors.values()), RULES, kind="executor")
    assert [s.subject for s in board.ranked] == [("roads", "u1")]
    assert [s.subject for s in board.unranked] == [("roads", "u2")]


def _data(rules: RatingRules) -> dict:
    return {"prior_strength": dict(rules.prior_strength), "weights": dict(rules.weights),
            "minimum_sample": dict(rules.minimum_sample),
            "fallback_prior": dict(rules.fallback_prior)}


@pytest.mark.parametrize("change", [
    {"weights": {"on_time_rate": 1, "speed": 1}},
    {"prior_strength": {"on_time_rate": -1, "confirmed_rate": 1, "rework_rate": 1,
                        "breach_rate": 1, "mean_rating": 1}},
    {"minimum_sample": {"body": 0, "executor": 1}},
    {"fallback_prior": {"on_time_rate": 2, "confirmed_rate": 0.5, "rework_rate": 0.5,
                        "breach_rate": 0.5, "mean_rating": 3}},
    {"weights": {"on_time_rate": 0, "confirmed_rate": 0, "rework_rate": 0, "breach_rate": 0,
                 "mean_rating": 0}},
])
def test_malformed_rules_are_refused(change):
    with pytest.raises(InvalidRules):
        RatingRules.from_mapping({**_data(RULES), **change})


def test_the_shipped_rules_file_is_valid():
    rules = load_rules()
    assert rules.minimum_sample["body"] >= 1
    assert sum(rules.weights.values()) > 0
