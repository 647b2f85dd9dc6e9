"""Gamification through the gateway as real users: points, badges, a pseudonymous place on the
resident board, body ratings, the badge notice, staff endpoints and a spam penalty.

Other e2e tests share the session platform and file appeals as the same demo residents, so
these assertions look at the ledger entries of this test's own appeals, never at totals (the
daily caps may already be used up: an entry over its cap is recorded with 0 points).
"""
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from deploy.demo import DEMO_GIFTS, seed_gift_catalogue

from .helpers import (
    appeal_payload,
    bearer,
    eventually,
    ledger_entries,
    post,
    retry_while_conflict,
    submit,
    wait_for_state,
)

pytestmark = pytest.mark.e2e

BODY = "kyivavtodor"  # the demo executor's and head's body: it takes road appeals


def ledger_entry(api, token, appeal_id, rule):
    return next((e for e in ledger_entries(api, token)
                 if e["appeal_id"] == appeal_id and e["rule"] == rule), None)


def points_of(entry, full):
    """What an entry of a capped rule earns: the full points, or 0 once the day's cap is
    reached (other tests file appeals as the same resident)."""
    return 0 if entry["capped"] else full


def test_resident_earns_points_and_badges_and_bodies_are_rated(api, tokens):
    resident = tokens["resident"]
    appeal = submit(api, appeal_payload(title="Вибоїна біля ігрового майданчика")).json()
    wait_for_state(api, appeal["id"], "assigned")

    # accepted: points once intake's state change and routing's assignment both arrived
    accepted = eventually(lambda: ledger_entry(api, resident, appeal["id"], "appeal_accepted"))
    assert accepted, "appeal_accepted never reached the resident's ledger"
    assert accepted["points"] == points_of(accepted, 10)
    mine = api.get(api.base + "/me/points", headers=bearer(resident)).json()
    assert "first_appeal" in [badge["code"] for badge in mine["badges"]]
    assert mine["points"] >= 10 and mine["level"]["number"] >= 1
    assert api.get(api.base + "/me/points").status_code == 401

    # a pseudonym on the public board, and nothing that identifies anyone
    pseudonym = f"Тестувальник-{uuid.uuid4().hex[:8]}"
    profile = api.put(api.base + "/me/public-profile", headers=bearer(resident),
                      json={"shown_as": "pseudonym", "pseudonym": pseudonym})
    assert profile.status_code == 200, profile.text
    assert profile.json()["name"] == pseudonym
    taken_name = api.put(api.base + "/me/public-profile", headers=bearer(tokens["resident2"]),
                         json={"shown_as": "pseudonym", "pseudonym": pseudonym.upper()})
    assert taken_name.status_code == 409, taken_name.text

    def board_showing_pseudonym():  # a board may be served from a cache a few seconds old
        response = api.get(api.base + "/leaderboards/residents", params={"period": "month"})
        assert response.status_code == 200, response.text
        return response if pseudonym in [i["name"] for i in response.json()["items"]] else None

    board = eventually(board_showing_pseudonym)
    assert board, "the chosen pseudonym never appeared on the month's board"
    account_ids = [api.get(api.base + "/me", headers=bearer(token)).json()["id"]
                   for token in tokens.values()]
    assert not [i for i in account_ids if i in board.text], "an account id on the public board"
    assert "@" not in board.text and "resident_id" not in board.text
    assert set(board.json()["items"][0]) == {"rank", "name", "points", "level"}
    bad_period = api.get(api.base + "/leaderboards/residents", params={"period": "fortnight"})
    assert bad_period.status_code == 422
    assert [e["field"] for e in bad_period.json()["errors"]] == ["period"]

    # the executor takes and resolves; the resident confirms with a rating
    taken = post(api, f"/appeals/{appeal['id']}/take", tokens["executor"])
    assert taken.status_code == 200, taken.text
    assert taken.json()["district"] and accepted["district"] == taken.json()["district"], \
        "the ledger entry names the district routing determined"
    resolved = post(api, f"/appeals/{appeal['id']}/resolve", tokens["executor"],
                    {"comment": "Яму заасфальтовано"})
    assert resolved.status_code == 200, resolved.text
    wait_for_state(api, appeal["id"], "resolved")
    confirmed = retry_while_conflict(lambda: post(
        api, f"/appeals/{appeal['id']}/confirm", resident, {"rating": 5, "comment": "Дякую"}))
    assert confirmed.status_code == 200, confirmed.text
    wait_for_state(api, appeal["id"], "closed")
    entries = eventually(lambda: (lambda found: found if len(found) == 2 else None)({
        e["rule"]: e for e in ledger_entries(api, resident)
        if e["appeal_id"] == appeal["id"] and e["rule"] in ("resolution_confirmed", "rating_given")}))
    assert entries, "resolution_confirmed and rating_given never reached the ledger"
    assert entries["resolution_confirmed"]["points"] == points_of(entries["resolution_confirmed"], 5)
    assert entries["rating_given"]["points"] == points_of(entries["rating_given"], 2)

    # the body is on the public board: unranked until it has the minimum sample
    def body_entry():
        page = api.get(api.base + "/leaderboards/bodies",
                       params={"period": "month", "domain": "roads"}).json()
        for section in ("ranked", "unranked"):
            for entry in page[section]:
                if entry["body"] == BODY and entry["counts"]["confirmed"] >= 1 \
                        and entry["counts"]["rating_count"] >= 1:
                    return page, section, entry
        return None

    found = eventually(body_entry)
    assert found, f"{BODY} never appeared on the body leaderboard with its confirmation"
    page, section, entry = found
    assert page["minimum_sample"] == 10 and page["domain"] == "roads"
    if entry["appeals"] < page["minimum_sample"]:
        assert section == "unranked" and entry["status"] == "not_yet_ranked"
        assert "score" not in entry
    else:
        assert section == "ranked" and entry["status"] == "ranked" and 0 <= entry["score"] <= 100
    rating = api.get(f"{api.base}/bodies/{BODY}/rating")
    assert rating.status_code == 200, rating.text
    month = rating.json()["periods"]["month"]["domains"]
    assert month["roads"]["appeals"] >= 1 and month["*"]["counts"]["confirmed"] >= 1
    assert api.get(f"{api.base}/bodies/no-such-body-{uuid.uuid4().hex[:6]}/rating"
                   ).status_code == 404

    # accounts told the resident about the badge
    def badge_notice():
        cursor = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = api.get(api.base + "/me/notifications", params=params,
                           headers=bearer(resident)).json()
            for note in page["items"]:
                if note["kind"] == "badge_awarded" and (
                        "Перше звернення" in note["text"] or "First appeal" in note["text"]):
                    return note
            cursor = page.get("next_cursor")
            if not cursor:
                return None

    assert eventually(badge_notice), "the first_appeal badge notice never reached the resident"


