import os
import time


def appeal_payload(**overrides):
    payload = {
        "title": "Яма на дорозі біля школи",
        "description": "Глибока яма, машини об'їжджають її зустрічною смугою.",
        "category": "roads.surface.pothole",
        "location": {"lat": 50.4501, "lon": 30.5234, "address": "вул. Хрещатик, 1"},
        "author_id": "resident-" + os.urandom(4).hex(),
    }
    payload.update(overrides)
    return payload


def submit(api, payload, key=None, expect=(201,)):
    """POST an appeal, waiting out the moment after start when intake lacks the taxonomy."""
    headers = {"Idempotency-Key": key} if key else {}
    deadline = time.monotonic() + 30
    while True:
        response = api.post(api.base + "/appeals", json=payload, headers=headers, timeout=30)
        taxonomy_not_there_yet = (response.status_code == 422 and any(
            e["field"] == "category" for e in response.json().get("errors", [])))
        if taxonomy_not_there_yet and time.monotonic() < deadline and 422 not in expect:
            time.sleep(0.5)
            continue
        assert response.status_code in expect, response.text
        return response


def wait_for_state(api, appeal_id, state, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        appeal = api.get(f"{api.base}/appeals/{appeal_id}", timeout=10).json()
        if appeal["state"] == state:
            return appeal
        assert time.monotonic() < deadline, f"appeal stuck in {appeal['state']}: {appeal}"
        time.sleep(0.2)
