"""Before filing, a resident finds the same problem already reported nearby and supports it
instead; they then hear of its changes. Through the gateway, intake, routing and accounts."""
import random

import pytest

from .helpers import appeal_payload, bearer, eventually, post, submit, wait_for_state

pytestmark = pytest.mark.e2e


def test_resident_supports_a_nearby_appeal_instead_of_filing_and_hears_of_its_changes(
        api, tokens):
    # a spot of its own on the city's edge (the demo city's appeals are in the centre)
    spot = {"lat": 50.23 + random.random() * 0.01, "lon": 30.80 + random.random() * 0.01}
    appeal = submit(api, appeal_payload(location={**spot, "address": "e2e nearby"})).json()
    wait_for_state(api, appeal["id"], "assigned")

    query = {"lat": spot["lat"] + 0.001, "lon": spot["lon"], "category": "roads.surface.pothole"}
    found = api.get(api.base + "/appeals/nearby", params=query,
                    headers=bearer(tokens["resident2"])).json()
    (item,) = [i for i in found["items"] if i["id"] == appeal["id"]]
    assert item["state"] == "assigned" and 100 <= item["distance_m"] <= 120
    assert item["supported_by_me"] is False
    other = api.get(api.base + "/appeals/nearby",
                    params={**query, "category": "lighting.street.lamp_out"}).json()
    assert appeal["id"] not in {i["id"] for i in other["items"]}
    bad = api.get(api.base + "/appeals/nearby", params={**query, "lat": "north"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "lat"

    supported = post(api, f"/appeals/{appeal['id']}/support", tokens["resident2"])
    assert supported.status_code == 200, supported.text
    assert supported.json() == {"appeal_id": appeal["id"], "supporters_count": 1,
                                "supported_by_me": True}
    assert post(api, f"/appeals/{appeal['id']}/support", tokens["resident"]).status_code == 409
    shown = api.get(f"{api.base}/appeals/{appeal['id']}",
                    headers=bearer(tokens["resident2"])).json()
    assert shown["supporters_count"] == 1 and shown["supported_by_me"] is True

    assert post(api, f"/appeals/{appeal['id']}/take", tokens["executor"]).status_code == 200
    wait_for_state(api, appeal["id"], "in_progress")
    resolved = post(api, f"/appeals/{appeal['id']}/resolve", tokens["executor"],
                    {"comment": "Засипали"})
    assert resolved.status_code == 200, resolved.text

    def supporter_notices():
        items = api.get(api.base + "/me/notifications", params={"limit": 100},
                        headers=bearer(tokens["resident2"])).json()["items"]
        return [n for n in items if n["appeal_id"] == appeal["id"]
                and n["kind"] == "supported_appeal_changed"]

    notices = eventually(supporter_notices)
    assert notices, "the supporter heard nothing"
    # staff do not support appeals (refused at the edge); withdrawing is always possible
    assert post(api, f"/appeals/{appeal['id']}/support", tokens["head"]).status_code == 403
    withdrawn = api.delete(f"{api.base}/appeals/{appeal['id']}/support",
                           headers=bearer(tokens["resident2"]))
    assert withdrawn.status_code == 200 and withdrawn.json()["supporters_count"] == 0
