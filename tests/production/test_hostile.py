"""Hostile input against the production layout (gunicorn, 4 workers, PostgreSQL): every refusal
is a 4xx problem+json, no worker dies, and nothing a refused request carried is stored. Then a
property-based run of the event schemas, and a tampered row caught by `pactlog verify`.

Each test prints how many inputs it tried (`pytest -s` shows them)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.catalog import CATALOG
from events.envelope import parse_event
from events.errors import InvalidEvent
from service.pactlog import PactlogService
from tests.builders import SLUG, draft, formed, payload
from tests.conftest import POSTGRES_URL, postgres_schema_url
from tests.e2e.conftest import ADMIN, ROOT, Answer
from tests.integration.test_integrity import tamper
from tests.production.conftest import NO_ANSWER, Stack, call, is_problem, running_stack

TARGET = "hostile-target"
MAX_BODY = 8 * 1024 * 1024  # the app's default MAX_CONTENT_LENGTH


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One production stack for the module, on its own schema, with one partnership."""
    if not POSTGRES_URL:
        if os.environ.get("PACTLOG_REQUIRE_POSTGRES"):
            pytest.fail("PACTLOG_REQUIRE_POSTGRES is set but PACTLOG_TEST_DATABASE_URL is not")
        pytest.skip("PACTLOG_TEST_DATABASE_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        with running_stack(
            postgres_schema_url(POSTGRES_URL, schema),
            tmp_path_factory.mktemp("hostile"),
            PACTLOG_STREAM_MAX_SECONDS="1",
        ) as running:
            created = call(
                running.server,
                "POST",
                "/v1/partnerships",
                {
                    "slug": TARGET,
                    "name": "Target",
                    "parties": ["Acme", "Globex"],
                    "occurred_on": "2020",
                },
            )
            assert created.status == 201, created
            yield running
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def log_position(stack: Stack) -> int:
    answer = call(stack.server, "GET", "/v1/events?after=0&limit=1")
    assert answer.status == 200, answer
    service = PactlogService(stack.database_url, project_inline=False)
    try:
        return service.last_position()
    finally:
        service.close()


def send(stack: Stack, raw: bytes, content_type: str | None, token: str | None = ADMIN) -> Answer:
    """POST `raw` to the target's events. A server that answers before reading all of a large
    body (a 413) may close its end while we write: its answer is read all the same."""
    connection = http.client.HTTPConnection(stack.server.base.removeprefix("http://"), timeout=60)
    try:
        connection.putrequest("POST", f"/v1/partnerships/{TARGET}/events")
        if content_type:
            connection.putheader("Content-Type", content_type)
        if token:
            connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Content-Length", str(len(raw)))
        connection.endheaders()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.send(raw)
        response = connection.getresponse()
        body = response.read()
        return Answer(
            response.status,
            dict(response.headers),
            json.loads(body) if "json" in response.headers.get("Content-Type", "") else body,
        )
    finally:
        connection.close()


def still_serving(stack: Stack) -> None:
    assert call(stack.server, "GET", "/healthz", token=None).status == 200
    assert stack.gunicorn is not None
    assert stack.gunicorn.poll() is None


def valid_event(**changes: Any) -> bytes:
    return json.dumps({**payload("ModelReleased", "2024-03"), **changes}).encode()


HOSTILE: list[tuple[str, bytes, str | None, tuple[int, ...]]] = [
    ("malformed JSON", b'{"type": "ModelReleased", ', "application/json", (400,)),
    ("not UTF-8", b'{"summary": "\xff\xfe"}', "application/json", (400, 422)),
    ("an empty body", b"", "application/json", (400,)),
    ("a JSON string", b'"hello"', "application/json", (422,)),
    ("plain text", valid_event(), "text/plain", (415,)),
    ("a form", b"type=ModelReleased", "application/x-www-form-urlencoded", (415,)),
    ("no content type", valid_event(), None, (415,)),
    ("XML", b"<event/>", "application/xml", (415,)),
    ("a huge summary", valid_event(summary="x" * 2_000_000), "application/json", (422,)),
    (
        "a huge data field",
        json.dumps(
            payload("ModelReleased", "2024-03", model="m" * 3_000_000, released_by="Acme")
        ).encode(),
        "application/json",
        (422,),
    ),
    (
        "a huge batch",
        json.dumps({"events": [payload("ModelReleased", "2024-03")] * 10_001}).encode(),
        "application/json",
        (422,),
    ),
    (
        "many unknown fields",
        valid_event(**{f"x{n}": n for n in range(50_000)}),
        "application/json",
        (422,),
    ),
    ("an oversized body", b'{"summary": "' + b"x" * MAX_BODY + b'"}', "application/json", (413,)),
    ("deep JSON (500 levels)", b"[" * 500 + b"]" * 500, "application/json", (400, 413, 422)),
    ("a NUL in a string", valid_event(summary="a\u0000b"), "application/json", (201, 422)),
]


