"""Availability of the production layout (gunicorn, 4 workers + the projector + PostgreSQL):
no request can hold the store, an outage never takes the API down for good, and the processes
stay within PostgreSQL's default connection limit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.builders import payload
from tests.e2e.conftest import ROOT
from tests.production.conftest import (
    NO_ANSWER,
    Stack,
    Tally,
    append_until_acknowledged,
    call,
    create_partnerships,
    ensure_postgres_running,
    event_body,
    is_problem,
    pg_ctl,
    running_stack,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MAX_BATCH = 10_000
MAX_BODY = 8 * 1024 * 1024
POSTGRES_DEFAULT_MAX_CONNECTIONS = 100


def largest_batch() -> bytes:
    """A batch of the most events a request may hold, in a body just under the size limit."""
    event = payload("StatementMade", "2024-03")
    event["data"]["statement"] = ""
    bare = len(json.dumps(event).encode()) + 2  # with the separator between events
    event["data"]["statement"] = "s" * ((MAX_BODY - 64) // MAX_BATCH - bare)
    raw = json.dumps({"events": [event] * MAX_BATCH}).encode()
    assert MAX_BODY - 64 * 1024 < len(raw) <= MAX_BODY
    return raw


def test_postgres_the_largest_accepted_batch_completes_while_others_append(stack: Stack) -> None:
    create_partnerships(stack.server, ["bulk", "busy-a", "busy-b"])
    tally, lock, errors = Tally(), threading.Lock(), []

    def other_client(slug: str) -> None:
        try:
            for index in range(15):
                append_until_acknowledged(
                    stack.server, tally, slug, event_body(index), lock=lock, deadline=60
                )
        except BaseException as error:  # reported below
            errors.append(error)

    others = [threading.Thread(target=other_client, args=(s,)) for s in ("busy-a", "busy-b")]
    for thread in others:
        thread.start()
    started = time.monotonic()
    # Before the fix this request never answered and every other append waited behind it.
    answer = call(
        stack.server,
        "POST",
        "/v1/partnerships/bulk/events",
        raw=largest_batch(),
        headers={"Content-Type": "application/json"},
        timeout=120,
    )
    took = time.monotonic() - started
    for thread in others:
        thread.join(timeout=120)
    assert answer.status == 201, answer
    assert answer.body["version"] == MAX_BATCH + 1
    assert not errors, errors
    assert len(tally.acknowledged) == 30
    state = call(stack.server, "GET", "/v1/partnerships/bulk/events?limit=1")
    assert state.status == 200
    print(f"\n[largest batch] {MAX_BATCH} events, {MAX_BODY // 1024} KiB: 201 in {took:.1f}s")


def workers_replaced(stack: Stack, killed: int, deadline: float = 30.0) -> list[int]:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        workers = stack.workers()
        if killed not in workers and len(workers) == 4:
            return workers
        time.sleep(0.1)
    pytest.fail(f"the killed worker was not replaced: {stack.workers()}")


def start_projector(stack: Stack, log: Path) -> subprocess.Popen[bytes]:
    with log.open("a") as output:
        return subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; main()", "project", "--poll", "0.2"],
            cwd=ROOT,
            env=stack.env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def test_postgres_a_worker_respawned_during_an_outage_serves_once_the_database_returns(
    stack: Stack, tmp_path: Path
) -> None:
    create_partnerships(stack.server, ["outage"])
    late_projector: subprocess.Popen[bytes] | None = None
    pg_ctl("stop")
    try:
        killed = stack.workers()[0]
        os.kill(killed, signal.SIGKILL)
        workers_replaced(stack, killed)
        # A projector started now waits for the database instead of exiting.
        late_projector = start_projector(stack, tmp_path / "late-projector.log")
        probes = []
        for _ in range(4):
            try:
                probes.append(call(stack.server, "GET", "/readyz", token=None, timeout=30))
                probes.append(call(stack.server, "GET", "/v1/partnerships/outage/state"))
            except NO_ANSWER as error:
                pytest.fail(f"no answer during the outage: {error}")
        assert all(is_problem(p, 503) for p in probes), probes
        time.sleep(2)
        assert stack.gunicorn is not None
        assert stack.gunicorn.poll() is None, "gunicorn exited"
        assert late_projector.poll() is None, (tmp_path / "late-projector.log").read_text()
    finally:
        pg_ctl("start")
        ensure_postgres_running()
    try:
        tally = Tally()
        for index in range(12):
            append_until_acknowledged(stack.server, tally, "outage", event_body(index))
        assert len(tally.acknowledged) == 12
        stack.wait_ready()
        assert len(stack.workers()) == 4
        assert late_projector.poll() is None
    finally:
        late_projector.terminate()
        late_projector.wait(timeout=20)


def test_postgres_two_api_replicas_and_the_projector_stay_well_under_max_connections(
    postgres_url: str, tmp_path: Path
) -> None:
    tag = f"budget{uuid.uuid4().hex[:8]}"
    url = f"{postgres_url}&application_name={tag}"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    peak = 0
    with (
        running_stack(url, tmp_path / "a") as first,
        running_stack(url, tmp_path / "b", projector=False) as second,
    ):
        create_partnerships(first.server, [f"p{n}" for n in range(8)])
        stop = threading.Event()
        tally, lock = Tally(), threading.Lock()

        def client(number: int) -> None:
            server = (first, second)[number % 2].server
            index = 0
            while not stop.is_set():
                slug = f"p{(number + index) % 8}"
                if index % 2:
                    call(server, "GET", f"/v1/partnerships/{slug}/state")
                else:
                    append_until_acknowledged(
                        server, tally, slug, event_body(index), lock=lock, deadline=60
                    )
                index += 1

        clients = [threading.Thread(target=client, args=(n,)) for n in range(48)]
        for thread in clients:
            thread.start()
        base = os.environ["PACTLOG_TEST_DATABASE_URL"]
        with psycopg.connect(base, autocommit=True) as conn:
            end = time.monotonic() + 15
            while time.monotonic() < end:
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s",
                    [f"{tag}%"],
                ).fetchone()
                assert row is not None
                peak = max(peak, int(row[0]))
                time.sleep(0.2)
        stop.set()
        for thread in clients:
            thread.join(timeout=60)
    print(f"\n[connections] 2 replicas x 4 workers + projector, 48 clients: peak {peak}")
    assert len(tally.acknowledged) > 0
    # The documented budget: 8 a worker, 5 for the projector (docs/operations.md).
    assert 0 < peak <= 2 * 4 * 8 + 5
    assert peak < POSTGRES_DEFAULT_MAX_CONNECTIONS * 2 // 3
