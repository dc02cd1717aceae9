"""HTTP load from a C load generator (`wrk`, with `bench/append.lua` for the bodies), so that
the client's CPU is not counted as pactlog's."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import TOKEN

SCRIPT = Path(__file__).with_name("append.lua")


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is missing: `make system-packages` installs it")
    return found


def appends(
    base: str,
    body: dict[str, Any],
    *,
    prefix: str,
    connections: int,
    threads: int,
    per_thread: int,
    seconds: float,
) -> Load:
    """POST `body` (an event, or a batch) for `seconds` from `connections` keep-alive
    connections on `threads` wrk threads; each request has its own event id (single events)
    and Idempotency-Key."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(body, file)
    try:
        finished = subprocess.run(
            [
                wrk_path(),
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "60s",
                "-s",
                str(SCRIPT),
                base,
                "--",
                prefix,
                str(per_thread),
                file.name,
                TOKEN,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(file.name).unlink()
    for line in finished.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            found = json.loads(line.removeprefix("WRK_RESULT "))
            errors = found["status_errors"] + found["socket_errors"]
            return Load(
                found["requests"],
                found["duration_us"] / 1e6,
                errors,
                found["p50_us"] / 1000,
                found["p99_us"] / 1000,
            )
    raise RuntimeError(f"wrk gave no result: {finished.stdout} {finished.stderr}")
