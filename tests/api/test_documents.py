"""The catalog, the OpenAPI document generated from the schemas, the offline docs page, and the
health checks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from events.catalog import CATALOG
from tests.api.helpers import problem


def test_the_catalog_endpoint_serves_every_type_with_its_fields(client: FlaskClient) -> None:
    body = client.get("/v1/catalog").get_json()
    assert set(body["types"]) == set(CATALOG)
    investment = body["types"]["InvestmentMade"]
    assert investment["fields"]["currency"]["required"] is True
    assert investment["fields"]["status"]["enum"] == ["committed", "paid"]
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


def test_the_docs_page_lists_the_endpoints_and_works_offline(client: FlaskClient) -> None:
    page = client.get("/docs").get_data(as_text=True)
    assert "/v1/partnerships/{slug}/state" in page
    assert "problem-stale-version" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json()["status"] == "ready"


def test_an_unknown_route_and_a_wrong_method_are_problems(client: FlaskClient) -> None:
    problem(client.get("/v1/nothing"), 404)
    response = client.delete("/v1/catalog")
    problem(response, 405)
    assert "GET" in response.headers["Allow"]
