import time


def appeal_payload(**overrides):
    payload = {
        "title": "Яма на дорозі біля школи",
        "description": "Глибока яма, машини об'їжджають її зустрічною смугою.",
        "category": "roads.surface.pothole",
        "location": {"lat": 50.4501, "lon": 30.5234, "address": "вул. Хрещатик, 1"},
    }
    payload.update(overrides)
    return payload


def bearer(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


def submit(api, payload, key=None, expect=(201,), token=None):
    """POST an appeal as ``token``'s account (default: the demo resident)."""
    headers = {"Idempotency-Key": key} if key else {}
    headers.update(bearer(token or api.resident_token))
    response = api.post(api.base + "/appeals", json=payload, headers=headers, timeout=30)
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
