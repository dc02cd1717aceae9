"""Live streams at scale (issue 13, item 7), in the production layout: nginx (deploy/nginx.conf)
in front of the API's gunicorn and the stream process (gunicorn.conf.py with
`PACTLOG_ROLE=stream`: one gevent worker), the projector beside them, on PostgreSQL. Many more
streams than the API's threads could hold (the old cap: threads − 8 per worker) are all open at
once, and one append reaches every one of them. No timing is asserted: each client waits for its
event within a generous deadline."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ADMIN, ROOT, Server, free_port
from tests.production.conftest import (
    NO_ANSWER,
    VENV_BIN,
    Stack,
    call,
    event_body,
    running_stack,
)
from tests.production.test_proxy import Proxy, running_proxy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CLIENTS = 300  # the API's gunicorn here holds 4 × (8 − 8) → 4 at most (96 with the defaults)
FOLLOWED = "news"


@contextlib.contextmanager
def stream_process(stack: Stack, workdir: Path) -> Iterator[Server]:
    """The stream process on the stack's database, as docker-compose.yml runs it."""
    port = free_port()
    env = {**stack.env, "PACTLOG_ROLE": "stream", "PACTLOG_BIND": f"127.0.0.1:{port}"}
    env.pop("WEB_CONCURRENCY", None)
    env.pop("PACTLOG_STREAM_MAX_CLIENTS", None)
    server = Server(f"http://127.0.0.1:{port}", stack.database_url, env)
    output = workdir / "stream.log"
    with output.open("w") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the stream process exited:\n{output.read_text()}")
            with contextlib.suppress(*NO_ANSWER):
                if call(server, "GET", "/healthz", token=None, timeout=5).status == 200:
                    break
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def layout(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Stack, Proxy]]:
    with (
        running_stack(postgres_url, tmp_path) as stack,
        stream_process(stack, tmp_path) as streams,
        running_proxy(
            stack.env["PACTLOG_BIND"], tmp_path, streams.base.removeprefix("http://")
        ) as proxy,
    ):
        yield stack, proxy


async def open_stream(
    port: int, index: int, after: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int]:
    """One EventSource-like client: every third follows the whole log, the others one
    partnership; half resume with Last-Event-ID, half with `after`. Returns its reader and
    writer (which must be kept: it closes the connection when collected) once the stream has
    begun, and the HTTP status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    query = "" if index % 3 == 0 else f"partnership={FOLLOWED}"
    if index % 2:
        resume = f"Last-Event-ID: {after}\r\n"
    else:
        query, resume = f"{query}&after={after}".lstrip("&"), ""
    writer.write(
        (
            f"GET /v1/stream?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Accept: text/event-stream\r\nAuthorization: Bearer {ADMIN}\r\n{resume}\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status == 200:
        await reader.readuntil(b"retry:")
    return reader, writer, status


async def event_of(reader: asyncio.StreamReader, position: int) -> dict[str, object]:
    """The CloudEvent of the message with `id: position` on this stream."""
    marker = f"id: {position}\n".encode()
    while True:
        line = await reader.readline()
        assert line, "the stream ended before the event arrived"
        if line.startswith(marker):
            data = await reader.readline()
            assert data.startswith(b"data: "), data
            event: dict[str, object] = json.loads(data[len(b"data: ") :])
            return event


def test_hundreds_of_streams_beyond_the_old_cap_all_get_the_event(
    layout: tuple[Stack, Proxy],
) -> None:
    stack, proxy = layout
    created = call(
        stack.server,
        "POST",
        "/v1/partnerships",
        {"slug": FOLLOWED, "name": "News", "parties": ["Acme", "Globex"], "occurred_on": "2019"},
    )
    assert created.status == 201, created
    after = int(created.body["position"])

    async def scenario() -> list[dict[str, object]]:
        gate = asyncio.Semaphore(50)

        async def opened(
            index: int,
        ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int]:
            async with gate:
                return await open_stream(proxy.port, index, after)

        clients = await asyncio.gather(*(opened(i) for i in range(CLIENTS)))
        assert [status for _, _, status in clients] == [200] * CLIENTS
        await asyncio.sleep(0.5)  # every stream waiting for the log to move
        answer = await asyncio.to_thread(
            call,
            stack.server,
            "POST",
            f"/v1/partnerships/{FOLLOWED}/events",
            event_body(3),
        )
        assert answer.status == 201, answer
        position = int(answer.body["position"])
        events = await asyncio.wait_for(
            asyncio.gather(*(event_of(reader, position) for reader, _, _ in clients)), 120
        )
        for _, writer, _ in clients:
            writer.close()
        return events

    events = asyncio.run(scenario())
    assert len(events) == CLIENTS
    assert all(event == events[0] for event in events)
    assert events[0]["subject"] == FOLLOWED
    assert events[0]["type"] == f"pactlog.{event_body(3)['type']}"
