"""A browser's way in: signing in to a read-only session cookie and out again, CORS for the
origins the configuration allows, the headers every HTML answer carries, request ids and
compression."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.access import JsonFormatter
from api.headers import CONTENT_SECURITY_POLICY
from api.services import services
from api.session import COOKIE
from tests.api.conftest import make_app
from tests.api.helpers import ADMIN, problem

HOST = "http://localhost"


def sign_in(client: FlaskClient, token: str, next_url: str = "/") -> object:
    return client.post(
        "/sign-in", data={"token": token, "next": next_url}, headers={"Origin": HOST}
    )


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return None if cookie is None else cookie.value


def test_signing_in_sets_an_httponly_strict_cookie_that_lets_the_browser_read(
    client: FlaskClient, acme: str
) -> None:
    assert client.get("/").status_code == 401
    response = sign_in(client, ADMIN, "/?partnership=acme-globex")
    assert response.status_code == 303
    assert response.headers["Location"] == "/?partnership=acme-globex"
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie
    assert "SameSite=Strict" in set_cookie
    assert "Max-Age=43200" in set_cookie
    secret = session_cookie(client)
    assert secret
    assert secret != ADMIN  # the browser holds a session of its own, not the token
    page = client.get("/?partnership=acme-globex")
    assert page.status_code == 200
    assert 'action="/sign-out"' in page.get_data(as_text=True)
    assert client.get(f"/v1/partnerships/{acme}/state").status_code == 200
    assert client.get("/v1/stream", headers={"Accept": "application/json"}).status_code == 200


def test_the_session_cookie_reads_but_never_writes(
    client: FlaskClient, acme: str, app: Flask
) -> None:
    sign_in(client, ADMIN)
    response = client.post(
        f"/v1/partnerships/{acme}/events",
        json={"type": "StatementMade", "occurred_on": "2024-01-01", "summary": "x", "data": {}},
    )
    problem(response, 401)
    session = [t for t in services(app).tokens.list() if t.name.startswith("browser session")]
    assert [t.scopes for t in session] == [("read",)]


def test_signing_out_revokes_the_session(client: FlaskClient, acme: str, app: Flask) -> None:
    sign_in(client, ADMIN)
    secret = session_cookie(client)
    assert secret is not None
    response = client.post("/sign-out", headers={"Origin": HOST})
    assert response.status_code == 303
    assert session_cookie(client) is None
    assert services(app).tokens.authenticate(secret) is None
    client.set_cookie(COOKIE, secret)  # a copy of the old cookie no longer works
    assert client.get(f"/v1/partnerships/{acme}/state").status_code == 401


def test_a_wrong_token_or_a_form_from_another_site_signs_nobody_in(client: FlaskClient) -> None:
    response = sign_in(client, "pl_guess")
    assert response.status_code == 401
    assert "unknown or revoked" in response.get_data(as_text=True)
    response = client.post(
        "/sign-in", data={"token": ADMIN}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert session_cookie(client) is None


def test_sign_in_goes_on_only_to_a_path_on_this_site(client: FlaskClient) -> None:
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert sign_in(client, ADMIN, elsewhere).headers["Location"] == "/"


def test_a_session_expires(tmp_path: Path) -> None:
    app = make_app(tmp_path, SESSION_MAX_SECONDS=-1)
    client = app.test_client()
    sign_in(client, ADMIN)
    assert client.get("/v1/partnerships").status_code == 401
    services(app).close()


@pytest.fixture
def portal_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path, CORS_ORIGINS="https://portal.example, http://127.0.0.1:9999")
    yield app
    services(app).close()


def test_cors_answers_the_allowed_origins_and_their_preflights(portal_app: Flask) -> None:
    client = portal_app.test_client()
    preflight = client.options(
        "/v1/partnerships",
        headers={
            "Origin": "https://portal.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://portal.example"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Origin" in preflight.headers["Vary"]
    answer = client.get(
        "/v1/partnerships",
        headers={"Origin": "https://portal.example", "Authorization": f"Bearer {ADMIN}"},
    )
    assert answer.headers["Access-Control-Allow-Origin"] == "https://portal.example"
    assert "Pactlog-Position" in answer.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in answer.headers
    other = client.get("/v1/partnerships", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_no_origin_is_allowed_by_default(client: FlaskClient) -> None:
    preflight = client.options(
        "/v1/partnerships",
        headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


@pytest.mark.parametrize("path", ["/", "/sign-in", "/docs", "/docs/problems"])
def test_every_html_answer_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.get_data(as_text=True)  # no inline script


def test_the_page_policy_is_strict() -> None:
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY


def test_a_request_id_is_echoed_or_made(client: FlaskClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32
    odd = client.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert odd.headers["X-Request-ID"] != "x" * 500


def test_each_request_logs_one_json_line(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="pactlog.access"):
        client.get("/v1/catalog", headers={"X-Request-ID": "req-1"})
    records = [r for r in caplog.records if r.name == "pactlog.access"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "req-1"
    assert line["level"] == "info"
    assert line["route"] == "/v1/catalog"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)


def test_a_log_line_holds_any_value_as_json_dumps_wrote_it() -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    values = {"when": when, "ratio": Decimal("1.50"), 7: "seven"}
    for fields in (values, {**values, "count": 2**70}):  # the second is beyond orjson
        record = logging.LogRecord("pactlog", logging.INFO, __file__, 1, "%s", ("été",), None)
        record.fields = fields
        text = JsonFormatter().format(record)
        line = json.loads(text)
        assert line["message"] == "été"
        assert "été" in text  # UTF-8, not escaped
        assert line["when"] == str(when)
        assert line["ratio"] == "1.50"
        assert line["7"] == "seven"
        assert line.get("count") == fields.get("count")


@pytest.mark.usefixtures("loaded")
def test_json_and_csv_are_compressed_for_clients_that_ask(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    plain = client.get("/v1/events?limit=50", headers=admin)
    assert "Content-Encoding" not in plain.headers
    packed = client.get("/v1/events?limit=50", headers={**admin, "Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 3
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()
    # The ETag of the compressed answer still matches for If-None-Match.
    again = client.get(
        "/v1/events?limit=50",
        headers={**admin, "Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304
    csv = client.get(
        "/v1/partnerships/openai-microsoft/series/trust?format=csv&step=week",
        headers={**admin, "Accept-Encoding": "gzip"},
    )
    assert csv.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(csv.data).startswith(b"at,trust")
