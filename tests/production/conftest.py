"""The production layout as real processes on loopback: gunicorn (4 workers, no inline
projection) and `pactlog project`, on a fresh PostgreSQL schema; helpers to load, hurt and check
them. Each test starts its own stack and stops it, whatever happens."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask import json as flask_json

from service.pactlog import PactlogService
from service.projections.state import render_state
from tests.builders import payload
from tests.e2e.conftest import ADMIN, ROOT, Answer, Server, free_port
from tests.oracle import expected_state

VENV_BIN = Path(sys.executable).parent
START_DEADLINE = 60.0
WORKERS = 4


def pg_cluster() -> list[str]:
    """The local cluster's `pg_ctlcluster` arguments (version, name)."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        pytest.skip("no local PostgreSQL cluster to restart (/etc/postgresql)")
    return [versions[-1], "main"]


def pg_ctl(action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *pg_cluster(), action],
        check=True,
        capture_output=True,
        timeout=60,
    )


def pg_is_ready() -> bool:
    done = subprocess.run(
        ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False, timeout=10
    )
    return done.returncode == 0


def ensure_postgres_running(deadline: float = 60.0) -> None:
    """Start the local cluster if it is down and wait until it accepts connections."""
    if pg_is_ready():
        return
    with contextlib.suppress(subprocess.CalledProcessError):
        pg_ctl("start")
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if pg_is_ready():
            return
        time.sleep(0.2)
    raise RuntimeError("PostgreSQL did not come back")


# --- HTTP ------------------------------------------------------------------------------------


def call(
    server: Server,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    token: str | None = ADMIN,
    *,
    raw: bytes | None = None,
    timeout: float = 30.0,
) -> Answer:
    """One request. A connection the server dropped (a worker killed mid-request) is an
    `OSError` or `http.client.HTTPException` for the caller to handle: no answer."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(server.base + path, data=data, method=method)
    if data is not None and raw is None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return _answer(error.code, dict(error.headers), error.read())


def _answer(status: int, headers: dict[str, str], raw: bytes) -> Answer:
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode("utf-8", "replace")
    return Answer(status, headers, body)


NO_ANSWER = (OSError, http.client.HTTPException)


def is_problem(answer: Answer, status: int) -> bool:
    return (
        answer.status == status
        and answer.headers.get("Content-Type") == "application/problem+json"
        and isinstance(answer.body, dict)
        and answer.body.get("status") == status
    )


# --- processes -------------------------------------------------------------------------------


@dataclass
class Stack:
    """gunicorn and the projector on one database; restartable piece by piece."""

    database_url: str
    workdir: Path
    server: Server
    env: dict[str, str]
    gunicorn: subprocess.Popen[bytes] | None = None
    projector: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    def start_gunicorn(self) -> None:
        output = self.workdir / "gunicorn.log"
        self.logs.append(output)
        with output.open("a") as log:
            self.gunicorn = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py")],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                pytest.fail(f"gunicorn exited ({self.gunicorn.returncode}):\n{output.read_text()}")
            with contextlib.suppress(*NO_ANSWER):
                answer = call(self.server, "GET", "/healthz", token=None, timeout=5)
                workers = int(self.env.get("WEB_CONCURRENCY", WORKERS))
                if answer.status == 200 and len(self.workers()) == workers:
                    return
            time.sleep(0.1)
        pytest.fail(f"gunicorn did not start:\n{output.read_text()}")

    def workers(self) -> list[int]:
        assert self.gunicorn is not None
        children = Path(f"/proc/{self.gunicorn.pid}/task/{self.gunicorn.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except FileNotFoundError:
            return []

    def start_projector(self) -> None:
        output = self.workdir / "projector.log"
        self.logs.append(output)
        with output.open("a") as log:
            self.projector = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from api.cli import main; main()",
                    "project",
                    "--poll",
                    "0.5",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill_projector(self) -> None:
        assert self.projector is not None
        self.projector.send_signal(signal.SIGKILL)
        self.projector.wait(timeout=10)

    def stop(self) -> None:
        for process in (self.projector, self.gunicorn):
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def wait_ready(self, deadline: float = 60.0) -> None:
        """Until /readyz says the projections have caught up with the log."""
        end = time.monotonic() + deadline
        last: Any = None
        while time.monotonic() < end:
            try:
                answer = call(self.server, "GET", "/readyz", token=None, timeout=10)
                if answer.status == 200:
                    return
                last = answer
            except NO_ANSWER as error:
                last = error
            time.sleep(0.2)
        pytest.fail(f"never ready: {last}")


@contextlib.contextmanager
def running_stack(
    database_url: str, workdir: Path, *, projector: bool = True, **environment: str
) -> Iterator[Stack]:
    """gunicorn (4 workers) and the projector on `database_url`, until the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PACTLOG_ADMIN_TOKEN": ADMIN,
        "PACTLOG_PROJECT_INLINE": "false",
        "PACTLOG_ANONYMOUS_READS": "false",
        "PACTLOG_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        "PACTLOG_THREADS": "8",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        **environment,
    }
    server = Server(f"http://127.0.0.1:{port}", database_url, env)
    running = Stack(database_url, workdir, server, env)
    try:
        running.start_gunicorn()
        if projector:
            running.start_projector()
        yield running
    finally:
        running.stop()


