"""The catalog, the OpenAPI document generated from the schemas, the offline docs page, and the
health checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.errors import PROBLEM_TYPES
from events.catalog import CATALOG
from tests.api.helpers import problem


def test_the_catalog_endpoint_serves_every_type_with_its_fields(client: FlaskClient) -> None:
    body = client.get("/v1/catalog").get_json()
    assert set(body["types"]) == set(CATALOG)
    investment = body["types"]["InvestmentMade"]
    assert investment["fields"]["amount"]["required"] is True
    assert investment["fields"]["amount"]["fields"]["unit"]["type"] == "unit"
    assert investment["fields"]["status"]["enum"] == ["firm", "contingent", "paid"]
    assert body["confidence"] == ["rumored", "reported", "confirmed"]


def spec_of(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def test_the_openapi_document_is_valid(client: FlaskClient) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec_of(client))


def test_the_openapi_document_covers_every_route(client: FlaskClient, app: Flask) -> None:
    paths = spec_of(client)["paths"]
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    }
    assert routes == set(paths)
    append = paths["/v1/partnerships/{slug}/events"]["post"]
    assert {p["name"] for p in append["parameters"]} >= {"slug", "If-Match", "Idempotency-Key"}
    assert {"201", "412", "422", "401", "403"} <= set(append["responses"])
    timeline = paths["/v1/partnerships/{slug}/events"]["get"]
    assert {p["name"] for p in timeline["parameters"]} >= {
        "as_of", "known_at", "type", "from", "to", "confidence", "cursor", "limit", "min_position"
    }  # fmt: skip
    assert timeline["summary"].startswith("The timeline")


def test_every_reference_in_the_document_resolves(client: FlaskClient) -> None:
    spec = spec_of(client)
    text = str(spec)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in spec["components"]["schemas"]


def test_the_docs_page_is_swagger_ui_served_from_here_and_works_offline(
    client: FlaskClient,
) -> None:
    page = client.get("/docs").get_data(as_text=True)
    assert 'name="viewport"' in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assets = re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', page)
    assert "/docs/assets/swagger-ui-bundle.js" in assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert b"//cdn" not in response.data[:2000]
    assert client.get("/docs/assets/index.html").status_code == 404


def test_every_problem_type_is_documented_where_its_absolute_uri_points(
    client: FlaskClient,
) -> None:
    page = client.get("/docs/problems").get_data(as_text=True)
    for kind in PROBLEM_TYPES:
        assert f'id="{kind}"' in page
    response = client.delete("/v1/catalog")
    kind_uri = problem(response, 405)["type"]
    assert kind_uri == "http://localhost/docs/problems#method-not-allowed"
    anchor = kind_uri.split("#")[1]
    assert f'id="{anchor}"' in client.get(kind_uri.split("#")[0]).get_data(as_text=True)


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json()["status"] == "ready"


def test_an_unknown_route_and_a_wrong_method_are_problems(client: FlaskClient) -> None:
    problem(client.get("/v1/nothing"), 404)
    response = client.delete("/v1/catalog")
    problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_the_document_types_each_event_and_each_answer(client: FlaskClient) -> None:
    spec = spec_of(client)
    schemas = spec["components"]["schemas"]
    event_input = schemas["EventInput"]
    assert event_input["discriminator"]["propertyName"] == "type"
    assert len(event_input["oneOf"]) == len(event_input["discriminator"]["mapping"]) >= 20
    investment = schemas["InvestmentMadeInput"]
    assert investment["properties"]["type"]["enum"] == ["InvestmentMade"]
    assert investment["properties"]["data"] == {"$ref": "#/components/schemas/InvestmentMadeData"}
    assert "discriminator" in schemas["RecordedEventOut"]
    assert schemas["StateOut"]["properties"]["state"]["allOf"] == [
        {"$ref": "#/components/schemas/PartnershipState"}
    ]
    assert schemas["TrustOut"]["properties"]["contributions"]["items"] == {
        "$ref": "#/components/schemas/TrustContribution"
    }
    assert "PartnershipState" in str(schemas["DiffOut"]["properties"]["before"])
    assert "SeriesPoint" in str(schemas["SeriesOut"]["properties"]["points"])


def enums(node: Any) -> Iterator[list[Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            yield node["enum"]
        for value in node.values():
            yield from enums(value)
    elif isinstance(node, list):
        for item in node:
            yield from enums(item)


def test_the_document_names_media_types_servers_and_operations_plainly(
    client: FlaskClient,
) -> None:
    spec = spec_of(client)
    assert spec["servers"] == [{"url": "http://localhost", "description": "This server"}]
    paths = spec["paths"]
    series = paths["/v1/partnerships/{slug}/series/{metric}"]["get"]
    assert set(series["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    metric = next(p for p in series["parameters"] if p["name"] == "metric")
    assert metric["schema"]["enum"] == [
        "trust",
        "invested",
        "open_disputes",
        "open_risks",
        "events",
    ]
    stream = paths["/v1/stream"]["get"]["responses"]["200"]["content"]
    assert "text/event-stream" in stream
    log = paths["/v1/events"]["get"]["responses"]["200"]["content"]
    assert "application/cloudevents-batch+json" in log
    assert not [e for e in enums(spec) if None in e]  # an absent value is not an enum value
    ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        words = operation_id.split("_")
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", operation_id), operation_id
        assert len(set(words)) == len(words), operation_id  # no log_log
    assert paths["/v1/events"]["get"]["operationId"] == "list_log_events"
    tags = [tag["name"] for tag in spec["tags"]]
    assert tags[0] == "partnerships"  # the API before the pages
    assert {t for ops in paths.values() for op in ops.values() for t in op["tags"]} <= set(tags)
