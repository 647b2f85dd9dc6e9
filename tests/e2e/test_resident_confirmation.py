"""No automatic "done": the whole lifecycle through the gateway as real users."""
import pytest

from .helpers import appeal_payload, bearer, eventually, post, submit, wait_for_state

pytestmark = pytest.mark.e2e


def resolve(api, tokens, appeal_id, comment, take=True):
    if take:
        assert post(api, f"/appeals/{appeal_id}/take", tokens["executor"]).status_code == 200
    response = post(api, f"/appeals/{appeal_id}/resolve", tokens["executor"], {"comment": comment})
    assert response.status_code == 200, response.text
    return wait_for_state(api, appeal_id, "resolved")


def answer(api, token, path, body, expect=200, timeout=30):
    """The resident's answer; feedback learns of the resolution by event, a moment later."""
    response = None

    def attempt():
        nonlocal response
        response = post(api, path, token, body)
        return response.status_code == expect or response.status_code not in (409,)

    eventually(attempt, timeout)
    return response


def test_full_lifecycle_rework_then_confirmation_with_rating(api, tokens):
    appeal = submit(api, appeal_payload()).json()
    wait_for_state(api, appeal["id"], "assigned")
    resolve(api, tokens, appeal["id"], "Засипали щебенем")

    sent_back = answer(api, tokens["resident"], f"/appeals/{appeal['id']}/rework",
                       {"reason": "Щебінь розвіявся, яма знову є"})
    assert sent_back.status_code == 200, sent_back.text
    wait_for_state(api, appeal["id"], "rework")
    resolve(api, tokens, appeal["id"], "Залатали асфальтом", take=False)

    # nobody but the author may close it
    for other in ("resident2", "executor", "head", "dispatcher", "admin"):
        refused = post(api, f"/appeals/{appeal['id']}/confirm", tokens[other], {"rating": 5})
        assert refused.status_code == 403, (other, refused.text)
    confirmed = answer(api, tokens["resident"], f"/appeals/{appeal['id']}/confirm",
                       {"rating": 4, "comment": "Дякую!"})
    assert confirmed.status_code == 200, confirmed.text
    closed = wait_for_state(api, appeal["id"], "closed")
    assert closed["rating"] == 4 and closed["rework_count"] == 1
    states = [h["state"] for h in closed["history"]]
    transitions = [state for i, state in enumerate(states) if i == 0 or states[i - 1] != state]
    assert transitions == [
        "submitted", "assigned", "in_progress", "resolved", "rework", "resolved", "closed"]
    # routing set a new deadline for the rework round; the history shows it too
    assert any(h["state"] == "rework" and "deadline (rework)" in (h["note"] or "")
               for h in closed["history"])
    as_author = api.get(f"{api.base}/appeals/{appeal['id']}",
                        headers=bearer(tokens["resident"])).json()
    assert as_author["history"][-1]["by"] == as_author["author_id"]  # closed by the author
    again = post(api, f"/appeals/{appeal['id']}/confirm", tokens["resident"], {"rating": 5})
    assert again.status_code == 409

    notes = eventually(lambda: [n for n in api.get(
        api.base + "/me/notifications", params={"limit": 100},
        headers=bearer(tokens["resident"])).json()["items"] if n.get("appeal_id") == appeal["id"]])
    assert notes, "the resident was told about their appeal"


def test_rework_beyond_the_limit_escalates_to_the_head(api, tokens):
    appeal = submit(api, appeal_payload()).json()
    wait_for_state(api, appeal["id"], "assigned")
    resolve(api, tokens, appeal["id"], "перший раз")
    for round_ in range(2):  # the e2e platform runs with REWORK_LIMIT=2
        sent_back = answer(api, tokens["resident"], f"/appeals/{appeal['id']}/rework",
                           {"reason": f"не виправлено, раунд {round_ + 1}"})
        assert sent_back.status_code == 200, sent_back.text
        wait_for_state(api, appeal["id"], "rework")
        resolve(api, tokens, appeal["id"], f"спроба {round_ + 2}", take=False)
    beyond = answer(api, tokens["resident"], f"/appeals/{appeal['id']}/rework",
                    {"reason": "і втретє не виправлено"}, expect=409)
    assert beyond.status_code == 409, beyond.text
    escalated = eventually(lambda: api.get(f"{api.base}/appeals/{appeal['id']}").json()["escalated"])
    assert escalated


def test_unanswered_resolved_appeal_is_archived_by_staff_and_counted_apart(api, tokens):
    before = api.get(api.base + "/statistics").json()
    appeal = submit(api, appeal_payload()).json()
    wait_for_state(api, appeal["id"], "assigned")
    resolve(api, tokens, appeal["id"], "виконано")
    assert post(api, f"/appeals/{appeal['id']}/archive", tokens["resident"],
                {"reason": "no answer"}).status_code == 403
    archived = answer(api, tokens["dispatcher"], f"/appeals/{appeal['id']}/archive",
                      {"reason": "мешканець не відповів 30 днів"})
    assert archived.status_code == 200, archived.text
    wait_for_state(api, appeal["id"], "archived")
    after = api.get(api.base + "/statistics").json()
    assert after["archived_unconfirmed"] == before["archived_unconfirmed"] + 1
    assert after["done_confirmed_by_residents"] == before["done_confirmed_by_residents"]


def test_discussion_and_portal_feedback(api, tokens):
    appeal = submit(api, appeal_payload()).json()
    wait_for_state(api, appeal["id"], "assigned")
    asked = post(api, f"/appeals/{appeal['id']}/comments", tokens["resident"],
                 {"text": "Коли приблизно приїде бригада?"})
    assert asked.status_code == 201, asked.text
    replied = post(api, f"/appeals/{appeal['id']}/comments", tokens["executor"],
                   {"text": "Бригада буде в четвер."})
    assert replied.status_code == 201, replied.text
    assert post(api, f"/appeals/{appeal['id']}/comments", tokens["resident2"],
                {"text": "і я хочу"}).status_code == 403
    public = api.get(f"{api.base}/appeals/{appeal['id']}/comments").json()["items"]
    assert "Бригада буде в четвер." in [c["text"] for c in public]
    assert all("author_id" not in c for c in public if c["author_role"] == "resident")

    created = post(api, "/portal-feedback", tokens["resident"],
                   {"category": "idea", "text": "Додайте нічну тему"})
    assert created.status_code == 201, created.text
    feedback_id = created.json()["id"]
    assert post(api, f"/portal-feedback/{feedback_id}/answer", tokens["resident"],
                {"answer": "так"}).status_code == 403
    answered = post(api, f"/portal-feedback/{feedback_id}/answer", tokens["dispatcher"],
                    {"answer": "Дякуємо, додамо у наступному випуску"})
    assert answered.status_code == 200, answered.text
    mine = api.get(api.base + "/portal-feedback", headers=bearer(tokens["resident"])).json()
    assert any(item["id"] == feedback_id and item["state"] == "answered"
               for item in mine["items"])
