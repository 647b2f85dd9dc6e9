"""The responsible body works on an appeal: take, triage, extension, resolution; every
illegal step is a 409 naming the current state, every foreign one a 403."""
from datetime import datetime, timedelta

import pytest

from .helpers import appeal_payload, bearer, submit, wait_for_state

pytestmark = pytest.mark.e2e


def post(api, path, token, json=None):
    return api.post(api.base + path, json=json, headers=bearer(token))


def test_executor_takes_and_resolves_with_triage_and_extension_on_the_way(api, tokens):
    appeal = submit(api, appeal_payload()).json()
    assigned = wait_for_state(api, appeal["id"], "assigned")
    assert assigned["body"] == "kyivavtodor"  # the demo executor's and head's body
    path = f"/appeals/{appeal['id']}"

    # only the responsible body's staff may take it
    assert post(api, path + "/take", tokens["resident"]).status_code == 403
    assert post(api, path + "/take", None).status_code == 401
    # not resolvable before it is taken: 409 naming the state
    early = post(api, path + "/resolve", tokens["executor"], {"comment": "done"})
    assert early.status_code == 409 and early.json()["state"] == "assigned"

    # triage: a dispatcher makes it complex; the deadline moves later
    triaged = post(api, path + "/complexity", tokens["dispatcher"], {"complexity": "complex"})
    assert triaged.status_code == 200, triaged.text
    assert post(api, path + "/complexity", tokens["executor"],
                {"complexity": "simple"}).status_code == 403

    taken = post(api, path + "/take", tokens["executor"])
    assert taken.status_code == 200, taken.text
    again = post(api, path + "/take", tokens["executor"])
    assert again.status_code == 409 and again.json()["state"] == "in_progress"

    # an extension is the head's decision, with a reason, and must move the deadline later
    seen = wait_for_state(api, appeal["id"], "in_progress")
    until = (datetime.fromisoformat(seen["due_at"]) + timedelta(days=3)).isoformat()
    assert post(api, path + "/extend", tokens["executor"],
                {"until": until, "reason": "asphalt plant closed"}).status_code == 403
    extended = post(api, path + "/extend", tokens["head"],
                    {"until": until, "reason": "asphalt plant closed for the winter"})
    assert extended.status_code == 200, extended.text

    resolved = post(api, path + "/resolve", tokens["executor"],
                    {"comment": "Яму залатано гарячим асфальтом"})
    assert resolved.status_code == 200, resolved.text
    final = wait_for_state(api, appeal["id"], "resolved")
    assert final["complexity"] == "complex"
    assert datetime.fromisoformat(final["due_at"]) == datetime.fromisoformat(until)
    states = [h["state"] for h in final["history"]]
    assert states[0] == "submitted" and states[-1] == "resolved" and "in_progress" in states
    assert final["history"][-1]["note"] == "Яму залатано гарячим асфальтом"
    # nobody closes it but the resident (issue 5); the executor's report is not "done"
    assert final["state"] != "closed"


def test_body_queue_lists_open_appeals_for_its_staff_only(api, tokens):
    appeal = submit(api, appeal_payload()).json()
    wait_for_state(api, appeal["id"], "assigned")
    queue = api.get(api.base + "/bodies/kyivavtodor/queue", params={"limit": 200},
                    headers=bearer(tokens["executor"]))
    assert queue.status_code == 200, queue.text
    items = queue.json()["items"]
    assert appeal["id"] in {item["appeal_id"] for item in items}
    due = [item["due_at"] for item in items if not item["overdue"]]
    assert due == sorted(due)  # by time left
    assert api.get(api.base + "/bodies/kyivavtodor/queue",
                   headers=bearer(tokens["resident"])).status_code == 403