@pytest.fixture
def stack(postgres_url: str, tmp_path: Path) -> Iterator[Stack]:
    """gunicorn (4 workers) and the projector on a fresh PostgreSQL schema."""
    with running_stack(postgres_url, tmp_path) as running:
        yield running


# --- load --------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What a load run did: requests sent, answers by status, what was acknowledged."""

    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    no_answer: int = 0
    replayed: int = 0  # retries answered with the original's answer
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)  # event id -> answer
    keys: dict[str, str] = field(default_factory=dict)  # idempotency key -> event id

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


def event_body(index: int) -> dict[str, Any]:
    kinds = ("InvestmentMade", "ModelReleased", "TrustSignal", "StatementMade")
    return payload(kinds[index % len(kinds)], f"{2020 + index % 5}-{1 + index % 12:02d}")


def create_partnerships(server: Server, slugs: list[str]) -> None:
    for slug in slugs:
        answer = call(
            server,
            "POST",
            "/v1/partnerships",
            {"slug": slug, "name": slug, "parties": ["Acme", "Globex"], "occurred_on": "2019-01"},
        )
        assert answer.status == 201, answer


def abandon_append(server: Server, slug: str, body: dict[str, Any], key: str) -> None:
    """Send an append and hang up without reading the answer: the server may well commit it,
    but the client never learns that (as when a proxy or the client dies)."""
    raw = json.dumps(body).encode()
    connection = http.client.HTTPConnection(server.base.removeprefix("http://"), timeout=10)
    connection.putrequest("POST", f"/v1/partnerships/{slug}/events")
    for name, value in (
        ("Content-Type", "application/json"),
        ("Authorization", f"Bearer {ADMIN}"),
        ("Idempotency-Key", key),
        ("Content-Length", str(len(raw))),
    ):
        connection.putheader(name, value)
    connection.endheaders(raw)
    connection.close()


