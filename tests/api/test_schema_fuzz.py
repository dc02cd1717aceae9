"""A property-based run of the whole API from its own OpenAPI document (schemathesis): whatever
the input, no 5xx, and every answer matches what the document says. Bounded to fit CI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings

from api.app import create_app
from api.openapi import build_spec
from api.services import services
from tests.api.conftest import make_app
from tests.api.helpers import ADMIN, SLUG, bearer, example_lines

schemathesis = pytest.importorskip("schemathesis")
openapi_checks = pytest.importorskip("schemathesis.specs.openapi.checks")

# No 5xx, and every answer as documented (status, content type, body). Requests the document
# allows but the domain refuses (a date that does not exist, a position past the log's end) are
# rightly 422s, so "schema-valid input is accepted" is not one of the checks.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]

# The operations, read off the document of an app that is never started; each with valid input,
# and those that take input with invalid input too.
DOCUMENT = build_spec(create_app({"DATABASE_URL": "sqlite:///unused.db"}))
CASES = [
    (path, method.upper(), mode)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    for mode in ("positive", "negative")
    if mode == "positive" or operation["parameters"] or "requestBody" in operation
]


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_app(tmp_path_factory.mktemp("fuzz"), ANONYMOUS_READS=True)
    client = app.test_client()
    for line in example_lines()[:8]:
        response = client.post(f"/v1/partnerships/{SLUG}/events", json=line, headers=bearer(ADMIN))
        assert response.status_code == 201
    yield app
    services(app).close()


@pytest.mark.parametrize(
    ("path", "method", "mode"), CASES, ids=[f"{m} {p} {mode}" for p, m, mode in CASES]
)
def test_no_input_makes_the_api_fail_or_break_its_document(
    fuzzed_app: Flask, path: str, method: str, mode: str
) -> None:
    operation = schemathesis.openapi.from_wsgi("/openapi.json", fuzzed_app)[path][method]

    @given(case=operation.as_strategy(schemathesis.GenerationMode(mode)))
    @settings(
        max_examples=int(os.environ.get("PACTLOG_FUZZ_EXAMPLES", "25")),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        # The WSGI harness reads the bytes as sent: no compression (tested on its own).
        headers = {**bearer(ADMIN), "Accept-Encoding": "identity"}
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
