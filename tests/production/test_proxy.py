"""The production front (issue 10, item 6): deploy/nginx.conf, the file docker-compose.yml mounts,
run here by Debian's nginx in front of a test gunicorn. Slow clients cost nginx an idle
connection, not one of gunicorn's threads: 300 connections sending their headers a byte at a
time no longer stop anyone else. Bodies over the API's limit end at nginx with a 413
problem+json, and the live stream passes through unbuffered."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import ADMIN, ROOT, free_port
from tests.production.conftest import Stack, running_stack

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
SLOW_CLIENTS = 300
SLOW_SECONDS = 8.0  # under nginx's client_header_timeout (10 s): they are all still open


@dataclass
class Proxy:
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def nginx_binary() -> str:
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    if binary is None:
        if os.environ.get("PACTLOG_REQUIRE_NGINX"):
            pytest.fail("PACTLOG_REQUIRE_NGINX is set but nginx is not installed")
        pytest.skip("nginx is not installed (make system-packages)")
    return binary


def configuration_for_tests(
    upstream: str, port: int, prefix: Path, stream: str | None = None
) -> str:
    """deploy/nginx.conf with the marked addresses changed (the stream process's: `stream`, or
    the API's gunicorn when there is none) and nginx's files in `prefix`."""
    text = NGINX_CONF.read_text()
    text, upstreams = re.subn(r"server api:8000;", f"server {upstream};", text)
    text, streams = re.subn(r"server stream:8000;", f"server {stream or upstream};", text)
    text, listens = re.subn(r"listen 8080;", f"listen 127.0.0.1:{port};", text)
    assert (upstreams, streams, listens) == (1, 1, 1), "deploy/nginx.conf lost its marked addresses"
    temp = "".join(
        f"    {kind}_temp_path {prefix / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return text.replace("http {\n", "http {\n" + temp, 1)


@contextlib.contextmanager
def running_proxy(upstream: str, workdir: Path, stream: str | None = None) -> Iterator[Proxy]:
    binary = nginx_binary()
    prefix = workdir / "nginx"
    prefix.mkdir()
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(configuration_for_tests(upstream, port, prefix, stream))
    log = prefix / "output.log"
    main = f"daemon off; pid {prefix / 'nginx.pid'};" + (" user root;" if os.geteuid() == 0 else "")
    with log.open("w") as output:
        process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(conf), "-g", main],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"nginx exited ({process.returncode}):\n{log.read_text()}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            time.sleep(0.05)
        yield Proxy(port, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """gunicorn (4 workers of 8 threads) on SQLite, projecting inline."""
    with running_stack(
        f"sqlite:///{tmp_path}/proxy.sqlite",
        tmp_path,
        projector=False,
        PACTLOG_PROJECT_INLINE="true",
    ) as running:
        yield running


@pytest.fixture
def proxy(stack: Stack, tmp_path: Path) -> Iterator[Proxy]:
    upstream = stack.env["PACTLOG_BIND"]
    with running_proxy(upstream, tmp_path) as running:
        yield running


# --- clients ---------------------------------------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    timeout: float = 10.0,
    **headers: str,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            method, path, body=body, headers={"Authorization": f"Bearer {ADMIN}", **headers}
        )
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@contextlib.contextmanager
def slow_clients(port: int, count: int = SLOW_CLIENTS) -> Iterator[None]:
    """`count` connections sending a request's headers one byte every half second."""
    header = b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"a" * 1000
    sockets: list[socket.socket] = []
    for _ in range(count):
        with contextlib.suppress(OSError):
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    stop = threading.Event()

    def trickle() -> None:
        sent = 0
        while not stop.is_set() and sent < len(header):
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.send(header[sent : sent + 1])
            sent += 1
            stop.wait(0.5)

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    try:
        time.sleep(1.0)  # every connection has begun its request
        yield
    finally:
        stop.set()
        sender.join(timeout=10)
        for sock in sockets:
            sock.close()


def serve_others(port: int, seconds: float) -> list[float | None]:
    """An ordinary client for `seconds`: a read then an append, again and again; each latency,
    or None for a request that got no answer (time-out) or an error."""
    latencies: list[float | None] = []
    end = time.monotonic() + seconds
    count = 0
    while time.monotonic() < end:
        count += 1
        started = time.monotonic()
        try:
            if count % 2:
                status, _, _ = request(port, "GET", "/healthz", timeout=3)
            else:
                status, _, _ = request(
                    port,
                    "POST",
                    "/v1/partnerships",
                    json.dumps(
                        {
                            "slug": f"p-{count}",
                            "name": "P",
                            "parties": ["A", "B"],
                            "occurred_on": "2024",
                        }
                    ).encode(),
                    timeout=3,
                    **{"Content-Type": "application/json"},
                )
            latencies.append(time.monotonic() - started if status in (200, 201) else None)
        except OSError:
            latencies.append(None)
    return latencies


# --- tests -----------------------------------------------------------------------------------


def test_300_slow_clients_do_not_stop_anyone_else_behind_nginx(stack: Stack, proxy: Proxy) -> None:
    with slow_clients(proxy.port):
        latencies = serve_others(proxy.port, SLOW_SECONDS)
    answered = [latency for latency in latencies if latency is not None]
    print(
        f"through nginx, {SLOW_CLIENTS} slow clients: {len(answered)}/{len(latencies)} answered, "
        f"slowest {max(answered, default=0):.3f}s"
    )
    assert len(latencies) >= 10
    assert len(answered) == len(latencies), latencies
    assert max(answered) < 2.0, latencies


def test_gunicorn_alone_is_what_the_slow_clients_stopped(stack: Stack) -> None:
    """The 'before': the same slow clients straight at gunicorn leave no thread for anyone
    (4 workers of 8 threads here; the figure in the issue was 300 connections, 20 s)."""
    port = int(stack.env["PACTLOG_BIND"].rsplit(":", 1)[1])
    with slow_clients(port):
        latencies = serve_others(port, 4.0)
    answered = [latency for latency in latencies if latency is not None]
    print(f"gunicorn alone, {SLOW_CLIENTS} slow clients: {len(answered)}/{len(latencies)} answered")
    assert len(answered) < len(latencies) or max(answered) > 2.0


def test_a_body_over_the_limit_ends_at_nginx_as_a_413_problem(stack: Stack, proxy: Proxy) -> None:
    status, headers, body = request(
        proxy.port,
        "POST",
        "/v1/partnerships",
        b"x" * (8 * 1024 * 1024 + 1),
        **{"Content-Type": "application/json"},
    )
    assert status == 413
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 413
    # The same absolute type the API gives, documented where it points.
    assert problem["type"] == f"http://127.0.0.1:{proxy.port}/docs/problems#payload-too-large"


def test_a_body_at_the_limit_reaches_the_api(stack: Stack, proxy: Proxy) -> None:
    status, headers, body = request(
        proxy.port,
        "POST",
        "/v1/partnerships",
        b" " * (8 * 1024 * 1024 - 2) + b"{}",
        **{"Content-Type": "application/json"},
    )
    assert status == 422, body[:300]  # the API's own answer: the body parsed, fields missing
    assert headers["Content-Type"] == "application/problem+json"


def test_the_live_stream_passes_through_unbuffered(stack: Stack, proxy: Proxy) -> None:
    status, _, _ = request(
        proxy.port,
        "POST",
        "/v1/partnerships",
        json.dumps(
            {"slug": "first", "name": "F", "parties": ["A", "B"], "occurred_on": "2024"}
        ).encode(),
        **{"Content-Type": "application/json"},
    )
    assert status == 201
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    connection.request(
        "GET",
        "/v1/stream",
        headers={
            "Authorization": f"Bearer {ADMIN}",
            "Accept": "text/event-stream",
            "Last-Event-ID": "1",
        },
    )
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("text/event-stream")
    appended_at = time.monotonic()
    status, _, body = request(
        proxy.port,
        "POST",
        "/v1/partnerships",
        json.dumps(
            {"slug": "second", "name": "S", "parties": ["A", "B"], "occurred_on": "2024"}
        ).encode(),
        **{"Content-Type": "application/json"},
    )
    assert status == 201
    position = json.loads(body)["position"]
    while True:
        line = response.fp.readline().decode()
        assert line, "the stream ended before the event arrived"
        if line.startswith("id:") and int(line[3:].strip()) == position:
            break
    assert time.monotonic() - appended_at < 3.0  # not held in a buffer until the response ends
    connection.close()


def chunked(port: int, size: int) -> tuple[int, dict[str, str], bytes]:
    """POST a JSON body of `size` bytes with Transfer-Encoding: chunked (no Content-Length)."""

    def body() -> Iterator[bytes]:
        sent = 0
        while sent < size - 2:
            piece = min(65536, size - 2 - sent)
            yield b" " * piece
            sent += piece
        yield b"{}"

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/v1/partnerships",
            body=body(),
            headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_chunked_body_over_the_limit_is_a_413_not_a_400(stack: Stack, proxy: Proxy) -> None:
    gunicorn = int(stack.env["PACTLOG_BIND"].rsplit(":", 1)[1])
    for port in (gunicorn, proxy.port):
        status, headers, body = chunked(port, 8 * 1024 * 1024 + 100)
        assert status == 413, body[:300]
        assert headers["Content-Type"] == "application/problem+json"
    status, _, body = chunked(gunicorn, 8 * 1024 * 1024)  # at the limit: the API reads it all
    assert status == 422, body[:300]