def test_spam_rejection_costs_the_author_points(api, tokens):
    author = tokens["resident2"]
    appeal = submit(api, appeal_payload(title="Купуйте наші вікна!"), token=author).json()
    wait_for_state(api, appeal["id"], "assigned")
    wrong = post(api, f"/appeals/{appeal['id']}/reject", tokens["dispatcher"],
                 {"reason": "реклама", "reason_code": "advert"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "reason_code"
    rejected = post(api, f"/appeals/{appeal['id']}/reject", tokens["dispatcher"],
                    {"reason": "Реклама, не звернення", "reason_code": "spam"})
    assert rejected.status_code == 200, rejected.text
    history = wait_for_state(api, appeal["id"], "rejected")["history"]
    assert history[-1]["reason_code"] == "spam"

    penalty = eventually(lambda: ledger_entry(api, author, appeal["id"], "appeal_rejected_spam"))
    assert penalty, "the spam rejection never reached the author's ledger"
    assert penalty["points"] == -20 and not penalty["capped"]


def test_useful_portal_suggestion_earns_its_author_points(api, tokens):
    author = tokens["resident2"]

    def useful_entries():
        return [e for e in ledger_entries(api, author) if e["rule"] == "suggestion_useful"]

    before = len(useful_entries())
    created = post(api, "/portal-feedback", author,
                   {"category": "idea", "text": f"Покажіть карту звернень {uuid.uuid4().hex[:6]}"})
    assert created.status_code == 201, created.text
    answered = post(api, f"/portal-feedback/{created.json()['id']}/answer", tokens["dispatcher"],
                    {"answer": "Гарна ідея, зробимо", "useful": True})
    assert answered.status_code == 200, answered.text
    assert eventually(lambda: len(useful_entries()) == before + 1), \
        "the useful suggestion earned no ledger entry"


def test_staff_endpoints_refuse_residents_and_serve_staff(api, platform, tokens):
    resident, admin = tokens["resident"], tokens["admin"]
    kyiv_month = datetime.now(ZoneInfo("Europe/Kyiv")).strftime("%Y-%m")
    gift = {"name": {"uk": "Тестовий подарунок", "en": "Test gift"}, "stock": 2}
    for method, path, body in (
            ("GET", "/staff/gifts", None), ("POST", "/staff/gifts", gift),
            ("GET", "/staff/nominations", None), ("GET", "/staff/executor-ratings", None),
            ("POST", "/staff/nominations/run", {"period": "2020-01"})):
        refused = api.request(method, api.base + path, json=body, headers=bearer(resident))
        assert refused.status_code == 403, (method, path, refused.text)
        assert api.request(method, api.base + path, json=body).status_code in (401, 403)

    # the e2e platform does not seed the demo city: stock the demo catalogue as `make up --demo`
    listed = api.get(api.base + "/staff/gifts", params={"limit": 100}, headers=bearer(admin))
    assert listed.status_code == 200, listed.text
    before = listed.json()["total"]
    stocked = seed_gift_catalogue(platform.url, admin)
    names = [g["name"]["uk"] for g in api.get(api.base + "/staff/gifts", params={"limit": 100},
                                               headers=bearer(admin)).json()["items"]]
    if before == 0:
        assert stocked == len(DEMO_GIFTS)
        assert {name["uk"] for name, _ in DEMO_GIFTS} <= set(names)
    assert seed_gift_catalogue(platform.url, admin) == max(before, stocked)  # only once

    created = post(api, "/staff/gifts", admin, gift | {"name": {
        "uk": f"Подарунок {uuid.uuid4().hex[:6]}", "en": "Gift"}})
    assert created.status_code == 201, created.text
    restocked = api.patch(f"{api.base}/staff/gifts/{created.json()['id']}", json={"stock": 5},
                          headers=bearer(admin))
    assert restocked.status_code == 200 and restocked.json()["stock"] == 5, restocked.text
    page = api.get(api.base + "/staff/gifts", params={"limit": 100}, headers=bearer(admin)).json()
    assert created.json()["id"] in [g["id"] for g in page["items"]]

    nominations = api.get(api.base + "/staff/nominations", headers=bearer(admin))
    assert nominations.status_code == 200, nominations.text
    running = post(api, "/staff/nominations/run", admin, {"period": kyiv_month})
    assert running.status_code == 422, running.text
    assert [e["field"] for e in running.json()["errors"]] == ["period"]
    ratings = api.get(api.base + "/staff/executor-ratings", headers=bearer(tokens["head"]))
    assert ratings.status_code == 200 and ratings.json()["body"] == BODY, ratings.text

    assert api.get(api.base + "/badges").status_code == 200
    rewards = api.get(api.base + "/me/rewards", headers=bearer(resident))
    assert rewards.status_code == 200 and set(rewards.json()) == {"nominations", "rewards"}
