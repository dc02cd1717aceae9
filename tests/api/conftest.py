"""The API through Flask's test client, each test on its own SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.services import services
from tests.api.helpers import ADMIN, SLUG, bearer, example_lines


def make_app(tmp_path: Path, **config: Any) -> Flask:
    return create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "ADMIN_TOKEN": ADMIN, **config}
    )


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    yield app
    services(app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin() -> dict[str, str]:
    return bearer(ADMIN)


@pytest.fixture
def writer(app: Flask) -> dict[str, str]:
    """Headers of a token that may read and append."""
    return bearer(services(app).tokens.create("writer", ["read", "append"]).secret)


@pytest.fixture
def reader(app: Flask) -> dict[str, str]:
    return bearer(services(app).tokens.create("reader", ["read"]).secret)


@pytest.fixture
def loaded(client: FlaskClient, writer: dict[str, str]) -> list[dict[str, Any]]:
    """The example timeline appended over HTTP; returns its lines."""
    lines = example_lines()
    for line in lines:
        response = client.post(f"/v1/partnerships/{SLUG}/events", json=line, headers=writer)
        assert response.status_code == 201, response.get_json()
    return lines


@pytest.fixture
def acme(client: FlaskClient, writer: dict[str, str]) -> str:
    """A fresh partnership with only its PartnershipFormed event."""
    response = client.post(
        "/v1/partnerships",
        json={
            "slug": "acme-globex",
            "name": "Acme–Globex",
            "parties": ["Acme", "Globex"],
            "occurred_on": "2020-01-15",
        },
        headers=writer,
    )
    assert response.status_code == 201, response.get_json()
    return "acme-globex"