def append_until_acknowledged(
    server: Server,
    tally: Tally,
    slug: str,
    body: dict[str, Any],
    *,
    if_match: int | None = None,
    deadline: float = 60.0,
    lock: threading.Lock | None = None,
    key: str | None = None,
) -> int:
    """POST one event with an Idempotency-Key, retrying the very same request while the answer
    is a 503, a 409, no answer at all (a killed worker) — and, with `if_match`, a 412 with the
    version it reports. Returns the stream version to expect next."""
    lock = lock or threading.Lock()
    key = key or str(uuid.uuid4())
    end = time.monotonic() + deadline
    while True:
        assert time.monotonic() < end, (
            f"no acknowledgement for {key} in {deadline}s; answers so far {tally.statuses}"
        )
        headers = {"Idempotency-Key": key}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        with lock:
            tally.sent += 1
        try:
            answer = call(server, "POST", f"/v1/partnerships/{slug}/events", body, headers)
        except NO_ANSWER:
            with lock:
                tally.no_answer += 1
            time.sleep(0.05)
            continue
        with lock:
            tally.count(answer.status)
        if answer.status == 201:
            with lock:
                tally.replayed += answer.headers.get("Idempotent-Replayed") == "true"
                assert answer.body["id"] not in tally.acknowledged
                previous = tally.keys.setdefault(key, answer.body["id"])
                assert previous == answer.body["id"], "a retry answered with another event"
                tally.acknowledged[answer.body["id"]] = {**answer.body, "slug": slug}
            return int(answer.body["version"])
        assert answer.status < 500 or is_problem(answer, 503), answer
        if answer.status == 412 and if_match is not None:
            assert is_problem(answer, 412), answer
            # The same logical write, against the version the stream really has: a new key.
            if_match = int(answer.body["current_version"])
            key = str(uuid.uuid4())
            continue
        assert answer.status in (409, 503), answer
        time.sleep(0.05)


def read_honouring_retry_after(server: Server, path: str, attempts: int = 20) -> Answer:
    """GET `path`, again after a 503 with Retry-After (a pooled connection that the database
    restart broke fails once, then the pool replaces it)."""
    for _ in range(attempts):
        answer = call(server, "GET", path)
        if not (is_problem(answer, 503) and answer.headers.get("Retry-After")):
            return answer
        time.sleep(0.2)
    return answer


# --- checks ------------------------------------------------------------------------------------


def as_json(value: Any) -> Any:
    """`value` as the API would send it (Flask's JSON)."""
    with Flask("as-json").app_context():
        return json.loads(flask_json.dumps(value))


def check_the_log(stack: Stack, tally: Tally, setup: int) -> dict[str, Any]:
    """Every acknowledged event in the log once, nothing else besides the `setup` events,
    versions gapless, positions unique; projections equal a full replay. Returns figures."""
    service = PactlogService(stack.database_url, project_inline=False)
    try:
        events = []
        after = 0
        while page := service.log(after, limit=1000):
            events += page
            after = page[-1].position
        ids = [e.id for e in events]
        assert len(ids) == len(set(ids)), "an event is in the log twice"
        positions = [e.position for e in events]
        assert positions == sorted(set(positions)), "positions are unique and ordered"
        by_id = {e.id: e for e in events}
        missing = [i for i in tally.acknowledged if i not in by_id]
        assert not missing, f"{len(missing)} acknowledged events are lost"
        for event_id, answer in tally.acknowledged.items():
            event = by_id[event_id]
            assert (event.partnership, event.version, event.position) == (
                answer["slug"],
                answer["version"],
                answer["position"],
            )
        assert len(events) == setup + len(tally.acknowledged), "the log holds unacknowledged events"
        streams: dict[str, list[Any]] = {}
        for event in events:
            streams.setdefault(event.partnership, []).append(event)
        today = datetime.now(UTC).date()
        for slug, stream in streams.items():
            assert [e.version for e in stream] == list(range(1, len(stream) + 1)), slug
            assert service.verify(slug).ok, slug
            answer = read_honouring_retry_after(
                stack.server, f"/v1/partnerships/{slug}/state?min_position={stream[-1].position}"
            )
            assert answer.status == 200, answer
            assert answer.body["version"] == len(stream)
            replay = render_state(expected_state(stream, stream[-1].version), today)
            assert answer.body["state"] == as_json(replay), slug
        return {"events": len(events), "streams": len(streams)}
    finally:
        service.close()
