"""Badges through the running service: awarded once each, announced by an event."""
from datetime import timedelta

from hromada_common import events as ev

from .conftest import new_id
from .test_points import (
    AT, accept_appeal, confirmed, new_district, new_resident, points_of, rated, suggestion,
    taken,
)


def _badge_events(listener, resident):
    return [e for e in listener.received
            if e["type"] == ev.BADGE_AWARDED and e["subject"] == resident]


def test_first_appeal_and_district_helper_are_awarded_once_each(driver, listener):
    author, district = new_resident(), new_district()
    for n in range(4):
        accept_appeal(driver, author, district, at=AT + timedelta(minutes=n))
    accept_appeal(driver, author, new_district(), at=AT + timedelta(minutes=5))
    assert [b["code"] for b in points_of(driver, author)["badges"]] == ["first_appeal"]

    accept_appeal(driver, author, district, at=AT + timedelta(days=1))  # 5th in the district
    accept_appeal(driver, author, district, at=AT + timedelta(days=1, minutes=1))

    badges = points_of(driver, author)["badges"]
    assert [b["code"] for b in badges] == ["first_appeal", "district_helper"]
    assert badges[1]["name"] == {"uk": "Помічник району", "en": "District helper"}
    listener.wait_for(lambda e: e["type"] == ev.BADGE_AWARDED and e["subject"] == author,
                      count=2)
    listener.wait_for(lambda e: e["type"] == ev.POINTS_AWARDED and e["subject"] == author,
                      count=7)
    assert sorted(e["data"]["badge"] for e in _badge_events(listener, author)) == [
        "district_helper", "first_appeal"]


def test_idea_author_after_three_useful_suggestions(driver, listener):
    author = new_resident()
    driver.deliver(suggestion(author, useful=False), *(suggestion(author) for _ in range(2)))
    assert points_of(driver, author)["badges"] == []
    driver.deliver(suggestion(author, at=AT + timedelta(days=1)))
    [badge] = points_of(driver, author)["badges"]
    assert badge["code"] == "idea_author"
    [announced] = listener.wait_for(lambda e: e["type"] == ev.BADGE_AWARDED
                                    and e["subject"] == author)
    assert announced["data"]["name"]["en"] == "Idea author"


def test_ratings_on_ones_own_appeal_as_staff_count_towards_no_badge(driver):
    author = new_resident()
    appeal_id = accept_appeal(driver, author, new_district())
    driver.deliver(taken(appeal_id, author), confirmed(appeal_id, author),
                   rated(appeal_id, author))
    # first_appeal stays (badges are never taken back); nothing else was counted
    assert [b["code"] for b in points_of(driver, author)["badges"]] == ["first_appeal"]


def test_catalogue_lists_badges_with_thresholds_and_levels(driver):
    catalogue = driver.call("badge_catalogue")
    badges = {b["code"]: b for b in catalogue["badges"]}
    assert {"first_appeal", "ten_confirmed", "district_helper", "quality_critic"} <= set(badges)
    assert badges["district_helper"]["threshold"] == 5 and badges["district_helper"]["per_district"]
    assert badges["quality_critic"]["description"]["uk"]
    assert [level["min_points"] for level in catalogue["levels"]] == [0, 50, 200, 500, 1000]
    assert {r["rule"]: r["points"] for r in catalogue["rules"]}["appeal_rejected_spam"] == -20
    # the rewards settings in force (config.yml's defaults here)
    assert catalogue["rewards"] == {"nominated_periods": ["month", "quarter", "year"],
                                    "nominees_per_district": 3, "nominees_city_wide": 0}


def test_confirmed_counter_reaches_ten_confirmed(driver, listener):
    author = new_resident()
    events = []
    for n in range(10):
        appeal_id = new_id()
        # over three days: the daily cap on confirmations (5) must not hide the badge
        events.append(confirmed(appeal_id, author, at=AT + timedelta(days=n // 4, minutes=n)))
    driver.deliver(*events)
    assert "ten_confirmed" in [b["code"] for b in points_of(driver, author)["badges"]]
    listener.wait_for(lambda e: e["type"] == ev.BADGE_AWARDED and e["subject"] == author
                      and e["data"]["badge"] == "ten_confirmed")
