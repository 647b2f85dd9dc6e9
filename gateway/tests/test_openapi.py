"""The OpenAPI document served at /api/v1/openapi.json."""
from openapi_spec_validator import validate


def test_openapi_document_is_valid_openapi_3_1_with_every_endpoint(gateway):
    response = gateway.api.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    validate(document)  # raises when the document does not follow the 3.1 schema
    assert document["openapi"] == "3.1.0"
    served = served_routes()
    documented = {(path, method) for path, operations in document["paths"].items()
                  for method in operations if method != "parameters"}
    assert documented == served
    assert ("/api/v1/auth/token", "post") in served
    assert set(document["paths"]["/api/v1/appeals"]) == {"get", "post"}


def served_routes() -> set[tuple[str, str]]:
    """Every (path, method) the gateway's API entrypoints answer, in OpenAPI path syntax (the
    portal's pages are HTML for people, not API: docs/web.md lists them)."""
    import re

    from nameko.containers import get_container_cls
    from gateway.service import GatewayService
    from gateway.web.pages import PageEntrypoint

    container = get_container_cls({})(GatewayService, {"AMQP_URI": "amqp://unused"})
    return {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", entrypoint.url), entrypoint.method.lower())
            for entrypoint in container.entrypoints if not isinstance(entrypoint, PageEntrypoint)}


def test_openapi_document_describes_appeals_and_problems(gateway):
    document = gateway.api.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]

    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(schemas["Problem"]["properties"])
    assert {"id", "state", "location", "history", "due_at", "version"} <= set(schemas["Appeal"]["properties"])
    post = document["paths"]["/api/v1/appeals"]["post"]
    assert {"200", "201", "400", "409", "415", "422", "503"} <= set(post["responses"])
    assert post["responses"]["409"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    headers = {p["name"] for p in post["parameters"] if p["in"] == "header"}
    assert "Idempotency-Key" in headers
    query = {p["name"] for p in document["paths"]["/api/v1/appeals"]["get"]["parameters"] if p["in"] == "query"}
    assert query == {"state", "category", "body", "district", "created_from", "created_to", "bbox", "limit",
                     "cursor", "mine"}
