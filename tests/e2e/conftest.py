"""A real server: `pactlog serve` in a subprocess on a free port, spoken to over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ADMIN = "e2e-admin-secret"
ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE = 60.0


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Server:
    base: str
    database_url: str
    env: dict[str, str]

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = ADMIN,
    ) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return _answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return _answer(error.code, dict(error.headers), error.read())

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from api.cli import main; main()", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def _answer(status: int, headers: dict[str, str], raw: bytes) -> Answer:
    return Answer(status, headers, json.loads(raw) if raw else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_server(
    database_url: str, workdir: Path, **environment: str
) -> Iterator[tuple[Server, Path]]:
    """`pactlog serve` on a free port until the block ends; yields it and its output file."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PACTLOG_ADMIN_TOKEN": ADMIN,
        "PACTLOG_ANONYMOUS_READS": "1",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        **environment,
    }
    output = workdir / "server.log"
    with output.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from api.cli import main; main()",
                "serve",
                "--port",
                str(port),
            ],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        running = Server(f"http://127.0.0.1:{port}", database_url, env)
        try:
            _wait_until_up(running, process, output)
            yield running, output
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A server on `database_url` (SQLite and PostgreSQL), the example timeline loaded."""
    with running_server(database_url, tmp_path) as (running, _):
        yield running


def _wait_until_up(server: Server, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited ({process.returncode}):\n{log.read_text()}")
        try:
            if server.call("GET", "/healthz", token=None).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not start:\n{log.read_text()}")
