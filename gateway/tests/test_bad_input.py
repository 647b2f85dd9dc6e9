"""No input makes a 500: bad bodies, text no database can store and bad paths are 4xx
problems, handled once at the edge (body parsing, path parameters) and in the shared schema
base (every string field), with the field at fault named."""
import json
import uuid

import pytest

from gateway_support import appeal_from, appeal_request, assert_problem, fields_in

ANONYMOUS = {"Authorization": None}
NUL, LONE_SURROGATE = "\u0000", "\udfff"


def nested(depth: int) -> bytes:
    return b'{"email": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deeply_nested_json_is_a_400_even_before_signing_in(gateway, depth):
    response = gateway.api.post("/api/v1/auth/token", data=nested(depth), headers={
        "Content-Type": "application/json", **ANONYMOUS})

    problem = assert_problem(response, 400, "bad-request")
    assert "deep" in problem["detail"]
    gateway.accounts.issue_tokens.assert_not_called()


def test_json_nested_just_past_the_limit_is_refused_and_at_it_is_read(gateway):
    from gateway.http import MAX_JSON_DEPTH

    gateway.intake.submit_appeal.side_effect = lambda payload, key: appeal_from(payload)
    ok = appeal_request(fields={"lane": "right"})
    too_deep = appeal_request(fields={"lane": json.loads("[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1))})

    assert_problem(gateway.api.post("/api/v1/appeals", json=too_deep), 400, "bad-request")
    assert gateway.api.post("/api/v1/appeals", json=ok).status_code == 201


def with_text(body: dict, path: str, text: str) -> dict:
    """``body`` with the string at ``path`` (dotted) replaced by one holding ``text``."""
    body = json.loads(json.dumps(body))
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[key]
    node[last] = f"before{text}after"
    return body


APPEAL_ID = str(uuid.uuid4())
CASES = [  # (method, path, a valid body, the string field to spoil)
    ("POST", "/api/v1/appeals", appeal_request(), "title"),
    ("POST", "/api/v1/appeals", appeal_request(), "description"),
    ("POST", "/api/v1/appeals", appeal_request(), "location.address"),
    ("POST", "/api/v1/appeals", appeal_request(), "fields.lane"),
    ("POST", f"/api/v1/appeals/{APPEAL_ID}/comments", {"text": "Thanks"}, "text"),
    ("POST", f"/api/v1/appeals/{APPEAL_ID}/reject", {"reason": "Spam, clearly"}, "reason"),
    ("POST", f"/api/v1/appeals/{APPEAL_ID}/resolve", {"comment": "Patched"}, "comment"),
    ("POST", f"/api/v1/appeals/{APPEAL_ID}/rework", {"reason": "Still a hole"}, "reason"),
    ("POST", f"/api/v1/appeals/{APPEAL_ID}/archive", {"reason": "Never answered"}, "reason"),
    ("POST", "/api/v1/portal-feedback", {"category": "idea", "text": "Dark mode"}, "text"),
    ("POST", "/api/v1/staff/gifts", {"name": {"uk": "Чашка", "en": "Mug"}, "stock": 3}, "name.en"),
    ("POST", "/api/v1/staff/gifts", {"name": {"uk": "Чашка", "en": "Mug"}, "stock": 3,
                                     "description": "A mug"}, "description"),
    ("POST", "/api/v1/categories", {"code": "roads.x", "name": {"uk": "Дороги", "en": "Roads"},
                                    "level": "leaf"}, "name.uk"),
    ("POST", "/api/v1/auth/register", {"email": "a@example.org", "password": "long enough pass",
                                       "display_name": "Olena"}, "display_name"),
]


@pytest.mark.parametrize("text", [NUL, LONE_SURROGATE], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize("method, path, body, field", CASES,
                         ids=[f"{c[1].split('/')[-1]}:{c[3]}" for c in CASES])
def test_text_no_database_can_store_is_a_422_naming_the_field(gateway, method, path, body, field,
                                                              text):
    spoiled = json.dumps(with_text(body, field, text))  # ASCII: "\u0000", "\udfff" escapes

    response = gateway.api.request(method, path, data=spoiled,
                                   headers={"Content-Type": "application/json"})

    problem = assert_problem(response, 422, "invalid-input")
    assert field in fields_in(problem), problem


def test_a_field_name_no_database_can_store_is_a_422_and_the_answer_is_still_utf8(gateway):
    body = json.dumps({**appeal_request(), "ti\udfffle": "x"})

    response = gateway.api.post("/api/v1/appeals", data=body,
                                headers={"Content-Type": "application/json"})

    problem = assert_problem(response, 422, "invalid-input")
    assert problem["errors"]
    gateway.intake.submit_appeal.assert_not_called()


def test_a_query_parameter_with_nul_is_a_422_naming_it(gateway):
    response = gateway.api.get("/api/v1/appeals", params={"cursor": "abc\x00def"})

    assert "cursor" in fields_in(assert_problem(response, 422, "invalid-input"))


@pytest.mark.parametrize("path", ["/api/v1/appeals/a%00b", "/api/v1/appeals/a%00b/comments"])
def test_a_path_parameter_with_nul_is_a_404_naming_it(gateway, path):
    response = gateway.api.get(path, headers=ANONYMOUS)

    problem = assert_problem(response, 404, "not-found")
    assert "appeal_id" in fields_in(problem)
    gateway.intake.get_appeal.assert_not_called()
    gateway.feedback.list_comments.assert_not_called()


def chunks(data: bytes, size: int = 7):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_a_chunked_body_is_read_in_full(gateway):
    gateway.intake.submit_appeal.side_effect = lambda payload, key: appeal_from(payload)
    body = appeal_request()

    response = gateway.api.post("/api/v1/appeals", data=chunks(json.dumps(body).encode()),
                                headers={"Content-Type": "application/json"})

    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert response.status_code == 201, response.text
    payload, _key = gateway.intake.submit_appeal.call_args.args
    assert payload["title"] == body["title"]


def test_a_chunked_body_over_the_limit_is_a_413(gateway):
    from gateway.http import MAX_BODY_BYTES

    big = json.dumps(appeal_request(description="x" * (MAX_BODY_BYTES + 10))).encode()

    response = gateway.api.post("/api/v1/appeals", data=chunks(big, 64 * 1024),
                                headers={"Content-Type": "application/json"})

    assert_problem(response, 413, "payload-too-large")
    gateway.intake.submit_appeal.assert_not_called()


def test_category_codes_are_limited_to_what_is_stored(gateway):
    from gateway.openapi import openapi_document

    too_long = appeal_request(category="a" * 121)
    schema = openapi_document()["components"]["schemas"]

    response = gateway.api.post("/api/v1/appeals", json=too_long)

    assert "category" in fields_in(assert_problem(response, 422, "invalid-input"))
    assert schema["AppealCreate"]["properties"]["category"]["maxLength"] == 120


INVISIBLE = ["   ", "\u200b\u200b", "\u200b \u2060\ufeff", "\u00ad", "\u200e\u200f", "\u3164",
             "\u2800", "\u0301", "\t\n"]


@pytest.mark.parametrize("title", INVISIBLE)
def test_a_title_of_invisible_characters_only_is_refused(gateway, title):
    response = gateway.api.post("/api/v1/appeals", json=appeal_request(title=title))

    assert "title" in fields_in(assert_problem(response, 422, "invalid-input"))
    gateway.intake.submit_appeal.assert_not_called()


def test_a_title_with_something_visible_among_invisible_characters_is_kept(gateway):
    gateway.intake.submit_appeal.side_effect = lambda payload, key: appeal_from(payload)

    response = gateway.api.post("/api/v1/appeals", json=appeal_request(title="\u200bЯма\u200b"))

    assert response.status_code == 201, response.text


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/staff/gifts", {"name": {"uk": "Чашка", "en": "Mug"}, "stock": 2.5}, "stock"),
    ("/api/v1/staff/gifts/gift-1", {"stock": 2.5}, "stock"),
    (f"/api/v1/appeals/{APPEAL_ID}/confirm", {"rating": 4.5}, "rating"),
    ("/api/v1/categories", {"code": "roads.x", "name": {"uk": "Д", "en": "R"}, "level": "leaf",
                            "deadline_hours": {"simple": 2.5}}, "deadline_hours.simple.value"),
])
def test_a_fraction_where_a_whole_number_is_due_is_refused_not_truncated(gateway, path, body,
                                                                        field):
    method = "PATCH" if path.startswith("/api/v1/staff/gifts/") else "POST"

    response = gateway.api.request(method, path, json=body)

    assert field in fields_in(assert_problem(response, 422, "invalid-input"))
    gateway.gamification.create_gift.assert_not_called()
    gateway.gamification.update_gift.assert_not_called()