@pytest.mark.postgres
def test_postgres_hostile_bodies_are_refused_and_store_nothing(live: Stack) -> None:
    before = log_position(live)
    tried = 0
    for name, raw, content_type, expected in HOSTILE:
        if expected == (201, 422):
            continue  # checked on its own below: it may be stored, as text
        answer = send(live, raw, content_type)
        tried += 1
        assert answer.status in expected, (name, answer.status, answer.body)
        assert is_problem(answer, answer.status), (name, answer)
        still_serving(live)
    assert log_position(live) == before, "a refused request stored something"
    print(f"\n[hostile] bodies tried: {tried}, all refused with 4xx, nothing stored")


@pytest.mark.postgres
def test_postgres_a_nul_in_a_string_is_never_a_server_error(live: Stack) -> None:
    answer = send(live, valid_event(summary="a\u0000b"), "application/json")
    assert answer.status in (201, 422), answer
    still_serving(live)


@pytest.mark.postgres
def test_postgres_deep_json_never_kills_a_worker_or_stores_anything(live: Stack) -> None:
    before = log_position(live)
    workers = sorted(live.workers())
    tried = 0
    for raw in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        try:
            answer = send(live, raw, "application/json")
        except NO_ANSWER:  # pragma: no cover - a worker died: the assertions below say so
            answer = None
        tried += 1
        assert answer is not None
        assert is_problem(answer, answer.status), answer
        still_serving(live)
    assert sorted(live.workers()) == workers, "a worker died"
    assert log_position(live) == before
    print(f"\n[hostile] deep JSON bodies tried: {tried} (100,000 levels)")


@pytest.mark.postgres
def test_deep_json_is_a_client_error_on_the_live_postgres_server(live: Stack) -> None:
    answer = send(live, b"[" * 100_000 + b"]" * 100_000, "application/json")
    assert answer.status in (400, 413, 422), answer


@pytest.mark.postgres
def test_postgres_tokens_without_the_scope_or_revoked_are_refused(live: Stack) -> None:
    before = log_position(live)
    issued = call(live.server, "POST", "/v1/tokens", {"name": "reader", "scopes": ["read"]})
    assert issued.status == 201, issued
    reader = issued.body["secret"]
    forbidden = send(live, valid_event(), "application/json", token=reader)
    assert is_problem(forbidden, 403), forbidden
    assert call(live.server, "GET", f"/v1/partnerships/{TARGET}/state", token=reader).status == 200
    assert is_problem(call(live.server, "GET", "/v1/tokens", token=reader), 403)

    writer = call(live.server, "POST", "/v1/tokens", {"name": "w", "scopes": ["append"]}).body
    revoked = call(live.server, "DELETE", f"/v1/tokens/{writer['id']}")
    assert revoked.status == 204, revoked
    tried = 0
    for _ in range(8):  # every worker refuses it, not just the one that revoked it
        tried += 1
        answer = send(live, valid_event(), "application/json", token=writer["secret"])
        assert is_problem(answer, 401), answer
    for token in ("", "pl_" + "0" * 43, "x" * 4_000, "Bearer", "\u00e9t\u00e9"):
        tried += 1
        try:
            answer = send(live, valid_event(), "application/json", token=token or None)
        except UnicodeEncodeError:
            continue  # not even sendable as a header
        assert is_problem(answer, 401), (token[:20], answer)
    # A header over gunicorn's limit never reaches the app: gunicorn refuses it itself.
    tried += 1
    answer = send(live, valid_event(), "application/json", token="x" * 10_000)
    assert answer.status in (400, 431), answer
    assert log_position(live) == before, "a refused request stored something"
    print(f"\n[hostile] token checks: 3 scope, {tried} revoked or bogus, all refused")


