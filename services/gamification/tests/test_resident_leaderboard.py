"""Resident leaderboards: order, districts, privacy (public names only), deleted accounts."""
import json
from datetime import timedelta

import pytest

from hromada_common.auth import Unauthenticated
from hromada_common.errors import Conflict, InvalidInput

from .test_points import (
    AT, accept_appeal, account_deleted, new_district, new_resident, points_of, suggestion,
)

PERIOD = "2026-03"  # AT's month in Kyiv


def _seed(driver):
    """Three residents: best with 30 points, second 20 (the only one in district B), third 10
    (the first to reach 10, so ahead of a later 10 on ties)."""
    district_a, district_b = new_district(), new_district()
    best, second, third, fourth = (new_resident() for _ in range(4))
    for n in range(3):
        accept_appeal(driver, best, district_a, at=AT + timedelta(minutes=n))
    for n in range(2):
        accept_appeal(driver, second, district_b, at=AT + timedelta(minutes=n))
    accept_appeal(driver, third, district_a, at=AT)
    accept_appeal(driver, fourth, district_a, at=AT + timedelta(hours=1))
    return district_a, district_b, best, second, third, fourth


def test_board_ranks_residents_by_points_and_shows_only_public_names(driver):
    district_a, district_b, best, second, third, fourth = _seed(driver)
    driver.call("set_public_profile", {"shown_as": "name", "display_name": "Олена Петренко"},
                token=driver.keys.token_for(second))

    board = driver.call("leaderboard_residents", {"period": PERIOD})
    assert board["period"] == PERIOD and board["district"] is None
    assert [(i["rank"], i["points"]) for i in board["items"]] == [
        (1, 30), (2, 20), (3, 10), (4, 10)]
    assert board["items"][1]["name"] == "Олена Петренко"
    names = {points_of(driver, r)["public_profile"]["name"]: r for r in (best, third, fourth)}
    assert [names[i["name"]] for i in board["items"] if i["name"] in names] == [
        best, third, fourth]
    assert board["items"][0]["level"]["number"] == 1
    published = json.dumps(board, ensure_ascii=False)
    for resident in (best, second, third, fourth):
        assert resident not in published

    in_a = driver.call("leaderboard_residents", {"period": PERIOD, "district": district_a})
    assert [i["points"] for i in in_a["items"]] == [30, 10, 10]
    in_b = driver.call("leaderboard_residents", {"period": PERIOD, "district": district_b})
    assert [i["name"] for i in in_b["items"]] == ["Олена Петренко"]

    page = driver.call("leaderboard_residents", {"period": PERIOD, "limit": 2, "offset": 2})
    assert [(i["rank"], i["points"]) for i in page["items"]] == [(3, 10), (4, 10)]


def test_deleted_account_disappears_from_every_board(driver):
    district_a, _, best, *_ = _seed(driver)
    driver.deliver(account_deleted(best))
    for params in ({"period": PERIOD}, {"period": PERIOD, "district": district_a},
                   {"period": "all"}, {"period": "2026"}):
        points = [i["points"] for i in driver.call("leaderboard_residents", params)["items"]]
        assert 30 not in points, params
    mine = points_of(driver, best)  # they start afresh, with nothing left of the old record
    assert mine["points"] == 0 and mine["ledger"]["items"] == [] and mine["badges"] == []


@pytest.mark.parametrize("period", ["2026-13", "last-week", "2026-Q5", "2026-00", "weekly"])
def test_invalid_period_is_refused_naming_the_field(driver, period):
    with pytest.raises(InvalidInput) as error:
        driver.call("leaderboard_residents", {"period": period})
    assert "period" in error.value.fields


def test_board_refuses_bad_paging_and_unknown_fields(driver):
    for params in ({"limit": 101}, {"offset": -1}, {"sort": "points"}, {"district": "*"}):
        with pytest.raises(InvalidInput):
            driver.call("leaderboard_residents", params)


def test_running_month_is_the_default_period(driver):
    board = driver.call("leaderboard_residents")
    assert len(board["period"]) == 7 and board["items"] == []


def test_public_profile_pseudonym_rules_and_audit(driver, gamification_engine):
    from sqlalchemy import text

    resident, other = new_resident(), new_resident()
    token = driver.keys.token_for(resident)
    with pytest.raises(Unauthenticated):
        driver.call("set_public_profile", {"shown_as": "pseudonym"})
    for payload, field in (({"shown_as": "pseudonym", "pseudonym": "me@example.org"},
                            "pseudonym"),
                           ({"shown_as": "pseudonym", "pseudonym": "ab"}, "pseudonym"),
                           ({"shown_as": "name"}, "display_name"),
                           ({"shown_as": "nickname"}, "shown_as")):
        with pytest.raises(InvalidInput) as error:
            driver.call("set_public_profile", payload, token=token)
        assert field in error.value.fields

    chosen = driver.call("set_public_profile", {"shown_as": "pseudonym",
                                                "pseudonym": "Садівник з Оболоні"}, token=token)
    assert chosen == {"shown_as": "pseudonym", "name": "Садівник з Оболоні",
                      "pseudonym": "Садівник з Оболоні"}
    with pytest.raises(Conflict) as error:
        driver.call("set_public_profile", {"shown_as": "pseudonym",
                                           "pseudonym": "садівник з оболоні"},
                    token=driver.keys.token_for(other))
    assert "pseudonym" in error.value.fields

    shown = driver.call("set_public_profile", {"shown_as": "name", "display_name": "Іван"},
                        token=token)
    assert shown["name"] == "Іван"
    back = driver.call("set_public_profile", {"shown_as": "pseudonym"}, token=token)
    assert back["name"] == "Садівник з Оболоні"  # the name is not kept once not shown
    with gamification_engine.connect() as connection:
        audited = connection.execute(text(
            "SELECT action, by FROM audit_log WHERE subject_type = 'resident_profile' "
            "AND subject_id = :r ORDER BY id"), {"r": resident}).all()
        display = connection.execute(text(
            "SELECT display_name FROM resident_profiles WHERE resident_id = :r"),
            {"r": resident}).scalar_one()
    assert [tuple(a) for a in audited] == [("public_profile_set", resident)] * 3
    assert display is None


def test_pseudonyms_generated_at_first_sight_are_unique(driver):
    residents = [new_resident() for _ in range(3)]
    driver.deliver(*(suggestion(r) for r in residents))
    names = {points_of(driver, r)["public_profile"]["pseudonym"] for r in residents}
    assert len(names) == 3 and all(n.startswith("Мешканець-") for n in names)
