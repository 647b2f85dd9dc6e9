"""Who you are comes before what you sent: every route's access is checked at the edge from
the token alone, before the body is read, and the OpenAPI document says the same."""
import re
import uuid

import pytest

from gateway.http import HttpEntrypoint, PUBLIC
from gateway.openapi import openapi_document
from gateway_support import assert_problem

GARBAGE = b'{"not": json at all, ' + b"[" * 50


def routes(container):
    """``(method, url, access)`` of every HTTP route, path parameters filled in."""
    for entrypoint in sorted(container.entrypoints, key=lambda e: (e.url, e.method)):
        if isinstance(entrypoint, HttpEntrypoint):
            url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: f"{m.group(1)}-{uuid.uuid4().hex[:8]}",
                         entrypoint.url)
            yield entrypoint.method, url, entrypoint.access


@pytest.fixture
def gateway_routes(gateway, start_gateway):
    return list(routes(start_gateway.containers[0]))


def send(api, method, url, token=None):
    headers = {"Content-Type": "application/json",
               "Authorization": f"Bearer {token}" if token else None}
    return api.request(method, url, data=GARBAGE, headers=headers)


def test_every_route_refuses_an_anonymous_caller_before_reading_the_body(gateway, gateway_routes):
    gated = [(method, url) for method, url, access in gateway_routes if access.signed_in]
    assert len(gated) > 40  # the walk really covers the API

    for method, url in gated:
        response = send(gateway.api, method, url)
        assert response.status_code == 401, (method, url, response.text)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_staff_route_refuses_a_resident_before_reading_the_body(
        gateway, gateway_routes, signing_keys):
    resident = signing_keys.token_for(None, "resident")
    staff_only = [(method, url) for method, url, access in gateway_routes
                  if access.roles and "resident" not in access.roles]
    assert len(staff_only) > 20

    for method, url in staff_only:
        response = send(gateway.api, method, url, resident)
        assert response.status_code == 403, (method, url, response.text)
        assert_problem(response, 403, "forbidden")
    gateway.gamification.create_gift.assert_not_called()
    gateway.gamification.run_nominations.assert_not_called()


@pytest.mark.parametrize("path, body", [
    ("/api/v1/staff/gifts", {"name": {"uk": "Чашка", "en": "Mug"}, "stock": 5}),
    ("/api/v1/staff/nominations/run", {"period": "2025-01"}),
])
def test_staff_writes_are_401_anonymous_and_403_for_a_resident_even_with_a_bad_body(
        gateway, signing_keys, path, body):
    resident = {"Authorization": f"Bearer {signing_keys.token_for(None, 'resident')}"}

    anonymous = {"Authorization": None}
    assert_problem(gateway.api.post(path, json={}, headers=anonymous), 401, "unauthenticated")
    assert_problem(gateway.api.post(path, json={"junk": True}, headers=resident), 403, "forbidden")
    assert_problem(gateway.api.post(path, json=body, headers=resident), 403, "forbidden")


def test_public_routes_need_no_token(gateway, gateway_routes):
    public = {(method, url) for method, url, access in gateway_routes if access is PUBLIC}

    for method, url in public:
        response = send(gateway.api, method, url)
        if method == "POST" and not url.startswith("/api/"):
            # A portal form: open to anyone, but never without its CSRF token (the 403 page),
            # and an account's own form sends the anonymous to the sign-in page first (see
            # test_web_accounts.py).
            signin = response.history and response.url.split("?")[0].endswith("/signin")
            assert response.status_code == 403 or signin, (method, url, response.text)
            assert response.headers["Content-Type"].startswith("text/html"), (method, url)
            continue
        assert response.status_code not in (401, 403), (method, url, response.text)


def test_the_openapi_document_declares_the_same_access_as_the_routes(gateway, start_gateway):
    from gateway.web.pages import PageEntrypoint

    paths = openapi_document()["paths"]
    for entrypoint in start_gateway.containers[0].entrypoints:
        if not isinstance(entrypoint, HttpEntrypoint) or isinstance(entrypoint, PageEntrypoint):
            continue  # the portal's pages are not API (docs/web.md)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", entrypoint.url)
        operation = paths[path][entrypoint.method.lower()]
        secured = bool(operation.get("security"))
        assert secured == entrypoint.access.signed_in, (entrypoint.method, path)
        if entrypoint.access.signed_in:
            assert "401" in operation["responses"], (entrypoint.method, path)
        if entrypoint.access.roles:
            assert "403" in operation["responses"], (entrypoint.method, path)
