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


def post(api, path, token, json=None):
    """POST ``json`` to ``path`` (under /api/v1) as ``token``'s account."""
    return api.post(api.base + path, json=json, headers=bearer(token), timeout=30)


def eventually(check, timeout=30, interval=0.3):
    """``check()``'s first truthy result within ``timeout`` seconds, else its last result:
    what another service learns by event shows a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def retry_while_conflict(attempt, timeout=30):
    """Repeat ``attempt()`` (a response) while it answers 409: feedback learns of a resolution
    by event, so a confirmation sent at once may find the appeal not yet resolved there."""
    response = None

    def answered():
        nonlocal response
        response = attempt()
        return response.status_code != 409

    eventually(answered, timeout)
    return response


def ledger_entries(api, token, limit=100):
    """The newest entries of the signed-in resident's points ledger."""
    response = api.get(api.base + "/me/points", params={"limit": limit}, headers=bearer(token),
                       timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["ledger"]["items"]
