"""Bearer tokens: scopes, hashing, revocation, the ADMIN_TOKEN bootstrap, anonymous reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.services import services
from tests.api.conftest import make_app
from tests.api.helpers import ADMIN, bearer, fields_named, investment, problem


def test_a_write_without_a_token_is_a_401(client: FlaskClient, acme: str) -> None:
    response = client.post(f"/v1/partnerships/{acme}/events", json=investment())
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_a_401(client: FlaskClient, acme: str) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events", json=investment(), headers=bearer("pl_guess")
    )
    problem(response, 401)
    response = client.get(f"/v1/partnerships/{acme}/state", headers={"Authorization": "Basic x"})
    problem(response, 401)


def test_a_read_token_cannot_append(client: FlaskClient, acme: str, reader: dict[str, str]) -> None:
    response = client.post(f"/v1/partnerships/{acme}/events", json=investment(), headers=reader)
    body = problem(response, 403)
    assert body["required_scope"] == "append"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_reads_need_a_token_unless_opened_to_anonymous_users(
    client: FlaskClient, acme: str, reader: dict[str, str]
) -> None:
    problem(client.get(f"/v1/partnerships/{acme}/state"), 401)
    assert client.get(f"/v1/partnerships/{acme}/state", headers=reader).status_code == 200


@pytest.fixture
def open_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path, ANONYMOUS_READS=True)
    yield app
    services(app).close()


def test_anonymous_reads_are_a_switch_but_writes_still_need_a_token(open_app: Flask) -> None:
    client = open_app.test_client()
    created = client.post(
        "/v1/partnerships",
        json={"slug": "a-b", "name": "A–B", "parties": ["A", "B"], "occurred_on": "2024"},
        headers=bearer(ADMIN),
    )
    assert created.status_code == 201
    assert client.get("/v1/partnerships/a-b/state").status_code == 200
    problem(client.post("/v1/partnerships/a-b/events", json=investment()), 401)


def test_the_admin_token_from_config_may_do_everything(client: FlaskClient, acme: str) -> None:
    response = client.post(
        f"/v1/partnerships/{acme}/events", json=investment(), headers=bearer(ADMIN)
    )
    assert response.status_code == 201


def test_a_revoked_token_is_refused(client: FlaskClient, app: Flask, acme: str) -> None:
    issued = services(app).tokens.create("short-lived", ["read"])
    headers = bearer(issued.secret)
    assert client.get(f"/v1/partnerships/{acme}/state", headers=headers).status_code == 200
    assert services(app).tokens.revoke(issued.token.id)
    problem(client.get(f"/v1/partnerships/{acme}/state", headers=headers), 401)


def test_tokens_are_stored_hashed(app: Flask, tmp_path: Path) -> None:
    issued = services(app).tokens.create("someone", ["read"])
    with sqlite3.connect(tmp_path / "t.db") as db:
        stored = " ".join(str(value) for row in db.execute("SELECT * FROM pactlog_tokens")
                          for value in row)  # fmt: skip
    assert issued.secret not in stored
    assert ADMIN not in stored
    assert issued.token.id in stored


def test_public_pages_need_no_token(client: FlaskClient) -> None:
    for path in ("/healthz", "/readyz", "/v1/catalog", "/openapi.json", "/docs"):
        assert client.get(path).status_code == 200, path


def test_an_admin_issues_lists_and_revokes_tokens_over_http(
    client: FlaskClient, acme: str, writer: dict[str, str]
) -> None:
    admin = bearer(ADMIN)
    issued = client.post("/v1/tokens", json={"name": "dash", "scopes": ["read"]}, headers=admin)
    assert issued.status_code == 201
    token = issued.get_json()
    assert token["scopes"] == ["read"]
    assert (
        client.get(f"/v1/partnerships/{acme}/state", headers=bearer(token["secret"])).status_code
        == 200
    )
    listed = client.get("/v1/tokens", headers=admin).get_json()["tokens"]
    assert "dash" in {t["name"] for t in listed}
    assert all("secret" not in t for t in listed)
    assert client.delete(issued.headers["Location"], headers=admin).status_code == 204
    problem(client.get(f"/v1/partnerships/{acme}/state", headers=bearer(token["secret"])), 401)
    problem(client.delete(issued.headers["Location"], headers=admin), 404)


def test_only_admins_manage_tokens(client: FlaskClient, writer: dict[str, str]) -> None:
    problem(client.get("/v1/tokens", headers=writer), 403)
    response = client.post(
        "/v1/tokens", json={"name": "x", "scopes": ["root"]}, headers=bearer(ADMIN)
    )
    assert fields_named(problem(response, 422)) == {"scopes.0"}
