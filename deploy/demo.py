"""The demo city: realistic appeals filed through the public API, as residents would.

Idempotency keys make seeding repeatable: starting the demo twice files nothing twice.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

DEMO_APPEALS = [
    ("roads.surface.pothole", "Яма на Хрещатику біля будинку 22", 50.4475, 30.5230, "вул. Хрещатик, 22", {}),
    ("roads.surface.pothole", "Deep pothole at the tram stop", 50.4588, 30.4961, "вул. Дегтярівська, 5", {}),
    ("lighting.street.lamp_out", "Не світить ліхтар у дворі", 50.4017, 30.6291, "просп. Бажана, 14", {"lamp_post_number": "KB-1742"}),
    ("waste.containers.overflowing", "Переповнені контейнери після вихідних", 50.5146, 30.4983, "просп. Оболонський, 35", {}),
    ("parks.trees.fallen_blocking", "Упало дерево на тротуар", 50.4338, 30.5446, "вул. Лютеранська, 10", {}),
    ("water.supply.no_cold_water", "Немає холодної води з ранку", 50.4207, 30.4618, "вул. Щербаківського, 51", {}),
    ("transport.stops.shelter_damaged", "Розбите скло зупинки", 50.4500, 30.4530, "просп. Берестейський, 80", {}),
    ("animals.stray.aggressive_dogs", "Зграя безпритульних собак біля школи", 50.4879, 30.6010, "вул. Курчатова, 9", {}),
]


DEMO_ACCOUNTS = (
    "resident@demo.hromada", "resident2@demo.hromada", "executor@demo.hromada",
    "dispatcher@demo.hromada", "head@demo.hromada", "admin@demo.hromada",
)
DEMO_PASSWORD = "demo-password"
"""The accounts service seeds these, verified, when started in demo mode (HROMADA_DEMO)."""


def sign_in(base_url: str, email: str, password: str = DEMO_PASSWORD,
            timeout: float = 60.0) -> str:
    """An access token for a demo account, waiting until the accounts service seeded it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, tokens = _request("POST", f"{base_url}/api/v1/auth/token",
                                 {"email": email, "password": password})
            return tokens["access_token"]
        except urllib.error.HTTPError as exc:
            if exc.code == 401 and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            raise RuntimeError(f"cannot sign in as {email}: {exc.read().decode()}") from exc


def _request(method: str, url: str, body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status, json.loads(response.read() or b"null")


def _known_leaves(base_url: str) -> dict[str, dict]:
    _, page = _request("GET", f"{base_url}/api/v1/categories")
    return {c["code"]: c for c in page["items"] if c["level"] == "leaf" and c["active"]}


def seed_demo_city(base_url: str, timeout: float = 60.0) -> str:
    """File the demo appeals (skipping categories the taxonomy lacks); return a summary."""
    leaves = _known_leaves(base_url)
    residents = [sign_in(base_url, email) for email in DEMO_ACCOUNTS[:2]]
    filed = 0
    for number, (category, title, lat, lon, address, extra) in enumerate(DEMO_APPEALS):
        if category not in leaves:
            continue
        fields = {**extra}
        for definition in leaves[category]["fields"]:
            if definition["required"] and definition["name"] not in fields:
                fields[definition["name"]] = (definition.get("choices") or ["1"])[0] \
                    if definition["type"] != "number" else 1
        payload = {"title": title, "description": f"{title}. Прошу вжити заходів.",
                   "category": category, "location": {"lat": lat, "lon": lon, "address": address},
                   "channel": "web", "fields": fields}
        deadline = time.monotonic() + timeout
        while True:
            try:
                _request("POST", f"{base_url}/api/v1/appeals", payload,
                         {"Idempotency-Key": f"demo-appeal-{number}",
                          "Authorization": f"Bearer {residents[number % 2]}"})
                filed += 1
                break
            except urllib.error.HTTPError as exc:
                # Right after the first start intake may not have the taxonomy yet.
                if exc.code == 422 and time.monotonic() < deadline:
                    time.sleep(0.5)
                    continue
                raise RuntimeError(f"demo appeal {number} refused: {exc.read().decode()}") from exc
    gifts = seed_gift_catalogue(base_url, sign_in(base_url, "admin@demo.hromada"))
    return (f"demo city seeded: {filed} appeals filed ({len(leaves)} active categories), "
            f"{gifts} gifts in the reward catalogue")


DEMO_GIFTS = [
    ({"uk": "Термочашка з гербом міста", "en": "City crest travel mug"}, 25),
    ({"uk": "Річний абонемент до міського басейну", "en": "Year pass to the city pool"}, 5),
    ({"uk": "Квитки до Київського зоопарку (родинні)", "en": "Kyiv Zoo family tickets"}, 10),
]


def seed_gift_catalogue(base_url: str, admin_token: str) -> int:
    """Stock the reward catalogue once: nothing is added when it already has gifts."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    _, page = _request("GET", f"{base_url}/api/v1/staff/gifts", headers=headers)
    if page["total"]:
        return page["total"]
    for name, stock in DEMO_GIFTS:
        _request("POST", f"{base_url}/api/v1/staff/gifts", {"name": name, "stock": stock},
                 headers)
    return len(DEMO_GIFTS)