@pytest.mark.postgres
def test_postgres_the_live_server_survives_a_schema_fuzz(live: Stack) -> None:
    """schemathesis from the served OpenAPI document, over HTTP: no 5xx, and a refused request
    stores nothing."""
    schemathesis = pytest.importorskip("schemathesis")
    schema = schemathesis.openapi.from_url(live.server.base + "/openapi.json")
    examples = int(os.environ.get("PACTLOG_LIVE_FUZZ_EXAMPLES", "25"))
    service = PactlogService(live.database_url, project_inline=False)
    tried = 0
    failures: list[str] = []
    for path, operations in schema.raw_schema["paths"].items():
        if path == "/v1/stream":
            continue  # a long-lived event stream: covered in process by tests/api
        for method, spec in operations.items():
            operation = schema[path][method.upper()]
            takes_input = bool(spec.get("parameters")) or "requestBody" in spec
            for mode in ("positive", "negative") if takes_input else ("positive",):
                strategy = operation.as_strategy(schemathesis.GenerationMode(mode))

                @given(case=strategy)
                @settings(
                    max_examples=examples,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    derandomize=True,
                    database=None,
                )
                def check(case: Any) -> None:
                    nonlocal tried
                    tried += 1
                    before = service.last_position()
                    response = case.call(headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)
                    where = f"{case.method} {case.formatted_path}"
                    if response.status_code >= 500:
                        failures.append(f"{where}: {response.text[:300]}")
                    elif response.status_code >= 400 and service.last_position() != before:
                        failures.append(f"{where}: refused with {response.status_code}, stored")

                check()
    service.close()
    still_serving(live)
    assert not failures, failures[:5]
    print(f"\n[hostile] schemathesis over HTTP: {tried} requests, no 5xx")


# --- the event schemas, property-based -------------------------------------------------------

JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=30,
)
FIELDS = ["id", "type", "partnership", "occurred_on", "summary", "sources", "confidence", "data"]


@st.composite
def near_events(draw: st.DrawFn) -> Any:
    """A valid event of some type with some fields replaced, dropped or added."""
    event_type = draw(st.sampled_from(sorted(CATALOG)))
    body: dict[str, Any] = payload(event_type)
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        if draw(st.booleans()):
            body.pop(name, None)
        else:
            body[name] = draw(JSON_VALUES)
    data = body.get("data")
    if isinstance(data, dict) and data and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(data)))
        data[key] = draw(JSON_VALUES)
    if draw(st.booleans()):
        body[draw(st.text(max_size=8))] = draw(JSON_VALUES)
    return body


def parses_or_refuses(value: Any, partnership: str | None) -> bool:
    """True if `parse_event` accepts `value`, False if it refuses it with `InvalidEvent`;
    anything else it raises fails the test."""
    try:
        parse_event(value, partnership)
    except InvalidEvent:
        return False
    return True


def test_parse_event_raises_only_invalid_event_for_any_json() -> None:
    counts = {"tried": 0, "accepted": 0}

    @given(value=JSON_VALUES, partnership=st.none() | st.just(SLUG))
    @settings(max_examples=1500, deadline=None, derandomize=True, database=None)
    def run(value: Any, partnership: str | None) -> None:
        counts["tried"] += 1
        counts["accepted"] += parses_or_refuses(value, partnership)

    run()
    print(f"\n[hypothesis] parse_event, arbitrary JSON: {counts['tried']} inputs, "
          f"{counts['accepted']} accepted")  # fmt: skip


def test_parse_event_raises_only_invalid_event_for_near_valid_events() -> None:
    counts = {"tried": 0, "accepted": 0}

    @given(value=near_events(), partnership=st.none() | st.just(SLUG))
    @settings(
        max_examples=3000,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    def run(value: Any, partnership: str | None) -> None:
        counts["tried"] += 1
        counts["accepted"] += parses_or_refuses(value, partnership)

    run()
    assert counts["accepted"] > 0, "the near-valid strategy never made a valid event"
    print(f"\n[hypothesis] parse_event, near-valid events: {counts['tried']} inputs, "
          f"{counts['accepted']} accepted")  # fmt: skip


# --- tamper evidence -----------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_verify_names_a_tampered_stream_and_fails(postgres_url: str) -> None:
    service = PactlogService(postgres_url)
    service.create_partnership(SLUG, formed())
    service.append(SLUG, [draft("InvestmentMade", amount="1000000000"), draft("ModelReleased")])
    service.create_partnership("untouched-pair", formed())
    service.close()
    env = {**os.environ, "DATABASE_URL": postgres_url, "PYTHONPATH": str(ROOT)}

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from api.cli import main; main()", "verify"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    clean = verify()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    tamper(postgres_url, 2, b"1000000000", b"9000000000")
    caught = verify()
    assert caught.returncode != 0
    assert f"{SLUG}: BROKEN at version 2" in caught.stdout, caught.stdout
    assert "untouched-pair: ok" in caught.stdout


def test_verify_runs_on_a_sqlite_store_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/pactlog.sqlite"
    service = PactlogService(url)
    service.create_partnership(SLUG, formed())
    service.append(SLUG, [draft("InvestmentMade", amount="1000000000")])
    service.close()
    tamper(url, 2, b"1000000000", b"9000000000")
    caught = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", "verify", SLUG],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert caught.returncode != 0
    assert f"{SLUG}: BROKEN at version 2" in caught.stdout
